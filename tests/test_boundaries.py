"""Nothing outside the store reaches into it: no module of the application imports a
private name (``_guarded``, ``_immediate``…) from the store or from ingestion, or uses a
store's engine; the local tables go through ``read_local``/``write_local``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNERS = {"data/engine/store.py", "data/engine/ingest.py"}


def _sources() -> list[Path]:
    return sorted(p for d in ("app", "data", "screens", "widgets") for p in (ROOT / d).rglob("*.py"))


def test_no_module_uses_the_stores_private_members() -> None:
    found: list[str] = []
    for path in _sources():
        where = path.relative_to(ROOT).as_posix()
        if where in OWNERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in (
                "data.engine.store",
                "data.engine.ingest",
            ):
                found += [
                    f"{where}:{node.lineno} imports {a.name}" for a in node.names if a.name.startswith("_")
                ]
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "store"
                and (node.attr == "engine" or node.attr.startswith("_"))
            ):
                found.append(f"{where}:{node.lineno} uses store.{node.attr}")
    assert found == []
