"""The store through the standard library's ``sqlite3``, for a short command: ``warroom
append`` of a batch that needs no procedure catches the store up, checks the batch and
syncs after it without importing SQLAlchemy (docs/performance.md, "Round two: the command
line"). It does what data/engine/ingest.py does for :meth:`Store.sync` and
:meth:`Store.check_append`, with the same SQL, the same projector and the same
transactions (``BEGIN IMMEDIATE`` around the checkpoint and the rows it accounts for), so
a console sharing the store takes turns with it as with another console.

Whatever it does not do, the store does: a store that does not exist yet or has another
schema version (:meth:`DirectStore.open` returns None: the caller opens the
:class:`~data.engine.store.Store`), a projection to rebuild, a backlog long enough for
the worker process. Then it hands over to a ``Store`` on the same file (in an event loop
of its own when none runs: the command line drives this without one,
data/engine/blocking.py). Blocking: for a command line, never for a console's event loop.
tests/test_cli_lean.py checks the SQL, the column counts and the schema version against
data/engine/schema.py and ingest.py, and that both paths leave the same store.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from data.engine.blocking import in_a_loop, loop_running
from data.engine.errors import StoreError
from data.engine.journal import Journal, Position
from data.engine.loader import SqlLoader
from data.engine.loader import check_events as loader_check_events
from data.engine.models import Envelope, Problem
from data.engine.projector import Projector

if TYPE_CHECKING:
    from data.engine.store import Store

#: data/engine/schema.py's SCHEMA_VERSION: a store of another version is the Store's to migrate
SCHEMA_VERSION = 11
#: data/engine/ingest.py's PIPELINE_MIN_BYTES: a backlog this long is the Store's (its worker)
PIPELINE_MIN_BYTES = 16 << 20
#: the number of columns of each table ingestion writes whole (data/engine/schema.py)
COLUMNS = {
    "events": 8, "quarantine": 5, "chain_breaks": 2, "checklist_history": 7, "overrides": 8,
    "postmortem_meetings": 7, "audits": 13, "disclosures": 13, "signal_parts": 4, "incidents": 24,
    "role_history": 9, "checklist": 20, "roster_people": 6, "rotations": 11, "postmortem_status": 6,
    "postmortem_sections": 6, "postmortem_actions": 13, "postmortem_pins": 6, "decisions": 14,
    "responses": 22, "signals": 31, "incident_links": 9,
}  # fmt: skip
_INSERTED = ("events", "quarantine", "chain_breaks", "checklist_history", "overrides", "postmortem_meetings",
             "audits", "disclosures", "signal_parts")  # fmt: skip
_REPLACED = ("incidents", "role_history", "checklist", "roster_people", "rotations", "postmortem_status",
             "postmortem_sections", "postmortem_actions", "postmortem_pins", "decisions", "responses",
             "signals")  # fmt: skip


def _marks(name: str) -> str:
    return ",".join("?" * COLUMNS[name])


INSERT = {name: f"INSERT INTO {name} VALUES ({_marks(name)})" for name in _INSERTED}
REPLACE = {name: f"INSERT OR REPLACE INTO {name} VALUES ({_marks(name)})" for name in _REPLACED}
LINK_REPLACE = f"INSERT OR REPLACE INTO incident_links VALUES ({_marks('incident_links')})"
HANDOFF_SUBMITTED = (
    "INSERT INTO handoffs (handoff, from_person, to_person, region, notes, submitted_by, "
    "submitted_at, submitted_seq) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(handoff) DO UPDATE SET "
    "from_person=excluded.from_person, to_person=excluded.to_person, region=excluded.region, "
    "notes=excluded.notes, submitted_by=excluded.submitted_by, "
    "submitted_at=excluded.submitted_at, submitted_seq=excluded.submitted_seq"
)
HANDOFF_ACKNOWLEDGED = (
    "INSERT INTO handoffs (handoff, readback, acknowledged_by, acknowledged_at, "
    "acknowledged_seq) VALUES (?,?,?,?,?) ON CONFLICT(handoff) DO UPDATE SET "
    "readback=excluded.readback, acknowledged_by=excluded.acknowledged_by, "
    "acknowledged_at=excluded.acknowledged_at, acknowledged_seq=excluded.acknowledged_seq"
)
_CHECKPOINT = 'SELECT "offset", line, identity, last_hash, last_start FROM checkpoint'
_MOVE = (
    'UPDATE checkpoint SET one = 1, "offset" = ?, line = ?, identity = ?, last_hash = ?, last_start = ?, '
    "journal = ?, synced_at = ?"
)
_ID_CHUNK = 900
T = TypeVar("T")


class _HandOver(Exception):
    """This sync is the Store's (a rebuild, or a backlog for the worker process)."""


class DirectStore:
    """The store file on one sqlite3 connection: :meth:`sync` and :meth:`check_append` as
    :class:`~data.engine.store.Store` has them (what :func:`data.commands.append_to` uses)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._store: Store | None = None  # the Store handed over to, once it had to be
        self._handed = False  # handed over, the Store opened for each step (no event loop runs)

    @classmethod
    def open(cls, path: str | Path) -> DirectStore | None:
        """The store at ``path`` if it exists with this version's schema, else None."""
        p = Path(path)
        if not p.is_file():
            return None
        try:
            conn = sqlite3.connect(p, timeout=30, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return None
        try:
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000",
                           "cache_size=-32000", "temp_store=MEMORY"):  # fmt: skip
                conn.execute(f"PRAGMA {pragma}")  # as data/engine/ingest.py's configure_sqlite
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.Error:
            conn.close()
            return None
        if row is None or row[0] != str(SCHEMA_VERSION):
            conn.close()
            return None
        return cls(p, conn)

    async def __aenter__(self) -> DirectStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self.conn.close()
        if self._store is not None:
            await self._store.close()

    @property
    def handed_over(self) -> bool:
        """Whether the Store does the work from now on (a rebuild, or a long backlog, was met)."""
        return self._store is not None or self._handed

    async def _by_store(self, work: Callable[[Store], Awaitable[T]]) -> T:
        """``work`` done by a :class:`Store` on the same file: on the event loop that runs
        (the Store kept until :meth:`close`), or, run without one (data/engine/blocking.py),
        in an event loop of its own, the Store opened and closed around it."""
        from data.engine.store import Store

        if loop_running():
            if self._store is None:
                self._store = await Store.open(self.path)
            return await work(self._store)
        self._handed = True

        async def once() -> T:
            async with await Store.open(self.path) as store:
                return await work(store)

        return in_a_loop(once())

    async def sync(self, journal: Journal) -> None:
        """Ingest what is new in the journal (:meth:`Store.sync`)."""
        if not self.handed_over:
            try:
                self._sync(journal)
                return
            except _HandOver:
                pass
            except sqlite3.Error as exc:
                raise StoreError(f"writing the store {self.path} failed: {exc}") from None
        await self._by_store(lambda store: store.sync(journal))

    async def check_append(
        self, journal: Journal, events: Sequence[Envelope], given: Sequence[dict[str, Any]]
    ) -> tuple[list[Problem], set[int]]:
        """:meth:`Store.check_append`: catch up, then what a reader would quarantine, and
        which events are in the journal already, the same."""
        await self.sync(journal)
        if self.handed_over:
            return await self._by_store(lambda store: store.check_append(journal, events, given))
        try:
            return check_events(self.conn, events, given)
        except sqlite3.Error as exc:
            raise StoreError(f"reading the store {self.path} failed: {exc}") from None

    def _sync(self, journal: Journal) -> None:
        """data/engine/ingest.py's ``_sync_blocking``: span by span, one transaction each."""
        conn = self.conn
        first = True
        projector: Projector | None = None
        reader = None
        expected: Position | None = None
        span = None
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                pos = _read_checkpoint(conn)
                if first:
                    first = False
                    if not journal.check(pos).ok or journal.end() - pos.offset >= PIPELINE_MIN_BYTES:
                        raise _HandOver
                if pos != expected:  # another process moved the store on (or the first batch)
                    projector, reader, span = None, None, None
                loader = SqlLoader(conn.execute)
                if projector is None:
                    projector = Projector(loader, authoritative=pos.offset == 0, line=pos.line,
                                          last_hash=pos.last_hash)  # fmt: skip
                else:
                    projector.loader = loader
                if reader is None:
                    reader = journal.read(pos)
                if span is None:
                    span = next(reader, None)
                if span is None:
                    conn.execute("COMMIT")
                    return
                batch = projector.project(span)
                identity = getattr(journal, "identity", None)
                new_pos = Position(
                    offset=span.end,
                    line=projector.line,
                    identity=identity() if callable(identity) else "",
                    last_hash=projector.last_hash,
                    last_start=span.last_start,
                )
                write_rows(conn, batch.rows(), batch.counts)
                conn.execute(_MOVE, (new_pos.offset, new_pos.line, new_pos.identity, new_pos.last_hash,
                                     new_pos.last_start, journal.location, time.time()))  # fmt: skip
                span = next(reader, None)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            expected = new_pos
            if span is None:
                return


def _read_checkpoint(conn: sqlite3.Connection) -> Position:
    offset, line, identity, last_hash, last_start = conn.execute(_CHECKPOINT).fetchone()
    return Position(offset, line, identity, last_hash, last_start)


def write_rows(conn: sqlite3.Connection, rows: dict[str, list[Any]], counts: dict[str, int]) -> None:
    """data/engine/ingest.py's ``_write_rows``, on a sqlite3 connection."""
    for name, sql in INSERT.items():
        if rows[name]:
            conn.executemany(sql, rows[name])
    for name, sql in REPLACE.items():
        if rows[name]:
            conn.executemany(sql, rows[name])
    linked = [r for r in rows.get("incident_links", ()) if r[4] != "unlinked"]
    unlinked = [(r[0], r[1]) for r in rows.get("incident_links", ()) if r[4] == "unlinked"]
    if linked:
        conn.executemany(LINK_REPLACE, linked)
    if unlinked:
        conn.executemany("DELETE FROM incident_links WHERE low = ? AND high = ?", unlinked)
    for kind, row in rows["handoffs"]:  # in order: a submit and its ack may share a batch
        conn.execute(HANDOFF_SUBMITTED if kind == "submitted" else HANDOFF_ACKNOWLEDGED, row)
    changed = [(v, n) for n, v in counts.items() if v]
    if changed:
        conn.executemany("UPDATE counters SET value = value + ? WHERE name = ?", changed)


def check_events(
    conn: sqlite3.Connection, events: Sequence[Envelope], given: Sequence[dict[str, Any]]
) -> tuple[list[Problem], set[int]]:
    """data/engine/loader.py's ``check_events``, on a sqlite3 connection."""
    return loader_check_events(conn.execute, events, given)
