"""Helpers for the journal-file, reader-property and concurrency tests.

Kept apart from ``conftest.py`` / ``helpers.py`` (written by others): plain functions only,
no fixtures, importable from child processes started with the ``spawn`` context.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
WARROOM = str(VENV_BIN / "warroom")
PYTHON = sys.executable

#: the format's line limit (newline excluded)
LIMIT = 262_144

#: tables of projected state that a bad line must not touch (everything but the
#: bookkeeping of bad lines and the running totals)
STATE_TABLES = (
    "events",
    "incidents",
    "role_history",
    "checklist",
    "checklist_history",
    "roster_people",
    "rotations",
    "overrides",
    "handoffs",
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- building journals ---------------------------------------------------------------


def sample_events(n: int, seed: int = 7, per_incident: int = 100) -> list[dict[str, Any]]:
    from data.sample import Generator

    return list(Generator(seed).events(n, per_incident=per_incident))


def chain(events: Iterable[dict[str, Any]], prev: str | None = None) -> list[bytes]:
    """Encode events as lines (no newline), each with the hash of the line before it."""
    out: list[bytes] = []
    for ev in events:
        line = orjson.dumps({**ev, "prev": prev})
        out.append(line)
        prev = sha(line)
    return out


def batch_lines(batches: Iterable[Sequence[dict[str, Any]]], prev: str | None = None) -> list[bytes]:
    """The lines a writer appends for these batches, one after the other: in a batch of two
    or more, line k of n carries ``"batch": [k, n]`` just before ``prev`` (docs/journal.md)."""
    out: list[bytes] = []
    for batch in batches:
        for k, ev in enumerate(batch, 1):
            mark = {"batch": [k, len(batch)]} if len(batch) > 1 else {}
            line = orjson.dumps({**ev, **mark, "prev": prev})
            out.append(line)
            prev = sha(line)
    return out


def sample_lines(n: int, seed: int = 7, per_incident: int = 100) -> list[bytes]:
    """``n`` valid chained lines of the sample generator (no newlines)."""
    return chain(sample_events(n, seed, per_incident))


def joined(lines: Sequence[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def person(handle: str, eid: str, ts: str = "2026-11-01T00:00:00.000Z", **extra: Any) -> dict[str, Any]:
    """A ``roster.person`` event: valid whatever state the journal is in."""
    return {
        "v": 1,
        "id": eid,
        "ts": ts,
        "actor": "tester",
        "type": "roster.person",
        "data": {
            "handle": handle,
            "name": f"Person {handle}",
            "team": "legal",
            "region": "UK",
            "tz": "Europe/London",
        },
        **extra,
    }


def padded_line(event: dict[str, Any], prev: str | None, size: int) -> bytes:
    """The line of ``event`` (with ``prev``) padded by an unknown member to exactly
    ``size`` bytes."""
    base = orjson.dumps({**event, "pad": "", "prev": prev})
    missing = size - len(base)
    assert missing >= 0, f"the event is already {len(base)} bytes"
    line = orjson.dumps({**event, "pad": "x" * missing, "prev": prev})
    assert len(line) == size
    return line


def write_bytes(path: Path | str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def append_bytes(path: Path | str, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


@contextlib.contextmanager
def chunk_size(size: int) -> Iterator[None]:
    """Make the file reader read ``size`` bytes at a time (default 1 MiB)."""
    from data.engine import journal as journal_module

    old = journal_module.CHUNK
    journal_module.CHUNK = size
    try:
        yield
    finally:
        journal_module.CHUNK = old


# --- stores ----------------------------------------------------------------------------


async def sync_all(store: Any, journal: Any) -> Any:
    """Sync until nothing is left; returns the summed counts as a dict."""
    total = {"lines": 0, "ingested": 0, "unknown": 0, "duplicates": 0, "quarantined": 0, "chain_breaks": 0}
    while True:
        r = await store.sync(journal)
        for k in total:
            total[k] += getattr(r, k)
        if r.lines == 0:
            return total


async def clean_digest(journal_path: Path | str) -> tuple[str, dict[str, int]]:
    """Digest and counters of a fresh store (in its own temporary folder) fed the journal
    in one clean sync."""
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    with tempfile.TemporaryDirectory() as d:
        store = await Store.open(Path(d) / "clean.db")
        try:
            await store.sync(FileJournal(journal_path))
            return await store.digest(), (await store.status()).counters
        finally:
            await store.close()


def clean_digest_sync(journal_path: Path | str) -> tuple[str, dict[str, int]]:
    return asyncio.run(clean_digest(journal_path))


def read_checkpoint(db: Path | str) -> dict[str, Any] | None:
    """The store's checkpoint, read through a read-only SQLite connection (None while the
    store is not there yet)."""
    if not Path(db).exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute('SELECT "offset", line, last_hash FROM checkpoint').fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    if row is None:
        return None
    return {"offset": row[0], "line": row[1], "last_hash": row[2]}


def db_rows(db: Path | str, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        cur = conn.execute(f"SELECT * FROM {table}")
        cols = [c[0] for c in cur.description]
        return cols, cur.fetchall()
    finally:
        conn.close()


def state_rows(db: Path | str, line_map: dict[int, int] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """The projected state (the tables of STATE_TABLES), with every line-number column
    (``seq`` and ``*_seq``) mapped through ``line_map`` (a line number missing from it
    raises KeyError: a line that should not be in the state is), rows sorted."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in STATE_TABLES:
        cols, rows = db_rows(db, table)
        seq_cols = [i for i, c in enumerate(cols) if c == "seq" or c.endswith("_seq")]
        mapped = []
        for row in rows:
            values = list(row)
            if line_map is not None:
                for i in seq_cols:
                    if values[i] is not None:
                        values[i] = line_map[values[i]]
            mapped.append(tuple(values))
        out[table] = sorted(mapped, key=repr)
    return out


# --- processes -------------------------------------------------------------------------


def cli_env(journal: Path | str, db: Path | str, actor: str = "tester") -> dict[str, str]:
    env = dict(os.environ)
    env.update(WARROOM_JOURNAL=str(journal), WARROOM_DB=str(db), WARROOM_ACTOR=actor)
    return env


def run_cli(
    args: Sequence[str],
    journal: Path | str,
    db: Path | str,
    *,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WARROOM, *args],
        env=cli_env(journal, db),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def writer_events(writer: int, count: int) -> list[list[dict[str, Any]]]:
    """The batches writer ``writer`` appends: it opens its own incident, then notes on it;
    batches of 1, 2 or 3 events. Every event applies whatever the other writers do."""
    incident = f"W{writer}-INC"
    events: list[dict[str, Any]] = []
    for i in range(count):
        ev: dict[str, Any] = {
            "v": 1,
            "id": f"w{writer}-{i:04d}",
            "ts": f"2026-11-01T{writer:02d}:{i // 60:02d}:{i % 60:02d}.000Z",
            "actor": f"writer-{writer}",
            "incident": incident,
        }
        if i == 0:
            ev["type"] = "incident.opened"
            ev["data"] = {
                "title": f"Incident of writer {writer}",
                "category": "other",
                "severity": 3,
                "source": "employee",
                "regions": ["UK"],
            }
        else:
            ev["type"] = "incident.note"
            ev["data"] = {"text": f"writer {writer} note {i} " + "z" * (i % 7) * 40}
        events.append(ev)
    batches: list[list[dict[str, Any]]] = []
    i = 0
    k = 0
    while i < count:
        size = 1 + (k + writer) % 3
        batches.append(events[i : i + size])
        i += size
        k += 1
    return batches


def writer_process(path: str, writer: int, count: int, barrier: Any) -> None:
    """Body of a writer process: wait at ``barrier`` (a multiprocessing Barrier) until
    every writer is ready, then append its batches, one ``FileJournal.append`` call each."""
    sys.path.insert(0, str(ROOT))
    from data.engine.journal import FileJournal

    journal = FileJournal(path, lock_timeout=120)
    batches = writer_events(writer, count)

    async def main() -> None:
        barrier.wait(timeout=300)
        for batch in batches:
            await journal.append(batch)
            time.sleep(0.001)  # let the other writers in between batches

    asyncio.run(main())
