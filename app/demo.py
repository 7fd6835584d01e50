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

from data.clock import utc_text
from data.commands import append_to, new_id, now_ts
from data.journal import FileJournal
from data.sample import HANDLES, Generator
from data.store import Store

SEED_EVENTS = 1500


async def seed(journal: FileJournal, store: Store) -> int:
    """Fill an empty demo journal with a few hours of history; returns events written."""
    if journal.end() > 0:
        return 0
    gen = Generator(seed=11, start=datetime.now(UTC) - timedelta(hours=12), prefix="INC")
    events = with_procedures(list(gen.events(SEED_EVENTS, per_incident=30)), random.Random(11))
    # the clock of the history must end now; squeeze it if the generator ran past
    return len(await append_to(journal, store, _fit_to_now(events)))


def _sop_templates() -> dict[str, Any]:
    from data.sop import load_templates

    return dict(load_templates().templates)


def with_procedures(events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The history as consoles would have written it: each opened incident gets its SOP
    checklist, and a re-graded one the items that then apply (as a console adds them,
    through the same code), most items ticked done in time, a few late, those not yet
    due still open; severity 1–2 incidents get stakeholder updates about every
    20 minutes while they are worked on. The generator's own ad-hoc items are left out
    (the procedures replace them)."""
    from data.models import parse_rfc3339
    from data.procedures import TRIGGERS, sop_items

    templates = _sop_templates()
    end = parse_rfc3339(events[-1]["ts"])
    settled: dict[str, datetime] = {}  # when each incident was resolved or closed
    urgent: set[str] = set()  # severity 1 or 2 at some point
    for ev in events:
        if ev["type"] == "incident.status_set" and ev["data"]["status"] in SETTLED:
            settled.setdefault(ev["incident"], parse_rfc3339(ev["ts"]))
        if ev["type"] in ("incident.opened", "incident.severity_set") and ev["data"]["severity"] <= 2:
            urgent.add(ev["incident"])
    extra: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    rows: dict[str, dict[str, Any]] = {}  # each incident as the store would hold it
    have: dict[str, set[str]] = {}  # its checklist's item ids
    for ev in events:
        incident = ev.get("incident")
        if ev["type"] in ("checklist.added", "checklist.set"):
            continue
        out.append(ev)
        if ev["type"] not in TRIGGERS:
            continue
        at0 = parse_rfc3339(ev["ts"])
        # what a console writes with this event: the procedure's items that now apply
        added = sop_items(
            templates, [ev], {incident: rows.get(incident)}, {incident: have.get(incident, set())}, at0
        )
        d = ev["data"]
        if ev["type"] == "incident.opened":
            rows[incident] = {"category": d["category"], "severity": d["severity"], "regions": d["regions"],
                              "detected_at": d.get("detected_at"), "opened_at": ev["ts"]}  # fmt: skip
        elif incident in rows:
            rows[incident].update({k: d[k] for k in ("category", "severity", "regions") if k in d})
        have.setdefault(incident, set()).update(a["data"]["item"] for a in added)
        for n, item in enumerate(added):
            at = at0 + timedelta(milliseconds=n + 1)
            extra.append(_built(item, at, ev["actor"]))
            due_text = item["data"].get("due")
            due = parse_rfc3339(due_text) if due_text else at + timedelta(hours=2)
            if due >= end and rng.random() < 0.7:
                continue  # not due yet: still open
            if due <= at:  # due before it was added (detected long before): done late
                when = at + timedelta(minutes=rng.uniform(2, 40))
            elif rng.random() < 0.1:  # late
                when = due + (due - at) * rng.uniform(0.05, 0.3)
            else:
                when = at + (due - at) * rng.uniform(0.2, 0.95)
            when = min(when, end - timedelta(seconds=rng.uniform(5, 600)))
            if rng.random() < 0.97 and when > at:
                tick = {"type": "checklist.set", "incident": incident,
                        "data": {"item": item["data"]["item"], "state": "done"}}  # fmt: skip
                extra.append(_built(tick, when, rng.choice(HANDLES)))
        if ev["type"] != "incident.opened":
            continue
        opened = at0
        if incident in urgent:  # stakeholder updates while it is worked on
            at = opened + timedelta(minutes=rng.uniform(5, 15))
            while at < min(settled.get(incident, end), end):
                update = {"type": "incident.action", "incident": incident,
                          "data": {"kind": "stakeholder_update", "text": rng.choice(UPDATES)}}  # fmt: skip
                extra.append(_built(update, at, rng.choice(HANDLES)))
                at += timedelta(minutes=rng.uniform(12, 21))
    merged = out + extra
    merged.sort(key=lambda e: e["ts"])  # one format, so the text sorts as the time does
    return merged


SETTLED = ("resolved", "closed", "false_positive")  # no more stakeholder updates
UPDATES = (
    "Update to Legal and leadership: status unchanged, next update in 20 minutes.",
    "Stakeholder update sent: containment in progress; no new exposure found.",
    "Update to comms and policy leads: holding statement ready, not issued.",
    "Leadership briefed on the current scope and the open legal clocks.",
)


def _built(item: dict[str, Any], at: datetime, actor: str) -> dict[str, Any]:
    return {"v": 1, "id": new_id(), "ts": utc_text(at, ms=True),
            "actor": actor, **item}  # fmt: skip


def _fit_to_now(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's times (and the due and detection times in it) made to end just now:
    squeezed if it ran past now, moved forward if it ended earlier."""
    from data.models import parse_rfc3339

    first = parse_rfc3339(events[0]["ts"])
    last = parse_rfc3339(events[-1]["ts"])
    now = datetime.now(UTC) - timedelta(seconds=30)
    span = (last - first).total_seconds() or 1.0
    want = (now - first).total_seconds()
    scale = min(1.0, want / span)
    # a history shorter than the time since its start is moved forward to end now
    shift = (now - last) if scale == 1.0 else timedelta(0)

    def fit(ts: str) -> str:
        return utc_text(first + (parse_rfc3339(ts) - first) * scale + shift, ms=True)

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
        self.templates = _sop_templates()
        self.sop_items: dict[str, list[str]] = {}  # incident -> its SOP items not ticked yet
        self.sop_all: dict[str, set[str]] = {}  # incident -> all its SOP item ids
        self.severity: dict[str, int] = {}

    def next_events(self) -> list[dict[str, Any]]:
        """One step of another console: an incident opened (with its SOP checklist, as a
        console writes it), or one event on a live incident."""
        ev = self.next_event()
        if ev["type"] != "incident.opened":
            return [ev]
        from data.sop import checklist_events

        d = ev["data"]
        template = self.templates.get(d["category"])
        if template is None:
            return [ev]
        t0 = datetime.now(UTC)
        added = checklist_events(template, ev["incident"], d["severity"], d["regions"], t0, ())
        self.sop_items[ev["incident"]] = [a["data"]["item"] for a in added if a["data"].get("due")]
        self.sop_all[ev["incident"]] = {a["data"]["item"] for a in added}
        return [ev, *({**a, "id": new_id(), "ts": now_ts(), "actor": ev["actor"], "v": 1} for a in added)]

    def next_event(self) -> dict[str, Any]:
        rng = self.rng
        if not self.live or (len(self.live) < 6 and rng.random() < 0.08):
            ev = self.gen.open_incident()
            self.live.append(self.gen.incidents[-1])
        else:
            inc = rng.choice(self.live)
            pending = self.sop_items.get(inc["id"])
            if self.severity.get(inc["id"], 4) <= 2 and rng.random() < 0.2:  # the comms cadence
                ev = self.gen.event("incident.action", {"kind": "stakeholder_update", "text": rng.choice(UPDATES)},
                                    inc["id"])  # fmt: skip
            elif pending and rng.random() < 0.3:  # someone ticks a procedure item
                item = pending.pop(0)
                ev = self.gen.event("checklist.set", {"item": item, "state": "done"}, inc["id"])
            else:
                ev = self.gen.step(inc)
                if ev["type"] == "checklist.added" and ev["data"]["item"] in self.sop_all.get(inc["id"], ()):
                    ev = self.gen.event(
                        "incident.note", {"text": "Checked the procedure with the team."}, inc["id"]
                    )
            if inc["status_i"] >= 6:
                self.live.remove(inc)
        if ev["type"] in ("incident.opened", "incident.severity_set"):
            self.severity[ev["incident"]] = ev["data"]["severity"]
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
                await append_to(self.journal, self.store, self.next_events())
            except Exception:  # the console shows write failures of its own; the
                self.errors += 1  # simulator only counts its own and carries on
