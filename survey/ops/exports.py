"""Microdata exports of a wave: CSV, XLSX and SPSS .sav with Chinese labels."""

from __future__ import annotations

import io
import os
import tempfile

import pandas as pd
import pyreadstat

import instruments
from survey.model import Wave
from survey.ops import frames
from survey.ops.cells import safe_frame

FIXED_LABELS = {
    "response_id": "答卷编号", "enterprise_id": "企业编号", "enterprise": "企业名称",
    "sector": "行业", "instrument_code": "问卷", "instrument_version": "问卷版本",
    "age_band": "年龄段", "sex": "性别", "residence": "居住地", "frequency": "使用频率",
    "wants_complaint": "要求投诉", "quarantined": "已隔离", "submitted_at": "提交时间",
    "comment": "留言",
}


def microdata(session, wave: Wave) -> pd.DataFrame:
    """One row per response with enterprise name and comment; items as numbers."""
    frame = frames.responses_frame(session, wave)
    if frame.empty:
        return frame
    names = frames.enterprises_frame(session).set_index("enterprise_id")["name"]
    frame.insert(2, "enterprise", frame["enterprise_id"].map(names))
    comments = frames.comments_frame(session, wave)
    frame = frame.merge(comments, on="response_id", how="left")
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"]).dt.strftime("%Y-%m-%d %H:%M")
    return frame


def labels(frame: pd.DataFrame) -> tuple[dict[str, str], dict[str, dict]]:
    """Chinese variable labels and value labels for the frame's columns."""
    variable, values = dict(FIXED_LABELS), {}
    for inst in instruments.load_all().values():
        for item in inst.items:
            variable.setdefault(item.code, item.label.zh_CN)
            values.setdefault(item.code, _value_labels(item))
        for q in inst.profile:
            variable[q.code] = q.label.zh_CN
    return ({c: variable.get(c, c) for c in frame.columns},
            {c: v for c, v in values.items() if c in frame.columns})


def _value_labels(item) -> dict:
    scale = item.scale
    if scale.kind == "rating":
        low, high = item.low or scale.low, item.high or scale.high
        return {float(scale.lo): low.zh_CN if low else str(scale.lo),
                float(scale.hi): high.zh_CN if high else str(scale.hi)}
    return {float(o.value): o.label.zh_CN for o in scale.options}


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel in China opens it correctly)."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """An XLSX workbook with Chinese column headers and the codes in a second sheet."""
    variable, _values = labels(frame)
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as book:
        safe_frame(frame).rename(columns=variable).to_excel(book, sheet_name="答卷", index=False)
        pd.DataFrame({"变量": list(variable), "标签": list(variable.values())}).to_excel(
            book, sheet_name="变量说明", index=False)
    return out.getvalue()


def to_sav(frame: pd.DataFrame) -> bytes:
    """An SPSS .sav file with Chinese variable and value labels (UTF-8)."""
    variable, values = labels(frame)
    data = frame.copy()
    for column in data.columns:
        if data[column].dtype == bool:
            data[column] = data[column].astype(int)
        elif not pd.api.types.is_numeric_dtype(data[column]):
            data[column] = data[column].astype(object).where(data[column].notna(), "")
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(data, path, column_labels=variable, variable_value_labels=values)
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(path)


WRITERS = {"csv": (to_csv, "text/csv"),
           "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           "sav": (to_sav, "application/x-spss-sav")}
