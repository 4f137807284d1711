"""The demo show: the Cà Mau catalog, a live show with a pinned product, an owner token."""

from __future__ import annotations

import asyncio
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import keys
from ..config import Settings
from ..domain.catalog import parse_yaml
from ..http.auth import hash_token, new_token
from ..media import import_images

DEMO_TOKEN_NAME = "demo"
DEMO_TITLE = "Đặc sản OCOP Cà Mau — phiên live tối nay"
# A sample account so confirmed demo orders show their VietQR (a made-up number: scanning
# it in a banking app shows the transfer, nobody receives it).
DEMO_ACCOUNT = ("MB", "0001234567890", "HTX DAC SAN CA MAU")


def demo_products() -> list[Any]:
    text = resources.files("livesell.demo").joinpath("catalog.yaml").read_text("utf-8")
    return parse_yaml(text, "demo catalog")


async def seed_demo(app: web.Application) -> dict[str, str]:
    """Seed once (remembered in the store); returns the show id and a demo owner token.

    The token is never kept in clear: only its hash is stored, so each start mints a fresh
    one (revoking the previous demo token) and prints it."""
    store = app[keys.STORE]
    service = app[keys.SERVICE]
    show_id = await store.get_meta("demo_show")
    if show_id is None:
        products = demo_products()
        settings = app[keys.SETTINGS]
        folder = Path(settings.image_dir) if settings.image_dir else settings.data_path / "images"
        images = resources.files("livesell.demo")
        products, _ = await asyncio.to_thread(
            import_images, products, lambda name: images.joinpath(name).read_bytes(), folder,
            max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels)
        await service.put_products(products, "demo")
        show = await service.create_show(DEMO_TITLE, [p.code for p in products], "",
                                         hold_minutes=30, max_per_buyer=10)
        await service.start_show(show.id)
        first = products[0]
        # pin a size too, so "+1" in the demo orders without a trip to the review queue
        await service.pin(show.id, first.code,
                          first.variants[0].label if len(first.variants) > 1 else None)
        await store.set_meta("demo_show", show.id)
        show_id = show.id
    if await store.get_meta("demo_token"):
        await store.set_meta("demo_token", "")  # a clear-text token from an older version
    await store.revoke_tokens(name=DEMO_TOKEN_NAME)
    token = new_token()
    await store.add_token(hash_token(token), "owner", DEMO_TOKEN_NAME, app[keys.CLOCK]())
    if await app[keys.PAYMENTS].account() is None:
        await app[keys.PAYMENTS].set_account(*DEMO_ACCOUNT)
    return {"show": show_id, "token": token}


def announce(settings: Settings, seeded: dict[str, str]) -> None:
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    show, token = seeded["show"], seeded["token"]
    print(
        "\nDemo show is live:\n"
        f"  viewer   {base}/s/{show}\n"
        f"  overlay  {base}/s/{show}/overlay\n"
        f"  host     {base}/host/{show}\n"
        f"  staff    {base}/staff/{show}\n"
        f"  login    {base}/login  (paste the owner token below)\n"
        f"  owner token: {token}  (new at every start; the previous one no longer works)\n",
        flush=True,
    )
