"""QR codes as inline SVG, for traceability pages and payment codes."""

from __future__ import annotations

import segno

__all__ = ["QUIET_ZONE", "qr_svg"]

# ISO/IEC 18004 asks for four modules of light margin around the symbol; phone cameras and
# decoders look for it to find the finder patterns.
QUIET_ZONE = 4


def qr_svg(data: str, *, scale: int = 4, dark: str = "#111", title: str = "Mã QR") -> str:
    """Render ``data`` as a scalable SVG QR code ready to paste into an HTML page.

    The markup has a ``viewBox`` and no fixed width or height, so CSS sizes it to any box
    without cropping; the quiet zone is drawn inside it on a white background, so the code
    scans on a dark page too. No XML declaration and no namespace, so it can be inlined in a
    template; ``role="img"`` and a ``<title>`` (escaped by segno) let screen readers announce
    it. Error correction M keeps a code printed on a label or shown on a phone screen readable
    when partly glared or creased. Raises :class:`ValueError` for empty data or a scale
    below 1.
    """
    if not data:
        raise ValueError("QR data must not be empty")
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    # micro=False: Micro QR is not read by most phone camera apps.
    code = segno.make(data, error="m", micro=False)
    svg: str = code.svg_inline(scale=scale, dark=dark, light="#fff", title=title,
                               border=QUIET_ZONE, omitsize=True, svgclass="qr-code")
    return svg.replace("<svg ", '<svg role="img" shape-rendering="crispEdges" ', 1)
