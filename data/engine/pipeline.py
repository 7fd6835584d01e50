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
#: bytes of frames sent after a span's, beyond which the store surely committed it (a pipe
#: buffers 64 KiB by default; a generous margin)
FORGET_AFTER = 8 << 20


class Worker:
    """A running worker process and its pipe."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

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
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def start(
    journal_path: str, db_path: str, pos: Position, authoritative: bool, *, forget_after: int = FORGET_AFTER
) -> Worker:
    args = json.dumps(
        {"journal": journal_path, "db": db_path, "pos": list(astuple(pos)), "authoritative": authoritative,
         "forget_after": forget_after}
    )  # fmt: skip
    proc = subprocess.Popen(
        python_argv("data.engine.pipeline:main", args),  # never `-m`: it imports from the working directory
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return Worker(proc)


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
        for span in journal.read(pos):
            batch = projector.project(span)
            new_pos = Position(span.end, projector.line, identity, projector.last_hash, span.last_start)
            sent += _send(out, (BATCH, batch.rows(), batch.counts, new_pos))
            marks.append(sent)
            # the store reads a frame whole only after it committed the one before, and a
            # pipe holds little: a span followed by FORGET_AFTER bytes and two more frames
            # is committed
            while len(marks) > 2 and sent - marks[1] > forget_after:
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


def main() -> None:
    """The worker's entry point (data.engine.spawn): ``sys.argv[1]`` is the JSON :func:`start` wrote."""
    import gc

    gc.disable()  # a short-lived process that makes no reference cycles: no collector pauses
    spec = json.loads(sys.argv[1])
    work(
        spec["journal"],
        spec["db"],
        Position(*spec["pos"]),
        spec["authoritative"],
        sys.stdout.buffer,
        spec["forget_after"],
    )
