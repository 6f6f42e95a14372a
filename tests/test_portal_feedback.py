"""Comments and complaints for the enterprise: k threshold, masking, filters, topics, replies."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import select

from survey.model import ComplaintReply
from tests.portal_support import (  # noqa: F401  (fixtures)
    csrf,
    fresh,
    make_enterprise_user,
    make_response,
    portal_login,
    two_tenants,
)

PII = "请联系我13812345678或0411-87654321，身份证21020219900101123X，车牌辽BD12345"


def _comments(client, wave_id, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/portal/comments?wave={wave_id}&{query}").get_data(as_text=True)


def test_comments_appear_only_from_k_counted_responses(  # noqa: F811
        app, client, make_link, make_response, make_enterprise_user):  # noqa: F811
    link = make_link()
    user = make_enterprise_user(link)
    rows = [make_response(link, comment=f"第{k}条留言", complaint=k == 0) for k in range(4)]
    make_response(link, comment="被隔离的留言", quarantined=True)
    portal_login(client, user.email)
    page = _comments(client, link.wave_id)
    assert 'id="below-k"' in page and "第1条留言" not in page
    assert client.get(f"/portal/complaints/{rows[0].id}").status_code == 404
    make_response(link, comment="第五条")
    page = _comments(client, link.wave_id)
    assert 'id="below-k"' not in page and "第1条留言" in page and "第五条" in page
    assert client.get(f"/portal/complaints/{rows[0].id}").status_code == 200
    app.config["COMMENT_MIN_RESPONSES"] = 6
    assert 'id="below-k"' in _comments(client, link.wave_id)


def test_personal_data_never_reaches_the_enterprise(client, two_tenants, make_response):  # noqa: F811
    ours = two_tenants[0]
    row = make_response(ours.link, value=2, comment=PII, complaint=True)
    portal_login(client, ours.user.email)
    wave = ours.link.wave_id
    pages = [_comments(client, wave), client.get(f"/portal/complaints?wave={wave}"),
             client.get(f"/portal/complaints/{row.id}"),
             client.get(f"/portal/responses/{row.id}/appeal"),
             client.get(f"/portal/waves/{wave}/responses.csv")]
    texts = [p if isinstance(p, str) else p.get_data(as_text=True) for p in pages]
    book = openpyxl.load_workbook(io.BytesIO(
        client.get(f"/portal/waves/{wave}/responses.xlsx").data))
    texts.append(" ".join(str(c.value) for r in book.worksheets[0].iter_rows() for c in r))
    for text in texts:
        for secret in ("13812345678", "87654321", "21020219900101123X", "辽BD12345",
                       "ip-secret-hash", "device-secret-hash"):
            assert secret not in text
    assert "〔电话已隐藏〕" in texts[0] and "〔车牌已隐藏〕" in texts[-1]
    header = texts[4].splitlines()[0]
    assert "ip_hash" not in header and "quarantined" not in header and "comment" in header


def test_filters_by_rating_and_topic(client, two_tenants, make_response):  # noqa: F811
    ours = two_tenants[0]
    make_response(ours.link, value=2, comment="价格太贵了")
    portal_login(client, ours.user.email)
    wave = ours.link.wave_id
    low = _comments(client, wave, rating="low")
    assert "价格太贵了" in low and "ours 评论5" not in low  # value 8 is not low
    high = _comments(client, wave, rating="high")
    assert "ours 评论5" in high and "价格太贵了" not in high
    price = _comments(client, wave, topic="price")
    assert "价格太贵了" in price and "ours 评论1" not in price
    dashboard = client.get(f"/portal/?wave={wave}").get_data(as_text=True)
    topics = dashboard.split('id="topics"', 1)[1].split("</ul>", 1)[0]
    assert "topic=price" in topics and "topic=attitude" in topics
    assert ">服务态度</a>: 6" in topics and ">价格</a>: 1" in topics


def test_reply_and_mark_handled(client, two_tenants, db_session):  # noqa: F811
    ours = two_tenants[0]
    complaint = ours.responses[0]
    portal_login(client, ours.user.email)
    path = f"/portal/complaints/{complaint.id}"
    token = csrf(client, path)
    for bad in ("", "  ", "长" * 2001):
        client.post(f"{path}/reply", data={"csrf_token": token, "body": bad})
    assert db_session.scalar(select(ComplaintReply)) is None
    fresh(db_session)
    client.post(f"{path}/reply", data={"csrf_token": token, "body": "已致电顾客道歉"})
    client.post(f"{path}/reply", data={"csrf_token": token, "body": "已退款", "handled": "1"})
    page = client.get(path).get_data(as_text=True)
    assert "已致电顾客道歉" in page and "已退款" in page and "标记办结" in page
    replies = db_session.scalars(select(ComplaintReply)).all()
    assert [r.marks_handled for r in replies] == [False, True]
    assert {r.enterprise_id for r in replies} == {ours.link.enterprise_id}


def test_a_response_without_complaint_has_no_complaint_page(client, two_tenants):  # noqa: F811
    ours = two_tenants[0]
    portal_login(client, ours.user.email)
    assert client.get(f"/portal/complaints/{ours.responses[1].id}").status_code == 404


def test_own_posters(client, two_tenants):  # noqa: F811
    ours = two_tenants[0]
    portal_login(client, ours.user.email)
    one = client.get(f"/portal/links/{ours.link.id}/poster.pdf")
    assert one.status_code == 200 and one.data.startswith(b"%PDF")
    bundle = client.get(f"/portal/waves/{ours.link.wave_id}/posters.zip")
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert names == [f"poster-{ours.link.id}.pdf"]


def test_a_complaint_without_comment_is_listed_for_a_reply(client, two_tenants,  # noqa: F811
                                                          make_response):  # noqa: F811
    ours = two_tenants[0]
    silent = make_response(ours.link, value=2, comment="", complaint=True)
    portal_login(client, ours.user.email)
    listing = client.get(f"/portal/complaints?wave={ours.link.wave_id}").get_data(as_text=True)
    assert f'id="c{silent.id}"' in listing
    assert f'id="c{silent.id}"' not in _comments(client, ours.link.wave_id)
    assert client.get(f"/portal/complaints/{silent.id}").status_code == 200
