"""No screen or widget overrides a member of Textual's by accident: a private member of
Textual's (``DataTable._render`` was one), or a property shadowed by a method (the incident
screen's ``visible()`` hid ``DOMNode.visible``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.dom import DOMNode

import screens
import widgets

#: Textual's own hooks, meant to be defined by subclasses
HOOKS = ("_on_", "_watch_", "_validate_", "_compute_")
#: overridden on purpose (widgets/tables.py: no cell measured when no column is auto-width)
DELIBERATE = {
    "FixedTable._update_dimensions",
    "FixedTable._render_line",
    "FixedTable._render_cell",
    "FixedTable._clear_caches",
}


def _ours() -> list[type[DOMNode]]:
    found: dict[str, type[DOMNode]] = {}
    for pkg in (screens, widgets):
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, DOMNode) and cls.__module__.startswith(("screens.", "widgets.")):
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(found.values())


def test_no_accidental_override_of_a_textual_member() -> None:
    clashes = []
    for cls in _ours():
        textual = next(c for c in cls.__mro__ if c.__module__.startswith("textual"))
        made = set(vars(type("_Probe", (textual,), {})))  # what Textual's metaclass sets on every class
        for name, ours in vars(cls).items():
            if name.startswith("__") or name in made or not hasattr(textual, name):
                continue
            if f"{cls.__qualname__}.{name}" in DELIBERATE:
                continue
            theirs = inspect.getattr_static(textual, name)
            private = name.startswith("_") and not name.startswith(HOOKS)
            if private or isinstance(theirs, property) != isinstance(ours, property):
                clashes.append(f"{cls.__qualname__}.{name} (over {textual.__name__}.{name})")
    assert not clashes, clashes
