"""The console's clock: the time panes show and count down from.

One place to read it, so snapshot tests can freeze it (``freeze``) and every pane agrees
on what "now" is.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, UTC-aware (frozen in snapshot tests)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def wall() -> float:
    """The current time as a Unix timestamp (frozen with :func:`now`)."""
    return _frozen.timestamp() if _frozen is not None else time.time()


def freeze(at: datetime | None) -> None:
    """Freeze the clock at ``at`` (None lets it run again)."""
    global _frozen
    _frozen = at


def utc_text(t: datetime, ms: bool = False) -> str:
    """RFC 3339 in UTC with a ``Z``: ``2026-11-22T03:00:00Z``, or with milliseconds
    (``2026-11-22T03:00:00.250Z``, as warroom writes event times) when ``ms``."""
    u = t.astimezone(UTC)
    if ms:
        return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"
    return u.strftime("%Y-%m-%dT%H:%M:%SZ")
