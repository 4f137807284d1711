"""Start the configured platform connectors beside the app, one task each, and stop them.

Settings carry a list of entries (``connectors:`` in config.yaml), one per platform chat:

    connectors:
      - {kind: youtube, show: "<show id>", video_id: "<video id>", api_key_env: YT_KEY}
      - {kind: twitch, show: "<show id>", channel: mychannel}
      - {kind: facebook, show: "<show id>", live_video_id: "<id>", access_token_env: FB_TOKEN}
      - {kind: facebook_stream, show: "<show id>", live_video_id: "<id>",
         access_token_env: FB_TOKEN}

A credential may be given inline (``api_key``, ``oauth_token``, ``access_token``) or, better,
named by an environment variable (``api_key_env`` ...), so it stays out of config files.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import keys
from ..config import ConfigError
from .base import FINAL_INTAKE_ERRORS, Backoff, Connector, Deliver
from .facebook import FacebookLive, FacebookLiveStream
from .twitch import TwitchChat
from .youtube import YouTubeChat

if TYPE_CHECKING:
    from ..capture.service import CaptureService

log = logging.getLogger(__name__)

_COMMON = {"kind", "show", "backoff_initial", "backoff_max"}
# kind -> (factory, required keys, optional keys, credential keys)
_KINDS: dict[str, tuple[Callable[..., Connector], set[str], set[str], set[str]]] = {
    "youtube": (YouTubeChat, set(), {"video_id", "live_chat_id", "base_url", "poll_seconds",
                                     "request_timeout"}, {"api_key"}),
    "twitch": (TwitchChat, {"channel"}, {"nick", "url", "open_timeout"}, {"oauth_token"}),
    "facebook": (FacebookLive, {"live_video_id"},
                 {"base_url", "api_version", "poll_seconds", "max_pages", "seen_window",
                  "request_timeout"}, {"access_token"}),
    "facebook_stream": (FacebookLiveStream, {"live_video_id"},
                        {"base_url", "comment_rate", "idle_seconds", "request_timeout"},
                        {"access_token"}),
}
_NUMBERS = {"backoff_initial", "backoff_max", "poll_seconds", "request_timeout",
            "open_timeout", "max_pages", "seen_window", "idle_seconds"}


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """One checked ``connectors:`` entry: which show it feeds, and the connector itself."""

    kind: str
    show: str
    connector: Connector


def parse_connectors(entries: Sequence[Mapping[str, Any]],
                     env: Mapping[str, str] | None = None) -> list[ConnectorSpec]:
    """Check the ``connectors:`` entries; a ConfigError names the entry and the key."""
    env = os.environ if env is None else env
    specs = []
    for index, entry in enumerate(entries):
        where = f"connectors[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: expected a mapping")
        kind = entry.get("kind")
        if kind not in _KINDS:
            raise ConfigError(f"{where}: 'kind' must be one of {sorted(_KINDS)}, got {kind!r}")
        factory, required, optional, credentials = _KINDS[kind]
        allowed = _COMMON | required | optional | credentials | {f"{c}_env" for c in credentials}
        for key in entry:
            if key not in allowed:
                raise ConfigError(f"{where}: unknown key '{key}' for kind {kind}")
        for key in required | {"show"}:
            if not str(entry.get(key) or "").strip():
                raise ConfigError(f"{where}: '{key}' is required for kind {kind}")
        args: dict[str, Any] = {}
        for key in (required | optional | {"backoff_initial", "backoff_max"}) & set(entry):
            value = entry[key]
            if key in _NUMBERS:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    raise ConfigError(f"{where}: '{key}' must be a number") from None
                if value <= 0:
                    raise ConfigError(f"{where}: '{key}' must be positive")
                if key in ("max_pages", "seen_window"):
                    value = int(value)
            else:
                value = str(value)
            args[key] = value
        for key in credentials:
            if name := entry.get(f"{key}_env"):
                if name not in env:
                    raise ConfigError(f"{where}: environment variable {name} is not set")
                args[key] = env[name]
            elif key in entry:
                args[key] = str(entry[key])
        if kind == "youtube" and not args.get("api_key"):
            raise ConfigError(f"{where}: youtube needs 'api_key' or 'api_key_env'")
        if kind.startswith("facebook") and not args.get("access_token"):
            raise ConfigError(f"{where}: {kind} needs 'access_token' or 'access_token_env'")
        try:
            connector = factory(**args)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        specs.append(ConnectorSpec(kind, str(entry["show"]).strip(), connector))
    return specs


async def supervise(connector: Connector, deliver: Deliver, name: str,
                    backoff: Backoff | None = None) -> None:
    """Run a connector for the whole show: restart it after a crash, stop when it is done."""
    backoff = backoff or Backoff(1.0, 60.0)
    while True:
        try:
            await connector.run(deliver)
        except FINAL_INTAKE_ERRORS as exc:
            log.info("%s: stopped: %s", name, exc)
            return
        except Exception:
            # A bug or a platform answer we did not expect must not end capture for the
            # show: log it whole, wait, start over. Re-read comments come back "duplicate".
            log.exception("%s: crashed; restarting", name)
            await backoff.wait()
            continue
        log.info("%s: chat is over", name)
        return


def deliver_to(service: CaptureService, show: str, source: str) -> Deliver:
    """The ``deliver`` callable for one connector: intake into ``show`` under ``source``."""
    return functools.partial(service.ingest, show, default_source=source)


@asynccontextmanager
async def running(service: CaptureService,
                  specs: Sequence[ConnectorSpec]) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run each connector as a task while the block runs; cancel and await them after."""
    tasks = []
    for index, spec in enumerate(specs):
        name = f"connector {index} ({spec.kind}, show {spec.show})"
        deliver = deliver_to(service, spec.show, spec.connector.source)
        tasks.append(asyncio.create_task(supervise(spec.connector, deliver, name), name=name))
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


async def connectors_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the configured connectors run while the app runs."""
    entries = app[keys.SETTINGS].connectors
    specs = parse_connectors(entries)
    if specs:
        log.info("starting %d platform connector(s)", len(specs))
    async with running(app[keys.SERVICE], specs):
        yield
