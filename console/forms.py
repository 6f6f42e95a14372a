"""Console forms (fixed FlaskForm classes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from survey.ops import holidays

FAMILY_LABELS = {
    "service": _l("Services"),
    "product": _l("Products"),
    "construction": _l("Construction works"),
}
TARGET_KIND_LABELS = {
    "threshold": _l("Threshold: the index reaches the target"),
    "improvement": _l("Improvement: a significant rise over the baseline wave"),
    "share": _l("Share satisfied: at least the target percentage rate 8 or more of 10"),
}
TARGET_KIND_HELP = _l(
    "Threshold: the category's index must reach the target (e.g. 85). "
    "Improvement: the index must rise significantly (one-sided test of the change with its "
    "design-based standard error) over the baseline wave by at least the target in index "
    "points, usually 0; choose the baseline wave below. "
    "Share satisfied: at least the target percentage of respondents rate overall "
    "satisfaction 8 or more out of 10 (e.g. 80).")


def choices(labels: dict) -> list[SelectChoice]:
    """Select options from a {value: label} table."""
    return [SelectChoice(value=v, label=label) for v, label in labels.items()]


def _optional_id(value):
    """A select's value as an id, or None for the empty choice."""
    if value in (None, "", "None"):
        return None
    return int(value)


class CategoryForm(FlaskForm):
    """A category's family, target (with its kind and baseline) and district weight."""

    family = SelectField(_l("Index family"), choices=choices(FAMILY_LABELS))
    target_kind = SelectField(_l("Kind of target"), choices=choices(TARGET_KIND_LABELS),
                              description=TARGET_KIND_HELP)
    target = DecimalField(_l("Target (0–100)"), places=1,
                          validators=[InputRequired(), NumberRange(0, 100)])
    baseline_wave_id = SelectField(_l("Baseline wave (improvement targets)"),
                                   coerce=_optional_id, validate_choice=False)
    target_source = StringField(_l("Source of the target"), validators=[Length(max=300)])
    weight = DecimalField(_l("Weight in the district index"), places=4,
                          validators=[DataRequired(), NumberRange(0, 1000)])
    weight_source = StringField(_l("Source of the weight"), validators=[Length(max=300)])


class SectorForm(FlaskForm):
    """A sector's aggregation weight with its source, and its instrument."""

    weight = DecimalField(_l("Weight in the category index"), places=4,
                          validators=[DataRequired(), NumberRange(0, 1000)])
    weight_source = StringField(_l("Source of the weight"),
                                validators=[DataRequired(), Length(max=300)])
    instrument_code = StringField(_l("Instrument"), validators=[DataRequired(), Length(max=64)])


class CalendarYearForm(FlaskForm):
    """A year's holiday notice: its days off and its adjusted working weekends (调休)."""

    year = IntegerField(_l("Year"), validators=[
        InputRequired(), NumberRange(holidays.YEARS.start, holidays.YEARS.stop - 1)])
    days_off = TextAreaField(
        _l("Days off"), validators=[DataRequired(), Length(max=4000)],
        description=_l("One per line: a date or a range, then the holiday's name, e.g. "
                       "2027-02-06..2027-02-13 春节"))
    working_days = TextAreaField(
        _l("Adjusted working days (weekends worked)"), validators=[Length(max=2000)],
        description=_l("One per line, e.g. 2027-02-20 春节调休"))
