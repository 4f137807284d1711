"""Inline SVG QR codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import segno

from livesell.domain.qr import QUIET_ZONE, qr_svg
from livesell.domain.vietqr import vietqr_payload


def test_svg_is_inlineable_markup_with_a_title() -> None:
    svg = qr_svg("https://example.org/p/A1")
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.findtext("title") == "Mã QR"


def test_title_is_escaped() -> None:
    svg = qr_svg("A1", title='Cua <gạch> & "muối"')
    assert ET.fromstring(svg).findtext("title") == 'Cua <gạch> & "muối"'


def test_scale_and_colour_are_applied() -> None:
    small = ET.fromstring(qr_svg("A1", scale=2))
    large = ET.fromstring(qr_svg("A1", scale=8, dark="#0a5"))
    assert _box(large)[2] == 4 * _box(small)[2]
    assert 'stroke="#0a5"' in qr_svg("A1", dark="#0a5")


def _box(root: ET.Element) -> list[int]:
    return [int(float(n)) for n in root.get("viewBox", "").split()]


def test_svg_scales_with_css_and_keeps_its_quiet_zone() -> None:
    """A viewBox and no fixed size: CSS may draw it at any size without cropping; the box
    holds the symbol plus four light modules on every side."""
    root = ET.fromstring(qr_svg("A1", scale=3))
    assert root.get("width") is None and root.get("height") is None
    x, y, width, height = _box(root)
    assert (x, y) == (0, 0) and width == height
    modules = segno.make("A1", error="m", micro=False).symbol_size(border=0)[0]
    assert width == (modules + 2 * QUIET_ZONE) * 3


def test_vietqr_payload_fits() -> None:
    payload = vietqr_payload("970436", "0123456789", 350_000, "DD-0042")
    svg = qr_svg(payload)
    assert svg.count('stroke="#111"') == 1 and 'fill="#fff"' in svg


@pytest.mark.parametrize(("data", "scale"), [("", 4), ("A1", 0)])
def test_rejects_empty_data_and_bad_scale(data: str, scale: int) -> None:
    with pytest.raises(ValueError):
        qr_svg(data, scale=scale)
