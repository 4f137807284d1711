"""From what a comment asks for and the book to what comes of it.

Pure functions: which variant an item means (the size named, the flash deal's, the pinned
size, or "which size?"), what the comment's outcome is, and which lines a cancel releases.
Both stores apply them (SQLite in its writer, Redis through the twins in
``store/redis/scripts/rules.lua``, held equal by ``tests/store/test_parity.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .inventory import flash_applies, fold
from .models import CommentStatus, LineState, Show
from .orders import CANCELLABLE
from .parser import Item

# One item type from the parser to the stores: a product code, a catalog label or None, a qty.
CaptureItem = Item


class NoteKind(StrEnum):
    UNKNOWN_CODE = "unknown_code"
    UNKNOWN_VARIANT = "unknown_variant"
    WHICH_VARIANT = "which_variant"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class Note:
    """Why (part of) a comment did not simply become order lines; ``text`` is the typed
    reason code (``domain/reasons.py``) that the intake's ``reason`` carries and consoles
    render in Vietnamese or English."""

    kind: NoteKind
    text: str

    def __str__(self) -> str:
        return self.text


def unknown_code(code: str) -> Note:
    return Note(NoteKind.UNKNOWN_CODE, f"unknown_code:{code}")


def limit_note(max_per_buyer: int, code: str) -> Note:
    return Note(NoteKind.LIMIT, f"buyer_limit:{max_per_buyer}:{code}")


def listed(lineup: Sequence[str], code: str) -> bool:
    """The show sells this product (codes compare as the catalog compares them)."""
    wanted = fold(code)
    return any(fold(c) == wanted for c in lineup)


def _label_in(labels: Sequence[str], wanted: str) -> str | None:
    """The catalog label spelled ``wanted`` (exactly, as the parser answers, else folded)."""
    if wanted in labels:
        return wanted
    folded = fold(wanted)
    for label in labels:
        if fold(label) == folded:
            return label
    return None


def resolve_variant(show: Show, item: Item, is_listed: bool, catalog_code: str,
                    labels: Sequence[str], now: float) -> str | Note:
    """The catalog label an item means, or a note saying a person must decide.

    ``labels`` are the product's labels in catalog order (empty: no such product); when the
    item names its size, the one matching label is enough. Without a size: a single-size
    product, else the running flash deal's size, else the size pinned with the product,
    else "which size?".
    """
    if not labels or not is_listed:
        return unknown_code(item.code)
    if item.variant is not None:
        label = _label_in(labels, item.variant)
        if label is not None:
            return label
        return Note(NoteKind.UNKNOWN_VARIANT, f"unknown_variant:{item.code}:{item.variant}")
    if len(labels) == 1:
        return labels[0]
    flash = show.flash
    if flash is not None and flash.variant is not None and flash_applies(
            flash, item.code, flash.variant, now):
        label = _label_in(labels, flash.variant)
        if label is not None:
            return label
    if show.pinned is not None and show.pinned_variant is not None \
            and fold(show.pinned) == fold(item.code):
        label = _label_in(labels, show.pinned_variant)
        if label is not None:
            return label
    return Note(NoteKind.WHICH_VARIANT, f"variant_unclear:{catalog_code}")


def order_outcome(held: bool, waited: bool, notes: Sequence[Note]) -> tuple[CommentStatus, bool]:
    """An order comment's status, and whether it also goes to the review queue.

    Only caps (per buyer, without a phone, per address) and nothing placed: refused, no
    review needed. Anything placed:
    ordered (or waitlisted), with a review when some item needs a person. Nothing placed for
    another reason: review.
    """
    if not notes:  # the common case, without the generators below
        return (CommentStatus.ORDERED if held else CommentStatus.WAITLISTED), False
    limit_only = all(n.kind == NoteKind.LIMIT for n in notes)
    if not (held or waited):
        if limit_only:
            return CommentStatus.REJECTED, False
        return CommentStatus.REVIEW, True
    status = CommentStatus.ORDERED if held else CommentStatus.WAITLISTED
    return status, any(n.kind != NoteKind.LIMIT for n in notes)


def reason_of(notes: Sequence[Note]) -> str:
    return "; ".join(n.text for n in notes) if notes else ""


def cancel_selection(lines: Sequence[tuple[int, str, LineState]],
                     codes: Sequence[str]) -> list[int]:
    """Line ids a buyer's cancel releases, of (id, product code, state): every held or
    waitlisted line, or only those of the named products."""
    wanted = {fold(c) for c in codes}
    return [line_id for line_id, code, state in lines
            if state in CANCELLABLE and (not wanted or fold(code) in wanted)]
