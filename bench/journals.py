"""Journal benchmark: the file journal and the PostgreSQL journal side by side, in one run.

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/journals.py                 # a throwaway PostgreSQL cluster of its own
    .venv/bin/python bench/journals.py --url postgresql://user@host/db   # an existing, empty database
    .venv/bin/python bench/journals.py --appends 300 --samples 40

Two figures, each for the file journal first (the baseline) and then PostgreSQL, with the
ratio:

1. **Appends per second with 8 concurrent writers**: 8 processes each append
   ``--appends`` single-event batches (an ``incident.note``) with ``Journal.append``
   (the spec's writing protocol: the file's ``flock`` and ``fsync``; the database's
   advisory lock, one transaction and a ``NOTIFY`` per batch), all started together;
   appends in all over the wall time from the first start to the last exit. The journal's
   chain is verified afterwards (``data.engine.chain.verify``): it must be intact and hold every
   line once.
2. **Append-to-screen latency across two consoles**: a console runs in this process
   (``WarRoom`` under ``App.run_test``, its own store); another process appends an
   ``incident.opened`` and reports ``time.monotonic()`` right after ``append`` returned;
   the console's queue is polled every 1 ms until the incident's row is in it (the
   console learns of it by file-system events for a file, by ``LISTEN/NOTIFY`` for the
   database). ``--samples`` samples; median and 95th percentile.

Without ``--url`` it starts a throwaway cluster of its own with Debian's ``initdb`` and
``pg_ctl`` (tests/pg.py), run as ``nobody``, with durable commits (``synchronous_commit =
on``), removed afterwards. With ``--url`` both figures use that database (it must be
empty).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._pg import throwaway_cluster  # noqa: E402

WRITERS = 8


def _event(
    n: int, incident: str, etype: str = "incident.note", data: dict[str, Any] | None = None
) -> dict[str, Any]:
    from data.commands import new_id, now_ts

    return {"v": 1, "id": new_id(), "ts": now_ts(), "actor": f"bench-{n}", "type": etype, "incident": incident,
            "data": data or {"text": f"note {n}"}}  # fmt: skip


def _open(spec: str) -> Any:
    from data.engine.locations import open_journal

    return open_journal(spec)


# --- child processes --------------------------------------------------------------------------


def _child_appender(spec: str, n: int, count: int, start_at: float) -> None:
    async def run() -> None:
        journal = _open(spec)
        while time.time() < start_at:
            await asyncio.sleep(0.001)
        for i in range(count):
            await journal.append([_event(n * 100000 + i, "INC-BENCH")])
        close = getattr(journal, "close", None)
        if close is not None:
            close()

    asyncio.run(run())


def _child_writer(spec: str) -> None:
    """Reads incident ids on stdin; appends each as opened; prints the monotonic time."""

    async def run() -> None:
        journal = _open(spec)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            incident = line.strip()
            data = {"title": f"Bench {incident}", "category": "other", "severity": 3,
                    "source": "employee", "regions": ["US"]}  # fmt: skip
            await journal.append([_event(0, incident, "incident.opened", data)])
            print(json.dumps({"t": time.monotonic()}), flush=True)

    asyncio.run(run())


# --- the figures --------------------------------------------------------------------------------


async def _seed(spec: str) -> None:
    data = {"title": "Bench", "category": "other", "severity": 3, "source": "employee", "regions": ["US"]}
    await _open(spec).append([_event(0, "INC-BENCH", "incident.opened", data)])


def appends_per_second(spec: str, count: int) -> dict[str, Any]:
    from data.engine.chain import verify

    asyncio.run(_seed(spec))
    start_at = time.time() + 1.5  # every writer is up (imports done) before the clock starts
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child-appender", spec, str(n), str(count), str(start_at)]
        )
        for n in range(WRITERS)
    ]
    for p in procs:
        p.wait()
    wall = time.time() - start_at
    report = verify(_open(spec))
    return {"appends": WRITERS * count, "seconds": round(wall, 2), "per_second": round(WRITERS * count / wall, 1),
            "chain_intact": report.intact, "lines": report.lines}  # fmt: skip


async def cross_latency(spec: str, folder: Path, samples: int) -> dict[str, Any]:
    from app.console import WarRoom
    from data.config import Settings
    from data.engine.config import is_url

    settings = Settings(
        folder / "journal.jsonl" if not is_url(spec) else folder / "database-journal",
        folder / "console.db",
        "bench-console",
        journal_url=spec if is_url(spec) else None,
    )
    writer = subprocess.Popen([sys.executable, __file__, "--child-writer", spec], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert writer.stdin is not None and writer.stdout is not None
    times: list[float] = []
    app = WarRoom(settings)
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            while app.sync_state.synced_at is None:
                await pilot.pause(0.05)
            from widgets.queue import IncidentQueue

            queue = app.screen.query_one(IncidentQueue)
            for n in range(samples + 3):
                incident = f"INC-X{n:04d}"
                writer.stdin.write(incident + "\n")
                writer.stdin.flush()
                sent = json.loads(
                    await asyncio.get_running_loop().run_in_executor(None, writer.stdout.readline)
                )["t"]
                while incident not in {str(r.key.value) for r in queue.ordered_rows}:
                    await asyncio.sleep(0.001)
                if n >= 3:  # warm-up samples dropped
                    times.append((time.monotonic() - sent) * 1000)
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)
    times.sort()
    return {"samples": len(times), "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "max_ms": round(times[-1], 1)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description="warroom journal benchmark (see the module docstring)")
    p.add_argument("--url", help="an existing, empty PostgreSQL database (default: a throwaway cluster)")
    p.add_argument("--appends", type=int, default=200, help="appends per writer (default 200)")
    p.add_argument("--samples", type=int, default=30, help="cross-console samples (default 30)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON too")
    p.add_argument("--child-appender", nargs=4, help=argparse.SUPPRESS)
    p.add_argument("--child-writer", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_appender:
        spec, n, count, start_at = args.child_appender
        _child_appender(spec, int(n), int(count), float(start_at))
        return
    if args.child_writer:
        _child_writer(args.child_writer)
        return

    with contextlib.ExitStack() as stack:
        cluster = (
            None if args.url is not None else stack.enter_context(throwaway_cluster("bench/journals.py"))
        )
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="warroom-bench-"))
        work = Path(tmp)
        urls = []
        for name in ("appends", "cross"):
            if cluster is not None:
                cluster.psql(f"CREATE DATABASE bench_{name}")
                urls.append(cluster.url(f"bench_{name}"))
            else:
                urls.append(args.url)
        out: dict[str, Any] = {}
        out["appends"] = {
            "file": appends_per_second(str(work / "appends.jsonl"), args.appends),
            "postgresql": appends_per_second(urls[0], args.appends),
        }
        (work / "file").mkdir()
        (work / "pg").mkdir()
        out["cross"] = {
            "file": asyncio.run(
                cross_latency(str(work / "file" / "journal.jsonl"), work / "file", args.samples)
            ),
            "postgresql": asyncio.run(cross_latency(urls[1], work / "pg", args.samples)),
        }
    a, c = out["appends"], out["cross"]
    print(f"appends/s, {WRITERS} writers x {args.appends}:  file {a['file']['per_second']}  "
          f"postgresql {a['postgresql']['per_second']}  "
          f"(x{a['postgresql']['per_second'] / a['file']['per_second']:.2f} of the file; chains intact: "
          f"{a['file']['chain_intact']} and {a['postgresql']['chain_intact']})")  # fmt: skip
    print(f"append to screen, two consoles:  file median {c['file']['median_ms']} ms p95 {c['file']['p95_ms']} ms  "
          f"postgresql median {c['postgresql']['median_ms']} ms p95 {c['postgresql']['p95_ms']} ms")  # fmt: skip
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
