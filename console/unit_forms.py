"""Labels and messages of the housing-project and product-line imports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from console import imports
from console.enterprise_forms import ROW_PROBLEMS as ENTERPRISE_PROBLEMS
from console.enterprise_forms import uscc_problem
from console.unit_imports import HOUSING, PRODUCTS

KIND_TITLES = {HOUSING: _l("Import housing projects"), PRODUCTS: _l("Import product lines")}
COLUMN_LABELS = {
    "name": _l("Name"),
    "developer_uscc": _l("Developer's credit code"),
    "developer_name": _l("Developer"),
    "builder_uscc": _l("Builder's credit code"),
    "builder_name": _l("Builder"),
    "street": _l("Street or park"),
    "dwellings": _l("Dwellings"),
    "delivered_on": _l("Delivery date"),
    "manufacturer_uscc": _l("Manufacturer's credit code"),
    "manufacturer_name": _l("Manufacturer"),
    "brand": _l("Brand"),
    "product_category": _l("Product category"),
}
ROW_PROBLEMS = {
    **ENTERPRISE_PROBLEMS,
    "duplicate_in_file": _l("The same unit is on row %(detail)s."),
    "unknown_organisation": _l("No organisation with the credit code %(detail)s is registered: "
                               "give its name in the name column."),
    "unknown_category": _l("Unknown product category: use one of %(detail)s."),
    "not_a_whole_number": _l("Not a whole number."),
    "out_of_range": _l("Out of range (%(detail)s)."),
    "bad_date": _l("Not a date: write it as YYYY-MM-DD, e.g. 2025-06-30."),
}


def row_problem(problem: imports.Problem) -> str:
    """The message for one problem of one row, in the request's language."""
    detail = uscc_problem(problem.detail) if problem.code == "bad_uscc" else problem.detail
    return str(ROW_PROBLEMS[problem.code]) % {"detail": detail}
