"""Starting warroom's own Python processes without trusting the working directory.

``python -m pkg`` and ``python -c`` put the working directory first on ``sys.path``: a
``numbers.py`` or a ``data/`` package in whatever folder warroom was started from would be
imported in place of the real one (code execution, or a worker that cannot start). So a
child is started isolated (``python -I``: no working directory, no ``PYTHON*`` variables,
no user site) and given, in a three-line bootstrap, the absolute entries of this process's
``sys.path``: it imports exactly the code this process imports, wherever it is installed
(a wheel, an editable checkout, ``PYTHONPATH``), and nothing from the working directory.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: run in the child with ``-I -c``: argv is [-c, the path as JSON, module:function, args…]
_BOOTSTRAP = (
    "import importlib, json, sys; sys.path[:] = json.loads(sys.argv[1]); target = sys.argv[2]; "
    "sys.argv = [target, *sys.argv[3:]]; module, _, function = target.partition(':'); "
    "getattr(importlib.import_module(module), function)()"
)


def package_root() -> str:
    """The folder that holds warroom's packages (``data``, ``app``…) as this process
    imported them."""
    return os.path.realpath(Path(__file__).parents[2])


def child_path() -> list[str]:
    """This process's ``sys.path`` without relative entries ('' is the working directory),
    with the package root first when only a relative entry led to it."""
    path = [p for p in sys.path if p and os.path.isabs(p)]
    root = package_root()
    if not any(os.path.realpath(p) == root for p in path):
        path.insert(0, root)  # as this process found it: first
    return path


def python_argv(target: str, *args: str) -> list[str]:
    """The command line that runs ``target`` (``"module:function"``, called with no
    arguments; it reads ``sys.argv[1:]`` = ``args``) in a fresh interpreter, isolated from
    the working directory and the ``PYTHON*`` environment variables."""
    return [sys.executable, "-I", "-c", _BOOTSTRAP, json.dumps(child_path()), target, *args]
