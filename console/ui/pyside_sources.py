"""Keep PySide6 from holding the source of every module imported after it.

PySide6 (6.4 to at least 6.11) looks at each module imported once it is loaded
(``shibokensupport.feature.feature_imported``) to find out whether the module
uses PySide6 and so may switch ``__feature__`` options: it calls
``inspect.getsource(module)`` and searches the text for "PySide6".
``inspect.getsource`` goes through ``linecache``, which keeps every line of every
file read for the life of the process: with the window, the data layer and the
Overview loaded that is about 450 files and 10 MiB, a quarter of what the
console adds to a bare window.  Freed later, the lines leave holes in the
interpreter's arenas rather than giving memory back, so they must not be cached.

:func:`install` replaces that check with one that reads the file's bytes, searches
them and lets them go: the same answer for every module with a source file
("PySide6" is ASCII in any source encoding), ``False`` for the rest as before.
The console itself uses no ``__feature__`` option.  Where PySide6 changes the
hook, this does nothing.
"""

from __future__ import annotations

import sys
from types import ModuleType

FEATURE_MODULES = ("shibokensupport.feature", "PySide6.support.feature")


def uses_pyside(module: ModuleType) -> bool:
    """Whether ``module``'s source names PySide6, read without caching it."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return False  # builtin, extension or source-less: PySide6 says False too
    try:
        with open(path, "rb") as handle:
            return b"PySide6" in handle.read()
    except OSError:
        return False


def install() -> bool:
    """Swap the check in (once PySide6 is imported); True when the hook was found."""
    found = False
    for name in FEATURE_MODULES:
        feature = sys.modules.get(name)
        if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
            setattr(feature, "_mod_uses_pyside", uses_pyside)  # noqa: B010  (a module: mypy knows no such name)
            found = True
    return found
