"""Shared fixtures: real temporary journal and store files (never ``:memory:``), a factory
of valid events, a writer that chains them, and the hostile strings of style.md.

Importable helpers (chain, encode, run_cli, ...) live in ``tests/helpers.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import HOSTILE, EventFactory, append_events


@pytest.fixture
def tmp_journal(tmp_path: Path) -> Path:
    """Path of a journal file under tmp_path (not created yet)."""
    return tmp_path / "journal.jsonl"


@pytest.fixture
def tmp_store(tmp_path: Path) -> Path:
    """Path of a SQLite store file under tmp_path (not created yet)."""
    return tmp_path / "store.db"


@pytest.fixture
def make_event() -> EventFactory:
    """``make_event(type, data, incident, id=..., ts=..., actor=...)`` -> a valid event dict
    (no ``prev``); also ``.opened()``, ``.note()``, ``.status()``, ``.role()``, ``.item()``,
    ``.set_item()``, ``.person()``, ``.rotation()``."""
    return EventFactory()


@pytest.fixture
def write_events(tmp_journal: Path) -> Callable[[Iterable[dict[str, Any] | bytes]], list[bytes]]:
    """``write_events(items)`` appends events (dicts, chained with correct ``prev``) or raw
    lines (bytes, as they are) to ``tmp_journal``; returns the lines written."""

    def write(items: Iterable[dict[str, Any] | bytes]) -> list[bytes]:
        return append_events(tmp_journal, items)

    return write


@pytest.fixture
def journal(tmp_journal: Path):  # type: ignore[no-untyped-def]
    """A FileJournal on ``tmp_journal``."""
    from data.engine.journal import FileJournal

    return FileJournal(tmp_journal)


@pytest.fixture
async def store(tmp_store: Path) -> AsyncIterator[Any]:
    """A Store opened on ``tmp_store``, closed after the test."""
    from data.engine.store import Store

    s = await Store.open(tmp_store)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def hostile() -> list[str]:
    """The shared hostile strings: markup, ANSI, a trailing backslash, a 10 KB line, RTL,
    emoji, CJK, CR LF and NUL."""
    return list(HOSTILE)


@pytest.fixture(autouse=True)
def _no_user_setup(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the machine's own settings or SOP files: an empty SOP folder and a
    config file that does not exist (tests that need either set their own)."""
    empty = tmp_path_factory.mktemp("user-config")
    monkeypatch.setenv("WARROOM_SOP_DIR", str(empty / "sop"))
    monkeypatch.setenv("WARROOM_CONFIG", str(empty / "config.toml"))
    monkeypatch.delenv("WARROOM_BELL", raising=False)


# the throwaway PostgreSQL cluster of the database journal's tests (tests/pg.py)
from tests.pg import pg_cluster, pg_url  # noqa: E402, F401
