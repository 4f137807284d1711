"""Running connectors: one supervised task each, with health, cursors, a watchdog, start/stop.

``ConnectorRunner`` owns every connector of the deployment. It gives each its health record
and its cursor in the store, restarts it after a crash, watches for silence, and lets the
host stop or start one while the show runs. ``statuses()`` is the plain view of all of that.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.models import CaptureResult, CommentStatus
from .base import FINAL_INTAKE_ERRORS, Backoff, Comment, Connector, Deliver
from .cursors import Cursor
from .facebook import FacebookLive
from .health import ENDED, STOPPED, ConnectorHealth, ConnectorStatus
from .replies import ReplyQueue
from .reply_senders import FacebookReplier, TwitchReplier, YouTubeReplier
from .twitch import TwitchChat
from .youtube import YouTubeChat

if TYPE_CHECKING:
    from ..capture.service import CaptureService

log = logging.getLogger(__name__)
SKIPPED = frozenset({CommentStatus.DUPLICATE, CommentStatus.REJECTED})
# Sources that are not the platform's own API, so the console can say so.
UNOFFICIAL = frozenset({"ssn", "tiktok"})


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """One checked ``connectors:`` entry: which show it feeds, and the connector itself."""

    kind: str
    show: str
    connector: Connector
    enabled: bool = True


async def supervise(connector: Connector, deliver: Deliver, name: str,
                    backoff: Backoff | None = None,
                    health: ConnectorHealth | None = None) -> None:
    """Run a connector for the whole show: restart it after a crash, stop when it is done."""
    backoff = backoff or Backoff(1.0, 60.0)
    health = health or health_of(connector)
    health.started()
    while True:
        try:
            await connector.run(deliver)
        except FINAL_INTAKE_ERRORS as exc:
            log.info("%s: stopped: %s", name, exc)
            health.state = ENDED
            return
        except Exception as exc:
            # A bug or a platform answer we did not expect must not end capture for the
            # show: log it whole, wait, start over. Re-read comments come back "duplicate".
            log.exception("%s: crashed; restarting", name)
            health.failed(f"{type(exc).__name__}: {exc}")
            health.reconnected()
            await backoff.wait()
            continue
        log.info("%s: chat is over", name)
        health.state = ENDED
        return


def health_of(connector: Connector) -> ConnectorHealth:
    """The connector's own health record, or a fresh one for a connector that keeps none."""
    health = getattr(connector, "health", None)
    if not isinstance(health, ConnectorHealth):
        health = ConnectorHealth(kind=getattr(connector, "source", "?"))
        with suppress(AttributeError):
            connector.health = health  # type: ignore[attr-defined]
    return health


OnCaptured = Callable[[list[Comment], list[CaptureResult]], Awaitable[None]]


def counting(deliver: Deliver, health: ConnectorHealth,
             on_captured: OnCaptured | None = None) -> Deliver:
    """``deliver`` that also counts, in the health record, the comments intake took, then
    hands the answers on (to talk back)."""

    async def counted(batch: list[Comment]) -> list[CaptureResult]:
        results = await deliver(batch)
        if on_captured is not None:
            try:
                await on_captured(batch, results)
            except Exception:  # a reply problem must never make intake retry the batch
                log.exception("%s: queueing replies failed", health.name)
        fresh = sum(1 for r in results if r.status not in SKIPPED)
        health.duplicates += sum(1 for r in results if r.status == CommentStatus.DUPLICATE)
        sent = [float(c["sent_at"]) for c in batch
                if isinstance(c.get("sent_at"), int | float)]
        health.got_comments(fresh, max(sent) if sent else None)
        if not fresh:
            health.working()
        return results

    return counted


def deliver_to(service: CaptureService, show: str, source: str) -> Deliver:
    """The ``deliver`` callable for one connector: intake into ``show`` under ``source``."""
    return functools.partial(service.ingest, show, default_source=source)


def add_senders(replies: ReplyQueue, spec: ConnectorSpec) -> None:
    """The reply sender a connector's credentials allow, for its show (none when read-only)."""
    chat = spec.connector
    if isinstance(chat, YouTubeChat) and chat.oauth_token:
        replies.add_sender(YouTubeReplier(chat, oauth_token=chat.oauth_token), spec.show)
    elif isinstance(chat, TwitchChat) and chat.oauth_token:
        replies.add_sender(TwitchReplier(chat), spec.show)
    elif isinstance(chat, FacebookLive):
        replies.add_sender(FacebookReplier(access_token=chat.access_token,
                                           mode=replies.facebook_mode, base_url=chat.base_url,
                                           api_version=chat.api_version), spec.show)


class RunningConnector:
    """One configured connector, its health and, while it runs, its task."""

    def __init__(self, index: int, spec: ConnectorSpec, service: CaptureService,
                 replies: ReplyQueue | None = None) -> None:
        self.index = index
        self.spec = spec
        self.name = f"connector {index} ({spec.kind}, show {spec.show})"
        self.health = health_of(spec.connector)
        self.health.kind, self.health.show, self.health.index = spec.kind, spec.show, index
        self.health.name = str(getattr(spec.connector, "name", spec.kind))
        self.health.official = spec.kind not in UNOFFICIAL
        if not spec.enabled:
            self.health.state = STOPPED
        chat = getattr(spec.connector, "cursor_id", "")
        if chat and hasattr(spec.connector, "cursor"):
            spec.connector.cursor = Cursor(
                service.store, spec.show, spec.kind, str(chat))
        on_captured = None
        if replies is not None:
            add_senders(replies, spec)

            async def on_captured(batch: list[Comment], results: list[CaptureResult]) -> None:
                show = await service.live_show(spec.show)
                await replies.captured(show.id, show.talk_back, batch, results)

        self.deliver = counting(deliver_to(service, spec.show, spec.connector.source),
                                self.health, on_captured)
        self.task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        if not self.running:
            self.task = asyncio.create_task(
                supervise(self.spec.connector, self.deliver, self.name, health=self.health),
                name=self.name)

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        self.health.state = STOPPED


class ConnectorRunner:
    """Every connector of this node, plus the health of each show's Facebook webhook."""

    def __init__(self, service: CaptureService, specs: Sequence[ConnectorSpec],
                 watchdog_seconds: float = 120.0, replies: ReplyQueue | None = None) -> None:
        self.service = service
        self.replies = replies
        self.connectors = [RunningConnector(i, spec, service, replies)
                           for i, spec in enumerate(specs)]
        self.watchdog_seconds = watchdog_seconds
        self.webhooks: dict[str, ConnectorHealth] = {}
        self._watchdog: asyncio.Task[None] | None = None

    def start_all(self) -> None:
        """Start every enabled connector and the watchdog."""
        for running_connector in self.connectors:
            if running_connector.spec.enabled:
                running_connector.start()
        if self._watchdog is None and self.connectors:
            self._watchdog = asyncio.create_task(self._watch(), name="connectors watchdog")

    def get(self, show: str, index: int) -> RunningConnector | None:
        if 0 <= index < len(self.connectors) and self.connectors[index].spec.show == show:
            return self.connectors[index]
        return None

    def webhook_health(self, show: str) -> ConnectorHealth:
        """The health record of a show's Facebook Page webhook, made on its first comment."""
        health = self.webhooks.get(show)
        if health is None:
            health = ConnectorHealth(kind="facebook_webhook", name="Facebook Page webhook",
                                     show=show, index=-1)
            health.started()
            self.webhooks[show] = health
        return health

    def statuses(self, show: str | None = None) -> list[ConnectorStatus]:
        """Health of every source (of one show, when given), for consoles and metrics."""
        healths = [c.health for c in self.connectors] + list(self.webhooks.values())
        return [h.status() for h in healths if show is None or h.show == show]

    async def close(self) -> None:
        if self.replies is not None:
            await self.replies.close()
        tasks = [c.task for c in self.connectors if c.task is not None]
        if self._watchdog is not None:
            tasks.append(self._watchdog)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        interval = max(0.05, min(5.0, self.watchdog_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            for connector in self.connectors:
                if connector.running and connector.health.check_quiet(self.watchdog_seconds):
                    log.warning("%s: no comments for %.0f s while running", connector.name,
                                self.watchdog_seconds)

    @property
    def tasks(self) -> list[asyncio.Task[None]]:
        return [c.task for c in self.connectors if c.task is not None]


def connector_statuses(runner: ConnectorRunner | None,
                       show: str | None = None) -> list[ConnectorStatus]:
    """Every source's health as plain dataclasses (for a metrics exporter); [] without one."""
    return runner.statuses(show) if runner is not None else []


@asynccontextmanager
async def running(service: CaptureService, specs: Sequence[ConnectorSpec],
                  watchdog_seconds: float = 120.0) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run each connector as a task while the block runs; cancel and await them after."""
    runner = ConnectorRunner(service, specs, watchdog_seconds)
    runner.start_all()
    try:
        yield runner.tasks
    finally:
        await runner.close()
