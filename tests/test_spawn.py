"""warroom's own processes never import code from the working directory (data/engine/spawn.py).

``python -m`` puts the working directory first on ``sys.path``: a ``numbers.py`` there
would run in the ingest worker (code execution), and a folder holding a ``data/`` package
would break ``sync``, ``rebuild`` and the console's catch-up. Each test runs warroom from a
folder holding such files; each file writes a marker when it is imported.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from data.engine import spawn
from data.engine.journal import FileJournal
from data.engine.store import PIPELINE_MIN_BYTES, Store
from data.sample import write_journal
from tests.helpers import cli_env, run_cli

#: what a hostile folder holds: each writes a marker file beside itself when imported
_MARK = "import pathlib; pathlib.Path({where!r}).joinpath({name!r}).write_text('imported')\n"


def hostile_folder(tmp_path: Path, *, packages: bool = True) -> Path:
    """A folder with a ``numbers.py`` (imported by the standard library: decimal,
    fractions…) and, with ``packages``, a ``data/`` and an ``app/`` package of its own."""
    evil = tmp_path / "hostile"
    evil.mkdir()
    marks = tmp_path / "marks"
    marks.mkdir()
    (evil / "numbers.py").write_text(_MARK.format(where=str(marks), name="numbers.py"))
    if packages:
        for pkg in ("data", "app"):
            (evil / pkg).mkdir()
            (evil / pkg / "__init__.py").write_text(_MARK.format(where=str(marks), name=f"{pkg}.__init__.py"))
        (evil / "data" / "pipeline.py").write_text(_MARK.format(where=str(marks), name="data.pipeline.py"))
        (evil / "app" / "__main__.py").write_text(_MARK.format(where=str(marks), name="app.__main__.py"))
    return evil


def marks(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "marks").iterdir())


def test_child_path_drops_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", ["", ".", "relative/dir", *sys.path])
    path = spawn.child_path()
    assert all(p and Path(p).is_absolute() for p in path)
    argv = spawn.python_argv("data.engine.pipeline:main", "x")
    assert argv[1] == "-I" and "-m" not in argv


@pytest.mark.parametrize("packages", [True, False], ids=["data-package", "numbers-only"])
async def test_the_ingest_worker_ignores_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packages: bool
) -> None:
    """The console's catch-up and the store's sync start the same worker."""
    journal = tmp_path / "j.jsonl"
    write_journal(str(journal), 400, seed=4)
    monkeypatch.chdir(hostile_folder(tmp_path, packages=packages))
    store = await Store.open(tmp_path / "piped.db")
    store.pipeline_min_bytes = 0  # through the worker process
    try:
        result = await store.sync(FileJournal(journal))
        digest = await store.digest()
    finally:
        await store.close()
    assert result.ingested == 400
    assert marks(tmp_path) == []
    plain = await Store.open(tmp_path / "plain.db")
    plain.pipeline_min_bytes = 1 << 62
    try:
        await plain.sync(FileJournal(journal))
        assert await plain.digest() == digest
    finally:
        await plain.close()


def test_sync_and_rebuild_from_a_hostile_folder(tmp_path: Path) -> None:
    """The real command line, with a backlog long enough for the worker process."""
    journal = tmp_path / "j.jsonl"
    size = write_journal(str(journal), 60_000, seed=2)
    assert size >= PIPELINE_MIN_BYTES  # else the worker would not start
    evil = hostile_folder(tmp_path)
    env = cli_env(tmp_path, journal, tmp_path / "store.db")
    for command in ("sync", "rebuild"):
        proc = run_cli([command], env, cwd=evil)
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"read 60000 lines" in proc.stdout, proc.stdout.decode()
    assert marks(tmp_path) == []
