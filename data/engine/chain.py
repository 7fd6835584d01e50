"""The hash chain: each line carries the SHA-256 of the line before it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from data.engine.journal import START, FileJournal
from data.engine.models import MAX_LINE_BYTES, MISSING, NOT_OBJECT, parse_json


def chain_reason(line: int, prev: Any, expected: str | None) -> str:
    """Why line ``line`` breaks the chain ("" if it does not), given its ``prev`` member
    (or MISSING) and the hash of the line before it (None for the first line)."""
    if prev is MISSING:
        return "prev is missing"
    if prev == expected:
        return ""
    if expected is None:
        return "the first line must have prev null"
    if prev is None:
        return f"prev is null, but line {line - 1} comes before it"
    return f"prev does not match the hash of line {line - 1}"


def prev_of(raw: bytes, size: int) -> Any:
    """The ``prev`` member of a line: its value, MISSING, or NOT_OBJECT."""
    if len(raw) < size:  # an oversize line kept only in part: not parsed
        return NOT_OBJECT
    try:
        obj = parse_json(raw)
    except ValueError:
        return NOT_OBJECT
    if not isinstance(obj, dict):
        return NOT_OBJECT
    return obj.get("prev", MISSING)


@dataclass
class ChainReport:
    lines: int = 0
    breaks: list[tuple[int, str]] = field(default_factory=list)
    fragment: int = 0  # bytes after the last newline (a line not finished yet)
    oversize: int = 0

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(journal: FileJournal) -> ChainReport:
    """Walk the whole chain, streaming: every complete line (a batch still being written
    too: the chain does not wait for batches)."""
    report = ChainReport()
    expected: str | None = None
    end = 0
    sha256 = hashlib.sha256
    for span in journal.read(START, batches=False):
        line = span.line
        for i, raw in enumerate(span.raws):
            if i in span.long:
                digest, size = span.long[i]
            else:
                size = len(raw)
                digest = sha256(raw).hexdigest()
            if size > MAX_LINE_BYTES:
                report.oversize += 1
            prev = prev_of(raw, size)
            if prev is not NOT_OBJECT and prev != expected:
                report.breaks.append((line, chain_reason(line, prev, expected)))
            expected = digest
            line += 1
        report.lines = line - 1
        end = span.end
    report.fragment = max(0, journal.end() - end)
    return report


# --- the background check of lines already read -------------------------------------------


class Pacer:
    """Keeps a background pass to a share of one core: after each piece of work it sleeps
    in proportion (``duty`` 0.25: three times as long as it worked), so the console's own
    thread keeps the interpreter. ``stop`` set ends the pass at the next piece."""

    def __init__(self, duty: float = 0.25, stop: threading.Event | None = None) -> None:
        self.duty = duty
        self.stop = stop or threading.Event()
        self._since = time.perf_counter()

    def __call__(self) -> bool:
        """Between two pieces of work: False when the pass must stop."""
        worked = time.perf_counter() - self._since
        if self.stop.wait(worked * (1 - self.duty) / self.duty):
            return False
        self._since = time.perf_counter()
        return True


def lower_priority() -> None:
    """Give the calling thread the lowest CPU priority (Linux, where ``nice`` is per
    thread; elsewhere nothing: the :class:`Pacer` alone keeps it light)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


#: how old a file's last change must be for its times to vouch for it (file times tick
#: coarsely: a write in the same tick as the one before leaves them as they were)
SETTLED_NS = 2_000_000_000


class EditWatch:
    """Notices that a line a store has already read was changed in place: same size, same
    file, so neither the store's checkpoint (it hashes only the last line read) nor the
    file's size and identity show it. A console runs :meth:`scan` now and then, in the
    background, over the lines its store has read:

    - the chain is checked as ``verify`` does; a break the store did not record when it
      read those lines (or one it recorded that is gone) means a line was changed since;
    - a digest of every line's hash is kept at the end of each span read; the next scan
      compares it, which catches what the chain cannot (a line edited before a line that
      is not a JSON object, or before one already broken) from the first scan on.

    A file whose size, times and identity have not moved since the last whole scan began
    is not read again (a write always moves its change time; one whose times were less
    than :data:`SETTLED_NS` old then is read again, as the clock behind them is coarse):
    an idle journal costs a ``stat``.

    Not for a database journal, whose table refuses UPDATE and DELETE.
    """

    def __init__(self) -> None:
        self._marks: list[tuple[int, str]] = []  # (line, digest of lines 1..line), last scan
        self._basis: tuple[str, float | None] = ("", None)  # (file identity, store rebuilt at)
        self._stat: tuple[int, ...] | None = None  # the file when the last whole scan began

    def scan(
        self,
        journal: FileJournal,
        lines: int,
        known_breaks: set[int],
        basis: tuple[str, float | None],
        pace: Callable[[], bool] = lambda: True,
    ) -> str | None:
        """Walk lines 1..``lines`` (those the store read; ``known_breaks`` the chain breaks
        it recorded among them, ``basis`` its file identity and last rebuild): why the
        store no longer matches the journal, or None. Blocking: run it
        in a thread; ``pace`` is called between spans and stops the walk when False."""
        if basis != self._basis:  # another file, or a projection rebuilt: a new baseline
            self._marks, self._stat = [], None
            self._basis = basis
        st = os.stat(journal.path)
        probe = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, lines)
        if probe == self._stat:
            return None  # not written to since the last whole scan
        settled = time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED_NS
        old = self._marks
        marks: list[tuple[int, str]] = []
        breaks: list[int] = []
        changed: tuple[int, int] | None = None
        running = hashlib.sha256()
        expected: str | None = None
        line = 0
        k = 0  # the next old mark to compare
        sha256 = hashlib.sha256
        for span in journal.read(START):
            for i, raw in enumerate(span.raws):
                if line == lines:
                    break
                line += 1
                if i in span.long:
                    digest, size = span.long[i]
                else:
                    size = len(raw)
                    digest = sha256(raw).hexdigest()
                prev = prev_of(raw, size)
                if prev is not NOT_OBJECT and prev != expected:
                    breaks.append(line)
                expected = digest
                running.update(digest.encode())
                if k < len(old) and old[k][0] == line:
                    if changed is None and running.hexdigest() != old[k][1]:
                        changed = (old[k - 1][0] + 1 if k else 1, line)
                    k += 1
            marks.append((line, running.hexdigest()))
            if line == lines or not pace():
                break
        if line < lines:
            return None  # shorter than what the store read (or stopped): the store's own check
        self._marks = marks
        why = _why(set(breaks), known_breaks, changed)
        self._stat = probe if why is None and settled else None
        return why


def _why(found: set[int], known: set[int], changed: tuple[int, int] | None) -> str | None:
    new = sorted(found - known)
    if new:
        n = new[0]
        which = f"line {n - 1} or {n}" if n > 1 else "line 1"
        return (
            f"line {n}'s prev no longer matches the line before it, which it did when this console "
            f"read it: {which} was changed in place"
        )
    gone = sorted(known - found)
    if gone:
        return f"line {gone[0]} was a chain break when this console read it and is not any more: it was changed in place"
    if changed is not None:
        first, last = changed
        where = f"line {first}" if first == last else f"a line between {first} and {last}"
        return f"{where} changed since the last check"
    return None
