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

import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import keys
from ..config import ConfigError
from .base import Connector
from .facebook import FacebookLive, FacebookLiveStream
from .replies import ReplyQueue
from .ssn import SocialStreamRelay
from .supervisor import ConnectorRunner, ConnectorSpec, deliver_to, running, supervise
from .tiktok import tiktok_chat
from .twitch import TwitchChat
from .youtube import YouTubeChat

if TYPE_CHECKING:
    from ..capture.service import CaptureService

log = logging.getLogger(__name__)
__all__ = ["ConnectorRunner", "ConnectorSpec", "connectors_ctx", "deliver_to", "make_runner",
           "parse_connectors", "running", "supervise"]

_COMMON = {"kind", "show", "backoff_initial", "backoff_max", "enabled"}
# kind -> (factory, required keys, optional keys, credential keys)
_KINDS: dict[str, tuple[Callable[..., Connector], set[str], set[str], set[str]]] = {
    "youtube": (YouTubeChat, set(), {"video_id", "live_chat_id", "base_url", "poll_seconds",
                                     "request_timeout", "quota_per_day", "show_hours"},
                {"api_key", "oauth_token"}),
    "twitch": (TwitchChat, {"channel"}, {"nick", "url", "open_timeout"}, {"oauth_token"}),
    "facebook": (FacebookLive, {"live_video_id"},
                 {"base_url", "api_version", "poll_seconds", "max_pages", "seen_window",
                  "request_timeout"}, {"access_token"}),
    "facebook_stream": (FacebookLiveStream, {"live_video_id"},
                        {"base_url", "comment_rate", "idle_seconds", "request_timeout"},
                        {"access_token"}),
    "ssn": (SocialStreamRelay, set(), {"url", "open_timeout"}, {"session"}),
    "tiktok": (tiktok_chat, {"unique_id"}, set(), set()),
}
_NUMBERS = {"backoff_initial", "backoff_max", "poll_seconds", "request_timeout",
            "open_timeout", "max_pages", "seen_window", "idle_seconds", "quota_per_day",
            "show_hours"}


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
                if key in ("max_pages", "seen_window", "quota_per_day"):
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
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{where}: 'enabled' must be true or false")
        specs.append(ConnectorSpec(kind, str(entry["show"]).strip(), connector, enabled))
    return specs


def make_runner(service: CaptureService, settings: Any,
                replies: ReplyQueue | None = None) -> ConnectorRunner:
    """The runner for the configured connectors (checked now: a bad entry fails at startup)."""
    return ConnectorRunner(service, parse_connectors(settings.connectors),
                           getattr(settings, "connector_watchdog_seconds", 120.0), replies)


async def connectors_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the configured connectors run while the app runs."""
    runner = app.get(keys.CONNECTORS)
    if runner is None:
        runner = app[keys.CONNECTORS] = make_runner(app[keys.SERVICE], app[keys.SETTINGS])
    if runner.connectors:
        log.info("starting %d platform connector(s)", len(runner.connectors))
    runner.start_all()
    try:
        yield
    finally:
        await runner.close()
