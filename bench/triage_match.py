"""Triage matching benchmark: how long the pool of candidates takes to build and each
signal's suggested matches take to find (data/triage/candidates.py, data/triage/match.py).

A script, not a test. Run from the project root with the project's virtualenv:

    .venv/bin/python bench/triage_match.py                      # 1,000 signals, 300 incidents
    .venv/bin/python bench/triage_match.py --signals 3000 --incidents 800

Signals have 2,000-character bodies naming accounts and URLs, some shared; it prints the
seconds to build the pool (features of every signal and incident: what the triage screen
does in a thread when the journal moves, once per signal thanks to its cache), the seconds
to build it again from that cache, and the median and worst time of one signal's matches
(what the screen does, in a thread, when a signal is selected).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("threat school stream harassment fraud account scam extortion image bot network spam "
         "violent campaign report urgent doxxing leak minor grooming payment hack").split()  # fmt: skip


def main() -> None:
    from data.triage.candidates import FeatureCache, build_pool
    from data.triage.signals import SignalRow
    from tests.helpers import incident_record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=1000)
    parser.add_argument("--incidents", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    now = datetime(2026, 11, 22, tzinfo=UTC)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    base = SignalRow("SIG-0", "le_portal", None, now, "t", "", False, None, (), (), (), "text/plain", 1, "0" * 64,
                     0, now, "untriaged", None, None, None, None, None, None, None, 1)  # fmt: skip
    signals = [
        replace(base, signal=f"SIG-{n:06d}", title=text(6), ref=f"LE-{rng.randrange(5000)}",
                body=f"{text(300)} @user{rng.randrange(500)} https://example.com/p/{rng.randrange(500)}"[:2000],
                accounts=(f"@user{rng.randrange(500)}",), seq=n)
        for n in range(args.signals)
    ]  # fmt: skip
    incidents = [incident_record(id=f"INC-{n}", title=text(5), summary=f"{text(40)} @user{n}")
                 for n in range(args.incidents)]  # fmt: skip
    cache = FeatureCache()
    t = time.perf_counter()
    pool = build_pool(incidents, signals, "me", cache)
    first = time.perf_counter() - t
    t = time.perf_counter()
    build_pool(incidents, signals, "me", cache)
    again = time.perf_counter() - t
    times = []
    for r in signals[:200]:
        t = time.perf_counter()
        pool.matches(r)
        times.append(time.perf_counter() - t)
    print(f"{args.signals} signals, {args.incidents} incidents")
    print(f"pool built         {first:8.3f} s")
    print(f"pool from cache    {again:8.3f} s")
    print(
        f"one signal's matches: median {statistics.median(times) * 1000:6.1f} ms, worst {max(times) * 1000:6.1f} ms"
    )


if __name__ == "__main__":
    main()
