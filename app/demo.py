"""The demo war room: a seeded history and a simulator that writes as other consoles would.

The simulator appends through the same path as the command line (validated, under the
journal's lock), so the console sees its events exactly as it would see another
console's: through the journal.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from data.commands import append_to, new_id, now_ts
from data.engine.clock import utc_text
from data.engine.ids import incident_id
from data.engine.journal import FileJournal
from data.engine.models import (
    UPDATE_KIND,
    ChecklistAdded,
    ChecklistRetimed,
    ChecklistSet,
    ChecklistStep,
    DecisionApprover,
    DecisionRecorded,
    DisclosureRecorded,
    Draft,
    EventData,
    HandoffAcknowledged,
    HandoffSubmission,
    HandoffSubmitted,
    IncidentAction,
    IncidentNote,
    IncidentParticipantAdded,
    IncidentRoleSet,
    IncidentSeveritySet,
    IncidentStatusSet,
    PostmortemActionAdded,
    PostmortemActionKind,
    PostmortemActionSet,
    PostmortemMeeting,
    PostmortemPinSet,
    PostmortemSection,
    PostmortemSectionSet,
    PostmortemStatusSet,
    Regime,
    ResponseDrafted,
    ResponseReviewed,
    ResponseSent,
    RosterPerson,
    Status,
    TriggerKind,
    parse_rfc3339,
)
from data.engine.store import IncidentRecord, Store
from data.procedures.steps import UPDATE_ITEM, UPDATE_NOTE, is_update, update_ticks
from data.sample import HANDLES, Generator

SEED_EVENTS = 1500  # today's activity: the last eight hours or so
HISTORY_DAYS = 60  # settled incidents before that, for the trends (about 8½ weeks)


async def seed(journal: FileJournal, store: Store, actor: str = "demo-ic") -> int:
    """Fill an empty demo journal with weeks of settled incidents and a few hours of live
    activity, with a shift handoff waiting for ``actor``'s read-back; returns events
    written."""
    if journal.end() > 0:
        return 0
    now = datetime.now(UTC)
    gen = Generator(seed=11, start=now - timedelta(hours=12), prefix="INC")
    rng = random.Random(11)
    past = history(gen, rng, now - timedelta(days=HISTORY_DAYS), now - timedelta(hours=13))
    past = sorted(old_requests(now) + past, key=lambda e: e["ts"])
    gen.now = now - timedelta(hours=12)
    live = list(gen.events(SEED_EVENTS, per_incident=30))
    # the demo's own commander (the default --actor) is one of the roster's people, so that
    # its handle is not marked "not in the roster" (docs/roster.md)
    last_person = max(n for n, e in enumerate(live) if e["type"] == "roster.person")
    person = RosterPerson(handle="demo-ic", name="Demo Commander (you)", team="emergency_response", region="US",
                          tz="America/New_York")  # fmt: skip
    after = live[last_person]
    live.insert(last_person + 1, _written(Draft(person, id=new_id(), ts=after["ts"], actor=after["actor"])))
    for ev in live:  # detected minutes (not an hour or more) before it was opened, as a war room would be
        if ev["type"] == "incident.opened" and "detected_at" in ev["data"]:
            lead = rng.uniform(0.3, 3) if ev["data"]["severity"] <= 2 else rng.uniform(1, 20)
            ev["data"]["detected_at"] = utc_text(parse_rfc3339(ev["ts"]) - timedelta(minutes=lead), ms=True)
    done = {e["incident"] for e in past if e["type"] == "incident.opened"}
    past += postmortems(past, rng, now - timedelta(hours=13))
    live += handoffs(live, rng, actor)
    end = parse_rfc3339(live[-1]["ts"])
    live += obligations(end) + signals(end)
    live.sort(key=lambda e: e["ts"])
    events = with_procedures(ncmec_reports(orders_received(past + live)), rng, cadence_written=done)
    # the clock of the history must end now; squeeze it if the generator ran past; then the
    # incidents get their ids (data/engine/ids.py) from the times they were opened at
    return len((await append_to(journal, store, with_incident_ids(_fit_to_now(events), rng))).ids)


def ncmec_reports(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's CSEA reports filed as warroom records them: ``report_filed`` under
    ``us_ncmec``, which starts the report's 1-year preservation hold (docs/sop.md)."""
    csea = {
        e["incident"] for e in events if e["type"] == "incident.opened" and e["data"]["category"] == "csea"
    }
    for ev in events:
        d = ev["data"]
        if ev["type"] == "incident.action" and ev["incident"] in csea and d.get("kind") == "report_filed":
            d["regime"] = "us_ncmec"
    return events


#: the generator's titles of orders and notices, and how each is recorded when it arrives
ORDER_TITLES: tuple[tuple[str, TriggerKind, Regime, str], ...] = (
    ("EU removal order", "order_received", "eu_tco", "TCO"),
    ("eSafety removal notice", "notice_received", "au_esafety", "ESN"),
)


def orders_received(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An incident opened for a removal order or notice records its receipt a minute after
    it is opened, as a commander would (``k``: an ⏱ kind): the trigger that starts its
    legal clock, from when it was received (its ``detected_at``). Sorted by time."""
    from data.engine.models import TriggerAction

    out = list(events)
    for ev in events:
        if ev["type"] != "incident.opened":
            continue
        for title, kind, regime, prefix in ORDER_TITLES:
            if ev["data"]["title"].startswith(title):
                received = ev["data"].get("detected_at") or ev["ts"]
                number = "".join(ch for ch in ev["data"]["title"] if ch.isdigit())[:8] or "1"
                data = TriggerAction(kind=kind, text=f"{title} received; logged with its deadline.",
                                     ref=f"{prefix}-{number}", regime=regime, at=received)  # fmt: skip
                ts = utc_text(parse_rfc3339(ev["ts"]) + timedelta(minutes=1), ms=True)
                out.append(
                    _written(Draft(data, incident=ev["incident"], id=new_id(), ts=ts, actor=ev["actor"]))
                )
    out.sort(key=lambda e: e["ts"])
    return out


def old_requests(now: datetime) -> list[dict[str, Any]]:
    """Two emergency data requests of nearly three months ago, settled since: their 90-day
    preservation holds end this week (the handoff's external state and the holds view
    show them; the handoff's notes say so)."""
    from data.engine.models import IncidentOpened

    out: list[dict[str, Any]] = []
    for n, days in enumerate((84.5, 86.2)):
        incident = f"OLD-EDR-{n}"
        opened = now - timedelta(days=days)

        def add(data: EventData, at: datetime, incident: str = incident) -> None:
            out.append(
                _written(Draft(data, incident=incident, id=new_id(), ts=utc_text(at, ms=True), actor="eli"))
            )

        add(IncidentOpened(title=f"EDR: welfare check request, ref {7120 + n}", category="edr", severity=2,
                           source="law_enforcement", regions=["US"],
                           detected_at=utc_text(opened - timedelta(minutes=4), ms=True)), opened)  # fmt: skip
        add(IncidentRoleSet(role="commander", person="eli"), opened + timedelta(minutes=3))
        steps: tuple[tuple[Status, int], ...] = (("investigating", 1), ("resolved", 30), ("closed", 75))
        for status, hours in steps:
            add(IncidentStatusSet(status=status, reason="Per the IC."), opened + timedelta(hours=hours))
    return out


def obligations(end: datetime) -> list[dict[str, Any]]:
    """Incidents that show the legal clocks (docs/sop.md) and the record a commander keeps,
    their times counted back from ``end`` (the live part's last moment): an EU
    terrorist-content removal order received 20 minutes ago (its one-hour clock runs from
    the order's receipt, and, at S2, the console offers the raise to S1); a CSEA case
    raised to S1 whose NCMEC report target is re-timed from 24 h to 2 h after T0, with the
    decision behind it; an emergency data request answered and disclosed."""
    from data.engine.models import IncidentOpened, TriggerAction

    out: list[dict[str, Any]] = []

    def add(data: EventData, incident: str, minutes_ago: float, actor: str) -> None:
        at = end - timedelta(minutes=minutes_ago)
        out.append(
            _written(Draft(data, incident=incident, id=new_id(), ts=utc_text(at, ms=True), actor=actor))
        )

    order = "DEMO-TCO"
    add(IncidentOpened(title="Terrorist-content removal order TCO-NL-2026-0417 (EU): one-hour clock",
                       category="regulator", severity=2, source="regulator", regions=["EU", "UK"],
                       summary="A removal order under Regulation (EU) 2021/784 for three items (ids in the case file).",
                       detected_at=utc_text(end - timedelta(minutes=24), ms=True)), order, 22, "amara")  # fmt: skip
    add(IncidentRoleSet(role="commander", person="amara"), order, 21, "amara")
    add(TriggerAction(kind="order_received", text="Removal order received from the Dutch authority by e-mail.",
                      ref="TCO-NL-2026-0417", regime="eu_tco",
                      at=utc_text(end - timedelta(minutes=20), ms=True)), order, 19, "amara")  # fmt: skip
    case = "DEMO-CSEA"
    add(IncidentOpened(title="CSEA: live-stream grooming reports, one account", category="csea", severity=2,
                       source="user_report", regions=["US", "UK"], restricted=True,
                       detected_at=utc_text(end - timedelta(minutes=95), ms=True)), case, 92, "demo-ic")  # fmt: skip
    add(IncidentRoleSet(role="commander", person="demo-ic"), case, 91, "demo-ic")
    add(
        IncidentSeveritySet(severity=1, reason="Imminence check: the child is at risk now."),
        case,
        70,
        "demo-ic",
    )
    add(DecisionRecorded(decision="D-1", text="Treat as imminent: report to NCMEC within 2 hours and contact "
                         "law enforcement for a welfare response", options=["Report within 2 hours",
                         "Report within the 24-hour internal target"], rationale="The stream shows ongoing "
                         "contact with a child; the account is active now.", reversible=False,
                         approvers=[DecisionApprover(person="demo-ic", role="commander")],
                         basis="18 U.S.C. 2258A(a)"), case, 69, "demo-ic")  # fmt: skip
    _emergency_disclosure(add)
    return out


#: the demo's waiting signals: (minutes ago, channel, ref, title, body, reporter, accounts)
WAITING: tuple[tuple[float, str, str | None, str, str, str, tuple[str, ...]], ...] = (
    (
        3,
        "le_portal",
        "NYPD-88213",
        "Emergency disclosure request: threat to life, tonight",
        "Detective K. Alvarez, NYPD 43rd Precinct. A user of your service posted that they will kill their "
        "ex-partner tonight. Imminent danger; we request subscriber information and recent login IPs for "
        "account @night_owl_88 under 18 U.S.C. 2702(c)(4).",
        "k.alvarez@nypd.example",
        ("@night_owl_88",),
    ),
    (
        12,
        "gifct",
        "GIFCT-IR-2291",
        "GIFCT incident-response alert: attack livestream hashes shared",
        "A livestreamed attack is circulating; 14 perceptual hashes were added to the hash-sharing database. "
        "Members are asked to check for copies and report removals.",
        "GIFCT IR desk",
        (),
    ),
    (
        25,
        "user_report",
        None,
        "Self-harm content from @mira_k escalated by review",
        "Reviewer escalation: the account posted a goodbye note and photos of pills an hour ago.",
        "review-queue",
        ("@mira_k",),
    ),
    (
        41,
        "press",
        "FT-1207",
        "Journalist asks about leaked direct messages of an MP",
        "A reporter says they hold screenshots of direct messages of a UK MP and asks for comment by 18:00 UK.",
        "j.hale@ft.example",
        (),
    ),
    (
        70,
        "detection",
        "DET-SPAM-5521",
        "Spike of spam invites from new accounts (x14 baseline)",
        "Anomaly detector: 14 times the usual rate of group invites from accounts under a day old, mostly AU.",
        "anomaly-detector",
        (),
    ),
)


def signals(end: datetime) -> list[dict[str, Any]]:
    """The intake of the last hours (docs/intake.md): the removal order and the emergency
    request of :func:`obligations` came in as signals and were promoted to their incidents
    (the request's portal sent it twice: a repeat); a police follow-up attached to the
    request; a test message dismissed; an Ofcom e-mail snoozed; and signals waiting for
    triage, the newest an emergency request that the urgent rules flag."""
    from data.engine.models import SignalTriaged
    from data.intake.signals import signal_drafts

    out: list[dict[str, Any]] = []

    def at(minutes_ago: float) -> str:
        return utc_text(end - timedelta(minutes=minutes_ago), ms=True)

    def receive(minutes_ago: float, channel: str, title: str, body: str, *, ref: str | None = None,
                reporter: str | None = None, accounts: Iterable[str] = (), sid: str | None = None,
                payload: bytes | None = None, raw_type: str = "application/json") -> str:  # fmt: skip
        if payload is None:
            fields = {"channel": channel, "ref": ref, "title": title, "body": body, "reporter": reporter}
            payload = orjson.dumps({k: v for k, v in fields.items() if v is not None})
        drafts = signal_drafts(channel=channel, title=title, body=body, payload=payload, raw_type=raw_type,
                               received_at=at(minutes_ago + 0.2), ref=ref, reporter=reporter,
                               accounts=list(accounts), signal=sid)  # fmt: skip
        for d in drafts:
            out.append(_written(replace(d, id=new_id(), ts=at(minutes_ago), actor="intake")))
        return str(drafts[0].as_input()["data"]["signal"])

    def triage(minutes_ago: float, actor: str, **data: Any) -> None:
        out.append(_written(Draft(SignalTriaged(**data), id=new_id(), ts=at(minutes_ago), actor=actor)))

    order = receive(23, "regulator", "Removal order TCO-NL-2026-0417 (Regulation (EU) 2021/784)",
                    "Removal order for three items; remove or disable access within one hour of receipt.",
                    ref="TCO-NL-2026-0417", reporter="tco-desk@politie.example")  # fmt: skip
    triage(21.9, "amara", signal=order, outcome="promoted", incident="DEMO-TCO")
    edr = receive(53, "le_portal", "Emergency request: welfare check, ref SPD-55120",
                  "Springfield PD asks for subscriber information for a welfare check; a named person is at risk.",
                  ref="SPD-55120", reporter="Springfield Police Department", accounts=["acct:48213907"])  # fmt: skip
    triage(51.9, "demo-ic", signal=edr, outcome="promoted", incident="DEMO-EDR")
    receive(47, "le_portal", "Emergency request: welfare check, ref SPD-55120 (sent again)",
            "Resubmitted by the portal.", ref="SPD-55120", reporter="Springfield Police Department")  # fmt: skip
    follow = receive(31, "le_email", "Re: SPD-55120: officers on their way to the address",
                     "Thank you. Officers are on their way; please keep the account preserved.",
                     ref="SPD-55120-2", reporter="sgt.miller@springfield-pd.example")  # fmt: skip
    triage(30, "demo-ic", signal=follow, outcome="attached", incident="DEMO-EDR")
    test = receive(180, "le_portal", "TEST - please ignore", "Portal vendor connectivity test.", ref="TEST-1")
    triage(175, "eli", signal=test, outcome="dismissed", reason="A connectivity test from the portal vendor.")
    eml = (b"From: Ofcom Online Safety <os-info@ofcom.example>\r\nTo: safety@platform.example\r\n"
           b"Subject: Information request under s.100 Online Safety Act\r\nDate: " +
           (end - timedelta(minutes=125)).strftime("%a, %d %b %Y %H:%M:%S +0000").encode() +
           b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease provide the information set out in the "
           b"attached notice within 10 working days.\r\n")  # fmt: skip
    ofcom = receive(125, "email", "Information request under s.100 Online Safety Act",
                    "Please provide the information set out in the attached notice within 10 working days.",
                    reporter="Ofcom Online Safety <os-info@ofcom.example>", payload=eml, raw_type="message/rfc822")  # fmt: skip
    triage(120, "eli", signal=ofcom, outcome="snoozed", until=utc_text(end + timedelta(hours=3), ms=True),
           reason="Not urgent: Legal picks it up with the morning shift.")  # fmt: skip
    for minutes, channel, ref, title, body, reporter, accounts in WAITING:
        receive(minutes, channel, title, body, ref=ref, reporter=reporter, accounts=accounts)
    return out


def _emergency_disclosure(add: Any) -> None:
    """An emergency data request worked end to end: verified out of band, the good-faith
    decision (docs/decisions.md), the answer drafted, reviewed by Legal and sent, and the
    disclosure in the ledger (docs/disclosures.md). ``add(data, incident, minutes_ago,
    actor)`` writes each event."""
    from data.disclosures.ledger import sha256_text
    from data.engine.models import IncidentOpened, TriggerAction

    edr, agency = "DEMO-EDR", "Springfield Police Department"
    add(IncidentOpened(title="EDR: welfare check request from police, ref SPD-55120", category="edr", severity=1,
                       source="law_enforcement", regions=["US"]), edr, 52, "demo-ic")  # fmt: skip
    add(IncidentRoleSet(role="commander", person="demo-ic"), edr, 51, "demo-ic")
    add(IncidentRoleSet(role="legal", person="fatima"), edr, 50, "demo-ic")
    add(TriggerAction(kind="request_verified", text="Verified by a call-back to the department's published number.",
                      ref="SPD-55120"), edr, 41, "demo-ic")  # fmt: skip
    add(DecisionRecorded(decision="D-1", text="Disclose the subscriber record and last login IPs of the named "
                         "account, nothing more", options=["Disclose now under 2702(c)(4)",
                         "Decline and ask for legal process"], rationale="Verified request; a stated threat "
                         "to a named person within hours; the data asked for locates the account holder.",
                         approvers=[DecisionApprover(person="demo-ic", role="commander"),
                                    DecisionApprover(person="fatima", role="legal")],
                         basis="18 U.S.C. 2702(c)(4)", reversible=False), edr, 36, "demo-ic")  # fmt: skip
    text = (f"To: {agency}\nRe: emergency disclosure request SPD-55120\n\nOn a good-faith belief that an "
            "emergency involving danger of death or serious physical injury requires disclosure without delay "
            "(18 U.S.C. 2702(c)(4)), we disclose the subscriber record and the last login IP addresses of the "
            "account named in your request. Any further data requires legal process.")  # fmt: skip
    add(ResponseDrafted(response="R-1", template="emergency-disclosure", agency=agency,
                        agency_type="law_enforcement", country="US", channel="LE portal", text=text),
        edr, 32, "demo-ic")  # fmt: skip
    add(ResponseReviewed(response="R-1", reviewer="fatima", verdict="approved"), edr, 28, "fatima")
    add(ResponseSent(response="R-1", sha256=sha256_text(text), channel="LE portal"), edr, 25, "demo-ic")
    add(DisclosureRecorded(categories=["subscriber", "ip_logs"], account="acct:48213907", agency=agency,
                           agency_type="law_enforcement", country="US", basis="18 U.S.C. 2702(c)(4)",
                           approved_by=["demo-ic", "fatima"], response="R-1"), edr, 24, "demo-ic")  # fmt: skip


def with_incident_ids(events: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The generator's incident ids replaced by warroom's (``INC-YYMMDD-TTRR``, from when
    each incident was opened), wherever an event names one."""
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for ev in events:
        if ev["type"] == "incident.opened" and ev["incident"] not in renamed:
            new = incident_id(parse_rfc3339(ev["ts"]), taken, rng)
            taken.add(new)
            renamed[ev["incident"]] = new
    for ev in events:
        if ev.get("incident") in renamed:
            ev["incident"] = renamed[ev["incident"]]
        if ev["type"] == "signal.triaged" and ev["data"].get("incident") in renamed:
            ev["data"]["incident"] = renamed[ev["data"]["incident"]]
        for entry in ev["data"].get("incidents") or ():  # a handoff's assessments
            if isinstance(entry, dict) and entry.get("incident") in renamed:
                entry["incident"] = renamed[entry["incident"]]
    return events


#: (median, spread) of the log-normal delays, in minutes, by severity: acknowledgement
#: (targets 5 m, 15 m, 4 h, 24 h: a few are missed) and resolution
ACK_MINUTES = {1: (2.5, 0.5), 2: (8, 0.5), 3: (40, 0.9), 4: (180, 1.0)}
RESOLVE_MINUTES = {1: (180, 0.6), 2: (480, 0.6), 3: (1800, 0.6), 4: (4300, 0.5)}
#: incidents opened per day, by category weight (a harassment wave in one week)
DAILY = 2.2


def history(gen: Generator, rng: random.Random, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Settled incidents opened between ``start`` and ``end``, each worked through its
    lifecycle (acknowledged by the region's on-call commander, triaged, contained,
    resolved, closed; a few false positives and re-gradings) with stakeholder updates on
    severity 1–2 at the policy's cadence, mostly on time. The SOP checklists are added by
    :func:`with_procedures`, as for the live part."""
    from data.engine.models import CATEGORIES
    from data.roster.rotation import Rotation, holder
    from data.sample import NOTES, ROTATIONS

    rotations = [Rotation.from_row(r) for r in ROTATIONS]
    out: list[dict[str, Any]] = []
    wave = start + timedelta(days=rng.uniform(14, 28))  # a harassment wave, a week long
    day = start
    while day < end:
        weights = [3 if c == "hate_harassment" and wave <= day < wave + timedelta(days=7) else 1
                   for c in CATEGORIES]  # fmt: skip
        for _ in range(_poisson(rng, DAILY * (1.8 if wave <= day < wave + timedelta(days=7) else 1))):
            opened = day + timedelta(seconds=rng.uniform(0, 86400))
            if opened >= end:
                continue
            out += _worked(
                gen, rng, rng.choices(CATEGORIES, weights)[0], opened, end, rotations, NOTES, holder
            )
        day += timedelta(days=1)
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    n, t = 0, rng.expovariate(1.0)
    while t < mean:
        n += 1
        t += rng.expovariate(1.0)
    return n


def _delay(rng: random.Random, median_sigma: tuple[float, float]) -> timedelta:
    median, sigma = median_sigma
    return timedelta(minutes=median * rng.lognormvariate(0, sigma))


def _worked(gen: Generator, rng: random.Random, category: str, opened: datetime, end: datetime,
            rotations: list[Any], notes: list[str], holder: Any) -> list[dict[str, Any]]:  # fmt: skip
    """One incident of the history, from opening to closing (all before ``end``)."""
    gen.now = opened
    ev = gen.open_incident(category)
    inc, d = ev["incident"], ev["data"]
    sev = d["severity"]
    lead = timedelta(minutes=rng.uniform(0.3, 2) if sev <= 2 else rng.uniform(1, 15))  # detected → opened
    t0 = opened - lead
    d["detected_at"] = utc_text(t0, ms=True)
    out = [{**ev, "ts": utc_text(opened, ms=True)}]

    def add(data: EventData, at: datetime, actor: str | None = None) -> None:
        out.append(
            _generated(gen, data, inc, actor, ts=utc_text(max(at, opened + timedelta(seconds=1)), ms=True))
        )

    ack = t0 + max(_delay(rng, ACK_MINUTES[sev]), lead + timedelta(seconds=rng.uniform(10, 40)))
    # the commander: who is on call in its region, else in any region (follow the sun)
    order = [rot for r in d["regions"] for rot in rotations if rot.region == r] + rotations
    commander = next((p for rot in order if (p := holder(rot, (), ack)[0]) is not None), None)
    commander = commander or rng.choice([m for rot in rotations for m in rot.members])
    add(IncidentRoleSet(role="commander", person=commander), ack, commander)
    add(
        IncidentStatusSet(status="triaged", reason="Triaged by the IC."),
        ack + timedelta(minutes=2),
        commander,
    )
    if rng.random() < 0.06:  # a false positive: closed at triage
        add(IncidentStatusSet(status="false_positive", reason="Not a policy violation."),
            ack + timedelta(minutes=rng.uniform(10, 60)), commander)  # fmt: skip
        return out
    resolved = min(t0 + _delay(rng, RESOLVE_MINUTES[sev]) + (ack - t0), end - timedelta(hours=2))
    resolved = max(resolved, ack + timedelta(minutes=20))
    span = resolved - ack
    if rng.random() < 0.4:
        add(IncidentRoleSet(role=rng.choice(["deputy", "scribe", "comms", "legal"]), person=rng.choice(HANDLES)),
            ack + span * 0.1)  # fmt: skip
    worked: tuple[tuple[float, Status], ...] = (
        (0.15, "investigating"),
        (0.45, "mitigating"),
        (0.75, "contained"),
    )
    for frac, status in worked:
        add(IncidentStatusSet(status=status, reason="Per the IC."), ack + span * frac, commander)
    if rng.random() < 0.08:  # re-graded while it is worked
        add(IncidentSeveritySet(severity=max(1, min(4, sev + rng.choice([-1, 1]))),
                                reason="Reach changed after the latest sweep."), ack + span * 0.3)  # fmt: skip
    for _ in range(rng.randint(1, 3)):
        add(IncidentNote(text=rng.choice(notes)), ack + span * rng.uniform(0.05, 0.95))
    add(IncidentStatusSet(status="resolved", reason="Per the IC."), resolved, commander)
    add(IncidentStatusSet(status="closed", reason="Post-mortem scheduled."),
        min(resolved + timedelta(hours=rng.uniform(1, 36)), end), commander)  # fmt: skip
    if sev <= 2:  # stakeholder updates at the cadence: every 20 minutes for 2 hours, then hourly
        at = opened + timedelta(minutes=rng.uniform(4, 14))
        while at < resolved:
            add(IncidentAction(kind=UPDATE_KIND, text=rng.choice(UPDATES)), at)
            early = at < t0 + timedelta(hours=2)
            late = rng.random() < 0.07  # now and then an update comes late
            at += timedelta(minutes=rng.uniform(21, 30) if late and early else rng.uniform(62, 80) if late
                            else rng.uniform(12, 19) if early else rng.uniform(40, 58))  # fmt: skip
    return out


PM_TEXTS: dict[PostmortemSection, str] = {
    "summary": "Severity {severity} {category} incident, detected by {source}; contained and resolved by the war room.",
    "impact": "Limited to the accounts named in the case file; no further exposure found in the sweep.",
    "root_cause": "A detection gap: the signal that would have caught it earlier was not routed to the queue.",
    "contributing_factors": "Night shift at minimum staffing; the runbook step was ambiguous.",
    "five_whys": "Why late? The alert went to a retired channel. Why? The routing table was not reviewed "
                 "after the reorganisation. Why? No owner for the table.",
    "went_well": "Verification out of band within minutes; Legal engaged at once.",
    "got_lucky": "The reporter followed up by phone.",
    "lessons": "Every routing change gets an owner and a test alert.",
}  # fmt: skip
PM_ACTIONS: tuple[tuple[PostmortemActionKind, str], ...] = (
    ("mitigate", "Route the detection signal to the war-room queue"),
    ("prevent", "Add a test alert to every routing change"),
    ("process", "Clarify the runbook step and review it each quarter"),
)


def postmortems(past: list[dict[str, Any]], rng: random.Random, end: datetime) -> list[dict[str, Any]]:
    """Post-mortems of the history's severity 1–2 incidents, as consoles write them
    (``postmortem.*``, docs/postmortem.md): sections, action items typed mitigate, prevent
    or process, the meeting (mostly within 3 calendar days for S1, 5 business days for
    S2), and a status that moves from draft to closed as the weeks pass."""
    opened: dict[str, dict[str, Any]] = {}
    resolved: dict[str, datetime] = {}
    for ev in past:
        if ev["type"] == "incident.opened":
            opened[ev["incident"]] = ev
        elif ev["type"] == "incident.status_set" and ev["data"]["status"] == "resolved":
            resolved.setdefault(ev["incident"], parse_rfc3339(ev["ts"]))
    out: list[dict[str, Any]] = []
    for incident, at in resolved.items():
        first = opened[incident]
        d = first["data"]
        if d["severity"] > 2:
            continue
        owner = first["actor"]
        t = at + timedelta(hours=rng.uniform(2, 20))

        def add(data: EventData, when: datetime, owner: str = owner, incident: str = incident) -> None:
            if when < end:
                out.append(
                    _written(
                        Draft(data, incident=incident, id=new_id(), ts=utc_text(when, ms=True), actor=owner)
                    )
                )

        add(PostmortemStatusSet(status="draft"), t)
        for n, (section, text) in enumerate(PM_TEXTS.items()):
            if rng.random() < 0.85:
                add(
                    PostmortemSectionSet(section=section, text=text.format(**d)),
                    t + timedelta(minutes=5 * (n + 1)),
                )
        add(PostmortemPinSet(event=first["id"], pinned=True), t + timedelta(minutes=50))
        for n, (kind, text) in enumerate(rng.sample(PM_ACTIONS, rng.randint(1, 3))):
            due = at + timedelta(weeks=4 if kind != "process" else 8)
            add(PostmortemActionAdded(action=f"a{n + 1}", kind=kind, text=text, owner=rng.choice(HANDLES),
                                      due=utc_text(due, ms=True)), t + timedelta(minutes=55 + n))  # fmt: skip
            if rng.random() < 0.6:
                add(
                    PostmortemActionSet(action=f"a{n + 1}", state="done"),
                    t + timedelta(days=rng.uniform(3, 30)),
                )
        limit = 3 if d["severity"] == 1 else 7  # calendar days (5 business days is 7 at most)
        meeting = at + timedelta(days=rng.uniform(0.8, limit * (1.25 if rng.random() < 0.12 else 0.9)))
        add(PostmortemMeeting(at=utc_text(meeting, ms=True), attendees=rng.sample(HANDLES, 3)),
            meeting + timedelta(hours=1))  # fmt: skip
        add(PostmortemStatusSet(status="in_review"), meeting + timedelta(hours=2))
        add(PostmortemStatusSet(status="reviewed"), meeting + timedelta(days=rng.uniform(1, 4)))
        add(PostmortemStatusSet(status="closed"), meeting + timedelta(days=rng.uniform(6, 20)))
    return out


HANDOFF_NOTES = (
    "Crisis protocol stood down at the end of the shift. Press deadline at 09:00 UTC on the media "
    "escalation; holding statement approved, not issued. Two preservation holds expire this week."
)


def handoffs(live: list[dict[str, Any]], rng: random.Random, actor: str = "demo-ic") -> list[dict[str, Any]]:
    """The shift handoffs of today (docs/handoff.md): each region's last one acknowledged
    about eight hours ago, and one submitted twenty minutes ago to the demo's commander
    (``actor``), by whoever is on call, waiting for the read-back."""
    from data.roster.rotation import Rotation, holder
    from data.sample import ROTATIONS

    last = parse_rfc3339(live[-1]["ts"])
    out: list[dict[str, Any]] = []

    def add(data: EventData, when: datetime, actor: str) -> None:
        out.append(_written(Draft(data, id=new_id(), ts=utc_text(when, ms=True), actor=actor)))

    rotations = [Rotation.from_row(r) for r in ROTATIONS]
    acked = last - timedelta(hours=8, minutes=30)
    for region in dict.fromkeys(r.region for r in rotations):  # one handoff a region
        mine = [r for r in rotations if r.region == region]
        rot = next((r for r in mine if holder(r, (), acked)[0]), mine[0])
        giver = holder(rot, (), acked)[0] or rot.members[0]
        taker = next(m for m in rot.members if m != giver)
        hid = f"HO-{rot.region}-DEMO-1"  # (the demo's times are fitted to now later: no time in ids)
        add(HandoffSubmitted.model_validate({"handoff": hid, "from": giver, "to": taker, "region": rot.region,
                                             "notes": "Quiet shift; nothing time-critical open."}),
            acked - timedelta(minutes=15), giver)  # fmt: skip
        add(HandoffAcknowledged(handoff=hid, readback="Nothing time-critical; I have it."), acked, taker)
    sent = last - timedelta(minutes=20)
    rot = next((r for r in rotations if holder(r, (), sent)[0]), rotations[0])
    giver = holder(rot, (), sent)[0] or rot.members[0]
    if giver == actor:  # the demo's actor is one of the colleagues: not a handoff to themselves
        giver = next(m for m in rot.members if m != actor)
    severity: dict[str, int] = {}
    settled: set[str] = set()
    for ev in live:
        if parse_rfc3339(ev["ts"]) > sent:
            break
        if ev["type"] in ("incident.opened", "incident.severity_set"):
            severity[ev["incident"]] = ev["data"]["severity"]
        elif ev["type"] == "incident.status_set" and ev["data"]["status"] in (*SETTLED, "closed"):
            settled.add(ev["incident"])
    active = sorted((s, i) for i, s in severity.items() if i not in settled)[:4]
    trends = ("unstable", "watch", "stable", "stable")
    summaries = ("Verification done; waiting on Legal's good-faith decision", "Contained; monitoring re-uploads",
                 "Steady; nothing due this shift", "Quiet since the last update; the next legal clock is tomorrow")  # fmt: skip
    entries = [
        {"incident": i, "trend": trends[n], "severity": s, "summary": summaries[n],
         "contingencies": ["If Legal approves, disclose the minimum over the LE portal and log it",
                           "If the requester cannot be verified by 06:00, decline and open a security incident"]
         if n == 0 else []}
        for n, (s, i) in enumerate(active)
    ]  # fmt: skip
    for e in entries:
        if not e["contingencies"]:
            del e["contingencies"]
    add(HandoffSubmission.model_validate({"handoff": f"HO-{rot.region}-DEMO-2", "from": giver, "to": actor,
                                          "region": rot.region, "notes": HANDOFF_NOTES,
                                          "shift_start": utc_text(acked, ms=True), "incidents": entries}),
        sent, giver)  # fmt: skip
    return out


def _sop_templates() -> dict[str, Any]:
    from data.procedures.sop import load_templates

    return dict(load_templates().templates)


def _opened_record(ev: dict[str, Any]) -> IncidentRecord:
    """The store row an ``incident.opened`` event gives (what :func:`with_procedures` needs
    of it: category, severity, regions and T0; the rest as a console would project it)."""
    d = ev["data"]
    return IncidentRecord(
        id=ev["incident"], title=d.get("title", ""), category=d["category"], severity=d["severity"],
        source=d.get("source", ""), regions=tuple(d["regions"]), summary=d.get("summary"),
        restricted=bool(d.get("restricted")), status="new", roles={}, detected_at=d.get("detected_at"),
        opened_at=ev["ts"], opened_by=ev["actor"], opened_seq=0, acknowledged_at=None, contained_at=None,
        resolved_at=None, closed_at=None, updated_at=ev["ts"], last_seq=0, events=1, last_update_at=None,
        acknowledged_severity=None, participants=(),
    )  # fmt: skip


def with_procedures(
    events: list[dict[str, Any]], rng: random.Random, *, cadence_written: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The history as consoles would have written it: each opened incident gets its SOP
    checklist, and a re-graded one the items that then apply (as a console adds them,
    through the same code), most items ticked done in time, a few late, those not yet
    due still open; severity 1–2 incidents get stakeholder updates about every
    20 minutes while they are worked on. The generator's own ad-hoc items are left out
    (the procedures replace them). ``cadence_written``: incidents whose stakeholder updates
    are already in ``events`` (none are added for them)."""
    from data.engine.models import parse_rfc3339
    from data.procedures.steps import TRIGGERS, sop_items

    templates = _sop_templates()
    end = parse_rfc3339(events[-1]["ts"])
    settled: dict[str, datetime] = {}  # when each incident was resolved or closed
    urgent: set[str] = set()  # severity 1 or 2 at some point
    for ev in events:
        if ev["type"] == "incident.status_set" and ev["data"]["status"] in SETTLED:
            settled.setdefault(ev["incident"], parse_rfc3339(ev["ts"]))
        if ev["type"] in ("incident.opened", "incident.severity_set") and ev["data"]["severity"] <= 2:
            urgent.add(ev["incident"])
    urgent.difference_update(cadence_written)
    extra: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    rows: dict[str, IncidentRecord] = {}  # each incident as the store would hold it
    have: dict[str, set[str]] = {}  # its checklist's item ids
    kept: dict[str, dict[str, _Item]] = {}  # its items, for re-timing and holds
    for ev in events:
        if ev["type"] in ("checklist.added", "checklist.set"):
            continue
        out.append(ev)
        if ev["type"] not in TRIGGERS:
            continue
        incident: str = ev["incident"]  # (every trigger is an incident's event)
        at0 = parse_rfc3339(ev["ts"])
        # what a console writes with this event: the procedure's items that now apply,
        # those a trigger starts, those a severity change re-times
        mine = kept.setdefault(incident, {})
        added = sop_items(
            templates, [ev], {incident: rows.get(incident)}, {incident: have.get(incident, set())}, at0,
            checklists={incident: [i.as_of(at0) for i in mine.values()]},
        )  # fmt: skip
        for n, draft in enumerate(added):
            if isinstance(draft.data, ChecklistRetimed):
                extra.append(_built(draft, at0 + timedelta(microseconds=500 + n), ev["actor"]))
                if draft.data.item in mine:
                    mine[draft.data.item] = replace(mine[draft.data.item], due=draft.data.due)
        added = [a for a in added if not isinstance(a.data, ChecklistRetimed)]
        d = ev["data"]
        if ev["type"] == "incident.opened":
            rows[incident] = _opened_record(ev)
        elif incident in rows:
            changed: dict[str, Any] = {
                k: tuple(d[k]) if k == "regions" else d[k]
                for k in ("category", "severity", "regions")
                if k in d
            }
            rows[incident] = replace(rows[incident], **changed)
        items = [a.data for a in added if isinstance(a.data, ChecklistAdded)]
        have.setdefault(incident, set()).update(i.item for i in items)
        for n, (draft, item) in enumerate(zip(added, items, strict=True)):
            at = at0 + timedelta(milliseconds=n + 1)
            extra.append(_built(draft, at, ev["actor"]))
            mine[item.item] = _Item.of(item)
            if item.item == UPDATE_ITEM:
                continue  # ticked by the first stakeholder update (below), as a console does
            due_text = item.due
            due = parse_rfc3339(due_text) if due_text else at + timedelta(hours=2)
            if isinstance(item, ChecklistStep) and item.hold:
                if due < end:  # a hold is released once it has ended, never before
                    when = due + timedelta(hours=rng.uniform(2, 30))
                    if when < end:
                        tick = Draft(ChecklistSet(item=item.item, state="done"), incident=incident)
                        extra.append(_built(tick, when, rng.choice(HANDLES)))
                        mine[item.item] = replace(mine[item.item], done_at=when)
                continue
            if due >= end and (rng.random() < 0.7 or (isinstance(item, ChecklistStep) and item.trigger)):
                continue  # not due yet: still open (an order's clock is shown running)
            if due <= at:  # due before it was added (detected long before): done late
                when = at + timedelta(minutes=rng.uniform(2, 40))
            elif rng.random() < 0.1:  # late
                when = due + (due - at) * rng.uniform(0.05, 0.3)
            else:
                when = at + (due - at) * rng.uniform(0.2, 0.95)
            when = min(when, end - timedelta(seconds=rng.uniform(5, 600)))
            if rng.random() < 0.97 and when > at:
                tick = Draft(ChecklistSet(item=item.item, state="done"), incident=incident)
                extra.append(_built(tick, when, rng.choice(HANDLES)))
                mine[item.item] = replace(mine[item.item], done_at=when)
        if ev["type"] != "incident.opened":
            continue
        opened = at0
        if incident in urgent:  # stakeholder updates while it is worked on
            at = opened + timedelta(minutes=rng.uniform(5, 15))
            while at < min(settled.get(incident, end), end):
                update = Draft(IncidentAction(kind=UPDATE_KIND, text=rng.choice(UPDATES)), incident=incident)
                extra.append(_built(update, at, rng.choice(HANDLES)))
                at += timedelta(minutes=rng.uniform(12, 21))
    merged = out + extra
    merged.sort(key=lambda e: e["ts"])  # one format, so the text sorts as the time does
    return _ticked_by_updates(merged)


@dataclass(frozen=True)
class _Item:
    """What :func:`with_procedures` keeps of an item it added, for the procedure
    (data/procedures/steps.py ``ItemLike``): when it was ticked done, if it was."""

    item: str
    due: str | None
    step: str | None = None
    trigger_kind: str | None = None
    trigger_at: str | None = None
    trigger_ref: str | None = None
    hold: bool = False
    done_at: datetime | None = None
    state: str = "open"

    @classmethod
    def of(cls, d: ChecklistAdded) -> _Item:
        if not isinstance(d, ChecklistStep):
            return cls(d.item, d.due)
        t = d.trigger
        return cls(d.item, d.due, d.step, t.kind if t else None, t.at if t else None, t.ref if t else None,
                   bool(d.hold))  # fmt: skip

    def as_of(self, at: datetime) -> _Item:
        """Its state at ``at`` (done once ticked)."""
        return replace(self, state="done" if self.done_at is not None and self.done_at <= at else "open")


def _ticked_by_updates(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The procedure's update item ticked done with the first stakeholder update recorded
    after it was added, in the same moment, as a console writes it (data/procedures/steps.py)."""
    added: set[str] = set()
    ticks = []
    for ev in events:
        incident: str = ev.get("incident") or ""
        if ev["type"] == "checklist.added" and ev["data"]["item"] == UPDATE_ITEM:
            added.add(incident)
        elif is_update(ev) and incident in added:
            added.discard(incident)
            at = parse_rfc3339(ev["ts"]) + timedelta(milliseconds=1)
            tick = Draft(ChecklistSet(item=UPDATE_ITEM, state="done", note=UPDATE_NOTE), incident=incident)
            ticks.append(_built(tick, at, ev["actor"]))
    merged = events + ticks
    merged.sort(key=lambda e: e["ts"])
    return merged


SETTLED = ("resolved", "closed", "false_positive")  # no more stakeholder updates
UPDATES = (
    "Update to Legal and leadership: status unchanged, next update in 20 minutes.",
    "Stakeholder update sent: containment in progress; no new exposure found.",
    "Update to comms and policy leads: holding statement ready, not issued.",
    "Leadership briefed on the current scope and the open legal clocks.",
)


def _written(draft: Draft) -> dict[str, Any]:
    """An event as the demo appends it: built through its model (:class:`Draft`, with its
    ``id``, ``ts`` and ``actor``), and ``v``. The history stays a list of dicts until it is
    written because its times are fitted to now and its incidents get their ids after it
    is made (``_fit_to_now``, ``with_incident_ids``); ``append_to`` validates it then."""
    return {"v": 1, **draft.as_input()}


def _built(item: Draft, at: datetime, actor: str) -> dict[str, Any]:
    return _written(replace(item, id=new_id(), ts=utc_text(at, ms=True), actor=actor))


def _generated(
    gen: Generator, data: EventData, incident: str | None, actor: str | None = None, *, ts: str | None = None
) -> dict[str, Any]:
    """An event built through its model on the generator's clock: its id and time (``ts``
    if given) and, unless ``actor`` is given, a colleague at random."""
    e = gen.event(data.TYPE, {}, incident, actor)
    return _written(Draft(data, incident=incident, id=e["id"], ts=ts or e["ts"], actor=e["actor"]))


def _fit_to_now(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history's times (and the due and detection times in it) made to end just now:
    squeezed if it ran past now, moved forward if it ended earlier."""
    from data.engine.models import parse_rfc3339

    first = parse_rfc3339(events[0]["ts"])
    last = parse_rfc3339(events[-1]["ts"])
    now = datetime.now(UTC) - timedelta(seconds=30)
    span = (last - first).total_seconds() or 1.0
    want = (now - first).total_seconds()
    scale = min(1.0, want / span)
    # a history shorter than the time since its start is moved forward to end now
    shift = (now - last) if scale == 1.0 else timedelta(0)

    def fit(ts: str) -> str:
        t = parse_rfc3339(ts)
        if t > last:  # a due time after the end keeps what is left of it (a year's hold)
            return utc_text(first + (last - first) * scale + shift + (t - last), ms=True)
        return utc_text(first + (t - first) * scale + shift, ms=True)

    for ev in events:
        ev["ts"] = fit(ev["ts"])
        data = ev["data"]
        for key in ("due", "detected_at", "at", "shift_start", "received_at", "until"):
            if isinstance(data.get(key), str):
                data[key] = fit(data[key])
        trigger = data.get("trigger")  # what started a procedure item's clock
        if isinstance(trigger, dict) and isinstance(trigger.get("at"), str):
            trigger["at"] = fit(trigger["at"])
    return events


#: how often a step of the simulator is a signal arriving rather than an incident's event
SIGNAL_CHANCE = 0.02
#: the signals the simulator sends: (channel, title, body)
ARRIVING: tuple[tuple[str, str, str], ...] = (
    ("user_report", "Harassment campaign against a streamer escalated by review",
     "Dozens of accounts are posting the streamer's home address."),
    ("detection", "Hash match on upload: known violent extremist video",
     "A perceptual hash from the shared database matched three uploads in the last ten minutes."),
    ("partner", "NGO flags a sextortion ring targeting teenagers",
     "A partner NGO reports a group of accounts contacting minors with the same script."),
    ("le_email", "Preservation request for an account, ref pending",
     "Please preserve the records of the account named in the attached letter for 90 days."),
    ("employee", "Employee reports a suspicious admin login",
     "An admin console login from an unknown device was noticed during on-call."),
    ("press", "Reporter asks about a viral deepfake of a politician",
     "A journalist asks whether the video was labelled or removed, deadline this afternoon."),
)  # fmt: skip


#: how often a step of the simulator is a colleague triaging one of its older signals
TRIAGE_CHANCE = 0.03
TRIAGED_AFTER = timedelta(minutes=10)
DISMISSALS = (
    "Routine: passed to the review queue.",
    "Not an incident: Support answers it.",
    "Handled by the on-call engineer; no incident needed.",
    "Already covered by an open incident's actions.",
)


class Simulator:
    """Writes a plausible event every few seconds, as other consoles would."""

    def __init__(self, journal: FileJournal, store: Store, *, seed: int | None = None) -> None:
        self.journal = journal
        self.store = store
        self.rng = random.Random(seed)
        self.gen = Generator(seed=self.rng.randint(1, 10**6))
        self.taken: set[str] | None = None  # the incident ids in the journal (read on the first step)
        self.gen.roster = lambda: iter(())  # type: ignore[method-assign]
        self.live: list[dict[str, Any]] = []
        self.errors = 0
        self.templates = _sop_templates()
        self.sop_items: dict[str, list[str]] = {}  # incident -> its SOP items not ticked yet
        self.sop_all: dict[str, set[str]] = {}  # incident -> all its SOP item ids
        self.severity: dict[str, int] = {}
        self.access: dict[str, tuple[Any, dict[str, str]]] = {}  # incident -> (Access, roles)
        self.arriving: list[tuple[str, str, str]] = []  # the signals still to send this round

    def next_events(self) -> list[dict[str, Any]]:
        """One step of another console: an incident opened (with its SOP checklist, as a
        console writes it), or one event on a live incident. As consoles do, the opener of a
        restricted incident takes part in it, and only those who may act on it write about
        it (data/engine/access.py)."""
        from data.engine.access import Access, may_act, roles_after

        out = []
        for ev in self._next_events():
            inc: str = ev.get("incident") or ""  # ("": the roster's events, never indexed)
            if ev["type"] == "incident.opened":
                restricted = bool(ev["data"].get("restricted"))
                self.access[inc] = (Access.of(inc, restricted, (), [ev["actor"]] if restricted else ()), {})
                out.append(ev)
                if restricted:
                    opener = IncidentParticipantAdded(person=ev["actor"], reason="opened it")
                    out.append(
                        _written(Draft(opener, incident=inc, id=new_id(), ts=ev["ts"], actor=ev["actor"]))
                    )
                continue
            if inc in self.access:
                access, roles = self.access[inc]
                if may_act(access, ev["actor"], ev["type"]) is not None:
                    ev["actor"] = self.rng.choice(
                        sorted(access.holders | access.participants) or [ev["actor"]]
                    )
                after = access.after(ev["type"], ev["data"], roles)
                self.access[inc] = (after, roles_after(roles, ev["type"], ev["data"]))
            out.append(ev)
        return out

    def _next_events(self) -> list[dict[str, Any]]:
        if self.rng.random() < SIGNAL_CHANCE:
            return self.next_signal()
        ev = self.next_event()
        if ev["type"] != "incident.opened":
            pending = self.sop_items.get(ev["incident"]) or []
            if not is_update(ev) or UPDATE_ITEM not in pending:
                return [ev]
            pending.remove(UPDATE_ITEM)  # an update ticks the procedure's update item, as a console does
            [tick] = update_ticks([ev], {ev["incident"]: {UPDATE_ITEM: "open"}})
            return [ev, _written(replace(tick, id=new_id(), ts=now_ts(), actor=ev["actor"]))]
        return [ev]  # its procedure's items: added as a console adds them (:meth:`with_procedure`)

    async def with_procedure(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``events`` and what the procedures add to them, through the one path the console
        and ``warroom append`` take (data/commands.py ``procedure_events``): an opened
        incident's items, a trigger's clocks, a re-timing; written by whoever wrote the
        event that called for them. The items someone will tick are noted."""
        from data.commands import procedure_events

        extra = await procedure_events(self.store, self.templates, events, datetime.now(UTC))
        by = {e.get("incident"): e["actor"] for e in events}
        out = list(events)
        for e in extra:
            out.append(
                {"v": 1, **e, "id": new_id(), "ts": now_ts(), "actor": by.get(e.get("incident"), "demo")}
            )
            d = e["data"]
            if e["type"] == "checklist.added":
                # the items someone ticks (a due time, not a hold) and the update item (an update ticks it)
                if (d.get("due") and not d.get("hold")) or d["item"] == UPDATE_ITEM:
                    self.sop_items.setdefault(e["incident"], []).append(d["item"])
                self.sop_all.setdefault(e["incident"], set()).add(d["item"])
            elif e["type"] == "checklist.set" and d["item"] in self.sop_items.get(e["incident"], ()):
                self.sop_items[e["incident"]].remove(d["item"])
        return out

    def next_signal(self) -> list[dict[str, Any]]:
        """A signal reaching the team, as ``warroom intake`` records one (docs/intake.md)."""
        from data.intake.signals import signal_drafts

        if not self.arriving:  # each of them once, in a new order, before any comes again
            self.arriving = self.rng.sample(ARRIVING, len(ARRIVING))
        channel, title, body = self.arriving.pop()
        ref = f"{channel[:3].upper()}-{self.rng.randint(10000, 99999)}"
        payload = orjson.dumps({"channel": channel, "ref": ref, "title": title, "body": body})
        drafts = signal_drafts(channel=channel, title=title, body=body, payload=payload, ref=ref,
                               raw_type="application/json", received_at=now_ts())  # fmt: skip
        return [_written(replace(d, id=new_id(), ts=now_ts(), actor="intake")) for d in drafts]

    def next_event(self) -> dict[str, Any]:
        rng = self.rng
        if not self.live or (len(self.live) < 6 and rng.random() < 0.08):
            ev = self.gen.open_incident()
            # warroom's id format (data/engine/ids.py), unique in the journal
            taken = self.taken if self.taken is not None else set()
            ev["incident"] = self.gen.incidents[-1]["id"] = incident_id(datetime.now(UTC), taken, rng)
            taken.add(ev["incident"])
            self.live.append(self.gen.incidents[-1])
        else:
            inc = rng.choice(self.live)
            pending = self.sop_items.get(inc["id"])
            if self.severity.get(inc["id"], 4) <= 2 and rng.random() < 0.2:  # the comms cadence
                ev = _generated(
                    self.gen, IncidentAction(kind=UPDATE_KIND, text=rng.choice(UPDATES)), inc["id"]
                )

            elif (others := [i for i in pending or () if i != UPDATE_ITEM]) and rng.random() < 0.3:
                item = others[0]  # someone ticks a procedure item (the update item: an update does)
                pending.remove(item)  # type: ignore[union-attr]
                ev = _generated(self.gen, ChecklistSet(item=item, state="done"), inc["id"])
            else:
                ev = self.gen.step(inc)
                if ev["type"] == "checklist.added" and ev["data"]["item"] in self.sop_all.get(inc["id"], ()):
                    ev = _generated(
                        self.gen, IncidentNote(text="Checked the procedure with the team."), inc["id"]
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

    async def triaged(self) -> list[dict[str, Any]]:
        """A colleague triages a signal the simulator sent that has waited a while: the
        waiting list moves as on a real shift (the demo's own signals wait for the user)."""
        from data.engine.models import SignalTriaged
        from data.triage.signals import open_signals, waiting

        now = datetime.now(UTC)
        mine = {title for _, title, _ in ARRIVING}
        old = [r for r in waiting(await open_signals(self.store), now)
               if r.title in mine and r.received_at is not None and now - r.received_at > TRIAGED_AFTER]  # fmt: skip
        if not old:
            return []
        sig = self.rng.choice(old)
        reason = self.rng.choice(DISMISSALS)
        data = SignalTriaged(signal=sig.signal, outcome="dismissed", reason=reason)
        return [_written(Draft(data, id=new_id(), ts=now_ts(), actor=self.rng.choice(HANDLES)))]

    async def run(self, *, min_delay: float = 2.0, max_delay: float = 5.0) -> None:
        if self.taken is None:
            self.taken = {r.id for r in await self.store.incidents()}
        while True:
            await asyncio.sleep(self.rng.uniform(min_delay, max_delay))
            try:
                events = await self.triaged() if self.rng.random() < TRIAGE_CHANCE else []
                await append_to(
                    self.journal, self.store, events or await self.with_procedure(self.next_events())
                )
            except Exception:  # the console shows write failures of its own; the
                self.errors += 1  # simulator only counts its own and carries on
