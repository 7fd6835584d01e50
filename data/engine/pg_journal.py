"""The journal in PostgreSQL, for teams that span sites (docs/deployment.md).

The same journal as a file, kept in a table: each row holds the exact bytes a
:class:`~data.engine.journal.FileJournal` would have written for the line (newline excluded),
with the same ``prev`` chain, so spans, the projector, ``warroom verify`` and the store are
unchanged. The total order is ``seq``: assigned by the appender while it holds a
transaction-level advisory lock, so it is gap-free and the same for every reader. A
position in a database journal is a ``seq``: ``Position.offset == Position.line`` is the
last line read.

The :class:`~data.engine.journal.Journal` interface is synchronous for ``check``/``read``/``end``
(the store calls them inside its own sync code), so the SQLAlchemy async engine (asyncpg)
lives on a private event loop in a thread of its own; the synchronous methods call into it
and wait, with a timeout. ``append`` and ``changes`` are coroutines of the caller's loop
that await the private loop's futures. A server that cannot be reached, a dropped
connection or a timeout is :class:`~data.engine.journal.JournalUnavailable`, in one line and
without the password.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from data.engine.journal import (
    MAX_PARSED_OVERSIZE,
    TAIL,
    Check,
    JournalError,
    JournalUnavailable,
    LockTimeout,
    Position,
    Span,
    WriteUnknown,
    check_sizes,
    encode_batch,
    redact_url,
    sha256_hex,
    whole_batches,
)
from data.engine.models import MAX_LINE_BYTES

T = TypeVar("T")

SCHEMA_VERSION = 1
TABLE = "warroom_journal"
VERSION_TABLE = "warroom_schema_version"
CHANNEL = "warroom_journal"
#: the advisory lock of appenders (and of schema changes): "warroom1" as a bigint
LOCK_KEY = 0x7761_7272_6F6F_6D31
#: lines fetched per span, and the bytes a span stops after (about a file span's chunk)
SPAN_ROWS = 4096
SPAN_BYTES = 1 << 20
#: a line longer than this is handed to the reader in part, as a file's reader does
KEEP = max(MAX_PARSED_OVERSIZE, MAX_LINE_BYTES + 1)
#: how long one statement may run before the journal counts as unavailable
COMMAND_TIMEOUT = 30.0

READER_ROLE = "warroom_reader"
WRITER_ROLE = "warroom_writer"

SCHEMA_SQL = [
    f"""CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
        version integer NOT NULL,
        journal_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        line bytea NOT NULL,
        id text,
        incident text,
        appended_at timestamptz NOT NULL DEFAULT now()
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_id ON {TABLE} (id)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_incident ON {TABLE} (incident)",
    # append-only, for everyone but a superuser who disables it on purpose
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the warroom journal is append-only';
        END $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
]


def roles_sql(database: str) -> list[str]:
    """The SQL that makes the reader and writer roles (NOLOGIN: grant them to login roles)."""
    db = '"' + database.replace('"', '""') + '"'
    out = []
    for role in (READER_ROLE, WRITER_ROLE):
        out.append(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
            f"'{role}') THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
        out.append(f"GRANT CONNECT ON DATABASE {db} TO {role}")
        out.append(f"GRANT USAGE ON SCHEMA public TO {role}")
        out.append(f"GRANT SELECT ON {TABLE}, {VERSION_TABLE} TO {role}")
    out.append(f"GRANT INSERT ON {TABLE} TO {WRITER_ROLE}")
    return out


# --- the private event loop ----------------------------------------------------------------

_loop_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _private_loop() -> asyncio.AbstractEventLoop:
    """The event loop every PgJournal of this process runs its engine on (a daemon thread)."""
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="warroom-pg-journal", daemon=True)
            thread.start()
            _loop = loop
        return _loop


class _Abort(Exception):
    """The caller's ``under_lock`` refused: roll back."""


# --- errors --------------------------------------------------------------------------------

_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300", "53400")


def _sqlstate(exc: BaseException) -> str:
    for e in _chain(exc):
        state = getattr(e, "sqlstate", None)
        if isinstance(state, str):
            return state
    return ""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend([getattr(e, "orig", None), e.__cause__, e.__context__])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_unavailable(exc: BaseException) -> bool:
    import asyncpg

    state = _sqlstate(exc)
    if state and state.startswith(_UNAVAILABLE_SQLSTATES):
        return True
    for e in _chain(exc):
        if isinstance(e, OSError | TimeoutError | asyncio.TimeoutError | ConnectionError | EOFError):
            return True
        if isinstance(e, asyncpg.exceptions.ConnectionDoesNotExistError | asyncpg.exceptions.InterfaceError):
            return True
        if isinstance(e, asyncpg.exceptions.PostgresConnectionError):
            return True
        if getattr(e, "connection_invalidated", False):
            return True
    return False


def _reason(exc: BaseException) -> str:
    for e in _chain(exc):
        module = type(e).__module__ or ""
        if module.startswith("asyncpg") or isinstance(e, OSError | TimeoutError):
            text = str(e) or type(e).__name__
            return _one_line(text)
    return _one_line(str(exc) or type(exc).__name__)


# --- the journal ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Head:
    """What a check needs in one round trip."""

    identity: str
    last: int  # max(seq), 0 when empty
    hash_at: str | None  # SHA-256 (hex) of the line asked about, None if there is none


class PgJournal:
    """A journal in a PostgreSQL database (format 1 lines in ``warroom_journal``)."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 3.0,
        lock_timeout: float = 10.0,
        resolve_timeout: float = 15.0,
    ) -> None:
        from sqlalchemy.engine import make_url

        self.url = url
        self.location = redact_url(url)
        self.connect_timeout = connect_timeout
        self.lock_timeout = lock_timeout
        #: how long an append whose commit reply was lost keeps asking whether it happened
        self.resolve_timeout = resolve_timeout
        parsed = make_url(url)
        self._sa_url = parsed.set(drivername="postgresql+asyncpg")
        self.database = parsed.database or ""
        # the URL asyncpg reads itself (for the LISTEN connection)
        self._dsn = "postgresql" + url[url.index(":") :] if "://" in url else url
        self._engine: Any = None
        self._identity = ""
        self._schema_ok = False
        self._loop = _private_loop()
        self._finalizer = weakref.finalize(self, _dispose_later, self._loop, self.__dict__)

    def __repr__(self) -> str:
        return f"PgJournal({self.location!r})"

    # --- the bridge --------------------------------------------------------------------

    def _submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(self._guard(coro), self._loop)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the private loop and wait for it (from any other thread)."""
        fut = self._submit(coro)
        wait = timeout if timeout is not None else self.connect_timeout + COMMAND_TIMEOUT + 5
        try:
            return fut.result(wait)
        except concurrent.futures.TimeoutError:
            fut.cancel()
            raise JournalUnavailable(
                f"the journal {self.location} did not answer within {wait:g} s"
            ) from None

    async def _guard(self, coro: Coroutine[Any, Any, T]) -> T:
        """Errors of the database as the journal's errors (one line, no password)."""
        try:
            return await coro
        except (JournalError, _Abort, asyncio.CancelledError):
            raise
        except Exception as exc:
            if _is_unavailable(exc):
                raise JournalUnavailable(
                    f"the journal {self.location} cannot be reached: {_reason(exc)}"
                ) from None
            raise JournalError(f"the journal {self.location} failed: {_reason(exc)}") from None

    async def _get_engine(self) -> Any:
        if self._engine is None:
            from sqlalchemy.ext.asyncio import create_async_engine

            self._engine = create_async_engine(
                self._sa_url,
                pool_size=2,
                max_overflow=8,
                pool_pre_ping=True,
                pool_timeout=self.connect_timeout + self.lock_timeout,
                connect_args={
                    "timeout": self.connect_timeout,
                    "command_timeout": COMMAND_TIMEOUT,
                    "server_settings": {"application_name": "warroom"},
                },
            )
        return self._engine

    async def _sql(self, sql: str, *args: Any) -> list[Any]:
        """One statement on a pooled connection; its rows (asyncpg's own ``$n`` parameters)."""
        engine = await self._get_engine()
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            return list(await driver.fetch(sql, *args))

    def close(self) -> None:
        """Close the pooled connections (the journal can be used again after)."""
        engine, self._engine = self._engine, None
        if engine is not None and not self._loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(engine.dispose(), self._loop).result(10)
            except Exception:  # closing a broken connection is not news
                pass

    # --- probing -----------------------------------------------------------------------

    def exists(self) -> bool:
        return self._call(self._exists())

    async def _exists(self) -> bool:
        rows = await self._sql(f"SELECT to_regclass('{TABLE}') IS NOT NULL")
        return bool(rows[0][0])

    def end(self) -> int:
        return self._call(self._end())

    async def _end(self) -> int:
        try:
            rows = await self._sql(f"SELECT coalesce(max(seq), 0) FROM {TABLE}")
        except Exception as exc:
            if _sqlstate(exc) == "42P01":  # no table yet: an empty journal
                return 0
            raise
        return int(rows[0][0])

    def identity(self) -> str:
        """The database's identity (system identifier, database oid, journal id), as last
        read by :meth:`check` or :meth:`read`."""
        if not self._identity:
            try:
                self._identity = self._call(self._head(0)).identity
            except JournalError:
                return ""
        return self._identity

    async def _head(self, seq: int) -> Head:
        try:
            rows = await self._sql(
                "SELECT (SELECT system_identifier FROM pg_control_system())::text || ':' || "
                "(SELECT oid FROM pg_database WHERE datname = current_database())::text || ':' || "
                f"coalesce((SELECT journal_id FROM {VERSION_TABLE} LIMIT 1), ''), "
                f"(SELECT coalesce(max(seq), 0) FROM {TABLE}), "
                f"(SELECT encode(sha256(line), 'hex') FROM {TABLE} WHERE seq = $1)",
                seq,
            )
        except Exception as exc:
            if _sqlstate(exc) == "42P01":
                raise JournalError(f"the journal {self.location} is missing (no {TABLE} table)") from None
            raise
        identity, last, digest = rows[0]
        self._identity = identity
        return Head(identity, int(last), digest)

    def check(self, pos: Position) -> Check:
        if pos.offset == 0:
            return Check(True)
        head = self._call(self._head(pos.offset))
        if pos.identity and head.identity != pos.identity:
            return Check(False, "the journal database was replaced (its identity changed)")
        if head.last < pos.offset:
            return Check(False, f"the journal shrank from {pos.offset} to {head.last} lines")
        if pos.last_hash is not None and head.hash_at != pos.last_hash:
            return Check(False, "the journal was rewritten in place (its last line read changed)")
        return Check(True)

    # --- reading -----------------------------------------------------------------------

    def read(self, pos: Position, *, batches: bool = True) -> Iterator[Span]:
        spans = self._spans(pos)
        if batches:
            spans = whole_batches(spans, self._line_tails, per_line=True)
        return spans

    def _spans(self, pos: Position) -> Iterator[Span]:
        after = pos.offset
        line = pos.line
        first = True
        while True:
            rows = self._call(self._fetch(after, first))
            first = False
            if not rows:
                return
            raws: list[bytes] = []
            long: dict[int, tuple[str, int]] = {}
            for i, (_seq, raw) in enumerate(rows):
                if len(raw) > KEEP:
                    long[i] = (sha256_hex(raw), len(raw))
                    raw = raw[:KEEP]
                raws.append(raw)
            last = int(rows[-1][0])
            yield Span(line + 1, after, last, raws, long, last - 1)
            line += len(rows)
            after = last

    def _line_tails(self, after: int) -> Iterator[tuple[bytes, int]]:
        """The ends and sizes of the lines after ``after`` (the look ahead of whole_batches)."""
        while True:
            rows = self._call(
                self._sql(
                    f"SELECT seq, octet_length(line), substr(line, greatest(octet_length(line) - {TAIL - 1}, 1)) "
                    f"FROM {TABLE} WHERE seq > $1 ORDER BY seq LIMIT $2",
                    after,
                    256,
                )
            )
            if not rows:
                return
            for _seq, size, tail in rows:
                yield bytes(tail), int(size)
            after = int(rows[-1][0])

    async def _fetch(self, after: int, fresh_identity: bool) -> list[tuple[int, bytes]]:
        if fresh_identity:
            try:
                await self._head(0)
            except JournalError:
                return []  # no table: nothing to read yet
        rows = await self._sql(
            "SELECT seq, line FROM (SELECT seq, line, sum(octet_length(line)) OVER (ORDER BY seq) "
            f"AS upto FROM (SELECT seq, line FROM {TABLE} WHERE seq > $1 ORDER BY seq LIMIT $2) t) u "
            "WHERE upto - octet_length(line) < $3 ORDER BY seq",
            after,
            SPAN_ROWS,
            SPAN_BYTES,
        )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def lines(self) -> Iterator[bytes]:
        """Every line's full bytes, in order (for copying; never cut at the size limit)."""
        after = 0
        while True:
            rows = self._call(
                self._sql(f"SELECT seq, line FROM {TABLE} WHERE seq > $1 ORDER BY seq LIMIT $2", after, 1024)
            )
            if not rows:
                return
            for r in rows:
                yield bytes(r[1])
            after = int(rows[-1][0])

    # --- the schema --------------------------------------------------------------------

    def init_schema(self) -> list[str]:
        """Create the tables if missing (idempotent); what was done, said for people."""
        return self._call(self._init_schema(), timeout=self.connect_timeout + self.lock_timeout + 60)

    async def _init_schema(self) -> list[str]:
        from sqlalchemy import text

        engine = await self._get_engine()
        done: list[str] = []
        async with engine.connect() as conn:
            async with conn.begin():
                await conn.execute(text(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'"))
                await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                had = (await conn.execute(text(f"SELECT to_regclass('{TABLE}') IS NOT NULL"))).scalar()
                had_version = (
                    await conn.execute(text(f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL"))
                ).scalar()
                version = None
                if had_version:
                    version = (await conn.execute(text(f"SELECT max(version) FROM {VERSION_TABLE}"))).scalar()
                if version is not None and version > SCHEMA_VERSION:
                    raise JournalError(
                        f"the journal {self.location} has schema version {version}; this warroom "
                        f"knows {SCHEMA_VERSION}: upgrade warroom"
                    )
                if had and version == SCHEMA_VERSION:
                    return []
                for sql in SCHEMA_SQL:
                    await conn.execute(text(sql))
                if version is None:
                    await conn.execute(
                        text(f"INSERT INTO {VERSION_TABLE} (version, journal_id) VALUES (:v, :j)"),
                        {"v": SCHEMA_VERSION, "j": uuid.uuid4().hex},
                    )
                    done.append(
                        f"created the tables {TABLE} and {VERSION_TABLE} (schema version {SCHEMA_VERSION})"
                    )
                else:  # migrations from older versions go here
                    await conn.execute(
                        text(f"UPDATE {VERSION_TABLE} SET version = :v"), {"v": SCHEMA_VERSION}
                    )
                    done.append(f"migrated the journal schema from version {version} to {SCHEMA_VERSION}")
        self._schema_ok = True
        return done

    async def _ensure_schema(self) -> None:
        if self._schema_ok:
            return
        rows = await self._sql(
            f"SELECT to_regclass('{TABLE}') IS NOT NULL AND to_regclass('{VERSION_TABLE}') IS NOT NULL"
        )
        if rows[0][0]:
            self._schema_ok = True
            return
        try:
            await self._init_schema()
        except JournalError as exc:
            if "permission denied" in str(exc):
                raise JournalError(
                    f"the journal {self.location} has no tables and this user may not create them: "
                    f"run 'warroom journal init' as the database's owner"
                ) from None
            raise

    def create_roles(self) -> list[str]:
        """Create the reader and writer roles and grant them; what was done."""
        return self._call(self._create_roles())

    async def _create_roles(self) -> list[str]:
        from sqlalchemy import text

        engine = await self._get_engine()
        async with engine.connect() as conn:
            async with conn.begin():
                existed = {
                    r[0]
                    for r in await conn.execute(
                        text("SELECT rolname FROM pg_roles WHERE rolname IN (:a, :b)"),
                        {"a": READER_ROLE, "b": WRITER_ROLE},
                    )
                }
                for sql in roles_sql(self.database):
                    await conn.execute(text(sql))
        out = []
        for role, what in ((READER_ROLE, "SELECT"), (WRITER_ROLE, "SELECT and INSERT")):
            verb = "granted" if role in existed else "created"
            out.append(f"{verb} the role {role} ({what} on the journal)")
        return out

    def may_create_roles(self) -> bool:
        rows = self._call(
            self._sql("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        )
        return bool(rows and rows[0][0])

    # --- writing -----------------------------------------------------------------------

    async def append(
        self,
        events: Sequence[dict[str, Any]],
        *,
        under_lock: Callable[[], Awaitable[None]] | None = None,
    ) -> list[str]:
        check_sizes(events)
        locked: concurrent.futures.Future[None] = concurrent.futures.Future()
        go: concurrent.futures.Future[None] = concurrent.futures.Future()
        done = self._submit(self._append_tx(list(events), locked, go))
        done_a = asyncio.wrap_future(done)
        try:
            locked_a = asyncio.wrap_future(locked)
            waiting: set[asyncio.Future[Any]] = {locked_a, done_a}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not locked_a.done() or locked_a.exception() is not None:
                # the transaction failed before it held the lock: its error is done's
                locked_a.cancel()
                return await done_a
            if under_lock is not None:
                await under_lock()
            go.set_result(None)
            return await done_a
        finally:
            if not go.done():  # refused, failed or cancelled: roll back, write nothing
                go.set_exception(_Abort())
                try:
                    await asyncio.shield(done_a)
                except (_Abort, JournalError, asyncio.CancelledError):
                    pass

    async def _append_tx(
        self,
        events: list[dict[str, Any]],
        locked: concurrent.futures.Future[None],
        go: concurrent.futures.Future[None],
    ) -> list[str]:
        ids = [str(event.get("id")) for event in events]
        records: list[tuple[int, bytes, str | None, str | None]] = []
        lost: Exception | None = None  # the connection was lost while the commit was under way
        try:
            await self._ensure_schema()
            engine = await self._get_engine()
            try:
                async with engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    db = raw.driver_connection
                    tx = db.transaction()
                    await tx.start()
                    try:
                        await db.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
                        try:
                            await db.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
                        except Exception as exc:
                            if _sqlstate(exc) == "55P03":
                                raise LockTimeout(
                                    f"the journal {self.location} is locked by another writer for more "
                                    f"than {self.lock_timeout:g} s; nothing was written"
                                ) from None
                            raise
                        row = await db.fetchrow(f"SELECT seq, line FROM {TABLE} ORDER BY seq DESC LIMIT 1")
                        seq = int(row[0]) if row else 0
                        prev = sha256_hex(bytes(row[1])) if row else None
                        if not locked.done():
                            locked.set_result(None)
                        await asyncio.wrap_future(go)  # the caller's under_lock ran (or raised _Abort)
                        lines = encode_batch(events, prev)  # the same bytes as a file's
                        for n, (event, data) in enumerate(zip(events, lines, strict=True), seq + 1):
                            eid, incident = (
                                _text_or_none(event.get("id")),
                                _text_or_none(event.get("incident")),
                            )
                            records.append((n, data, eid, incident))
                        await _insert(db, records)
                        await db.execute("SELECT pg_notify($1, $2)", CHANNEL, str(seq + len(records)))
                    except BaseException:
                        with contextlib.suppress(Exception):
                            await tx.rollback()
                        raise
                    try:
                        await tx.commit()
                    except Exception as exc:
                        if not _is_unavailable(exc):
                            raise
                        lost = exc  # the commit was sent: whether it happened is not known yet
            except Exception:
                if lost is None:
                    raise
                # giving back the broken connection failed too: what matters is the commit
            if lost is not None:
                return await self._resolve(records, ids, lost)
            return ids
        except BaseException as exc:
            if not locked.done():
                locked.set_exception(exc if isinstance(exc, Exception) else _Abort())
            raise

    async def _resolve(
        self, records: list[tuple[int, bytes, str | None, str | None]], ids: list[str], lost: Exception
    ) -> list[str]:
        """The connection was lost while a batch was committing: ask the journal (on a new
        connection, retrying for ``resolve_timeout`` seconds) for the batch's ids. Every line
        there as sent: it was written; none of the ids there: it was not (nothing was
        written, the caller may retry); anything else, or no answer: WriteUnknown (never
        a guess)."""
        reason = _reason(lost)
        want = {r[2]: r[1] for r in records}
        if not records or None in want or len(want) != len(records):
            raise WriteUnknown(
                f"the journal {self.location} was lost while committing ({reason}); whether the "
                "batch was written is unknown (its ids cannot be looked up)",
                ids,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.resolve_timeout
        delay = 0.1
        while True:
            try:
                rows = await self._sql(f"SELECT id, line FROM {TABLE} WHERE id = ANY($1::text[])", list(want))
                break
            except Exception as exc:
                if not _is_unavailable(exc) or loop.time() + delay > deadline:
                    raise WriteUnknown(
                        f"the journal {self.location} was lost while committing ({reason}) and could not "
                        f"be asked afterwards whether the batch was written ({_reason(exc)}): that is unknown",
                        ids,
                    ) from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        there = {(r[0], bytes(r[1])) for r in rows}
        if all((eid, line) in there for eid, line in want.items()):
            return ids  # the commit happened before the connection was lost
        if not rows:
            raise JournalUnavailable(
                f"the journal {self.location} was lost while committing ({reason}); the commit did "
                "not happen: nothing was written"
            )
        raise WriteUnknown(
            f"the journal {self.location} was lost while committing ({reason}), and it holds "
            f"{len(rows)} lines with the batch's ids but not the batch as sent: whether it was "
            "written is unknown (refusing to guess)",
            ids,
        )

    def copy_in(self, lines: Iterable[bytes]) -> int:
        """Append raw lines as they are (``warroom journal copy``), in one transaction, into an
        empty journal; returns how many."""
        return self._call(self._copy_in(lines), timeout=24 * 3600.0)

    async def _copy_in(self, lines: Iterable[bytes]) -> int:
        await self._ensure_schema()
        engine = await self._get_engine()
        count = 0
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            db = raw.driver_connection
            async with db.transaction():
                await db.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
                await db.execute("SELECT pg_advisory_xact_lock($1)", LOCK_KEY)
                if await db.fetchval(f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} LIMIT 1) t"):
                    raise JournalError(
                        f"the journal {self.location} is not empty; copy writes only into an empty one"
                    )
                # the source is read in a worker thread: it may be a journal of this loop too
                source = iter(lines)
                loop = asyncio.get_running_loop()
                while True:
                    chunk = await loop.run_in_executor(None, _take, source, 1000)
                    if not chunk:
                        break
                    batch = []
                    for line in chunk:
                        count += 1
                        batch.append((count, line, *_id_and_incident(line)))
                    await _insert(db, batch)
                await db.execute("SELECT pg_notify($1, $2)", CHANNEL, str(count))
        return count

    # --- watching ----------------------------------------------------------------------

    async def changes(self, *, poll: float = 0.5) -> AsyncIterator[None]:
        """Yield on every NOTIFY of an append (a LISTEN on a connection of its own), and
        whenever ``end()`` moved in a ``poll`` seconds without one; after a lost connection,
        back off, reconnect, and yield once connected again (the caller syncs)."""
        listener = _Listener(self)
        backoff = poll
        try:
            while True:
                try:
                    changed = await asyncio.wrap_future(self._submit(listener.wait(poll)))
                    backoff = poll
                except JournalError:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if changed:
                    yield
        finally:
            if not self._loop.is_closed():
                asyncio.run_coroutine_threadsafe(listener.close(), self._loop)


class _Listener:
    """The LISTEN connection of one ``changes()`` iterator (lives on the private loop)."""

    def __init__(self, journal: PgJournal) -> None:
        self.journal = journal
        self.conn: Any = None
        self.event: asyncio.Event | None = None
        self.last_end: int | None = None
        self.lost = False

    async def wait(self, poll: float) -> bool:
        import asyncpg

        if self.event is None:
            self.event = asyncio.Event()
        if self.conn is None or self.conn.is_closed():
            if self.conn is not None:
                self.lost = True
            self.conn = None
            try:
                conn = await asyncpg.connect(self.journal._dsn, timeout=self.journal.connect_timeout)
            except Exception:
                self.lost = True
                raise
            try:
                await conn.add_listener(CHANNEL, self._notified)
            except asyncpg.exceptions.PostgresError:
                pass  # a hot standby cannot LISTEN: polling alone, below
            conn.add_termination_listener(self._terminated)
            self.conn = conn
            end = await self.journal._end()
            moved = self.last_end is not None and end != self.last_end
            self.last_end = end
            if self.lost or moved:
                self.lost = False
                self.event.clear()
                return True
        try:
            await asyncio.wait_for(self.event.wait(), poll)
            self.event.clear()
            return True
        except TimeoutError:
            pass
        end = await self.journal._end()
        if end != self.last_end:
            self.last_end = end
            return True
        return False

    def _notified(self, *args: Any) -> None:
        if self.event is not None:
            self.event.set()

    def _terminated(self, *args: Any) -> None:
        self.lost = True
        if self.event is not None:
            self.event.set()  # wake the waiter: it reconnects (and yields) at its next turn

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 2)
            except Exception:
                conn.terminate()


async def _insert(db: Any, records: list[tuple[int, bytes, str | None, str | None]]) -> None:
    await db.executemany(f"INSERT INTO {TABLE} (seq, line, id, incident) VALUES ($1, $2, $3, $4)", records)


def _take(source: Iterator[bytes], n: int) -> list[bytes]:
    out = []
    for item in source:
        out.append(item)
        if len(out) >= n:
            break
    return out


def _text_or_none(value: Any) -> str | None:
    """A member kept beside the line (for indexes and row-level security), when it is a
    string PostgreSQL's text can hold."""
    return value if isinstance(value, str) and "\x00" not in value and len(value) <= 256 else None


def _id_and_incident(line: bytes) -> tuple[str | None, str | None]:
    import orjson

    if len(line) > MAX_LINE_BYTES:
        return None, None
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(obj, dict):
        return None, None
    return _text_or_none(obj.get("id")), _text_or_none(obj.get("incident"))


def _dispose_later(loop: asyncio.AbstractEventLoop, state: dict[str, Any]) -> None:
    engine = state.get("_engine")
    if engine is not None and not loop.is_closed():
        try:
            asyncio.run_coroutine_threadsafe(engine.dispose(), loop)
        except RuntimeError:
            pass
