"""Masking personal data in comments: examples, and generated numbers in Chinese text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.ops.masking import PROVINCES, findings, mask

WORDS = "服务态度很好价格便宜等待时间长环境干净我们店员热情，。！"
CHINESE = st.text(alphabet=st.sampled_from(WORDS), max_size=30)
DIGIT = st.sampled_from("0123456789")
SEP = st.sampled_from(["", "", " ", "-"])


@st.composite
def mobiles(draw):
    digits = "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(DIGIT, min_size=9,
                                                                          max_size=9)))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086-", "86"]))
    if prefix == "86":
        prefix = "+86"
    sep = draw(SEP)
    return prefix + digits[:3] + sep + digits[3:7] + sep + digits[7:], digits


@st.composite
def landlines(draw):
    area = "0" + "".join(draw(st.lists(DIGIT, min_size=2, max_size=3)))
    local = draw(st.sampled_from("2345678")) + "".join(draw(st.lists(DIGIT, min_size=6,
                                                                      max_size=7)))
    style = draw(st.sampled_from(["{a}-{l}", "{a}{l}", "({a}){l}", "（{a}）{l}", "{a} {l}"]))
    return style.format(a=area, l=local), area + local


@st.composite
def id_numbers(draw):
    body = draw(st.sampled_from("123456789")) + "".join(draw(st.lists(DIGIT, min_size=16,
                                                                      max_size=16)))
    last = draw(st.sampled_from("0123456789Xx"))
    return body + last, body + last


@st.composite
def card_numbers(draw):
    n = draw(st.integers(16, 19))
    digits = draw(st.sampled_from("3456789")) + "".join(draw(st.lists(DIGIT, min_size=n - 1,
                                                                      max_size=n - 1)))
    if draw(st.booleans()):
        return " ".join(digits[i:i + 4] for i in range(0, n, 4)), digits
    return digits, digits


@st.composite
def plates(draw):
    province = draw(st.sampled_from(PROVINCES))
    letter = draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    if draw(st.booleans()):  # new energy: D/F + 5, or 5 digits + D/F
        tail = draw(st.sampled_from("DF")) + "".join(draw(st.lists(DIGIT, min_size=5,
                                                                    max_size=5)))
    else:
        tail = "".join(draw(st.lists(st.sampled_from("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"),
                                     min_size=5, max_size=5)))
    sep = draw(st.sampled_from(["", "·", " "]))
    plate = province + letter + sep + tail
    return plate, plate


@st.composite
def emails(draw):
    user = draw(st.from_regex(r"[a-z][a-z0-9._]{0,10}[a-z0-9]", fullmatch=True))
    host = draw(st.from_regex(r"[a-z][a-z0-9]{1,8}", fullmatch=True))
    tld = draw(st.sampled_from(["com", "cn", "com.cn", "net"]))
    address = f"{user}@{host}.{tld}"
    return address, address


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


@settings(max_examples=150, deadline=None)
@given(before=CHINESE, after=CHINESE,
       secret=st.one_of(mobiles(), landlines(), id_numbers(), card_numbers(), plates(),
                        emails()))
def test_generated_personal_data_in_chinese_text_is_masked(before, after, secret):
    written, core = secret
    out = mask(f"{before}{written}{after}")
    assert written not in out and core not in out
    assert _digits(core) == "" or _digits(core) not in _digits(out)
    assert out.startswith(before) and out.endswith(after)


@settings(max_examples=150, deadline=None)
@given(text=CHINESE, number=st.integers(0, 99999))
def test_ordinary_text_with_short_numbers_is_untouched(text, number):
    samples = (text, f"{text}等了{number}分钟", f"价格{number}元，{text}", f"{text}第{number}桌")
    for sample in samples:
        assert mask(sample) == sample
        assert findings(sample) == []


@pytest.mark.parametrize(("text", "kind"), [
    ("请回电13812345678，谢谢", "mobile"),
    ("电话 +86 138-1234-5678", "mobile"),
    ("座机0411-87654321找王经理", "landline"),
    ("（0411）87654321", "landline"),
    ("身份证号21020219900101123X", "id"),
    ("邮箱 li.ming@example.com.cn", "email"),
    ("车牌辽B12345刮了", "plate"),
    ("新能源车辽BD12345停不了", "plate"),
    ("卡号6222 0212 3456 7890 123", "card"),
])
def test_known_examples_are_masked(text, kind):
    assert kind in findings(text)
    assert findings(mask(text)) == []


@pytest.mark.parametrize("text", ["2026年11月26日来店", "人均128元", "等了45分钟", "3号桌", "",
                                  "服务态度非常好！", "10点到12点人很多"])
def test_everyday_text_is_kept(text):
    assert mask(text) == text
