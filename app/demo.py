"""The demo war room: a seeded history and a simulator that writes as other consoles would.

The simulator appends through the same path as the command line (validated, under the
journal's lock), so the console sees its events exactly as it would see another
console's: through the journal.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from data.commands import append_to, new_id, now_ts
from data.journal import FileJournal
from data.sample import Generator
from data.store import Store

SEED_EVENTS = 1500


async def seed(journal: FileJournal, store: Store) -> int:
    """Fill an empty demo journal with a few hours of history; returns events written."""
    if journal.end() > 0:
        return 0
    gen = Generator(seed=11, start=datetime.now(UTC) - timedelta(hours=12), prefix="INC")
    events = list(gen.events(SEED_EVENTS, per_incident=30))
    # the clock of the history must end now; squeeze it if the generator ran past
    return len(await append_to(journal, store, _fit_to_now(events)))


def _fit_to_now(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from data.models import parse_rfc3339

    first = parse_rfc3339(events[0]["ts"])
    last = parse_rfc3339(events[-1]["ts"])
    now = datetime.now(UTC) - timedelta(seconds=30)
    span = (last - first).total_seconds() or 1.0
    want = (now - first).total_seconds()
    scale = min(1.0, want / span)

    def fit(ts: str) -> str:
        t = first + (parse_rfc3339(ts) - first) * scale
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    for ev in events:
        ev["ts"] = fit(ev["ts"])
        data = ev["data"]
        for key in ("due", "detected_at"):
            if isinstance(data.get(key), str):
                data[key] = fit(data[key])
    return events


class Simulator:
    """Writes a plausible event every few seconds, as other consoles would."""

    def __init__(self, journal: FileJournal, store: Store, *, seed: int | None = None) -> None:
        self.journal = journal
        self.store = store
        self.rng = random.Random(seed)
        # incident ids unique across runs of the demo on the same journal
        self.gen = Generator(seed=self.rng.randint(1, 10**6), prefix=f"INC{datetime.now(UTC):%d%H%M}")
        self.gen.roster = lambda: iter(())  # type: ignore[method-assign]
        self.live: list[dict[str, Any]] = []
        self.errors = 0

    def next_event(self) -> dict[str, Any]:
        rng = self.rng
        if not self.live or (len(self.live) < 6 and rng.random() < 0.08):
            ev = self.gen.open_incident()
            self.live.append(self.gen.incidents[-1])
        else:
            inc = rng.choice(self.live)
            ev = self.gen.step(inc)
            if inc["status_i"] >= 6:
                self.live.remove(inc)
        ev["id"] = new_id()
        ev["ts"] = now_ts()
        data = ev["data"]
        if "detected_at" in data:
            data["detected_at"] = now_ts()
        if "due" in data:
            minutes = rng.choice([3, 10, 20, 45, 90])
            t = datetime.now(UTC) + timedelta(minutes=minutes)
            data["due"] = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return ev

    async def run(self, *, min_delay: float = 2.0, max_delay: float = 5.0) -> None:
        while True:
            await asyncio.sleep(self.rng.uniform(min_delay, max_delay))
            try:
                await append_to(self.journal, self.store, [self.next_event()])
            except Exception:  # the console shows write failures of its own; the
                self.errors += 1  # simulator only counts its own and carries on
