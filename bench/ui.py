"""Console benchmark: how fast the warroom console starts, follows the keyboard and follows
the journal, and what it costs when it sits idle.

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/ui.py --quick                       # 100k events / 1k incidents, ~3.5 min
    .venv/bin/python bench/ui.py --keep /tmp/wr-ui --json      # 1,000,000 events / 10,000 incidents, ~8 min
    .venv/bin/python bench/ui.py --events 200000 --incidents 2000 --only select,cross

The journal: ``--events`` events (default 1,000,000) about ``--incidents`` incidents
(default 10,000), of which ``--active`` (default 500) are still active at the end, made with
``data.sample.Generator`` and ``chain_lines`` (the same realistic content as
``write_journal``; the generator's clock is set so that the journal ends about now). The
bulk is ``Generator.events`` at one incident per ``events/incidents`` lines, as
``write_journal`` does; that leaves only ~10 incidents open, so the last ~5 % of the lines
open the missing active incidents and work on them (20-180 events each) without closing
them. It is projected into a store (``Store.open`` + ``Store.sync``) before anything is
measured: every console below restarts on an existing, synced store. With ``--keep DIR``
the journal and store are kept in DIR and reused by the next run with the same sizes
(generating 1M events and building the store takes ~1.5 min here, on top of the ~7 min of
measuring).

The figures (targets in brackets):

1. **Start to first paint of a populated queue** [< 1.0 s], two ways:
   a. *headless, in-process*: a fresh interpreter (``bench/ui.py --child-start``) imports
      the console, builds ``WarRoom(settings)`` and runs it under ``App.run_test(size=(160,
      45))``. ``App._display`` is wrapped: every frame the compositor hands to the driver is
      rendered to its terminal bytes (``render_segments``, which the headless driver would
      skip) and searched for an incident id. Reported from the parent's ``Popen`` (process
      start) and from App construction. A console paints its cached first screen when the
      store has one for the bench's actor (any earlier console on it wrote one as it
      stopped): each run says whether the frame was the cache's.
   b. *real terminal*: ``warroom --journal J --db D`` in a tmux pane 160x45 (a tmux server
      of this run's own, ``tmux -L``); ``tmux capture-pane -p`` is polled every 20 ms until
      an active incident id is on screen. Reported from the ``tmux new-session`` command.
   Each is repeated (``--start-repeats``); the median is judged.
2. **Selection latency** [p95 < 16 ms]: in-process (``run_test``), the queue populated with
   the active incidents; a ``down`` key event is sent the way ``Pilot.press`` sends it
   (``driver.send_message``; ``Pilot.press`` itself then waits for the app to be idle, at
   least 2 x 20 ms, so it cannot be the stopwatch), then every 1 ms the test checks that
   the screen's ``selected`` is the next row, the ``load_detail`` worker has finished, the
   checklist pane and the Timeline widget show that incident (a restricted one the
   actor holds no role in shows a notice instead; such samples are counted apart).
   Down to the last row, then up, 10 warm-up samples dropped; 30-80 ms between presses.
   The CPU time of the process from the key to done is recorded beside each sample.
3. **Cross-process latency** [p95 < 100 ms]: a console runs in-process (``run_test``);
   another process (``bench/ui.py --child-writer``, started once) appends an
   ``incident.opened`` with ``FileJournal.append`` and reports ``time.monotonic()`` taken
   right after ``append`` returned (the line written, fsynced, unlocked). The console's
   queue DataTable is polled every 1 ms until the new incident's row is in it. Then the
   writer appends ``incident.status_set`` false_positive for it and the time to the row's
   removal is recorded too, so the journal keeps ``--active`` active incidents.
   CLOCK_MONOTONIC is system-wide on Linux, so the two processes' times compare.
   The smallest sample is printed as the floor.
3c. **The same on a real terminal, beside toolong** [warroom's median at or under
   toolong's in every run]: a small war room (3,000 events of ``data.sample``) in tmux (160x45)
   and toolong 1.5.0 (installed by this script into a scratch virtualenv in a temporary
   folder with ``python -m venv`` and pip, removed afterwards) tailing the same journal
   in a second tmux session of the same server (500 columns: a whole line); another
   process appends an ``incident.opened`` and each pane is polled with ``tmux
   capture-pane -p`` (a thread each) until the probe's id shows. ``--tail-runs`` runs
   (3) of ``--tail-samples`` appends (20; 15 with ``--quick``), both tools started afresh
   each run. Skipped, with a message, without tmux or when toolong cannot be installed.
4. **CPU of an idle console** [< 0.5 % of one core]: ``warroom`` in tmux, 5 s to settle
   after the first paint, then utime+stime of the process (``/proc/PID/stat``, all threads;
   10 ms ticks) over ``--cpu-seconds`` (30), ``--cpu-windows`` times in a row; the median
   window is judged. The tmux server's CPU over the same windows is printed beside (it
   turns the console's output into the pane's screen). Then the same for ``warroom demo``
   (its own small journal in a fresh folder, the simulator appending every 2-5 s), no
   target.
5. **Event-loop stall during a catch-up** [longest < 50 ms]: a console runs in-process
   (``run_test``) on the synced store; another process (``bench/ui.py --child-burst``)
   appends ``--catchup-mib`` MiB (5.5) in one append: incidents opened, noted and closed
   again (so the active count stays). A task on the console's loop sleeps 1 ms at a time
   and records each wake-up's lateness until the console shows the journal's last line
   (``sync_state.line``), then 0.5 s more; the longest lateness of ``--catchup-rounds``
   (3) rounds is judged, the time to catch up reported beside it.

Every run prints the git commit and a short hash of each module on the console's paths,
and warns if any changed during the run (others may be committing meanwhile). Every
measurement records the load average (``os.getloadavg``, what ``uptime`` prints) at
its start and end and how busy the whole machine was meanwhile (``/proc/stat``).
Percentiles interpolate linearly between closest ranks.

Options: ``--quick`` (100,000 events / 1,000 incidents unless given, fewer repeats, one CPU
window), ``--json`` (also print every figure as one JSON object, the last line of stdout),
``--keep DIR`` (keep and reuse the generated files in DIR), ``--only LIST`` (any of
start,tmux,select,cross,tail,catchup,cpu,demo), ``--profile DIR`` (a pyinstrument profile of the
selection and cross-process loops, if pyinstrument is importable, else cProfile; the
profiler slows the console several times, so the figures of such a run are not the
benchmark's). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shlex
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
# (issue 18, round two; the first round's were 1.5 s, 50 ms, 250 ms and 1 %)
START_TARGET_S = 1.0
SELECT_TARGET_MS = 16.0  # one frame at 60 Hz
CROSS_TARGET_MS = 100.0
IDLE_TARGET_PCT = 0.5
STALL_TARGET_MS = 50.0

SIZE = (160, 45)
ACTOR = "bench-ic"
CACHE_VERSION = 1
ID_RE = re.compile(r"\bINC\d*-\d{5}\b")
MEASURES = ("start", "tmux", "select", "cross", "tail", "catchup", "cpu", "demo")
TERMINAL = ("closed", "false_positive", "merged")


def now() -> float:
    return time.monotonic()  # CLOCK_MONOTONIC: one clock for every process of the machine


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _import_project() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * p / 100
    f = math.floor(k)
    c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)


def _dist(xs: list[float], digits: int = 2) -> dict[str, Any]:
    if not xs:
        return {"n": 0}
    return {
        "n": len(xs),
        "p50": _pct(xs, 50),
        "p95": _pct(xs, 95),
        "p99": _pct(xs, 99),
        "min": min(xs),
        "max": max(xs),
        "mean": statistics.fmean(xs),
        "all": [round(x, digits) for x in xs],
    }


# --- the machine -------------------------------------------------------------------------


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


class Load:
    """The load average at the start and end of a measurement and how busy the machine's
    cores were meanwhile (all processes, ours included)."""

    def __init__(self) -> None:
        self.start = [round(x, 2) for x in os.getloadavg()]
        self._cpu = _cpu_times()
        self.t0 = time.time()

    def done(self) -> dict[str, Any]:
        busy, total = _cpu_times()
        b0, t0 = self._cpu
        return {
            "loadavg_start": self.start,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
            "machine_busy_pct": round(100 * (busy - b0) / max(1, total - t0), 1),
            "seconds": round(time.time() - self.t0, 1),
            "at": time.strftime("%H:%M:%S", time.localtime(self.t0)),
        }


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


CODE = (
    "app/console.py", "app/cli.py", "screens/main.py", "widgets/queue.py", "widgets/timeline.py",
    "widgets/checklist.py", "widgets/status.py", "widgets/roster.py", "widgets/tables.py",
    "data/engine/store.py", "data/incidents/views.py", "data/engine/journal.py", "data/engine/projector.py", "data/engine/loader.py",
)  # fmt: skip


def _code_versions() -> dict[str, str]:
    """Short SHA-256 of the modules on the console's paths, and the git commit: the code
    may be changing while a run goes on (others work on it); every run says what it
    measured and warns if it changed meanwhile."""
    import hashlib

    code: dict[str, str] = {}
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", "app", "data", "screens", "widgets"],
                               capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
        code["git"] = head + (" (with uncommitted changes to app/ data/ screens/ widgets/)" if dirty else "")
    except OSError:
        pass
    for name in CODE:
        f = ROOT / name
        if f.exists():
            code[name] = hashlib.sha256(f.read_bytes()).hexdigest()[:12]
    return code


def _machine() -> dict[str, Any]:
    import platform

    _import_project()
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        from importlib.metadata import version

        for pkg in ("textual", "rich", "sqlalchemy", "aiosqlite", "watchfiles"):
            info[pkg] = version(pkg)
    except Exception:
        pass
    try:
        info["tmux"] = subprocess.run(["tmux", "-V"], capture_output=True, text=True).stdout.strip()
    except OSError:
        info["tmux"] = None
    try:
        with open("/proc/meminfo") as f:
            info["mem_total_gb"] = round(int(f.readline().split()[1]) / 1e6, 1)
    except OSError:
        pass
    info["uptime_at_start"] = _uptime()
    info["code"] = _code_versions()
    return info


# --- the journal and the store -------------------------------------------------------------


def _journal_events(total: int, incidents: int, active: int, seed: int) -> Any:
    """Events (dicts without ``prev``): ``write_journal``'s content, then the missing active
    incidents opened and worked on without being closed (see the module docstring)."""
    from datetime import UTC, datetime, timedelta

    from data.sample import STATUS_PATH, Generator

    last = len(STATUS_PATH) - 1
    frozen_at = STATUS_PATH.index("monitoring")
    mean_len = min(100, max(20, total // (4 * max(1, active))))
    lo = max(3, mean_len // 5)
    hi = 2 * mean_len - lo
    tail = min(total // 2, active * (mean_len + 1))
    head = total - tail
    per_incident = max(2.0, head / max(1, incidents - active))
    # ~21 s of the generator's clock per event: the journal ends about now
    gen = Generator(seed, start=datetime.now(UTC) - timedelta(seconds=21 * total))
    rng = random.Random(seed + 1)

    yield from gen.events(head, per_incident=per_incident)

    live = sum(1 for i in gen.incidents if i["status_i"] < last)
    to_open = max(0, active - live)
    left = tail
    pool: list[dict[str, Any]] = []
    busy: list[dict[str, Any]] = []
    steps: dict[str, int] = {}
    while left > 0:
        if to_open and (to_open >= left or not pool or rng.random() < to_open / left):
            ev = gen.open_incident()
            inc = gen.incidents[-1]
            pool.append(inc)
            busy.append(inc)
            steps[inc["id"]] = rng.randint(lo, hi)
            to_open -= 1
        else:
            k = rng.randrange(len(busy)) if busy else -1
            inc = busy[k] if busy else rng.choice(pool)
            ev = gen.step(inc)
            if inc["status_i"] >= frozen_at:
                # stays at "monitoring" (active): Generator.step advances the status only
                # while status_i < the last stage, so mark it as there
                inc["status_i"] = last
            steps[inc["id"]] -= 1
            if busy and steps[inc["id"]] <= 0:
                busy[k] = busy[-1]
                busy.pop()
        left -= 1
        yield ev


def write_bench_journal(path: Path, total: int, incidents: int, active: int, seed: int) -> int:
    from data.sample import chain_lines

    size = 0
    with open(path, "wb", buffering=1 << 20) as f:
        for line in chain_lines(_journal_events(total, incidents, active, seed)):
            f.write(line)
            size += len(line)
    return size


def _store_counts(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        q = ",".join("?" * len(TERMINAL))
        total, active = conn.execute(
            f"SELECT count(*), coalesce(sum(status NOT IN ({q})), 0) FROM incidents", TERMINAL
        ).fetchone()
        counters = dict(conn.execute("SELECT name, value FROM counters").fetchall())
        line = conn.execute("SELECT line FROM checkpoint").fetchone()[0]
        leftovers = [
            r[0]
            for r in conn.execute(
                f"SELECT id FROM incidents WHERE id LIKE 'XP-%' AND status NOT IN ({q})", TERMINAL
            )
        ]
        timeline = conn.execute(
            f"SELECT avg(events), max(events) FROM incidents WHERE status NOT IN ({q})", TERMINAL
        ).fetchone()
    finally:
        conn.close()
    return {
        "incidents": total,
        "active": active,
        "lines": line,
        "quarantined": counters.get("quarantined", 0),
        "chain_breaks": counters.get("chain_breaks", 0),
        "leftover_probes": leftovers,
        "active_timeline_mean": round(timeline[0] or 0, 1),
        "active_timeline_max": timeline[1] or 0,
    }


async def _sync(journal: Path, db: Path) -> dict[str, Any]:
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    store = await Store.open(db)
    try:
        r = await store.sync(FileJournal(journal))
    finally:
        await store.close()
    return r.as_dict()


async def _close_incidents(journal: Path, ids: list[str], actor: str = "xp-writer") -> None:
    from data.commands import build_events
    from data.engine.journal import FileJournal

    events = build_events(
        [(i, {"type": "incident.status_set", "incident": i, "data": {"status": "false_positive",
                                                                       "reason": "benchmark probe"}})
         for i in ids],
        actor,
    )  # fmt: skip
    await FileJournal(journal).append(events)


async def prepare(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """The journal and its synced store, generated or reused from ``work``."""
    _import_project()
    journal, db, meta_path = work / "journal.jsonl", work / "store.db", work / "ui-bench.json"
    want = {"v": CACHE_VERSION, "events": args.events, "incidents": args.incidents,
            "active": args.active, "seed": args.seed}  # fmt: skip
    meta: dict[str, Any] = {}
    if meta_path.exists() and journal.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError:
            meta = {}
    info: dict[str, Any] = {"journal": str(journal), "db": str(db)}
    if {k: meta.get(k) for k in want} == want:
        info["cached"] = True
        info["generate_seconds"] = meta.get("generate_seconds")
        _log(f"reusing the journal in {work} ({journal.stat().st_size / 1e6:,.1f} MB)")
    else:
        info["cached"] = False
        _remove_db(db)
        _log(f"writing a journal of {args.events:,} events, ~{args.incidents:,} incidents, "
             f"{args.active} active, to {journal}")  # fmt: skip
        t0 = time.perf_counter()
        size = write_bench_journal(journal, args.events, args.incidents, args.active, args.seed)
        info["generate_seconds"] = round(time.perf_counter() - t0, 1)
        _log(f"  {size / 1e6:,.1f} MB in {info['generate_seconds']} s")
        meta_path.write_text(json.dumps({**want, "generate_seconds": info["generate_seconds"]}))
    t0 = time.perf_counter()
    r = await _sync(journal, db)
    info["store_sync_seconds"] = round(time.perf_counter() - t0, 1)
    info["store_sync_lines"] = r["lines"]
    if r["lines"]:
        _log(f"  store: {r['lines']:,} lines projected in {info['store_sync_seconds']} s"
             + (f" (rebuilt: {r['rebuilt']})" if r["rebuilt"] else ""))  # fmt: skip
    counts = _store_counts(db)
    if counts["leftover_probes"]:
        # probes of an interrupted run, still open: close them so the queue is as made
        _log(f"  closing {len(counts['leftover_probes'])} probe incidents left by an interrupted run")
        await _close_incidents(journal, counts["leftover_probes"])
        await _sync(journal, db)
        counts = _store_counts(db)
    info.update(counts)
    info["journal_bytes"] = journal.stat().st_size
    info["store_bytes"] = db.stat().st_size + (
        Path(f"{db}-wal").stat().st_size if Path(f"{db}-wal").exists() else 0
    )
    if counts["quarantined"] or counts["chain_breaks"]:
        raise SystemExit(f"the bench journal did not project cleanly: {counts}")
    _log(f"  {counts['lines']:,} lines, {counts['incidents']:,} incidents, {counts['active']} active "
         f"(timeline mean {counts['active_timeline_mean']}, max {counts['active_timeline_max']} events)")  # fmt: skip
    return info


# --- 1a. start to first paint, headless, in a fresh interpreter ---------------------------------


def _child_start(journal: str, db: str, actor: str, t_spawn: float) -> None:
    """Runs in a fresh interpreter: import, construct, run headless until a frame that shows
    an incident id has been rendered. Prints milestones (CLOCK_MONOTONIC) as JSON."""
    t_main = now()
    _import_project()
    import asyncio

    from textual._compositor import CompositorUpdate

    from app.console import WarRoom
    from data.config import Settings

    t_imported = now()
    marks: dict[str, Any] = {"spawn": t_spawn, "main": t_main, "imported": t_imported}

    async def run() -> None:
        found = asyncio.Event()
        marks["construct"] = now()
        app = WarRoom(Settings(Path(journal), Path(db), actor))
        original = app._display
        frames = 0

        def display(screen: Any, renderable: Any) -> None:
            nonlocal frames
            original(screen, renderable)
            if found.is_set() or renderable is None or app._batch_count:
                return
            frames += 1
            marks.setdefault("first_frame", now())
            # what a real driver would write to the terminal (the headless one skips it)
            if isinstance(renderable, CompositorUpdate):
                text = renderable.render_segments(app.console)
            else:
                text = str(renderable)
            m = ID_RE.search(text)
            if m:
                marks["paint"] = now()
                marks["frames"] = frames
                marks["id"] = m.group(0)
                marks["cached"] = bool(getattr(app, "cached_screen", False))  # the cached first screen
                found.set()

        app._display = display  # type: ignore[method-assign]
        async with app.run_test(size=SIZE):
            marks["run_test_entered"] = now()
            await asyncio.wait_for(found.wait(), 120)
            marks["rows"] = app.screen.query_one("#queue").row_count

    asyncio.run(run())
    marks["exit"] = now()
    print(json.dumps(marks), flush=True)


def measure_start_headless(info: dict[str, Any], repeats: int) -> dict[str, Any]:
    load = Load()
    runs = []
    for k in range(repeats):
        t_spawn = now()
        out = subprocess.run(
            [sys.executable, str(SCRIPT), "--child-start", info["journal"], info["db"], ACTOR, repr(t_spawn)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"--child-start failed:\n{out.stderr[-3000:]}")
        m = json.loads(out.stdout.strip().splitlines()[-1])
        run = {
            "from_spawn_s": m["paint"] - m["spawn"],
            "from_construct_s": m["paint"] - m["construct"],
            "interpreter_start_s": m["main"] - m["spawn"],
            "imports_s": m["imported"] - m["main"],
            "construct_to_first_frame_s": m["first_frame"] - m["construct"],
            "frames_until_paint": m["frames"],
            "rows": m["rows"],
            "cached": m.get("cached", False),
        }
        runs.append(run)
        _log(f"  headless start {k + 1}/{repeats}: {run['from_spawn_s']:.3f} s from spawn "
             f"({run['from_construct_s']:.3f} s from WarRoom(); imports {run['imports_s']:.3f} s"
             f"{'; the cached first screen' if run['cached'] else ''})")  # fmt: skip
    return {
        "from_spawn_s": _dist([r["from_spawn_s"] for r in runs], 3),
        "from_construct_s": _dist([r["from_construct_s"] for r in runs], 3),
        "imports_s": _dist([r["imports_s"] for r in runs], 3),
        "interpreter_start_s": _dist([r["interpreter_start_s"] for r in runs], 3),
        "runs": runs,
        "load": load.done(),
    }


# --- tmux ------------------------------------------------------------------------------------


def _warroom_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("warroom")
    if exe.exists():
        return [str(exe)]
    from data.engine.spawn import python_argv  # never `-m app`: it imports from the working directory

    return python_argv("app.cli:run")


def _proc_ticks(pid: int) -> int | None:
    """utime + stime of a process (all its threads), in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def _proc_start_boottime(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] not in (b"Z", b"X")


class Tmux:
    """A tmux server of this run's own (``tmux -L``): never touches anyone else's sessions;
    killed at the end."""

    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.sock = f"warroom-bench-{os.getpid()}"
        self.n = 0
        # a holder session keeps the server up between consoles (its start is not timed)
        self.run("new-session", "-d", "-s", "hold", "-x", str(SIZE[0]), "-y", str(SIZE[1]), "sleep 100000")
        self.server_pid = int(self.run("display-message", "-p", "-t", "hold", "#{pid}").strip())

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True, check=False)
        if check and out.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def start(self, argv: list[str], cwd: Path | None = None) -> tuple[str, float]:
        """A new session running ``argv`` (exec'd: the pane's process is the console).
        Returns the session name and the monotonic time just before the tmux command."""
        self.n += 1
        name = f"c{self.n}"
        cmd = "exec " + " ".join(shlex.quote(a) for a in argv)
        if cwd is not None:
            cmd = f"cd {shlex.quote(str(cwd))} && {cmd}"
        t0 = now()
        self.run("new-session", "-d", "-s", name, "-x", str(SIZE[0]), "-y", str(SIZE[1]), cmd)
        return name, t0

    def pid(self, name: str) -> int:
        return int(self.run("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    def size(self, name: str) -> str:
        return self.run("display-message", "-p", "-t", name, "#{pane_width}x#{pane_height}").strip()

    def capture(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name, check=False)

    def wait_for(
        self, name: str, pattern: re.Pattern[str], timeout: float = 120, every: float = 0.02
    ) -> tuple[float, str]:
        deadline = now() + timeout
        while True:
            text = self.capture(name)
            t = now()
            m = pattern.search(text)
            if m:
                return t, m.group(0)
            if t > deadline:
                raise RuntimeError(f"nothing matching {pattern.pattern} on screen after {timeout} s:\n{text}")
            time.sleep(every)

    def stop(self, name: str, pid: int | None) -> None:
        """Quit the console with its key (q), then make sure its session is gone."""
        self.run("send-keys", "-t", name, "q", check=False)
        deadline = now() + 10
        while pid is not None and _alive(pid) and now() < deadline:
            time.sleep(0.05)
        self.run("kill-session", "-t", name, check=False)
        deadline = now() + 5
        while pid is not None and _alive(pid) and now() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.run("kill-server", check=False)


def measure_start_tmux(tmux: Tmux, info: dict[str, Any], repeats: int) -> dict[str, Any]:
    load = Load()
    argv = [*_warroom_cmd(), "--journal", info["journal"], "--db", info["db"], "--actor", ACTOR]
    runs = []
    boot_minus_mono = time.clock_gettime(time.CLOCK_BOOTTIME) - now()
    for k in range(repeats):
        name, t0 = tmux.start(argv)
        pid = tmux.pid(name)
        t_seen, ident = tmux.wait_for(name, ID_RE)
        started = _proc_start_boottime(pid)
        run = {"from_tmux_s": t_seen - t0, "id": ident, "size": tmux.size(name)}
        if started is not None:
            run["from_exec_s"] = t_seen - (started - boot_minus_mono)  # 10 ms resolution
        runs.append(run)
        tmux.stop(name, pid)
        _log(
            f"  tmux start {k + 1}/{repeats}: {run['from_tmux_s']:.3f} s ({ident} on screen, pane {run['size']})"
        )
        time.sleep(0.5)
    return {
        "from_tmux_s": _dist([r["from_tmux_s"] for r in runs], 3),
        "from_exec_s": _dist([r["from_exec_s"] for r in runs if "from_exec_s" in r], 3),
        "runs": runs,
        "load": load.done(),
    }


class Profile:
    """``--profile DIR``: a sampling profile (pyinstrument, if importable, of the main
    thread, where the event loop runs) or else cProfile of one measurement's loop, written
    to DIR/NAME.txt. Off (and free) without ``--profile``."""

    def __init__(self, folder: Path | None, name: str) -> None:
        self.path = folder / f"{name}.txt" if folder is not None else None
        self.prof: Any = None
        self.kind = ""

    def __enter__(self) -> Profile:
        if self.path is None:
            return self
        try:
            from pyinstrument import Profiler

            self.prof, self.kind = Profiler(interval=0.001, async_mode="disabled"), "pyinstrument"
        except ImportError:
            import cProfile

            self.prof, self.kind = cProfile.Profile(), "cProfile"
        self.prof.start() if self.kind == "pyinstrument" else self.prof.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.path is None or self.prof is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == "pyinstrument":
            self.prof.stop()
            text = self.prof.output_text(
                unicode=False,
                color=False,
                show_all=False,
                processor_options={"show_regex": ".*", "hide_regex": ".*/asyncio/.*"},
            )
            text += "\n\n--- own time by function ---\n\n"
            text += self.prof.output_text(unicode=False, color=False, flat=True, time="percent_of_total")
        else:
            import io
            import pstats

            self.prof.disable()
            buf = io.StringIO()
            pstats.Stats(self.prof, stream=buf).sort_stats("cumulative").print_stats(60)
            text = buf.getvalue()
        self.path.write_text(text)
        _log(f"  profile ({self.kind}) written to {self.path}")


# --- 2. selection latency ---------------------------------------------------------------------


def _send_key(app: Any, key: str) -> None:
    """What ``Pilot.press`` does to send a key, without its wait for idleness."""
    from textual import events

    event = events.Key(key, None)
    event.set_sender(app)
    app._driver.send_message(event)


async def _console(settings: Any, want_rows: int) -> tuple[Any, Any, Any]:
    """A running console (``run_test``) whose queue shows ``want_rows`` rows."""
    from app.console import WarRoom

    app = WarRoom(settings, freeze_heap=True)  # as the command line runs it (run_console)
    ctx = app.run_test(size=SIZE)
    pilot = await ctx.__aenter__()
    deadline = now() + 120
    while True:
        try:
            queue = app.screen.query_one("#queue")
            if queue.row_count >= want_rows:
                break
        except Exception:
            pass
        if now() > deadline:
            raise SystemExit(f"the console did not show {want_rows} rows within 120 s")
        await pilot.pause(0.05)
    await pilot.pause()
    return app, ctx, pilot


async def measure_selection(
    info: dict[str, Any], samples: int, warmup: int = 10, profile_dir: Path | None = None
) -> dict[str, Any]:
    import asyncio

    from textual.coordinate import Coordinate

    from data.config import Settings

    settings = Settings(Path(info["journal"]), Path(info["db"]), ACTOR)
    app, ctx, _pilot = await _console(settings, info["active"])
    rng = random.Random(1)
    profile = Profile(profile_dir, "select")
    lat: list[float] = []
    cpu: list[float] = []  # CPU time of this process (all threads) from key to done
    visible_lat: list[float] = []
    restricted_lat: list[float] = []
    entries: list[int] = []
    load = Load()
    try:
        screen = app.screen
        queue = screen.query_one("#queue")
        timeline = screen.query_one("#timeline")
        checklist = screen.query_one("#checklist")
        rows = {r.id: r for r in app.last_snapshot.incidents}
        await asyncio.sleep(1.0)
        direction = 1
        profile.__enter__()
        for n in range(samples + warmup):
            cur = queue.cursor_row
            if cur >= queue.row_count - 1:
                direction = -1
            elif cur <= 0:
                direction = 1
            target = str(queue.coordinate_to_cell_key(Coordinate(cur + direction, 0)).row_key.value)
            row = rows.get(target)
            visible = row is None or row.visible_to(ACTOR)

            def done(target: str = target, visible: bool = visible) -> bool:
                if screen.selected != target or checklist.incident != target:
                    return False
                if visible and timeline.incident != target:
                    return False
                return not any(w.group == "detail" and not w.is_finished for w in app.workers)

            t0, c0 = now(), time.process_time()
            _send_key(app, "down" if direction > 0 else "up")
            deadline = t0 + 30
            while not done():
                if now() > deadline:
                    raise SystemExit(f"selection of {target} did not complete within 30 s")
                await asyncio.sleep(0.001)
            ms = (now() - t0) * 1000
            if n >= warmup:
                cpu.append((time.process_time() - c0) * 1000)
                lat.append(ms)
                (visible_lat if visible else restricted_lat).append(ms)
                if visible:
                    entries.append(len(timeline.entries))
            await asyncio.sleep(rng.uniform(0.03, 0.08))
    finally:
        profile.__exit__()
        figures_load = load.done()
        await ctx.__aexit__(None, None, None)
    return {
        "ms": _dist(lat),
        "cpu_ms": _dist(cpu),
        "visible_ms": _dist(visible_lat),
        "restricted_ms": _dist(restricted_lat),
        "timeline_entries_mean": round(statistics.fmean(entries), 1) if entries else None,
        "timeline_entries_max": max(entries) if entries else None,
        "rows": info["active"],
        "warmup_dropped": warmup,
        "load": figures_load,
    }


# --- 3. cross-process latency -----------------------------------------------------------------


def _child_writer(journal: str) -> None:
    """Another process: on "open ID SEV" append an incident.opened, on "close ID" a
    status_set false_positive, each with FileJournal.append; prints the monotonic time
    taken right after append returned."""
    _import_project()
    import asyncio

    from data.commands import build_events
    from data.engine.locations import open_journal

    j = open_journal(journal)  # a file, or a postgresql:// URL (--postgresql)
    cats = ["edr", "self_harm", "violent_extremism", "hate_harassment", "regulator", "media", "other"]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        print(json.dumps({"ready": now()}), flush=True)
        n = 0
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "quit":
                return
            cmd, ident, *rest = line.split()
            n += 1
            if cmd == "open":
                item = {"type": "incident.opened", "incident": ident,
                        "data": {"title": f"Cross-process probe {n}", "category": cats[n % len(cats)],
                                 "severity": int(rest[0]), "source": "partner", "regions": ["US"]}}  # fmt: skip
            else:
                item = {"type": "incident.status_set", "incident": ident,
                        "data": {"status": "false_positive", "reason": "benchmark probe"}}  # fmt: skip
            events = build_events([(cmd, item)], "xp-writer")
            t_before = now()
            await j.append(events)
            t_after = now()
            print(json.dumps({"before": t_before, "after": t_after}), flush=True)

    asyncio.run(main())


async def measure_cross(
    info: dict[str, Any], samples: int, warmup: int = 3, profile_dir: Path | None = None
) -> dict[str, Any]:
    import asyncio

    from data.config import Settings

    spec = info["journal"]
    url = spec if spec.startswith("postgresql://") else None
    settings = Settings(Path(info["db"]).with_suffix(".journal") if url else Path(spec), Path(info["db"]), ACTOR,
                        journal_url=url)  # fmt: skip
    writer = await asyncio.create_subprocess_exec(
        sys.executable, str(SCRIPT), "--child-writer", info["journal"],
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert writer.stdin is not None and writer.stdout is not None
    json.loads(await writer.stdout.readline())  # ready (its imports are done)
    app, ctx, _pilot = await _console(settings, info["active"])
    rng = random.Random(2)
    profile = Profile(profile_dir, "cross")
    token = f"{int(time.time()) % 36**4:04d}"[-4:]
    appear: list[float] = []
    appear_from_before: list[float] = []
    remove: list[float] = []
    append_ms: list[float] = []
    load = Load()
    try:
        queue = app.screen.query_one("#queue")
        await asyncio.sleep(1.0)

        async def wait(predicate: Any, what: str) -> float:
            deadline = now() + 30
            while not predicate():
                if now() > deadline:
                    raise SystemExit(f"cross-process: {what} did not happen within 30 s")
                await asyncio.sleep(0.001)
            return now()

        profile.__enter__()
        for n in range(samples + warmup):
            ident = f"XP-{token}-{n:04d}"
            writer.stdin.write(f"open {ident} {1 + n % 4}\n".encode())
            await writer.stdin.drain()
            seen = await wait(lambda i=ident: i in queue.rows, f"{ident} appearing")
            w = json.loads(await writer.stdout.readline())
            writer.stdin.write(f"close {ident}\n".encode())
            await writer.stdin.drain()
            gone = await wait(lambda i=ident: i not in queue.rows, f"{ident} leaving")
            c = json.loads(await writer.stdout.readline())
            if n >= warmup:
                appear.append((seen - w["after"]) * 1000)
                appear_from_before.append((seen - w["before"]) * 1000)
                remove.append((gone - c["after"]) * 1000)
                append_ms.append((w["after"] - w["before"]) * 1000)
            await asyncio.sleep(rng.uniform(0.1, 0.4))
    finally:
        profile.__exit__()
        figures_load = load.done()
        writer.stdin.write(b"quit\n")
        await writer.stdin.drain()
        await writer.wait()
        await ctx.__aexit__(None, None, None)
    return {
        "appear_ms": _dist(appear),
        "appear_from_append_call_ms": _dist(appear_from_before),
        "remove_ms": _dist(remove),
        "append_ms": _dist(append_ms),
        "warmup_dropped": warmup,
        "load": figures_load,
    }


# --- 5. event-loop stall during a catch-up ------------------------------------------------------


def _child_burst(journal: str, mib: float, token: str) -> None:
    """Another process: append about ``mib`` MiB to the journal in one append (incidents
    opened, noted and closed again), then print the journal's line count and bytes."""
    _import_project()
    import asyncio

    from data.commands import build_events
    from data.engine.locations import open_journal

    note = "Checked the reported account and its linked accounts; escalated to the partner desk. " * 3
    items: list[tuple[str, Any]] = []
    size, n = 0, 0
    while size < mib * (1 << 20):
        ident = f"CU-{token}-{n:05d}"
        n += 1
        batch: list[dict[str, Any]] = [
            {"type": "incident.opened", "incident": ident,
             "data": {"title": f"Catch-up probe {n}", "category": "other", "severity": 3,
                      "source": "partner", "regions": ["US"]}},
            *({"type": "incident.note", "incident": ident, "data": {"text": f"{k}: {note}"}} for k in range(12)),
            {"type": "incident.status_set", "incident": ident,
             "data": {"status": "false_positive", "reason": "benchmark probe"}},
        ]  # fmt: skip
        for item in batch:
            items.append(("burst", item))
            size += len(json.dumps(item)) + 185  # the envelope and the chain
    events = [e for where, item in items for e in build_events([(where, item)], "xp-writer")]
    j = open_journal(journal)
    before = Path(journal).stat().st_size
    t0 = now()
    asyncio.run(j.append(events))
    t1 = now()
    with open(journal, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    print(json.dumps({"before": t0, "after": t1, "lines": lines, "bytes": Path(journal).stat().st_size - before,
                      "events": len(events)}), flush=True)  # fmt: skip


async def measure_catchup(info: dict[str, Any], mib: float, rounds: int) -> dict[str, Any]:
    import asyncio

    from data.config import Settings

    if info["journal"].startswith("postgresql://"):
        raise SystemExit("catchup: a file journal only")
    settings = Settings(Path(info["journal"]), Path(info["db"]), ACTOR)
    app, ctx, _pilot = await _console(settings, info["active"])
    load = Load()
    runs: list[dict[str, Any]] = []
    try:
        await asyncio.sleep(1.0)
        for r in range(rounds):
            late: list[float] = []
            stop = asyncio.Event()

            async def ticker(late: list[float] = late, stop: asyncio.Event = stop) -> None:
                while not stop.is_set():
                    t = now()
                    await asyncio.sleep(0.001)
                    late.append((now() - t - 0.001) * 1000)

            tick = asyncio.create_task(ticker())
            token = f"{int(time.time()) % 36**4:04d}{r}"
            child = await asyncio.create_subprocess_exec(
                sys.executable, str(SCRIPT), "--child-burst", info["journal"], str(mib), token,
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert child.stdout is not None
            w = json.loads(await child.stdout.readline())
            await child.wait()
            deadline = now() + 120
            while app.sync_state.line < w["lines"] or app.sync_state.synced_at is None:
                if now() > deadline:
                    raise SystemExit("catchup: the console did not catch up within 120 s")
                await asyncio.sleep(0.005)
            caught = now()
            await asyncio.sleep(0.5)
            stop.set()
            await tick
            runs.append({"max_stall_ms": round(max(late), 2), "p99_ms": round(_pct(late, 99), 2),
                         "catchup_s": round(caught - w["after"], 3), "bytes": w["bytes"],
                         "events": w["events"]})  # fmt: skip
            _log(f"  round {r + 1}: longest stall {max(late):.1f} ms, caught up in {caught - w['after']:.2f} s "
                 f"({w['bytes'] / (1 << 20):.1f} MiB, {w['events']} events)")  # fmt: skip
            await asyncio.sleep(1.0)
    finally:
        await ctx.__aexit__(None, None, None)
    return {
        "runs": runs,
        "max_stall_ms": max(x["max_stall_ms"] for x in runs),
        "catchup_s": _dist([x["catchup_s"] for x in runs], 3),
        "load": load.done(),
    }


async def measure_cross_postgresql(info: dict[str, Any], work: Path, samples: int) -> dict[str, Any]:
    """Figure 3 again with the journal in PostgreSQL (``--postgresql``): a throwaway
    cluster (tests/pg.py, durable commits), the bench journal copied in byte-exact, a store
    of its own synced from it; the writer child appends to the database and the console
    learns of it by LISTEN/NOTIFY."""
    from bench._pg import throwaway_cluster
    from data.engine.copy import copy_journal
    from data.engine.locations import open_journal
    from data.engine.store import Store

    with throwaway_cluster("--postgresql") as cluster:
        cluster.psql("CREATE DATABASE bench")
        url = cluster.url("bench")
        copy_journal(info["journal"], url)
        db = work / "pg-console.db"
        _remove_db(db)
        store = await Store.open(db)
        await store.sync(open_journal(url))
        await store.close()
        return await measure_cross({**info, "journal": url, "db": str(db)}, samples)


# --- 3c. another process's append -> on a real terminal, beside toolong ------------------------

TOOLONG = "toolong==1.5.0"
TAIL_SIZE = (160, 45)
TAIL_WIDE = 500  # toolong's pane: wide enough for a whole journal line (it does not wrap)


def install_toolong(where: Path) -> tuple[Path | None, str]:
    """toolong (its ``tl``) in a scratch virtualenv under ``where`` (``python -m venv`` +
    pip; never a project dependency). Returns (the ``tl`` path or None, what happened)."""
    venv = where / "toolong-venv"
    base = getattr(sys, "_base_executable", sys.executable)
    try:
        subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", TOOLONG],
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not make a virtualenv for {TOOLONG}: {exc}"
    tl = venv / "bin" / "tl"
    if out.returncode != 0 or not tl.exists():
        return None, f"pip could not install {TOOLONG}: {(out.stderr or out.stdout).strip()[-300:]}"
    return tl, f"{TOOLONG} installed in {venv}"


def _tail_journal(work: Path, seed: int) -> dict[str, Any]:
    """A small war room (``data.sample.write_journal``'s 3,000 events: ~30 incidents, a
    few active, every row on screen) and its synced store, in ``work``/tail."""
    import asyncio

    folder = work / "tail"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    journal, db = folder / "journal.jsonl", folder / "store.db"
    from data.sample import write_journal

    write_journal(str(journal), 3000, seed=seed)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # (called from the benchmark's own event loop)
        pool.submit(asyncio.run, _sync(journal, db)).result()
    return {"journal": str(journal), "db": str(db)}


def measure_tail(tmux: Tmux, work: Path, tl: Path, runs: int, samples: int, seed: int) -> dict[str, Any]:
    """Figure 3c: another process appends an ``incident.opened`` (``--child-writer``); the
    time from its ``append`` returning until the incident's id is on screen, polled with
    ``tmux capture-pane -p`` (one thread per pane, each as fast as tmux answers), for the
    warroom console (160x45) and toolong tailing the same file (500x45, side by side in the
    same tmux server). ``runs`` runs of ``samples`` appends, both tools started afresh each
    run; the probe is closed again after each sample."""
    import threading

    info = _tail_journal(work, seed)
    argv_wr = [*_warroom_cmd(), "--journal", info["journal"], "--db", info["db"], "--actor", ACTOR]
    out_runs: list[dict[str, Any]] = []
    load = Load()
    for run in range(runs):
        writer = subprocess.Popen([sys.executable, str(SCRIPT), "--child-writer", info["journal"]],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert writer.stdin is not None and writer.stdout is not None
        json.loads(writer.stdout.readline())
        last_id = json.loads(Path(info["journal"]).read_bytes().splitlines()[-1])["id"]  # toolong's last line
        wr, _ = tmux.start(argv_wr)
        wr_pid = tmux.pid(wr)
        tmux.n += 1
        tl_name = f"c{tmux.n}"
        tmux.run("new-session", "-d", "-s", tl_name, "-x", str(TAIL_WIDE), "-y", str(TAIL_SIZE[1]),
                 "exec " + shlex.quote(str(tl)) + " " + shlex.quote(info["journal"]))  # fmt: skip
        tl_pid = tmux.pid(tl_name)
        seen: dict[str, list[float]] = {"warroom": [], "toolong": []}
        try:
            tmux.wait_for(wr, ID_RE)
            tmux.wait_for(tl_name, re.compile(re.escape(last_id)))
            time.sleep(1.0)
            token = f"{int(time.time()) % 36**4:04d}{run}"
            for n in range(samples + 2):
                ident = f"TP-{token}-{n:04d}"
                pattern = re.compile(re.escape(ident))
                found: dict[str, float] = {}

                def poll(name: str, tool: str, pattern: re.Pattern[str] = pattern,
                         found: dict[str, float] = found) -> None:  # fmt: skip
                    deadline = now() + 30
                    while now() < deadline:
                        text = tmux.capture(name)
                        t = now()
                        if pattern.search(text):
                            found[tool] = t
                            return
                        time.sleep(0.002)  # (each capture is a tmux client process: leave the CPUs some room)

                threads = [threading.Thread(target=poll, args=(wr, "warroom")),
                           threading.Thread(target=poll, args=(tl_name, "toolong"))]  # fmt: skip
                for th in threads:
                    th.start()
                writer.stdin.write(f"open {ident} 1\n")
                writer.stdin.flush()
                w = json.loads(writer.stdout.readline())
                for th in threads:
                    th.join()
                missing = {"warroom", "toolong"} - set(found)
                if missing:
                    raise SystemExit(f"tail: {ident} never showed in {', '.join(sorted(missing))}")
                if n >= 2:  # two warm-up samples
                    for tool, t in found.items():
                        seen[tool].append((t - w["after"]) * 1000)
                writer.stdin.write(f"close {ident}\n")
                writer.stdin.flush()
                writer.stdout.readline()
                deadline = now() + 30
                while pattern.search(tmux.capture(wr)) and now() < deadline:
                    time.sleep(0.01)
                time.sleep(random.uniform(0.2, 0.5))
        finally:
            writer.stdin.write("quit\n")
            writer.stdin.flush()
            writer.wait(30)
            tmux.stop(wr, wr_pid)
            tmux.run("send-keys", "-t", tl_name, "q", check=False)
            tmux.stop(tl_name, tl_pid)
        r = {tool: _dist(xs, 1) for tool, xs in seen.items()}
        out_runs.append(r)
        _log(f"  run {run + 1}/{runs}: warroom p50 {r['warroom']['p50']:.1f} / p95 {r['warroom']['p95']:.1f} ms, "
             f"toolong p50 {r['toolong']['p50']:.1f} / p95 {r['toolong']['p95']:.1f} ms")  # fmt: skip
    return {"runs": out_runs, "samples": samples, "toolong": TOOLONG, "load": load.done()}


# --- 4. CPU of a console in tmux -----------------------------------------------------------------


def measure_cpu(tmux: Tmux, argv: list[str], seconds: float, windows: int, settle: float,
                cwd: Path | None = None) -> dict[str, Any]:  # fmt: skip
    tck = os.sysconf("SC_CLK_TCK")
    name, t0 = tmux.start(argv, cwd=cwd)
    pid = tmux.pid(name)
    results = []
    try:
        t_seen, ident = tmux.wait_for(name, ID_RE)
        time.sleep(settle)
        for _ in range(windows):
            load = Load()
            c0, s0, w0 = _proc_ticks(pid), _proc_ticks(tmux.server_pid), now()
            time.sleep(seconds)
            c1, s1, w1 = _proc_ticks(pid), _proc_ticks(tmux.server_pid), now()
            if c0 is None or c1 is None:
                raise SystemExit(
                    f"the console (pid {pid}) exited during the CPU measurement:\n{tmux.capture(name)}"
                )
            wall = w1 - w0
            results.append({
                "console_pct": 100 * (c1 - c0) / tck / wall,
                "console_cpu_s": (c1 - c0) / tck,
                "tmux_server_pct": 100 * ((s1 or 0) - (s0 or 0)) / tck / wall,
                "wall_s": wall,
                "load": load.done(),
            })  # fmt: skip
            _log(f"  {results[-1]['console_pct']:.2f} % of one core over {wall:.1f} s "
                 f"(tmux server {results[-1]['tmux_server_pct']:.2f} %, load {results[-1]['load']['loadavg_end']})")  # fmt: skip
        screen = tmux.capture(name)
    finally:
        tmux.stop(name, pid)
    return {
        "console_pct": _dist([r["console_pct"] for r in results], 3),
        "tmux_server_pct": _dist([r["tmux_server_pct"] for r in results], 3),
        "windows": results,
        "first_paint_s": t_seen - t0,
        "id_seen": ident,
        "screen_at_end": screen,
    }


# --- the run ---------------------------------------------------------------------------------


async def _main_async(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": _machine(),
    }
    _log(out["machine"]["uptime_at_start"])
    load = Load()
    out["data"] = await prepare(args, work)
    out["data"]["load"] = load.done()
    info = out["data"]
    only = set(args.only)
    tmux: Tmux | None = None
    try:
        if "start" in only:
            _log(f"1a. start to first paint, headless in-process, {args.start_repeats} runs   [{_uptime()}]")
            out["start_headless"] = measure_start_headless(info, args.start_repeats)
        if only & {"tmux", "cpu", "demo", "tail"}:
            try:
                tmux = Tmux()
            except RuntimeError as exc:
                _log(f"no tmux: {exc}; the real-terminal figures are skipped")
        if "tmux" in only and tmux is not None:
            _log(f"1b. start to first paint in tmux, {args.start_repeats} runs   [{_uptime()}]")
            out["start_tmux"] = measure_start_tmux(tmux, info, args.start_repeats)
        if "select" in only:
            _log(f"2. selection latency, {args.select_samples} samples   [{_uptime()}]")
            out["select"] = await measure_selection(info, args.select_samples, profile_dir=args.profile)
            s = out["select"]["ms"]
            _log(f"  p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
        if "cross" in only:
            _log(f"3. cross-process latency, {args.cross_samples} samples   [{_uptime()}]")
            out["cross"] = await measure_cross(info, args.cross_samples, profile_dir=args.profile)
            s = out["cross"]["appear_ms"]
            _log(f"  p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
            if args.postgresql:
                _log(f"3b. cross-process latency on a PostgreSQL copy of the journal   [{_uptime()}]")
                out["cross_postgresql"] = await measure_cross_postgresql(info, work, args.cross_samples)
                s = out["cross_postgresql"]["appear_ms"]
                _log(f"  p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, max {s['max']:.1f} ms")
        if "tail" in only:
            _log(
                f"3c. append -> screen in tmux, warroom beside {TOOLONG}, {args.tail_runs} x {args.tail_samples}   [{_uptime()}]"
            )
            if tmux is None:
                out["tail_skipped"] = "tmux is not installed"
            else:
                scratch = Path(tempfile.mkdtemp(prefix="warroom-toolong-"))
                try:
                    tl, said = install_toolong(scratch)
                    _log(f"  {said}")
                    if tl is None:
                        out["tail_skipped"] = said
                    else:
                        out["tail"] = measure_tail(
                            tmux, work, tl, args.tail_runs, args.tail_samples, args.seed
                        )
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
            if "tail_skipped" in out:
                _log(f"  SKIPPED: {out['tail_skipped']}")
        if "catchup" in only:
            _log(
                f"5. event-loop stall during a {args.catchup_mib:g} MiB catch-up, {args.catchup_rounds} rounds   [{_uptime()}]"
            )
            out["catchup"] = await measure_catchup(info, args.catchup_mib, args.catchup_rounds)
        if "cpu" in only and tmux is not None:
            _log(f"4. idle console CPU, {args.cpu_windows} x {args.cpu_seconds:g} s   [{_uptime()}]")
            argv = [*_warroom_cmd(), "--journal", info["journal"], "--db", info["db"], "--actor", ACTOR]
            out["cpu_idle"] = measure_cpu(tmux, argv, args.cpu_seconds, args.cpu_windows, args.settle)
        if "demo" in only and tmux is not None:
            _log(f"4b. demo console CPU, {args.cpu_windows} x {args.cpu_seconds:g} s   [{_uptime()}]")
            demo_dir = work / "demo"
            shutil.rmtree(demo_dir, ignore_errors=True)
            argv = [*_warroom_cmd(), "demo", "--dir", str(demo_dir), "--reset"]
            out["cpu_demo"] = measure_cpu(
                tmux, argv, args.cpu_seconds, args.cpu_windows, args.settle, cwd=ROOT
            )
            shutil.rmtree(demo_dir, ignore_errors=True)
    finally:
        if tmux is not None:
            tmux.close()
    if only & {"cross"}:
        out["data_after"] = _store_counts(Path(info["db"])) if Path(info["db"]).exists() else None
    out["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out["uptime_at_end"] = _uptime()
    now_code = _code_versions()
    if now_code != out["machine"]["code"]:
        changed = sorted(k for k in now_code if now_code.get(k) != out["machine"]["code"].get(k))
        out.setdefault("warnings", []).append(f"the code changed during the run: {', '.join(changed)}")
    return out


def _join(xs: Any, digits: int = 2) -> str:
    return ", ".join(f"{x:.{digits}f}" for x in xs)


def _verdicts(out: dict[str, Any]) -> list[tuple[str, str, str, bool | None, str]]:
    """(figure, measured, target, pass (None: no target), note) rows."""
    rows: list[tuple[str, str, str, bool | None, str]] = []

    def ld(load: dict[str, Any]) -> str:
        return f"load {load['loadavg_start'][0]:.2f}->{load['loadavg_end'][0]:.2f}, machine {load['machine_busy_pct']:.0f}% busy"

    if "start_headless" in out:
        s = out["start_headless"]
        rows.append(("1a start->paint, headless (from spawn)", f"{s['from_spawn_s']['p50']:.3f} s",
                     f"< {START_TARGET_S:g} s", s["from_spawn_s"]["p50"] < START_TARGET_S,
                     f"median of {s['from_spawn_s']['n']}, max {s['from_spawn_s']['max']:.3f} s; {ld(s['load'])}"))  # fmt: skip
        rows.append(("   same, from WarRoom() construction", f"{s['from_construct_s']['p50']:.3f} s",
                     f"< {START_TARGET_S:g} s", s["from_construct_s"]["p50"] < START_TARGET_S,
                     f"imports {s['imports_s']['p50']:.3f} s before it"))  # fmt: skip
    if "start_tmux" in out:
        s = out["start_tmux"]
        rows.append(("1b start->paint, real terminal (tmux)", f"{s['from_tmux_s']['p50']:.3f} s",
                     f"< {START_TARGET_S:g} s", s["from_tmux_s"]["p50"] < START_TARGET_S,
                     f"median of {s['from_tmux_s']['n']}, max {s['from_tmux_s']['max']:.3f} s; {ld(s['load'])}"))  # fmt: skip
    if "select" in out:
        s = out["select"]
        rows.append(("2  selection latency p50", f"{s['ms']['p50']:.1f} ms", "", None,
                     f"{s['ms']['n']} samples, {s['rows']} rows; {ld(s['load'])}"))  # fmt: skip
        rows.append(("2  selection latency p95", f"{s['ms']['p95']:.1f} ms", f"< {SELECT_TARGET_MS:g} ms",
                     s["ms"]["p95"] < SELECT_TARGET_MS,
                     f"visible only: p50 {s['visible_ms']['p50']:.1f} / p95 {s['visible_ms']['p95']:.1f} ms "
                     f"({s['visible_ms']['n']}); max {s['ms']['max']:.1f} ms"))  # fmt: skip
    if "cross" in out:
        s = out["cross"]
        rows.append(("3  cross-process latency p50", f"{s['appear_ms']['p50']:.1f} ms", "", None,
                     f"{s['appear_ms']['n']} samples; {ld(s['load'])}"))  # fmt: skip
        rows.append(("3  cross-process latency p95", f"{s['appear_ms']['p95']:.1f} ms", f"< {CROSS_TARGET_MS:g} ms",
                     s["appear_ms"]["p95"] < CROSS_TARGET_MS,
                     f"max {s['appear_ms']['max']:.1f} ms; row removal p50/p95 "
                     f"{s['remove_ms']['p50']:.1f}/{s['remove_ms']['p95']:.1f} ms"))  # fmt: skip
    if "cross" in out:
        s = out["cross"]
        rows.append(("3  cross-process floor (min)", f"{s['appear_ms']['min']:.1f} ms", "", None,
                     f"distribution p5/p25/p50/p75 {_pct(s['appear_ms']['all'], 5):.1f}/{_pct(s['appear_ms']['all'], 25):.1f}/"
                     f"{_pct(s['appear_ms']['all'], 50):.1f}/{_pct(s['appear_ms']['all'], 75):.1f} ms"))  # fmt: skip
    if "tail" in out:
        t = out["tail"]
        for k, r in enumerate(t["runs"]):
            w, o = r["warroom"], r["toolong"]
            rows.append((f"3c tmux append->screen, run {k + 1}: median", f"{w['p50']:.1f} ms", f"<= {o['p50']:.1f}",
                         w["p50"] <= o["p50"],
                         f"toolong {o['p50']:.1f} ms; p95 warroom {w['p95']:.1f} / toolong {o['p95']:.1f} ms; "
                         f"min {w['min']:.1f} / {o['min']:.1f} ms; {w['n']} samples"))  # fmt: skip
    elif "tail_skipped" in out:
        rows.append(("3c tmux append->screen vs toolong", "skipped", "", None, out["tail_skipped"]))
    if "catchup" in out:
        s = out["catchup"]
        rows.append(("5  loop stall during a catch-up", f"{s['max_stall_ms']:.1f} ms", f"< {STALL_TARGET_MS:g} ms",
                     s["max_stall_ms"] < STALL_TARGET_MS,
                     f"longest of {len(s['runs'])} rounds of {s['runs'][0]['bytes'] / (1 << 20):.1f} MiB: "
                     f"{_join((x['max_stall_ms'] for x in s['runs']), 1)} ms; caught up in "
                     f"{_join((x['catchup_s'] for x in s['runs']), 2)} s; {ld(s['load'])}"))  # fmt: skip
    if "cpu_idle" in out:
        s = out["cpu_idle"]
        w = s["windows"]
        rows.append(("4  idle console CPU (tmux)", f"{s['console_pct']['p50']:.2f} %", f"< {IDLE_TARGET_PCT:g} %",
                     s["console_pct"]["p50"] < IDLE_TARGET_PCT,
                     f"median of {len(w)} x {w[0]['wall_s']:.0f} s: {_join(x['console_pct'] for x in w)}; "
                     f"tmux server {s['tmux_server_pct']['p50']:.2f} %; load {w[0]['load']['loadavg_start'][0]:.2f}"))  # fmt: skip
    if "cpu_demo" in out:
        s = out["cpu_demo"]
        w = s["windows"]
        rows.append(("4b demo console CPU (tmux)", f"{s['console_pct']['p50']:.2f} %", "(none)", None,
                     f"median of {len(w)} x {w[0]['wall_s']:.0f} s: {_join(x['console_pct'] for x in w)}; "
                     f"tmux server {s['tmux_server_pct']['p50']:.2f} %; load {w[0]['load']['loadavg_start'][0]:.2f}"))  # fmt: skip
    return rows


def _report(out: dict[str, Any]) -> str:
    m, d = out["machine"], out["data"]
    lines = [
        f"warroom console benchmark -- {d['lines']:,} lines, {d['incidents']:,} incidents, {d['active']} active "
        f"(journal {d['journal_bytes'] / 1e6:,.1f} MB{', cached' if d['cached'] else ''}; store {d['store_bytes'] / 1e6:,.1f} MB)",
        f"started {out['started']}, finished {out['finished']}",
        f"machine: {m['nproc']} cores, {m.get('mem_total_gb')} GB, Python {m['python']}, {m['machine']}, "
        f"kernel {m['kernel']}, SQLite {m['sqlite']}, textual {m.get('textual')}, {m.get('tmux')}",
        f"code: git {m['code'].get('git')}; "
        + ", ".join(f"{k.split('/')[-1]} {v[:8]}" for k, v in m["code"].items() if k != "git"),
        f"uptime at start: {m['uptime_at_start']}",
        f"uptime at end:   {out['uptime_at_end']}",
        f"active incidents' timelines: mean {d['active_timeline_mean']} events, max {d['active_timeline_max']}",
        "",
        f"{'figure':<40} {'measured':>10} {'target':>9}  verdict  notes",
        f"{'-' * 40} {'-' * 10} {'-' * 9}  -------  -----",
    ]
    for name, value, target, ok, note in _verdicts(out):
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        lines.append(f"{name:<40} {value:>10} {target:>9}  {verdict:<7}  {note}")
    if "select" in out:
        s = out["select"]
        lines.append("")
        lines.append(f"selection detail: all p50/p95/p99/max {s['ms']['p50']:.1f}/{s['ms']['p95']:.1f}/"
                     f"{s['ms']['p99']:.1f}/{s['ms']['max']:.1f} ms; restricted (notice only) "
                     f"n={s['restricted_ms']['n']}"
                     + (f" p50 {s['restricted_ms']['p50']:.1f} ms" if s['restricted_ms']['n'] else "")
                     + f"; timeline entries mean {s['timeline_entries_mean']}, max {s['timeline_entries_max']}"
                + f"; CPU of this process from key to done p50/p95 {s['cpu_ms']['p50']:.1f}/{s['cpu_ms']['p95']:.1f} ms")  # fmt: skip
    if "cross_postgresql" in out:
        s, f = out["cross_postgresql"], out["cross"]
        lines.append(f"cross-process on PostgreSQL: appear p50/p95 {s['appear_ms']['p50']:.1f}/{s['appear_ms']['p95']:.1f} ms "
                     f"(file {f['appear_ms']['p50']:.1f}/{f['appear_ms']['p95']:.1f} ms); append itself p50 "
                     f"{s['append_ms']['p50']:.1f} ms (file {f['append_ms']['p50']:.1f} ms)")  # fmt: skip
    if "cross" in out:
        s = out["cross"]
        lines.append(f"cross-process detail: from the append call p50/p95 {s['appear_from_append_call_ms']['p50']:.1f}/"
                     f"{s['appear_from_append_call_ms']['p95']:.1f} ms; append itself p50 {s['append_ms']['p50']:.1f} ms; "
                     f"min {s['appear_ms']['min']:.1f} ms")  # fmt: skip
    if "start_headless" in out:
        s = out["start_headless"]
        lines.append(f"headless start detail: interpreter {s['interpreter_start_s']['p50']:.3f} s, imports "
                     f"{s['imports_s']['p50']:.3f} s, WarRoom()->paint {s['from_construct_s']['p50']:.3f} s (medians); "
                     f"runs {_join((r['from_spawn_s'] for r in s['runs']), 3)}")  # fmt: skip
    if "start_tmux" in out:
        s = out["start_tmux"]
        lines.append(f"tmux start detail: runs {_join((r['from_tmux_s'] for r in s['runs']), 3)} s; "
                     f"from the process's exec (10 ms ticks) median {s['from_exec_s'].get('p50', float('nan')):.3f} s")  # fmt: skip
    for w in out.get("warnings", []):
        lines.append(f"WARNING: {w}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child-start" and len(argv) == 5:
        _child_start(argv[1], argv[2], argv[3], float(argv[4]))
        return
    if argv and argv[0] == "--child-writer" and len(argv) == 2:
        _child_writer(argv[1])
        return
    if argv and argv[0] == "--child-burst" and len(argv) == 4:
        _child_burst(argv[1], float(argv[2]), argv[3])
        return

    p = argparse.ArgumentParser(description="warroom console benchmark (see the module docstring)")
    p.add_argument("--events", type=int, help="events in the journal (default 1000000; --quick 100000)")
    p.add_argument("--incidents", type=int, help="incidents in the journal (default 10000; --quick 1000)")
    p.add_argument("--active", type=int, default=500, help="active incidents at the end (default 500)")
    p.add_argument("--seed", type=int, default=7, help="the generator's seed (default 7)")
    p.add_argument(
        "--quick", action="store_true", help="a small run: 100k events, 1k incidents, fewer repeats"
    )
    p.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the generated files in DIR (and reuse them)"
    )
    p.add_argument(
        "--json", action="store_true", help="also print the figures as one JSON object (last line)"
    )
    p.add_argument(
        "--only", default=",".join(MEASURES), help=f"which measurements (default all: {','.join(MEASURES)})"
    )
    p.add_argument("--start-repeats", type=int, help="runs of each start measurement (default 7; --quick 3)")
    p.add_argument("--select-samples", type=int, help="selection samples (default 250; --quick 200)")
    p.add_argument("--cross-samples", type=int, help="cross-process samples (default 60; --quick 50)")
    p.add_argument("--postgresql", action="store_true",
                   help="also measure the cross-process latency with the journal in PostgreSQL (a throwaway cluster)")  # fmt: skip
    p.add_argument(
        "--catchup-mib", type=float, default=5.5, help="MiB appended per catch-up round (default 5.5)"
    )
    p.add_argument("--catchup-rounds", type=int, default=3, help="catch-up rounds (default 3)")
    p.add_argument(
        "--tail-runs", type=int, default=3, help="runs of the tmux comparison with toolong (default 3)"
    )
    p.add_argument("--tail-samples", type=int, help="appends per run of it (default 20; --quick 15)")
    p.add_argument("--cpu-seconds", type=float, default=30.0, help="one CPU window (default 30 s)")
    p.add_argument("--cpu-windows", type=int, help="CPU windows in a row (default 3; --quick 1)")
    p.add_argument(
        "--settle", type=float, default=5.0, help="seconds after the first paint before CPU windows"
    )
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="write a profile of the selection and cross-process loops to DIR",
    )
    args = p.parse_args(argv)
    q = args.quick
    args.events = args.events or (100_000 if q else 1_000_000)
    args.incidents = args.incidents or (1_000 if q else 10_000)
    args.start_repeats = args.start_repeats or (3 if q else 7)
    args.select_samples = args.select_samples or (200 if q else 250)
    args.cross_samples = args.cross_samples or (50 if q else 60)
    args.cpu_windows = args.cpu_windows or (1 if q else 3)
    args.tail_samples = args.tail_samples or (15 if q else 20)
    args.only = [x.strip() for x in args.only.split(",") if x.strip()]
    if bad := set(args.only) - set(MEASURES):
        p.error(f"--only: unknown {', '.join(sorted(bad))} (choose from {', '.join(MEASURES)})")
    if args.active < 2 or args.incidents < args.active or args.events < 20 * args.incidents // 10:
        p.error("need --active >= 2, --incidents >= --active and --events >= 2 x --incidents")

    import asyncio

    if args.keep is None:
        work = Path(tempfile.mkdtemp(prefix="warroom-ui-bench-"))
    else:
        work = args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        out = asyncio.run(_main_async(args, work))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    out["verdicts"] = {
        name.strip(): ("PASS" if ok else "MISS") for name, _, _, ok, _ in _verdicts(out) if ok is not None
    }
    print(_report(out))
    if args.json:
        for key in ("cpu_idle", "cpu_demo"):
            if key in out:
                out[key].pop("screen_at_end", None)
        print(json.dumps(out))


if __name__ == "__main__":
    main()
