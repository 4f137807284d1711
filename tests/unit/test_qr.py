"""Inline SVG QR codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from livesell.domain.qr import qr_svg
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
    assert int(large.get("width", "0")) == 4 * int(small.get("width", "0"))
    assert 'stroke="#0a5"' in qr_svg("A1", dark="#0a5")


def test_vietqr_payload_fits() -> None:
    payload = vietqr_payload("970436", "0123456789", 350_000, "DD-0042")
    assert qr_svg(payload).count("<path") == 1


@pytest.mark.parametrize(("data", "scale"), [("", 4), ("A1", 0)])
def test_rejects_empty_data_and_bad_scale(data: str, scale: int) -> None:
    with pytest.raises(ValueError):
        qr_svg(data, scale=scale)
