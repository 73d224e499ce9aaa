"""Entry point of the frozen application (PyInstaller runs this as __main__)."""

import sys

from console.cli import main

if __name__ == "__main__":
    sys.exit(main())
