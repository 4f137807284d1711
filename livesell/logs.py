"""Logging set-up: plain text or JSON lines, with request and show ids, and no secrets.

Every record passes a filter that adds the request id and show id of the request being served
(context variables set by the HTTP middleware) and blanks what must never be written to a log:
phone numbers (a comment's text or a contact can end up in an error message) and tokens.
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("livesell_request_id", default=None)
SHOW_ID: ContextVar[str | None] = ContextVar("livesell_show_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Vietnamese mobiles in the spellings people type (0912 345 678, +84 912.345.678...), and any
# run of 9+ digits with light separators; bearer tokens, ?t= / token= query values.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_SECRET = re.compile(r"(?i)(bearer\s+|apikey\s+|[?&](?:t|token|key)=|token[\"']?\s*[:=]\s*[\"']?)"
                     r"[A-Za-z0-9._~+/=-]{6,}")


def redact(text: str) -> str:
    """``text`` with phone numbers and tokens blanked."""
    text = _PHONE.sub("[phone]", text)
    return _SECRET.sub(lambda m: m.group(1) + "[redacted]", text)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``show_id``; redacts phones and tokens from the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.show_id = getattr(record, "show_id", None) or SHOW_ID.get()
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record as it is
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info:
            # formatted here once, redacted; both formatters then print exc_text
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text), None
        return True


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    formatter: logging.Formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(show_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False)
    return formatter


def setup_logging(level: str = "INFO", fmt: str = "text", stream: Any = None) -> None:
    """Configure the root logger once for ``livesell serve`` (and friends)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
