"""Properties of the comment parser, checked on generated comments."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livesell.domain.catalog import load_catalog_file
from livesell.domain.parser import MAX_TEXT, Intent, Parser, lineup_product
from livesell.domain.textnorm import normalize

CATALOG = Path(__file__).resolve().parent.parent / "data" / "parser_catalog.yaml"
LINEUP = [lineup_product(p) for p in load_catalog_file(CATALOG)]

PARSER = Parser(LINEUP, pinned="A1", max_qty=50)
SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Text that looks like comments: Vietnamese letters, digits, separators, emoji and the
# characters the normaliser must fold or drop.
VIET = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
ALPHABET = VIET + VIET.upper() + "0123456789 .,-+*×?!#@[]/:()x\u200b\u0301🦀❤️ＡＢ１２"
WORDS = [
    "chốt", "chot", "lấy", "mua", "hủy", "huy", "không", "ko", "giá", "bn", "còn", "đã", "rồi",
    "x2", "2x", "*3", "sl", "số lượng", "hũ", "hộp", "kg", "ký", "500g", "1kg", "0.5l", "nửa",
    "A1", "a2", "B1", "b2", "C3", "#c2", "mã", "Z9", "q7", "thứ", "2026", "250k", "190.000đ",
    "hai", "ba", "năm", "mười", "+1", "+2", "?", ",", "và", "cua muối", "mật ong", "🦀",
    "0912345678", "+84 912 345 678", "123456789012", "https://x.vn/a", "@shop", "[fan]",
]
comment_like = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.integers(min_value=0, max_value=99_999).map(str),
        st.text(ALPHABET, max_size=8),
    ),
    max_size=14,
).map(" ".join)


def check_intent(intent: Intent, max_qty: int = 50) -> None:
    assert intent.kind in {"order", "cancel", "question", "chat", "review"}
    assert 0.0 <= intent.confidence <= 1.0
    assert intent.reason
    if intent.phone is not None:
        assert len(intent.phone) == 10 and intent.phone.isdigit()
        assert intent.phone[0] == "0" and intent.phone[1] in "35789"
    if intent.kind in ("chat", "review"):
        assert intent.items == ()
    for item in intent.items:
        assert isinstance(item.qty, int) and 1 <= item.qty <= max_qty


@SETTINGS
@given(st.text(max_size=MAX_TEXT))
def test_never_raises_on_any_text(text: str) -> None:
    check_intent(PARSER.parse(text))


@SETTINGS
@given(st.text(ALPHABET, max_size=MAX_TEXT))
def test_never_raises_on_comment_alphabet(text: str) -> None:
    check_intent(PARSER.parse(text))


@SETTINGS
@given(comment_like, st.integers(min_value=1, max_value=200))
def test_quantities_are_bounded_or_review(text: str, max_qty: int) -> None:
    check_intent(PARSER.parse(text), 50)
    check_intent(Parser(LINEUP, "A2", max_qty).parse(text), max_qty)


@SETTINGS
@given(st.one_of(st.text(), st.text(ALPHABET), comment_like))
def test_normalize_is_idempotent_and_ascii(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once.isascii() and len(once) <= MAX_TEXT
    assert once == once.strip() and "  " not in once


def phone_forms(prefix: str, rest: str) -> list[str]:
    """The ways viewers write the mobile number 0<prefix><rest>."""
    local = "0" + prefix + rest
    intl = prefix + rest
    return [
        local,
        f"{local[:4]}.{local[4:7]}.{local[7:]}",
        f"{local[:4]}-{local[4:7]}-{local[7:]}",
        f"{local[:3]} {local[3:6]} {local[6:]}",
        f"{local[:4]} {local[4:7]} {local[7:]}",
        f"+84 {intl[:3]} {intl[3:6]} {intl[6:]}",
        f"+84{intl}",
        f"84{intl}",
    ]


ORDERS = [
    "chốt A2 x2",
    "A2 3",
    "3 A2",
    "lấy 4 hũ",
    "c3 x2, d1 x3",
    "chốt a1 1kg 2 hộp",
    "+2",
    "sl 5",
    "hủy A2",
    "A2 hai hũ",
]


@SETTINGS
@given(
    st.sampled_from(ORDERS),
    st.sampled_from("35789"),
    st.text("0123456789", min_size=8, max_size=8),
    st.integers(min_value=0, max_value=7),
    st.sampled_from(["start", "end", "middle"]),
    st.sampled_from(["", "sđt ", "sdt: ", "zalo "]),
)
def test_phone_digits_never_become_quantities(
    order: str, prefix: str, rest: str, form: int, where: str, label: str
) -> None:
    phone = label + phone_forms(prefix, rest)[form]
    words = order.split(" ")
    if where == "start":
        text = f"{phone} {order}"
    elif where == "end":
        text = f"{order} {phone}"
    else:
        cut = len(words) // 2 + 1
        text = " ".join([*words[:cut], phone, *words[cut:]])
    plain = PARSER.parse(order)
    with_phone = PARSER.parse(text)
    assert with_phone.phone == "0" + prefix + rest
    assert (with_phone.kind, with_phone.items) == (plain.kind, plain.items)
