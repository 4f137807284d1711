"""/metrics: Prometheus text that parses, counters that move, the token guard; /readyz."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from livesell import keys
from livesell.app import create_app
from livesell.config import Settings
from tests.conftest import comment, post_comments, seed_show


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def scrape(client: TestClient, **headers: str) -> dict[Any, float]:
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(await resp.text())


async def test_counters_move_after_a_comment(client: TestClient) -> None:
    show = await seed_show(client)
    before = await scrape(client)
    key = ("livesell_comments_total", (("result", "ordered"), ("source", "sim")))
    assert before.get(key, 0) == 0
    [result] = await post_comments(client, show, [comment("m1", "chốt A1 500g")])
    assert result["status"] == "ordered"
    await post_comments(client, show, [comment("m2", "hello")])
    client.app[keys.LIFECYCLE].pop("orders_counted")  # recounted every 10 s at most
    after = await scrape(client)
    assert after[key] == 1
    assert after[("livesell_comments_total", (("result", "ignored"), ("source", "sim")))] == 1
    assert after[("livesell_capture_seconds_count", ())] >= 2
    assert after[("livesell_store_commit_seconds_count", ())] >= 1
    assert after[("livesell_orders", (("status", "captured"),))] == 1
    assert ("livesell_connected", (("audience", "viewers"),)) in after
    assert ("livesell_fanout_deliveries_total", (("audience", "viewers"),)) in after


async def test_metrics_token_guards_the_endpoint(aiohttp_client: Any, settings: Settings) -> None:
    client = await aiohttp_client(create_app(settings.with_(metrics_token="m" * 32)))
    assert (await client.get("/metrics")).status == 401
    wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    assert (await wrong.json())["error"]["code"] == "unauthorized"
    await scrape(client, Authorization="Bearer " + "m" * 32)


async def test_readyz_turns_away_traffic_once_shutting_down(client: TestClient) -> None:
    resp = await client.get("/readyz")
    assert resp.status == 200 and (await resp.json())["status"] == "ready"
    client.app[keys.LIFECYCLE]["stopping"] = True
    resp = await client.get("/readyz")
    assert resp.status == 503
    assert (await resp.json())["problems"] == ["shutting down"]
    assert (await client.get("/healthz")).status == 200  # still alive, just not ready


async def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    resp = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert resp.headers["X-Request-Id"] == "abc-123"
    resp = await client.get("/healthz", headers={"X-Request-Id": "bad id with spaces <script>"})
    assert resp.headers["X-Request-Id"] != "bad id with spaces <script>"
    assert len(resp.headers["X-Request-Id"]) == 16
