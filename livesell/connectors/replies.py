"""Talk back: after a comment is captured, tell the buyer on their platform what it made.

Opt-in per show (``talk_back``). Each platform has one sender; each sender has its own queue
and its own pace (the platform's rate limit), retries what failed for a passing reason, and
gives up, visibly, on what cannot work (a refused token, a comment already answered). What was
sent is remembered in the store, so a restart never answers the same comment twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from ..domain.models import CaptureResult, CommentStatus
from ..domain.replies import lines_of, reply_text
from ..store.base import Store
from .base import Backoff, PlatformError

log = logging.getLogger(__name__)

REPLY_STATUSES = frozenset({CommentStatus.ORDERED, CommentStatus.WAITLISTED})
MAX_ATTEMPTS = 5
KEPT = 200  # recent replies kept per show for staff to read


@dataclass(slots=True)
class Reply:
    """One reply to one buyer's comment, and what became of it."""

    show: str
    source: str
    comment_id: str
    order: str
    text: str
    private: bool
    state: str = "queued"  # queued, sent, failed
    attempts: int = 0
    error: str = ""
    queued_at: float = 0.0
    sent_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class ReplySender(Protocol):
    """Sends replies on one platform. ``send`` raises PlatformError (or a network error)."""

    platform: str
    private: bool  # whether what it sends reaches the buyer alone
    interval: float  # seconds between two sends: the platform's rate limit

    async def send(self, reply: Reply, comment: Mapping[str, Any]) -> None: ...


@dataclass(slots=True)
class _Lane:
    sender: ReplySender
    queue: asyncio.Queue[tuple[Reply, Mapping[str, Any]]] = field(
        default_factory=asyncio.Queue)
    task: asyncio.Task[None] | None = None


class ReplyQueue:
    """Every sender of this node, one lane (queue + worker) each, and the recent replies."""

    def __init__(self, store: Store, base_url: str, language: str,
                 clock: Callable[[], float] = time.time, max_attempts: int = MAX_ATTEMPTS,
                 retry_initial: float = 2.0, retry_max: float = 60.0,
                 facebook_mode: str = "private") -> None:
        self.store = store
        self.facebook_mode = facebook_mode
        self.base_url = base_url  # Settings.public_base: where buyer links point
        self.language = language
        self.clock = clock
        self.max_attempts = max_attempts
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._lanes: dict[tuple[str, str], _Lane] = {}  # (show or "*", source) -> lane
        self._recent: dict[str, deque[Reply]] = {}
        self._taken: set[tuple[str, str]] = set()
        self.counts: dict[str, int] = {"sent": 0, "failed": 0}

    def add_sender(self, sender: ReplySender, show: str = "*") -> None:
        """Replies to ``sender.platform`` comments of ``show`` (``*``: of every show) go here."""
        self._lanes[(show, sender.platform)] = _Lane(sender)

    def sender_for(self, show: str, source: str) -> ReplySender | None:
        lane = self._lanes.get((show, source)) or self._lanes.get(("*", source))
        return lane.sender if lane else None

    async def captured(self, show_id: str, talk_back: bool, comments: Sequence[Mapping[str, Any]],
                       results: Sequence[CaptureResult]) -> int:
        """Queue a reply for each comment of the batch that made an order; returns how many."""
        if not talk_back:
            return 0
        queued = 0
        for comment, result in zip(comments, results, strict=False):
            source = str(comment.get("source") or "")
            lane = self._lanes.get((show_id, source)) or self._lanes.get(("*", source))
            if lane is None or result.status not in REPLY_STATUSES or not result.order:
                continue
            key = (source, str(comment.get("id")))
            if key in self._taken or await self.store.get_meta(self._sent_key(*key)):
                continue
            self._taken.add(key)
            reply = await self._compose(show_id, source, key[1], result.order,
                                        lane.sender.private)
            if reply is None:
                continue
            self._remember(reply)
            lane.queue.put_nowait((reply, comment))
            if lane.task is None or lane.task.done():
                lane.task = asyncio.create_task(self._work(lane),
                                                name=f"replies {lane.sender.platform}")
            queued += 1
        return queued

    def recent(self, show: str) -> list[Reply]:
        return list(self._recent.get(show, ()))

    async def close(self) -> None:
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass

    async def _compose(self, show: str, source: str, comment_id: str, code: str,
                       private: bool) -> Reply | None:
        order = await self.store.get_order(code)
        if order is None:
            return None
        link = order.buyer_url(self.base_url) if private else None
        text = reply_text(self.language, order.code, lines_of(order), order.total, link)
        return Reply(show, source, comment_id, order.code, text, private,
                     queued_at=self.clock())

    def _remember(self, reply: Reply) -> None:
        self._recent.setdefault(reply.show, deque(maxlen=KEPT)).append(reply)

    @staticmethod
    def _sent_key(source: str, comment_id: str) -> str:
        return f"reply:{source}:{comment_id}"

    async def _work(self, lane: _Lane) -> None:
        backoff = Backoff(self.retry_initial, self.retry_max)
        while True:
            reply, comment = await lane.queue.get()
            while reply.state == "queued":
                reply.attempts += 1
                try:
                    await lane.sender.send(reply, comment)
                except PlatformError as exc:
                    final = not exc.transient or reply.attempts >= self.max_attempts
                    self._failed(reply, str(exc), final)
                    if not final:
                        await backoff.wait(exc.retry_after)
                except (OSError, TimeoutError, ConnectionError) as exc:
                    final = reply.attempts >= self.max_attempts
                    self._failed(reply, f"{type(exc).__name__}: {exc}", final)
                    if not final:
                        await backoff.wait()
                else:
                    backoff.reset()
                    # Remembered before it counts as sent: a crash in between may send it
                    # once more after a restart, never leave it looking unsent.
                    await self.store.set_meta(self._sent_key(reply.source, reply.comment_id),
                                              reply.order)
                    reply.state, reply.sent_at, reply.error = "sent", self.clock(), ""
                    self.counts["sent"] += 1
            await asyncio.sleep(lane.sender.interval)

    def _failed(self, reply: Reply, error: str, final: bool) -> None:
        reply.error = error[:300]
        if final:
            reply.state = "failed"
            self.counts["failed"] += 1
            log.warning("reply to %s comment %s (order %s) failed: %s", reply.source,
                        reply.comment_id, reply.order, reply.error)
