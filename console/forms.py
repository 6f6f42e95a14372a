"""Console forms (fixed FlaskForm classes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class CategoryForm(FlaskForm):
    """A category's target and district weight, with their sources."""

    target = DecimalField(_l("Target (0–100)"), places=1,
                          validators=[DataRequired(), NumberRange(0, 100)])
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
