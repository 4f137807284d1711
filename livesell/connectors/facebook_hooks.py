"""Facebook Page webhooks: feed comments pushed to ``POST /hooks/facebook``, routed to shows.

Facebook sends ``{"object": "page", "entry": [{"id": <page>, "time", "changes": [{"field":
"feed", "value": {"item": "comment", "verb": "add" | "edited" | "remove", "post_id",
"comment_id", "parent_id", "from": {"id", "name"}, "message", "created_time"}}]}]}``. Each
change goes to the show whose ``facebook_post_id`` is the change's ``post_id``. Facebook retries
a delivery until it gets a 200, so the answer waits for the commit and a repeat is harmless:
every change maps to a fixed (source, id) that intake answers ``duplicate`` to.

An edit never silently changes an order: when the edited text would buy something different
from what the original made, the edit goes to the staff review queue. A removed comment that
had made an order shows up there too, so staff can check with the buyer before packing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..domain import reasons
from ..domain.errors import NotFound, ShowClosed
from ..domain.models import CaptureResult, Comment, CommentStatus, Show, ShowStatus
from ..store.base import CaptureRequest
from .base import author as comment_author
from .health import ConnectorHealth
from .replies import ReplyQueue

if TYPE_CHECKING:
    from ..capture.service import CaptureService

log = logging.getLogger(__name__)

VERBS = ("add", "edited", "remove")
# What a comment made, remembered so an edit or removal can be judged against it.
MEMO_STATUSES = frozenset({CommentStatus.ORDERED, CommentStatus.WAITLISTED,
                           CommentStatus.CANCELLED, CommentStatus.REVIEW})
SHOWS_TTL = 2.0
ReadComment = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class FeedChange:
    """One comment change out of a Page webhook delivery."""

    page_id: str
    post_id: str
    comment_id: str
    verb: str
    text: str
    author_id: str
    author_name: str
    created_at: float | None

    def comment(self) -> dict[str, Any]:
        """The neutral comment shape intake takes."""
        return {"source": "facebook", "id": self.comment_id,
                "author": comment_author(self.author_id, self.author_name), "text": self.text}


def created_time(value: Any) -> float | None:
    """``created_time`` as epoch seconds: Facebook sends an integer, or ISO 8601 text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value:
        if value.isdigit():
            return float(value)
        try:
            return datetime.fromisoformat(value.replace("+0000", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def feed_changes(body: Any) -> list[FeedChange]:
    """Every comment change in a delivery, in order; anything else (likes, posts) is left out."""
    out: list[FeedChange] = []
    entries = body.get("entry") if isinstance(body, Mapping) else None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, Mapping):
            continue
        page_id = str(entry.get("id") or "")
        changes = entry.get("changes")
        for change in changes if isinstance(changes, list) else ():
            if not isinstance(change, Mapping) or change.get("field") != "feed":
                continue
            value = change.get("value")
            if not isinstance(value, Mapping) or value.get("item") != "comment":
                continue
            verb = value.get("verb")
            post_id, comment_id = value.get("post_id"), value.get("comment_id")
            if verb not in VERBS or not post_id or not comment_id:
                continue
            author = value.get("from")
            author = author if isinstance(author, Mapping) else {}
            message = value.get("message")
            out.append(FeedChange(
                page_id=page_id, post_id=str(post_id), comment_id=str(comment_id), verb=verb,
                text=message if isinstance(message, str) else "",
                author_id=str(author.get("id") or ""), author_name=str(author.get("name") or ""),
                created_at=created_time(value.get("created_time"))))
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class FacebookHooks:
    """Takes Page webhook deliveries into the shows they belong to."""

    def __init__(self, service: CaptureService, health_for: Callable[[str], ConnectorHealth],
                 clock: Callable[[], float] = time.time,
                 replies: ReplyQueue | None = None,
                 read_comment: ReadComment | None = None) -> None:
        self.service = service
        self.replies = replies
        # Reads a comment's current text from the Graph API, for changes that carry none.
        self.read_comment = read_comment
        self.store = service.store
        self.health_for = health_for
        self.clock = clock
        self._shows: tuple[float, list[Show]] = (0.0, [])

    async def receive(self, body: Any) -> int:
        """Capture every comment change of a delivery; returns how many reached a show.

        Returns only once all of them are committed (Facebook retries otherwise)."""
        handled = 0
        for change in feed_changes(body):
            if change.author_id and change.author_id == change.page_id:
                continue  # the Page's own comments: the host answering, not a buyer
            routed = await self._show_for(change.post_id)
            if routed is None:
                continue
            health = self.health_for(routed.id)
            try:
                # The routing list may be a second old; the show itself must be current
                # (ended, talk back switched on).
                await self._apply(await self.service.live_show(routed.id), change, health)
            except (ShowClosed, NotFound):
                continue  # the show ended: nothing to capture, and nothing to retry
            handled += 1
        return handled

    async def _apply(self, show: Show, change: FeedChange, health: ConnectorHealth) -> None:
        show_id = show.id
        if change.verb == "remove":
            await self._removed(show_id, change)
            return
        if not change.text and self.read_comment is not None:
            # Facebook may leave the text out (photos, some edits): read the comment itself.
            try:
                text = await self.read_comment(change.comment_id)
            except Exception as exc:  # a failed read must not make Facebook retry forever
                health.failed(f"reading comment {change.comment_id}: {exc}")
                text = None
            change = replace(change, text=text or "")
        comment = change.comment()
        results = await self.service.ingest(show_id, [comment], "facebook")
        result = results[0]
        if result.status != CommentStatus.DUPLICATE:
            health.got_comments(1, change.created_at)
            await self._remember(change, result)
            if self.replies is not None:
                await self.replies.captured(show_id, show.talk_back, [comment], results)
        else:
            health.duplicates += 1
            if change.verb == "edited":
                await self._edited(show_id, change)

    async def _edited(self, show_id: str, change: FeedChange) -> None:
        """A comment we hold was edited: staff decide if the order should change."""
        memo = await self._memo(change.comment_id)
        show = await self.service.live_show(show_id)
        parser = await self.service.parser_for(show)
        new = parser.parse(change.text)
        if memo is not None:
            if memo.get("text") == change.text:
                return  # Facebook re-sent the edit we already judged
            old = parser.parse(str(memo.get("text") or ""))
            same = (old.kind, old.items) == (new.kind, new.items)
        else:
            # The original made nothing: only an edit that now buys or cancels matters.
            same = new.kind not in ("order", "cancel")
        if same:
            return
        order = memo.get("order") if memo else None
        reason = (reasons.reason(reasons.EDITED_ORDER, "Facebook", order) if order
                  else reasons.reason(reasons.EDITED, "Facebook"))
        await self._review(show_id, change, f"{change.comment_id}~edit~{_digest(change.text)}",
                           change.text, reason)
        await self._remember(change, None, memo)

    async def _removed(self, show_id: str, change: FeedChange) -> None:
        memo = await self._memo(change.comment_id)
        if memo is None or memo.get("deleted"):
            return  # chatter, or a removal already reported
        order = memo.get("order")
        reason = (reasons.reason(reasons.DELETED_ORDER, "Facebook", order) if order
                  else reasons.reason(reasons.DELETED, "Facebook"))
        await self._review(show_id, change, f"{change.comment_id}~removed",
                           str(memo.get("text") or ""), reason)
        await self.store.set_meta(self._memo_key(change.comment_id),
                                  json.dumps({**memo, "deleted": True}))

    async def _review(self, show_id: str, change: FeedChange, source_id: str, text: str,
                      reason: str) -> None:
        now = self.clock()
        author = change.author_id or str((await self._memo(change.comment_id) or {})
                                         .get("author") or change.comment_id)
        comment = Comment(show_id, "facebook", source_id, author, change.author_name, text, now)
        captured = await self.store.capture([CaptureRequest(comment, "review", reason=reason)],
                                            now)
        for done in captured:
            self.service.bus.publish(done.events)

    @staticmethod
    def _memo_key(comment_id: str) -> str:
        return f"fbcomment:{comment_id}"

    async def _memo(self, comment_id: str) -> dict[str, Any] | None:
        raw = await self.store.get_meta(self._memo_key(comment_id))
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None

    async def _remember(self, change: FeedChange, result: CaptureResult | None,
                        memo: dict[str, Any] | None = None) -> None:
        """Keep what a comment made, for comments that touched an order or the review queue."""
        if result is not None and result.status not in MEMO_STATUSES:
            return
        doc = dict(memo or {})
        doc.update({"text": change.text, "author": change.author_id or change.comment_id})
        if result is not None and result.order:
            doc["order"] = result.order
        await self.store.set_meta(self._memo_key(change.comment_id), json.dumps(doc))

    async def _show_for(self, post_id: str) -> Show | None:
        """The show fed by this post: the newest that is not over, matching the full
        ``<page>_<post>`` id or just its post part (what the host may have pasted)."""
        at, shows = self._shows
        if time.monotonic() - at > SHOWS_TTL or _match(post_id, shows) is None:
            shows = await self.store.list_shows()
            self._shows = (time.monotonic(), shows)
        return _match(post_id, shows)


def _match(post_id: str, shows: Iterable[Show]) -> Show | None:
    short = post_id.rpartition("_")[2]
    found = [s for s in shows if s.facebook_post_id
             and s.facebook_post_id in (post_id, short)]
    found.sort(key=lambda s: (s.status == ShowStatus.ENDED, -s.created_at))
    return found[0] if found else None
