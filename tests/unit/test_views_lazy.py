"""A comment's public form is made when a push or a snapshot first asks for it, from the
author's previous comment as it was when the comment arrived."""

from __future__ import annotations

from typing import Any

import pytest

from livesell.capture import views
from livesell.capture.views import ShowViews
from livesell.domain.events import CommentReceived
from livesell.domain.pii import digits_seen


def test_comments_are_masked_once_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real = views.public_item

    def counting(event: Any, before: str = "") -> dict[str, Any]:
        made.append(event.text)
        return real(event, before)

    monkeypatch.setattr(views, "public_item", counting)
    shown = ShowViews(store=None)  # type: ignore[arg-type]  # the store is not read here
    first = CommentReceived("s1", "An", "chốt A2 sđt 0912", "ordered", 1.0)
    second = CommentReceived("s1", "An", "345 678 nha", "ordered", 2.0)
    third = CommentReceived("s1", "An", "thêm 1 hộp", "ordered", 3.0)
    for event in (first, second, third):
        shown.remember(event)
    assert made == []  # nothing asked yet: nothing masked under a storm
    item = shown.public_item(second)
    assert "912345678" not in digits_seen(item["text"])  # read with the comment before it
    assert shown.public_item(second) is item and made == [second.text]  # made once
    assert [i["text"] for i in shown.feed("s1")][2] == "thêm 1 hộp"
    assert len(made) == 3
