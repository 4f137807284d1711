"""Public pages through the real app: content, language switch, 404s, escaping, QR codes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from livesell.domain.qr import qr_svg
from livesell.domain.vietqr import resolve_bank, vietqr_payload
from livesell.http.auth import hash_token
from livesell.http.pages import overlay_options, stream_embed
from tests.conftest import ROLE_TOKENS, Clock, auth, comment, post_comments, seed_show

XSS = "<img src=x onerror=alert(1)>"


async def html(client: TestClient, path: str, status: int = 200) -> str:
    resp = await client.get(path)
    assert resp.status == status, path
    assert resp.content_type == "text/html"
    return await resp.text()


async def place_order(client: TestClient, show_id: str, text: str = "chốt A2 x2",
                      name: str = "Trần Thị Bình") -> Any:
    results = await post_comments(client, show_id, [comment("o1", f"{text} 0912345678",
                                                            name=name)])
    assert results[0]["status"] == "ordered", results
    order = await client.app[keys.STORE].get_order(results[0]["order"])
    assert order is not None
    return order


async def test_index_lists_live_shows_first(client: TestClient) -> None:
    live = await seed_show(client, title="Phiên cua Đầm Dơi")
    resp = await client.post("/api/shows", json={"title": "Phiên nháp", "lineup": ["A1"]},
                             headers=auth())
    assert resp.status == 201
    page = await html(client, "/")
    assert '<html lang="vi">' in page
    assert page.index("Phiên cua Đầm Dơi") < page.index("Phiên nháp")
    assert f'href="/s/{live}"' in page
    assert "Đang live" in page and "Sắp diễn ra" in page
    english = await html(client, "/?lang=en")
    assert '<html lang="en">' in english and "Live shows" in english


async def test_viewer_renders_show_before_any_script(client: TestClient) -> None:
    show_id = await seed_show(client, title="Cua Cà Mau tối nay")
    await client.post(f"/api/shows/{show_id}/pin", json={"code": "A1"}, headers=auth())
    await post_comments(client, show_id, [comment("c1", "chốt A1 1kg x2")])
    page = await html(client, f"/s/{show_id}")
    assert "Cua Cà Mau tối nay" in page
    assert "Đang giới thiệu" in page and "Cua gạch Đầm Dơi" in page
    assert "360.000\u00a0₫" in page
    assert "còn 28 hộp" in page  # 30 in stock, 2 held
    assert 'data-sku="A1:1kg"' in page
    assert "Nguyễn V. A." in page  # ticker and feed carry short names only
    assert "Nguyễn Văn An" not in page
    assert '<script type="application/json" id="boot">' in page
    english = await html(client, f"/s/{show_id}?lang=en")
    assert "Now showing" in english and "28 left" in english


async def test_pages_send_a_strict_csp(client: TestClient) -> None:
    show_id = await seed_show(client)
    resp = await client.get(f"/s/{show_id}")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "https://www.youtube-nocookie.com" in csp
    page = await resp.text()
    # No inline script: the only <script> without src is the JSON data block.
    for chunk in page.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head


async def test_sold_out_variant_reads_het_hang(client: TestClient) -> None:
    show_id = await seed_show(client, stock={"C1": 1})
    await post_comments(client, show_id, [comment("c1", "chốt C1")])
    page = await html(client, f"/s/{show_id}")
    assert "hết hàng" in page


async def test_overlay_page_and_options(client: TestClient) -> None:
    show_id = await seed_show(client)
    await client.post(f"/api/shows/{show_id}/pin", json={"code": "B1"}, headers=auth())
    page = await html(client, f"/s/{show_id}/overlay?position=top&theme=light&widgets=product")
    assert "pos-top" in page and "theme-light" in page
    assert "Nước cốt nhàu" in page and "95.000\u00a0₫" in page
    assert 'id="ticker"' not in page and 'id="flash"' not in page
    assert overlay_options({"scale": "9", "position": "left", "widgets": "nope"}) == {
        "position": "bottom", "theme": "dark", "scale": 2.0,
        "widgets": ["product", "flash", "ticker"]}
    assert overlay_options({"scale": "nan"})["scale"] == 1.0


async def test_unknown_things_are_404_pages(client: TestClient) -> None:
    await seed_show(client)
    for path in ("/s/nope", "/s/nope/overlay", "/p/ZZ9", "/o/DD-9999?t=x"):
        page = await html(client, path, status=404)
        assert "Không tìm thấy" in page
    assert "Page not found" in await html(client, "/p/ZZ9?lang=en", status=404)


async def test_escapes_product_names_and_comments(client: TestClient) -> None:
    show_id = await seed_show(client)
    product = {"name": f"Mật ong {XSS}", "category": "food",
               "description": "<script>alert(2)</script>",
               "variants": [{"label": "", "price": 250000, "stock": 5}]}
    resp = await client.put("/api/products/X9", json=product, headers=auth())
    assert resp.status in (200, 201), await resp.text()
    await post_comments(client, show_id, [comment("c1", f"hỏi giá {XSS}", name=XSS)])
    viewer = await html(client, f"/s/{show_id}")
    assert XSS not in viewer and "&lt;img src=x onerror=alert(1)&gt;" in viewer
    page = await html(client, "/p/X9")
    assert XSS not in page and "<script>alert(2)" not in page
    assert "Mật ong &lt;img" in page


async def test_product_page_has_origin_and_qr(client: TestClient) -> None:
    await seed_show(client)
    page = await html(client, "/p/a1")
    for text in ("Cua gạch Đầm Dơi", "HTX Cua Đầm Dơi", "Quách Phẩm", "Cà Mau", "2026-11-A",
                 "OCOP 4 sao", "190.000\u00a0₫", "Thực phẩm"):
        assert text in page, text
    assert "<svg" in page
    host = f"http://{client.server.host}:{client.server.port}"
    assert f"{host}/p/A1" in page
    assert "Where it comes from" not in page
    assert "Producer" in await html(client, "/p/A1?lang=en")


async def test_order_page_needs_the_right_token(client: TestClient) -> None:
    show_id = await seed_show(client)
    order = await place_order(client, show_id)
    page = await html(client, f"/o/{order.code}?t={order.token}")
    assert order.code in page and "Đang giữ hàng" in page and "240.000\u00a0₫" in page
    assert "09xx xxx 678" in page and "0912345678" not in page
    assert "Trần T. B." in page
    resp = await client.get(f"/o/{order.code}?t={order.token}")
    assert resp.headers["Cache-Control"] == "no-store"
    assert 'id="hold"' in page  # countdown of the hold
    for bad in ("", "wrong", order.token[:-1], "ố" * 16):
        await html(client, f"/o/{order.code}?t={bad}", status=404)
    await html(client, f"/o/{order.code}", status=404)
    assert f"Order {order.code}" in await html(client, f"/o/{order.code}?t={order.token}&lang=en")


@pytest.fixture
async def pay_client(aiohttp_client: Any, settings: Settings, clock: Clock) -> TestClient:
    app = create_app(settings.with_(payment_bank="Vietcombank", payment_account="0071000123456",
                                    payment_account_name="HTX CUA DAM DOI"), clock=clock)
    test_client: TestClient = await aiohttp_client(app)
    for role, token in ROLE_TOKENS.items():
        await app[keys.STORE].add_token(hash_token(token), role, role, clock())
    return test_client


async def test_confirmed_order_shows_vietqr(pay_client: TestClient) -> None:
    show_id = await seed_show(pay_client)
    order = await place_order(pay_client, show_id)
    page = await html(pay_client, f"/o/{order.code}?t={order.token}")
    assert "VietQR" not in page  # not confirmed yet: nothing to pay
    resp = await pay_client.post(f"/api/orders/{order.code}/confirm",
                                 json={"version": order.version}, headers=auth())
    assert resp.status == 200, await resp.text()
    page = await html(pay_client, f"/o/{order.code}?t={order.token}")
    assert "Thanh toán chuyển khoản VietQR" in page
    for text in ("Vietcombank", "0071000123456", "HTX CUA DAM DOI", "240.000\u00a0₫"):
        assert text in page, text
    assert order.code.replace("-", "") in page  # the folded transfer message
    payload = vietqr_payload(resolve_bank("Vietcombank"), "0071000123456", 240000, order.code)
    assert qr_svg(payload, scale=5, title=f"VietQR {order.code}") in page


@pytest.mark.parametrize(("url", "kind", "src"), [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "iframe",
     "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&mute=1&playsinline=1"),
    ("https://youtu.be/dQw4w9WgXcQ", "iframe",
     "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&mute=1&playsinline=1"),
    ("https://youtube.com/live/dQw4w9WgXcQ?feature=share", "iframe",
     "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&mute=1&playsinline=1"),
    ("https://www.facebook.com/htxcua/videos/1234567890123/", "iframe",
     "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Fhtxcua"
     "%2Fvideos%2F1234567890123%2F&show_text=false"),
    ("https://www.facebook.com/watch/?v=1234567890123", "iframe",
     "https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2Fwatch"
     "%2F%3Fv%3D1234567890123&show_text=false"),
    ("https://www.tiktok.com/@htx.cua/video/7301234567890123456", "iframe",
     "https://www.tiktok.com/embed/v2/7301234567890123456"),
    ("https://cdn.example.vn/live/index.m3u8", "video", "https://cdn.example.vn/live/index.m3u8"),
    ("https://example.vn/stream", "link", "https://example.vn/stream"),
    ("https://www.youtube.com/watch?v=bad\"><script>", "link",
     "https://www.youtube.com/watch?v=bad\"><script>"),
    ("https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ", "link",
     "https://evil.example/youtube.com/watch?v=dQw4w9WgXcQ"),
])
def test_stream_embed_allow_list(url: str, kind: str, src: str) -> None:
    embed = stream_embed(url)
    assert embed is not None
    assert (embed.kind, embed.src) == (kind, src)


def test_stream_embed_refuses_other_schemes() -> None:
    assert stream_embed("javascript:alert(1)") is None
    assert stream_embed("data:text/html,hi") is None


async def test_viewer_embeds_the_stream(client: TestClient) -> None:
    show_id = await seed_show(client, stream_url="https://youtu.be/dQw4w9WgXcQ")
    page = await html(client, f"/s/{show_id}")
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1&amp;mute=1' in page
