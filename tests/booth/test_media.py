"""Product photo uploads: type by content, size and pixel limits, no metadata, a few widths."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from livesell.media import ImageRejected, process, sized, srcset

LIMITS = {"max_bytes": 2_000_000, "max_pixels": 40_000_000}


def jpeg(width: int = 900, height: int = 600, **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(out, "JPEG", **save)
    return out.getvalue()


def test_a_photo_is_resized_to_widths_and_served_by_hash(tmp_path: Path) -> None:
    stored = process(jpeg(), "A1", tmp_path, **LIMITS)
    assert stored.url.startswith("/media/A1-") and stored.url.endswith("-640.jpg")
    assert stored.widths == (160, 320, 640)  # never enlarged past the original
    for width in stored.widths:
        [path] = tmp_path.glob(f"A1-*-{width}.jpg")
        with Image.open(path) as image:
            assert image.size[0] == width
    assert srcset(stored.url, tmp_path).count("w,") == 2
    assert sized(stored.url, 100).endswith("-160.jpg")
    assert sized(stored.url, 2000).endswith("-640.jpg")
    # the same pixels give the same name: re-uploading the same photo changes nothing
    assert process(jpeg(), "A1", tmp_path, **LIMITS).url == stored.url


def test_exif_and_gps_are_stripped_and_orientation_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: the stored photo must come out upright (portrait)
    exif[0x010F] = "SecretCam"
    gps = {1: "N", 2: (10.0, 45.0, 0.0)}
    exif[0x8825] = gps
    stored = process(jpeg(800, 400, exif=exif.tobytes()), "B1", tmp_path, **LIMITS)
    [path] = tmp_path.glob("B1-*-160.jpg")
    with Image.open(path) as image:
        assert image.size == (160, 320)
        assert not image.getexif()
        assert "icc_profile" not in image.info and "exif" not in image.info
    assert b"SecretCam" not in path.read_bytes()
    assert stored.url


@pytest.mark.parametrize("data, code", [
    (b"hello, not an image", "not_an_image"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not_an_image"),
    (b"GIF89a" + b"\x00" * 40, "not_an_image"),
    (b"", "empty"),
])
def test_non_images_are_refused(tmp_path: Path, data: bytes, code: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        process(data, "A1", tmp_path, **LIMITS)
    assert caught.value.code == code
    assert not list(tmp_path.iterdir())


def test_a_gif_is_refused_by_type(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("P", (64, 64)).save(out, "GIF")
    with pytest.raises(ImageRejected) as caught:
        process(out.getvalue(), "A1", tmp_path, **LIMITS)
    assert caught.value.code == "unsupported_type"


def test_an_oversized_file_is_refused_before_decoding(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected) as caught:
        process(jpeg() + b"\x00" * 2_000_000, "A1", tmp_path, **LIMITS)
    assert caught.value.code == "too_big"


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(out, "PNG")  # 900 MP in a small file
    assert len(out.getvalue()) < 2_000_000
    with pytest.raises(ImageRejected) as caught:
        process(out.getvalue(), "A1", tmp_path, **LIMITS)
    assert caught.value.code == "image_too_large"
    assert not list(tmp_path.iterdir())


def test_transparent_png_gets_a_white_background(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (400, 300), (0, 0, 0, 0)).save(out, "PNG")
    process(out.getvalue(), "C1", tmp_path, **LIMITS)
    [path] = tmp_path.glob("C1-*-320.jpg")
    with Image.open(path) as image:
        assert image.getpixel((10, 10)) == (255, 255, 255)


def test_codes_that_are_not_file_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageRejected):
        process(jpeg(), "../x", tmp_path, **LIMITS)
