"""Settings: config.yaml, then ``LIVESELL_*`` environment variables, into one frozen object.

Every key has a default here and a comment in the repository's ``config.yaml``; a test keeps
the two in step. Nothing is read at import time: ``load_settings`` is called by the CLI and the
tests, and the resulting ``Settings`` is handed to ``create_app``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .domain.errors import Invalid
from .domain.payments import bank_account
from .netaddr import parse_networks

ENV_PREFIX = "LIVESELL_"


class ConfigError(Exception):
    """A setting is unknown or has a value of the wrong kind; the message names key and file."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of a livesell node. Defaults work out of the box on one machine."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = "./data"
    store: str = "sqlite"
    public_url: str = ""
    language: str = "vi"
    log_level: str = "INFO"
    admin_token: str = ""
    secret_key: str = ""
    webhook_secret: str = ""
    sqlite_synchronous: str = "FULL"
    group_commit_ms: float = 2.0
    group_commit_max: int = 512
    redis_prefix: str = "ls"
    redis_wait_aof: bool = False
    order_prefix: str = "DD"
    hold_minutes: int = 30
    max_per_buyer: int = 10
    max_qty: int = 50
    max_comment_chars: int = 2000
    max_batch: int = 500
    max_body_bytes: int = 1_048_576
    sweep_seconds: float = 5.0
    stock_push_hz: float = 5.0
    ticker_size: int = 20
    comment_rate: float = 1.0
    comment_burst: int = 3
    cors_allowed_origins: tuple[str, ...] = ()
    ping_interval: int = 25
    viewer_max_buffer: int = 65_536
    socket_max_message: int = 16_384
    lean_live: bool = True
    cookie_secure: bool = False
    payment_bank: str = ""
    payment_account: str = ""
    payment_account_name: str = ""
    demo: bool = False
    # Mappings are not hashable; leaving them out of the hash keeps Settings usable as a key.
    connectors: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    # operations
    log_format: str = "text"
    metrics_token: str = ""
    backup_dir: str = ""
    backup_every_minutes: int = 0
    backup_keep: int = 24
    # the booth and product photos
    booth_title: str = "Gian hàng OCOP"
    booth_hold_minutes: int = 1440
    booth_orders_per_minute: int = 5
    image_dir: str = ""
    image_max_bytes: int = 8_388_608
    image_max_pixels: int = 40_000_000
    # SQLite: compare every answer the writer keeps in memory with SQL (tests, debugging).
    check_writer_cache: bool = False
    # Comment reading: orders read with less confidence go to review and hold nothing
    # (the parser's DEFAULT_MIN_CONFIDENCE, chosen on the labelled corpus).
    order_min_confidence: float = 0.8
    # -- hardening -------------------------------------------------------------------------
    trusted_proxies: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    # -- payments (bank transfers) --
    bank_webhook_key: str = ""
    payment_grace_minutes: int = 60
    # -- buyers: site identity and anti-hoarding limits
    buyer_cookie_days: int = 180
    anonymous_max_units: int = 3
    address_max_holds: int = 30
    # -- platform connectors (Facebook Page webhooks, health) --
    facebook_verify_token: str = ""
    facebook_app_secret: str = ""
    connector_watchdog_seconds: float = 120.0
    facebook_page_token: str = ""
    facebook_reply: str = "private"
    facebook_graph_url: str = "https://graph.facebook.com"
    # staff work after the show (claims, exports)
    claim_seconds: int = 120
    export_default_weight_g: int = 500

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def public_base(self) -> str:
        """This server's public address from settings alone, never from a request's Host
        header: ``public_url``, else the address it listens on."""
        configured = self.public_url.rstrip("/")
        if configured:
            return configured
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (validated like any other)."""
        return validate(dataclasses.replace(self, **changes), source="<override>")


_CHOICES: dict[str, tuple[str, ...]] = {
    "sqlite_synchronous": ("FULL", "NORMAL", "OFF"),
    "language": ("vi", "en"),
    "log_level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "log_format": ("text", "json"),
    "facebook_reply": ("private", "comment"),
}
_POSITIVE = {
    "port", "group_commit_max", "hold_minutes", "max_per_buyer", "max_qty", "max_comment_chars",
    "max_batch", "max_body_bytes", "sweep_seconds", "stock_push_hz", "ticker_size",
    "comment_rate", "comment_burst", "ping_interval", "viewer_max_buffer", "socket_max_message",
    "booth_hold_minutes", "booth_orders_per_minute", "image_max_bytes", "image_max_pixels",
    "payment_grace_minutes",
    "connector_watchdog_seconds",
}
_POSITIVE.update({"claim_seconds", "export_default_weight_g"})

_POSITIVE |= {"buyer_cookie_days", "anonymous_max_units", "address_max_holds"}


def setting_names() -> list[str]:
    """Names of every documented setting."""
    return [f.name for f in fields(Settings)]


def _connector_entries(value: Any) -> tuple[Mapping[str, Any], ...]:
    """``connectors``: a list of mappings; from the environment, that list as YAML or JSON."""
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ValueError(value) from None
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
        raise ValueError(value)
    return tuple(dict(v) for v in value)


def _coerce(name: str, value: Any, source: str) -> Any:
    default = next(f for f in fields(Settings) if f.name == name).default
    try:
        if name == "connectors":
            return _connector_entries(value)
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            if isinstance(value, list | tuple):
                return tuple(str(v) for v in value)
            raise ValueError(value)
        if value is None:
            return ""
        return str(value)
    except (TypeError, ValueError):
        kind = type(default).__name__
        raise ConfigError(f"{source}: setting '{name}' must be {kind}, got {value!r}") from None


def validate(settings: Settings, source: str = "<settings>") -> Settings:
    """Check ranges and choices; raise ConfigError naming the setting."""
    for name, choices in _CHOICES.items():
        value = getattr(settings, name)
        if value not in choices:
            raise ConfigError(f"{source}: setting '{name}' must be one of {choices}, got {value!r}")
    for name in _POSITIVE:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{source}: setting '{name}' must be positive")
    if settings.backup_every_minutes < 0 or settings.backup_keep < 1:
        raise ConfigError(f"{source}: settings 'backup_every_minutes' must be >= 0 and "
                          "'backup_keep' >= 1")
    if not 0 <= settings.order_min_confidence <= 1:
        raise ConfigError(f"{source}: setting 'order_min_confidence' must be between 0 and 1")
    if settings.group_commit_ms < 0:
        raise ConfigError(f"{source}: setting 'group_commit_ms' must be >= 0")
    try:
        parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise ConfigError(f"{source}: setting 'trusted_proxies' has a bad entry {exc}: "
                          "expected IP addresses or CIDR ranges") from None
    if not (settings.store == "sqlite" or settings.store.startswith(("redis://", "rediss://"))):
        raise ConfigError(f"{source}: setting 'store' must be 'sqlite' or a redis:// URL")
    if settings.payment_bank or settings.payment_account:
        try:
            bank_account(settings.payment_bank, settings.payment_account,
                         settings.payment_account_name)
        except Invalid as exc:
            raise ConfigError(f"{source}: settings 'payment_bank'/'payment_account': "
                              f"{exc.message}") from None
    return settings


MIN_SECRET_CHARS = 32


def check_secrets(settings: Settings, source: str = "<settings>") -> None:
    """Refuse to serve with a guessable admin token or cookie key (ConfigError naming it).

    Empty is allowed: no admin token means none is accepted, and an empty ``secret_key``
    means a random one is made and kept in ``data_dir``."""
    for name in ("admin_token", "secret_key"):
        value = getattr(settings, name)
        if value and len(value) < MIN_SECRET_CHARS:
            raise ConfigError(
                f"{source}: setting '{name}' is {len(value)} characters; use at least "
                f"{MIN_SECRET_CHARS} (e.g. python -c 'import secrets; "
                f"print(secrets.token_urlsafe(32))')")


def load_settings(
    path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read a config file (optional), then ``LIVESELL_*`` env vars, then keyword overrides.

    Unknown keys are an error that names the key and the file, so a typo never silently
    falls back to a default on show night.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    known = set(setting_names())
    if path is not None:
        source = str(path)
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read config file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: expected a mapping of settings")
        for key, value in raw.items():
            if key not in known:
                raise ConfigError(f"{source}: unknown setting '{key}'")
            values[key] = _coerce(key, value, source)
    for key in known:
        env_key = ENV_PREFIX + key.upper()
        if env_key in env:
            values[key] = _coerce(key, env[env_key], f"environment {env_key}")
    for key, value in overrides.items():
        if key not in known:
            raise ConfigError(f"<arguments>: unknown setting '{key}'")
        if value is not None:
            values[key] = _coerce(key, value, "<arguments>")
    return validate(Settings(**values), source=str(path) if path else "<settings>")
