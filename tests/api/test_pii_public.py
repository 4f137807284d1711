"""No obfuscated phone or address reaches any public payload: the public snapshot, the
viewer page, the overlay, and the viewers' comment and ticker pushes."""

from __future__ import annotations

import asyncio
import json
import tempfile
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from livesell import keys
from livesell.app import create_app
from livesell.config import load_settings
from livesell.domain.masking import contains_phone
from livesell.domain.pii import digits_seen
from livesell.http.auth import hash_token
from tests.conftest import OWNER, Clock, auth, seed_show
from tests.realtime.test_hub import Listener, listeners, viewer
from tests.unit.test_pii import STREETS, WARDS, phones, spelled

__all__ = ["listeners"]

ISSUE_SPELLINGS = [
    "0912/345/678", "0912,345,678", "0912 -- 345 -- 678", "0912😍345😍678", "0912a345b678",
    "0912\u00ad345\u00ad678", "không chín một hai ba bốn năm sáu bảy tám",
    "zero nine one two three four five six seven eight", "⓪⑨①②③④⑤⑥⑦⑧", "⁰⁹¹²³⁴⁵⁶⁷⁸",
]
PHONE = "0912345678"


async def _public_payloads(client: TestClient, show: str) -> list[str]:
    out = [json.dumps(await (await client.get(f"/api/shows/{show}")).json(), ensure_ascii=False)]
    for path in (f"/s/{show}", f"/s/{show}/overlay", "/api/shows"):
        out.append(await (await client.get(path)).text())
    return out


async def _pay_everything(app: Any, show: str) -> None:
    """Each order paid by transfer (in FPFS the payment takes the units, or flags a refund)."""
    from livesell.domain.payments import Transfer

    for i, order in enumerate(await app[keys.STORE].list_orders(show)):
        await app[keys.PAYMENTS].receive(Transfer(f"sepay:p{i}", "sepay", order.total + 1,
                                                  order.code))


def _clean(payloads: list[str], phone: str, secrets: list[str]) -> None:
    for payload in payloads:
        assert not contains_phone(payload)
        assert phone[1:] not in digits_seen(payload)
        for secret in secrets:
            assert secret not in payload


async def _scenario(comments: list[tuple[str, str]], phone: str, secrets: list[str],
                    first_paid: bool = False) -> None:
    with tempfile.TemporaryDirectory() as data:
        settings_ = load_settings(env={}, data_dir=data, admin_token=OWNER,
                                  sqlite_synchronous="OFF", sweep_seconds=3600.0)
        app = create_app(settings_, clock=Clock())
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            await app[keys.STORE].add_token(hash_token("x"), "ingest", "x", 0.0)
            show = await seed_show(client)
            if first_paid:  # first paid, first served: requested lines, then a payment
                resp = await client.patch(f"/api/shows/{show}", json={"first_paid": True},
                                          headers=auth())
                assert resp.status == 200
            batch = [{"source": "sim", "id": f"c{i}", "author": {"id": "buyer", "name": name},
                      "text": text} for i, (name, text) in enumerate(comments)]
            resp = await client.post(f"/api/shows/{show}/comments",
                                     json={"comments": batch}, headers=auth())
            assert resp.status == 200
            if first_paid:
                await _pay_everything(app, show)
            _clean(await _public_payloads(client, show), phone, secrets)
        finally:
            await client.close()


@given(st.data())
@settings(max_examples=8, deadline=None, phases=[Phase.generate])  # one app each
def test_public_payloads_never_carry_obfuscated_contacts(data: st.DataObject) -> None:
    phone = data.draw(phones())
    written = data.draw(spelled(phone))
    street, ward = data.draw(st.sampled_from(STREETS)), data.draw(st.sampled_from(WARDS))
    split = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["NguyenVanAn", "Lê.Văn.Tám", "Nguyễn-Văn-Bình"]))
    if split:
        cut = len(written) // 2
        comments = [(name, f"chốt A2 sđt {written[:cut]}"), (name, written[cut:])]
    else:
        comments = [(name, f"chốt A2 {written} giao 12 {street}, Phường {ward}, Quận 3")]
    secrets = ["VanAn", "Văn.Tám", "Văn-Bình", f"12 {street}", f"Phường {ward}",
               "paid_sold_out", '"payment_flag"', '"received"']
    asyncio.run(_scenario(comments, phone, secrets, first_paid=data.draw(st.booleans())))


async def test_viewer_pushes_mask_every_spelling(client: TestClient,
                                                 listeners: list[Listener]) -> None:
    show = await seed_show(client)
    v = await viewer(client, show, listeners)
    await v.next("snapshot")
    batch = [{"source": "sim", "id": f"s{i}", "author": {"id": f"u{i}", "name": f"Khách{i}"},
              "text": f"chốt A2 {text}"} for i, text in enumerate(ISSUE_SPELLINGS)]
    batch.append({"source": "sim", "id": "addr", "author": {"id": "ua", "name": "NguyenVanAn"},
                  "text": "A2 giao 123 Lê Lợi, Phường Bến Thành, Quận 1"})
    resp = await client.post(f"/api/shows/{show}/comments", json={"comments": batch},
                             headers=auth())
    assert resp.status == 200
    def received(name: str) -> list[Any]:
        return [data for event, data in v.seen if event == name]

    deadline = asyncio.get_running_loop().time() + 5
    while (sum(len(d["items"]) for d in received("comment")) < len(batch)
           or not received("ticker")):
        assert asyncio.get_running_loop().time() < deadline, v.seen
        await asyncio.wait_for(v.events.get(), 5)
    pushed, ticker = received("comment"), received("ticker")
    for payload in [json.dumps(pushed, ensure_ascii=False), json.dumps(ticker, ensure_ascii=False),
                    *await _public_payloads(client, show)]:
        assert PHONE[1:] not in digits_seen(payload)
        assert "Lê Lợi" not in payload and "Bến Thành" not in payload
        assert "VanAn" not in payload
