import subprocess
import sys

from console import APP_ID, __version__


def test_version_answers_without_loading_the_data_layer():
    code = (
        "import sys\n"
        "from console.cli import main\n"
        "status = main(['--version'])\n"
        "print(status, 'sqlalchemy' in sys.modules, 'psycopg' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.splitlines()
    assert out == [f"{APP_ID} {__version__}", "0 False False"]
