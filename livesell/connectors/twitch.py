"""Twitch chat over IRC on a WebSocket, with IRCv3 tags for message and user ids.

Twitch IRC has no history: what arrives while we are disconnected is gone, so the reader
reconnects quickly and never waits on intake. It reads into a queue while ``pump`` delivers
batches and retries failed intake, keeping IRC keepalives (PING/PONG) answered meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.client import ClientConnection, connect

from .base import Backoff, Comment, Deliver, read_and_deliver, redact
from .health import ConnectorHealth

log = logging.getLogger(__name__)

DEFAULT_URL = "wss://irc-ws.chat.twitch.tv:443"
ANONYMOUS_NICK = "justinfan12345"
ANONYMOUS_PASS = "SCHMOOPIIE"
_TAG_ESCAPES = {":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}


@dataclass(frozen=True, slots=True)
class IrcMessage:
    """One IRC line: ``@tags :prefix COMMAND params :trailing``."""

    command: str
    params: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    prefix: str = ""


def _unescape_tag(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_TAG_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def parse_line(line: str) -> IrcMessage | None:
    """Parse one IRC line; None for an empty one."""
    line = line.rstrip("\r\n")
    if not line:
        return None
    tags: dict[str, str] = {}
    if line.startswith("@"):
        raw_tags, _, line = line[1:].partition(" ")
        for part in raw_tags.split(";"):
            key, _, value = part.partition("=")
            tags[key] = _unescape_tag(value)
    prefix = ""
    if line.startswith(":"):
        prefix, _, line = line[1:].partition(" ")
    head, sep, trailing = line.partition(" :")
    words = head.split()
    if not words:
        return None
    params = words[1:]
    if sep:
        params.append(trailing)
    return IrcMessage(words[0].upper(), params, tags, prefix)


def to_comment(msg: IrcMessage) -> Comment | None:
    """Our comment shape for a tagged PRIVMSG; None for anything else."""
    if msg.command != "PRIVMSG" or len(msg.params) < 2 or not msg.tags.get("id"):
        return None
    text = msg.params[-1]
    if text.startswith("\x01ACTION ") and text.endswith("\x01"):
        text = text[8:-1]  # "/me chốt A1" is still an order
    login = msg.prefix.partition("!")[0]
    return {
        "source": "twitch",
        "id": msg.tags["id"],
        "author": {"id": msg.tags.get("user-id") or login,
                   "name": msg.tags.get("display-name") or login},
        "text": text,
    }


class Reconnect(Exception):
    """The server asked us to reconnect, or the login was refused."""


class TwitchChat:
    """Reads one channel's chat; anonymous (read-only) unless an OAuth token is given."""

    source = "twitch"

    def __init__(self, *, channel: str, oauth_token: str = "", nick: str = "",
                 url: str = DEFAULT_URL, backoff_initial: float = 1.0,
                 backoff_max: float = 60.0, open_timeout: float = 10.0) -> None:
        self.channel = channel.lstrip("#").lower()
        if not self.channel:
            raise ValueError("twitch connector needs a channel")
        self.oauth_token = oauth_token.removeprefix("oauth:")
        self.nick = (nick or ("" if self.oauth_token else ANONYMOUS_NICK)).lower()
        if not self.nick:
            raise ValueError("twitch connector needs the bot's nick with an oauth token")
        self.url = url
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.open_timeout = open_timeout
        self.name = f"twitch #{self.channel}"
        self.health = ConnectorHealth(kind="twitch", name=self.name)
        self.connection: ClientConnection | None = None  # while joined; replies use it

    async def say(self, text: str, reply_to: str = "") -> None:
        """Send a chat message (as a reply to message ``reply_to``); needs a logged-in bot."""
        if not self.oauth_token:
            raise PermissionError("twitch replies need the bot's oauth_token")
        ws = self.connection
        if ws is None:
            raise ConnectionError("not connected to Twitch chat")
        tag = f"@reply-parent-msg-id={reply_to} " if reply_to else ""
        await ws.send(f"{tag}PRIVMSG #{self.channel} :{' '.join(text.split())}")

    async def run(self, deliver: Deliver) -> None:
        """Read and deliver until cancelled; reconnects on every drop."""
        intake_backoff = Backoff(self.backoff_initial, self.backoff_max)
        await read_and_deliver(self._read_forever, deliver, intake_backoff, self.name)

    async def _read_forever(self, queue: asyncio.Queue[Comment]) -> None:
        backoff = Backoff(self.backoff_initial, self.backoff_max)
        while True:
            try:
                async with connect(self.url, open_timeout=self.open_timeout,
                                   close_timeout=2) as ws:
                    await self._login(ws)
                    self.connection = ws
                    try:
                        await self._read(ws, queue, backoff)
                    finally:
                        self.connection = None
            except (OSError, TimeoutError, websockets.WebSocketException, Reconnect) as exc:
                self.health.failed(redact(f"{type(exc).__name__}: {exc}", [self.oauth_token]))
                self.health.reconnected()
                log.warning("%s: connection lost (%s: %s); reconnecting", self.name,
                            type(exc).__name__, redact(str(exc), [self.oauth_token]))
            await backoff.wait()

    async def _login(self, ws: ClientConnection) -> None:
        password = f"oauth:{self.oauth_token}" if self.oauth_token else ANONYMOUS_PASS
        await ws.send("CAP REQ :twitch.tv/tags twitch.tv/commands")
        await ws.send(f"PASS {password}")
        await ws.send(f"NICK {self.nick}")
        await ws.send(f"JOIN #{self.channel}")

    async def _read(self, ws: ClientConnection, queue: asyncio.Queue[Comment],
                    backoff: Backoff) -> None:
        async for frame in ws:
            text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
            # One frame may carry several IRC lines.
            for line in text.split("\r\n"):
                msg = parse_line(line)
                if msg is None:
                    continue
                if msg.command == "PING":
                    await ws.send(f"PONG :{msg.params[-1] if msg.params else 'tmi.twitch.tv'}")
                elif msg.command == "PRIVMSG":
                    if (comment := to_comment(msg)) is not None:
                        queue.put_nowait(comment)
                elif msg.command == "JOIN" and msg.prefix.startswith(f"{self.nick}!"):
                    log.info("%s: joined", self.name)
                    self.health.working()
                    backoff.reset()  # joined and reading: the next drop retries quickly
                elif msg.command == "RECONNECT":
                    raise Reconnect("server asked to reconnect")
                elif (msg.command == "NOTICE" and msg.params
                      and "authentication failed" in msg.params[-1]):
                    raise Reconnect("login refused; check oauth_token and nick")
        # The server closed cleanly: for a chat reader that is still a drop to recover from.
        raise Reconnect("closed by server")
