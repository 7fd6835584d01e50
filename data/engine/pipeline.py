"""A second process for large catch-ups: it reads, checks and projects while this one
writes.

On a 2-core machine the projection (hashing, validation, applying) and SQLite's writing
each take about half the time of a rebuild, and threads cannot overlap them (the GIL; the
driver takes it back for every row). So for a long backlog the store starts a worker
process (``data.engine.pipeline:main``, started isolated from the working directory by
:mod:`data.engine.spawn`) that reads the journal from the checkpoint and sends
each span's rows down a pipe; the store writes them, batch by batch, each in its own
transaction with its checkpoint, exactly as the in-process path does. The pipe's buffer is
the back-pressure: the worker runs at most one span ahead of the writer.

The worker reads the store (read-only) for state it has not seen; what it has sent but the
store may not have committed yet it knows itself. It never writes anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import pickle
import struct
import subprocess
import sys
import traceback
from collections import deque
from dataclasses import astuple
from typing import IO, Any

from data.engine.journal import FileJournal, Position
from data.engine.spawn import python_argv

DONE = "done"
ERROR = "error"
BATCH = "batch"
_HEADER = struct.Struct("!Q")
#: bytes of frames sent after a span's, beyond which the store surely committed it (on top
#: of what the pipe holds, which the worker adds; a generous margin)
FORGET_AFTER = 8 << 20
#: the pipe's buffer asked for (Linux; 64 KiB otherwise): the worker may run up to a frame
#: ahead of the store instead of waiting on each write (the store's commits stall now and then)
PIPE_BYTES = 1 << 20
#: more than the store's buffered reader of the pipe takes ahead (io.DEFAULT_BUFFER_SIZE)
_READER_BYTES = 64 << 10


class Worker:
    """A running worker process and its pipes: it imports what it needs as soon as it is
    spawned, and starts reading when it is told where (:meth:`begin`)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def begin(
        self,
        journal_path: str,
        db_path: str,
        pos: Position,
        authoritative: bool,
        forget_after: int = FORGET_AFTER,
    ) -> None:
        """Tell the worker what to read, from where (once)."""
        spec = {"journal": journal_path, "db": db_path, "pos": list(astuple(pos)), "authoritative": authoritative,
                "forget_after": forget_after}  # fmt: skip
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(spec).encode() + b"\n")
            stdin.close()
        except BrokenPipeError:
            pass  # it died: :meth:`receive` says so

    def receive(self) -> tuple[Any, ...]:
        """The next message (blocking: run it in a thread): ``(BATCH, rows, counts,
        position)``, then ``(DONE,)``; or ``(ERROR, reason)``, also when the worker died."""
        out = self.proc.stdout
        assert out is not None
        head = _read_exact(out, _HEADER.size)
        if head is None:
            code = self.proc.wait()
            err = self.proc.stderr.read().decode("utf-8", "replace").strip() if self.proc.stderr else ""
            last = err.splitlines()[-1] if err else ""
            return (ERROR, f"the ingest worker stopped (exit code {code}){': ' + last if last else ''}")
        (size,) = _HEADER.unpack(head)
        body = _read_exact(out, size)
        if body is None:
            return (ERROR, "the ingest worker stopped mid-message")
        msg: tuple[Any, ...] = pickle.loads(body)
        return msg

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()


def spawn() -> Worker:
    """Start a worker process: it imports its modules (a few tenths of a second) while the
    caller gets ready, then waits for :meth:`Worker.begin`."""
    proc = subprocess.Popen(
        python_argv("data.engine.pipeline:main"),  # never `-m`: it imports from the working directory
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if proc.stdout is not None and hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):  # above the system's limit: the default then
            fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    return Worker(proc)


def start(
    journal_path: str, db_path: str, pos: Position, authoritative: bool, *, forget_after: int = FORGET_AFTER
) -> Worker:
    worker = spawn()
    worker.begin(journal_path, db_path, pos, authoritative, forget_after)
    return worker


def _read_exact(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    if data is None or len(data) < size:
        return None
    return data


def _send(out: IO[bytes], msg: tuple[Any, ...]) -> int:
    body = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_HEADER.pack(len(body)))
    out.write(body)
    out.flush()
    return _HEADER.size + len(body)


def work(
    journal_path: str,
    db_path: str,
    pos: Position,
    authoritative: bool,
    out: IO[bytes],
    forget_after: int = FORGET_AFTER,
) -> None:
    import sqlite3

    from data.engine.loader import SqlLoader
    from data.engine.projector import Projector

    try:
        journal = FileJournal(journal_path)
        # the store answers for ids the worker has forgotten (committed by then)
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
        loader = SqlLoader(lambda sql, params: conn.execute(sql, params).fetchall())
        projector = Projector(
            loader, authoritative=authoritative, line=pos.line, last_hash=pos.last_hash, track_ids=True
        )
        identity = journal.identity()
        sent = 0
        marks: deque[int] = deque()  # bytes sent when each remembered span had been sent
        margin = forget_after + _pipe_bytes(out) + _READER_BYTES
        for span in journal.read(pos):
            batch = projector.project(span)
            new_pos = Position(span.end, projector.line, identity, projector.last_hash, span.last_start)
            sent += _send(out, (BATCH, batch.rows(), batch.counts, new_pos))
            marks.append(sent)
            # the store reads a frame only after it committed the one before, and the pipe
            # and the store's reader hold at most ``margin - forget_after`` bytes: a span
            # followed by two more frames and ``margin`` more bytes is committed
            while len(marks) > 2 and sent - marks[1] > margin:
                marks.popleft()
                projector.forget_oldest()
        _send(out, (DONE,))
    except BrokenPipeError:
        pass  # the store stopped listening (it was cancelled): nothing to report
    except BaseException as exc:  # report, never die silently
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            _send(out, (ERROR, detail))
        except BrokenPipeError:
            pass


def _pipe_bytes(out: IO[bytes]) -> int:
    """What the pipe ``out`` buffers (64 KiB where it cannot be asked; 0 for a file)."""
    try:
        fd = out.fileno()
    except (OSError, ValueError):
        return 0
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        return 64 << 10
    try:
        return int(fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ))
    except OSError:
        return 0  # not a pipe


def main() -> None:
    """The worker's entry point (data.engine.spawn): imports, then reads the JSON
    :meth:`Worker.begin` writes on its standard input (none: the store changed its mind)."""
    import gc

    import data.engine.loader
    import data.engine.projector  # noqa: F401  (imported before the store is ready, not after)

    gc.disable()  # a short-lived process that makes no reference cycles: no collector pauses
    line = sys.stdin.buffer.readline()
    if not line:
        return
    spec = json.loads(line)
    work(
        spec["journal"],
        spec["db"],
        Position(*spec["pos"]),
        spec["authoritative"],
        sys.stdout.buffer,
        spec["forget_after"],
    )
