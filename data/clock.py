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
