"""The journal: the shared, append-only file every console syncs from.

This module is the only place that knows the journal is a file. Everything above it talks
to the small :class:`Journal` interface (append a batch, read from a position, wait for a
change), so a second implementation (PostgreSQL, for teams that span sites) can stand
beside this one.

Reading streams: the file is read in chunks from a remembered byte offset, lines are cut at
``\\n``, and a line longer than the limit is hashed as it streams past and kept only up to
the limit. Nothing here holds the whole file in memory.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import os
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from .models import MAX_LINE_BYTES

CHUNK = 1 << 20  # bytes read at a time
#: an oversize line is parsed (for its ``prev``) only up to this size; longer ones are
#: treated like lines that are not JSON objects (their hash still chains)
MAX_PARSED_OVERSIZE = 4 << 20


class JournalError(Exception):
    """A journal that cannot be read or written; ``str()`` says why in one line."""


class LockTimeout(JournalError):
    pass


class JournalUnavailable(JournalError):
    """The journal cannot be reached now (a database journal's server or network is
    down): what a console writes may be queued and sent when it comes back."""


def redact_url(url: str) -> str:
    """A database URL as shown to people: without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def open_journal(spec: str | os.PathLike[str]) -> Journal:
    """The journal at ``spec``: a PostgreSQL URL (``postgresql://…``, data/pg_journal.py)
    or a file path."""
    from .config import is_url

    if isinstance(spec, str) and is_url(spec):
        from .pg_journal import PgJournal

        return PgJournal(spec)
    return FileJournal(spec)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a reader stands: everything after ``offset`` is new.

    ``last_hash`` is the SHA-256 of the last line read (so the expected ``prev`` of the next
    line) and ``last_start`` where that line starts, so a reader can tell that the file was
    rewritten in place.
    """

    offset: int = 0
    line: int = 0
    identity: str = ""
    last_hash: str | None = None
    last_start: int = 0


START = Position()


@dataclass(slots=True)
class Span:
    """Consecutive complete lines of the journal, as read in one go.

    ``raws`` are the lines' bytes without their newlines. A line over the size limit is
    kept only in part; ``long`` gives, by index in ``raws``, its full SHA-256 and size.
    """

    line: int  # number of the first line (1-based)
    start: int  # position of the first line (a byte offset for a file)
    end: int  # position just past the last line
    raws: list[bytes]
    long: dict[int, tuple[str, int]]
    #: where the last line starts (it follows from the rest; kept for the checkpoint)
    last_start: int

    def __len__(self) -> int:
        return len(self.raws)


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict on a stored position against the journal as it stands."""

    ok: bool
    reason: str = ""  # why the projection must be rebuilt, when not ok


class Journal(Protocol):
    """What the store needs from a journal, whatever keeps it."""

    location: str

    def exists(self) -> bool: ...

    def check(self, pos: Position) -> Check:
        """Whether reading may go on from ``pos`` or the projection must be rebuilt."""
        ...

    def read(self, pos: Position) -> Iterator[Span]:
        """Every complete line after ``pos``, in order, a span at a time (blocking I/O)."""
        ...

    def end(self) -> int:
        """How far the journal reaches now (bytes for a file): a cheap probe of change."""
        ...

    async def append(
        self,
        events: Sequence[dict[str, Any]],
        *,
        under_lock: Callable[[], Awaitable[None]] | None = None,
    ) -> list[str]:
        """Append a batch in order, atomically with respect to other writers; returns
        the ids written. ``prev`` is filled in here.

        ``under_lock`` runs while the writer holds the lock and before anything is written
        (the append command catches up and validates there); if it raises, nothing is
        written.
        """
        ...

    def changes(self, *, poll: float = 0.5) -> AsyncIterator[None]:
        """Yields whenever the journal may have changed."""
        ...


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a folder", "a named pipe
    (FIFO)", "a device"…), else None. A journal must be a regular file: opening a FIFO
    blocks, a device swallows or invents lines."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing (created on the first append) or unreadable (said when opened)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_a_file(path: Path, kind: str) -> JournalError:
    return JournalError(f"the journal {path} is {kind}, not a regular file; give the path of a journal file")


def open_regular(path: Path, flags: int, mode: int = 0o600) -> int:
    """``os.open`` that refuses at once anything but a regular file: a FIFO would block
    the open (or the writes), a device would swallow the lines. Opened non-blocking, checked,
    then set back to blocking. ``OSError`` passes through (the caller words it)."""
    kind = special_kind(path)
    if kind is not None:
        raise _not_a_file(path, kind)
    fd = os.open(path, flags | os.O_NONBLOCK, mode)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # replaced between the stat and the open
            raise _not_a_file(path, "not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def secure_touch(path: Path) -> None:
    """Create ``path`` (and its folder) readable by the owner only, if missing."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)


class FileJournal:
    """A journal in one JSON Lines file on a local file system (format 1)."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.lock_timeout = lock_timeout
        kind = special_kind(self.path)
        if kind is not None:  # at once, not when a read or an append would hang on it
            raise _not_a_file(self.path, kind)

    # --- probing ---------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists()

    def end(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise JournalError(f"cannot read the journal {self.path}: {exc.strerror}") from None

    def _open_read(self) -> int | None:
        try:
            return open_regular(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise JournalError(f"cannot read the journal {self.path}: {exc.strerror}") from None

    @staticmethod
    def _identity(st: os.stat_result) -> str:
        return f"{st.st_dev}:{st.st_ino}"

    def check(self, pos: Position) -> Check:
        if pos.offset == 0:
            return Check(True)
        fd = self._open_read()
        if fd is None:
            # gone (unmounted, moved away): say so and keep what we have, never rebuild
            # into an empty war room
            raise JournalError(f"the journal {self.path} is missing")
        try:
            st = os.fstat(fd)
            if pos.identity and self._identity(st) != pos.identity:
                return Check(False, "the journal file was replaced (its device and inode changed)")
            if st.st_size < pos.offset:
                return Check(
                    False,
                    f"the journal shrank from {pos.offset} to {st.st_size} bytes",
                )
            if pos.last_hash is not None:
                length = pos.offset - 1 - pos.last_start
                if length < 0 or _hash_range(fd, pos.last_start, length) != pos.last_hash:
                    return Check(False, "the journal was rewritten in place (its last line read changed)")
            return Check(True)
        finally:
            os.close(fd)

    # --- reading ---------------------------------------------------------------------

    def read(self, pos: Position) -> Iterator[Span]:
        fd = self._open_read()
        if fd is None:
            if pos.offset:
                raise JournalError(f"the journal {self.path} is missing")
            return
        try:
            yield from _read_spans(fd, pos.offset, pos.line)
        except OSError as exc:
            raise JournalError(f"reading the journal {self.path} failed: {exc.strerror}") from None
        finally:
            os.close(fd)

    def identity(self) -> str:
        try:
            return self._identity(self.path.stat())
        except FileNotFoundError:
            return ""

    # --- writing ---------------------------------------------------------------------

    def _share_if_asked(self, fd: int, folder_created: bool) -> None:
        """A journal this writer created is the owner's only, unless the team opted in to
        group access (``data.config.journal_group_access``): then the group may read and
        append (0660), and a folder created for it lets the group in, new files taking
        its group (2770)."""
        from .config import journal_group_access

        if not journal_group_access():
            return
        os.fchmod(fd, 0o660)
        if folder_created:
            os.chmod(self.path.parent, 0o2770)

    async def append(
        self,
        events: Sequence[dict[str, Any]],
        *,
        under_lock: Callable[[], Awaitable[None]] | None = None,
    ) -> list[str]:
        try:
            created = not self.path.exists()
            folder_created = created and not self.path.parent.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = open_regular(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            if created:
                self._share_if_asked(fd, folder_created)
        except OSError as exc:
            raise JournalError(f"cannot open the journal {self.path} for writing: {exc.strerror}") from None
        try:
            await self._lock(fd)
            try:
                if under_lock is not None:
                    await under_lock()
                return _write_locked(fd, events)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    async def _lock(self, fd: int) -> None:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise JournalError(f"cannot lock the journal {self.path}: {exc.strerror}") from None
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"the journal {self.path} is locked by another writer for more than "
                    f"{self.lock_timeout:g} s; nothing was written"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    # --- watching --------------------------------------------------------------------

    async def changes(self, *, poll: float = 0.5) -> AsyncIterator[None]:
        """Yield on every change of the file: file-system events where the platform has
        them (watchfiles), else a cheap probe of size and identity every ``poll`` seconds.
        Also yields after any ``poll`` seconds in which the file's size or identity
        changed without an event (network file systems)."""
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        last = self._probe()
        from watchfiles import awatch

        if os.environ.get("WARROOM_POLL") != "1":  # WARROOM_POLL=1: probe only, no events
            stop = asyncio.Event()
            try:
                async for changes in awatch(
                    folder,
                    stop_event=stop,
                    debounce=20,
                    step=10,
                    rust_timeout=int(poll * 1000),
                    yield_on_timeout=True,
                    watch_filter=None,
                ):
                    probe = self._probe()
                    names = {Path(p).name for _, p in changes}
                    if self.path.name in names or probe != last:
                        last = probe
                        yield
                return
            except (OSError, RuntimeError):
                pass  # no file-system events here: fall back to polling
            finally:
                stop.set()
        while True:
            await asyncio.sleep(poll)
            probe = self._probe()
            if probe != last:
                last = probe
                yield

    def _probe(self) -> tuple[str, int, int]:
        try:
            st = self.path.stat()
        except OSError:
            return ("", -1, -1)
        return (self._identity(st), st.st_size, st.st_mtime_ns)


# --- reading helpers ---------------------------------------------------------------------


def _hash_range(fd: int, start: int, length: int) -> str:
    h = hashlib.sha256()
    pos = start
    left = length
    while left > 0:
        chunk = os.pread(fd, min(CHUNK, left), pos)
        if not chunk:
            break
        h.update(chunk)
        pos += len(chunk)
        left -= len(chunk)
    return h.hexdigest() if left == 0 else ""


def _read_spans(fd: int, offset: int, line: int) -> Iterator[Span]:
    """Stream complete lines from ``offset``, one span per chunk read; a trailing
    fragment (no newline yet) is left for later."""
    pending = b""  # the start of a line the last chunk cut (kept only up to `keep` bytes)
    long_hash: Any = None  # running hash of a line longer than `keep`
    long_size = 0
    keep = max(MAX_PARSED_OVERSIZE, MAX_LINE_BYTES + 1)
    start = offset  # where `pending` (the next line) starts
    pos = offset
    while True:
        chunk = os.pread(fd, CHUNK, pos)
        if not chunk:
            return
        pos += len(chunk)
        cut = chunk.rfind(b"\n")
        if cut == -1:  # no line ends in this chunk: it all belongs to the pending line
            if long_hash is None and len(pending) + len(chunk) > keep:
                long_hash = hashlib.sha256(pending)
                long_size = len(pending)
            if long_hash is None:
                pending += chunk
            else:
                long_hash.update(chunk)
                long_size += len(chunk)
                if len(pending) < keep:
                    pending += chunk[: keep - len(pending)]
            continue
        raws = chunk[:cut].split(b"\n")
        long: dict[int, tuple[str, int]] = {}
        head = raws[0]
        if long_hash is not None:
            long_hash.update(head)
            long[0] = (long_hash.hexdigest(), long_size + len(head))
            raws[0] = (pending + head[: max(0, keep - len(pending))])[:keep]
            long_hash = None
        elif pending:
            raws[0] = pending + head
        for i, raw in enumerate(raws):
            if len(raw) > keep:  # a long line inside one chunk: keep its head only
                long[i] = (hashlib.sha256(raw).hexdigest(), len(raw))
                raws[i] = raw[:keep]
        end = pos - len(chunk) + cut + 1
        last = raws[-1]
        last_size = long[len(raws) - 1][1] if (len(raws) - 1) in long else len(last)
        yield Span(line + 1, start, end, raws, long, end - 1 - last_size)
        line += len(raws)
        start = end
        pending = chunk[cut + 1 :]
        if len(pending) > keep:
            long_hash = hashlib.sha256(pending)
            long_size = len(pending)
            pending = pending[:keep]


# --- writing helpers ---------------------------------------------------------------------


def _last_line_digest(fd: int, size: int) -> str | None:
    """SHA-256 of the last complete line of a file that ends in ``\\n`` (None if empty)."""
    if size == 0:
        return None
    end = size - 1  # the final newline
    pos = end
    step = 65536
    start = 0
    while pos > 0:
        lo = max(0, pos - step)
        block = os.pread(fd, pos - lo, lo)
        k = block.rfind(b"\n")
        if k != -1:
            start = lo + k + 1
            break
        pos = lo
    return _hash_range(fd, start, end - start)


def encode_event(event: dict[str, Any]) -> bytes:
    """The bytes of one line for ``event`` (compact JSON, UTF-8), newline excluded."""
    return orjson.dumps(event)


def _write_locked(fd: int, events: Sequence[dict[str, Any]]) -> list[str]:
    for event in events:
        data = encode_event({**event, "prev": "0" * 64})  # the final prev has this length
        if len(data) > MAX_LINE_BYTES:
            raise JournalError(
                f"event {event.get('id')} would be a line of {len(data)} bytes, over the "
                f"{MAX_LINE_BYTES}-byte limit; nothing was written"
            )
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        # a writer died mid-line: end its bytes so they become a line of their own
        _write_all(fd, b"\n", 0, len(events))
        size += 1
    prev = _last_line_digest(fd, size)
    ids: list[str] = []
    for n, event in enumerate(events):
        data = encode_event({**event, "prev": prev})
        _write_all(fd, data + b"\n", n, len(events))  # one write per line
        prev = sha256_hex(data)
        ids.append(str(event.get("id")))
    try:
        os.fsync(fd)
    except OSError as exc:
        raise JournalError(f"the journal could not be flushed to disk: {exc.strerror}") from None
    return ids


def _write_all(fd: int, data: bytes, done: int, total: int) -> None:
    try:
        written = os.write(fd, data)
    except OSError as exc:
        raise JournalError(
            f"writing the journal failed: {exc.strerror}; {done} of {total} events were written"
        ) from None
    if written != len(data):  # a short write (disk full): the next writer ends the torn line
        raise JournalError(
            f"writing the journal failed: a short write ({written} of {len(data)} bytes, disk "
            f"full?); {done} of {total} events were written"
        )
