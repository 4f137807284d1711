"""Log lines: JSON when asked, with request and show ids; never a phone number or a token."""

from __future__ import annotations

import io
import json
import logging

import pytest

from livesell.logs import REQUEST_ID, SHOW_ID, ContextFilter, redact, setup_logging


@pytest.mark.parametrize("text", [
    "order from 0912345678 failed", "phone +84 912 345 678 here", "0912.345.678",
    "sdt 0912-345-678", "84912345678",
])
def test_phones_are_blanked(text: str) -> None:
    assert "[phone]" in redact(text)
    assert not any(run in redact(text) for run in ("912345678", "345 678", "345.678", "345-678"))


def test_tokens_are_blanked() -> None:
    line = redact("Authorization: Bearer abcdefghijklmnop /o/DD-1?t=SeCrEtToKeN12 token=zzzzzzzz")
    assert "abcdefghijklmnop" not in line and "SeCrEtToKeN12" not in line
    assert "zzzzzzzz" not in line


def test_order_codes_and_amounts_survive() -> None:
    assert redact("order DD-0042 total 350000") == "order DD-0042 total 350000"


def test_json_lines_carry_ids_and_no_phone() -> None:
    out = io.StringIO()
    setup_logging("INFO", "json", stream=out)
    try:
        tokens = REQUEST_ID.set("req-1"), SHOW_ID.set("show-9")
        try:
            logging.getLogger("livesell.test").warning("buyer %s wrote", "0912345678")
        finally:
            REQUEST_ID.reset(tokens[0])
            SHOW_ID.reset(tokens[1])
        try:
            raise ValueError("contact 0987654321")
        except ValueError:
            logging.getLogger("livesell.test").exception("failed")
    finally:
        setup_logging("WARNING", "text")
        logging.getLogger().handlers.clear()
    first, second = (json.loads(line) for line in out.getvalue().splitlines() if line.strip())
    assert first["message"] == "buyer [phone] wrote"
    assert first["request_id"] == "req-1" and first["show_id"] == "show-9"
    assert first["level"] == "WARNING" and first["logger"] == "livesell.test"
    assert "0987654321" not in json.dumps(second)


def test_text_format_is_the_default() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "call %s", ("0912345678",), None)
    assert ContextFilter().filter(record)
    assert record.getMessage() == "call [phone]"
