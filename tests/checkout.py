"""Provides this checkout's root and the environment in which a child `python -m tui.main` runs it.

The checkout goes first on the child's PYTHONPATH and whatever PYTHONPATH the tests run under
stays after it: on a machine where the packages lie in a folder named there (a GPU machine with
no network, given wheels unpacked into a --target folder) the child finds them too.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout_env(**changes: str) -> dict[str, str]:
    """os.environ with this checkout first on PYTHONPATH, and changes on top."""
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **changes}
