"""Merging a show's tick parts into one frame: this node's and those relayed from others."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from livesell.realtime.shows import FEED_PER_PUSH
from livesell.realtime.ticks import PARTS, frame, merge


def stock(v: int, **levels: int) -> dict[str, Any]:
    return {"v": v, "t": 1.0, "stock": levels}


def feed(v: int, *texts: str) -> dict[str, Any]:
    return {"v": v, "items": [{"text": t} for t in texts]}


def test_a_relayed_stock_part_with_nothing_newer_is_dropped() -> None:
    held = stock(7, A1=3)
    outbox: dict[str, Any] = {}
    merge(outbox, {"stock": stock(7, A1=3)}, held)  # the same again
    merge(outbox, {"stock": stock(6, A1=4)}, held)  # older
    assert outbox == {}
    merge(outbox, {"stock": stock(8, A1=2)}, held)
    merge(outbox, {"stock": stock(8, A1=2)}, held)  # from a third node
    assert outbox == {"stock": stock(8, A1=2)}
    # same version, other levels (the lineup changed): news
    merge(outbox, {"stock": stock(8, A1=2, B1=5)}, held)
    assert outbox["stock"]["stock"] == {"A1": 2, "B1": 5}


def test_feeds_from_several_nodes_go_out_in_one_part_with_this_nodes_version() -> None:
    outbox: dict[str, Any] = {}
    merge(outbox, {"ticker": feed(900, "a"), "comment": feed(901, "x")})
    merge(outbox, {"ticker": feed(5, "b"), "flash": {"v": 3, "flash": None}})
    seq = itertools.count(1000)
    out = frame(outbox, lambda: next(seq))
    assert list(out) == ["flash", "ticker", "comment"]
    assert out["ticker"] == {"v": 1000, "items": [{"text": "a"}, {"text": "b"}]}
    assert out["comment"]["v"] == 1001


@given(st.lists(st.tuples(st.sampled_from(PARTS + ("junk",)), st.integers(0, 50),
                          st.none()), max_size=40))
def test_merge_never_grows_a_feed_past_what_a_viewer_reads(
        pushes: list[tuple[str, int, None]]) -> None:
    outbox: dict[str, Any] = {}
    for kind, n, _ in pushes:
        part = (stock(n) if kind == "stock" else feed(n, *map(str, range(n))))
        merge(outbox, {kind: part})
    assert set(outbox) <= set(PARTS)
    for kind in ("ticker", "comment"):
        if kind in outbox:
            assert 0 < len(outbox[kind]["items"]) <= FEED_PER_PUSH
