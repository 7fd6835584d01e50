"""The store: this console's projection of the journal, in SQLite (SQLAlchemy 2 async +
aiosqlite, WAL): opening it, its public reads (:meth:`Store.read_rows`, :meth:`Store.read`:
the features' queries, data/<feature>/queries.py, run through them), the engine's own
warnings (quarantine, chain breaks, unknown events), its local tables, and the async face
of ingestion (:meth:`Store.sync`, :meth:`Store.rebuild`, :meth:`Store.digest`), whose work
is data/engine/ingest.py's, in a thread of its own. The reads run on the loop's async
connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import URL, Connection, Engine, Executable, Row, RowMapping, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from data.engine import schema as S
from data.engine.errors import StoreError
from data.engine.ingest import (  # SyncResult, ProgressFn, PIPELINE_MIN_BYTES: re-exported
    PIPELINE_MIN_BYTES,
    IngestError,
    Ingestion,
    ProgressFn,
    SyncResult,
    check_events,
    checkpoint_values,
    configure_sqlite,
    digest_blocking,
    immediate,
    ingest_engine_for,
)
from data.engine.journal import START, Journal, secure_touch
from data.engine.models import TERMINAL_STATUSES, Envelope, Problem
from data.engine.projector import COUNTERS

T = TypeVar("T")
#: the store and connection of :meth:`Store.reading` (its reads, and the tasks they run as, see it)
_HELD: ContextVar[tuple[Store, AsyncConnection] | None] = ContextVar("warroom_store_reading", default=None)
__all__ = [
    "PIPELINE_MIN_BYTES",
    "ChainBreakRow",
    "IncidentRecord",
    "LocalWrite",
    "ProgressFn",
    "QuarantineRow",
    "Status",
    "Store",
    "StoreError",
    "SyncResult",
    "UnknownEventRow",
]


def _guarded(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Run a database operation so that cancelling its caller does not cut it short.

    A connection cancelled in the middle of a statement cannot be returned to the pool
    cleanly (and may hold SQLite's write lock); so the operation runs as its own task,
    the caller awaits it shielded, and :meth:`Store.close` waits for what is in flight.
    """

    @functools.wraps(fn)
    async def wrapper(self: Store, *args: Any, **kwargs: Any) -> T:
        task = asyncio.ensure_future(fn(self, *args, **kwargs))
        self._inflight.add(task)
        task.add_done_callback(_settle)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    return wrapper


def _settle(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: a caller that went away does not warn about it


@dataclass(frozen=True, slots=True)
class LocalWrite:
    """What :meth:`Store.write_local` did: rows touched, and the key of a row inserted."""

    rows: int
    key: int | None = None


@dataclass(frozen=True)
class Status:
    """Where the store stands: the checkpoint and the running totals."""

    journal: str
    offset: int
    line: int
    synced_at: float | None
    rebuilt_at: float | None
    rebuild_reason: str | None
    counters: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """A line set aside (line number, byte offset, full length, why, its bytes up to the
    line-size limit)."""

    line: int
    offset: int
    size: int
    reason: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class ChainBreakRow:
    """A line whose ``prev`` does not match the line before it, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """An incident as the store holds it (a row of ``incidents``, :meth:`Store.incidents`):
    its current fields, ``roles`` (role -> person), ``participants`` and lifecycle times.
    Named apart from the queue's ``data.incidents.views.IncidentRow``, built from it."""

    id: str
    title: str
    category: str
    severity: int
    source: str
    regions: tuple[str, ...]
    summary: str | None
    restricted: bool
    status: str
    roles: Mapping[str, str]
    detected_at: str | None
    opened_at: str
    opened_by: str
    opened_seq: int
    acknowledged_at: str | None
    contained_at: str | None
    resolved_at: str | None
    closed_at: str | None
    updated_at: str
    last_seq: int
    events: int
    last_update_at: str | None
    acknowledged_severity: int | None
    participants: tuple[str, ...]

    @classmethod
    def of(cls, t: Sequence[Any]) -> IncidentRecord:
        """From a row of ``incidents`` in the order of its columns (JSON columns encoded)."""
        (id_, title, category, severity, source, regions, summary, restricted, status, roles,
         detected_at, opened_at, opened_by, opened_seq, acknowledged_at, contained_at,
         resolved_at, closed_at, updated_at, last_seq, events, last_update_at,
         acknowledged_severity, participants) = t  # fmt: skip
        return cls(
            id_, title, category, severity, source, tuple(orjson.loads(regions)), summary,
            bool(restricted), status, orjson.loads(roles), detected_at, opened_at, opened_by,
            opened_seq, acknowledged_at, contained_at, resolved_at, closed_at, updated_at,
            last_seq, events, last_update_at, acknowledged_severity,
            tuple(orjson.loads(participants)),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class UnknownEventRow:
    """An event of a type this version does not know: stored, not applied."""

    seq: int
    id: str
    ts: str
    actor: str
    type: str


class Store:
    """One console's projection of the journal. Open with :meth:`Store.open`."""

    def __init__(self, path: Path, engine: AsyncEngine, ingest_engine: Engine | None = None) -> None:
        self.path = path
        self.engine = engine
        #: ingestion (data/engine/ingest.py), on a synchronous engine of its own, in a thread
        self.ingestion = Ingestion(path, ingest_engine or ingest_engine_for(path))
        self._lock = asyncio.Lock()
        self._inflight: set[asyncio.Future[Any]] = set()
        self._local_ready: set[int] = set()  # ids of the local MetaData created here

    @property
    def pipeline_min_bytes(self) -> int:
        """A backlog at least this long is ingested with a worker process."""
        return self.ingestion.pipeline_min_bytes

    @pipeline_min_bytes.setter
    def pipeline_min_bytes(self, value: int) -> None:
        self.ingestion.pipeline_min_bytes = value

    @property
    def pipeline_forget_after(self) -> int:
        return self.ingestion.pipeline_forget_after

    @pipeline_forget_after.setter
    def pipeline_forget_after(self, value: int) -> None:
        self.ingestion.pipeline_forget_after = value

    # --- opening ---------------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Store:
        p = Path(path)
        try:
            secure_touch(p)
        except OSError as exc:
            raise StoreError(f"cannot create the store {p}: {exc.strerror}") from None
        url = URL.create("sqlite+aiosqlite", database=str(p))
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure(engine)
        store = cls(p, engine)
        try:
            await store._migrate()
        except SQLAlchemyError as exc:
            await engine.dispose()
            store.ingestion.engine.dispose()
            raise StoreError(f"cannot open the store {p}: {_reason(exc)}") from None
        return store

    async def close(self) -> None:
        """Wait for operations in flight (up to 30 s; an ingestion stops after the batch it
        is writing), then close every connection."""
        self.ingestion.stop()
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=30)
        await self.engine.dispose()
        self.ingestion.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _migrate(self) -> None:
        async with self.engine.connect() as conn:
            await conn.run_sync(self._migrate_sync)

    def _migrate_sync(self, conn: Connection) -> None:
        with immediate(conn):
            version = None
            if conn.dialect.has_table(conn, "meta"):
                version = conn.execute(select(S.meta.c.value).where(S.meta.c.key == "schema")).scalar()
            if version != str(S.SCHEMA_VERSION):
                # an older projection: throw it away, it is rebuilt from the journal
                S.metadata.drop_all(conn)
                S.metadata.create_all(conn)
                conn.execute(S.meta.insert().values(key="schema", value=str(S.SCHEMA_VERSION)))
                conn.execute(S.counters.insert(), [{"name": n, "value": 0} for n in COUNTERS])
                conn.execute(S.checkpoint.insert().values(**checkpoint_values(START, "")))

    # --- syncing ---------------------------------------------------------------------

    @_guarded
    async def sync(
        self,
        journal: Journal,
        *,
        progress: ProgressFn | None = None,
        rebuild: str | None = None,
        max_lines: int | None = None,
    ) -> SyncResult:
        """Ingest what is new in the journal (everything, with ``rebuild`` set to why).

        ``max_lines`` stops after about that many lines (the rest waits for the next call).
        The work runs in a thread (:meth:`Ingestion.run`); ``progress`` is called on the
        caller's event loop, before this returns.
        """
        started = time.perf_counter()
        result = SyncResult()
        loop = asyncio.get_running_loop()
        report: ProgressFn | None = None
        if progress is not None:
            given = progress

            def report(done: int, total: int) -> None:
                with contextlib.suppress(RuntimeError):  # the loop closed: nobody is told
                    loop.call_soon_threadsafe(given, done, total)

        async with self._lock:
            try:
                await asyncio.to_thread(self.ingestion.run, journal, result, report, rebuild, max_lines)
            except IngestError as exc:
                raise StoreError(str(exc)) from None
            except SQLAlchemyError as exc:
                raise StoreError(f"writing the store {self.path} failed: {_reason(exc)}") from None
        result.seconds = time.perf_counter() - started
        return result

    async def rebuild(self, journal: Journal, *, progress: ProgressFn | None = None) -> SyncResult:
        """Throw the projection away and rebuild it from the whole journal."""
        return await self.sync(journal, progress=progress, rebuild="asked to rebuild")

    # --- what the append command refuses ---------------------------------------------

    @_guarded
    async def check_append(
        self, journal: Journal, events: Sequence[Envelope], given: Sequence[dict[str, Any]]
    ) -> tuple[list[Problem], set[int]]:
        """Catch up with the journal, then say which of ``events`` a reader would
        quarantine if they were appended now: one Problem each (``index`` in ``events``),
        empty if none; and which are in the journal already, the same event (``given``, the events as they
        would be written: the same members but ``ts``), to be skipped, not written again."""
        await self.sync(journal)
        async with self._lock, self.engine.connect() as conn:
            return await conn.run_sync(check_events, events, given)

    # --- reading ---------------------------------------------------------------------

    @_guarded
    async def read_rows(self, stmt: Executable) -> list[RowMapping]:
        """The rows of the read ``stmt`` over the projection, as mappings: what a feature's
        queries (data/<feature>/queries.py) build their typed rows from."""
        async with self._connection() as conn:
            return list((await conn.execute(stmt)).mappings())

    @_guarded
    async def read_tuples(self, stmt: Executable) -> list[Row[Any]]:
        """The rows of the read ``stmt`` as tuples, in the order of its columns: what a
        query builds many typed rows from positionally (a third cheaper than mappings)."""
        async with self._connection() as conn:
            return list(await conn.execute(stmt))

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection]:
        """The connection of :meth:`reading` around this read, else one of its own."""
        held = _HELD.get()
        if held is not None and held[0] is self:
            yield held[1]
            return
        async with self.engine.connect() as conn:
            yield conn

    async def reading(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn``, whose reads (``read_rows``, ``read_tuples``, the queries built on
        them) all go through one connection: one state of the projection, and one
        connection set up and torn down instead of one per read (a snapshot's dozen
        queries each paid a connection, its BEGIN and its ROLLBACK, each a hand-off to
        the driver's thread). Run as one operation: cancelling the caller lets it finish."""

        async def run(store: Store) -> T:
            async with store.engine.connect() as conn:
                token = _HELD.set((store, conn))
                try:
                    return await fn()
                finally:
                    _HELD.reset(token)

        return await _guarded(run)(self)

    async def read(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``fn`` with one connection: reads that must see one state of the projection
        (within :meth:`reading`, its connection)."""

        async def run(store: Store) -> T:
            async with store._connection() as conn:
                return await fn(conn)

        return await _guarded(run)(self)

    async def _all(self, stmt: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.read_rows(stmt)]

    @_guarded
    async def status(self) -> Status:
        async with self.engine.connect() as conn:
            cp = (await conn.execute(select(S.checkpoint))).mappings().one()
            counters = {r.name: r.value for r in await conn.execute(select(S.counters))}
        return Status(
            journal=cp["journal"],
            offset=cp["offset"],
            line=cp["line"],
            synced_at=cp["synced_at"],
            rebuilt_at=cp["rebuilt_at"],
            rebuild_reason=cp["rebuild_reason"],
            counters={n: counters.get(n, 0) for n in COUNTERS},
        )

    async def incidents(
        self, incident: str | None = None, *, active: bool | None = None, limit: int | None = None
    ) -> list[IncidentRecord]:
        """Incidents in the order they were opened; ``active`` True: only those not closed,
        false positive or merged; False: only those (the most recent ``limit``)."""
        c = S.incidents.c
        stmt = select(S.incidents).order_by(c.opened_seq)
        if incident is not None:
            stmt = stmt.where(c.id == incident)
        if active is True:
            stmt = stmt.where(c.status.not_in(TERMINAL_STATUSES))
        elif active is False:
            stmt = stmt.where(c.status.in_(TERMINAL_STATUSES))
            if limit is not None:
                stmt = stmt.order_by(None).order_by(c.last_seq.desc()).limit(limit)
        return [IncidentRecord.of(t) for t in await self.read_tuples(stmt)]

    async def quarantine(self) -> list[QuarantineRow]:
        """The quarantined lines, in journal order."""
        rows = await self.read_rows(select(S.quarantine).order_by(S.quarantine.c.line))
        return [QuarantineRow(**{**r, "raw": bytes(r["raw"])}) for r in rows]

    async def chain_breaks(self) -> list[ChainBreakRow]:
        """The breaks of the hash chain, in journal order."""
        return [
            ChainBreakRow(**r)
            for r in await self.read_rows(select(S.chain_breaks).order_by(S.chain_breaks.c.line))
        ]

    async def ensure_local(self, local: Any, what: str) -> None:
        """Create the tables of ``local`` (a MetaData of this console's own, outside the
        projection: not dropped by a migration, not cleared by a rebuild, not in the
        digest; data/care/exposure.py, data/engine/outbox.py) if they are missing; once per store."""
        if id(local) in self._local_ready:
            return
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
                async with conn.begin():
                    await conn.run_sync(lambda c: local.create_all(c, checkfirst=True))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot create {what} in {self.path}: {exc}") from None
        self._local_ready.add(id(local))

    # --- the local tables (their own MetaData, outside the projection) -----------------

    @_guarded
    async def read_local(self, local: Any, what: str, stmt: Any) -> list[Any]:
        """The rows (SQLAlchemy ``Row``) of ``stmt`` over the local tables ``local`` (data/care/exposure.py,
        data/engine/outbox.py: their own ``MetaData``, created here when missing). Raises
        :class:`StoreError` (``reading {what} failed: …``)."""
        await self.ensure_local(local, what)
        try:
            async with self.engine.connect() as conn:
                return list((await conn.execute(stmt)).all())
        except SQLAlchemyError as exc:
            raise StoreError(f"reading {what} failed: {exc}") from None

    @_guarded
    async def write_local(
        self,
        local: Any,
        what: str,
        stmt: Any,
        rows: Sequence[dict[str, Any]] | None = None,
        *,
        doing: str = "",
    ) -> LocalWrite:
        """Run ``stmt`` (for each of ``rows``, if given) on the local tables ``local`` in one
        ``BEGIN IMMEDIATE`` transaction. Raises :class:`StoreError` (``{doing} failed: …``,
        ``doing`` by default ``writing {what}``)."""
        await self.ensure_local(local, what)
        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(sqlite_begin="IMMEDIATE")
                async with conn.begin():
                    result = await (conn.execute(stmt) if rows is None else conn.execute(stmt, list(rows)))
                    key = result.inserted_primary_key if rows is None and stmt.is_insert else None
                    return LocalWrite(result.rowcount or 0, int(key[0]) if key else None)
        except SQLAlchemyError as exc:
            raise StoreError(f"{doing or 'writing ' + what} failed: {exc}") from None

    async def unknown_events(self) -> list[UnknownEventRow]:
        """The events of unknown types (stored, not applied), in journal order."""
        e = S.events.c
        stmt = select(e.seq, e.id, e.ts, e.actor, e.type).where(e.applied.is_(False)).order_by(e.seq)
        return [UnknownEventRow(**r) for r in await self.read_rows(stmt)]

    @_guarded
    async def digest(self) -> str:
        """SHA-256 over every projected row, table by table in key order: two stores fed
        the same journal have the same digest, however their ingestion was split."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(digest_blocking)


# --- helpers -----------------------------------------------------------------------------


def _configure(engine: AsyncEngine) -> None:
    configure_sqlite(engine.sync_engine)


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    if isinstance(exc, OperationalError) and orig is not None:
        return str(orig)
    return str(orig or exc).splitlines()[0]
