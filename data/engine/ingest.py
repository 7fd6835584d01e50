"""Ingestion: the journal into the store's projection (sync, rebuild, the checkpoint, the
digest), apart from the store's read queries (data/engine/store.py).

Ingestion runs batch by batch. Each batch is one ``BEGIN IMMEDIATE`` transaction that reads
the checkpoint, writes the batch's rows and the new checkpoint, and commits: a crash at any
point neither loses nor doubles an event, and two processes sharing one store (a console
and the command line) take turns safely. The hot path writes with ``executemany`` on the
driver; everything else uses SQLAlchemy Core.

:class:`Ingestion` runs in a thread of its own (``Store.sync`` hands it over with
``asyncio.to_thread``), on a synchronous SQLite connection of its own: reading, hashing,
validating and projecting never hold the caller's event loop (a console's UI).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import URL, Connection, Engine, Table, create_engine, event, select

from data.engine import pipeline
from data.engine import schema as S
from data.engine.journal import START, Journal, Position, Span
from data.engine.loader import SqlLoader
from data.engine.loader import check_events as loader_check_events
from data.engine.models import Envelope, Problem
from data.engine.projector import Projector

_ID_CHUNK = 900
#: a backlog at least this long is ingested with a worker process (data/engine/pipeline.py)
PIPELINE_MIN_BYTES = 16 << 20


class IngestError(Exception):
    """Ingestion failed for a reason other than the database (the worker process)."""


@dataclass
class SyncResult:
    """What one sync did (this run's counts) and where it left the store."""

    lines: int = 0
    ingested: int = 0  # events applied
    unknown: int = 0
    duplicates: int = 0
    quarantined: int = 0
    chain_breaks: int = 0
    offset: int = 0
    line: int = 0
    rebuilt: str | None = None  # why the projection was rebuilt, if it was
    seconds: float = 0.0

    def add(self, counts: dict[str, int]) -> None:
        self.lines += counts["lines"]
        self.ingested += counts["applied"]
        self.unknown += counts["unknown"]
        self.duplicates += counts["duplicates"]
        self.quarantined += counts["quarantined"]
        self.chain_breaks += counts["chain_breaks"]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


ProgressFn = Callable[[int, int], None]  # (bytes done, bytes in the journal)


def _loader(conn: Connection) -> SqlLoader:
    return SqlLoader(conn.exec_driver_sql)


def _placeholders(table: Table) -> str:
    return ",".join("?" * len(table.columns))


_INSERT = {
    name: f"INSERT INTO {name} VALUES ({_placeholders(table)})"
    for name, table in (
        ("events", S.events),
        ("quarantine", S.quarantine),
        ("chain_breaks", S.chain_breaks),
        ("checklist_history", S.checklist_history),
        ("overrides", S.overrides),
        ("postmortem_meetings", S.postmortem_meetings),
        ("audits", S.audits),
        ("disclosures", S.disclosures),
        ("signal_parts", S.signal_parts),
    )
}
_REPLACE = {
    name: f"INSERT OR REPLACE INTO {name} VALUES ({_placeholders(table)})"
    for name, table in (
        ("incidents", S.incidents),
        ("role_history", S.role_history),
        ("checklist", S.checklist),
        ("roster_people", S.roster_people),
        ("rotations", S.rotations),
        ("postmortem_status", S.postmortem_status),
        ("postmortem_sections", S.postmortem_sections),
        ("postmortem_actions", S.postmortem_actions),
        ("postmortem_pins", S.postmortem_pins),
        ("decisions", S.decisions),
        ("responses", S.responses),
        ("signals", S.signals),
    )
}
_LINK_REPLACE = f"INSERT OR REPLACE INTO incident_links VALUES ({_placeholders(S.incident_links)})"
_HANDOFF_SUBMITTED = (
    "INSERT INTO handoffs (handoff, from_person, to_person, region, notes, submitted_by, "
    "submitted_at, submitted_seq) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(handoff) DO UPDATE SET "
    "from_person=excluded.from_person, to_person=excluded.to_person, region=excluded.region, "
    "notes=excluded.notes, submitted_by=excluded.submitted_by, "
    "submitted_at=excluded.submitted_at, submitted_seq=excluded.submitted_seq"
)
_HANDOFF_ACKNOWLEDGED = (
    "INSERT INTO handoffs (handoff, readback, acknowledged_by, acknowledged_at, "
    "acknowledged_seq) VALUES (?,?,?,?,?) ON CONFLICT(handoff) DO UPDATE SET "
    "readback=excluded.readback, acknowledged_by=excluded.acknowledged_by, "
    "acknowledged_at=excluded.acknowledged_at, acknowledged_seq=excluded.acknowledged_seq"
)


class Ingestion:
    """The ingestion state of one store: the projector and the reader where the last sync
    left them (kept while the checkpoint does not move under them), on the synchronous
    ``engine``. One :meth:`run` at a time."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path  # the store's file (for the worker process)
        self.engine = engine
        #: a backlog at least this long is ingested with a worker process
        self.pipeline_min_bytes = PIPELINE_MIN_BYTES
        self.pipeline_forget_after = pipeline.FORGET_AFTER
        self._ingesting = threading.Lock()  # one ingestion thread at a time
        self._closing = threading.Event()  # stop(): an ingestion stops after its batch
        self._projector: Projector | None = None
        self._pos: Position | None = None  # the checkpoint the projector stands at
        self._reader: Iterator[Span] | None = None
        self._reader_journal: str | None = None
        self._worker: pipeline.Worker | None = None  # spawned ahead of a rebuild's hand-over

    def stop(self) -> None:
        """An ingestion under way stops after the transaction it is in; none starts again."""
        self._closing.set()

    def run(
        self,
        journal: Journal,
        result: SyncResult,
        progress: ProgressFn | None,
        rebuild: str | None,
        max_lines: int | None,
    ) -> None:
        """:meth:`sync`'s work, in its thread: one at a time (a sync whose caller went away
        may still be finishing), on the ingestion engine's own connection."""
        with self._ingesting:
            try:
                if rebuild is None and self._nothing_new(journal, result):
                    return
                can_pipe = getattr(journal, "path", None) is not None and max_lines is None
                if can_pipe and rebuild is not None and journal.end() >= self.pipeline_min_bytes:
                    # a rebuild of a long journal goes through the worker: it starts now, and
                    # imports while the projection is cleared
                    self._worker = pipeline.spawn()
                with self.engine.connect() as conn:
                    handoff = self._sync_blocking(
                        conn, journal, result, progress, rebuild, max_lines, can_pipe
                    )
                    if handoff is not None:
                        self._sync_pipelined(conn, journal, handoff, result, progress)
                        self._sync_blocking(conn, journal, result, progress, None, max_lines, False)
            except BaseException:
                self.forget()
                raise
            finally:
                if self._worker is not None:  # spawned, then not needed after all
                    self._worker.stop()
                    self._worker = None

    def _nothing_new(self, journal: Journal, result: SyncResult) -> bool:
        """True when the journal has not moved since this store last read it (no database
        work at all: the common case of a console woken by its own store's writes)."""
        pos = self._pos
        if pos is None or journal.location != self._reader_journal or journal.end() != pos.offset:
            return False
        if not journal.check(pos).ok:
            return False
        result.offset, result.line = pos.offset, pos.line
        return True

    def forget(self) -> None:
        self._projector = None
        self._pos = None
        self._reader = None

    def _sync_pipelined(
        self,
        conn: Connection,
        journal: Journal,
        pos: Position,
        result: SyncResult,
        progress: ProgressFn | None,
    ) -> None:
        """Catch up a long backlog with a worker process projecting ahead (data/engine/pipeline.py)."""
        self.forget()
        worker, self._worker = self._worker or pipeline.spawn(), None
        expected = pos
        try:
            worker.begin(
                str(journal.path),  # type: ignore[attr-defined]
                str(self.path),
                pos,
                pos.offset == 0,
                forget_after=self.pipeline_forget_after,
            )
            while not self._closing.is_set():
                msg = worker.receive()
                if msg[0] == pipeline.DONE:
                    return
                if msg[0] == pipeline.ERROR:
                    raise IngestError(f"ingesting {journal.location} failed: {msg[1]}")
                _, rows, counts, new_pos = msg
                ok = self._commit_rows(conn, expected, rows, counts, new_pos, journal.location)
                if not ok:
                    return  # another process moved the store on: the in-process path goes on
                expected = new_pos
                result.add(counts)
                result.offset, result.line = new_pos.offset, new_pos.line
                if progress is not None:
                    progress(new_pos.offset, max(new_pos.offset, journal.end()))
        finally:
            worker.stop()

    def _commit_rows(
        self,
        conn: Connection,
        expected: Position,
        rows: dict[str, list[Any]],
        counts: dict[str, int],
        new_pos: Position,
        location: str,
    ) -> bool:
        with immediate(conn):
            if read_checkpoint(conn) != expected:
                return False
            _write_rows(conn, rows, counts)
            conn.execute(
                S.checkpoint.update().values(**checkpoint_values(new_pos, location), synced_at=time.time())
            )
        return True

    def _sync_blocking(
        self,
        conn: Connection,
        journal: Journal,
        result: SyncResult,
        progress: ProgressFn | None,
        rebuild: str | None,
        max_lines: int | None,
        can_pipe: bool,
    ) -> Position | None:
        """Ingest span by span, one transaction each (the first also checks the journal and
        clears the projection when it must be rebuilt). Returns a position to hand to the
        pipeline when the backlog is long enough for it, else None when done."""
        first = True
        self._reader = None  # a reader that reached the end once has stopped: start anew
        span: Span | None = None
        while True:
            with immediate(conn):
                pos = read_checkpoint(conn)
                if first:
                    first = False
                    verdict = journal.check(pos)
                    why = rebuild or (None if verdict.ok else verdict.reason)
                    if why:
                        self._clear(conn, why)
                        pos = START
                        result.rebuilt = why
                        self.forget()
                    if can_pipe and journal.end() - pos.offset >= self.pipeline_min_bytes:
                        return pos
                if pos != self._pos or self._reader_journal != journal.location:
                    # another process moved the store on (or this is our first batch):
                    # what we hold in memory may be stale
                    self.forget()
                    span = None
                if self._projector is None:
                    self._projector = Projector(
                        _loader(conn), authoritative=pos.offset == 0, line=pos.line, last_hash=pos.last_hash
                    )
                else:
                    self._projector.loader = _loader(conn)
                if self._reader is None:
                    self._reader = journal.read(pos)
                    self._reader_journal = journal.location
                if span is None:
                    span = next(self._reader, None)
                if span is None:
                    self._pos = pos
                    result.offset, result.line = pos.offset, pos.line
                    return None
                batch = self._projector.project(span)
                new_pos = Position(
                    offset=span.end,
                    line=self._projector.line,
                    identity=_identity(journal),
                    last_hash=self._projector.last_hash,
                    last_start=span.last_start,
                )
                _write_rows(conn, batch.rows(), batch.counts)
                conn.execute(
                    S.checkpoint.update().values(
                        **checkpoint_values(new_pos, journal.location), synced_at=time.time()
                    )
                )
                # look ahead inside the transaction: at the end, no further one is needed
                span = next(self._reader, None)
            self._pos = new_pos
            result.add(batch.counts)
            result.offset, result.line = new_pos.offset, new_pos.line
            if progress is not None:
                progress(new_pos.offset, max(new_pos.offset, journal.end()))
            if span is None or (max_lines is not None and result.lines >= max_lines):
                return None
            if self._closing.is_set():  # the store is closing: the rest waits for the next sync
                return None

    def _clear(self, conn: Connection, why: str) -> None:
        for table, _ in S.PROJECTED:
            if table is not S.counters:
                conn.execute(table.delete())
        conn.execute(S.counters.update().values(value=0))
        conn.execute(
            S.checkpoint.update().values(
                **checkpoint_values(START, ""), rebuilt_at=time.time(), rebuild_reason=why
            )
        )


def check_events(
    conn: Connection, events: Sequence[Envelope], given: Sequence[dict[str, Any]]
) -> tuple[list[Problem], set[int]]:
    """data/engine/loader.py's ``check_events`` on this connection."""
    return loader_check_events(conn.exec_driver_sql, events, given)


# --- helpers -----------------------------------------------------------------------------


def ingest_engine_for(path: Path) -> Engine:
    """The synchronous engine of the ingestion thread: the same file, configured alike."""
    engine = create_engine(
        URL.create("sqlite+pysqlite", database=str(path)),
        connect_args={"timeout": 30, "check_same_thread": False},
    )
    configure_sqlite(engine)
    return engine


def configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # let SQLAlchemy (not the driver) decide when transactions begin
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-32000")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


class immediate:
    """A write transaction that takes SQLite's write lock up front."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def __enter__(self) -> Connection:
        if self.conn.in_transaction():
            self.conn.commit()
        self.conn.execution_options(sqlite_begin="IMMEDIATE")
        self.conn.begin()
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        finally:
            self.conn.execution_options(sqlite_begin="DEFERRED")


def _identity(journal: Journal) -> str:
    identity = getattr(journal, "identity", None)
    return identity() if callable(identity) else ""


def checkpoint_values(pos: Position, journal: str) -> dict[str, Any]:
    return {
        "one": 1,
        "offset": pos.offset,
        "line": pos.line,
        "identity": pos.identity,
        "last_hash": pos.last_hash,
        "last_start": pos.last_start,
        "journal": journal,
    }


def read_checkpoint(conn: Connection) -> Position:
    c = S.checkpoint.c
    row = conn.execute(select(c.offset, c.line, c.identity, c.last_hash, c.last_start)).one()
    return Position(row.offset, row.line, row.identity, row.last_hash, row.last_start)


def _write_rows(conn: Connection, rows: dict[str, list[Any]], counts: dict[str, int]) -> None:
    """Write one batch's rows (from :meth:`Batch.rows`) and add its counts."""
    run = conn.exec_driver_sql
    for name, sql in _INSERT.items():
        if rows[name]:
            run(sql, rows[name])
    for name, sql in _REPLACE.items():
        if rows[name]:
            run(sql, rows[name])
    # the latest link of each pair; ``unlinked`` removes it (docs/links.md)
    linked = [r for r in rows.get("incident_links", ()) if r[4] != "unlinked"]
    unlinked = [(r[0], r[1]) for r in rows.get("incident_links", ()) if r[4] == "unlinked"]
    if linked:
        run(_LINK_REPLACE, linked)
    if unlinked:
        run("DELETE FROM incident_links WHERE low = ? AND high = ?", unlinked)
    for kind, row in rows["handoffs"]:  # in order: a submit and its ack may share a batch
        run(_HANDOFF_SUBMITTED if kind == "submitted" else _HANDOFF_ACKNOWLEDGED, row)
    changed = [(v, n) for n, v in counts.items() if v]
    if changed:
        run("UPDATE counters SET value = value + ? WHERE name = ?", changed)


def digest_blocking(conn: Connection) -> str:
    h = hashlib.sha256()
    for table, key in S.PROJECTED:
        h.update(f"[{table.name}]".encode())
        order = ", ".join(key)
        result = conn.exec_driver_sql(f"SELECT * FROM {table.name} ORDER BY {order}")
        while True:
            rows = result.fetchmany(5000)
            if not rows:
                break
            for row in rows:
                h.update(orjson.dumps([v.hex() if isinstance(v, bytes) else v for v in row]))
                h.update(b"\n")
    return h.hexdigest()
