"""The host's live numbers are the report's: revenue, paid and unpaid of this show only, from
the amounts lines were sold at (flash prices included)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from livesell import keys
from tests.conftest import ROLE_TOKENS, auth, comment, post_comments, seed_show
from tests.realtime.test_hub import Listener, url


async def act(client: TestClient, code: str, action: str) -> dict[str, Any]:
    resp = await client.get(f"/api/orders/{code}", headers=auth())
    version = (await resp.json())["version"]
    resp = await client.post(f"/api/orders/{code}/{action}", json={"version": version},
                             headers=auth())
    assert resp.status == 200, await resp.text()
    return dict(await resp.json())


async def test_host_stats_equal_the_report_after_a_mixed_show(client: TestClient) -> None:
    show = await seed_show(client)
    other = await seed_show(client, title="Another show")
    resp = await client.post(f"/api/shows/{show}/flash", headers=auth(), json={
        "code": "A2", "price": 100_000, "quantity": 2, "seconds": 600})
    assert resp.status == 200
    flash = (await resp.json())["flash"]
    assert flash["list_price"] == 120_000
    codes = {}
    for cid, text, who in [("c1", "A2 x3", "u1"),        # 2 at the flash price, 1 at 120.000
                           ("c2", "C1 x2", "u2"),        # confirmed and paid
                           ("c3", "C1 x1", "u3"),        # confirmed, not paid
                           ("c4", "B1 500ml x2", "u4"),  # held only
                           ("c5", "C1 x1", "u5")]:       # cancelled
        codes[who] = (await post_comments(client, show, [comment(cid, text, author=who)]))[0][
            "order"]
    await act(client, codes["u1"], "confirm")
    await act(client, codes["u2"], "confirm")
    await act(client, codes["u2"], "paid")
    await act(client, codes["u3"], "confirm")
    await act(client, codes["u5"], "cancel")
    # sales of the same products in another show are not this show's revenue
    [o] = await post_comments(client, other, [comment("x1", "C1 x3", author="z")])
    await act(client, o["order"], "confirm")

    resp = await client.get(f"/api/shows/{show}/report", headers=auth())
    totals = (await resp.json())["totals"]
    revenue = 2 * 100_000 + 120_000 + 2 * 150_000 + 150_000
    assert totals["revenue"] == revenue
    assert totals["paid"] == 300_000 and totals["unpaid"] == revenue - 300_000
    assert totals["held"] == 2 * 95_000

    stats = await client.app[keys.HUB].consoles.stats(show)
    for key in ("revenue", "paid", "unpaid", "held", "units_sold", "units_held"):
        assert stats[key] == totals[key], key
    # the cancelled flash-free order and the other show count for nothing; the flash counter
    # is live on the host's stats push
    host = Listener("/staff")
    try:
        await host.connect(url(client), {"show": show, "token": ROLE_TOKENS["host"]})
        pushed = await host.next("stats", timeout=3)
        assert pushed["revenue"] == revenue and pushed["paid"] == 300_000
        assert pushed["flash"]["taken"] == 2 and pushed["flash"]["quantity"] == 2
        # staff mark another order paid: the next pushes follow
        await act(client, codes["u3"], "paid")
        later = await host.until("stats", lambda d: d["paid"] == 450_000, timeout=4)
        assert later["unpaid"] == revenue - 450_000
    finally:
        await host.close()
