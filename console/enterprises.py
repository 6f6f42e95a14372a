"""Console pages for enterprises: list and search, create and edit."""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from console.blueprint import bp
from console.enterprise_forms import (
    ROW_PROBLEMS,
    UNIT_KIND_LABELS,
    EnterpriseForm,
    sectors_of,
    uscc_problem,
)
from survey.db import get_session
from survey.model import UNIT_KINDS, Enterprise
from survey.ops import audit, organisations, uscc
from survey.web.access import ADMIN, BUREAU, allow
from survey.web.params import int_arg, parse_id
from survey.web.rows import get_or_404

PER_PAGE = 50
FIELDS = ("kind", "name", "uscc", "sector_id", "street", "customer_volume", "revenue", "active",
          "opening_hours", "owner_id", "builder_id", "brand", "product_category", "dwellings",
          "delivered_on")
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
    rows = session.scalars(query.options(joinedload(Enterprise.sector),
                                         joinedload(Enterprise.owner))
                           .order_by(Enterprise.name, Enterprise.id)
                           .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template("console/enterprises.html", rows=rows, total=total, page=page,
                           pages=pages, filters=filters, sectors=sectors_of(session),
                           streets=_streets(session), kinds=UNIT_KIND_LABELS)


def _filters(args) -> dict:
    kind = args.get("kind", "")
    return {"q": args.get("q", "").strip()[:100], "sector": parse_id(args.get("sector")),
            "street": args.get("street", "").strip()[:100],
            "kind": kind if kind in UNIT_KINDS else ""}


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
    if filters["kind"]:
        query = query.where(Enterprise.kind == filters["kind"])
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
    if form.validate_on_submit() and _unique(session, form) and _organisations(session, form):
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
    if not form.is_submitted():
        form.owner_uscc.data = enterprise.owner.uscc if enterprise.owner else ""
        form.builder_uscc.data = enterprise.builder.uscc if enterprise.builder else ""
    if (form.validate_on_submit() and _unique(session, form, enterprise.id)
            and _organisations(session, form)):
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


def _organisations(session, form: EnterpriseForm) -> bool:
    """Find (or register, when a name is given) the owner and builder named by credit code;
    False with a message on the field when one is unknown and has no name."""
    form.owner, form.builder = None, None
    for role in ("owner", "builder"):
        code, name = getattr(form, f"{role}_uscc"), getattr(form, f"{role}_name")
        if not code.data:
            continue
        try:
            setattr(form, role, organisations.find_or_register(session, code.data, name.data))
        except ValueError as exc:
            code.errors.append(_unknown_organisation(str(exc)))
    return not (form.owner_uscc.errors or form.builder_uscc.errors)


def _unknown_organisation(why: str) -> str:
    if why.startswith("unknown organisation"):
        return _("No organisation has this credit code yet: also give its name to register it.")
    return _("Invalid credit code: %(detail)s.", detail=uscc_problem(why))


def _fill(enterprise: Enterprise, form: EnterpriseForm) -> None:
    enterprise.kind = form.kind.data
    enterprise.name, enterprise.uscc = form.name.data, form.uscc.data or None
    enterprise.owner_id = form.owner.id if form.owner else None
    enterprise.builder_id = form.builder.id if form.builder else None
    enterprise.brand = form.brand.data or None
    enterprise.product_category = form.product_category.data or None
    enterprise.dwellings, enterprise.delivered_on = form.dwellings.data, form.delivered_on.data
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
