"""A module imported when one of its names is first used: the console paints its first
screen before SQLAlchemy and the store are imported (docs/performance.md, "Round two: the
console"). Typed through an ``if TYPE_CHECKING:`` import of the same module beside it."""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for module ``name`` until one of its names is read: then imports it."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def lazy(name: str) -> Any:
    """Module ``name``, imported when first used."""
    return LazyModule(name)
