"""Realistic, harmless war-room events, generated deterministically from a seed.

Used by the benchmarks, the tests and the demo. The content reads like a real Trust &
Safety war room (categories, legal clocks, stakeholder teams, follow-the-sun rotations) but
never describes harmful material: content is only ever referenced by id.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from data.engine.clock import utc_text
from data.engine.models import CATEGORIES, REGIONS, SOURCES

PEOPLE = [
    # handle, name, team, region, tz
    ("amara", "Amara Okafor", "emergency_response", "US", "America/New_York"),
    ("ben", "Ben Carter", "legal", "US", "America/Los_Angeles"),
    ("chen", "Chen Wei", "child_safety", "AU", "Australia/Sydney"),
    ("dana", "Dana Whitfield", "comms", "UK", "Europe/London"),
    ("eli", "Eli Navarro", "le_response", "US", "America/Chicago"),
    ("fatima", "Fatima Rahman", "policy", "UK", "Europe/London"),
    ("grace", "Grace Liu", "security_privacy", "AU", "Australia/Sydney"),
    ("hugo", "Hugo Martin", "emergency_response", "UK", "Europe/London"),
    ("isla", "Isla Thompson", "emergency_response", "AU", "Australia/Melbourne"),
    ("jonah", "Jonah Reyes", "product", "US", "America/Los_Angeles"),
    ("kofi", "Kofi Mensah", "leadership", "UK", "Europe/London"),
    ("lena", "Lena Fischer", "legal", "EU", "Europe/Berlin"),
]
HANDLES = [p[0] for p in PEOPLE]

TITLES = {
    "csea": [
        "Hash match on uploaded media, account {n}",
        "Proactive detection: grooming signals in DMs, case {n}",
    ],
    "edr": [
        "Emergency disclosure request from police, ref {n}",
        "EDR: missing person, welfare concern, ref {n}",
    ],
    "self_harm": [
        "Livestream flagged for imminent risk, stream {n}",
        "User report: risk-to-life post, case {n}",
    ],
    "violent_extremism": [
        "Attack footage re-uploads spreading, cluster {n}",
        "Crisis protocol activation, event {n}",
    ],
    "hate_harassment": [
        "Coordinated harassment wave against creator {n}",
        "Pile-on after viral post, thread {n}",
    ],
    "data_security": [
        "Scraping of profile data via API, campaign {n}",
        "Suspected credential stuffing wave {n}",
    ],
    "regulator": ["eSafety removal notice {n}", "EU removal order {n}, one-hour clock"],
    "media": [
        "Press inquiry on moderation failure, outlet {n}",
        "Journalist deadline on leaked policy, story {n}",
    ],
    "other": ["Spam surge in comments, campaign {n}", "Impersonation of public official, account {n}"],
}
SUMMARIES = [
    "Escalated by the on-call reviewer; details in the case file.",
    "Content is referenced by id only; the evidence log is in the case file.",
    "A second source confirmed the first report within minutes.",
    "Legal has been told; no external statement yet.",
    "The detection team is measuring the scope; numbers follow in the next update.",
    "The affected accounts are listed in the case file, not here.",
]


def summary(n: int, sentences: int) -> str:
    """``sentences`` distinct sentences of :data:`SUMMARIES` for the ``n``-th incident (a
    different start for each; no sentence twice)."""
    k = min(sentences, len(SUMMARIES))
    return " ".join(SUMMARIES[(n + i) % len(SUMMARIES)] for i in range(k))


NOTES = [
    "Called the requesting officer back on the number from the force directory; verified.",
    "Legal agrees the good-faith standard is met; proceed with minimal disclosure.",
    "Re-upload rate falling after hash list update; keep watching.",
    "Comms drafted a holding statement; waiting on Legal review.",
    "Preservation request logged for 90 days; user notice deferred.",
    "Two-person check done on the disclosure package.",
    "Handed the regulator response to the UK shift with context.",
    "Surge staffing requested for the next two hours.",
    "Policy gap noted for the post-mortem: no rule for coordinated reposts.",
    "Reviewer rotation changed; wellbeing break scheduled.",
]
ACTIONS = [
    ("content_removed", "Removed the reported items; ids in the case file."),
    ("account_restricted", "Restricted the account pending review."),
    ("report_filed", "Filed the report with the authority."),
    ("hash_added", "Added hashes to the shared list."),
    ("stakeholder_update", "Sent the stakeholder update; next one due in 20 minutes."),
]
CHECKS = [
    ("verify", "Verify the requester out of band", "le_response", 30),
    ("legal", "Good-faith decision with Legal", "legal", 60),
    ("preserve", "Preserve the account and content", "security_privacy", 60),
    ("remove", "Remove content and block re-upload by hash", "emergency_response", 60),
    ("comms", "Holding statement ready", "comms", 60),
    ("exec", "Brief leadership", "leadership", 120),
    ("report", "File the report and keep its reference", "child_safety", 1440),
]
STATUS_PATH = ["triaged", "investigating", "mitigating", "contained", "monitoring", "resolved", "closed"]
ROLES = ["commander", "deputy", "scribe", "comms", "legal", "le_response", "liaison"]

#: A follow-the-sun incident-command roster that covers every hour of every day. Each region
#: works a day shift, local time, that the next region to the west takes over: Sydney
#: 09:00-19:00, London 08:00-17:00, New York 10:00-19:00. The lengths are chosen so that
#: the handovers meet in UTC whatever the clocks do (New York, London and Sydney change
#: them on different Sundays): Sydney's 19:00 meets London's 08:00 exactly when Sydney is
#: on summer time and London is not (08:00 UTC), and New York's 19:00 meets Sydney's 09:00
#: exactly when New York is on summer time and Sydney is not (23:00 UTC); at other times
#: of the year they overlap by an hour or two, and London and New York by two to three
#: (tests/test_roster.py checks every 15 minutes of the weeks around each change). Each
#: region has two crews, as T&S teams work: a Sunday-Thursday week and a Tuesday-Saturday
#: week, so both are on from Tuesday to Thursday. The three commanders of a region take
#: turns on both: the Sunday-Thursday week of one is followed by their Tuesday-Saturday week
#: (never by a Sunday straight after a Saturday), then a week off.
ROTATIONS = [
    {
        "rotation": "us-ic-sun", "team": "emergency_response", "region": "US", "tz": "America/New_York",
        "days": ["sun", "mon", "tue", "wed", "thu"], "start": "10:00", "hours": 9,
        "members": ["eli", "jonah", "amara"], "anchor": "2026-01-04", "turn_days": 7,
    },
    {
        "rotation": "us-ic-tue", "team": "emergency_response", "region": "US", "tz": "America/New_York",
        "days": ["tue", "wed", "thu", "fri", "sat"], "start": "10:00", "hours": 9,
        "members": ["amara", "eli", "jonah"], "anchor": "2026-01-06", "turn_days": 7,
    },
    {
        "rotation": "uk-ic-sun", "team": "emergency_response", "region": "UK", "tz": "Europe/London",
        "days": ["sun", "mon", "tue", "wed", "thu"], "start": "08:00", "hours": 9,
        "members": ["dana", "fatima", "hugo"], "anchor": "2026-01-04", "turn_days": 7,
    },
    {
        "rotation": "uk-ic-tue", "team": "emergency_response", "region": "UK", "tz": "Europe/London",
        "days": ["tue", "wed", "thu", "fri", "sat"], "start": "08:00", "hours": 9,
        "members": ["hugo", "dana", "fatima"], "anchor": "2026-01-06", "turn_days": 7,
    },
    {
        "rotation": "au-ic-sun", "team": "emergency_response", "region": "AU", "tz": "Australia/Sydney",
        "days": ["sun", "mon", "tue", "wed", "thu"], "start": "09:00", "hours": 10,
        "members": ["chen", "grace", "isla"], "anchor": "2026-01-04", "turn_days": 7,
    },
    {
        "rotation": "au-ic-tue", "team": "emergency_response", "region": "AU", "tz": "Australia/Sydney",
        "days": ["tue", "wed", "thu", "fri", "sat"], "start": "09:00", "hours": 10,
        "members": ["isla", "chen", "grace"], "anchor": "2026-01-06", "turn_days": 7,
    },
]  # fmt: skip


def _ts(t: datetime) -> str:
    return utc_text(t, ms=True)


class Generator:
    """Makes events (dicts without ``prev``) in a plausible order."""

    def __init__(self, seed: int = 7, start: datetime | None = None, prefix: str = "INC") -> None:
        self.rng = random.Random(seed)
        self.now = start or datetime(2026, 11, 1, tzinfo=UTC)
        self.seq = 0
        self.prefix = prefix
        self.incidents: list[dict[str, Any]] = []
        self.seed = seed

    def _id(self) -> str:
        self.seq += 1
        return f"{self.seed:04x}{self.seq:012d}"

    def event(
        self, etype: str, data: dict[str, Any], incident: str | None = None, actor: str | None = None
    ) -> dict[str, Any]:
        self.now += timedelta(seconds=self.rng.randint(1, 40), milliseconds=self.rng.randint(0, 999))
        ev: dict[str, Any] = {
            "v": 1,
            "id": self._id(),
            "ts": _ts(self.now),
            "actor": actor or self.rng.choice(HANDLES),
            "type": etype,
        }
        if incident is not None:
            ev["incident"] = incident
        ev["data"] = data
        return ev

    def roster(self) -> Iterator[dict[str, Any]]:
        for handle, name, team, region, tz in PEOPLE:
            yield self.event(
                "roster.person",
                {"handle": handle, "name": name, "team": team, "region": region, "tz": tz},
                actor="roster-bot",
            )
        for rot in ROTATIONS:
            yield self.event("roster.rotation", dict(rot), actor="roster-bot")

    def open_incident(self, category: str | None = None) -> dict[str, Any]:
        rng = self.rng
        n = len(self.incidents) + 1
        inc_id = f"{self.prefix}-{n:05d}"
        category = category or rng.choice(CATEGORIES)
        severity = rng.choices([1, 2, 3, 4], weights=[1, 3, 4, 2])[0]
        regions = sorted(set(rng.sample(REGIONS[:4], rng.randint(1, 2))))
        data: dict[str, Any] = {
            "title": rng.choice(TITLES[category]).format(n=rng.randint(1000, 99999)),
            "category": category,
            "severity": severity,
            "source": rng.choice(SOURCES),
            "regions": regions,
            "summary": summary(n, rng.randint(1, 3)),
            "detected_at": _ts(self.now - timedelta(minutes=rng.randint(1, 90))),
        }
        if category in ("csea", "data_security") and rng.random() < 0.5:
            data["restricted"] = True
        state = {
            "id": inc_id,
            "status_i": -1,
            "items": [],
            "open_items": [],
            "category": category,
            "commander": None,
        }
        self.incidents.append(state)
        return self.event("incident.opened", data, inc_id)

    def step(self, inc: dict[str, Any]) -> dict[str, Any]:
        """One plausible next event for an open incident."""
        rng = self.rng
        inc_id = inc["id"]
        r = rng.random()
        if inc["commander"] is None:  # a war room names its commander first
            inc["commander"] = rng.choice(HANDLES)
            return self.event("incident.role_set", {"role": "commander", "person": inc["commander"]}, inc_id)
        if inc["status_i"] < 0:
            inc["status_i"] = 0
            return self.event(
                "incident.status_set", {"status": STATUS_PATH[0], "reason": "Triaged by the IC."}, inc_id
            )
        if not inc["items"] or (r < 0.2 and len(inc["items"]) < len(CHECKS)):
            key, text, team, minutes = CHECKS[len(inc["items"])]
            inc["items"].append(key)
            inc["open_items"].append(key)
            due = _ts(self.now + timedelta(minutes=minutes))
            return self.event(
                "checklist.added",
                {"item": key, "text": text, "team": team, "due": due, "template": f"{inc['category']}@1"},
                inc_id,
            )
        if r < 0.45 and inc["open_items"]:
            key = inc["open_items"].pop(0)
            if rng.random() < 0.1:
                return self.event(
                    "checklist.set",
                    {"item": key, "state": "skipped", "note": "Not applicable: no UK nexus."},
                    inc_id,
                )
            return self.event("checklist.set", {"item": key, "state": "done"}, inc_id)
        if r < 0.55:
            return self.event(
                "incident.note", {"text": rng.choice(NOTES), "pinned": rng.random() < 0.1}, inc_id
            )
        if r < 0.65:
            kind, text = rng.choice(ACTIONS)
            data = {"kind": kind, "text": text}
            if kind == "report_filed":
                data["ref"] = f"CT-{rng.randint(10**7, 10**8 - 1)}"
            return self.event("incident.action", data, inc_id)
        if r < 0.75:
            return self.event(
                "incident.role_set", {"role": rng.choice(ROLES), "person": rng.choice(HANDLES)}, inc_id
            )
        if r < 0.78:
            return self.event(
                "incident.severity_set",
                {"severity": rng.randint(1, 4), "reason": "Reach changed after the latest sweep."},
                inc_id,
            )
        if r > 0.93 and inc["status_i"] < len(STATUS_PATH) - 1:
            inc["status_i"] += 1
            return self.event(
                "incident.status_set",
                {"status": STATUS_PATH[inc["status_i"]], "reason": "Per the IC."},
                inc_id,
            )
        return self.event("incident.note", {"text": rng.choice(NOTES)}, inc_id)

    def events(self, count: int, *, per_incident: int = 100) -> Iterator[dict[str, Any]]:
        """``count`` events: the roster first, then incidents opened at a steady pace, about
        one every ``per_incident`` events, each worked on until it closes."""
        made = 0
        for ev in self.roster():
            if made >= count:
                return
            yield ev
            made += 1
        live: list[dict[str, Any]] = []
        while made < count:
            if not live or self.rng.random() < 1 / per_incident:
                yield self.open_incident()
                live.append(self.incidents[-1])
            else:
                inc = self.rng.choice(live)
                yield self.step(inc)
                if inc["status_i"] >= len(STATUS_PATH) - 1:
                    live.remove(inc)
            made += 1


def chain_lines(events: Iterator[dict[str, Any]], prev: str | None = None) -> Iterator[bytes]:
    """Encode events as journal lines with their ``prev`` chain (newline included)."""
    for ev in events:
        ev["prev"] = prev
        line = orjson.dumps(ev)
        prev = hashlib.sha256(line).hexdigest()
        yield line + b"\n"


def write_journal(path: str, count: int, *, seed: int = 7, per_incident: int = 100) -> int:
    """Write a fresh journal of ``count`` events; returns its size in bytes."""
    size = 0
    gen = Generator(seed)
    with open(path, "wb", buffering=1 << 20) as f:
        for line in chain_lines(gen.events(count, per_incident=per_incident)):
            f.write(line)
            size += len(line)
    return size
