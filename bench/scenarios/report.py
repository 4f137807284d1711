"""What a scenario hands back: Markdown text for the terminal and BENCHMARKS.md, plus the
same results as JSON-able data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REFERENCE = "node"
BASE = "base"


@dataclass
class Report:
    scenario: str
    title: str
    method: str
    sections: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return "\n\n".join([self.method, *self.sections])


def ratio(value: float | None, other: float | None) -> str:
    """``value / other`` as ``1.50×``, or ``-`` when either is missing."""
    if value is None or not other:
        return "-"
    return f"{value / other:.2f}×"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
