"""Report benchmark: how long the handoff report, the trends and a post-mortem take to
build from a large store, against the war room's own snapshot measured in the same run.

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/reports.py                    # 300,000 events
    .venv/bin/python bench/reports.py --events 1000000 --repeat 5

It writes a realistic chained journal (``data.sample.write_journal``), syncs a store, then
times, ``--repeat`` times each, with the median printed (and the best beside it):

- ``snapshot``: ``data.incidents.views.load_snapshot``, what the war room builds after every sync
  (the baseline: the screens that rebuild on every snapshot are judged against it);
- ``handoff``: ``data.handoff.report.build_handoff`` at the end of the journal's time, without an
  acknowledged handoff (the slow case: the shift's events are found by their time, not
  by their line), what the handoff screen builds on every snapshot while it is open;
- ``trends``: ``data.trends.report.load_input`` plus ``compute`` of the last 8 weeks, what the
  trends screen does (in a worker) at most every 30 s while it is open and the journal
  moves;
- ``postmortem``: ``data.postmortem.report.build_postmortem`` of the incident with most events.

Each line gives seconds and the ratio to the snapshot.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def _timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


async def run(events: int, repeat: int, folder: Path) -> None:
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.handoff.report import build_handoff
    from data.incidents import queries as incident_queries
    from data.incidents.views import SyncState, load_snapshot, parse_time
    from data.postmortem.report import build_postmortem
    from data.sample import write_journal
    from data.trends.report import compute, last_weeks, load_input

    journal = folder / "journal.jsonl"
    t = time.perf_counter()
    size = write_journal(str(journal), events, seed=3, per_incident=100)
    print(f"journal: {events:,} events, {size / 2**20:.1f} MiB, written in {time.perf_counter() - t:.1f} s")
    store = await Store.open(folder / "store.db")
    try:
        t = time.perf_counter()
        await store.sync(FileJournal(journal))
        print(f"store synced in {time.perf_counter() - t:.1f} s")
        last = await incident_queries.incident_events(store, after_seq=max(0, events - 1))
        end = parse_time(last[-1].ts) if last else None
        assert end is not None
        counts: dict[str, int] = {}
        for e in await incident_queries.incident_events(store, since=end - timedelta(days=2)):
            counts[e.incident] = counts.get(e.incident, 0) + 1
        busiest = max(counts, key=lambda k: counts[k])

        async def trends() -> Any:  # the screen's default: the last 8 weeks
            inp = await load_input(store)
            start, _ = last_weeks(8, end)
            return compute(inp, start, end, end)

        figures = [
            ("snapshot", lambda: load_snapshot(store, SyncState(journal=""))),
            ("handoff", lambda: build_handoff(store, "amara", None, end)),
            ("trends", trends),
            ("postmortem", lambda: build_postmortem(store, busiest, "amara", end)),
        ]
        base = None
        for name, fn in figures:
            median, best = await _timed(fn, repeat)
            base = base or median
            print(
                f"{name:<11} median {median:8.3f} s  best {best:8.3f} s  ×{median / base:6.1f} of the snapshot"
            )
    finally:
        await store.close()


def main() -> None:
    p = argparse.ArgumentParser(description="warroom report benchmark (see the module docstring)")
    p.add_argument("--events", type=int, default=300_000, help="events in the journal (default 300000)")
    p.add_argument("--repeat", type=int, default=3, help="times each figure is measured (default 3)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        asyncio.run(run(args.events, args.repeat, Path(tmp)))


if __name__ == "__main__":
    main()
