"""VietQR (NAPAS 247) payment payloads: the text inside a bank-transfer QR code.

The payload is an EMVCo merchant-presented QR string, a sequence of TLV fields
(two-digit ID, two-digit length, value) closed by a CRC. Any Vietnamese banking
app scanning it pre-fills the beneficiary bank and account, the amount and the
transfer message, so a buyer pays the exact order total with the order code as
the message and staff can match the payment without asking.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["BANKS", "crc16_ccitt_false", "fold_message", "resolve_bank", "vietqr_payload"]

#: Common banks by short name → NAPAS bank identification number (BIN).
BANKS: dict[str, str] = {
    "Vietcombank": "970436",
    "VietinBank": "970415",
    "BIDV": "970418",
    "Agribank": "970405",
    "MB": "970422",
    "Techcombank": "970407",
    "ACB": "970416",
    "VPBank": "970432",
    "TPBank": "970423",
    "Sacombank": "970403",
    "VIB": "970441",
    "SHB": "970443",
    "HDBank": "970437",
    "OCB": "970448",
    "MSB": "970426",
    "SeABank": "970440",
    "Eximbank": "970431",
    "LPBank": "970449",
    "NamABank": "970428",
    "ABBANK": "970425",
    "VietABank": "970427",
    "BacABank": "970409",
    "BaoVietBank": "970438",
    "PVcomBank": "970412",
    "KienLongBank": "970452",
    "SCB": "970429",
    "NCB": "970419",
    "SaigonBank": "970400",
    "PGBank": "970430",
    "VietBank": "970433",
    "GPBank": "970408",
    "BVBank": "970454",
    "Shinhan": "970424",
    "Woori": "970457",
    "PublicBank": "970439",
    "IndovinaBank": "970434",
    "VRB": "970421",
    "CoopBank": "970446",
}

# Other names people commonly write for the same banks (stock tickers, full names).
_ALIASES: dict[str, str] = {
    "vcb": "Vietcombank",
    "ctg": "VietinBank",
    "vietin": "VietinBank",
    "mbbank": "MB",
    "militarybank": "MB",
    "quandoi": "MB",
    "tcb": "Techcombank",
    "vpb": "VPBank",
    "tpb": "TPBank",
    "stb": "Sacombank",
    "hdb": "HDBank",
    "phuongdong": "OCB",
    "maritimebank": "MSB",
}

# Tag 62 sub-field 08 ("purpose of transaction") holds at most 25 characters,
# and some banking apps reject anything outside plain ASCII letters and digits.
MAX_MESSAGE = 25

# EMVCo caps the amount field (tag 54) at 13 characters.
_MAX_AMOUNT = 10**13 - 1

_NAPAS_GUID = "A000000727"
_SERVICE_TO_ACCOUNT = "QRIBFTTA"  # transfer to an account number (vs QRIBFTTC: to a card)
_BIN = re.compile(r"\d{6}")
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR).

    The checksum EMVCo specifies for tag 63; ``b"123456789"`` gives ``0x29B1``.
    """
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def fold_message(message: str) -> str:
    """Transfer message as banks accept it: ASCII letters, digits and single spaces.

    Diacritics are removed ("Đơn DD-0042 chị Hà" → "Don DD0042 chi Ha"), other
    characters dropped, and the result cut to 25 characters.
    """
    kept = re.sub(r"[^0-9A-Za-z\s]", "", _strip_diacritics(message))
    return " ".join(kept.split())[:MAX_MESSAGE].rstrip()


def resolve_bank(name_or_bin: str) -> str:
    """The BIN for a bank given by short name, common alias or its own 6-digit BIN.

    Names are matched ignoring case, spaces, dashes and diacritics
    ("vietin bank", "MB Bank", "VCB"). A 6-digit BIN is returned as is, so
    banks missing from :data:`BANKS` still work. Raises :class:`ValueError`.
    """
    text = name_or_bin.strip()
    if _BIN.fullmatch(text):
        return text
    key = _name_key(text)
    for name, bank_bin in BANKS.items():
        if _name_key(name) == key:
            return bank_bin
    alias = _ALIASES.get(key) or _ALIASES.get(key.removesuffix("bank"))
    if alias is not None:
        return BANKS[alias]
    known = ", ".join(sorted(BANKS))
    raise ValueError(f"unknown bank {name_or_bin!r}: give a 6-digit BIN or one of {known}")


def vietqr_payload(bank_bin: str, account: str, amount: int | None, message: str) -> str:
    """Build the VietQR payload for a transfer to ``account`` at the bank ``bank_bin``.

    With an ``amount`` (whole đồng, positive) the code is *dynamic* (point of
    initiation "12": for one payment); without, it is *static* ("11") and the
    payer types the amount. The message is ASCII-folded and cut to 25
    characters (see :func:`fold_message`); an empty message omits tag 62.
    Raises :class:`ValueError` on a malformed BIN, account or amount.
    """
    if not _BIN.fullmatch(bank_bin):
        raise ValueError(f"bank BIN must be 6 digits, got {bank_bin!r} (see resolve_bank)")
    if not _ACCOUNT.fullmatch(account):
        raise ValueError(f"account must be 1-19 letters or digits, got {account!r}")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError(f"amount must be a whole number of đồng, got {amount!r}")
        if not 0 < amount <= _MAX_AMOUNT:
            raise ValueError(f"amount must be between 1 and {_MAX_AMOUNT} đồng, got {amount}")

    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant_account = (
        _tlv("00", _NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", _SERVICE_TO_ACCOUNT)
    )
    fields = [
        _tlv("00", "01"),  # payload format indicator
        _tlv("01", "11" if amount is None else "12"),  # point of initiation
        _tlv("38", merchant_account),
        _tlv("53", "704"),  # ISO 4217 numeric code of the đồng
    ]
    if amount is not None:
        fields.append(_tlv("54", str(amount)))
    fields.append(_tlv("58", "VN"))
    purpose = fold_message(message)
    if purpose:
        fields.append(_tlv("62", _tlv("08", purpose)))
    # The CRC covers everything before it including its own ID and length.
    body = "".join(fields) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _name_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", _strip_diacritics(name).casefold())


def _strip_diacritics(text: str) -> str:
    # "đ" is a letter of its own, not "d" with a mark, so NFD leaves it whole.
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
