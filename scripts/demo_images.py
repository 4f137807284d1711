"""Draw the demo catalog's product photos (simple illustrations, made here, free to ship).

    python scripts/demo_images.py   # writes livesell/demo/images/*.jpg
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "livesell" / "demo" / "images"
W, H = 800, 600


def canvas(top: str, bottom: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (W, H), top)
    draw = ImageDraw.Draw(image)
    a = tuple(int(top[i:i + 2], 16) for i in (1, 3, 5))
    b = tuple(int(bottom[i:i + 2], 16) for i in (1, 3, 5))
    for y in range(H):
        t = y / H
        draw.line([(0, y), (W, y)], fill=tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3)))
    draw.ellipse([160, 480, 640, 545], fill=tuple(round(c * 0.85) for c in b))  # soft shadow
    return image, draw


def crab() -> Image.Image:
    image, d = canvas("#fde8d7", "#f3c9a8")
    for side in (-1, 1):
        for i in range(3):
            x0 = 400 + side * (150 + i * 40)
            d.line([(400 + side * 110, 330 + i * 25), (x0, 300 + i * 45), (x0 + side * 40, 380 + i * 40)],
                   fill="#a8321e", width=18, joint="curve")
        d.line([(400 + side * 90, 270), (400 + side * 180, 170)], fill="#a8321e", width=22)
        d.pieslice([400 + side * 180 - 60, 100, 400 + side * 180 + 60, 220], 200 if side < 0 else -20,
                   340 if side < 0 else 120, fill="#c2412b")
    d.ellipse([230, 230, 570, 430], fill="#c2412b", outline="#8f2817", width=8)
    for x in (350, 450):
        d.ellipse([x - 14, 230, x + 14, 258], fill="#1b1f1d")
    return image


def shrimp() -> Image.Image:
    image, d = canvas("#fff4e0", "#f6dcae")
    for i in range(7):
        angle = math.pi * (0.15 + i * 0.12)
        cx, cy = 400 + 170 * math.cos(angle), 330 - 150 * math.sin(angle) + 60
        r = 70 - i * 6
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill="#e8743b", outline="#b8501f", width=5)
    d.polygon([(250, 400), (180, 440), (215, 470)], fill="#e8743b", outline="#b8501f")
    for i in range(2):
        d.line([(560, 220), (700, 120 + i * 40)], fill="#b8501f", width=5)
    d.ellipse([545, 205, 570, 230], fill="#1b1f1d")
    return image


def jar(body: str, lid: str, label: str, liquid: str) -> Image.Image:
    image, d = canvas("#fbf6e9", "#efe3c2")
    d.rounded_rectangle([280, 170, 520, 500], radius=40, fill=liquid, outline="#8a6a2a", width=6)
    d.rounded_rectangle([300, 130, 500, 185], radius=12, fill=lid)
    d.rounded_rectangle([300, 280, 500, 400], radius=14, fill=label)
    d.ellipse([360, 300, 440, 380], fill=body)
    return image


def bottle(glass: str, cap: str, label: str) -> Image.Image:
    image, d = canvas("#eef6ee", "#cfe5d2")
    d.rounded_rectangle([330, 210, 470, 510], radius=30, fill=glass, outline="#1f3d2b", width=5)
    d.polygon([(350, 215), (450, 215), (425, 140), (375, 140)], fill=glass)
    d.rectangle([375, 95, 425, 142], fill=cap)
    d.rounded_rectangle([342, 300, 458, 420], radius=10, fill=label)
    d.line([(360, 340), (440, 340)], fill="#1f3d2b", width=6)
    d.line([(360, 370), (420, 370)], fill="#1f3d2b", width=6)
    return image


def basket() -> Image.Image:
    image, d = canvas("#f3efe4", "#ded3b8")
    d.arc([250, 110, 550, 400], 180, 360, fill="#8a6a3a", width=22)
    d.polygon([(200, 260), (600, 260), (540, 500), (260, 500)], fill="#c8a46a", outline="#8a6a3a")
    for y in range(280, 500, 28):
        d.line([(205 + (y - 260) / 4, y), (595 - (y - 260) / 4, y)], fill="#a5824a", width=6)
    for x in range(240, 580, 40):
        d.line([(x, 262), (x + (400 - x) * 0.15, 498)], fill="#a5824a", width=5)
    return image


PHOTOS = {
    "A1": crab, "B1": shrimp,
    "B5": lambda: jar("#e0a526", "#7a4a12", "#fff8e6", "#f0b429"),
    "C1": lambda: bottle("#7fb069", "#2f5d3a", "#fdfcf7"),
    "D1": lambda: bottle("#3d6b4f", "#c9a227", "#f7f3e3"),
    "E1": basket,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for code, draw in PHOTOS.items():
        draw().save(OUT / f"{code.lower()}.jpg", "JPEG", quality=80, optimize=True)
        print(OUT / f"{code.lower()}.jpg")


if __name__ == "__main__":
    main()
