"""Login brute force: attempts counted before checking, per address and account, off the loop."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell.app import create_app
from livesell.config import Settings
from livesell.http import login_guard
from livesell.netaddr import client_address, parse_networks
from tests.api.test_consoles import PASSWORD, add_user, form_csrf
from tests.conftest import Clock

MESSAGE = re.compile(r'id="login-message">([^<]+)<')


async def attempt(client: TestClient, csrf: str, password: str, username: str = "lan",
                  **headers: str) -> Any:
    return await client.post("/login", data={"csrf": csrf, "username": username,
                                             "password": password},
                             headers=headers, allow_redirects=False)


async def test_concurrent_wrong_passwords_are_counted_before_checking(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    await add_user(client)
    checked: list[str] = []
    real = login_guard.check_password

    def counting(password: str, stored: str) -> bool:
        checked.append(threading.current_thread().name)
        return real(password, stored)

    monkeypatch.setattr(login_guard, "check_password", counting)
    csrf = await form_csrf(client)
    answers = await asyncio.gather(*(attempt(client, csrf, f"wrong-{i}") for i in range(40)))
    statuses = [r.status for r in answers]
    assert statuses.count(401) == 5 and statuses.count(429) == 35
    assert len(checked) == 5
    # scrypt ran on worker threads, never on the event loop's thread
    assert threading.main_thread().name not in checked


async def test_health_answers_while_passwords_are_hashed(client: TestClient) -> None:
    await add_user(client)
    csrf = await form_csrf(client)
    loop = asyncio.get_running_loop()
    logins = [asyncio.ensure_future(attempt(client, csrf, f"w{i}")) for i in range(5)]
    started = loop.time()
    resp = await client.get("/healthz")
    took = loop.time() - started
    await asyncio.gather(*logins)
    assert resp.status == 200
    assert took < 0.25  # five scrypt runs on the loop would hold it for ~0.4 s or more


async def test_account_locked_across_addresses_says_when(
        aiohttp_client: Any, settings: Settings, clock: Clock) -> None:
    app = create_app(settings.with_(trusted_proxies=("127.0.0.1",)), clock=clock)
    client: TestClient = await aiohttp_client(app)
    await add_user(client)
    csrf = await form_csrf(client)
    for i in range(10):  # ten addresses, one wrong password each
        resp = await attempt(client, csrf, "nope", **{"X-Forwarded-For": f"203.0.113.{i}"})
        assert resp.status == 401
    resp = await attempt(client, csrf, PASSWORD, **{"X-Forwarded-For": "198.51.100.7"})
    assert resp.status == 429
    wait = int(resp.headers["Retry-After"])
    assert 800 < wait <= 901
    found = MESSAGE.search(await resp.text())
    assert found and "tạm khóa" in found.group(1) and f"{wait} giây" in found.group(1)
    client.session.cookie_jar.update_cookies({"lang": "en"})
    resp = await attempt(client, csrf, PASSWORD, **{"X-Forwarded-For": "198.51.100.7"})
    found = MESSAGE.search(await resp.text())
    assert found and "locked" in found.group(1) and "seconds" in found.group(1)
    # another account from the same addresses is not locked
    await add_user(client, "minh")
    resp = await attempt(client, csrf, PASSWORD, username="minh",
                         **{"X-Forwarded-For": "198.51.100.7"})
    assert resp.status == 303
    clock.advance(wait)
    resp = await attempt(client, await form_csrf(client), PASSWORD,
                         **{"X-Forwarded-For": "198.51.100.8"})
    assert resp.status == 303


async def test_forwarded_for_ignored_unless_from_a_trusted_proxy(client: TestClient) -> None:
    await add_user(client)
    csrf = await form_csrf(client)
    for i in range(5):
        resp = await attempt(client, csrf, "nope", username=f"nobody{i}",
                             **{"X-Forwarded-For": f"203.0.113.{i}"})
        assert resp.status == 401
    resp = await attempt(client, csrf, PASSWORD, **{"X-Forwarded-For": "198.51.100.9"})
    assert resp.status == 429  # the header did not buy a fresh address


def test_client_address_through_proxies() -> None:
    trusted = parse_networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address("127.0.0.1", "203.0.113.5", trusted) == "203.0.113.5"
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.5, 10.1.1.1", trusted) \
        == "203.0.113.5"
    assert client_address("198.51.100.1", "203.0.113.5", trusted) == "198.51.100.1"
    assert client_address("127.0.0.1", "garbage", trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "203.0.113.5", ()) == "127.0.0.1"
    with pytest.raises(ValueError):
        parse_networks(["not-an-ip"])
