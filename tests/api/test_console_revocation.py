"""Open consoles follow their credential: logout, a revoked token, a removed user close them."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.http.auth import hash_token
from tests.api.test_consoles import PASSWORD, add_user, login, page_csrf, session_cookie
from tests.conftest import ROLE_TOKENS, auth, seed_show


async def staff_socket(client: TestClient, show: str, **connect: Any) -> tuple[Any, asyncio.Event]:
    sio = socketio.AsyncClient(reconnection=False)
    gone = asyncio.Event()
    sio.on("disconnect", lambda *args: gone.set(), namespace="/staff")
    await sio.connect(str(client.server.make_url("/")), namespaces=["/staff"],
                      transports=["websocket"], wait_timeout=3, **connect)
    return sio, gone


async def test_logout_closes_that_sessions_consoles_at_once(client: TestClient) -> None:
    show = await seed_show(client)
    await login(client, token=ROLE_TOKENS["staff"])
    cookie = {"Cookie": f"livesell_session={session_cookie(client)}"}
    mine, mine_gone = await staff_socket(client, show, auth={"show": show}, headers=cookie)
    other, other_gone = await staff_socket(
        client, show, auth={"show": show, "token": ROLE_TOKENS["staff"]})
    try:
        csrf = await page_csrf(client, f"/staff/{show}")
        resp = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
        assert resp.status == 303
        await asyncio.wait_for(mine_gone.wait(), 0.5)  # at once, not at the next watch round
        assert not other_gone.is_set() and other.connected
    finally:
        await mine.disconnect()
        await other.disconnect()


async def test_revoked_token_closes_consoles_and_stops_working(client: TestClient) -> None:
    show = await seed_show(client)
    token = ROLE_TOKENS["staff"]
    assert (await client.get(f"/api/shows/{show}/orders", headers=auth(token))).status == 200
    sio, gone = await staff_socket(client, show, auth={"show": show, "token": token})
    try:
        await client.app[keys.STORE].revoke_tokens(token_hash=hash_token(token))
        await asyncio.wait_for(gone.wait(), 3)
        # the token cache was cleared too: the HTTP edge refuses it right away
        resp = await client.get(f"/api/shows/{show}/orders", headers=auth(token))
        assert resp.status == 401
    finally:
        await sio.disconnect()


async def test_removed_user_loses_session_and_consoles(client: TestClient) -> None:
    show = await seed_show(client)
    name = await add_user(client)
    await login(client, username=name, password=PASSWORD)
    assert (await client.get(f"/api/shows/{show}/orders")).status == 200
    cookie = {"Cookie": f"livesell_session={session_cookie(client)}"}
    sio, gone = await staff_socket(client, show, auth={"show": show}, headers=cookie)
    try:
        await client.app[keys.STORE].remove_user(name)
        await asyncio.wait_for(gone.wait(), 3)
        assert (await client.get(f"/api/shows/{show}/orders")).status == 401
    finally:
        await sio.disconnect()
