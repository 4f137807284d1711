"""Public display of names and phone numbers (invariant 6)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.masking import _unglue, contains_phone, mask_phone, mask_phones, short_name

# --- short_name -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "short"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("Trần thị bích ngọc", "Trần T. B. N."),
        ("  Lê   Hoàng  ", "Lê H."),
        ("Hà", "Hà"),
        ("Nguyễnvănanhthưxinh", "Nguyễnvănanh"),
        ("", "Khách"),
        ("   ", "Khách"),
        ("🌸🌸", "Khách"),
        ("🌸 Hoa 🌸 mai", "Hoa M."),
        ("Đặng Đức", "Đặng Đ."),
        ("đỗ đạt", "đỗ Đ."),
        ("Lan\u202e nè\u0007", "Lan N."),
        ("Bé\u200bNa", "Bé N."),
    ],
)
def test_short_name(full: str, short: str) -> None:
    assert short_name(full) == short


def test_short_name_normalises_combining_forms() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Ánh")
    assert short_name(decomposed) == "Nguyễn Á."
    assert short_name(decomposed) == unicodedata.normalize("NFC", short_name(decomposed))


def test_short_name_truncates_by_character_not_code_point() -> None:
    # "q" with marks has no precomposed form: each letter is three code points,
    # and a cut must not separate a letter from its marks.
    letter = unicodedata.normalize("NFC", "q\u0323\u0301")
    assert len(letter) == 3
    assert short_name(letter * 20) == letter * 12


def test_short_name_never_shows_a_phone() -> None:
    for name in ["0912345678", "Lan 0912 345 678", "+84912345678 Hùng"]:
        assert not contains_phone(short_name(name))


@given(st.text())
def test_short_name_is_first_word_plus_initials(full: str) -> None:
    short = short_name(full)
    assert short
    assert not any(unicodedata.category(ch).startswith("C") for ch in short)
    assert not contains_phone(short)
    first, *initials = short.split(" ")
    assert first
    assert len(first) <= 12 * 3  # at most 12 characters, each with its marks
    for initial in initials:
        assert initial.endswith(".") and len(initial) >= 2
        letter = initial[:-1]
        assert letter[0].isalnum() and all(unicodedata.combining(ch) for ch in letter[1:])


@given(st.lists(st.text(alphabet=st.characters(categories=["L"]), min_size=1), min_size=1))
def test_short_name_keeps_the_first_word_of_plain_names(words: list[str]) -> None:
    full = unicodedata.normalize("NFC", " ".join(words))
    first = full.split()[0]
    short = short_name(full)
    assert short.split(" ")[0] in first
    # words written together ("NguyenVanAn") count as the words they are
    assert len(short.split(" ")) <= len(_unglue(full).split())


# --- mask_phones / contains_phone ---------------------------------------------

PHONE_FORMS = [
    "0912345678",
    "0912 345 678",
    "0912.345.678",
    "0912-345-678",
    "091 234 5678",
    "+84912345678",
    "+84 912 345 678",
    "84912345678",
    "84 912-345-678",
    "+84 (0) 912.345.678",
    "(+84) 912 345 678",
    "０９１２３４５６７８",
    "0912\u200b345678",
]


@pytest.mark.parametrize("form", PHONE_FORMS)
def test_every_form_is_detected_and_masked(form: str) -> None:
    text = f"chốt A1 x2 {form} giao giờ hành chính"
    assert contains_phone(text)
    masked = mask_phones(text)
    assert not contains_phone(masked)
    assert masked.startswith("chốt A1 x2 ")
    assert masked.endswith(" giao giờ hành chính")
    assert "678 giao" in masked


@pytest.mark.parametrize("form", ["0912345678", "+84 912 345 678", "84912345678", "091.234.5678"])
def test_phones_mask_to_one_shape(form: str) -> None:
    assert mask_phones(form) == "09xx xxx 678"
    assert mask_phone(form) == "09xx xxx 678"


@pytest.mark.parametrize("network", "35789")
def test_every_mobile_network_prefix(network: str) -> None:
    phone = f"0{network}12345678"
    assert contains_phone(phone)
    assert mask_phones(phone) == f"0{network}xx xxx 678"


@pytest.mark.parametrize(
    "text",
    [
        "chốt A1 x2",
        "A1 2 hộp, B1 1",
        "giá 190.000 đ",
        "mã đơn DD-0042",
        "hẻm 12, số 34/5",
    ],
)
def test_text_without_a_mobile_is_left_alone(text: str) -> None:
    assert not contains_phone(text)
    assert mask_phones(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("0212345678", "02xx xxx 678"),  # landline prefix: not a mobile, still a long number
        ("091234567", "09xx xxx 567"),  # one digit short of a mobile
    ],
)
def test_long_numbers_that_are_not_mobiles_are_masked_anyway(text: str, masked: str) -> None:
    assert not contains_phone(text)
    assert mask_phones(text) == masked


def test_quantities_next_to_a_phone_survive() -> None:
    assert mask_phones("A1 2 0912 345 678") == "A1 2 09xx xxx 678"
    assert mask_phones("0912345678 5 hộp") == "09xx xxx 678 5 hộp"


def test_other_long_digit_runs_are_masked_too() -> None:
    assert mask_phones("stk 123456789012") == "stk 12xx xxx 012"
    assert mask_phones("09123456789") == "09xx xxx 789"
    assert mask_phones("so 1234 5678 9") == "so 12xx xxx 789"


def test_digits_between_two_phones_cannot_rebuild_a_number() -> None:
    masked = mask_phones("0912345678 0312345 0987654321")
    assert not contains_phone(masked)
    assert re.search(r"\d{9}", re.sub(r"[\s.\-]", "", masked)) is None


def test_mask_phone_requires_digits() -> None:
    with pytest.raises(ValueError):
        mask_phone("abc")


SEPARATORS = st.sampled_from(["", " ", ".", "-", " - ", "\u00a0", "\u200b", "  "])


@st.composite
def phone_in_any_form(draw: st.DrawFn) -> str:
    digits = (
        "0" + draw(st.sampled_from("35789")) + draw(st.text("0123456789", min_size=8, max_size=8))
    )
    prefix = draw(st.sampled_from(["0", "84", "+84", "+84 ", "84 0", "+84 (0) ", "(+84) "]))
    national = digits[1:]
    parts = [national[:2], national[2:5], national[5:]]
    groups = draw(st.sampled_from(["whole", "3-3-3", "digits"]))
    if groups == "whole":
        body = national
    elif groups == "3-3-3":
        body = draw(SEPARATORS).join(parts)
    else:
        body = "".join(ch + draw(SEPARATORS) for ch in national).rstrip()
    return prefix + body


NOISE = st.text(
    alphabet=st.sampled_from(list("abcđêô ABC .,-x#+()0123456789\n😀\u200b")), max_size=30
)


@given(NOISE, phone_in_any_form(), NOISE, st.sampled_from([" ", ": ", "\n", ", "]))
def test_no_phone_survives_masking(before: str, phone: str, after: str, glue: str) -> None:
    text = before + glue + phone + glue + after
    assert contains_phone(text)
    assert not contains_phone(mask_phones(text))


@given(st.text(alphabet=st.sampled_from(list("0123456789 .-+()x849")), max_size=60))
def test_no_phone_in_masked_digit_soup(text: str) -> None:
    assert not contains_phone(mask_phones(text))


NUMBER_CHARS = re.compile(r"[\dx\s+().\-\u2010-\u2015·_\u200b-\u200d\u2060\ufeff]")


@given(st.text())
def test_masking_only_touches_numbers(text: str) -> None:
    assert NUMBER_CHARS.sub("", mask_phones(text)) == NUMBER_CHARS.sub("", text)
