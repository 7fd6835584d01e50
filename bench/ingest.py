"""Ingestion benchmark: how fast warroom projects its journal, against a raw baseline.

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/ingest.py                       # 200,000 events, once
    .venv/bin/python bench/ingest.py --events 200000 --repeat 3 --json
    .venv/bin/python bench/ingest.py --events 1000000

What it does, in one run:

0. writes a realistic chained journal with ``data.sample.write_journal`` (its size and the
   time it took are reported apart from the measurements);
1. peak memory: the baseline and a full warroom rebuild each run in a child process
   (``bench/ingest.py --child-baseline|--child-rebuild JOURNAL DB``) under a small
   stdlib-only wrapper process (``--rusage-of``) that reads the child's peak RSS with
   ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` (KiB on Linux). The wrapper is there
   because Linux charges a child spawned with vfork/fork+exec the parent's high-water RSS,
   so a parent that has already rebuilt a store in-process would pollute the figure.
   ``ru_maxrss`` is the peak of the largest single process; as the store may run a worker
   process beside itself for a long backlog (data/engine/pipeline.py), the wrapper also samples
   the whole process tree through /proc, and the target is judged on the sum of every
   process's own peak (VmHWM), an upper bound;
2. ``--repeat`` times, in this process: (a) the raw baseline -- read the file, stdlib
   ``json.loads`` each line, stdlib ``sqlite3`` ``executemany`` the envelope fields (line
   number, id, ts, actor, type, incident, prev) into one table without indexes, in one
   transaction, WAL and synchronous=NORMAL; (b) a full warroom rebuild of the same file
   into a fresh store (``Store.open`` + ``Store.rebuild``). Each figure is events/s over
   the whole thing (connect/open included);
3. incremental sync of ONE appended line into the full store built by the last repeat: an
   ``incident.note`` to an existing incident is appended with ``FileJournal.append`` (not
   timed), then ``Store.sync`` is timed, warm (the store object that did the rebuild) and
   cold (a freshly opened ``Store``; the open is timed apart from the sync).

With ``--repeat`` above 1 the headline figure of each throughput is the MEDIAN of the
repeats; the best is reported beside it.

Profiling aids (not part of a run): ``--child-rebuild JOURNAL DB`` runs one rebuild and
prints its figures; ``--child-project JOURNAL`` only reads and projects (FileJournal.read
and an authoritative Projector, no store), the projection's share of a rebuild. Run them
under ``python -m cProfile -s tottime``; docs/performance.md has the commands.

Uses only the project's public APIs (``data.sample``, ``data.engine.journal.FileJournal``,
``data.engine.store.Store``). The top of this file imports only the standard library, so the
memory wrapper stays small.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve()

# targets
RATIO_TARGET = 0.5  # warroom rebuild events/s over the baseline's
SYNC_TARGET_MS = 10.0  # one appended line, p50 and max
PEAK_TARGET_MB = 300.0  # rebuild peak RSS at 1,000,000 events (MB = 10**6 bytes)
PEAK_TARGET_EVENTS = 1_000_000

BASELINE_DDL = (
    "CREATE TABLE events (line INTEGER, id TEXT, ts TEXT, actor TEXT, type TEXT, incident TEXT, prev TEXT)"
)


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _import_project() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its waited-for children: the
    store's worker process, if it ran one, is counted."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# --- (a) the raw baseline -------------------------------------------------------------


def run_baseline(journal: Path, db: Path) -> dict[str, Any]:
    """Read, json.loads each line, executemany the envelope into one table, one
    transaction. Returns seconds and the number of rows."""
    _remove_db(db)
    cpu = _cpu()
    started = time.perf_counter()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(BASELINE_DDL)
    loads = json.loads

    def rows():  # streamed: the file is never held whole in memory
        with open(journal, "rb") as f:
            for n, line in enumerate(f, 1):
                e = loads(line)
                yield (n, e["id"], e["ts"], e["actor"], e["type"], e.get("incident"), e["prev"])

    conn.execute("BEGIN")
    conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?)", rows())
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    cpu = _cpu() - cpu
    count = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "events": count}


# --- (b) the warroom rebuild ------------------------------------------------------------


async def _rebuild(journal_path: Path, db: Path, keep_open: bool = False) -> tuple[dict[str, Any], Any]:
    _import_project()
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    _remove_db(db)
    journal = FileJournal(journal_path)
    cpu = _cpu()
    t0 = time.perf_counter()
    store = await Store.open(db)
    t1 = time.perf_counter()
    result = await store.rebuild(journal)
    t2 = time.perf_counter()
    cpu = _cpu() - cpu
    figures = {
        "seconds": t2 - t0,
        "cpu_seconds": cpu,
        "open_seconds": t1 - t0,
        "rebuild_seconds": t2 - t1,
        "events": result.lines,
        "applied": result.ingested,
        "unknown": result.unknown,
        "quarantined": result.quarantined,
        "chain_breaks": result.chain_breaks,
        "duplicates": result.duplicates,
    }
    if not keep_open:
        await store.close()
        store = None
    return figures, store


# --- (c) incremental sync ---------------------------------------------------------------


def _last_incident(journal: Path) -> str:
    """The incident of the last line that names one (read from the end of the file)."""
    size = journal.stat().st_size
    with open(journal, "rb") as f:
        f.seek(max(0, size - (1 << 20)))
        lines = f.read().split(b"\n")
    for raw in reversed(lines):
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("incident"):
            return obj["incident"]
    return "INC-00001"


def _note(incident: str, n: int) -> dict[str, Any]:
    t = time.time()
    ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"
    return {
        "v": 1,
        "id": f"bench.{os.getpid()}.{time.time_ns()}.{n}",
        "ts": ts,
        "actor": "amara",
        "type": "incident.note",
        "incident": incident,
        "data": {"text": f"Benchmark note {n}: one appended line."},
    }


async def measure_sync(store: Any, journal_path: Path, db: Path, samples: int) -> dict[str, Any]:
    _import_project()
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    journal = FileJournal(journal_path)
    incident = _last_incident(journal_path)
    warm: list[float] = []
    for n in range(samples):
        await journal.append([_note(incident, n)])
        t0 = time.perf_counter()
        r = await store.sync(journal)
        warm.append((time.perf_counter() - t0) * 1000)
        if r.ingested != 1 or r.rebuilt:
            raise SystemExit(f"warm sync sample {n}: expected one applied line, got {r.as_dict()}")
    await store.close()
    cold_open: list[float] = []
    cold_sync: list[float] = []
    for n in range(samples):
        await journal.append([_note(incident, samples + n)])
        t0 = time.perf_counter()
        fresh = await Store.open(db)
        t1 = time.perf_counter()
        r = await fresh.sync(journal)
        t2 = time.perf_counter()
        await fresh.close()
        cold_open.append((t1 - t0) * 1000)
        cold_sync.append((t2 - t1) * 1000)
        if r.ingested != 1 or r.rebuilt:
            raise SystemExit(f"cold sync sample {n}: expected one applied line, got {r.as_dict()}")
    return {
        "incident": incident,
        "samples": samples,
        "warm_ms": _dist(warm),
        "cold_open_ms": _dist(cold_open),
        "cold_sync_ms": _dist(cold_sync),
    }


def _dist(xs: list[float]) -> dict[str, Any]:
    return {
        "p50": statistics.median(xs),
        "max": max(xs),
        "min": min(xs),
        "all": [round(x, 3) for x in xs],
    }


# --- (d) peak memory in child processes ----------------------------------------------


def _child_cmd(kind: str, journal: Path, db: Path) -> list[str]:
    return [sys.executable, str(SCRIPT), f"--child-{kind}", str(journal), str(db)]


def measure_peak(kind: str, journal: Path, db: Path) -> dict[str, Any]:
    """Run the child under the stdlib-only wrapper; returns its figures and peak RSS."""
    _remove_db(db)
    cmd = [sys.executable, str(SCRIPT), "--rusage-of", *_child_cmd(kind, journal, db)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    lines = out.stdout.strip().splitlines()
    child = json.loads(lines[-2])
    wrapper = json.loads(lines[-1])
    _remove_db(db)
    mb = 1024 / 1e6
    return {
        "maxrss_kib": wrapper["children_maxrss_kib"],
        "maxrss_mb": wrapper["children_maxrss_kib"] * mb,
        "tree_rss_peak_mb": wrapper["tree_rss_peak_kib"] * mb,
        "tree_hwm_sum_mb": wrapper["tree_hwm_sum_kib"] * mb,
        "processes": wrapper["processes"],
        "per_process_hwm_mb": {k: v * mb for k, v in wrapper["per_process_hwm_kib"].items()},
        # the figure the target is judged on: conservative (an upper bound)
        "peak_mb": wrapper["tree_hwm_sum_kib"] * mb,
        "child_self_maxrss_kib": child["self_maxrss_kib"],
        "seconds": child["seconds"],
        "events": child["events"],
        "events_per_s": child["events"] / child["seconds"],
        "code": child["code"],
        "code_changed_during": child.get("code_changed_during"),
    }


def run_project_only(journal_path: Path) -> dict[str, Any]:
    """Read and project the journal without writing anything (FileJournal.read and an
    authoritative Projector, as a rebuild from empty uses): the projection's share of a
    rebuild, for profiling. Not part of the benchmark's figures."""
    _import_project()
    from data.engine.journal import START, FileJournal
    from data.engine.projector import Projector

    started = time.perf_counter()
    projector = Projector(None, authoritative=True)
    lines = 0
    for span in FileJournal(journal_path).read(START):
        lines += projector.project(span).counts["lines"]
    return {"seconds": time.perf_counter() - started, "events": lines}


def _child_main(kind: str, journal: Path, db: Path | None) -> None:
    code = _code_versions()  # before anything is imported: the version this child runs
    if kind == "project":
        figures = run_project_only(journal)
    elif kind == "baseline":
        figures = run_baseline(journal, db)
    else:
        import asyncio

        assert db is not None
        figures, _ = asyncio.run(_rebuild(journal, db))
    figures["self_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures["code"] = code
    if _code_versions() != code:
        figures["code_changed_during"] = _code_versions()
    print(json.dumps(figures), flush=True)


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it, from /proc (Linux)."""
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, ()))
    return found


def _vm_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a live process in KiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    vals = {}
    for line in text.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            vals[key] = int(value.split()[0])
    if "VmRSS" not in vals:
        return None  # a zombie
    return vals["VmRSS"], vals.get("VmHWM", vals["VmRSS"])


def _short_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return "?"
    for a in argv:
        if a.startswith("--child-") or a.startswith("data."):
            return a
    return " ".join(argv)[:40]


def _rusage_of(cmd: list[str]) -> None:
    """Run ``cmd`` (its stdout passes through) and print its peak memory as one JSON line.

    ``children_maxrss_kib`` is ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak RSS of the
    largest single process of the tree. Since the store may run a worker process beside
    itself (data/engine/pipeline.py), the tree is also sampled every 50 ms through /proc:
    ``tree_rss_peak_kib`` is the largest sampled sum of the processes' RSS (a lower bound
    of the true peak) and ``tree_hwm_sum_kib`` the sum of each process's own high-water
    mark (VmHWM; an upper bound, as the processes need not peak together; shared pages
    of the interpreter are counted once per process in both)."""
    proc = subprocess.Popen(cmd)
    hwm: dict[int, int] = {}
    names: dict[int, str] = {}
    peak_sum = 0
    while proc.poll() is None:
        total = 0
        for pid in _descendants(proc.pid):
            vm = _vm_kib(pid)
            if vm is None:
                continue
            total += vm[0]
            hwm[pid] = max(hwm.get(pid, 0), vm[1])
            if pid not in names:
                names[pid] = _short_name(pid)
        peak_sum = max(peak_sum, total)
        time.sleep(0.05)
    if proc.returncode != 0:
        raise SystemExit(proc.returncode)
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    figures = {
        "children_maxrss_kib": maxrss,
        "tree_rss_peak_kib": peak_sum,
        "tree_hwm_sum_kib": max(sum(hwm.values()), maxrss),
        "processes": len(hwm),
        "per_process_hwm_kib": {f"{names[pid]} [{pid}]": kib for pid, kib in hwm.items()},
    }
    print(json.dumps(figures), flush=True)


# --- the run ----------------------------------------------------------------------------


def _summary(values: list[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "best": max(values), "all": [round(v, 1) for v in values]}


async def _timed_repeats(
    args: argparse.Namespace, journal: Path, work: Path
) -> tuple[dict[str, Any], Any, Path]:
    base_rates: list[float] = []
    rebuild_rates: list[float] = []
    base_runs: list[dict[str, Any]] = []
    rebuild_runs: list[dict[str, Any]] = []
    store = None
    db = work / "store.db"
    for k in range(args.repeat):
        _log(f"repeat {k + 1}/{args.repeat}: baseline")
        b = run_baseline(journal, work / "baseline.db")
        _remove_db(work / "baseline.db")
        base_runs.append(b)
        base_rates.append(b["events"] / b["seconds"])
        _log(f"  baseline {b['events']:,} events in {b['seconds']:.2f} s ({base_rates[-1]:,.0f}/s)")
        _log(f"repeat {k + 1}/{args.repeat}: warroom rebuild")
        last = k == args.repeat - 1
        if store is not None:
            await store.close()
            store = None
        before = _code_versions()
        r, store = await _rebuild(journal, db, keep_open=last)
        if _code_versions() != before:
            # the store's worker process (if any) imports data/ afresh when it starts
            r["warning"] = f"data/ changed during this rebuild; now {_code_versions()}"
        rebuild_runs.append(r)
        rebuild_rates.append(r["events"] / r["seconds"])
        _log(f"  rebuild {r['events']:,} events in {r['seconds']:.2f} s ({rebuild_rates[-1]:,.0f}/s)")
        if r["applied"] != r["events"] or r["quarantined"] or r["chain_breaks"]:
            raise SystemExit(f"the rebuild did not apply every line cleanly: {r}")
        if b["events"] != r["events"]:
            raise SystemExit(f"baseline saw {b['events']} lines, warroom {r['events']}")
    figures = {
        "baseline": {"events_per_s": _summary(base_rates), "runs": base_runs},
        "rebuild": {"events_per_s": _summary(rebuild_rates), "runs": rebuild_runs},
        "ratio": {
            "of_medians": statistics.median(rebuild_rates) / statistics.median(base_rates),
            "per_repeat": [round(r / b, 3) for r, b in zip(rebuild_rates, base_rates, strict=True)],
        },
    }
    return figures, store, db


HOT_PATH = ("store.py", "projector.py", "pipeline.py", "models.py", "journal.py", "schema.py")


def _code_versions() -> dict[str, str]:
    """Short SHA-256 and mtime of the hot-path modules: the store and projector may be
    under change while benchmarks run, so every run says which version it measured."""
    code = {}
    for name in HOT_PATH:
        f = ROOT / "data" / name
        try:
            digest = hashlib.sha256(f.read_bytes()).hexdigest()[:12]
            code[name] = f"{digest} (mtime {time.strftime('%H:%M:%S', time.localtime(f.stat().st_mtime))})"
        except OSError:
            pass
    return code


def _machine() -> dict[str, Any]:
    import platform

    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "sqlite": sqlite3.sqlite_version,
    }
    info["code"] = _code_versions()  # which version of the hot path was measured
    try:
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


async def _main_async(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    _import_project()
    import data.engine.store  # noqa: F401  (imported now, so the versions below are the ones measured)
    from data.sample import write_journal

    out: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "events": args.events,
        "repeat": args.repeat,
        "headline": "median" if args.repeat > 1 else "single run",
        "machine": _machine(),
    }
    journal = work / "journal.jsonl"
    _log(f"writing a journal of {args.events:,} events to {journal}")
    t0 = time.perf_counter()
    size = write_journal(str(journal), args.events)
    out["journal"] = {"bytes": size, "generate_seconds": time.perf_counter() - t0, "path": str(journal)}
    _log(f"  {size / 1e6:,.1f} MB in {out['journal']['generate_seconds']:.1f} s")

    # memory first, on the file as generated (children; their RSS is not the parent's)
    _log("peak memory: warroom rebuild in a child process")
    out["peak_rebuild"] = measure_peak("rebuild", journal, work / "child-store.db")
    _log(f"  {out['peak_rebuild']['peak_mb']:.1f} MB")
    _log("peak memory: baseline in a child process")
    out["peak_baseline"] = measure_peak("baseline", journal, work / "child-baseline.db")
    _log(f"  {out['peak_baseline']['peak_mb']:.1f} MB")
    # the floor: an interpreter that only imports the project
    floor_cmd = [
        sys.executable, str(SCRIPT), "--rusage-of", sys.executable, "-I", "-c",  # -I: not the working directory
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import data.engine.store, data.sample; print('{{}}')",
    ]  # fmt: skip
    floor = subprocess.run(floor_cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()
    out["peak_import_only_kib"] = json.loads(floor[-1])["children_maxrss_kib"]

    for kind in ("peak_rebuild", "peak_baseline"):
        if out[kind]["code"] != out["machine"]["code"]:
            out.setdefault("warnings", []).append(
                f"{kind}: the child ran another version of data/: {out[kind]['code']}"
            )
        if out[kind]["code_changed_during"]:
            out.setdefault("warnings", []).append(f"{kind}: data/ changed while the child ran")
    figures, store, db = await _timed_repeats(args, journal, work)
    out.update(figures)
    for n, run in enumerate(out["rebuild"]["runs"], 1):
        if "warning" in run:
            out.setdefault("warnings", []).append(f"repeat {n}: {run['warning']}")

    _log(f"incremental sync: {args.samples} warm and {args.samples} cold samples")
    out["sync"] = await measure_sync(store, journal, db, args.samples)
    out["store_bytes"] = db.stat().st_size + (
        Path(f"{db}-wal").stat().st_size if Path(f"{db}-wal").exists() else 0
    )
    if args.postgresql:
        _log("PostgreSQL: the same journal copied into a throwaway database, rebuilt and synced from there")
        out["postgresql"] = await measure_postgresql(journal, work, args.samples)
    out["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


async def measure_postgresql(journal_path: Path, work: Path, samples: int) -> dict[str, Any]:
    """The PostgreSQL mode (``--postgresql``): a throwaway cluster (tests/pg.py, durable
    commits), the journal copied in byte-exact (``warroom journal copy``'s code), then a
    full rebuild of a fresh store from the database and one-line syncs, warm."""
    from bench._pg import throwaway_cluster
    from data.engine.copy import copy_journal
    from data.engine.locations import open_journal
    from data.engine.store import Store

    with throwaway_cluster("--postgresql") as cluster:
        cluster.psql("CREATE DATABASE bench")
        url = cluster.url("bench")
        t0 = time.perf_counter()
        await asyncio.to_thread(copy_journal, str(journal_path), url)
        copy_s = time.perf_counter() - t0
        journal = open_journal(url)
        db = work / "pg-store.db"
        _remove_db(db)
        t0 = time.perf_counter()
        store = await Store.open(db)
        r = await store.rebuild(journal)
        rebuild_s = time.perf_counter() - t0
        incident = _last_incident(journal_path)
        warm: list[float] = []
        for n in range(samples):
            await journal.append([_note(incident, 10_000 + n)])
            t1 = time.perf_counter()
            got = await store.sync(journal)
            warm.append((time.perf_counter() - t1) * 1000)
            if got.ingested != 1:
                raise SystemExit(f"PostgreSQL warm sync sample {n}: {got.as_dict()}")
        await store.close()
        close = getattr(journal, "close", None)
        if close is not None:
            close()
        return {"copy_seconds": round(copy_s, 2), "rebuild_seconds": round(rebuild_s, 2),
                "rebuild_events_per_s": round(r.ingested / rebuild_s), "warm_ms": _dist(warm)}  # fmt: skip


def _verdicts(out: dict[str, Any]) -> list[tuple[str, str, str, bool, str]]:
    """(figure, measured, target, pass, note) rows."""
    h = "of medians" if out["repeat"] > 1 else "single run"
    s = out["sync"]
    ratio = out["ratio"]["of_medians"]
    peak = out["peak_rebuild"]["peak_mb"]
    note_peak = (
        "" if out["events"] >= PEAK_TARGET_EVENTS else f"target is set for {PEAK_TARGET_EVENTS:,} events"
    )
    return [
        ("rebuild / baseline (events/s)", f"{ratio:.3f}", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET, h),
        ("warm sync, 1 line, p50", f"{s['warm_ms']['p50']:.2f} ms", f"< {SYNC_TARGET_MS:g} ms", s["warm_ms"]["p50"] < SYNC_TARGET_MS, ""),
        ("warm sync, 1 line, max", f"{s['warm_ms']['max']:.2f} ms", f"< {SYNC_TARGET_MS:g} ms", s["warm_ms"]["max"] < SYNC_TARGET_MS, ""),
        ("cold sync, 1 line, p50", f"{s['cold_sync_ms']['p50']:.2f} ms", f"< {SYNC_TARGET_MS:g} ms", s["cold_sync_ms"]["p50"] < SYNC_TARGET_MS, "open not included"),
        ("cold sync, 1 line, max", f"{s['cold_sync_ms']['max']:.2f} ms", f"< {SYNC_TARGET_MS:g} ms", s["cold_sync_ms"]["max"] < SYNC_TARGET_MS, "open not included"),
        ("rebuild peak memory (child tree)", f"{peak:.1f} MB", f"< {PEAK_TARGET_MB:g} MB", peak < PEAK_TARGET_MB, note_peak),
    ]  # fmt: skip


def _report(out: dict[str, Any]) -> str:
    m = out["machine"]
    h = "median" if out["repeat"] > 1 else "single run"
    b, r = out["baseline"]["events_per_s"], out["rebuild"]["events_per_s"]
    s = out["sync"]
    pr, pb = out["peak_rebuild"], out["peak_baseline"]
    bcpu = statistics.median(x["cpu_seconds"] for x in out["baseline"]["runs"])
    rcpu = statistics.median(x["cpu_seconds"] for x in out["rebuild"]["runs"])
    lines = [
        f"warroom ingestion benchmark -- {out['events']:,} events, repeat {out['repeat']} "
        f"(throughput headline: {h}; best beside it)",
        f"started {out['started']}, finished {out['finished']}",
        f"machine: {m['nproc']} cores, Python {m['python']}, {m['machine']}, SQLite {m['sqlite']}, "
        f"load at start {m.get('loadavg_at_start')}, at end {out.get('loadavg_at_end')}",
        "code measured: " + ", ".join(f"data/{k} {v}" for k, v in m["code"].items()),
        f"journal: {out['journal']['bytes'] / 1e6:,.1f} MB, generated in {out['journal']['generate_seconds']:.1f} s "
        "(not part of any measurement)",
        "",
        f"{'figure':<34} {'value':>16} {'best':>14}",
        f"{'-' * 34} {'-' * 16} {'-' * 14}",
        f"{'(a) baseline events/s':<34} {b['median']:>16,.0f} {b['best']:>14,.0f}",
        f"{'(b) warroom rebuild events/s':<34} {r['median']:>16,.0f} {r['best']:>14,.0f}",
        f"{'    open + rebuild seconds':<34} {statistics.median(x['seconds'] for x in out['rebuild']['runs']):>16.2f}",
        f"{'    baseline seconds':<34} {statistics.median(x['seconds'] for x in out['baseline']['runs']):>16.2f}",
        f"{'    ratio per repeat':<34} {', '.join(str(x) for x in out['ratio']['per_repeat']):>16}",
        f"{'    CPU s, baseline / rebuild':<34} {bcpu:>7.2f} / {rcpu:<7.2f}"
        f"  (process + children; events per CPU-second {out['events'] / bcpu:,.0f} / {out['events'] / rcpu:,.0f})",
        f"{'(c) warm sync ms p50 / max':<34} {s['warm_ms']['p50']:>9.2f} / {s['warm_ms']['max']:<6.2f}"
        f"   ({s['samples']} samples)",
        f"{'    cold open ms p50 / max':<34} {s['cold_open_ms']['p50']:>9.2f} / {s['cold_open_ms']['max']:<6.2f}",
        f"{'    cold sync ms p50 / max':<34} {s['cold_sync_ms']['p50']:>9.2f} / {s['cold_sync_ms']['max']:<6.2f}",
        f"{'(d) rebuild peak memory (child)':<34} {pr['peak_mb']:>13.1f} MB"
        f"   sum of per-process peaks, {pr['processes']} process(es); child rebuild took {pr['seconds']:.1f} s",
        f"{'    largest process (ru_maxrss)':<34} {pr['maxrss_mb']:>13.1f} MB",
        f"{'    sampled peak of summed RSS':<34} {pr['tree_rss_peak_mb']:>13.1f} MB   (every 50 ms)",
        *(
            f"{'    peak of ' + name.split(' [')[0]:<34} {v:>13.1f} MB"
            for name, v in pr["per_process_hwm_mb"].items()
        ),
        f"{'    baseline peak memory (child)':<34} {pb['peak_mb']:>13.1f} MB"
        f"   (ru_maxrss {pb['maxrss_mb']:.1f} MB, {pb['processes']} process(es))",
        f"{'    interpreter + imports only':<34} {out['peak_import_only_kib'] * 1024 / 1e6:>13.1f} MB",
        f"{'    store size after (db + wal)':<34} {out['store_bytes'] / 1e6:>13.1f} MB",
        "",
        f"{'target':<34} {'measured':>16} {'target':>10}  verdict",
        f"{'-' * 34} {'-' * 16} {'-' * 10}  -------",
    ]
    for name, value, target, ok, note in _verdicts(out):
        lines.append(
            f"{name:<34} {value:>16} {target:>10}  {'PASS' if ok else 'MISS'}{'  (' + note + ')' if note else ''}"
        )
    pg = out.get("postgresql")
    if pg is not None:
        lines += [
            "",
            "PostgreSQL journal (the same lines, copied into a throwaway database; durable commits)",
            f"{'    copy into the database seconds':<34} {pg['copy_seconds']:>16.2f}",
            f"{'(b) rebuild from it events/s':<34} {pg['rebuild_events_per_s']:>16,} "
            f"(x{pg['rebuild_events_per_s'] / r['median']:.2f} of the file's)",
            f"{'(c) warm sync ms p50 / max':<34} {pg['warm_ms']['p50']:>9.2f} / {pg['warm_ms']['max']:<6.2f}",
        ]
    if _code_versions() != m["code"]:
        out.setdefault("warnings", []).append(f"data/ changed during the run; now: {_code_versions()}")
    for w in out.get("warnings", []):
        lines.append(f"WARNING: {w}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    # internal modes, used by the memory measurement
    if argv and argv[0] == "--rusage-of":
        _rusage_of(argv[1:])
        return
    if argv and argv[0] in ("--child-rebuild", "--child-baseline") and len(argv) == 3:
        _child_main(argv[0].removeprefix("--child-"), Path(argv[1]), Path(argv[2]))
        return
    if argv and argv[0] == "--child-project" and len(argv) == 2:
        _child_main("project", Path(argv[1]), None)
        return

    p = argparse.ArgumentParser(description="warroom ingestion benchmark (see the module docstring)")
    p.add_argument("--events", type=int, default=200_000, help="events in the journal (default 200000)")
    p.add_argument("--dir", type=Path, help="where to put the journal and stores (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the journal and stores afterwards")
    p.add_argument(
        "--repeat", type=int, default=1, help="timed repeats of (a) and (b); the median is reported"
    )
    p.add_argument("--samples", type=int, default=20, help="samples of each incremental sync (default 20)")
    p.add_argument(
        "--json", action="store_true", help="also print the figures as one JSON object (last line)"
    )
    p.add_argument(
        "--postgresql",
        action="store_true",
        help="also rebuild and sync from a PostgreSQL copy of the journal (a throwaway cluster)",
    )
    args = p.parse_args(argv)
    if args.events < 100 or args.repeat < 1 or args.samples < 1:
        p.error("--events must be at least 100, --repeat and --samples at least 1")

    made_dir = args.dir is None
    if made_dir:
        work = Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    else:
        work = args.dir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        out = asyncio.run(_main_async(args, work))
    finally:
        if not args.keep:
            if made_dir:
                shutil.rmtree(work, ignore_errors=True)
            else:
                (work / "journal.jsonl").unlink(missing_ok=True)
                for name in ("store.db", "baseline.db", "child-store.db", "child-baseline.db"):
                    _remove_db(work / name)
    out["verdicts"] = {name: ("PASS" if ok else "MISS") for name, _, _, ok, _ in _verdicts(out)}
    print(_report(out))
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
