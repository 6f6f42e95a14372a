"""Reading and checking enterprise import files (CSV and XLSX); no Flask, no database.

`read_table` turns an uploaded file into rows of text or raises `ImportFileError` for a file
that cannot be used at all; `check` validates those rows against the known sectors and the
credit codes already registered and returns a `Report` listing every problem by row and
column. Cell text is kept as typed: nothing is evaluated, so a cell such as ``=1+2`` stays
the string ``"=1+2"``.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import unicodedata
import warnings
import zipfile
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath

from survey.ops import uscc

FIELDS = ("name", "uscc", "sector", "street", "customer_volume", "revenue")
REQUIRED = ("name", "uscc", "sector")
# Header spellings accepted for each field (compared after stripping and lower-casing).
ALIASES = {
    "name": ("名称", "企业名称", "name"),
    "uscc": ("统一社会信用代码", "信用代码", "uscc", "credit_code"),
    "sector": ("行业", "sector"),
    "street": ("街道", "园区", "街道/园区", "street"),
    "customer_volume": ("客户量", "customer_volume"),
    "revenue": ("营业收入", "revenue"),
}
_HEADER = {alias.lower(): name for name, aliases in ALIASES.items() for alias in aliases}
MAX_LENGTH = {"name": 200, "street": 100}
MAX_COLUMNS = 50
XLSX_MAGIC = b"PK\x03\x04"
# A workbook's XML is unpacked in memory: refuse archives that inflate beyond this.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; `code` says why, `detail` adds specifics."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Problem:
    """One problem of one row: spreadsheet row number (header = 1), field, kind, cell value."""

    row: int
    column: str
    code: str
    value: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Row:
    """A row that passed every check, ready to become an Enterprise."""

    number: int
    name: str
    uscc: str
    sector: str  # the sector's code
    street: str
    customer_volume: float | None
    revenue: float | None


@dataclass
class Report:
    """The outcome of checking a file: its valid rows and the problems of the others."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    @property
    def invalid(self) -> int:
        """How many data rows have at least one problem."""
        return len({p.row for p in self.problems})


def file_kind(filename: str) -> str:
    """'csv' or 'xlsx' from the file name's extension; anything else raises wrong_type."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise ImportFileError("wrong_type", suffix)


def read_table(filename: str, data: bytes, *, max_rows: int) -> list[tuple[int, list[str]]]:
    """The non-blank rows of the file as (row number, text cells), header first.

    Raises `ImportFileError` for an empty, undecodable, broken or over-long file or one
    that is not a CSV or XLSX spreadsheet.
    """
    kind = file_kind(filename)
    if not data.strip():
        raise ImportFileError("empty")
    if kind == "xlsx" or data.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(data, max_rows)
    else:
        rows = _csv_rows(decode_csv(data), max_rows)
    if len(rows) < 2:
        raise ImportFileError("empty")
    return rows


def decode_csv(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a GBK superset)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    if b"\x00" in data:
        raise ImportFileError("wrong_type", "binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _decode(data, "gb18030")


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError("undecodable", encoding) from exc


def _csv_rows(text: str, max_rows: int) -> list[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return _keep(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), max_rows)
    except csv.Error as exc:
        raise ImportFileError("broken_csv", str(exc)) from exc


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    _check_unpacked_size(data)
    try:
        # openpyxl warns about features it drops (data validation, styles); they don't matter.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
            try:
                sheet = book.worksheets[0]
                return _keep(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), max_rows)
            finally:
                book.close()
    except ImportFileError:
        raise
    except Exception as exc:  # damaged archives raise many kinds of error
        raise ImportFileError("broken_xlsx", type(exc).__name__) from exc


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportFileError("broken_xlsx", type(exc).__name__) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError("too_large", str(unpacked))


def _keep(rows, max_rows: int) -> list[tuple[int, list[str]]]:
    """Numbered rows of stripped text without blank rows; over max_rows data rows is refused."""
    kept = []
    for number, raw in enumerate(rows, start=1):
        cells = [cell_text(value) for value in raw[:MAX_COLUMNS]]
        if any(cells):
            kept.append((number, cells))
        if len(kept) > max_rows + 1:
            raise ImportFileError("too_many_rows", str(max_rows))
    return kept


def cell_text(value) -> str:
    """A cell's value as text: whole floats without '.0', dates in ISO form, None as ''.

    >>> cell_text(12.0), cell_text(" =1+2 "), cell_text(None)
    ('12', '=1+2', '')
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def columns(header: list[str], aliases: Mapping[str, tuple[str, ...]] | None = None,
            required: tuple[str, ...] = REQUIRED) -> dict[str, int]:
    """Map each known field to its column index; unknown columns are ignored.

    `aliases` (default: the enterprise fields) gives the header spellings of each field.
    Raises `ImportFileError` when a required column is missing or a field appears twice.
    """
    titles = _HEADER if aliases is None else {
        alias.lower(): name for name, spellings in aliases.items() for alias in spellings}
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        name = titles.get(unicodedata.normalize("NFKC", title).strip().lower())
        if name in found:
            raise ImportFileError("duplicate_column", title)
        if name:
            found[name] = index
    missing = [name for name in required if name not in found]
    if missing:
        raise ImportFileError("missing_columns", ", ".join(missing))
    return found


def sector_lookup(sectors) -> dict[str, str]:
    """Keys a file may use for a sector (code, Chinese or English name) → the sector's code."""
    lookup = {}
    for s in sectors:
        for key in (s.code, s.name_en, s.name_zh):
            lookup.setdefault(_key(key), s.code)
    return lookup


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


def check(
    table: list[tuple[int, list[str]]], sectors: Mapping[str, str], registered: Container[str]
) -> Report:
    """Validate every data row of `table` (from `read_table`); see `columns` for what it raises.

    `sectors` maps keys from `sector_lookup` to sector codes; `registered` holds the credit
    codes already in the database. A code repeated in the file is accepted at its first
    row and reported at the later ones.
    """
    index = columns(table[0][1])
    report = Report(total=len(table) - 1)
    first_seen: dict[str, int] = {}
    for number, cells in table[1:]:
        values = {f: cells[i] if i < len(cells) else "" for f, i in index.items()}
        row, problems = _check_row(number, values, sectors, registered, first_seen)
        report.problems.extend(problems)
        if not problems:
            report.rows.append(row)
    return report


def _check_row(number, values, sectors, registered, first_seen):
    problems = []

    def bad(column, code, detail=""):
        problems.append(Problem(number, column, code, values.get(column, ""), detail))

    for name, limit in MAX_LENGTH.items():
        if len(values.get(name, "")) > limit:
            bad(name, "too_long", str(limit))
    if not values["name"]:
        bad("name", "missing")
    code = _check_code(values["uscc"], number, registered, first_seen, bad)
    sector = sectors.get(_key(values["sector"]))
    if sector is None:
        bad("sector", "missing" if not values["sector"] else "unknown_sector")
    amounts = {f: _amount(values.get(f, ""), f, bad) for f in ("customer_volume", "revenue")}
    row = Row(number, values["name"], code, sector or "", values.get("street", ""), **amounts)
    return row, problems


def _check_code(text, number, registered, first_seen, bad) -> str:
    code = uscc.normalise(text)
    if not code:
        bad("uscc", "missing")
    elif (why := uscc.problem(code)) is not None:
        bad("uscc", "bad_uscc", why)
    elif code in first_seen:
        bad("uscc", "duplicate_in_file", str(first_seen[code]))
    elif code in registered:
        bad("uscc", "registered")
    first_seen.setdefault(code, number)
    return code


def _amount(text: str, column: str, bad) -> float | None:
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        bad(column, "not_a_number")
        return None
    if value < 0:
        bad(column, "negative")
        return None
    return value
