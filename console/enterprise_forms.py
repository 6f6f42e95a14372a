"""Forms of the enterprise pages: one enterprise, an import upload and its confirmation."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from console import imports
from survey.model import Sector
from survey.ops import uscc
from survey.ops.quality import parse_hours

UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{32}")
COLUMN_LABELS = {
    "name": _l("Name"),
    "uscc": _l("Unified social credit code"),
    "sector": _l("Sector"),
    "street": _l("Street or park"),
    "customer_volume": _l("Customer volume"),
    "revenue": _l("Revenue"),
}
MAX_DWELLINGS = 100_000
UNIT_KIND_LABELS = {
    "enterprise": _l("Enterprise"),
    "product_line": _l("Product line"),
    "housing_project": _l("Housing project"),
    "public_work": _l("Public work"),
}
ROW_PROBLEMS = {
    "missing": _l("Empty: a value is required."),
    "too_long": _l("Longer than %(detail)s characters."),
    "bad_uscc": _l("Invalid credit code: %(detail)s."),
    "unknown_sector": _l("Unknown sector: use a sector code or its name."),
    "duplicate_in_file": _l("The same credit code is on row %(detail)s."),
    "registered": _l("An enterprise with this credit code is registered already."),
    "not_a_number": _l("Not a number."),
    "negative": _l("Must be zero or more."),
}
# survey.uscc.problem() explains in English; these are its messages for the UI.
USCC_PROBLEMS = {
    "must be 18 characters": _l("must be 18 characters"),
    "contains a character outside the GB 32100 set (I, O, S, V, Z are never used)": _l(
        "contains a character outside the GB 32100 set (I, O, S, V, Z are never used)"),
    "registration authority, organisation type or division code is malformed": _l(
        "registration authority, organisation type or division code is malformed"),
    "organisation code (characters 9–17) fails its GB 11714 check": _l(
        "organisation code (characters 9–17) fails its GB 11714 check"),
    "check character (18th) does not match": _l("check character (18th) does not match"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _valid_code(_form, field) -> None:
    why = uscc.problem(field.data or "")
    if why:
        raise ValidationError(_("Invalid credit code: %(detail)s.", detail=uscc_problem(why)))


def _own_code(form, field) -> None:
    """An enterprise needs its credit code; other units may have one (checked if given)."""
    if not field.data:
        if form.kind.data == "enterprise":
            raise ValidationError(_("Enter the credit code."))
        field.data = None
        return
    _valid_code(form, field)


_normalise_code = uscc.normalise  # the class below has a field named uscc


def _optional_code(form, field) -> None:
    if field.data:
        _valid_code(form, field)


OWNED_KINDS = ("housing_project", "product_line")  # rated for a developer or manufacturer


def _owner_code(form, field) -> None:
    """A housing project names its developer and a product line its manufacturer."""
    if not field.data:
        if form.kind.data in OWNED_KINDS:
            raise ValidationError(_("Enter the credit code of its developer or manufacturer."))
        return
    _valid_code(form, field)


def _valid_hours(_form, field) -> None:
    if parse_hours(field.data) is None:
        raise ValidationError(_("Write the hours as HH:MM-HH:MM, e.g. 09:00-21:00."))


def uscc_problem(why: str) -> str:
    """A survey.uscc problem text in the request's language."""
    return str(USCC_PROBLEMS.get(why, why))


class AmountField(DecimalField):
    """An optional amount such as a customer volume; whole numbers shown without decimals."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else imports.cell_text(float(self.data))

    def process_formdata(self, valuelist) -> None:
        """Parse the number, refusing text, NaN and infinity with a translated message."""
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Not a number.")) from exc
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(_("Not a number."))


class EnterpriseForm(FlaskForm):
    """A rated unit's details: an enterprise, product line, housing project or public work."""

    kind = SelectField(_l("Kind of unit"), default="enterprise", choices=[
        SelectChoice(value=k, label=v) for k, v in UNIT_KIND_LABELS.items()])
    name = StringField(COLUMN_LABELS["name"], filters=[_strip],
                       validators=[DataRequired(_l("Enter the name.")), Length(max=200)])
    uscc = StringField(_l("Unified social credit code (enterprises only)"),
                       filters=[uscc.normalise], validators=[_own_code])
    sector_id = SelectField(COLUMN_LABELS["sector"], coerce=int)
    street = StringField(COLUMN_LABELS["street"], filters=[_strip], validators=[Length(max=100)])
    customer_volume = AmountField(COLUMN_LABELS["customer_volume"], validators=[
        Optional(), NumberRange(min=0, message=_l("Must be zero or more."))])
    revenue = AmountField(COLUMN_LABELS["revenue"], validators=[
        Optional(), NumberRange(min=0, message=_l("Must be zero or more."))])
    opening_hours = StringField(_l("Opening hours, e.g. 09:00-21:00 (optional)"),
                                filters=[_strip], validators=[Optional(), _valid_hours])
    owner_uscc = StringField(_l("Developer or manufacturer: credit code"),
                             filters=[_normalise_code], validators=[_owner_code])
    owner_name = StringField(_l("Developer or manufacturer: name (if not registered yet)"),
                             filters=[_strip], validators=[Length(max=200)])
    builder_uscc = StringField(_l("Builder: credit code (housing projects)"),
                               filters=[_normalise_code], validators=[_optional_code])
    builder_name = StringField(_l("Builder: name (if not registered yet)"), filters=[_strip],
                               validators=[Length(max=200)])
    brand = StringField(_l("Brand (product lines)"), filters=[_strip],
                        validators=[Length(max=100)])
    product_category = StringField(_l("Product category (product lines)"), filters=[_strip],
                                   validators=[Length(max=32)])
    dwellings = IntegerField(_l("Number of dwellings (housing projects)"), validators=[
        Optional(), NumberRange(min=0, message=_l("Must be zero or more.")),
        NumberRange(max=MAX_DWELLINGS, message=_l("At most %(max)s."))])
    delivered_on = DateField(_l("Delivery date (housing projects), e.g. 2025-06-30"),
                             validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)


class UploadForm(FlaskForm):
    """The file to import."""

    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file."))])


class ConfirmForm(FlaskForm):
    """Confirmation of a previewed upload, which stays on the server under `upload_id`."""

    upload_id = HiddenField(validators=[DataRequired(), Regexp(UPLOAD_ID)])
    only_valid = BooleanField(_l("Import only the valid rows"))
    cancel = BooleanField()


# ---- list, create, edit -------------------------------------------------------------------


def sectors_of(session) -> list[Sector]:
    return session.scalars(select(Sector).order_by(Sector.category_id, Sector.id)).all()
