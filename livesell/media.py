"""Product photos: validated by content, re-encoded without metadata, resized to a few widths.

An upload is trusted for nothing: its type comes from decoding it (JPEG, PNG or WebP only, so an
SVG with a script in it is refused before anything is written), its size and pixel count are
capped before decoding (a decompression bomb fails fast), the EXIF orientation is applied and
every other piece of metadata (GPS, camera, comments) is dropped by re-encoding from pixels.
Each photo is stored as ``<code>-<hash>-<width>.jpg`` in the image folder; the hash makes URLs
immutable, so they are served with a year-long cache lifetime.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

WIDTHS = (160, 320, 640, 1280)
DEFAULT_WIDTH = 640
FORMATS = {"JPEG", "PNG", "WEBP"}
MEDIA_PREFIX = "/media/"
_NAME = re.compile(r"^/media/([A-Za-z0-9_-]{1,40})-([0-9a-f]{12})-(\d{2,4})\.jpg$")


class ImageRejected(ValueError):
    """The upload is not an acceptable photo; ``code`` is stable, ``str()`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class StoredImage:
    url: str  # the default width, what ``Product.image`` keeps
    widths: tuple[int, ...]


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))
            kind = probe.format
            width, height = probe.size
        except Image.DecompressionBombError:
            raise ImageRejected("image_too_large", "the image has too many pixels") from None
        except Exception:
            raise ImageRejected("not_an_image",
                                "not a photo livesell can read (JPEG, PNG or WebP)") from None
        if kind not in FORMATS:
            raise ImageRejected("unsupported_type",
                                f"{kind or 'this'} files are not accepted: JPEG, PNG or WebP")
        if width * height > max_pixels or max(width, height) > 12_000:
            raise ImageRejected("image_too_large",
                                f"{width}×{height} is too large (at most {max_pixels:,} pixels)")
        if min(width, height) < 32:
            raise ImageRejected("image_too_small", f"{width}×{height} is too small")
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("image_too_large", "the image has too many pixels") from None
        except Exception:
            raise ImageRejected("not_an_image", "the image is damaged or truncated") from None
    return image


def process(data: bytes, code: str, folder: Path, *, max_bytes: int,
            max_pixels: int) -> StoredImage:
    """Validate an upload and write its resized, metadata-free JPEGs; return the URL to keep."""
    if not data:
        raise ImageRejected("empty", "the upload is empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_big", f"the file is over {max_bytes // 1_048_576} MB")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", code):
        raise ImageRejected("bad_code", "product code cannot name a file")
    image = ImageOps.exif_transpose(_decode(data, max_pixels))
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.convert("RGB")
    digest = hashlib.sha256(image.tobytes()).hexdigest()[:12]
    folder.mkdir(parents=True, exist_ok=True)
    widths = tuple(w for w in WIDTHS if w <= image.width) or (image.width,)
    for width in widths:
        height = max(1, round(image.height * width / image.width))
        resized = image.resize((width, height), Image.Resampling.LANCZOS)
        target = folder / f"{code}-{digest}-{width}.jpg"
        partial = target.with_suffix(".partial")
        # no exif=, no icc_profile=: only pixels leave this function
        resized.save(partial, "JPEG", quality=82, optimize=True, progressive=True)
        partial.replace(target)
    default = DEFAULT_WIDTH if DEFAULT_WIDTH in widths else widths[-1]
    return StoredImage(f"{MEDIA_PREFIX}{code}-{digest}-{default}.jpg", widths)


def srcset(url: str, folder: Path | None = None) -> str:
    """``srcset`` for a stored photo URL (the widths that exist); empty for other URLs."""
    match = _NAME.match(url)
    if not match:
        return ""
    stem = f"{match.group(1)}-{match.group(2)}"
    widths = [w for w in WIDTHS if folder is None or (folder / f"{stem}-{w}.jpg").exists()]
    return ", ".join(f"{MEDIA_PREFIX}{stem}-{w}.jpg {w}w" for w in widths)


def sized(url: str, width: int) -> str:
    """The stored photo at the nearest width at or above ``width`` (same URL otherwise)."""
    match = _NAME.match(url)
    if not match:
        return url
    wanted = next((w for w in WIDTHS if w >= width), WIDTHS[-1])
    return f"{MEDIA_PREFIX}{match.group(1)}-{match.group(2)}-{min(wanted, int(match.group(3)))}.jpg"


def is_local_path(image: str) -> bool:
    """A catalog ``image`` naming a file beside the catalog (not a URL or a served path)."""
    return bool(image) and not image.startswith(("https://", "http://", "/static/", MEDIA_PREFIX))


def import_images(products: list[Any], read: Callable[[str], bytes], folder: Path, *,
                  max_bytes: int, max_pixels: int) -> tuple[list[Any], list[str]]:
    """Products whose ``image`` is a file path, with that file processed and the URL set;
    problems are returned (named by product), never raised: the catalog still imports."""
    out, problems = [], []
    for product in products:
        if is_local_path(product.image):
            try:
                stored = process(read(product.image), product.code.upper(), folder,
                                 max_bytes=max_bytes, max_pixels=max_pixels)
                product = replace(product, image=stored.url)
            except (OSError, ImageRejected) as exc:
                problems.append(f"{product.code}: image {product.image!r}: {exc}")
                product = replace(product, image="")
        out.append(product)
    return out, problems
