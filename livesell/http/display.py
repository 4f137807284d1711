"""How pages show product photos and planned times: shared by the show pages and the booth."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from aiohttp import web

from .. import keys
from ..media import sized, srcset


def image_dir(app: web.Application) -> Path:
    settings = app[keys.SETTINGS]
    return Path(settings.image_dir) if settings.image_dir else settings.data_path / "images"


def photo(app: web.Application, url: str, width: int) -> dict[str, str]:
    """What an ``<img>`` needs for a product photo: src at about ``width``, srcset, or none."""
    if not url:
        return {}
    return {"src": sized(url, width), "srcset": srcset(url, image_dir(app)), "url": url}


VIETNAM = timezone(timedelta(hours=7), "ICT")


def local_time(at: float) -> str:
    """A planned start as people in Vietnam read it: ``19:30 · 28/01/2027``."""
    return datetime.fromtimestamp(at, VIETNAM).strftime("%H:%M · %d/%m/%Y")
