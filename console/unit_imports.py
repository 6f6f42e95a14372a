"""Checking import files of housing projects and product lines; no Flask, no database.

The rows come from `imports.read_table`. `check_units` validates them against the
organisations already registered (credit code → name) and returns an `imports.Report`
whose rows are `HousingRow` or `ProductRow`. A credit code unknown to the database needs a
name on its row or on an earlier row of the file, so that its organisation can be created.
A unit's natural key (housing: project name, street, developer; product line: manufacturer,
brand, line name) may appear once per file; a key already registered is updated on import.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from console import imports
from survey.ops import uscc

HOUSING = "housing_project"
PRODUCTS = "product_line"
# The product sector codes a product line may belong to (the contract of issue 16).
PRODUCT_CATEGORIES = ("product_food", "product_appliance", "product_children",
                      "product_building")
HOUSING_SECTOR = "housing"

ALIASES = {
    HOUSING: {
        "name": ("楼盘名称", "项目名称", "楼盘", "小区", "name"),
        "developer_uscc": ("开发商统一社会信用代码", "开发商信用代码", "developer_uscc"),
        "developer_name": ("开发商", "开发商名称", "developer", "developer_name"),
        "builder_uscc": ("施工单位统一社会信用代码", "施工单位信用代码", "builder_uscc"),
        "builder_name": ("施工单位", "施工单位名称", "builder", "builder_name"),
        "street": ("街道", "street"),
        "dwellings": ("户数", "套数", "dwellings"),
        "delivered_on": ("交付日期", "交房日期", "delivery_date", "delivered_on"),
    },
    PRODUCTS: {
        "manufacturer_uscc": ("生产企业统一社会信用代码", "生产企业信用代码", "统一社会信用代码",
                              "manufacturer_uscc"),
        "manufacturer_name": ("生产企业", "生产企业名称", "manufacturer", "manufacturer_name"),
        "brand": ("品牌", "brand"),
        "product_category": ("产品类别", "类别", "product_category", "category"),
        "name": ("产品线", "产品线名称", "产品名称", "line_name", "name"),
    },
}
REQUIRED = {HOUSING: ("name", "developer_uscc"),
            PRODUCTS: ("manufacturer_uscc", "brand", "product_category", "name")}
# Each organisation column pair: (credit code column, name column).
ORGANISATIONS = {HOUSING: (("developer_uscc", "developer_name"),
                           ("builder_uscc", "builder_name")),
                 PRODUCTS: (("manufacturer_uscc", "manufacturer_name"),)}
MAX_LENGTH = {"name": 200, "street": 100, "brand": 100, "developer_name": 200,
              "builder_name": 200, "manufacturer_name": 200}
MAX_DWELLINGS = 100_000
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ]00:00(?::00)?)?$")


@dataclass(frozen=True)
class HousingRow:
    """A housing project row that passed every check."""

    number: int
    name: str
    street: str
    developer: str  # credit code
    builder: str | None
    dwellings: int | None
    delivered_on: dt.date | None
    names: dict  # credit code → organisation name given in the file

    @property
    def key(self) -> tuple:
        """The natural key: (project name, street, developer's credit code)."""
        return (self.name, self.street, self.developer)


@dataclass(frozen=True)
class ProductRow:
    """A product line row that passed every check."""

    number: int
    name: str
    manufacturer: str  # credit code
    brand: str
    product_category: str  # a code of PRODUCT_CATEGORIES
    names: dict

    @property
    def key(self) -> tuple:
        """The natural key: (manufacturer's credit code, brand, line name)."""
        return (self.manufacturer, self.brand, self.name)


def text_key(text: str) -> str:
    """Text compared loosely: NFKC-normalised, stripped and lower-cased."""
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def category_lookup(sectors) -> dict[str, str]:
    """Keys a file may use for a product category (code, Chinese or English sector name)."""
    lookup: dict[str, str] = {}
    for s in sectors:
        if s.code in PRODUCT_CATEGORIES:
            for key in (s.code, s.name_zh, s.name_en):
                lookup.setdefault(text_key(key), s.code)
    return lookup


def check_units(kind: str, table: list[tuple[int, list[str]]], known: Mapping[str, str],
                categories: Mapping[str, str] | None = None) -> imports.Report:
    """Validate every data row of `table` as units of `kind` (HOUSING or PRODUCTS).

    `known` maps registered organisations' credit codes to their names; `categories` maps
    keys from `category_lookup` to product sector codes. Raises `imports.ImportFileError`
    for missing or repeated columns.
    """
    index = imports.columns(table[0][1], ALIASES[kind], REQUIRED[kind])
    report = imports.Report(total=len(table) - 1)
    state = {"names": dict(known), "keys": {}}
    for number, cells in table[1:]:
        values = {f: cells[i] if i < len(cells) else "" for f, i in index.items()}
        row, problems = _check_row(kind, number, values, state, categories or {})
        report.problems.extend(problems)
        if not problems:
            report.rows.append(row)
    return report


def _check_row(kind, number, values, state, categories):
    problems: list[imports.Problem] = []

    def bad(column, code, detail=""):
        problems.append(imports.Problem(number, column, code, values.get(column, ""), detail))

    for column, limit in MAX_LENGTH.items():
        if len(values.get(column, "")) > limit:
            bad(column, "too_long", str(limit))
    for column in REQUIRED[kind]:
        if not values.get(column) and not column.endswith("_uscc"):
            bad(column, "missing")
    codes = [_organisation(values, code_col, name_col, state["names"], bad,
                           required=code_col in REQUIRED[kind])
             for code_col, name_col in ORGANISATIONS[kind]]
    if kind == HOUSING:
        row = HousingRow(number, values["name"], values.get("street", ""), codes[0], codes[1],
                         _dwellings(values.get("dwellings", ""), bad),
                         _date(values.get("delivered_on", ""), bad), {})
    else:
        category = categories.get(text_key(values["product_category"]))
        if values["product_category"] and category is None:
            bad("product_category", "unknown_category", ", ".join(PRODUCT_CATEGORIES))
        row = ProductRow(number, values["name"], codes[0], values["brand"], category or "", {})
    if not problems:
        _check_key(row, state["keys"], bad)
    if not problems:
        row.names.update({c: state["names"][c] for c in codes if c})
    return row, problems


def _organisation(values, code_col, name_col, names, bad, *, required) -> str | None:
    """The row's credit code of one organisation (None when optional and empty)."""
    code = uscc.normalise(values.get(code_col, ""))
    name = values.get(name_col, "")
    if not code:
        if required:
            bad(code_col, "missing")
        elif name:
            bad(code_col, "missing")  # a builder named without a code cannot be told apart
        return None
    why = uscc.problem(code)
    if why is not None:
        bad(code_col, "bad_uscc", why)
        return code
    if code not in names:
        if not name:
            bad(name_col if name_col in values else code_col, "unknown_organisation", code)
            return code
        if len(name) <= MAX_LENGTH[name_col]:
            names[code] = name
    return code


def _check_key(row, seen: dict, bad) -> None:
    key = tuple(text_key(part or "") for part in row.key)
    if key in seen:
        bad("name", "duplicate_in_file", str(seen[key]))
    else:
        seen[key] = row.number


def _dwellings(text: str, bad) -> int | None:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    if not re.fullmatch(r"\d+", cleaned):
        bad("dwellings", "not_a_whole_number")
        return None
    value = int(cleaned)
    if not 1 <= value <= MAX_DWELLINGS:
        bad("dwellings", "out_of_range", f"1–{MAX_DWELLINGS}")
        return None
    return value


def _date(text: str, bad) -> dt.date | None:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        return None
    match = _DATE.match(cleaned)
    try:
        if match is None:
            raise ValueError(cleaned)
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        bad("delivered_on", "bad_date")
        return None
