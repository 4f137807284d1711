"""What every platform connector shares: the protocol, backoff, reliable delivery, HTTP errors.

A connector reads comments from one platform for one show and hands them, in batches, to a
``deliver`` callable (``CaptureService.ingest`` bound to the show). Intake answers only after
commit and answers ``duplicate`` for a (source, id) it already holds, so the rule here is
simple: keep a batch until ``deliver`` returned, retry it as often as needed, and only then
move the platform cursor. Re-delivery is always safe; loss never is.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Protocol

import aiohttp

from ..domain.errors import NotFound, ShowClosed
from ..domain.models import CaptureResult

log = logging.getLogger(__name__)

Comment = dict[str, Any]
Deliver = Callable[[list[Comment]], Awaitable[list[CaptureResult]]]

# Intake errors that no retry can fix: the show is over or was never there.
FINAL_INTAKE_ERRORS: tuple[type[Exception], ...] = (ShowClosed, NotFound)

# A platform's Retry-After is honoured, but not past this: a bogus header must not park a
# connector for the rest of the show.
MAX_RETRY_AFTER = 600.0


def author(author_id: str, name: str) -> dict[str, str | None]:
    """A comment's author as intake takes it: an id the platform did not give is left out
    (intake then names the buyer by their name, or by the comment id), never sent empty."""
    return {"id": author_id or None, "name": name}


class Connector(Protocol):
    """A source of comments for one show. ``run`` returns when the platform's chat is over."""

    source: str

    async def run(self, deliver: Deliver) -> None:
        """Read comments until cancelled or the chat ends, delivering every one at least once."""
        ...


class Backoff:
    """Exponential backoff with jitter, so many connectors retrying do not beat in step."""

    def __init__(self, initial: float = 1.0, maximum: float = 60.0, factor: float = 2.0) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError("backoff needs 0 < initial <= maximum")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.attempts = 0

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * self.factor ** self.attempts)
        self.attempts += 1
        return random.uniform(base / 2, base)

    def reset(self) -> None:
        self.attempts = 0

    async def wait(self, at_least: float = 0.0) -> None:
        """Sleep for the next delay, or longer when the platform asked for it."""
        await asyncio.sleep(max(self.next_delay(), min(at_least, MAX_RETRY_AFTER)))

    async def wait_longest(self) -> None:
        """Sleep the longest delay: for errors a quick retry will not fix (bad key, quota)."""
        self.attempts = max(self.attempts, 64)
        await self.wait()


class PlatformError(Exception):
    """A platform answered with an error. The message never holds a URL or a credential."""

    def __init__(self, status: int, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(f"HTTP {status} {reason}".strip())
        self.status = status
        self.reason = reason
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Worth a normal retry (rate limits, server trouble); otherwise retry slowly."""
        return self.status == 429 or self.status >= 500


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every credential replaced, for logs."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def retry_after(headers: Mapping[str, str]) -> float:
    """Seconds from a Retry-After header in its delta-seconds form; 0 when absent or a date."""
    try:
        return max(0.0, float(headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0


async def get_json(session: aiohttp.ClientSession, url: str, params: Mapping[str, str],
                   error_reason: Callable[[Any], str]) -> Any:
    """GET a JSON document; a non-2xx answer raises PlatformError with the platform's reason.

    aiohttp's own ``raise_for_status`` puts the full URL, query string and credentials
    included, into the exception text, which then ends up in logs: hence this.
    """
    async with session.get(url, params=params) as resp:
        try:
            body = await resp.json(content_type=None)
        except ValueError:
            body = None
        if resp.status >= 400:
            raise PlatformError(resp.status, error_reason(body), retry_after(resp.headers))
        return body


async def deliver_reliably(deliver: Deliver, batch: list[Comment], backoff: Backoff,
                           name: str) -> list[CaptureResult]:
    """Deliver a batch, retrying with backoff until intake took it. Never drops the batch.

    Intake that failed halfway (or committed and then failed to answer) is retried whole: the
    comments it already stored come back ``duplicate``, the rest are captured now.
    """
    while True:
        try:
            results = await deliver(batch)
        except FINAL_INTAKE_ERRORS:
            raise
        except Exception as exc:  # any other intake failure means "keep the batch, retry"
            log.warning("%s: intake failed for %d comments (%s: %s); keeping them to retry",
                        name, len(batch), type(exc).__name__, exc)
            await backoff.wait()
            continue
        backoff.reset()
        return results


async def pump(queue: asyncio.Queue[Comment], deliver: Deliver, backoff: Backoff, name: str,
               max_batch: int = 500) -> None:
    """Deliver queued comments forever, batching whatever piled up while intake was busy.

    For push platforms (IRC, streams): the reader keeps reading, and answering keepalives,
    while a slow or failing intake is retried here.
    """
    while True:
        batch = [await queue.get()]
        while len(batch) < max_batch and not queue.empty():
            batch.append(queue.get_nowait())
        await deliver_reliably(deliver, batch, backoff, name)


async def read_and_deliver(read: Callable[[asyncio.Queue[Comment]], Coroutine[Any, Any, None]],
                           deliver: Deliver, backoff: Backoff, name: str) -> None:
    """Run a push reader and ``pump`` side by side until one fails or both are cancelled."""
    # Unbounded on purpose: while intake is down the reader must keep reading, or the platform
    # drops the connection and what it sent meanwhile is gone for good.
    queue: asyncio.Queue[Comment] = asyncio.Queue()
    # A task group: if either side fails, the other is cancelled rather than left behind.
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(read(queue), name=f"{name} reader")
            group.create_task(pump(queue, deliver, backoff, name), name=f"{name} intake")
    except ExceptionGroup as failed:
        # Callers handle plain errors (the show ended, a crash to restart after); the group
        # only ever holds the side that failed first, the other having been cancelled.
        raise failed.exceptions[0] from None


class SeenWindow:
    """The most recent ids a poller delivered, so an overlapping page is not re-sent."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, cid: object) -> bool:
        return cid in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def recent(self, count: int) -> list[str]:
        """The ``count`` most recently added ids, oldest first (what a cursor keeps)."""
        return list(self._ids)[-count:] if count > 0 else []

    def add(self, ids: Iterable[str]) -> None:
        for cid in ids:
            self._ids[cid] = None
            self._ids.move_to_end(cid)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
