"""Colours, icons and palettes: the one place the window and the pages take them from.

Status, level, health and environment colours come in a light and a dark variant;
the variant follows the palette in use (which follows the system colour scheme
unless the operator or ``--theme`` forces one).  Status icons are painted once
per (status, size, scheme) and cached.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette

if TYPE_CHECKING:
    from PySide6.QtGui import QPixmap

# (light, dark) hex pairs
_STATUS: dict[str, tuple[str, str]] = {
    # executions and events
    "pending": ("#617087", "#94a3b8"),
    "running": ("#2563eb", "#60a5fa"),
    "processing": ("#2563eb", "#60a5fa"),
    "completed": ("#15803d", "#4ade80"),
    "failed": ("#c81e1e", "#f87171"),
    "timeout": ("#c2410c", "#fb923c"),
    "cancelled": ("#5f5954", "#a8a29e"),
    "ignored": ("#756e69", "#8f8883"),
    # workflows
    "active": ("#15803d", "#4ade80"),
    "inactive": ("#5f5954", "#a8a29e"),
    "archived": ("#756e69", "#8f8883"),
    "draft": ("#7c3aed", "#a78bfa"),
}
_HEALTH: dict[str, tuple[str, str]] = {
    "healthy": ("#15803d", "#4ade80"),
    "degraded": ("#a75c05", "#fbbf24"),
    "unhealthy": ("#c81e1e", "#f87171"),
    "unknown": ("#5f5954", "#a8a29e"),
}
_LEVEL: dict[str, tuple[str, str]] = {
    "DEBUG": ("#656b78", "#9ca3af"),
    "INFO": ("#1d4ed8", "#93c5fd"),
    "WARNING": ("#b45309", "#fbbf24"),
    "ERROR": ("#c81e1e", "#f87171"),
    "CRITICAL": ("#9d174d", "#f472b6"),
}
# Banner colours: the same in light and dark so that prod always looks like prod.
_ENVIRONMENT: dict[str, tuple[str, str]] = {  # (background, text)
    "prod": ("#c62828", "#ffffff"),
    "staging": ("#f59e0b", "#1f1300"),
    "dev": ("#2e7d32", "#ffffff"),
    "local": ("#616161", "#ffffff"),
}
_FALLBACK = ("#6b7280", "#9ca3af")

THEMES = ("system", "light", "dark")


class _ThemeEvents(QObject):
    changed = Signal(str)  # "light" | "dark"


_events: _ThemeEvents | None = None
_forced: str | None = None  # "light" | "dark" | None (follow the system)
_reported: str | None = None  # last scheme the platform announced by colorSchemeChanged


def theme_events() -> _ThemeEvents:
    """``theme_events().changed`` fires when the palette switches between light and dark.

    Connect bound methods of QObjects, never lambdas (see :func:`console.ui.timefmt.time_events`).
    """
    global _events
    if _events is None:
        _events = _ThemeEvents()
    return _events


# ---------------------------------------------------------------- scheme + palette


def system_scheme() -> str:
    """The system colour scheme ("light" or "dark"; "light" when unknown)."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Unknown and _reported:
        return _reported  # the platform said so by signal but does not answer when asked
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def current_scheme() -> str:
    """The scheme in use: the forced one, else the system's."""
    return _forced or system_scheme()


def is_dark() -> bool:
    return current_scheme() == "dark"


def _pick(pair: tuple[str, str]) -> QColor:
    return QColor(pair[1] if is_dark() else pair[0])


def light_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#f5f6f8",
        QPalette.ColorRole.WindowText: "#1f2328",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f6f8fa",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f2328",
        QPalette.ColorRole.PlaceholderText: "#66707b",
        QPalette.ColorRole.Text: "#1f2328",
        QPalette.ColorRole.Button: "#eef0f3",
        QPalette.ColorRole.ButtonText: "#1f2328",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#2563eb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#0969da",
        QPalette.ColorRole.Mid: "#d0d7de",
        QPalette.ColorRole.Midlight: "#e6e9ed",
        QPalette.ColorRole.Dark: "#afb8c1",
        QPalette.ColorRole.Shadow: "#8c959f",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8c959f"))
    return p


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1e2127",
        QPalette.ColorRole.WindowText: "#e6edf3",
        QPalette.ColorRole.Base: "#16181d",
        QPalette.ColorRole.AlternateBase: "#1c1f25",
        QPalette.ColorRole.ToolTipBase: "#2b2f36",
        QPalette.ColorRole.ToolTipText: "#e6edf3",
        QPalette.ColorRole.PlaceholderText: "#838a95",
        QPalette.ColorRole.Text: "#e6edf3",
        QPalette.ColorRole.Button: "#2b2f36",
        QPalette.ColorRole.ButtonText: "#e6edf3",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#2563eb",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#58a6ff",
        QPalette.ColorRole.Mid: "#3d444d",
        QPalette.ColorRole.Midlight: "#30363d",
        QPalette.ColorRole.Dark: "#0d1117",
        QPalette.ColorRole.Shadow: "#010409",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6e7681"))
    return p


def apply_theme(app: QGuiApplication, mode: str = "system") -> str:
    """Fusion style, our palette for ``mode`` and the small style sheet; returns the scheme.

    ``mode`` is "system" (follow the system, also when it changes later),
    "light" or "dark".
    """
    global _forced
    if mode not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}")
    _forced = None if mode == "system" else mode
    from PySide6.QtWidgets import QApplication

    if isinstance(app, QApplication) and app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    _apply_current(app)
    if not getattr(app, "_autopr_theme_hooked", False):
        app._autopr_theme_hooked = True  # type: ignore[attr-defined]
        QGuiApplication.styleHints().colorSchemeChanged.connect(
            lambda scheme: _on_system_scheme(app, scheme)
        )
    return current_scheme()


def _on_system_scheme(app: QGuiApplication, scheme: Qt.ColorScheme) -> None:
    global _reported
    _reported = "dark" if scheme == Qt.ColorScheme.Dark else "light"
    _apply_current(app)


def _apply_current(app: QGuiApplication) -> None:
    scheme = current_scheme()
    app.setPalette(dark_palette() if scheme == "dark" else light_palette())
    from PySide6.QtWidgets import QApplication

    if isinstance(app, QApplication):
        app.setStyleSheet(style_sheet(scheme))
    _status_pixmap.cache_clear()
    theme_events().changed.emit(scheme)


def style_sheet(scheme: str) -> str:
    """The style sheet in resources/styles (``@name`` placeholders filled per scheme)."""
    path = resource_path("styles", "console.qss")
    if not path.exists():
        return ""
    values = {
        "light": {
            "border": "#d0d7de",
            "nav_bg": "#eceff3",
            "nav_sel": "#dbe4f3",
            "muted": "#57606a",
            "header_bg": "#f0f2f5",
        },
        "dark": {
            "border": "#3d444d",
            "nav_bg": "#181b20",
            "nav_sel": "#2a3548",
            "muted": "#8b949e",
            "header_bg": "#22262c",
        },
    }[scheme]
    sheet = path.read_text(encoding="utf-8")
    for key, value in values.items():
        sheet = sheet.replace(f"@{key}", value)
    return sheet


# ---------------------------------------------------------------- colours


def status_color(status: str | None) -> QColor:
    """Colour of a workflow, execution or event status."""
    return _pick(_STATUS.get((status or "").lower(), _FALLBACK))


def health_color(health: str | None) -> QColor:
    return _pick(_HEALTH.get((health or "").lower(), _FALLBACK))


def level_color(level: str | None) -> QColor:
    return _pick(_LEVEL.get((level or "").upper(), _FALLBACK))


def environment_color(environment: str | None) -> QColor:
    """Banner background of an environment (prod red, staging amber, dev green, local grey)."""
    return QColor(_ENVIRONMENT.get(environment or "", _ENVIRONMENT["local"])[0])


def environment_text_color(environment: str | None) -> QColor:
    """Text colour readable on :func:`environment_color`."""
    return QColor(_ENVIRONMENT.get(environment or "", _ENVIRONMENT["local"])[1])


def text_on(background: QColor) -> QColor:
    """White or near-black, whichever reads better on ``background`` (WCAG contrast)."""
    from console.ui.a11y import contrast

    white, black = QColor("#ffffff"), QColor("#111318")
    return white if contrast(white, background) >= contrast(black, background) else black


def focus_color() -> QColor:
    """The keyboard focus ring (over 3:1 against the window and base colours)."""
    return QColor("#60a5fa" if is_dark() else "#1d4ed8")


def muted_color() -> QColor:
    """Secondary text (hints, empty states, timestamps)."""
    return QColor("#8b949e" if is_dark() else "#57606a")


# ---------------------------------------------------------------- icons

# glyph drawn inside the status disc
_GLYPH = {
    "completed": "check",
    "active": "check",
    "healthy": "check",
    "failed": "cross",
    "unhealthy": "cross",
    "running": "play",
    "processing": "play",
    "pending": "ring",
    "draft": "ring",
    "unknown": "ring",
    "timeout": "clock",
    "degraded": "bang",
    "cancelled": "slash",
    "ignored": "dash",
    "inactive": "dash",
    "archived": "dash",
}


def status_icon(status: str | None, size: int = 16) -> QIcon:
    """A coloured disc with a glyph for a status (workflow, execution, event)."""
    key = (status or "").lower()
    return _icon_for(key, status_color(key), size)


def health_icon(health: str | None, size: int = 16) -> QIcon:
    key = (health or "").lower()
    return _icon_for(key, health_color(key), size)


def _icon_for(key: str, colour: QColor, size: int) -> QIcon:
    icon = QIcon()
    for scale in (1, 2):
        icon.addPixmap(_status_pixmap(key, colour.name(), size * scale))
        # on a selected row: a white disc with the glyph in the status colour, so that a
        # blue "running" disc does not vanish on the blue selection
        icon.addPixmap(_status_pixmap(key, colour.name(), size * scale, True), QIcon.Mode.Selected)
    return icon


@lru_cache(maxsize=256)
def _status_pixmap(key: str, colour: str, px: int, inverse: bool = False) -> QPixmap:
    # (imported here: the first paint draws no status icon, and making these classes
    # and their enums is part of what PySide6 costs the start)
    from PySide6.QtCore import QPointF, QRectF
    from PySide6.QtGui import QPainter, QPainterPath, QPen, QPixmap

    pm = QPixmap(px, px)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = QColor(colour)
    glyph_colour = QColor("#ffffff")
    if inverse:
        c, glyph_colour = QColor("#ffffff"), QColor(colour)
    glyph = _GLYPH.get(key, "dot")
    m = px * 0.06
    disc = QRectF(m, m, px - 2 * m, px - 2 * m)
    if glyph == "ring":
        p.setPen(QPen(c, max(1.5, px * 0.12)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        inset = px * 0.08
        p.drawEllipse(disc.adjusted(inset, inset, -inset, -inset))
        p.end()
        return pm
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    p.drawEllipse(disc)
    white = QPen(glyph_colour, max(1.4, px * 0.12))
    white.setCapStyle(Qt.PenCapStyle.RoundCap)
    white.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(white)
    p.setBrush(Qt.BrushStyle.NoBrush)

    def pt(x: float, y: float) -> QPointF:
        return QPointF(px * x, px * y)

    if glyph == "check":
        path = QPainterPath(pt(0.28, 0.52))
        path.lineTo(pt(0.44, 0.68))
        path.lineTo(pt(0.72, 0.36))
        p.drawPath(path)
    elif glyph == "cross":
        p.drawLine(pt(0.34, 0.34), pt(0.66, 0.66))
        p.drawLine(pt(0.66, 0.34), pt(0.34, 0.66))
    elif glyph == "play":
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(glyph_colour)
        path = QPainterPath(pt(0.38, 0.30))
        path.lineTo(pt(0.72, 0.50))
        path.lineTo(pt(0.38, 0.70))
        path.closeSubpath()
        p.drawPath(path)
    elif glyph == "clock":
        p.drawLine(pt(0.5, 0.5), pt(0.5, 0.28))
        p.drawLine(pt(0.5, 0.5), pt(0.68, 0.58))
    elif glyph == "bang":
        p.drawLine(pt(0.5, 0.28), pt(0.5, 0.56))
        p.drawPoint(pt(0.5, 0.72))
    elif glyph == "slash":
        p.drawLine(pt(0.32, 0.68), pt(0.68, 0.32))
    elif glyph == "dash":
        p.drawLine(pt(0.32, 0.5), pt(0.68, 0.5))
    p.end()
    return pm


# ---------------------------------------------------------------- resources


def resources_dir() -> Path:
    """The runtime resources: an override, the frozen app's, the installed package's, or
    ``resources/`` of the source tree (an editable install reads that one)."""
    candidates = []
    override = os.environ.get("AUTOPR_CONSOLE_RESOURCES")
    if override:
        candidates.append(Path(override))
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "resources")
    packaged = _package_resources()
    if packaged is not None:
        candidates.append(packaged)
    candidates.append(Path(__file__).resolve().parents[2] / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def _package_resources() -> Path | None:
    """``console/resources`` of an installed wheel (the build copies them there)."""
    from importlib.resources import files

    try:
        packaged = files("console") / "resources"
    except (ModuleNotFoundError, TypeError):
        return None
    return packaged if isinstance(packaged, Path) else None


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


UI_ICON_SIZES = (16, 24, 32, 48)  # resources/icons/png/<size>x<size> (packaging/make_icons.py)


def icon(name: str | None) -> QIcon:
    """An icon of resources/icons (``name`` without extension); empty when unknown.

    The rendered PNG sizes when present (drawing them needs no SVG renderer), else
    the SVG or a lone PNG.
    """
    if not name:
        return QIcon()
    result = QIcon()
    for size in UI_ICON_SIZES:
        path = resource_path("icons", "png", f"{size}x{size}", f"{name}.png")
        if path.exists():
            result.addFile(str(path), QSize(size, size))
    if not result.isNull():
        return result
    for ext in ("svg", "png"):
        path = resource_path("icons", f"{name}.{ext}")
        if path.exists():
            return QIcon(str(path))
    return QIcon()


APP_ICON_SIZES = (16, 32, 48, 64, 128)
_app_icon: QIcon | None = None


def app_icon() -> QIcon:
    """The application icon: resources/app's rendered sizes up to 128 px, else the SVG.

    One icon for the whole application, so that the window, the tray and the
    application share its cache of pixmaps.  Larger sizes (256, 512: 1.3 MiB as
    pixmaps) are for installers: the window system converts every size the icon
    offers into the window's icon property, and nothing on screen draws it larger.
    """
    global _app_icon
    if _app_icon is not None:
        return _app_icon
    result = QIcon()
    png_dir = resource_path("app", "png")
    for size in APP_ICON_SIZES:
        path = png_dir / f"{size}x{size}" / "autopr-console.png"
        if path.exists():
            result.addFile(str(path), QSize(size, size))
    if result.isNull():
        svg = resource_path("app", "autopr-console.svg")
        result = QIcon(str(svg)) if svg.exists() else icon("autopr-console")
    _app_icon = result
    return result


__all__ = [
    "THEMES",
    "app_icon",
    "apply_theme",
    "current_scheme",
    "environment_color",
    "environment_text_color",
    "health_color",
    "health_icon",
    "icon",
    "is_dark",
    "level_color",
    "muted_color",
    "resource_path",
    "status_color",
    "status_icon",
    "theme_events",
]
