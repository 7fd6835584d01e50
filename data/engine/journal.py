"""The journal: the shared, append-only file every console syncs from.

This module is the only place that knows the journal is a file. Everything above it talks
to the small :class:`Journal` interface (append a batch, read from a position, wait for a
change), so a second implementation (PostgreSQL, for teams that span sites) can stand
beside this one.

Reading streams: the file is read in chunks from a remembered byte offset, lines are cut at
``\\n``, and a line longer than the limit is hashed as it streams past and kept only up to
the limit. Nothing here holds the whole file in memory.

A batch is all or nothing (docs/journal.md, "Batches"): the writer writes it in one
``write`` and cuts the file back if that fails; its lines carry ``"batch": [k, n]``, and
readers (:func:`whole_batches`) wait for a batch's last line and quarantine the lines of
one cut short.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from data.engine.blocking import pause
from data.engine.models import MAX_LINE_BYTES

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


class WriteUnknown(JournalUnavailable):
    """An append whose outcome cannot be known now: the batch may or may not be in the
    journal (a database commit whose reply was lost while the server stayed unreachable;
    a file that could be neither flushed nor put back). ``ids`` are the batch's ids: sending
    it again with the same ids is safe (an event already in the journal is skipped)."""

    def __init__(self, message: str, ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.ids = list(ids)


def redact_url(url: str) -> str:
    """A database URL as shown to people: without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


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
    #: by index in ``raws``: lines of a batch that was never completely written, and why
    #: (docs/journal.md, "Batches"): the projector quarantines them, never applies them
    broken: dict[int, str] = field(default_factory=dict)
    #: False when the reader knows that no line of the span carries a batch marker (a
    #: shortcut of whole_batches); None: not known
    marked: bool | None = None

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

    def read(self, pos: Position, *, batches: bool = True) -> Iterator[Span]:
        """Every complete line after ``pos``, in order, a span at a time (blocking I/O).

        With ``batches`` (what a projection reads) a batch is given whole or not at all
        (:func:`whole_batches`): the lines of one not completely written yet wait, like a
        trailing fragment, and those of one cut short are marked ``broken``. Without it
        (the chain walk), every complete line as it is."""
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

    def __init__(
        self, path: str | os.PathLike[str], *, lock_timeout: float = 10.0, group: bool | None = None
    ) -> None:
        self.path = Path(path)
        #: whether a journal this writer creates is shared with its group (None: as the
        #: config file says, read when it is created: ``journal_group_access``)
        self.group = group
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

    def read(self, pos: Position, *, batches: bool = True) -> Iterator[Span]:
        fd = self._open_read()
        if fd is None:
            if pos.offset:
                raise JournalError(f"the journal {self.path} is missing")
            return
        try:
            spans = _read_spans(fd, pos.offset, pos.line)
            if batches:
                spans = whole_batches(spans, lambda end: _line_tails(fd, end), per_line=False)
            yield from spans
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
        group access (``data.engine.config.journal_group_access``): then the group may read and
        append (0660), and a folder created for it lets the group in, new files taking
        its group (2770)."""
        from data.engine.config import journal_group_access

        if not (journal_group_access() if self.group is None else self.group):
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
            await pause(delay)  # (on the event loop if one runs: data/engine/blocking.py)
            delay = min(delay * 2, 0.05)

    # --- watching --------------------------------------------------------------------

    async def changes(self, *, poll: float = 0.5) -> AsyncIterator[None]:
        """Yield on every change of the file: file-system events where the platform has
        them (inotify on the event loop on Linux, data.engine.watch; else watchfiles), else
        a cheap probe of size and identity every ``poll`` seconds. Also yields after any
        ``poll`` seconds in which the file's size or identity changed without an event
        (network file systems)."""
        import asyncio

        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        last = self._probe()
        events = os.environ.get("WARROOM_POLL") != "1"  # WARROOM_POLL=1: probe only, no events
        if events:
            from data.engine.watch import open_inotify

            watch = open_inotify(folder)
            if watch is not None:
                events = False  # the folder removed or moved ends the watch: probe from then on
                try:
                    while not watch.ended:
                        names = await watch.wait(poll)
                        probe = self._probe()
                        if self.path.name in names or None in names or probe != last:
                            last = probe
                            yield
                finally:
                    watch.close()
        if events:
            from watchfiles import awatch

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
        # no marker in the bytes read (nor at the end of the line the read before began):
        # no line of the span needs looking at for one
        marked = _MARK in chunk or _MARK in raws[0][-TAIL:]
        yield Span(line + 1, start, end, raws, long, end - 1 - last_size, marked=marked)
        line += len(raws)
        start = end
        pending = chunk[cut + 1 :]
        if len(pending) > keep:
            long_hash = hashlib.sha256(pending)
            long_size = len(pending)
            pending = pending[:keep]


# --- batches (docs/journal.md, "Batches") ------------------------------------------------

#: the member that marks the lines of a batch of two or more events: ``"batch":[k,n]``
#: (line k of n), written as the member just before ``prev``, which ends the line
BATCH = "batch"
_MARK = b',"batch":['
#: bytes of a line's end that decide its mark (the longest marked ending is 105 bytes)
TAIL = 128
#: why a line of a batch cut short is quarantined
CUT_SHORT = "part of a batch of {n} lines that was never completely written; none of it is applied"


def batch_mark(raw: bytes) -> tuple[int, int] | None:
    """``(k, n)`` when the line (or its last :data:`TAIL` bytes) ends as line k of a batch
    of n lines (2 <= n, 1 <= k <= n): ``,"batch":[k,n],"prev":"<64 hex>"}`` (or
    ``"prev":null}``), else None.

    Read from the end, without parsing: in a line that is valid JSON, ``"prev":"…"}`` with
    no quote inside the string is the last member of the line's object, and the ``batch``
    member just before it is then a member of that object too. Cheap when there is no
    mark: a byte or two looked at."""
    size = len(raw)
    if size > 90 and raw[size - 76] == 0x5D:  # ...],"prev":"<64 hex>"}
        close = size - 76
        if not (raw.startswith(b',"prev":"', close + 1) and raw.endswith(b'"}')):
            return None
        if raw.find(b'"', size - 66, size - 2) != -1:
            return None
    elif size > 28 and raw[size - 14] == 0x5D and raw.endswith(b',"prev":null}'):
        close = size - 14
    else:
        return None
    start = raw.rfind(_MARK, max(0, close - 30), close)
    if start == -1:
        return None
    k, sep, n = raw[start + 10 : close].partition(b",")
    if not (sep and k.isdigit() and n.isdigit()):
        return None
    first, total = int(k), int(n)
    return (first, total) if 1 <= first <= total and total >= 2 else None


def whole_batches(
    spans: Iterator[Span], lookahead: Callable[[int], Iterator[tuple[bytes, int]]], *, per_line: bool
) -> Iterator[Span]:
    """The spans a projection reads: no batch is ever applied in part.

    A marked line ``[k, n]`` with k < n must be followed by ``[k+1, n]``, and so on to
    ``[n, n]``. When a span ends inside a batch, ``lookahead(span.end)`` (the ends of the
    lines after it: ``(last bytes, size)``) tells whether the batch is complete there: then
    the span goes as it is (the rest follows in the next); if it breaks off, its lines are
    marked broken; if the journal ends first, the batch is still being written (or its
    writer died): the span is cut before the batch, and reading stops there, as it does
    before a trailing fragment. A batch whose next line does not continue it was cut short:
    its lines are marked broken (``Span.broken``: quarantined, never applied, never dropped).
    ``per_line``: positions count lines (a database journal), not bytes.
    """
    expect = 0  # the k the next line must carry to continue the open batch (0: none open)
    total = 0
    verdict: bool | None = None  # of the open batch, once looked ahead: complete or not
    for span in spans:
        if not expect and span.marked is False:
            yield span
            continue
        raws = span.raws
        broken = span.broken
        run = 0  # where the open batch starts in this span
        for i, raw in enumerate(raws):
            size = len(raw)
            mark = None
            # the hot path: one or two bytes looked at (see batch_mark); a line over the size
            # limit (a writer never writes one) is never part of a batch
            if size > 28 and (raw[size - 14] == 0x5D or (size > 90 and raw[size - 76] == 0x5D)):
                if size <= MAX_LINE_BYTES:
                    mark = batch_mark(raw)
            if expect:
                if mark is not None and mark[0] == expect and mark[1] == total:
                    if verdict is False:
                        broken[i] = CUT_SHORT.format(n=total)
                    expect = 0 if expect == total else expect + 1
                    continue
                for j in range(run, i):  # the next line does not continue it: cut short
                    broken[j] = CUT_SHORT.format(n=total)
                expect = 0
            if mark is not None and mark[0] < mark[1]:
                expect, total = mark[0] + 1, mark[1]
                verdict = None
                run = i
        if expect and verdict is None:
            verdict = _complete(lookahead(span.end), expect, total)
            if verdict is None:  # not all there yet: wait for it, before its first line
                if run:
                    yield _head(span, run, per_line)
                return
            if verdict is False:
                for j in range(run, len(raws)):
                    broken[j] = CUT_SHORT.format(n=total)
        yield span


def _complete(tails: Iterator[tuple[bytes, int]], expect: int, total: int) -> bool | None:
    """Whether the lines after a span complete the batch open at its end (None: the journal
    ends before they do)."""
    for tail, size in tails:
        if size > MAX_LINE_BYTES or batch_mark(tail) != (expect, total):
            return False
        if expect == total:
            return True
        expect += 1
    return None


def _head(span: Span, k: int, per_line: bool) -> Span:
    """The first ``k`` lines of a span, as a span of their own."""
    long = span.long
    sizes = [long[j][1] if j in long else len(span.raws[j]) for j in range(k)]
    end = span.start + k if per_line else span.start + sum(sizes) + k
    last_start = end - 1 if per_line else end - 1 - sizes[-1]
    return Span(
        span.line,
        span.start,
        end,
        span.raws[:k],
        {j: v for j, v in long.items() if j < k},
        last_start,
        {j: v for j, v in span.broken.items() if j < k},
    )


def _line_tails(fd: int, offset: int, block: int = 1 << 16) -> Iterator[tuple[bytes, int]]:
    """The last :data:`TAIL` bytes and the size of every complete line from ``offset``
    (a look ahead: small reads, nothing more of a line kept)."""
    pending = b""
    size = 0
    pos = offset
    while True:
        chunk = os.pread(fd, block, pos)
        if not chunk:
            return
        pos += len(chunk)
        start = 0
        while True:
            k = chunk.find(b"\n", start)
            if k == -1:
                piece = chunk[start:]
                size += len(piece)
                pending = (pending + piece)[-TAIL:]
                break
            piece = chunk[start:k]
            yield (pending + piece)[-TAIL:], size + len(piece)
            pending = b""
            size = 0
            start = k + 1


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


def encode_batch(events: Sequence[dict[str, Any]], prev: str | None) -> list[bytes]:
    """The lines of a batch (newlines excluded), chained from ``prev``: each event's members
    as given (but ``batch`` and ``prev``, which are the writer's), then, in a batch of two
    or more, ``"batch":[k,n]`` (docs/journal.md, "Batches"), then ``prev``."""
    n = len(events)
    lines: list[bytes] = []
    for k, event in enumerate(events, 1):
        body = {key: value for key, value in event.items() if key != "prev" and key != BATCH}
        if n > 1:
            body[BATCH] = [k, n]
        body["prev"] = prev
        line = encode_event(body)
        lines.append(line)
        prev = sha256_hex(line)
    return lines


def check_sizes(events: Sequence[dict[str, Any]]) -> None:
    """Refuse a batch with a line over the limit, before anything is written (sizes with a
    64-hex ``prev``, what every line but a journal's first carries)."""
    for event, line in zip(events, encode_batch(events, "0" * 64), strict=True):
        if len(line) > MAX_LINE_BYTES:
            raise JournalError(
                f"event {event.get('id')} would be a line of {len(line)} bytes, over the "
                f"{MAX_LINE_BYTES}-byte limit; nothing was written"
            )


def _write_locked(fd: int, events: Sequence[dict[str, Any]]) -> list[str]:
    """Write a batch all or nothing: one ``write`` of all its lines, one ``fsync``; on any
    failure the file is cut back to where the batch began (then flushed), so it is as it
    was. The torn-line repair (the spec's rule) comes first and stays."""
    check_sizes(events)
    ids = [str(event.get("id")) for event in events]
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        # a writer died mid-line: end its bytes so they become a line of their own
        try:
            if os.write(fd, b"\n") != 1:
                raise OSError(errno.ENOSPC, "no progress writing (disk full?)")
        except OSError as exc:
            raise JournalError(f"writing the journal failed: {exc.strerror}; nothing was written") from None
        size += 1
    lines = encode_batch(events, _last_line_digest(fd, size))
    _write_batch(fd, size, b"".join(line + b"\n" for line in lines), ids)
    return ids


def _write_batch(fd: int, start: int, data: bytes, ids: Sequence[str]) -> None:
    """Append ``data`` (the file ends at ``start``) and flush it, or leave the file as it was."""
    view = memoryview(data)
    done = 0
    try:
        while done < len(data):
            written = os.write(fd, view[done:])  # one write; a short one is continued
            if written <= 0:
                raise OSError(errno.ENOSPC, "no progress writing (disk full?)")
            done += written
    except OSError as exc:
        _put_back(fd, start, f"writing the journal failed: {exc.strerror}", done, len(data), ids)
    try:
        os.fsync(fd)
    except OSError as exc:
        _put_back(
            fd, start, f"the journal could not be flushed to disk: {exc.strerror}", done, len(data), ids
        )


def _put_back(fd: int, start: int, what: str, done: int, total: int, ids: Sequence[str]) -> None:
    """Cut the file back to ``start`` after a failed batch, flush, and raise what happened."""
    try:
        size = os.fstat(fd).st_size
        if size != start + done:  # never cut what a writer that takes no lock added meanwhile
            raise OSError(errno.EBUSY, f"the file is {size} bytes, not the {start + done} this writer left")
        os.ftruncate(fd, start)
    except OSError as exc:
        if done >= total - 1:  # every line is there (but perhaps the last newline): readers may apply it
            raise WriteUnknown(
                f"{what}; and the batch could not be taken out again ({exc.strerror}): it is in the "
                "journal file but perhaps not on disk, so whether it was written is unknown",
                ids,
            ) from None
        raise JournalError(
            f"{what}; and the {done} bytes written could not be taken out again ({exc.strerror}): "
            "they stay as an unfinished line or batch, which readers quarantine and never apply; "
            "nothing was written"
        ) from None
    try:
        os.fsync(fd)
    except OSError as exc:
        raise JournalError(
            f"{what}; the batch was taken out again, but that could not be flushed to disk "
            f"either ({exc.strerror}); nothing was written"
        ) from None
    raise JournalError(f"{what}; nothing of the batch was written (the journal is as it was)")
