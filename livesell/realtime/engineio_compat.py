"""The one place that reaches into python-engineio's asyncio server internals.

The viewer fan-out writes pre-built WebSocket frames straight to each viewer's
aiohttp transport. python-engineio does not expose that transport, so this
module swaps the aiohttp driver's ``WebSocket`` wrapper of *one* engine.io
server for a subclass that

* opens the handshake with ``WebSocketResponse(compress=False)``, so viewers
  never negotiate permessage-deflate (a window-15 zlib context costs ~100 KB
  per viewer and several times the CPU per delivery), and
* records, per engine.io sid, the ``WebSocketResponse`` and the request's
  transport while the engine.io websocket handler runs.

Internals relied on (checked by :func:`install`, tested with
python-engineio 4.15.1):

* ``AsyncServer._async``: the driver dict; its ``"websocket"`` entry is called
  as ``wrapper(socket._websocket_handler, server)`` and awaited with the WSGI
  environ; the bound handler's ``__self__`` is the ``AsyncSocket``.
* ``AsyncServer.sockets``: engine.io sid -> ``AsyncSocket``.
* ``AsyncSocket.sid``, ``.upgraded``, ``.upgrading``, ``.closing``,
  ``.closed`` and ``.queue`` (an ``asyncio.Queue`` drained by one writer task).
* ``asyncio.Queue._getters``: a waiting getter means that writer task is
  parked in ``queue.get()``, so nothing it dequeued is still unwritten.

When any of this is missing, :func:`install` returns ``None`` and the caller
uses the ordinary ``emit`` path only.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .framing import websocket_text_frame

logger = logging.getLogger(__name__)

#: Major versions of python-engineio whose internals match the description above.
SUPPORTED_ENGINEIO_MAJOR = 4


@dataclass(slots=True)
class ViewerSocket:
    """The aiohttp side of one engine.io websocket."""

    ws: web.WebSocketResponse
    transport: asyncio.Transport


class NoDeflateRegistry:
    """Websockets of one engine.io server, by engine.io sid."""

    def __init__(self, eio: Any) -> None:
        self.eio = eio
        self.sockets: dict[str, ViewerSocket] = {}

    def eio_socket(self, eio_sid: str) -> Any | None:
        """The engine.io ``AsyncSocket`` for ``eio_sid``, or ``None``."""
        sockets: dict[str, Any] = self.eio.sockets
        return sockets.get(eio_sid)


def _engineio_major() -> int:
    try:
        return int(importlib.metadata.version("python-engineio").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return -1


def _driver_websocket_class() -> type[Any] | None:
    try:
        from engineio.async_drivers import aiohttp as driver
    except ImportError:
        return None
    cls = getattr(driver, "WebSocket", None)
    return cls if isinstance(cls, type) else None


def _make_wrapper(base: type[Any], registry: NoDeflateRegistry) -> type[Any]:
    class NoDeflateWebSocket(base):  # type: ignore[misc]
        """The driver's wrapper, without deflate and with its socket registered."""

        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            # Mirrors the driver's __call__; the only changes are compress=False and
            # the registry entry that lives exactly as long as the engine.io handler.
            request: web.Request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(
                max_msg_size=self.server.max_http_buffer_size, compress=False
            )
            await self._sock.prepare(request)
            self.environ = environ
            owner = getattr(self.handler, "__self__", None)
            eio_sid = getattr(owner, "sid", None)
            transport = request.transport
            if not isinstance(eio_sid, str) or transport is None:
                await self.handler(self)
                return self._sock
            entry = ViewerSocket(self._sock, transport)
            registry.sockets[eio_sid] = entry
            try:
                await self.handler(self)
            finally:
                if registry.sockets.get(eio_sid) is entry:
                    del registry.sockets[eio_sid]
            return self._sock

    return NoDeflateWebSocket


def _socket_class_ok() -> bool:
    try:
        from engineio.async_socket import AsyncSocket
    except ImportError:
        return False
    return callable(getattr(AsyncSocket, "_websocket_handler", None))


def install(sio: Any) -> NoDeflateRegistry | None:
    """Hook the viewer websocket wrapper into ``sio``'s engine.io server.

    Returns the registry of viewer websockets, or ``None`` (with a warning
    logged) when the installed python-engineio is not the shape this module
    knows; callers then keep to the ordinary emit path. Idempotent per server.
    Only websockets opened after this call are registered.
    """
    eio: Any = getattr(sio, "eio", None)
    existing = getattr(eio, "_livesell_viewer_registry", None)
    if isinstance(existing, NoDeflateRegistry):
        return existing
    problem = _check(eio)
    if problem is not None:
        logger.warning("viewer fast path disabled, emit path only: %s", problem)
        return None
    base = _driver_websocket_class()
    assert base is not None  # _check made sure
    registry = NoDeflateRegistry(eio)
    # A per-server copy: the driver's _async dict is module-level and shared by
    # every engine.io server in the process.
    eio._async = dict(eio._async, websocket=_make_wrapper(base, registry))
    eio._livesell_viewer_registry = registry
    return registry


def _check(eio: Any) -> str | None:
    major = _engineio_major()
    if major != SUPPORTED_ENGINEIO_MAJOR:
        return f"python-engineio major version {major} is not {SUPPORTED_ENGINEIO_MAJOR}"
    if eio is None:
        return "server has no engine.io server"
    if getattr(eio, "async_mode", None) != "aiohttp":
        return f"async_mode is {getattr(eio, 'async_mode', None)!r}, not 'aiohttp'"
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict) or "websocket" not in drivers:
        return "engine.io server has no _async['websocket'] driver entry"
    if drivers["websocket"] is not _driver_websocket_class():
        return "engine.io websocket driver was already replaced"
    if not isinstance(getattr(eio, "sockets", None), dict):
        return "engine.io server has no sockets dict"
    if not _socket_class_ok():
        return "engine.io AsyncSocket has no _websocket_handler"
    if not hasattr(asyncio.Queue(), "_getters"):
        return "asyncio.Queue has no _getters"
    return None


def socket_is_open_websocket(eio_socket: Any) -> bool:
    """True when the engine.io socket finished its websocket upgrade and is open."""
    return bool(
        eio_socket.upgraded
        and not eio_socket.upgrading
        and not eio_socket.closing
        and not eio_socket.closed
    )


def socket_is_closing(eio_socket: Any) -> bool:
    """True once engine.io started closing the socket."""
    return bool(eio_socket.closing or eio_socket.closed)


def writer_is_idle(eio_socket: Any) -> bool:
    """True when everything queued for this socket has been handed to the transport.

    The engine.io writer task takes packets off ``queue`` and then writes them,
    so an empty queue alone can hide a packet that was dequeued and not yet
    written; a parked getter means the writer is back in ``queue.get()``.
    """
    queue: asyncio.Queue[Any] = eio_socket.queue
    return queue.empty() and bool(queue._getters)  # type: ignore[attr-defined]


def writable_socket(registry: NoDeflateRegistry, eio_sid: str,
                    eio_socket: Any) -> ViewerSocket | None:
    """Where pre-built frames for this engine.io socket may be written now, or ``None``.

    An engine.io websocket qualifies once upgraded, open and with its writer idle (and
    registered: opened after the hook). A lean connection's other namespaces
    (:mod:`.bridge`) queue nothing, every packet is written as it is sent, so they
    qualify while open."""
    direct = getattr(eio_socket, "direct", None)
    if isinstance(direct, ViewerSocket):
        return None if socket_is_closing(eio_socket) else direct
    if not socket_is_open_websocket(eio_socket) or not writer_is_idle(eio_socket):
        return None
    return registry.sockets.get(eio_sid)


def queued_packets(eio_socket: Any) -> int:
    """Packets waiting in the engine.io queue of this socket."""
    queue: asyncio.Queue[Any] = eio_socket.queue
    return queue.qsize()


def track_tasks(sio: Any) -> set[asyncio.Task[Any]]:
    """The tasks ``sio``'s engine.io server starts from now on, while they run.

    engine.io starts a ping task per connection, a task per event handler and the Redis
    manager's listener, and keeps no handle on them: a ping task sleeps out
    ``ping_interval`` after its socket closed. Cancel what is left here once the server has
    shut down, so nothing outlives the app. Idempotent per server.
    """
    eio: Any = sio.eio
    existing = getattr(eio, "_livesell_tasks", None)
    if isinstance(existing, set):
        return existing
    tasks: set[asyncio.Task[Any]] = set()
    start = eio.start_background_task

    def tracked(target: Any, *args: Any, **kwargs: Any) -> Any:
        task = start(target, *args, **kwargs)
        if isinstance(task, asyncio.Task):
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        return task

    eio.start_background_task = tracked
    eio._livesell_tasks = tasks
    return tasks


def namespace_goodbyes(sio: Any) -> dict[str, bytes]:
    """Per engine.io sid, the Socket.IO DISCONNECT frame of each namespace it joined (what a
    client needs to tell "the server closed me" from a network drop). Empty when the
    manager is not the shape python-socketio 5 has."""
    goodbyes: dict[str, bytes] = {}
    manager: Any = getattr(sio, "manager", None)
    try:
        for namespace in list(manager.get_namespaces()):
            prefix = "" if namespace == "/" else namespace + ","
            frame = websocket_text_frame(f"41{prefix}".encode())
            for _sid, eio_sid in list(manager.get_participants(namespace, None)):
                goodbyes[eio_sid] = goodbyes.get(eio_sid, b"") + frame
    except (AttributeError, TypeError, KeyError):
        return {}
    return goodbyes


def initialize_manager(sio: Any) -> None:
    """Start the client manager now (the Redis manager's listener among others).

    python-socketio does it when its first engine.io connection opens; a node whose viewers
    are all on the lean path may never see one, and would then miss every relayed push."""
    if getattr(sio, "manager_initialized", True):
        return
    sio.manager_initialized = True
    sio.manager.initialize()
