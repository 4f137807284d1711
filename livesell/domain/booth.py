"""The booth: the standing shop that takes orders between shows, and planned shows.

The booth is a show that is always open (``kind = "booth"``, id ``booth``): its lineup is the
whole catalog, and a booth order goes through the same capture as a comment — the same
holds, caps, waitlist, review and staff console — but from a form, so there is nothing to
guess: the buyer picked each size and quantity and typed a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import Invalid
from .models import Contact, Product, Show

BOOTH_ID = "booth"
BOOTH_KIND = "booth"
MAX_LINES = 20
MAX_NAME = 80
MAX_ADDRESS = 300
_PHONE = re.compile(r"0[35789]\d{8}")
_SEPARATORS = re.compile(r"[\s.\-()]")


@dataclass(frozen=True, slots=True)
class BoothLine:
    code: str
    variant: str
    qty: int


@dataclass(frozen=True, slots=True)
class BoothOrder:
    """A validated booth form: what to hold and who for."""

    lines: tuple[BoothLine, ...]
    contact: Contact

    @property
    def summary(self) -> str:
        """The order as a comment would say it, for the staff console and the audit trail."""
        return ", ".join(f"{line.code} {line.variant} x{line.qty}".replace("  ", " ")
                         for line in self.lines)


def normalise_phone(text: str) -> str:
    """A Vietnamese mobile number as ``0xxxxxxxxx``; Invalid for anything else."""
    digits = _SEPARATORS.sub("", text.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _PHONE.fullmatch(digits):
        raise Invalid("field 'phone' must be a Vietnamese mobile number (10 digits)",
                      field="phone")
    return digits


def _text(body: Mapping[str, Any], key: str, limit: int, required: bool) -> str:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise Invalid(f"field '{key}' is required", field=key)
        return ""
    if not isinstance(value, str):
        raise Invalid(f"field '{key}' must be text", field=key)
    value = " ".join(value.split())
    if len(value) > limit:
        raise Invalid(f"field '{key}' must be at most {limit} characters", field=key)
    return value


def read_booth_order(body: Any, catalog: Sequence[Product], max_qty: int) -> BoothOrder:
    """Validate a booth form against the catalog; Invalid names the first bad field."""
    if not isinstance(body, Mapping):
        raise Invalid("request body must be a JSON object")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise Invalid("field 'items' must list at least one product", field="items")
    if len(items) > MAX_LINES:
        raise Invalid(f"field 'items' takes at most {MAX_LINES} lines", field="items")
    products = {p.code.upper(): p for p in catalog}
    merged: dict[tuple[str, str], int] = {}
    for item in items:
        if not isinstance(item, Mapping):
            raise Invalid("each item must be an object", field="items")
        code, variant, qty = item.get("code"), item.get("variant", ""), item.get("qty", 1)
        if not isinstance(code, str) or code.upper() not in products:
            raise Invalid(f"unknown product {str(code)[:20]!r}", field="items")
        product = products[code.upper()]
        if not isinstance(variant, str):
            raise Invalid("field 'variant' must be text", field="items")
        labels = [v.label for v in product.variants]
        if variant not in labels:
            if variant == "" and len(labels) == 1:
                variant = labels[0]
            else:
                raise Invalid(f"choose a size of {product.code}", field="items")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= max_qty:
            raise Invalid(f"quantity must be a whole number from 1 to {max_qty}", field="items")
        if qty:
            key = (product.code, variant)
            merged[key] = merged.get(key, 0) + qty
    if not merged:
        raise Invalid("choose at least one product", field="items")
    if any(qty > max_qty for qty in merged.values()):
        raise Invalid(f"at most {max_qty} of one size", field="items")
    contact = Contact(
        name=_text(body, "name", MAX_NAME, required=True),
        phone=normalise_phone(_text(body, "phone", 30, required=True)),
        address=_text(body, "address", MAX_ADDRESS, required=False))
    lines = tuple(BoothLine(code, variant, qty) for (code, variant), qty in merged.items())
    return BoothOrder(lines, contact)


# -- planned shows ---------------------------------------------------------------------------


def parse_start(value: Any) -> float | None:
    """``starts_at`` from an API body: epoch seconds or ISO 8601 (with or without zone, UTC
    assumed); None clears it. Invalid for anything else or an absurd date."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Invalid("field 'starts_at' must be a time", field="starts_at")
    if isinstance(value, int | float):
        stamp = float(value)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("field 'starts_at' must be ISO 8601 (2027-01-28T19:30:00+07:00)",
                          field="starts_at") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        stamp = parsed.timestamp()
    else:
        raise Invalid("field 'starts_at' must be a time", field="starts_at")
    if not 946_684_800 <= stamp <= 4_102_444_800:  # 2000-01-01 … 2100-01-01
        raise Invalid("field 'starts_at' is out of range", field="starts_at")
    return stamp


def upcoming(shows: Sequence[Show], now: float) -> list[Show]:
    """Planned shows not started yet, soonest first (a show planned in the past but still a
    draft stays listed for an hour: the host may be running late)."""
    found = [s for s in shows if s.kind != BOOTH_KIND and s.status == "draft"
             and s.starts_at is not None and s.starts_at > now - 3600]
    return sorted(found, key=lambda s: s.starts_at or 0)


def _ics_text(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 line folding at 75 octets."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 75:
            out.append(current)
            current = " " + char
        else:
            current += char
    return [*out, current]


def ics_event(show: Show, url: str, now: float, minutes: int = 60) -> str:
    """An iCalendar file with one event: the planned show, linking to its viewer page."""
    if show.starts_at is None:
        raise Invalid("the show has no planned start")

    def stamp(at: float) -> str:
        return datetime.fromtimestamp(at, UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//livesell//show//VI", "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT", f"UID:{show.id}@livesell", f"DTSTAMP:{stamp(now)}",
        f"DTSTART:{stamp(show.starts_at)}", f"DTEND:{stamp(show.starts_at + minutes * 60)}",
        f"SUMMARY:{_ics_text(show.title)}", f"URL:{url}",
        f"DESCRIPTION:{_ics_text(url)}",
        "BEGIN:VALARM", "TRIGGER:-PT15M", "ACTION:DISPLAY", f"DESCRIPTION:{_ics_text(show.title)}",
        "END:VALARM", "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n"
