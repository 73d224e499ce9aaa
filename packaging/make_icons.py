"""Render resources/app/autopr-console.svg into the PNG sizes, .ico and .icns installers use,
and every icon of resources/icons into the PNG sizes the window draws them at.

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py

The outputs are committed; run this again after changing the SVG.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 32, 48, 256)
APP_DIR = Path(__file__).resolve().parents[1] / "resources" / "app"
ICONS_DIR = APP_DIR.parent / "icons"
# The navigation list and toolbar draw at 16-24 px; 32-48 serve 150-200 % scaling.
# (PNGs: the window then needs no SVG renderer, which costs every console ~1.2 MiB.)
UI_ICON_SIZES = (16, 24, 32, 48)
NAME = "autopr-console"


def render(svg: Path, size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QIcon, QImageWriter, QPixmap

    app = QGuiApplication.instance() or QGuiApplication(sys.argv)  # noqa: F841 (keep alive)
    svg = APP_DIR / f"{NAME}.svg"
    images = {size: render(svg, size) for size in SIZES}
    for size, image in images.items():
        target = APP_DIR / "png" / f"{size}x{size}" / f"{NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
    icon = QIcon()
    for size in ICO_SIZES:
        icon.addPixmap(QPixmap.fromImage(images[size]))
    for fmt, sizes in (("ico", ICO_SIZES), ("icns", (16, 32, 64, 128, 256, 512))):
        writer = QImageWriter(str(APP_DIR / f"{NAME}.{fmt}"), fmt.encode())
        # Qt's ico/icns writers take one image; the largest keeps the icon sharp when scaled.
        if not writer.write(images[max(sizes)]):
            raise SystemExit(f"could not write .{fmt}: {writer.errorString()}")
    print(f"wrote {len(SIZES)} PNGs, .ico and .icns to {APP_DIR}")
    svgs = sorted(ICONS_DIR.glob("*.svg"))
    for svg in svgs:
        for size in UI_ICON_SIZES:
            target = ICONS_DIR / "png" / f"{size}x{size}" / f"{svg.stem}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            if not render(svg, size).save(str(target), "PNG"):
                raise SystemExit(f"could not write {target}")
    print(f"wrote {len(svgs)} icons in {len(UI_ICON_SIZES)} PNG sizes to {ICONS_DIR / 'png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
