"""Console pages for enterprises: list and search, create and edit."""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from wtforms.validators import Optional

from console.blueprint import bp
from console.enterprise_forms import ROW_PROBLEMS, EnterpriseForm, sectors_of
from survey.db import get_session
from survey.model import Enterprise
from survey.ops import audit, uscc
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.params import int_arg, parse_id
from survey.web.rows import get_or_404

PER_PAGE = 50
FIELDS = ("name", "uscc", "sector_id", "street", "customer_volume", "revenue", "active",
          "opening_hours")
# Settings read with these defaults when the app does not set them.


@bp.get("/enterprises")
@allow(*BUREAU)
def enterprises():
    """Enterprises, searched by name or credit code and filtered by sector and street."""
    session = get_session()
    filters = _filters(request.args)
    query = _search(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(int_arg("page", 1), 1), pages)
    rows = session.scalars(query.options(joinedload(Enterprise.sector))
                           .order_by(Enterprise.name, Enterprise.id)
                           .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("console/enterprises.html", rows=rows, total=total, page=page,
                           pages=pages, filters=filters, sectors=sectors_of(session),
                           streets=_streets(session))


def _filters(args) -> dict:
    return {"q": args.get("q", "").strip()[:100], "sector": parse_id(args.get("sector")),
            "street": args.get("street", "").strip()[:100]}


def _search(filters: dict):
    query = select(Enterprise)
    if filters["q"]:
        code = uscc.normalise(filters["q"])
        query = query.where(or_(Enterprise.name.icontains(filters["q"], autoescape=True),
                                Enterprise.uscc.contains(code, autoescape=True)))
    if filters["sector"]:
        query = query.where(Enterprise.sector_id == filters["sector"])
    if filters["street"]:
        query = query.where(Enterprise.street == filters["street"])
    return query


def _streets(session) -> list[str]:
    return session.scalars(select(Enterprise.street).where(Enterprise.street != "")
                           .distinct().order_by(Enterprise.street)).all()


@bp.route("/enterprises/new", methods=["GET", "POST"])
@allow(*ADMIN)
def new_enterprise():
    """Register an enterprise (audited)."""
    session = get_session()
    form = _form(session)
    if form.validate_on_submit() and _unique(session, form):
        enterprise = Enterprise()
        _fill(enterprise, form)
        session.add(enterprise)
        session.flush()
        after = audit.snapshot(enterprise, FIELDS)
        audit.record(session, current_user, "create", "enterprise", enterprise.id, None, after)
        if _commit(session, form):
            return redirect(url_for("console.enterprises"))
    return render_template("console/enterprises_form.html", form=form, title=_("New enterprise"))


@bp.route("/enterprises/<int:enterprise_id>", methods=["GET", "POST"])
@allow(*ADMIN)
def edit_enterprise(enterprise_id: int):
    """Edit an enterprise's details (audited with before and after)."""
    session = get_session()
    enterprise = get_or_404(Enterprise, enterprise_id)
    form = _form(session, obj=enterprise)
    if form.validate_on_submit() and _unique(session, form, enterprise.id):
        before = audit.snapshot(enterprise, FIELDS)
        _fill(enterprise, form)
        after = audit.snapshot(enterprise, FIELDS)
        if audit.changed(before, after):
            audit.record(session, current_user, "update", "enterprise", enterprise.id, before,
                         after)
        if _commit(session, form):
            return redirect(url_for("console.enterprises"))
    return render_template("console/enterprises_form.html", form=form, title=enterprise.name)


def _form(session, obj=None) -> EnterpriseForm:
    form = EnterpriseForm(obj=obj)
    if obj is not None and obj.kind != "enterprise":
        # Housing projects and product lines have no credit code of their own.
        form.uscc.validators = [Optional(), *form.uscc.validators[1:]]
    form.sector_id.choices = [(s.id, f"{s.name_zh} · {s.code}") for s in sectors_of(session)]
    return form


def _unique(session, form: EnterpriseForm, own_id: int | None = None) -> bool:
    """False (with a message on the field) when another enterprise has this credit code."""
    if not form.uscc.data:
        return True
    other = session.scalar(select(Enterprise).where(Enterprise.uscc == form.uscc.data,
                                                    Enterprise.id != (own_id or 0)))
    if other is None:
        return True
    form.uscc.errors.append(_("This credit code is registered already, to “%(name)s”.",
                              name=other.name))
    return False


def _fill(enterprise: Enterprise, form: EnterpriseForm) -> None:
    enterprise.name, enterprise.uscc = form.name.data, form.uscc.data or None
    enterprise.sector_id, enterprise.street = form.sector_id.data, form.street.data or ""
    enterprise.customer_volume = _float(form.customer_volume.data)
    enterprise.revenue = _float(form.revenue.data)
    enterprise.active = form.active.data
    enterprise.opening_hours = form.opening_hours.data or None


def _float(value) -> float | None:
    return None if value is None else float(value)


def _commit(session, form: EnterpriseForm) -> bool:
    # The unique index is the last word when two admins save the same code at once.
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        form.uscc.errors.append(ROW_PROBLEMS["registered"])
        return False
    flash(_("Saved."), "info")
    return True


# ---- bulk import ----------------------------------------------------------------------------
