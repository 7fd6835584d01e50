"""Copying a journal between a file and PostgreSQL (``warroom journal copy``).

Lines are copied byte-exact and in order, whole (a line over the size limit too), into a
destination that must be empty; the chain is verified on both sides afterwards. A source
whose chain is broken is copied as it is: the copy is the same journal, breaks included,
and the report says so. A trailing fragment of a file (no newline yet) is not a line and
is not copied.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.engine.chain import ChainReport, verify
from data.engine.journal import CHUNK, FileJournal, JournalError, open_regular
from data.engine.locations import open_journal


@dataclass
class CopyReport:
    source: str
    dest: str
    lines: int  # lines copied
    fragment: int  # bytes of the source's unfinished last line, not copied
    source_chain: ChainReport
    dest_chain: ChainReport


def file_lines(path: Path) -> Iterator[bytes]:
    """Every complete line of a file journal, whole, without its newline."""
    with open(open_regular(path, os.O_RDONLY), "rb") as f:
        pending = b""
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                return
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            yield from parts


def source_lines(journal: Any) -> Iterator[bytes]:
    if isinstance(journal, FileJournal):
        return file_lines(journal.path)
    lines: Iterator[bytes] = journal.lines()  # a PgJournal (typed Any: it imports asyncpg lazily)
    return lines


def copy_journal(src_spec: str, dst_spec: str) -> CopyReport:
    src: Any = open_journal(src_spec)
    dst: Any = open_journal(dst_spec)
    try:
        if not src.exists():
            raise JournalError(f"there is no journal at {src.location}")
        if isinstance(dst, FileJournal):
            count = _copy_to_file(source_lines(src), dst.path)
        else:
            count = dst.copy_in(source_lines(src))
        src_report = verify(src)
        fragment = src_report.fragment
        dst_report = verify(dst)
        return CopyReport(src.location, dst.location, count, fragment, src_report, dst_report)
    finally:
        for j in (src, dst):
            close = getattr(j, "close", None)
            if close is not None:
                close()


def _copy_to_file(lines: Iterator[bytes], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:
        raise JournalError(f"cannot open the journal {path} for writing: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise JournalError(
                f"the journal {path} is locked by a writer; copy writes only into an empty one"
            ) from None
        if os.fstat(fd).st_size:
            raise JournalError(f"the journal {path} is not empty; copy writes only into an empty one")
        count = 0
        buf: list[bytes] = []
        size = 0
        for line in lines:
            buf.append(line + b"\n")
            size += len(line) + 1
            count += 1
            if size >= CHUNK:
                _write(fd, b"".join(buf), path)
                buf, size = [], 0
        if buf:
            _write(fd, b"".join(buf), path)
        os.fsync(fd)
        return count
    finally:
        os.close(fd)


def _write(fd: int, data: bytes, path: Path) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except OSError as exc:
            raise JournalError(f"writing the journal {path} failed: {exc.strerror}") from None
        view = view[n:]
