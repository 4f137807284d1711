"""One incoming comment: its shape checked, its text cleaned, and read by the show's parser.

The capture service (:mod:`.service`) takes batches from the intake API, the platform
bridges and viewer sockets; everything here is per comment and pure.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain import limits
from ..domain.errors import Invalid
from ..domain.followup import FollowUp, read_follow_up
from ..domain.models import SOURCES
from ..domain.parser import Intent, Parser
from ..schema import Key, Obj, Str, clean_str, optional

_CONTROL = {c: None for c in range(32) if chr(c) not in "\n\t"} | {0x7F: None}
# Readings remembered per show parser (it is rebuilt every few seconds, and the memory with
# it), and the longest text remembered: long comments rarely come twice.
READINGS_KEPT = 4096
READING_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class IncomingComment:
    """One comment as a source delivered it, checked for shape but not yet stored."""

    source: str
    id: str
    author_id: str
    author_name: str
    text: str


def clean_text(text: str) -> str:
    """Keep the comment as text: NFC, no control characters (newlines and tabs stay)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # Printable text has no control characters: most comments skip the translation.
    return text if text.isprintable() else text.translate(_CONTROL)


# One incoming comment, as an intake batch, a bridge or a viewer socket carries it.
COMMENT = Obj({
    "source": optional(Str(max_len=20)),
    "id": Key(max_len=limits.MAX_COMMENT_ID),
    "author": optional(Obj({"id": optional(Key(max_len=limits.MAX_AUTHOR)),
                            "name": optional(Str(max_len=limits.MAX_AUTHOR, strip=False),
                                             "")})),
    "text": Str(max_len=10**6, strip=False),
})


def read_comment(raw: Any, default_source: str) -> IncomingComment | str:
    """Check one comment of an intake batch; returns it or the reason it is refused."""
    if not isinstance(raw, Mapping):
        return "comment must be an object"
    try:
        doc = COMMENT(raw if isinstance(raw, dict) else dict(raw))
    except Invalid as exc:
        return exc.message
    source = doc["source"] or default_source
    if source not in SOURCES:
        return f"unknown source {source[:20]!r}"
    author = doc["author"] or {}
    name = clean_text(author.get("name") or "").strip()[:80]
    author_id = str(author.get("id") or name or doc["id"])[:200]
    return IncomingComment(source, doc["id"], author_id, name, clean_text(doc["text"]))


def comment_id(raw: Any) -> str:
    """The id to answer a refused comment with: only if it is a printable id."""
    cid = raw.get("id") if isinstance(raw, Mapping) else None
    if isinstance(cid, bool) or not isinstance(cid, str | int):
        return ""
    text = str(cid)[:limits.MAX_COMMENT_ID]
    return text if clean_str(text) is not None else ""


class ShowReader:
    """A show's parser, and what it read of recent texts.

    A live chat repeats itself ("chốt", "+1", "A2 1kg", the same line from many buyers) and
    reading is pure: the same text under the same parser (lineup, pin, catalog) always reads
    the same, so a text seen again is not parsed again."""

    __slots__ = ("parser", "_seen")

    def __init__(self, parser: Parser) -> None:
        self.parser = parser
        self._seen: dict[str, tuple[Intent, FollowUp]] = {}

    def read(self, text: str) -> tuple[Intent, FollowUp]:
        """What ``text`` asks for, and what it does to the buyer's order beyond that."""
        known = self._seen.get(text)
        if known is not None:
            return known
        intent = self.parser.parse(text)
        reading = (intent, read_follow_up(text, intent, self.parser.parse))
        if len(text) <= READING_MAX_CHARS:
            if len(self._seen) >= READINGS_KEPT:
                self._seen.clear()
            self._seen[text] = reading
        return reading
