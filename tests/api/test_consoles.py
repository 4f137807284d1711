"""Console login, sessions, CSRF and role checks, through the real app."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import socketio  # type: ignore[import-untyped,unused-ignore]
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.http.auth import hash_password
from livesell.http.consoles import safe_next
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show

PASSWORD = "muối-tôm-2026"


async def add_user(client: TestClient, name: str = "lan", role: str = "staff") -> str:
    await client.app[keys.STORE].add_user(name, role, hash_password(PASSWORD), 0.0)
    return name


async def form_csrf(client: TestClient, path: str = "/login") -> str:
    resp = await client.get(path)
    assert resp.status == 200
    found = re.search(r'name="csrf" value="([^"]+)"', await resp.text())
    assert found
    return found.group(1)


async def login(client: TestClient, **fields: str) -> Any:
    csrf = await form_csrf(client)
    return await client.post("/login", data={"csrf": csrf, **fields}, allow_redirects=False)


def session_cookie(client: TestClient) -> str:
    for cookie in client.session.cookie_jar:
        if cookie.key == "livesell_session":
            return cookie.value
    raise AssertionError("no session cookie")


async def page_csrf(client: TestClient, path: str) -> str:
    resp = await client.get(path)
    assert resp.status == 200, await resp.text()
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', await resp.text())
    assert found
    return found.group(1)


async def test_password_login_opens_the_staff_console(client: TestClient) -> None:
    show = await seed_show(client)
    name = await add_user(client)
    resp = await login(client, username=name, password=PASSWORD, next=f"/staff/{show}")
    assert resp.status == 303
    assert resp.headers["Location"] == f"/staff/{show}"
    resp = await client.get(f"/staff/{show}")
    assert resp.status == 200
    assert 'id="orders"' in await resp.text()
    resp = await client.get(f"/api/shows/{show}/orders")
    assert resp.status == 200


async def test_token_login_for_host(client: TestClient) -> None:
    show = await seed_show(client)
    resp = await login(client, token=ROLE_TOKENS["host"], next=f"/host/{show}")
    assert resp.status == 303
    resp = await client.get(f"/host/{show}")
    assert resp.status == 200
    assert 'id="lineup"' in await resp.text()


async def test_ingest_token_cannot_log_in(client: TestClient) -> None:
    resp = await login(client, token=ROLE_TOKENS["ingest"])
    assert resp.status == 401


async def test_wrong_password_is_401_without_saying_which_part(client: TestClient) -> None:
    await add_user(client)
    wrong_password = await login(client, username="lan", password="nope")
    unknown_user = await login(client, username="nobody", password="nope")
    assert wrong_password.status == unknown_user.status == 401
    message = re.compile(r'id="login-message">([^<]+)<')
    first = message.search(await wrong_password.text())
    second = message.search(await unknown_user.text())
    assert first and second and first.group(1) == second.group(1)


async def test_repeated_failures_are_throttled(client: TestClient) -> None:
    await add_user(client)
    for _ in range(5):
        assert (await login(client, username="lan", password="nope")).status == 401
    # Even the right password waits once the limit is hit.
    resp = await login(client, username="lan", password=PASSWORD)
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0


async def test_login_without_csrf_is_refused(client: TestClient) -> None:
    await add_user(client)
    await client.get("/login")
    resp = await client.post("/login", data={"username": "lan", "password": PASSWORD},
                             allow_redirects=False)
    assert resp.status == 403
    resp = await client.post("/login", data={"csrf": "forged", "username": "lan",
                                             "password": PASSWORD}, allow_redirects=False)
    assert resp.status == 403


async def test_logout_without_csrf_is_refused(client: TestClient) -> None:
    show = await seed_show(client)
    await login(client, token=ROLE_TOKENS["staff"])
    resp = await client.post("/logout", data={}, allow_redirects=False)
    assert resp.status == 403
    assert (await client.get(f"/api/shows/{show}/orders")).status == 200


async def test_cookie_api_post_needs_the_csrf_header(client: TestClient) -> None:
    show = await seed_show(client)
    results = await post_comments(client, show, [comment("c1", "chốt A1 500g")])
    code = results[0]["order"]
    await login(client, token=ROLE_TOKENS["staff"])
    version = (await (await client.get(f"/api/orders/{code}")).json())["version"]
    resp = await client.post(f"/api/orders/{code}/confirm", json={"version": version})
    assert resp.status == 403
    csrf = await page_csrf(client, f"/staff/{show}")
    resp = await client.post(f"/api/orders/{code}/confirm", json={"version": version},
                             headers={"X-CSRF-Token": csrf})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["status"] == "confirmed"


async def test_staff_session_is_refused_host_routes(client: TestClient) -> None:
    show = await seed_show(client)
    name = await add_user(client)
    await login(client, username=name, password=PASSWORD)
    assert (await client.get(f"/api/shows/{show}/orders")).status == 200
    resp = await client.get(f"/host/{show}")
    assert resp.status == 403
    assert "host" in await resp.text()
    csrf = await page_csrf(client, f"/staff/{show}")
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "A1"},
                             headers={"X-CSRF-Token": csrf})
    assert resp.status == 403


async def test_logout_ends_the_session_for_good(client: TestClient) -> None:
    show = await seed_show(client)
    await login(client, token=ROLE_TOKENS["staff"])
    old = session_cookie(client)
    csrf = await page_csrf(client, f"/staff/{show}")
    resp = await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    assert resp.status == 303
    assert (await client.get(f"/api/shows/{show}/orders")).status == 401
    # Replaying the cookie from before the logout must not bring the session back.
    client.session.cookie_jar.clear()
    replay = {"Cookie": f"livesell_session={old}"}
    assert (await client.get(f"/api/shows/{show}/orders", headers=replay)).status == 401
    resp = await client.get(f"/staff/{show}", headers=replay, allow_redirects=False)
    assert resp.status == 303


async def test_consoles_redirect_to_login_when_logged_out(client: TestClient) -> None:
    show = await seed_show(client)
    for console in ("host", "staff"):
        resp = await client.get(f"/{console}/{show}", allow_redirects=False)
        assert resp.status == 303
        assert resp.headers["Location"] == f"/login?next=/{console}/{show}"


async def test_login_session_is_rotated(client: TestClient) -> None:
    await client.get("/login")
    before = session_cookie(client)
    await login(client, token=ROLE_TOKENS["staff"])
    assert session_cookie(client) != before


async def test_login_redirects_only_to_local_paths(client: TestClient) -> None:
    resp = await login(client, token=ROLE_TOKENS["staff"], next="//evil.example/x")
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("target,expected", [
    ("/staff/abc?lang=en", "/staff/abc?lang=en"), ("https://evil.example", "/"),
    ("//evil.example", "/"), ("/\\evil.example", "/"), ("", "/"), (None, "/"),
    ("/x\r\nSet-Cookie: a=b", "/"),
])
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


async def test_english_switch(client: TestClient) -> None:
    resp = await client.get("/login?lang=en")
    assert "Console login" in await resp.text()
    resp = await client.get("/login")
    assert "Console login" in await resp.text()  # remembered in the lang cookie


async def _staff_socket(client: TestClient, show: str,
                        headers: dict[str, str] | None = None,
                        auth_extra: dict[str, str] | None = None) -> tuple[Any, asyncio.Queue[Any]]:
    sio = socketio.AsyncClient(reconnection=False)
    events: asyncio.Queue[Any] = asyncio.Queue()
    sio.on("order", events.put_nowait, namespace="/staff")
    await sio.connect(str(client.server.make_url("/")), namespaces=["/staff"],
                      auth={"show": show, **(auth_extra or {})}, headers=headers or {},
                      transports=["websocket"], wait_timeout=3)
    return sio, events


async def test_staff_socket_refuses_without_credentials(client: TestClient) -> None:
    show = await seed_show(client)
    sio = socketio.AsyncClient(reconnection=False)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(str(client.server.make_url("/")), namespaces=["/staff"],
                              auth={"show": show}, transports=["websocket"], wait_timeout=3)
    finally:
        await sio.disconnect()


async def test_staff_socket_accepts_the_session_cookie(client: TestClient) -> None:
    show = await seed_show(client)
    await login(client, token=ROLE_TOKENS["staff"])
    cookie = f"livesell_session={session_cookie(client)}"
    sio, events = await _staff_socket(client, show, headers={"Cookie": cookie})
    try:
        results = await post_comments(client, show, [comment("c1", "chốt A1 500g x2")])
        order = await asyncio.wait_for(events.get(), 2)
        assert order["code"] == results[0]["order"]
        assert order["lines"][0]["qty"] == 2
    finally:
        await sio.disconnect()


async def test_staff_socket_refuses_an_ended_session(client: TestClient) -> None:
    show = await seed_show(client)
    await login(client, token=ROLE_TOKENS["staff"])
    old = session_cookie(client)
    csrf = await page_csrf(client, f"/staff/{show}")
    await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    sio = socketio.AsyncClient(reconnection=False)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await sio.connect(str(client.server.make_url("/")), namespaces=["/staff"],
                              auth={"show": show}, headers={"Cookie": f"livesell_session={old}"},
                              transports=["websocket"], wait_timeout=3)
    finally:
        await sio.disconnect()


async def test_bearer_api_needs_no_csrf(client: TestClient) -> None:
    show = await seed_show(client)
    resp = await client.post(f"/api/shows/{show}/pin", json={"code": "A1"}, headers=auth())
    assert resp.status == 200
