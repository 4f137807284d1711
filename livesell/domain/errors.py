"""Domain errors. Each carries a stable ``code`` that the HTTP edge maps to a status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every rule the domain refuses; ``code`` is stable for clients."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class Invalid(DomainError):
    code = "invalid"
    status = 400


class NotFound(DomainError):
    code = "not_found"
    status = 404


class UnknownProduct(DomainError):
    code = "unknown_product"
    status = 400


class SoldOut(DomainError):
    code = "insufficient_stock"
    status = 409


class StaleVersion(DomainError):
    """The order changed since the caller read it; ``detail['order']`` is the fresh one."""

    code = "stale_version"
    status = 409


class IllegalTransition(DomainError):
    code = "illegal_transition"
    status = 409


class ShowClosed(DomainError):
    code = "show_ended"
    status = 409


class StoreUnavailable(DomainError):
    code = "store_unavailable"
    status = 503
