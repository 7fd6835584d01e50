"""Whole-process rebuild benchmark: ``warroom rebuild`` against the tools a user would pick instead.

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/rebuild.py --quick          # 200,000 events, once each
    .venv/bin/python bench/rebuild.py                  # 200,000 events, median of 3
    .venv/bin/python bench/rebuild.py --million        # and 1,000,000 events, once each

In one run, on the same journal (``data.sample.write_journal``; generating it is not timed),
each a fresh process timed from its start to its exit (the page cache is warm for all):

- the naive script: read the file line by line, stdlib ``json.loads``, stdlib ``sqlite3``
  ``executemany`` of the envelope (line, id, ts, actor, type, incident, prev) into one table
  without indexes, one transaction, WAL, ``synchronous=NORMAL`` (``bench/ingest.py``'s baseline,
  here as a process of its own: ``bench/rebuild.py --naive JOURNAL DB``);
- ``warroom --journal J --db D rebuild`` into a fresh store (``fresh``), then again over the
  store it just built (``again``: the projection is cleared, then rebuilt);
- ``sqlite-utils insert D events J --nl`` (installed by this script into a scratch virtualenv
  under a temp dir, never a project dependency; skipped with ``--no-peer``).

Each row gives the median wall time and the median CPU time (user + system, of the process
and of the children it waited for: warroom's ingest worker is counted), which moves far less
than wall time on a shared machine. The ratio is the naive script's time over warroom's (``0.8 ×`` the naive script: warroom takes
1.25 times as long). Each rebuild must report every line applied, or the run stops.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve()
RATIO_TARGET = 0.8  # warroom rebuild at least 0.8 x the naive script's speed
MILLION_TARGET_S = 20.0  # 1,000,000 events rebuilt, whole process


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def naive(journal: str, db: str) -> None:
    """The naive parse+insert script (run as its own process)."""
    _remove_db(Path(db))
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE events (line INTEGER, id TEXT, ts TEXT, actor TEXT, type TEXT, incident TEXT, prev TEXT)"
    )
    loads = json.loads

    def rows() -> Iterator[tuple[object, ...]]:
        with open(journal, "rb") as f:
            for n, line in enumerate(f, 1):
                e = loads(line)
                yield (n, e["id"], e["ts"], e["actor"], e["type"], e.get("incident"), e["prev"])

    conn.execute("BEGIN")
    conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows())
    conn.execute("COMMIT")
    conn.close()


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


#: CPU seconds (user + system) of the last process :func:`_timed` ran, its own children
#: included (warroom's ingest worker)
_last_cpu = 0.0


def _timed(argv: list[str], *, env: dict[str, str] | None = None) -> tuple[float, str]:
    global _last_cpu
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - started
    _last_cpu = _children_cpu() - cpu
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    return seconds, done.stdout


def _warroom() -> list[str]:
    exe = Path(sys.executable).parent / "warroom"
    if not exe.exists():
        sys.exit(f"no warroom command beside {sys.executable}: run `make venv` first")
    return [str(exe)]


def _rebuild(journal: Path, db: Path, events: int) -> float:
    env = {**os.environ, "WARROOM_ACTOR": "bench"}
    seconds, out = _timed(
        [*_warroom(), "--journal", str(journal), "--db", str(db), "rebuild", "--json"], env=env
    )
    result = json.loads(out)
    if result["lines"] != events or result["ingested"] != events:
        sys.exit(f"the rebuild did not apply every line: {result}")
    return seconds


def _sqlite_utils(tmp: Path) -> Path | None:
    venv = tmp / "peer-venv"
    _log("installing sqlite-utils into a scratch virtualenv (not a project dependency)")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "sqlite-utils"],
        capture_output=True,
        text=True,
    )
    exe = venv / "bin" / "sqlite-utils"
    if pip.returncode != 0 or not exe.exists():
        _log(f"could not install sqlite-utils: {pip.stderr.strip()[-300:]}")
        return None
    return exe


def _median(values: list[float]) -> float:
    return statistics.median(values)


def measure(events: int, tmp: Path, repeat: int, peer: Path | None, again: bool) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from data.sample import write_journal

    journal = tmp / f"journal-{events}.jsonl"
    _log(f"writing a journal of {events:,} events")
    t = time.perf_counter()
    size = write_journal(str(journal), events)
    _log(f"  {size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s (not timed)")
    db = tmp / "store.db"
    naive_db = tmp / "naive.db"
    times: dict[str, list[float]] = {"naive": [], "fresh": [], "again": [], "sqlite-utils": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    loads: list[float] = []
    for k in range(repeat):
        loads.append(os.getloadavg()[0])
        _log(f"repeat {k + 1}/{repeat}: naive script")
        times["naive"].append(
            _timed([sys.executable, str(SCRIPT), "--naive", str(journal), str(naive_db)])[0]
        )
        cpu["naive"].append(_last_cpu)
        _log("  warroom rebuild, fresh store")
        _remove_db(db)
        times["fresh"].append(_rebuild(journal, db, events))
        cpu["fresh"].append(_last_cpu)
        if again:
            _log("  warroom rebuild over the store it built")
            times["again"].append(_rebuild(journal, db, events))
            cpu["again"].append(_last_cpu)
        if peer is not None:
            _log("  sqlite-utils insert --nl")
            peer_db = tmp / "peer.db"
            _remove_db(peer_db)
            times["sqlite-utils"].append(
                _timed([str(peer), "insert", str(peer_db), "events", str(journal), "--nl"])[0]
            )
            cpu["sqlite-utils"].append(_last_cpu)
    _remove_db(db)
    _remove_db(naive_db)
    journal.unlink()
    loads.append(os.getloadavg()[0])
    return {
        "events": events,
        "bytes": size,
        "loads": loads,
        "times": {k: v for k, v in times.items() if v},
        "cpu": {k: v for k, v in cpu.items() if v},
    }


def _row(label: str, seconds: list[float], cpu: list[float], naive_s: float, events: int) -> str:
    m = _median(seconds)
    spread = f" ({min(seconds):.2f}–{max(seconds):.2f})" if len(seconds) > 1 else ""
    return f"| {label} | {m:.2f} s{spread} | {_median(cpu):.2f} s | {events / m:,.0f} | {naive_s / m:.2f} × |"


def report(figures: dict[str, Any]) -> None:
    events: int = figures["events"]
    times: dict[str, list[float]] = figures["times"]
    cpu: dict[str, list[float]] = figures["cpu"]
    naive_s = _median(times["naive"])
    loads = figures["loads"]
    print(
        f"\n{events:,} events ({figures['bytes'] / 1e6:.1f} MB), whole processes, median of "
        f"{len(times['naive'])}; 1-minute load {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores"
    )
    print("| what | time | CPU (user + system) | events/s | × the naive script |")
    print("|---|---|---|---|---|")
    print(_row("naive parse+insert script", times["naive"], cpu["naive"], naive_s, events))
    print(_row("`warroom rebuild`, fresh store", times["fresh"], cpu["fresh"], naive_s, events))
    if "again" in times:
        print(_row("`warroom rebuild` over its own store", times["again"], cpu["again"], naive_s, events))
    if "sqlite-utils" in times:
        print(_row("`sqlite-utils insert --nl`", times["sqlite-utils"], cpu["sqlite-utils"], naive_s, events))
        print(
            f"warroom (fresh) is {_median(times['sqlite-utils']) / _median(times['fresh']):.2f} × as fast as sqlite-utils"
        )
    ratio = naive_s / _median(times["fresh"])
    verdict = "PASS" if ratio >= RATIO_TARGET else "MISS"
    print(f"target: at least {RATIO_TARGET} × the naive script: {ratio:.2f} × ({verdict})")
    if events >= 1_000_000:
        t = _median(times["fresh"])
        print(
            f"target: {events:,} events under {MILLION_TARGET_S:.0f} s: {t:.1f} s ({'PASS' if t < MILLION_TARGET_S else 'MISS'})"
        )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--naive"] and len(argv) == 3:
        naive(argv[1], argv[2])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median reported); default 3")
    parser.add_argument("--quick", action="store_true", help="once each, and no rebuild over a built store")
    parser.add_argument("--million", action="store_true", help="also 1,000,000 events (once each)")
    parser.add_argument("--no-peer", action="store_true", help="skip sqlite-utils")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory(prefix="wr-rebuild-") as name:
        tmp = Path(name)
        peer = None if args.no_peer else _sqlite_utils(tmp)
        runs = [measure(args.events, tmp, repeat, peer, not args.quick)]
        if args.million:
            runs.append(measure(1_000_000, tmp, 1, peer, False))
        shutil.rmtree(tmp / "peer-venv", ignore_errors=True)
    for figures in runs:
        report(figures)
    if args.json:
        print(json.dumps(runs))


if __name__ == "__main__":
    main()
