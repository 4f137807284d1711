"""Scoring the parser on a labelled corpus (``livesell parse --check FILE``).

A corpus is YAML with ``pinned`` and ``max_qty`` defaults and three lists of labelled
comments: ``comments`` (the core grammar), ``hard`` (names, several sizes, decoys) and
``noise`` (chatter that must never order). Each entry has ``text``, ``kind``, ``items`` as
``[code, variant, qty]``, optional ``phone`` and ``pinned``. The score per tier is the
share read exactly; for the hard tier a miss must be ``review``; noise is also read with
every lineup product pinned (and none), and any order is counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livesell.domain.parser import Intent, Parser

TIERS = ("comments", "hard", "noise")
TIER_NAMES = {"comments": "core", "hard": "hard", "noise": "noise"}


@dataclass
class TierScore:
    """How one tier of the corpus was read."""

    name: str
    total: int = 0
    exact: int = 0
    orders: int = 0  # readings that would hold stock where the label says otherwise
    reviews: int = 0  # misses sent to review
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.exact / self.total if self.total else 1.0


@dataclass
class Calibration:
    """Order readings (before the confidence gate) per confidence band: right or not."""

    bands: dict[float, list[int]] = field(default_factory=dict)  # low edge -> [right, wrong]

    def add(self, confidence: float, right: bool) -> None:
        low = min(0.9, int(confidence * 10) / 10)
        self.bands.setdefault(low, [0, 0])[0 if right else 1] += 1


def plain(intent: Intent) -> dict[str, Any]:
    """An intent as the corpus labels it."""
    return {"kind": intent.kind, "items": [[i.code, i.variant, i.qty] for i in intent.items],
            "phone": intent.phone}


def expected(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": entry["kind"], "items": [list(i) for i in entry.get("items") or []],
            "phone": entry.get("phone")}


def entries(doc: Mapping[str, Any], tier: str) -> list[Mapping[str, Any]]:
    found = doc.get(tier) or []
    return [e for e in found if isinstance(e, Mapping)]


def score(doc: Mapping[str, Any], parser: Parser, codes: Sequence[str]) -> tuple[
        list[TierScore], Calibration]:
    """Read every labelled comment with ``parser`` (gated); the scores and the calibration."""
    raw_parser = parser.without_gate()
    calibration = Calibration()
    scores = []
    for tier in TIERS:
        result = TierScore(TIER_NAMES[tier])
        for entry in entries(doc, tier):
            pinned = entry.get("pinned", doc.get("pinned"))
            want = expected(entry)
            raw = raw_parser.with_pinned(pinned).parse(str(entry["text"]))
            got = parser.with_pinned(pinned).parse(str(entry["text"]))
            if raw.kind == "order":
                calibration.add(raw.confidence, plain(raw) == want)
            result.total += 1
            if plain(got) == want:
                result.exact += 1
                continue
            result.misses.append(f"{entry['text']} -> {got.kind} {plain(got)['items']}")
            if got.kind == "review":
                result.reviews += 1
            elif got.kind == "order" and tier != "noise":  # noise is counted below
                result.orders += 1
        if tier == "noise":
            for entry in entries(doc, tier):
                for pinned in (*codes, None):
                    if parser.with_pinned(pinned).parse(str(entry["text"])).kind == "order":
                        result.orders += 1
                        result.misses.append(f"{entry['text']} @{pinned} -> order")
        scores.append(result)
    return scores, calibration


def report(scores: Iterable[TierScore], calibration: Calibration) -> str:
    """Markdown tables: accuracy per tier, then precision per confidence band."""
    lines = ["| tier | comments | exact | accuracy | misses to review | read as order |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in scores:
        lines.append(f"| {s.name} | {s.total} | {s.exact} | {s.accuracy:.1%} | {s.reviews} | "
                     f"{s.orders} |")
    lines += ["", "| confidence | order readings | right | precision |", "|---|---:|---:|---:|"]
    for low in sorted(calibration.bands):
        right, wrong = calibration.bands[low]
        top = "1.00" if low >= 0.9 else f"{low + 0.1:.2f}"
        lines.append(f"| {low:.2f}–{top} | {right + wrong} | {right} | "
                     f"{right / (right + wrong):.1%} |")
    return "\n".join(lines)
