"""What a signal is matched against (docs/intake.md, "Triage"): the open incidents (with the
signals already promoted into or attached to each) and the other signals, their features
computed once per load, in a thread (:func:`load_pool`), then matched per signal
(:meth:`Pool.matches`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from data.engine.access import Access
from data.triage.match import Candidate, Features, Match, features, merged, suggest
from data.triage.signals import SignalRow, all_signals

#: the other signals a signal is compared with: the most recently received
SIGNALS_COMPARED = 1000


def signal_features(r: SignalRow) -> Features:
    return features(r.title, (r.body,), r.accounts, r.urls, (r.ref,) if r.ref else ())


@dataclass(frozen=True)
class Pool:
    """The candidates of one load, and each signal's own features."""

    candidates: tuple[Candidate, ...] = ()
    signals: dict[str, Features] = field(default_factory=dict)

    def matches(self, row: SignalRow, limit: int | None = None) -> list[Match]:
        """``row``'s suggested matches: never itself, nor a signal it already duplicates."""
        me = self.signals.get(row.signal) or signal_features(row)
        others = [c for c in self.candidates if not (c.kind == "signal" and c.id == row.signal)]
        return suggest(me, others) if limit is None else suggest(me, others, limit)


class FeatureCache:
    """Features already computed, kept between loads: a signal's never change (its texts
    are received once); an incident's are kept while its title and summary stay the same."""

    def __init__(self) -> None:
        self.signals: dict[str, Features] = {}
        self.incidents: dict[tuple[str, str, str], Features] = {}

    def signal(self, r: SignalRow) -> Features:
        found = self.signals.get(r.signal)
        if found is None:
            found = self.signals[r.signal] = signal_features(r)
        return found

    def incident(self, inc: Any) -> Features:
        key = (inc.id, inc.title, inc.summary or "")
        found = self.incidents.get(key)
        if found is None:
            found = self.incidents[key] = features(inc.title, (inc.summary or "",))
        return found


def build_pool(
    incidents: Sequence[Any], signals: Sequence[SignalRow], viewer: str, cache: FeatureCache | None = None
) -> Pool:
    """The pool from the open incidents (store rows: ``IncidentRecord``) and the signals
    (pure, CPU: run it in a thread; ``cache``: features of an earlier load, kept)."""
    cache = cache or FeatureCache()
    own = {r.signal: cache.signal(r) for r in signals}
    inside: dict[str, list[Features]] = {}
    for r in signals:
        if r.incident is not None and r.status in ("promoted", "attached"):
            inside.setdefault(r.incident, []).append(own[r.signal])
    out: list[Candidate] = []
    for inc in incidents:
        base = cache.incident(inc)
        hidden = bool(inc.restricted) and not Access.of_row(inc).sees(viewer)
        out.append(
            Candidate("incident", inc.id, inc.title, merged(base, inside.get(inc.id, ())), hidden, inc.status)
        )
    for r in signals:
        status = r.status if r.incident is None else f"{r.status} {r.incident}"
        out.append(Candidate("signal", r.signal, r.title, own[r.signal], False, status))
    return Pool(tuple(out), own)


async def load_pool(store: Any, viewer: str, cache: FeatureCache | None = None) -> Pool:
    """Read the open incidents and the signals, then build the pool in a thread."""
    incidents = await store.incidents(active=True)
    signals = await all_signals(store, SIGNALS_COMPARED)
    return await asyncio.to_thread(build_pool, incidents, signals, viewer, cache)
