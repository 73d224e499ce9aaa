"""Entry point of the frozen application (PyInstaller runs this as __main__)."""

import os
import sys

if __name__ == "__main__" and os.environ.get("AUTOPR_ASKPASS") == "1":
    # ssh runs the app as its SSH_ASKPASS helper (console/db/tunnel.py): answer, exit.
    from console.db import askpass

    sys.exit(askpass.main())

if __name__ == "__main__" and os.environ.get("AUTOPR_EXPORT_WORKER") == "1":
    # a table export's own process (console/ui/tables/export_child.py): export, exit.
    from console.ui.tables import export_child

    sys.exit(export_child.main())

from console.cli import main

if __name__ == "__main__":
    sys.exit(main())
