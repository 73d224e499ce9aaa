"""Can this desktop show a Qt window?  Asked before the QApplication exists.

Without a loadable platform plugin Qt aborts inside ``QApplication()`` with its own
multi-line message (and after whatever the command did before: demo data written,
an embedded server started).  On a fresh Debian/Ubuntu desktop the usual cause is a
missing ``libxcb-cursor0``, which Qt 6.5+ needs for its X11 plugin.  This module
loads the platform plugin Qt would pick (a ``dlopen`` of the same file: Qt then
reuses it) and checks the display it would connect to, so the console can say in
one line what is missing and how to install it.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package) for what Qt's xcb and wayland
# plugins, QtGui and QtWidgets load from the system.
SYSTEM_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}
MISSING = re.compile(r"([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file")


def window_problem() -> str | None:
    """Why no window can open here (one line, with the fix), or None when one can."""
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS plugins ship complete inside PySide6
    problem = _import_problem()
    if problem:
        return problem
    problems = [_platform_problem(name) for name in _candidate_platforms()]
    return None if any(p is None for p in problems) else problems[0]


def _candidate_platforms() -> list[str]:
    """The platform plugins Qt tries, in its order (``QT_QPA_PLATFORM`` or its default)."""
    names = os.environ.get("QT_QPA_PLATFORM", "")
    if not names:
        wayland = os.environ.get("XDG_SESSION_TYPE") == "wayland"
        names = "wayland;xcb" if wayland else "xcb"
    return [n.split(":", 1)[0].strip() for n in names.split(";") if n.strip()]


def _import_problem() -> str | None:
    try:
        import PySide6.QtGui
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        return missing_library_message("Qt", str(exc))
    return None


def _plugin_file(name: str) -> Path | None:
    from PySide6.QtCore import QLibraryInfo

    dirs = [os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")]
    dirs += [str(Path(p) / "platforms") for p in os.environ.get("QT_PLUGIN_PATH", "").split(":")]
    dirs.append(str(Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"))
    for folder in filter(None, dirs):
        path = Path(folder) / f"libq{name}.so"
        if path.is_file():
            return path
    return None


def _platform_problem(name: str) -> str | None:
    path = _plugin_file(name)
    if path is None:
        return f'the Qt platform plugin "{name}" is not installed (QT_QPA_PLATFORM={name}?)'
    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        return missing_library_message(f'the Qt platform plugin "{name}"', str(exc))
    if name == "xcb":
        return _x_display_problem()
    if name == "wayland":
        return _wayland_problem()
    return None


def missing_library_message(what: str, error: str) -> str:
    """One line for the operator: ``what`` cannot load, and the library it misses (if named)."""
    match = MISSING.search(error)
    if match is None:
        return f"{what} cannot load: {error.strip().splitlines()[0]}"
    lib = match.group(1)
    if lib.startswith(("libQt6", "libpyside6", "libshiboken6")):
        return (
            f"{what} needs {lib}, which PySide6 should carry: reinstall it "
            "(pip install --force-reinstall PySide6-Essentials)"
        )
    packages = SYSTEM_LIBRARIES.get(lib)
    if packages is None:
        return (
            f"{what} needs the system library {lib}, which is not installed; find its package "
            f"with 'apt-file search {lib}' (Debian/Ubuntu) or 'dnf provides */{lib}' (Fedora)"
        )
    debian, fedora = packages
    return (
        f"{what} needs the system library {lib}, which is not installed; install it with "
        f"'sudo apt-get install {debian}' (Debian/Ubuntu) or 'sudo dnf install {fedora}' (Fedora)"
    )


def _x_display_problem() -> str | None:
    display = os.environ.get("DISPLAY", "")
    if not display:
        return (
            "no X display to open the window on (DISPLAY is not set); start it from a "
            "desktop session, or use the command-line commands (autopr-console --help)"
        )
    xcb = ctypes.CDLL("libxcb.so.1")  # loaded already by the plugin
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        if xcb.xcb_connection_has_error(conn):
            return (
                f"cannot connect to the X display {display!r} (is the X server running, and "
                "may this user use it? see xhost/XAUTHORITY)"
            )
    finally:
        xcb.xcb_disconnect(conn)
    return None


def _wayland_problem() -> str | None:
    name = os.environ.get("WAYLAND_DISPLAY") or "wayland-0"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    socket = Path(name) if name.startswith("/") else Path(runtime) / name
    if not socket.exists():
        return f"no Wayland display at {socket} (WAYLAND_DISPLAY, XDG_RUNTIME_DIR)"
    return None
