"""The working-day calendar behind complaint deadlines: which years are known, entering one."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.blueprint import bp
from console.forms import CalendarYearForm
from survey.clock import today
from survey.db import get_session
from survey.ops import holidays
from survey.web.access import ADMIN, BUREAU, allow


def year_rows(session, calendar) -> list[dict]:
    """Last year to next year and every year the bureau entered, each with where its days
    come from and the bureau's days."""
    this = today().year
    years = sorted(set(range(this - 1, this + 2)) | calendar.years)
    return [{"year": y, "source": calendar.source(y),
             "days": holidays.entered_days(session, y)} for y in years]


@bp.get("/holidays")
@allow(*BUREAU)
def holiday_calendar():
    """The years' sources (bureau, package, plain week) and the form to enter a notice."""
    session = get_session()
    form = CalendarYearForm(year=today().year + 1)
    return _page(session, form)


@bp.post("/holidays")
@allow(*ADMIN)
def enter_holidays():
    """Enter (or replace) a year's notice; a wrong line changes nothing and says why."""
    session = get_session()
    form = CalendarYearForm()
    if form.validate_on_submit():
        try:
            entered = holidays.notice(form.year.data, form.days_off.data,
                                      form.working_days.data or "")
        except holidays.CalendarInputError as error:
            form.days_off.errors = [*form.days_off.errors, str(error)]
        else:
            count = holidays.enter_year(session, current_user, entered)
            session.commit()
            flash(_("The holidays of %(year)s are entered (%(n)d days).", year=entered.year,
                    n=count), "info")
            return redirect(url_for("console.holiday_calendar"))
    return _page(session, form), 400


@bp.post("/holidays/<int:year>/clear")
@allow(*ADMIN)
def clear_holidays(year: int):
    """Remove the bureau's entries of a year (the package or the plain week applies)."""
    session = get_session()
    if year not in holidays.YEARS:
        flash(_("No such year."), "error")
    else:
        holidays.clear_year(session, current_user, year)
        session.commit()
        flash(_("The entries of %(year)s are removed.", year=year), "info")
    return redirect(url_for("console.holiday_calendar"))


def _page(session, form):
    calendar = holidays.working_calendar(session)
    return render_template("console/holidays.html", form=form,
                           years=year_rows(session, calendar))
