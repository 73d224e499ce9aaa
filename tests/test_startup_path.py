"""What the window's first paint loads: not the data layer, the charts or the other commands."""

from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("sqlalchemy", "psycopg", "alembic", "pydantic", "pyqtgraph", "numpy")


def _run(code: str) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_gui_command_line_is_parsed_without_the_other_commands():
    code = (
        "import sys\n"
        "import console.app\n"
        "console.app.run = lambda profile=None, url=None, **kw: print('run', profile, url) or 0\n"
        "from console.cli import main\n"
        "print(main(['--url', 'postgresql://u@h/db', 'gui']))\n"
        "print(main(['-p', 'staging']))\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "print(sorted(m for m in sys.modules if m.startswith('console.cli.')))\n"
    )
    assert _run(code) == [
        "run None postgresql://u@h/db",
        "0",
        "run staging None",
        "0",
        "[]",
        "['console.cli.gui_cmd']",
    ]


def test_other_commands_still_parse_with_every_command_registered():
    code = (
        "from console.cli import main\n"
        "try:\n"
        "    main(['profile', '--help'])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
    )
    out = _run(code)
    assert out[-1] == "exit 0" and any("usage: autopr-console profile" in line for line in out)


def test_the_page_index_matches_every_page_module():
    from console.ui.pages import lazy_page_specs, page_specs

    def entries(specs):
        return [(s.key, s.title, s.order, s.icon) for s in specs]

    assert entries(lazy_page_specs()) == entries(page_specs())


def test_the_window_imports_a_page_module_when_the_page_is_first_shown():
    code = (
        "import sys\n"
        "from console.app import make_application\n"
        "from console.ui.main_window import MainWindow\n"
        "app = make_application([])\n"
        "w = MainWindow(remember=False)\n"
        "w.build_pages()\n"
        "loaded = lambda: sorted(k for k in ('console.ui.overview.page',\n"
        "    'console.ui.tables.logs_page', 'console.ui.tail.page') if k in sys.modules)\n"
        "print(w.current_key(), sorted(w.pages), loaded())\n"
        "w.show_page('logs')\n"
        "print(w.current_key(), sorted(w.pages), loaded())\n"
        "print(type(w.pages['tail']).__name__, sorted(w.pages))\n"
    )
    assert _run(code) == [
        "overview ['overview'] ['console.ui.overview.page']",
        "logs ['logs', 'overview'] ['console.ui.overview.page', 'console.ui.tables.logs_page']",
        "TailPage ['logs', 'overview', 'tail']",
    ]


def test_the_window_and_its_socket_load_no_svg_renderer_network_module_or_table_layer():
    """Icons are rendered PNGs and the single-instance socket is Python's own: the first
    page maps neither QtSvg nor QtNetwork (together ~4 MiB of every console), and the
    context-menu registry does not import the table pages."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from console.app import make_application\n"
        "from console.ui import reach\n"
        "from console.ui.main_window import MainWindow\n"
        "app = make_application([])\n"
        "w = MainWindow(remember=False)\n"
        "w.show()\n"
        "hooks = reach.install(w, single_instance=True)\n"
        "app.processEvents()\n"
        "maps = Path('/proc/self/maps').read_text()\n"
        "print(hooks.server is not None and hooks.server.listening)\n"
        "print(sorted(lib for lib in ('libQt6Svg', 'libQt6Network', 'qsvgicon') if lib in maps))\n"
        "print(sorted(m for m in ('PySide6.QtNetwork', 'PySide6.QtSvg', 'html.entities',\n"
        "    'console.ui.tables.base', 'psutil') if m in sys.modules))\n"
        "hooks.server.close()\n"
    )
    assert _run(code) == ["True", "[]", "[]"]


# The window with the Executions page shown and the operator actions' menu installed.
EXECUTIONS_PAGE_WITH_MENU = (
    "from console.app import make_application\n"
    "from console.ui.actions import menus\n"
    "from console.ui.main_window import MainWindow\n"
    "app = make_application([])\n"
    "w = MainWindow(remember=False)\n"
    "w.build_pages()\n"
    "w.show_page('executions')\n"
    "menus.install()\n"
)


def test_opening_a_table_page_and_its_menu_loads_no_pydantic_until_json_is_checked():
    """pydantic (~5 MiB) loads when an operator's JSON is first checked, not with the
    actions that might one day check some."""
    code = (
        "import sys\n" + EXECUTIONS_PAGE_WITH_MENU + "w.pages['executions'].build_context_menu()\n"
        "print('pydantic' in sys.modules)\n"
        "from console.actions.schemas import JsonProblem, parse_and_check\n"
        "print(parse_and_check('workflow.config', '{\"max_retries\": 2}'))\n"
        "try:\n"
        "    parse_and_check('workflow.config', '{\"max_retries\": -1}')\n"
        "except JsonProblem as problem:\n"
        "    print(problem)\n"
        "print('pydantic' in sys.modules)\n"
    )
    out = _run(code)
    assert out[0] == "False"
    assert out[1] == "{'max_retries': 2}"
    assert out[2].startswith("max_retries: Input should be greater than or equal to 0")
    assert out[3] == "True"


def test_opening_a_table_page_and_its_menu_loads_no_orm():
    """The actions build their statements on the Core tables of models.schema: a table
    page and its row menu never load sqlalchemy.orm (~60 modules, ~10 MiB), while the
    actions' tables keep the schema's Python-side defaults."""
    code = (
        "import sys\n"
        "import console.db.connection\n"
        + EXECUTIONS_PAGE_WITH_MENU
        + "menu = w.pages['executions'].build_context_menu()\n"
        "print(menu is not None and bool(menu.actions()))\n"
        "print(sorted(m for m in ('console.actions.executions', 'console.actions.tx',\n"
        "    'models.schema') if m in sys.modules))\n"
        "orm = ('sqlalchemy.orm', 'models.tables', 'models.audit', 'models.base')\n"
        "print(sorted(m for m in sys.modules if m.startswith(orm)))\n"
        "from console.actions.workflows import WF\n"
        "print(WF.c.updated_at.onupdate is not None, WF.c.id.default is not None)\n"
    )
    assert _run(code) == [
        "True",
        "['console.actions.executions', 'console.actions.tx', 'models.schema']",
        "[]",
        "True True",
    ]
