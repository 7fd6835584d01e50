"""Command-line benchmark: ``warroom append`` of one event, the whole process, beside the
tools a user would pick instead, measured in the same run.

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/cli.py            # 30 runs of each
    .venv/bin/python bench/cli.py --quick    # 10 runs of each
    .venv/bin/python bench/cli.py --runs 50 --json

What it measures (wall time of each process, from ``subprocess.run`` to its exit, stdin
and stdout piped):

1. ``warroom append --type incident.note --incident INC-1 --data '{"text": ...}'`` (the
   project's console script), against a journal of ``--events`` lines (default 2,000: a
   sample war room, ``data.sample.write_journal``, plus one opened incident) and a store
   already caught up with it (``warroom sync`` first), so each append catches up only the
   line the run before wrote. No config file, no user SOP folder: a note needs no
   procedure (the lean path, docs/performance.md).
2. the same with ``incident.opened`` (a new incident each time): the procedure applies,
   the full path (the store through SQLAlchemy, the SOP templates).
3. ``python -c pass`` with the same interpreter: the floor of any Python command.
4. ``sqlite-utils insert DB notes -`` of one JSON row on standard input (a peer: what a
   script would use to append a row to SQLite), installed by this script into a scratch
   virtualenv under the temporary folder (``python -m venv`` + ``pip install
   sqlite-utils``), never a project dependency. ``--no-peer`` skips it.

The runs are interleaved (one of each in turn) so that load on a shared machine falls on
all alike. Reported: median and p95 (nearest rank) of each, the ratio of each median
to warroom's, and the median CPU time (user + system) of each process, which a loaded
machine moves much less than the wall time. Progress on stderr; ``--json`` adds one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
OPENED = {"title": "Bench: welfare check", "category": "other", "severity": 3, "source": "user_report",
          "regions": ["US"]}  # fmt: skip


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


#: CPU seconds (user + system) of each process timed, by command: on a loaded machine they
#: move much less than wall time
CPU: dict[str, list[float]] = {}


def timed(argv: list[str], env: dict[str, str], stdin: bytes = b"", name: str = "") -> float:
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, input=stdin, capture_output=True, env=env, check=False)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}… failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    if name:
        CPU.setdefault(name, []).append(after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime)
    return took


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def peer_venv(folder: Path) -> Path | None:
    """A scratch virtualenv with sqlite-utils; None (said why) if it cannot be made."""
    venv = folder / "peer-venv"
    say(f"installing sqlite-utils into a scratch virtualenv ({venv})…")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "sqlite-utils"],
                       check=True, capture_output=True, timeout=600)  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        say(f"  could not install sqlite-utils: {exc}")
        return None
    return venv / "bin" / "sqlite-utils"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each command (default 30)")
    parser.add_argument("--quick", action="store_true", help="10 runs of each")
    parser.add_argument("--events", type=int, default=2000, help="lines of the journal (default 2000)")
    parser.add_argument("--no-peer", action="store_true", help="skip sqlite-utils (no install)")
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    args = parser.parse_args()
    runs = 10 if args.quick else args.runs

    sys.path.insert(0, str(ROOT))
    from data.sample import write_journal

    with tempfile.TemporaryDirectory(prefix="warroom-bench-cli-") as tmp:
        folder = Path(tmp)
        journal, store = folder / "journal.jsonl", folder / "store.db"
        home = folder / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WARROOM_", "PYTHON"))}
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local"),
                   WARROOM_JOURNAL=str(journal), WARROOM_DB=str(store), WARROOM_ACTOR="bench",
                   WARROOM_CONFIG=str(folder / "no-config.toml"))  # fmt: skip
        warroom = (
            [str(VENV_BIN / "warroom")] if (VENV_BIN / "warroom").exists() else [sys.executable, "-m", "app"]
        )
        write_journal(str(journal), args.events)
        opened = [
            "append",
            "--type",
            "incident.opened",
            "--incident",
            "INC-BENCH",
            "--data",
            json.dumps(OPENED),
        ]
        timed([*warroom, *opened], env)
        timed([*warroom, "sync"], env)
        note = [*warroom, "append", "--type", "incident.note", "--incident", "INC-BENCH", "--data",
                '{"text": "bench note"}']  # fmt: skip
        sqlite_utils = None if args.no_peer else peer_venv(folder)
        peer_db = folder / "peer.db"

        def opened_n(n: int) -> list[str]:
            return [*warroom, "append", "--type", "incident.opened", "--incident", f"INC-B{n}", "--data",
                    json.dumps(OPENED)]  # fmt: skip

        commands: dict[str, list[float]] = {"append note": [], "append opened": [], "python -c pass": []}
        if sqlite_utils is not None:
            commands["sqlite-utils insert"] = []
            timed([str(sqlite_utils), "insert", str(peer_db), "notes", "-"], env, b'{"n": 0, "text": "warm"}')
        for _ in range(2):  # warm the page cache and the bytecode caches
            timed(note, env)
            timed([sys.executable, "-c", "pass"], env)
        say(f"{runs} runs of each, interleaved…")
        for n in range(runs):
            commands["append note"].append(timed(note, env, name="append note"))
            commands["append opened"].append(timed(opened_n(n), env, name="append opened"))
            commands["python -c pass"].append(
                timed([sys.executable, "-c", "pass"], env, name="python -c pass")
            )
            if sqlite_utils is not None:
                row = json.dumps({"n": n + 1, "text": "bench note"}).encode()
                insert = [str(sqlite_utils), "insert", str(peer_db), "notes", "-"]
                commands["sqlite-utils insert"].append(timed(insert, env, row, name="sqlite-utils insert"))
        lines = sum(1 for _ in journal.open("rb"))

    base = statistics.median(commands["append note"])
    what = {
        "append note": "warroom append of one incident.note (lean path)",
        "append opened": "warroom append of one incident.opened (procedure, full path)",
        "python -c pass": "python -c pass (same interpreter)",
        "sqlite-utils insert": "sqlite-utils insert of one row (scratch venv)",
    }
    load = os.getloadavg()[0]
    print(f"whole-process times, {runs} runs each, journal of {lines} lines, load {load:.1f} at the end")
    print(f"{'command':<64} {'median':>8} {'p95':>8} {'÷ append note':>14} {'CPU median':>11}")
    out: dict[str, object] = {"runs": runs, "lines": lines, "load": load}
    for name, values in commands.items():
        median, cpu = statistics.median(values), statistics.median(CPU[name])
        print(f"{what[name]:<64} {median * 1000:>6.0f}ms {p95(values) * 1000:>6.0f}ms {median / base:>13.2f}× "
              f"{cpu * 1000:>9.0f}ms")  # fmt: skip
        out[name] = {"median_s": median, "p95_s": p95(values), "ratio": median / base, "cpu_median_s": cpu}
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
