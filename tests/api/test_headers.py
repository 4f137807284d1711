"""CSP and framing on every page; links and QR codes never built from a forged Host."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from livesell.app import create_app
from livesell.config import Settings
from tests.api.test_consoles import login
from tests.conftest import ROLE_TOKENS, Clock, seed_show


async def test_every_page_has_csp_and_refuses_framing(client: TestClient) -> None:
    show = await seed_show(client)
    public = ["/", f"/s/{show}", "/p/A1", "/login", "/s/nope"]
    for path in public:
        resp = await client.get(path, allow_redirects=False)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert resp.headers.get("X-Frame-Options") == "DENY", path
    await login(client, token=ROLE_TOKENS["host"])
    for path in (f"/host/{show}", f"/staff/{show}"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 200, path
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp


async def test_overlay_may_be_framed_by_streaming_tools(client: TestClient) -> None:
    show = await seed_show(client)
    resp = await client.get(f"/s/{show}/overlay")
    assert resp.status == 200
    assert "frame-ancestors 'none'" not in resp.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in resp.headers


async def test_forged_host_never_reaches_links(client: TestClient) -> None:
    await seed_show(client)
    resp = await client.get("/p/A1", headers={"Host": "evil.example"})
    text = await resp.text()
    assert resp.status == 200
    assert "evil.example" not in text


async def test_public_url_wins_and_allowed_hosts_refuse_others(
        aiohttp_client: Any, settings: Settings, clock: Clock) -> None:
    app = create_app(settings.with_(allowed_hosts=("shop.example.vn",)), clock=clock)
    client: TestClient = await aiohttp_client(app)
    await seed_show(client)
    resp = await client.get("/p/A1", headers={"Host": "evil.example"})
    assert resp.status == 421
    resp = await client.get("/p/A1", headers={"Host": "shop.example.vn"})
    assert resp.status == 200 and "http://shop.example.vn/p/A1" in await resp.text()
    app = create_app(settings.with_(public_url="https://live.htx.vn/"), clock=clock)
    client = await aiohttp_client(app)
    await seed_show(client)
    text = await (await client.get("/p/A1", headers={"Host": "evil.example"})).text()
    assert "https://live.htx.vn/p/A1" in text and "evil.example" not in text
