"""Draw the warden page's app icons (PNG, 192 and 512 px, plain and maskable) with Pillow: a green
square with a white grid of 3 × 3 cells and one cell ticked. Run from the repo root:
`.venv/bin/python scripts/make_icons.py`; the icons are committed under gridmgr/web/static/icons/."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "gridmgr" / "web" / "static" / "icons"
GREEN = (47, 158, 68)
WHITE = (255, 255, 255)


def icon(size: int, *, maskable: bool) -> Image.Image:
    """One icon; a maskable one keeps the drawing inside the middle 80 % (the safe zone)."""
    img = Image.new("RGB", (size, size), GREEN)
    draw = ImageDraw.Draw(img)
    margin = size * (0.2 if maskable else 0.14)
    step = (size - 2 * margin) / 3
    width = max(2, size // 40)
    for k in range(4):
        x = margin + k * step
        draw.line([(x, margin), (x, size - margin)], fill=WHITE, width=width)
        draw.line([(margin, x), (size - margin, x)], fill=WHITE, width=width)
    # a tick in the middle cell: a round done
    cx, cy = margin + 1.5 * step, margin + 1.5 * step
    s = step * 0.32
    draw.line(
        [(cx - s, cy), (cx - s * 0.3, cy + s * 0.7), (cx + s, cy - s * 0.7)],
        fill=WHITE,
        width=width * 2,
        joint="curve",
    )
    return img


def main() -> None:
    """Write icon-192.png, icon-512.png and their maskable twins."""
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
        icon(size, maskable=True).save(OUT / f"icon-maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
