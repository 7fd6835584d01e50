"""The hash chain: each line carries the SHA-256 of the line before it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .journal import START, FileJournal
from .models import MAX_LINE_BYTES, MISSING, NOT_OBJECT, parse_json


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
