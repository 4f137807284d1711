"""Reading one incoming comment: the shape check, and the show reader's memory of texts."""

from __future__ import annotations

from typing import Any

import pytest

from livesell.capture import comments, service
from livesell.capture.bus import EventBus
from livesell.capture.comments import IncomingComment, ShowReader, clean_text, read_comment
from livesell.capture.service import CaptureService
from livesell.config import Settings
from livesell.domain.followup import read_follow_up
from livesell.domain.models import Product, Show, ShowStatus, Variant
from livesell.domain.parser import Parser
from tests.unit.test_parser import CORPUS, DOC, LINEUP


class CountingParser(Parser):
    __slots__ = ("calls",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0

    def parse(self, text: str) -> Any:
        self.calls += 1
        return super().parse(text)


def test_a_reading_is_what_the_parser_and_follow_up_say_for_every_corpus_text() -> None:
    parser = Parser(LINEUP, max_qty=DOC["max_qty"], min_confidence=0.8)
    reader = ShowReader(parser)
    for _ in range(2):  # the second round comes from memory
        for case in CORPUS:
            text = case["text"]
            intent = parser.parse(text)
            assert reader.read(text) == (intent, read_follow_up(text, intent, parser.parse))


def test_a_text_seen_again_is_not_parsed_again_and_memory_is_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(comments, "READINGS_KEPT", 3)
    parser = CountingParser(LINEUP, max_qty=DOC["max_qty"])
    reader = ShowReader(parser)
    first = reader.read("chốt A2")
    calls = parser.calls
    assert reader.read("chốt A2") is first
    assert parser.calls == calls
    for text in ("a", "b", "c", "d"):
        reader.read(text)
    assert len(reader._seen) <= 3
    long_text = "chốt A2 " + "x" * comments.READING_MAX_CHARS
    reader.read(long_text)
    assert long_text not in reader._seen


@pytest.mark.parametrize(("raw", "expected"), [
    ({"id": " 7 ", "text": "chốt A2\x07", "author": {"id": 12, "name": " Lan\x00 "}},
     IncomingComment("webhook", "7", "12", "Lan", "chốt A2")),
    ({"id": 5, "text": "Ca\u0301 A2\n", "source": " facebook "},
     IncomingComment("facebook", "5", "5", "", "Cá A2\n")),
    ({"id": "", "text": "x"}, "field 'id' must not be empty"),
    ({"id": "1", "text": 3}, "field 'text' must be a string"),
    ({"id": "1", "text": "\ud800"}, "field 'text' is not valid text (lone surrogate)"),
    ({"text": "x", "author": {"id": True}},
     "field 'id' is required; field 'author.id' must be a string"),
    ({"id": "1", "text": "x", "source": "fax"}, "unknown source 'fax'"),
    ([], "comment must be an object"),
])
def test_read_comment_answers(raw: Any, expected: Any) -> None:
    assert read_comment(raw, "webhook") == expected


def test_clean_text_keeps_newlines_and_tabs_only() -> None:
    assert clean_text("a\tb\nc\x1bd\x7f") == "a\tb\ncd"
    assert clean_text("giá\u00a0rẻ") == "giá\u00a0rẻ"


class Catalog:
    """Just enough of a store for the service to build a show's parser."""

    def __init__(self, products: list[Product]) -> None:
        self.products = products
        self.reads = 0

    async def list_products(self) -> list[Product]:
        self.reads += 1
        return list(self.products)


async def test_a_show_keeps_its_reader_until_what_its_parser_reads_moves(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: now[0])
    catalog = Catalog([Product("A1", "Mật ong", (Variant("500g", 100),))])
    capture = CaptureService(catalog, EventBus(), settings)  # type: ignore[arg-type]
    show = Show("s1", "Show", ("A1",), status=ShowStatus.LIVE)
    first = await capture.reader_for(show)
    first.read("chốt A1")
    now[0] += 10  # past the check interval, same catalog: same parser, memory kept
    assert await capture.reader_for(show) is first and catalog.reads == 2
    catalog.products = [Product("A1", "Trà xanh", (Variant("500g", 100),))]
    now[0] += 10  # renamed on another node: a new parser
    renamed = await capture.reader_for(show)
    assert renamed is not first and renamed.read("chốt trà xanh")[0].items
    pinned = Show("s1", "Show", ("A1",), status=ShowStatus.LIVE, pinned="A1")
    assert await capture.reader_for(pinned) is not renamed  # a pin rebuilds at once
