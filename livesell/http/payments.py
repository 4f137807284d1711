"""Bank-transfer webhooks, the unmatched-transfers list and the shop's bank account.

SePay retries anything but a 200 up to seven times, so a transfer we already know or cannot
match still answers ``{"success": true}``: it is stored (or was), and a retry changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from .. import keys
from ..capture.payments import PaymentService
from ..domain.errors import Invalid
from ..domain.payments import Transfer
from ..plumbing import stop_tasks
from .auth import principal, requires
from .common import ok, read_json, want, want_int

routes = web.RouteTableDef()
MAX_CONTENT = 500


def _key(request: web.Request) -> str:
    key = request.app[keys.SETTINGS].bank_webhook_key
    if not key:
        raise web.HTTPNotFound(reason="bank webhooks are not enabled (set bank_webhook_key)")
    return key


def _amount(body: Any, field: str) -> int:
    value = want(body, field, (int, float))
    if value != int(value) or abs(value) > 10**13:
        raise Invalid(f"field '{field}' must be a whole number of đồng", field=field)
    return int(value)


def _text(body: Any, field: str) -> str:
    value = want(body, field, (str, int), required=False, default="")
    return str(value)[:MAX_CONTENT]


def sepay_transfer(body: Any) -> Transfer:
    """A transfer from SePay's webhook payload (``transferType`` "in" or "out")."""
    tx_id = want(body, "id", (int, str))
    kind = want(body, "transferType", str)
    if kind not in ("in", "out"):
        raise Invalid("field 'transferType' must be 'in' or 'out'", field="transferType")
    # SePay may already have read a payment code out of the message ("code"): look there
    # first, then in the message itself.
    content = " ".join(t for t in (_text(body, "code"), _text(body, "content")) if t)
    return Transfer(id=f"sepay:{tx_id}", source="sepay", amount=_amount(body, "transferAmount"),
                    content=content, at=_text(body, "transactionDate"),
                    incoming=kind == "in", reference=_text(body, "referenceCode"),
                    account=_text(body, "accountNumber"))


@routes.post("/hooks/bank/sepay")
async def sepay(request: web.Request) -> web.Response:
    expected = "Apikey " + _key(request)
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise web.HTTPUnauthorized(reason="bad or missing Authorization: Apikey")
    transfer = sepay_transfer(await read_json(request))
    await request.app[keys.PAYMENTS].receive(transfer)
    return ok({"success": True})


@routes.post("/hooks/bank/generic")
async def generic(request: web.Request) -> web.Response:
    """Other bank feeds (Casso and similar bridges): ``{id, amount, content, time}``, signed
    ``X-Livesell-Signature: sha256=HMAC(bank_webhook_key, body)``; a negative amount is money
    going out."""
    key = _key(request)
    raw = await request.read()
    sent = request.headers.get("X-Livesell-Signature", "")
    wanted = "sha256=" + hmac.new(key.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sent.encode(), wanted.encode()):
        raise web.HTTPUnauthorized(reason="bad or missing X-Livesell-Signature")
    body = await read_json(request)
    amount = _amount(body, "amount")
    transfer = Transfer(id=f"generic:{want(body, 'id', (int, str))}", source="generic",
                        amount=abs(amount), content=_text(body, "content"),
                        at=_text(body, "time"), incoming=amount > 0)
    result = await request.app[keys.PAYMENTS].receive(transfer)
    return ok({"success": True, "result": result})


@routes.get("/api/transfers")
@requires("staff")
async def list_transfers(request: web.Request) -> web.Response:
    records = await request.app[keys.PAYMENTS].transfers(request.query.get("status") or None)
    return ok({"transfers": [r.to_json() for r in records]})


@routes.post("/api/transfers/{id}/attach")
@requires("staff")
async def attach(request: web.Request) -> web.Response:
    body = await read_json(request)
    record = await request.app[keys.PAYMENTS].attach(request.match_info["id"],
                                                want(body, "order", str),
                                                principal(request).actor)
    return ok(record.to_json())


@routes.get("/api/payment/account")
@requires("host")
async def get_account(request: web.Request) -> web.Response:
    account = await request.app[keys.PAYMENTS].account()
    return ok({"account": account.to_json() if account else None})


@routes.put("/api/payment/account")
@requires("host")
async def put_account(request: web.Request) -> web.Response:
    body = await read_json(request)
    account = await request.app[keys.PAYMENTS].set_account(
        want(body, "bank", str), want(body, "number", str),
        want(body, "holder", str, required=False, default=""))
    return ok({"account": account.to_json()})


@routes.post("/api/shows/{id}/payment-deadline")
@requires("host")
async def payment_deadline(request: web.Request) -> web.Response:
    """``{"hours": N}`` (1-720) or ``{"hours": null}`` for no deadline."""
    hours = want_int(await read_json(request), "hours", required=False, minimum=1)
    if hours is not None and hours > 720:
        raise Invalid("field 'hours' must be at most 720", field="hours")
    show = await request.app[keys.PAYMENTS].set_deadline(request.match_info["id"], hours)
    return ok(show.to_json())


async def _deadline_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[keys.PAYMENTS].run_deadlines(app[keys.SETTINGS].sweep_seconds),
                               name="payment-deadlines")
    yield
    await stop_tasks([task])


def setup(app: web.Application) -> None:
    """The payment service, its routes and the payment-deadline sweeper."""
    app[keys.PAYMENTS] = PaymentService(app[keys.STORE], app[keys.BUS], app[keys.SETTINGS],
                                   app[keys.CLOCK])
    app.add_routes(routes)
    app.cleanup_ctx.append(_deadline_ctx)
