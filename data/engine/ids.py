"""Incident ids: one format for every writer of warroom (the new-incident form, the demo's
history and its simulator). And event ids: ULIDs (:func:`event_id`).

``INC-YYMMDD-TTRR``: the UTC date the incident was opened, then four characters of
Crockford's base 32 (``0-9 A-Z`` without ``I L O U``): ``TT`` counts the 1024 steps of
84.375 seconds of that UTC day, ``RR`` is random. Ids therefore sort in the order the
incidents were opened (to the step), are 15 characters long, and are valid for the journal
(``incident``: 1-32 of ``A-Z 0-9 -``). Two consoles opening incidents in the same step
share an id once in 1024 times; the append refuses an id already opened (a reader would
quarantine the second opening), so a clash is never silent, and a writer that knows the
ids in use (``taken``) draws again.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Container
from datetime import UTC, datetime

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32
PATTERN = re.compile(r"^INC-\d{6}-[0-9A-HJKMNP-TV-Z]{4}$")
STEPS = 1024  # per UTC day: two base-32 characters
_SYSTEM = random.SystemRandom()


def incident_id(at: datetime, taken: Container[str] = (), rng: random.Random | None = None) -> str:
    """A new incident id for an incident opened at ``at``, not in ``taken``."""
    t = at.astimezone(UTC)
    seconds = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    step = min(int(seconds * STEPS / 86400), STEPS - 1)
    head = f"INC-{t:%y%m%d}-{ALPHABET[step // 32]}{ALPHABET[step % 32]}"
    pick = rng or _SYSTEM
    for _ in range(10_000):
        candidate = head + pick.choice(ALPHABET) + pick.choice(ALPHABET)
        if candidate not in taken:
            return candidate
    raise ValueError(f"every id of {head}?? is taken")  # 1024 incidents in 84 seconds


_LAST = [0, 0]  # the last event id's milliseconds and random part
_LAST_LOCK = threading.Lock()


def event_id() -> str:
    """A new event id: a ULID (https://github.com/ulid/spec), 48 bits of Unix time in
    milliseconds then 80 random bits, 26 characters of Crockford's base 32. The ids of a
    process increase strictly: in the same millisecond (or if the clock steps back) the
    random part is the last one's plus one, as python-ulid's ``ULID()`` did. Written here
    rather than imported: python-ulid looks its own version up in the installed packages'
    metadata when imported (``importlib.metadata``: with pydantic's look for plugins, a
    tenth of ``warroom append``'s time, docs/performance.md)."""
    with _LAST_LOCK:
        ms = time.time_ns() // 1_000_000
        last_ms, last_rnd = _LAST
        if ms > last_ms:
            rnd = int.from_bytes(os.urandom(10), "big")
        elif last_rnd < (1 << 80) - 1:
            ms, rnd = last_ms, last_rnd + 1
        else:  # (2**80 ids in one millisecond)
            ms, rnd = last_ms + 1, int.from_bytes(os.urandom(10), "big")
        _LAST[:] = [ms, rnd]
    value = ms << 80 | rnd
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(125, -5, -5))
