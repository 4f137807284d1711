"""A local WebSocket server on a free loopback port: the base of the push-style fakes."""

from __future__ import annotations

from websockets.asyncio.server import Server, ServerConnection, serve


class LoopbackWebSocketServer:
    """Starts on 127.0.0.1:0; subclasses implement ``_handler`` and may set ``path``."""

    path = ""

    def __init__(self) -> None:
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}{self.path}"

    async def start(self) -> None:
        self._server = await serve(self._handler, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handler(self, ws: ServerConnection) -> None:
        raise NotImplementedError
