"""Signed buyer ids for one site: what the buyer cookie holds and how sockets read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..config import Settings
from ..domain.identity import address_key, buyer_key, read_buyer, sign_buyer

BUYER_COOKIE = "livesell_buyer"


@dataclass(frozen=True, slots=True)
class BuyerIds:
    """Signs and reads buyer ids for one site (the deployment's public URL)."""

    key: bytes
    site: str
    max_age: int
    secure: bool

    @classmethod
    def for_settings(cls, settings: Settings, secret: bytes) -> BuyerIds:
        site = urlsplit(settings.public_url).netloc.lower() or "local"
        return cls(buyer_key(secret), site, settings.buyer_cookie_days * 86400,
                   settings.cookie_secure)

    def buyer_of(self, cookies: Mapping[str, str]) -> str | None:
        """The signed-in buyer id of a request's cookies; None when absent or forged."""
        return read_buyer(self.key, self.site, cookies.get(BUYER_COOKIE))

    def origin_of(self, address: str) -> str:
        return address_key(self.key, address)

    def signed(self, buyer_id: str) -> str:
        return sign_buyer(self.key, self.site, buyer_id)
