"""Placeholder until the console module lands (replaced in this session)."""
from typing import Any


def run_console(settings: Any, demo: bool = False) -> None:
    raise SystemExit("the console is not built yet")
