"""Talk back: the short message that tells a buyer what their comment made.

Two forms. A private one (Facebook private reply, to the buyer's Messenger) may carry the
buyer link, which opens their order and payment QR. A public one (a comment reply, YouTube or
Twitch chat) is read by everyone, so it carries only the order code, what is held and the
total: never the link (it opens the buyer's contact), a phone number or an address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .models import LineState, Order
from .money import format_vnd

# Vietnamese mobile numbers in the forms people type (0…, 84…, +84…, with spaces, dots or
# dashes), so that a price such as "12.500.000" is never mistaken for one.
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?84|0)[\s.\-]?[35789](?:[\s.\-]?\d){8}(?!\d)")
# Room for the longest platform limit we send to (YouTube chat: 200 characters).
MAX_CHARS = 200

TEMPLATES = {
    "vi": {
        "held": "Shop đã giữ {items} cho bạn. Mã đơn {code}, tổng {total}.",
        "waitlisted": "{items} tạm hết, bạn đã vào danh sách chờ. Mã đơn {code}.",
        "requested": "Đã ghi nhận {items}, chưa giữ hàng: ai chuyển khoản đủ trước được "
                     "trước. Mã đơn {code}, tổng {total}.",
        "link": " Xem đơn và thanh toán: {link}",
        "public": " Shop sẽ nhắn riêng để chốt đơn.",
    },
    "en": {
        "held": "We are holding {items} for you. Order {code}, total {total}.",
        "waitlisted": "{items} is sold out for now; you are on the waitlist. Order {code}.",
        "requested": "Noted {items}, not held: the first to pay in full gets it. "
                     "Order {code}, total {total}.",
        "link": " Your order and payment: {link}",
        "public": " We will message you to confirm.",
    },
}


@dataclass(frozen=True, slots=True)
class ReplyLine:
    code: str
    variant: str
    qty: int
    waitlisted: bool
    requested: bool = False  # first paid, first served: asked for, taken when paid

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.code, self.variant, f"x{self.qty}") if p)


def scrub(text: str) -> str:
    """The text with anything that looks like a phone number cut out."""
    return re.sub(r" {2,}", " ", _PHONE_LIKE.sub(" ", text)).strip()


def lines_of(order: Order, comment_lines: Sequence[int] = ()) -> list[ReplyLine]:
    """The order's live lines (those of one comment when their ids are given)."""
    wanted = set(comment_lines)
    return [ReplyLine(line.code, line.variant, line.qty, line.state == LineState.WAITLISTED,
                      line.state == LineState.REQUESTED)
            for line in order.lines
            if line.state in (LineState.HELD, LineState.CONFIRMED, LineState.WAITLISTED,
                              LineState.REQUESTED)
            and (not wanted or line.id in wanted)]


def reply_text(lang: str, code: str, lines: Sequence[ReplyLine], total: int,
               link: str | None = None) -> str:
    """The reply for one captured comment; ``link`` only for a private reply."""
    words = TEMPLATES.get(lang, TEMPLATES["vi"])
    held = [line.label for line in lines if not line.waitlisted and not line.requested]
    waiting = [line.label for line in lines if line.waitlisted]
    asked = [line.label for line in lines if line.requested]
    parts = []
    if held:
        parts.append(words["held"].format(items=", ".join(held), code=code,
                                          total=format_vnd(total)))
    if asked:
        parts.append(words["requested"].format(items=", ".join(asked), code=code,
                                               total=format_vnd(total)))
    if waiting:
        parts.append(words["waitlisted"].format(items=", ".join(waiting), code=code))
    text = scrub(" ".join(parts))
    tail = words["link"].format(link=link) if link else words["public"]
    if not link and len(text) + len(tail) > MAX_CHARS:
        text = text[:MAX_CHARS - len(tail) - 1].rstrip() + "…"
    return text + tail
