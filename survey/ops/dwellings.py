"""Dwelling codes of housing projects: one response per dwelling per wave.

A dwelling code is a receipt code (:mod:`survey.ops.receipt_codes`) from a batch that
lists the dwelling of each serial (``ReceiptBatch.dwelling_labels``). A housing project's
survey accepts a response only with a valid code of one of its dwellings not yet used in
the wave; ``dwelling_use`` has a unique (project, wave, dwelling) key, so even two codes
of one dwelling sent at the same moment store one response.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import Engine, select

from survey.model import DwellingUse, Enterprise, ReceiptBatch
from survey.ops import receipts

HOUSING = "housing_project"
LABEL_MAX = 32
# First cells taken for a header row rather than a dwelling, in a labels file.
HEADERS = {"dwelling", "label", "住户", "住户号", "房号", "户号"}

MESSAGES = {
    "valid": ("住户码有效。", "The dwelling code is valid."),
    "missing": ("请输入住户码：本楼盘的测评每户每期只能填写一份。",
                "Please type your dwelling code: each dwelling of this housing project "
                "answers once per survey wave."),
    "used": ("该住户码对应的住户本期已经评价过，每户每期只能评价一次。",
             "This dwelling has already answered in this survey wave; each dwelling "
             "answers once."),
    "foreign": ("该住户码不属于本楼盘或本期测评。",
                "This dwelling code belongs to another housing project or survey wave."),
    "forged": ("住户码无效，请核对后重新输入。",
               "This is not a valid dwelling code; please check it and type it again."),
    "malformed": ("住户码格式不正确：应为10位字母或数字。",
                  "A dwelling code has 10 letters or digits; please check what was typed."),
}


@dataclass(frozen=True)
class DwellingVerdict:
    """Outcome of :func:`check`: the status, and for a valid code its dwelling and receipt."""

    status: str
    label: str | None = None
    receipt: receipts.Verdict | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    def message(self, lang: str = "zh_CN") -> str:
        """The respondent-facing message (``zh_CN`` or ``en``)."""
        return MESSAGES[self.status][0 if lang.startswith("zh") else 1]


def check(engine: Engine, key: bytes, code: str, enterprise_id: int,
          wave_id: int) -> DwellingVerdict:
    """Verdict on a typed dwelling code for this project and wave: valid (with its dwelling),
    missing, malformed, forged (also a plain receipt code), foreign, or used (the code, or
    its dwelling through another code, already answered in this wave)."""
    if not code.strip():
        return DwellingVerdict("missing")
    verdict = receipts.check(engine, key, code, enterprise_id, wave_id)
    if not verdict.ok:
        return DwellingVerdict(verdict.status)
    with engine.connect() as conn:
        labels, first = conn.execute(
            select(ReceiptBatch.dwelling_labels, ReceiptBatch.first_serial)
            .where(ReceiptBatch.number == verdict.batch_id)).one()
        if not labels or not 0 <= verdict.serial - first < len(labels):
            return DwellingVerdict("forged")
        label = labels[verdict.serial - first]
        used = conn.execute(select(DwellingUse.id).where(
            DwellingUse.enterprise_id == enterprise_id, DwellingUse.wave_id == wave_id,
            DwellingUse.label == label)).first()
    return DwellingVerdict("used" if used else "valid", label, verdict)


class LabelProblem(ValueError):
    """A labels file that cannot be used: ``code`` (too_long, repeated, empty) and ``row``."""

    def __init__(self, code: str, message: str, row: int = 0, first: int = 0):
        super().__init__(message)
        self.code, self.row, self.first = code, row, first


def labels_from_csv(text: str) -> list[str]:
    """Dwelling labels from a file with one label per row (first column; blank rows and a
    header row skipped). Raises LabelProblem naming the row of a label too long or repeated."""
    labels, seen = [], {}
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        label = (row[0] if row else "").strip()
        if not label or (number == 1 and label.lower() in HEADERS):
            continue
        if len(label) > LABEL_MAX:
            raise LabelProblem("too_long", f"row {number}: dwelling label longer than "
                               f"{LABEL_MAX} characters", number)
        if label in seen:
            raise LabelProblem("repeated", f"row {number}: dwelling {label!r} repeats row "
                               f"{seen[label]}", number, seen[label])
        seen[label] = number
        labels.append(label)
    if not labels:
        raise LabelProblem("empty", "the file lists no dwelling")
    return labels


def numbered_labels(project: Enterprise) -> list[str]:
    """Labels ``1 .. N`` for a project's ``dwellings`` count N (ValueError when unknown)."""
    if not project.dwellings or project.dwellings < 1:
        raise ValueError("the project's number of dwellings is not known: give a labels file")
    return [str(i) for i in range(1, project.dwellings + 1)]


def issue(session, key: bytes, project: Enterprise, wave, labels: list[str] | None = None,
          user=None) -> receipts.Issued:
    """Dwelling codes for a housing project and wave: one per label (default ``1..N``).

    The caller commits. Raises ValueError when the unit is not a housing project, a label
    is blank, too long or repeated, or there are more than ``receipts.MAX_COUNT``.
    """
    if project.kind != HOUSING:
        raise ValueError("dwelling codes are issued for housing projects only")
    labels = numbered_labels(project) if labels is None else [str(v).strip() for v in labels]
    if any(not v or len(v) > LABEL_MAX for v in labels) or len(set(labels)) != len(labels):
        raise ValueError(f"dwelling labels must be non-empty, unique and at most "
                         f"{LABEL_MAX} characters")
    return receipts.issue(session, key, project, wave, len(labels), user, labels=labels)
