"""VietQR payloads: structure per EMVCo/NAPAS, checksum, validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livesell.domain.vietqr import (
    BANKS,
    crc16_ccitt_false,
    fold_message,
    resolve_bank,
    vietqr_payload,
)


def parse_tlv(text: str) -> dict[str, str]:
    """Split an EMVCo TLV string into {id: value}, refusing trailing or short fields."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        tag, length = text[pos : pos + 2], int(text[pos + 2 : pos + 4])
        value = text[pos + 4 : pos + 4 + length]
        assert len(value) == length, f"field {tag} is cut short"
        assert tag not in fields, f"field {tag} repeated"
        fields[tag] = value
        pos += 4 + length
    return fields


def test_crc_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_dynamic_payload_round_trips() -> None:
    payload = vietqr_payload("970436", "0123456789", 350_000, "Đơn DD-0042")
    fields = parse_tlv(payload)
    assert list(fields) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert fields["00"] == "01"
    assert fields["01"] == "12"
    merchant = parse_tlv(fields["38"])
    assert list(merchant) == ["00", "01", "02"]
    assert merchant["00"] == "A000000727"
    assert merchant["02"] == "QRIBFTTA"
    assert parse_tlv(merchant["01"]) == {"00": "970436", "01": "0123456789"}
    assert fields["53"] == "704"
    assert fields["54"] == "350000"
    assert fields["58"] == "VN"
    assert parse_tlv(fields["62"]) == {"08": "Don DD0042"}
    assert fields["63"] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"
    assert payload[-8:-4] == "6304"


def test_known_payload() -> None:
    # Built by hand from the spec, field by field, so a change in layout shows up here.
    expected_body = (
        "000201"
        "010212"
        "3854"
        "0010A000000727"
        "0124"
        "0006970436"
        "01100123456789"
        "0208QRIBFTTA"
        "5303704"
        "5406350000"
        "5802VN"
        "6214"
        "0810Don DD0042"
        "6304"
    )
    payload = vietqr_payload("970436", "0123456789", 350_000, "Đơn DD-0042")
    assert payload == expected_body + f"{crc16_ccitt_false(expected_body.encode()):04X}"


# Payloads as scanned from codes in circulation (bank-issued CRCs included): our
# builder must reproduce them character for character.
@pytest.mark.parametrize(
    ("args", "payload"),
    [
        (
            ("970422", "VQRQACLNP2680", 100_000, "Thanh toan don hang ABC"),
            "00020101021238570010A000000727012700069704220113VQRQACLNP26800208QRIBFTTA"
            "530370454061000005802VN62270823Thanh toan don hang ABC6304CE4C",
        ),
        (
            ("970418", "V3CAS6262723924", 375_000, "CSPZKHEL6A2 NTK O0004"),
            "00020101021238590010A000000727012900069704180115V3CAS62627239240208QRIBFTTA"
            "530370454063750005802VN62250821CSPZKHEL6A2 NTK O000463044729",
        ),
    ],
)
def test_matches_payloads_in_circulation(args: tuple[str, str, int, str], payload: str) -> None:
    assert vietqr_payload(*args) == payload


def test_static_payload_has_no_amount() -> None:
    fields = parse_tlv(vietqr_payload("970422", "MB12345", None, ""))
    assert fields["01"] == "11"
    assert "54" not in fields
    assert "62" not in fields


def test_crc_is_uppercase_hex() -> None:
    for amount in range(1, 60):
        crc = vietqr_payload("970415", "1", amount * 1000, "x")[-4:]
        assert crc == crc.upper() and int(crc, 16) >= 0


@given(
    bank_bin=st.sampled_from(sorted(BANKS.values())),
    account=st.text("0123456789ABCXYZ", min_size=1, max_size=19),
    amount=st.none() | st.integers(min_value=1, max_value=10**13 - 1),
    message=st.text(max_size=60),
)
def test_any_valid_input_round_trips(
    bank_bin: str, account: str, amount: int | None, message: str
) -> None:
    payload = vietqr_payload(bank_bin, account, amount, message)
    assert payload.isascii()
    fields = parse_tlv(payload)
    assert int(fields["63"], 16) == crc16_ccitt_false(payload[:-4].encode())
    beneficiary = parse_tlv(parse_tlv(fields["38"])["01"])
    assert beneficiary == {"00": bank_bin, "01": account}
    assert fields.get("54") == (None if amount is None else str(amount))
    purpose = parse_tlv(fields["62"])["08"] if "62" in fields else ""
    assert purpose == fold_message(message)
    assert len(purpose) <= 25


@pytest.mark.parametrize(
    ("message", "folded"),
    [
        ("Đơn DD-0042 chị Hà", "Don DD0042 chi Ha"),
        ("  cảm   ơn  ", "cam on"),
        ("Thanh toán đơn hàng cua gạch Đầm Dơi", "Thanh toan don hang cua g"),
        ("🦀🦀", ""),
    ],
)
def test_fold_message(message: str, folded: str) -> None:
    assert fold_message(message) == folded


@pytest.mark.parametrize(
    ("bank_bin", "account", "amount"),
    [
        ("97043", "0123", 1),
        ("9704366", "0123", 1),
        ("97043a", "0123", 1),
        ("970436", "", 1),
        ("970436", "0" * 20, 1),
        ("970436", "0123-456", 1),
        ("970436", "0123 456", 1),
        ("970436", "0123", 0),
        ("970436", "0123", -5),
        ("970436", "0123", 10**13),
    ],
)
def test_invalid_input_is_refused(bank_bin: str, account: str, amount: int) -> None:
    with pytest.raises(ValueError):
        vietqr_payload(bank_bin, account, amount, "")


def test_non_integer_amount_is_refused() -> None:
    with pytest.raises(ValueError):
        vietqr_payload("970436", "0123", 1.5, "")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        vietqr_payload("970436", "0123", True, "")


def test_banks_table() -> None:
    assert len(BANKS) >= 15
    assert BANKS["Vietcombank"] == "970436"
    assert BANKS["VietinBank"] == "970415"
    assert BANKS["BIDV"] == "970418"
    assert BANKS["Agribank"] == "970405"
    assert all(len(b) == 6 and b.isdigit() for b in BANKS.values())
    assert len(set(BANKS.values())) == len(BANKS)


@pytest.mark.parametrize(
    ("name", "bank_bin"),
    [
        ("Vietcombank", "970436"),
        ("vietcombank", "970436"),
        ("VCB", "970436"),
        ("Vietin Bank", "970415"),
        ("MB Bank", "970422"),
        ("mb", "970422"),
        ("Techcombank", "970407"),
        ("Sacombank", "970403"),
        ("970999", "970999"),
        (" 970436 ", "970436"),
    ],
)
def test_resolve_bank(name: str, bank_bin: str) -> None:
    assert resolve_bank(name) == bank_bin


@pytest.mark.parametrize("name", ["", "Ngân hàng ma", "97043", "9704361"])
def test_resolve_bank_refuses_unknown(name: str) -> None:
    with pytest.raises(ValueError, match="unknown bank"):
        resolve_bank(name)
