"""Typed application keys: every shared resource of the app, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .capture.bus import EventBus
from .config import Settings

if TYPE_CHECKING:
    from .capture.customers import CustomerBook
    from .capture.payments import PaymentService
    from .capture.service import CaptureService
    from .capture.staffwork import StaffWork
    from .capture.views import ShowViews
    from .connectors.supervisor import ConnectorRunner
    from .http.buyer_ids import BuyerIds
    from .metrics import Metrics
    from .realtime.hub import RealtimeHub
    from .store.base import Store

SETTINGS = web.AppKey("settings", Settings)
STORE: web.AppKey[Store] = web.AppKey("store")
BUS = web.AppKey("bus", EventBus)
SERVICE: web.AppKey[CaptureService] = web.AppKey("service")
VIEWS: web.AppKey[ShowViews] = web.AppKey("views")
HUB: web.AppKey[RealtimeHub] = web.AppKey("hub")
BUYERS: web.AppKey[BuyerIds] = web.AppKey("buyers")
CUSTOMERS: web.AppKey[CustomerBook] = web.AppKey("customers")
JINJA: web.AppKey[Any] = web.AppKey("jinja")
CLOCK: web.AppKey[Any] = web.AppKey("clock")
# token hash -> (when checked, Principal): known bearer tokens, kept briefly
TOKEN_CACHE: web.AppKey[dict[str, Any]] = web.AppKey("token_cache")
# Prometheus registry of this app
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
# start-up and shutdown flags for /readyz: {"started": bool, "stopping": bool}
LIFECYCLE: web.AppKey[dict[str, Any]] = web.AppKey("lifecycle")
STAFFWORK: web.AppKey[StaffWork] = web.AppKey("staffwork")
PAYMENTS: web.AppKey[PaymentService] = web.AppKey("payments")
CONNECTORS: web.AppKey[ConnectorRunner] = web.AppKey("connectors")
