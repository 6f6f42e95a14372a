"""Microdata exports: CSV, XLSX and SPSS files with Chinese labels, formulas neutralised."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from survey.ops.cells import neutralise
from tests.conftest import csrf_and_key
from tests.test_console import login, make_user  # noqa: F401
from tests.test_survey import full_answers


@pytest.fixture
def wave_with_answers(client, make_link, db_session):
    link = make_link()
    for comment in ("=HYPERLINK(\"http://x\")", "上菜快", "+1 非常好", "@SUM(A1)"):
        client.delete_cookie("manyi_device", path="/s/")  # one phone each
        fields = csrf_and_key(client.get(f"/s/{link.token}").get_data(as_text=True))
        data = fields | full_answers(value="9") | {"comment": comment, "sex": "female"}
        assert client.post(f"/s/{link.token}", data=data).status_code == 303
    return link


@pytest.mark.parametrize(("value", "safe"), [("=1+1", "'=1+1"), ("+86 138", "'+86 138"),
                                             ("-2", "'-2"), ("@x", "'@x"), ("好", "好"),
                                             (3, 3)])
def test_neutralise(value, safe):
    assert neutralise(value) == safe


def test_exports_need_a_bureau_login(client, wave_with_answers, make_user):  # noqa: F811
    url = f"/console/waves/{wave_with_answers.wave_id}/responses.csv"
    assert client.get(url).status_code == 302
    login(client, make_user("enterprise", enterprise_id=wave_with_answers.enterprise_id).email)
    assert client.get(url).status_code == 403


def test_csv_export(client, wave_with_answers, make_user):  # noqa: F811
    login(client, make_user("analyst").email)
    reply = client.get(f"/console/waves/{wave_with_answers.wave_id}/responses.csv")
    assert reply.data.startswith("\ufeff".encode())
    frame = pd.read_csv(io.BytesIO(reply.data), encoding="utf-8-sig")
    assert len(frame) == 4 and set(frame["sat_overall"]) == {9}
    expected = {"'=HYPERLINK(\"http://x\")", "上菜快", "'+1 非常好", "'@SUM(A1)"}
    assert set(frame["comment"]) == expected


def test_xlsx_export_has_chinese_headers(client, wave_with_answers, make_user):  # noqa: F811
    login(client, make_user("analyst").email)
    reply = client.get(f"/console/waves/{wave_with_answers.wave_id}/responses.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(reply.data))
    sheet = book["答卷"]
    headers = [c.value for c in sheet[1]]
    assert "企业名称" in headers and "留言" in headers
    comments = [row[headers.index("留言")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(not str(c).startswith(("=", "+", "@")) for c in comments)
    assert book["变量说明"].max_row > 10


def test_sav_export_has_variable_and_value_labels(client, wave_with_answers, make_user,  # noqa: F811
                                                  tmp_path):
    login(client, make_user("admin").email)
    reply = client.get(f"/console/waves/{wave_with_answers.wave_id}/responses.sav")
    path = tmp_path / "r.sav"
    path.write_bytes(reply.data)
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) == 4
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["enterprise"] == "企业名称" and "满意" in labels["sat_overall"]
    assert meta.variable_value_labels["sat_overall"][10.0] == "非常满意"
    assert meta.variable_value_labels["cmp_filed"] == {1.0: "是", 0.0: "否"}
