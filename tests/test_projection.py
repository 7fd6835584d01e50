"""The projection of the journal into the store: every event type, lifecycle times, role
and checklist history, every quarantine rule of the spec's "Bad lines", duplicates, unknown
types, chain breaks, and the digest's independence from how ingestion was split.

All against real files under tmp_path (journal.jsonl, store.db)."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest

from data.engine import schema as S
from data.engine.journal import FileJournal, Span
from data.engine.models import MAX_LINE_BYTES
from data.engine.projector import Item, Projector
from data.engine.store import IncidentRecord, Store
from data.incidents import queries as incident_queries
from data.roster import queries as roster_queries
from tests.helpers import (
    DROP,
    EventFactory,
    append_events,
    chain,
    encode,
    read_lines,
    sha256_hex,
    write_lines,
)

# --- helpers ----------------------------------------------------------------------------


async def ingest(path: Path, store: Store, items: list[dict[str, Any] | bytes]):  # type: ignore[no-untyped-def]
    """Append ``items`` (chained) to the journal and sync the store; the sync's result."""
    append_events(path, items)
    return await store.sync(FileJournal(path))


async def one_incident(store: Store, incident: str = "INC-1") -> IncidentRecord:
    rows = await store.incidents(incident)
    assert len(rows) == 1, rows
    return rows[0]


def mutate(ev: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``ev`` with the member at dotted ``path`` set (DROP removes it)."""
    out = copy.deepcopy(ev)
    *parents, last = path.split(".")
    target = out
    for p in parents:
        target = target[p]
    if value is DROP:
        del target[last]
    else:
        target[last] = value
    return out


# --- incident.opened --------------------------------------------------------------------


async def test_incidents_are_frozen_typed_rows_of_every_column(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    """``Store.incidents`` builds its rows positionally: their fields are the table's
    columns, in order, and they cannot be changed by whoever reads them."""
    assert [f.name for f in dataclasses.fields(IncidentRecord)] == [c.name for c in S.incidents.c]
    await ingest(tmp_journal, store, [make_event.opened("INC-7", regions=["AU"])])
    inc = await one_incident(store, "INC-7")
    assert isinstance(inc, IncidentRecord)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inc.status = "closed"  # type: ignore[misc]


async def test_opened_projects_every_field(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    ev = make_event.opened("INC-7", restricted=True, severity=1, regions=["AU", "global"])
    result = await ingest(tmp_journal, store, [ev])
    assert (result.lines, result.ingested, result.quarantined, result.chain_breaks) == (1, 1, 0, 0)
    inc = await one_incident(store, "INC-7")
    assert inc.title == ev["data"]["title"]
    assert inc.category == "csea"
    assert inc.severity == 1
    assert inc.source == "hash_match"
    assert inc.regions == ("AU", "global")
    assert inc.summary == ev["data"]["summary"]
    assert inc.restricted is True
    assert inc.status == "new"
    assert inc.roles == {}
    assert inc.detected_at == "2026-11-01T08:30:00Z"
    assert inc.opened_at == ev["ts"]
    assert inc.opened_by == "tester"
    assert inc.opened_seq == 1
    assert inc.updated_at == ev["ts"]
    assert inc.last_seq == 1
    assert inc.events == 1
    assert inc.acknowledged_at is None
    assert inc.contained_at is None
    assert inc.resolved_at is None
    assert inc.closed_at is None


async def test_opened_optional_members_default(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    ev = make_event(
        "incident.opened",
        {"title": "Spam surge", "category": "other", "severity": 4, "source": "employee", "regions": ["EU"]},
        "INC-2",
    )
    await ingest(tmp_journal, store, [ev])
    inc = await one_incident(store, "INC-2")
    assert inc.summary is None
    assert inc.detected_at is None
    assert inc.restricted is False
    assert inc.status == "new"


# --- incident.updated -------------------------------------------------------------------


async def test_updated_changes_only_given_members(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    opened = make_event.opened()
    upd = make_event(
        "incident.updated",
        {"title": "New title", "regions": ["EU"], "restricted": True, "category": "regulator"},
        "INC-1",
    )
    await ingest(tmp_journal, store, [opened, upd])
    inc = await one_incident(store)
    assert inc.title == "New title"
    assert inc.regions == ("EU",)
    assert inc.restricted is True
    assert inc.category == "regulator"
    # not given: unchanged
    assert inc.summary == opened["data"]["summary"]
    assert inc.source == opened["data"]["source"]
    assert inc.severity == opened["data"]["severity"]
    assert inc.status == "new"
    assert inc.updated_at == upd["ts"]
    assert inc.last_seq == 2
    assert inc.events == 2
    assert inc.opened_at == opened["ts"]


async def test_updated_summary_null_clears_it(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    await ingest(
        tmp_journal,
        store,
        [make_event.opened(), make_event("incident.updated", {"summary": None, "source": "media"}, "INC-1")],
    )
    inc = await one_incident(store)
    assert inc.summary is None
    assert inc.source == "media"


# --- incident.severity_set --------------------------------------------------------------


async def test_severity_set(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    sev = make_event("incident.severity_set", {"severity": 1, "reason": "Reach grew"}, "INC-1")
    await ingest(tmp_journal, store, [make_event.opened(severity=3), sev])
    inc = await one_incident(store)
    assert inc.severity == 1
    assert inc.updated_at == sev["ts"]
    assert inc.events == 2
    # severity alone does not acknowledge
    assert inc.acknowledged_at is None
    tl = await incident_queries.timeline(store, "INC-1")
    assert [r.type for r in tl] == ["incident.opened", "incident.severity_set"]
    assert tl[1].data == {"severity": 1, "reason": "Reach grew"}


# --- incident.status_set and lifecycle times --------------------------------------------


async def test_status_set_lifecycle_times(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    opened = e.opened()
    triaged = e.status("INC-1", "triaged")
    investigating = e.status("INC-1", "investigating")
    contained = e.status("INC-1", "contained")
    monitoring = e.status("INC-1", "monitoring")
    resolved = e.status("INC-1", "resolved")
    closed = e.status("INC-1", "closed")
    journal = FileJournal(tmp_journal)

    append_events(tmp_journal, [opened, triaged])
    await store.sync(journal)
    inc = await one_incident(store)
    assert inc.status == "triaged"
    assert inc.acknowledged_at == triaged["ts"]  # first change out of `new`

    append_events(tmp_journal, [investigating, contained, monitoring])
    await store.sync(journal)
    inc = await one_incident(store)
    assert inc.status == "monitoring"
    assert inc.acknowledged_at == triaged["ts"]  # the first, not the latest
    assert inc.contained_at == contained["ts"]  # kept through monitoring
    assert inc.resolved_at is None
    assert inc.closed_at is None

    append_events(tmp_journal, [resolved, closed])
    await store.sync(journal)
    inc = await one_incident(store)
    assert inc.status == "closed"
    assert inc.contained_at == contained["ts"]
    assert inc.resolved_at == resolved["ts"]
    assert inc.closed_at == closed["ts"]
    assert inc.events == 7
    assert inc.last_seq == 7


async def test_reopen_clears_later_lifecycle_times(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    opened, triaged = e.opened(), e.status("INC-1", "triaged")
    contained, resolved, closed = (
        e.status("INC-1", "contained"),
        e.status("INC-1", "resolved"),
        e.status("INC-1", "closed"),
    )
    reopened = e.status("INC-1", "investigating")
    await ingest(tmp_journal, store, [opened, triaged, contained, resolved, closed, reopened])
    inc = await one_incident(store)
    assert inc.status == "investigating"
    assert inc.contained_at is None
    assert inc.resolved_at is None
    assert inc.closed_at is None
    assert inc.acknowledged_at == triaged["ts"]  # acknowledgement is never undone

    # contained again: the new time, not the old one
    contained2 = e.status("INC-1", "contained")
    await ingest(tmp_journal, store, [contained2])
    inc = await one_incident(store)
    assert inc.contained_at == contained2["ts"]
    assert inc.resolved_at is None


async def test_reopen_from_closed_to_monitoring_keeps_contained(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    contained = e.status("INC-1", "contained")
    resolved = e.status("INC-1", "resolved")
    await ingest(
        tmp_journal,
        store,
        [e.opened(), contained, resolved, e.status("INC-1", "closed"), e.status("INC-1", "monitoring")],
    )
    inc = await one_incident(store)
    assert inc.status == "monitoring"
    assert inc.contained_at == contained["ts"]
    assert inc.resolved_at is None
    assert inc.closed_at is None


async def test_terminal_statuses_set_closed_at(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    fp = e.status("INC-1", "false_positive")
    merged = e.status("INC-2", "merged")
    await ingest(tmp_journal, store, [e.opened("INC-1"), e.opened("INC-2"), fp, merged])
    inc1, inc2 = await one_incident(store, "INC-1"), await one_incident(store, "INC-2")
    assert inc1.closed_at == fp["ts"]
    assert inc1.acknowledged_at == fp["ts"]
    assert inc2.closed_at == merged["ts"]


async def test_status_set_new_does_not_acknowledge(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    await ingest(tmp_journal, store, [e.opened(), e.status("INC-1", "new")])
    inc = await one_incident(store)
    assert inc.status == "new"
    assert inc.acknowledged_at is None


# --- incident.role_set and role history -------------------------------------------------


async def test_role_set_with_person_acknowledges(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    clear = e.role("INC-1", "commander", None)  # clearing an empty role: not an acknowledgement
    await ingest(tmp_journal, store, [e.opened(), clear])
    assert (await one_incident(store)).acknowledged_at is None

    set_ = e.role("INC-1", "scribe", "dana")
    later = e.status("INC-1", "triaged")
    await ingest(tmp_journal, store, [set_, later])
    inc = await one_incident(store)
    assert inc.acknowledged_at == set_["ts"]
    assert inc.roles == {"scribe": "dana"}


async def test_role_history_start_and_end(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    opened = e.opened()
    amara = e.role("INC-1", "commander", "amara", actor="kofi")  # line 2
    ben = e.role("INC-1", "legal", "ben")  # line 3
    eli = e.role("INC-1", "commander", "eli", actor="amara")  # line 4: replaces amara
    eli_again = e.role("INC-1", "commander", "eli")  # line 5: same person, no change
    cleared = e.role("INC-1", "commander", None, actor="hugo")  # line 6
    await ingest(tmp_journal, store, [opened, amara, ben, eli, eli_again, cleared])

    inc = await one_incident(store)
    assert inc.roles == {"legal": "ben"}
    assert inc.acknowledged_at == amara["ts"]
    assert inc.events == 6  # every applied event counts, the no-op one too

    hist = await incident_queries.role_history(store, "INC-1")
    rows = [
        (
            r.role,
            r.person,
            r.start_seq,
            r.start_ts,
            r.start_actor,
            r.end_seq,
            r.end_ts,
            r.end_actor,
        )
        for r in hist
    ]
    assert rows == [
        ("commander", "amara", 2, amara["ts"], "kofi", 4, eli["ts"], "amara"),
        ("legal", "ben", 3, ben["ts"], "tester", None, None, None),
        ("commander", "eli", 4, eli["ts"], "amara", 6, cleared["ts"], "hugo"),
    ]
    assert all(r.incident == "INC-1" for r in hist)


async def test_role_history_across_syncs(
    tmp_journal: Path, tmp_store: Path, make_event: EventFactory
) -> None:
    """The open role is found in the store by a later sync (a fresh Store object)."""
    e = make_event
    journal = FileJournal(tmp_journal)
    append_events(tmp_journal, [e.opened(), e.role("INC-1", "comms", "dana")])
    async with await Store.open(tmp_store) as s:
        await s.sync(journal)
    replace = e.role("INC-1", "comms", "fatima")
    append_events(tmp_journal, [replace])
    async with await Store.open(tmp_store) as s:
        await s.sync(journal)
        hist = await incident_queries.role_history(s, "INC-1")
        inc = await one_incident(s)
    assert [(r.person, r.start_seq, r.end_seq) for r in hist] == [
        ("dana", 2, 3),
        ("fatima", 3, None),
    ]
    assert inc.roles == {"comms": "fatima"}


# --- incident.note and incident.action --------------------------------------------------


async def test_note_and_action_are_timeline_entries(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    note = e(
        "incident.note", {"text": "Called the officer back; verified.", "pinned": True}, "INC-1", actor="eli"
    )
    action = e(
        "incident.action",
        {"kind": "report_filed", "text": "Filed the report.", "ref": "CT-12345678"},
        "INC-1",
    )
    await ingest(tmp_journal, store, [e.opened(), note, action])
    inc = await one_incident(store)
    assert inc.events == 3
    assert inc.updated_at == action["ts"]
    assert inc.last_seq == 3
    assert inc.status == "new"
    assert inc.acknowledged_at is None
    tl = await incident_queries.timeline(store, "INC-1")
    assert [(r.seq, r.type, r.id, r.actor, r.ts) for r in tl] == [
        (1, "incident.opened", tl[0].id, "tester", tl[0].ts),
        (2, "incident.note", note["id"], "eli", note["ts"]),
        (3, "incident.action", action["id"], "tester", action["ts"]),
    ]
    assert tl[1].data == {"text": "Called the officer back; verified.", "pinned": True}
    assert tl[2].data == {"kind": "report_filed", "text": "Filed the report.", "ref": "CT-12345678"}
    assert all(r.incident == "INC-1" for r in tl)


async def test_timeline_is_per_incident_in_journal_order(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    await ingest(
        tmp_journal,
        store,
        [
            e.opened("INC-1"),
            e.opened("INC-2"),
            e.note("INC-2", "b1"),
            e.note("INC-1", "a1"),
            e.note("INC-2", "b2"),
        ],
    )
    assert [r.data.get("text") for r in await incident_queries.timeline(store, "INC-2")] == [None, "b1", "b2"]
    assert [r.seq for r in await incident_queries.timeline(store, "INC-1")] == [1, 4]
    assert [r.seq for r in await incident_queries.timeline(store)] == [1, 2, 3, 4, 5]


# --- checklist.added and checklist.set --------------------------------------------------


async def test_checklist_added_and_set_with_history(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    added = e.item("INC-1", "verify", "Verify the requester out of band", "le_response",
                   due="2026-11-01T10:00:00Z", basis="18 U.S.C. 2702(b)(8)", template="edr@1")  # fmt: skip
    other = e.item("INC-1", "legal", "Good-faith decision", "legal")
    blocked = e(
        "checklist.set",
        {"item": "verify", "state": "blocked", "note": "Officer unreachable"},
        "INC-1",
        actor="eli",
    )
    done = e("checklist.set", {"item": "verify", "state": "done"}, "INC-1", actor="amara")
    skipped = e.set_item("INC-1", "legal", "skipped", "No US nexus")
    await ingest(tmp_journal, store, [e.opened(), added, other, blocked, done, skipped])

    items = {r.item: r for r in await incident_queries.checklist(store, "INC-1")}
    assert list(items) == ["verify", "legal"]  # in the order they were added
    v = items["verify"]
    assert (v.text, v.team, v.due, v.basis, v.template) == (
        "Verify the requester out of band", "le_response", "2026-11-01T10:00:00Z", "18 U.S.C. 2702(b)(8)", "edr@1",
    )  # fmt: skip
    assert (v.state, v.note, v.state_by, v.state_at) == ("done", None, "amara", done["ts"])
    assert (v.added_seq, v.added_by, v.added_at) == (2, "tester", added["ts"])
    lg = items["legal"]
    assert (lg.state, lg.note) == ("skipped", "No US nexus")
    assert (lg.due, lg.basis, lg.template) == (None, None, None)

    hist = await incident_queries.checklist_history(store, "INC-1")
    assert [(h.seq, h.item, h.state, h.note, h.actor, h.ts) for h in hist] == [
        (4, "verify", "blocked", "Officer unreachable", "eli", blocked["ts"]),
        (5, "verify", "done", None, "amara", done["ts"]),
        (6, "legal", "skipped", "No US nexus", "tester", skipped["ts"]),
    ]
    inc = await one_incident(store)
    assert inc.events == 6


async def test_checklist_rows_are_the_projectors_frozen_items(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    """One type for a checklist item, written and read: a state set makes a new one."""
    e = make_event
    await ingest(tmp_journal, store, [e.opened(), e.item("INC-1", "a"), e.set_item("INC-1", "a", "done")])
    (row,) = await incident_queries.checklist(store, "INC-1")
    assert type(row) is Item and row.state == "done"
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.state = "open"  # type: ignore[misc]
    again = row.set_to("blocked", "waiting", "eli", "2026-11-01T10:00:00Z")
    assert (again.state, again.note, again.state_by, again.state_at) == (
        "blocked",
        "waiting",
        "eli",
        "2026-11-01T10:00:00Z",
    )
    assert (again.item, again.added_seq, row.state, row.note) == ("a", 2, "done", None)


async def test_checklist_new_item_is_open(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    await ingest(tmp_journal, store, [e.opened(), e.item("INC-1", "a")])
    (row,) = await incident_queries.checklist(store, "INC-1")
    assert (row.state, row.note, row.state_by, row.state_at) == ("open", None, None, None)
    assert await incident_queries.checklist_history(store, "INC-1") == []


async def test_checklist_items_are_per_incident(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    """The same item id in two incidents is two items."""
    e = make_event
    r = await ingest(tmp_journal, store, [e.opened("INC-1"), e.opened("INC-2"), e.item("INC-1", "a"), e.item("INC-2", "a"),
                                          e.set_item("INC-2", "a", "done")])  # fmt: skip
    assert r.quarantined == 0
    assert [(x.incident, x.state) for x in await incident_queries.checklist(store)] == [
        ("INC-1", "open"),
        ("INC-2", "done"),
    ]


# --- roster -----------------------------------------------------------------------------


async def test_roster_person_and_update(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    await ingest(tmp_journal, store, [
        e.person("amara"),
        e.person("dana", name="Dana Whitfield", team="comms", region="UK", tz="Europe/London"),
        e.person("amara", name="Amara O.", tz="America/Chicago"),
    ])  # fmt: skip
    people = {p.handle: p for p in await roster_queries.people(store)}
    assert set(people) == {"amara", "dana"}
    assert (people["amara"].name, people["amara"].tz, people["amara"].seq) == (
        "Amara O.",
        "America/Chicago",
        3,
    )
    assert people["amara"].team == "emergency_response"
    d = people["dana"]
    assert (d.name, d.team, d.region, d.tz, d.seq) == (
        "Dana Whitfield",
        "comms",
        "UK",
        "Europe/London",
        2,
    )


async def test_roster_rotation_and_replacement(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    await ingest(tmp_journal, store, [
        e.rotation("us-ic"),
        e.rotation("uk-ic", region="UK", tz="Europe/London", days=["mon"], start="07:00", hours=9.5,
                   members=["hugo"], anchor="2026-01-05", turn_days=14),
        e.rotation("us-ic", members=["jonah", "amara", "eli"], start="09:30"),
    ])  # fmt: skip
    rots = {r.rotation: r for r in await roster_queries.rotations(store)}
    us = rots["us-ic"]
    assert us.members == ("jonah", "amara", "eli")
    assert us.start == "09:30"
    assert us.days == ("mon", "tue", "wed")
    assert us.hours == 12.0
    assert us.turn_days == 7  # the default
    assert us.seq == 3
    uk = rots["uk-ic"]
    assert (uk.region, uk.tz, uk.days, uk.hours, uk.members, uk.anchor, uk.turn_days) == (
        "UK", "Europe/London", ("mon",), 9.5, ("hugo",), "2026-01-05", 14,
    )  # fmt: skip


async def test_roster_override(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    ov = e("roster.override", {"rotation": "us-ic", "person": "ben", "start": "2026-11-02T08:00:00-05:00",
                               "end": "2026-11-02T20:00:00-05:00", "reason": "swap"}, actor="amara")  # fmt: skip
    ov2 = e("roster.override", {"rotation": "us-ic", "person": "eli", "start": "2026-11-03T08:00:00Z",
                                "end": "2026-11-03T09:00:00Z"})  # fmt: skip
    await ingest(tmp_journal, store, [e.rotation("us-ic"), ov, ov2])
    rows = await roster_queries.overrides(store)
    assert [(r.seq, r.rotation, r.person, r.start, r.end, r.reason, r.actor, r.ts) for r in rows] == [
        (
            2,
            "us-ic",
            "ben",
            "2026-11-02T08:00:00-05:00",
            "2026-11-02T20:00:00-05:00",
            "swap",
            "amara",
            ov["ts"],
        ),
        (3, "us-ic", "eli", "2026-11-03T08:00:00Z", "2026-11-03T09:00:00Z", None, "tester", ov2["ts"]),
    ]


# --- handoffs ---------------------------------------------------------------------------


async def test_handoff_submitted_and_acknowledged(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    sub = e(
        "handoff.submitted",
        {"handoff": "h1", "from": "hugo", "to": "isla", "region": "UK", "notes": "INC-1 waits on Legal."},
        actor="hugo",
    )
    ack = e("handoff.acknowledged", {"handoff": "h1", "readback": "Legal on INC-1, got it."}, actor="isla")
    await ingest(tmp_journal, store, [sub])
    (row,) = await incident_queries.handoffs(store)
    assert (row.handoff, row.from_person, row.to_person, row.region, row.notes) == (
        "h1", "hugo", "isla", "UK", "INC-1 waits on Legal.",
    )  # fmt: skip
    assert (row.submitted_by, row.submitted_at, row.submitted_seq) == ("hugo", sub["ts"], 1)
    assert (row.readback, row.acknowledged_by, row.acknowledged_at, row.acknowledged_seq) == (None,) * 4

    await ingest(tmp_journal, store, [ack])
    (row,) = await incident_queries.handoffs(store)
    assert (row.readback, row.acknowledged_by, row.acknowledged_at, row.acknowledged_seq) == (
        "Legal on INC-1, got it.", "isla", ack["ts"], 2,
    )  # fmt: skip
    assert row.notes == "INC-1 waits on Legal."  # the submission is kept


async def test_unscoped_events_are_not_in_incident_timelines(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    r = await ingest(
        tmp_journal,
        store,
        [
            e.person(),
            e.opened(),
            e("handoff.submitted", {"handoff": "h", "from": "a", "to": "b", "notes": ""}),
        ],
    )
    assert r.ingested == 3
    assert [x.type for x in await incident_queries.timeline(store)] == ["incident.opened"]


# --- unknown types ----------------------------------------------------------------------


async def test_unknown_types_are_stored_not_applied(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    pm = e("postmortem.drafted", {"doc": "PM-1"}, "INC-404")  # scoped, incident never opened: still fine
    inc_ext = e("incident.merged_into", {"target": "INC-2"}, "INC-1")  # an unknown incident.* type
    bot = e("bot.heartbeat", {"ok": True, "n": 1.5})
    opened = e.opened()
    result = await ingest(tmp_journal, store, [pm, opened, inc_ext, bot])
    assert (result.lines, result.ingested, result.unknown, result.quarantined) == (4, 1, 3, 0)
    unknown = await store.unknown_events()
    assert [(u.seq, u.id, u.type, u.actor, u.ts) for u in unknown] == [
        (1, pm["id"], "postmortem.drafted", "tester", pm["ts"]),
        (3, inc_ext["id"], "incident.merged_into", "tester", inc_ext["ts"]),
        (4, bot["id"], "bot.heartbeat", "tester", bot["ts"]),
    ]
    # not applied: no incident INC-404, INC-1 unchanged, not in the timeline
    assert await store.incidents("INC-404") == []
    inc = await one_incident(store)
    assert inc.events == 1
    assert inc.last_seq == 2
    assert [r.type for r in await incident_queries.timeline(store)] == ["incident.opened"]
    assert (await store.status()).counters["unknown"] == 3


async def test_unknown_type_still_needs_a_valid_envelope(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    v2 = mutate(e("bot.heartbeat", {}), "v", 2)
    no_incident = e("postmortem.drafted", {"doc": "x"})  # scoped type without an incident
    data_list = mutate(e("bot.heartbeat", {}), "data", [1])
    result = await ingest(tmp_journal, store, [v2, no_incident, data_list])
    assert (result.unknown, result.quarantined) == (0, 3)
    reasons = [q.reason for q in await store.quarantine()]
    assert reasons[0].startswith("v:")
    assert reasons[1].startswith("incident:")
    assert reasons[2].startswith("data:")


# --- duplicates -------------------------------------------------------------------------


async def test_duplicate_ids_are_skipped_and_counted(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    opened = e.opened()
    note = e.note("INC-1", "first")
    dup_note = {**e.note("INC-1", "second, same id"), "id": note["id"]}
    dup_open = {**e.opened("INC-9"), "id": opened["id"]}  # a different event with a seen id
    result = await ingest(tmp_journal, store, [opened, note, dup_note, dup_open])
    assert (result.lines, result.ingested, result.duplicates, result.quarantined) == (4, 2, 2, 0)
    tl = await incident_queries.timeline(store, "INC-1")
    assert [r.data.get("text") for r in tl] == [None, "first"]
    assert await store.incidents("INC-9") == []
    assert (await one_incident(store)).events == 2

    # a duplicate in a later sync is still a duplicate (and an unknown type's id counts as seen)
    unknown = e("bot.ping", {})
    result = await ingest(
        tmp_journal,
        store,
        [{**e.note("INC-1", "third"), "id": note["id"]}, unknown, {**e("bot.ping", {}), "id": unknown["id"]}],
    )
    assert (result.ingested, result.duplicates, result.unknown) == (0, 2, 1)
    assert (await store.status()).counters["duplicates"] == 4
    assert len(await incident_queries.timeline(store, "INC-1")) == 2


async def test_quarantined_line_id_does_not_count_as_seen(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    bad_open = mutate(e.opened(), "data.severity", 9)  # quarantined for its shape
    good_open = {**e.opened(), "id": bad_open["id"]}
    early_note = e.note("INC-1", "too early")  # quarantined for what it says (never opened)
    late_note = {**e.note("INC-1", "now it is open"), "id": early_note["id"]}
    result = await ingest(tmp_journal, store, [bad_open, early_note, good_open, late_note])
    assert (result.quarantined, result.duplicates, result.ingested) == (2, 0, 2)
    assert [q.line for q in await store.quarantine()] == [1, 2]
    tl = await incident_queries.timeline(store, "INC-1")
    assert [(r.seq, r.id) for r in tl] == [(3, bad_open["id"]), (4, early_note["id"])]


# --- bad lines: every quarantine rule ---------------------------------------------------

_E = EventFactory(prefix="base")
_OPENED = _E.opened("INC-1")
_NOTE = _E.note("INC-1", "x")
_ITEM = _E.item("INC-1", "verify")
_SET = _E.set_item("INC-1", "verify", "done")
_STATUS = _E.status("INC-1", "triaged")
_ROLE = _E.role("INC-1", "commander", "amara")
_ACTION = _E("incident.action", {"kind": "k", "text": "t"}, "INC-1")
_PERSON = _E.person("amara")
_ROTATION = _E.rotation("us-ic")
_OVERRIDE = _E(
    "roster.override",
    {"rotation": "us-ic", "person": "ben", "start": "2026-11-02T08:00:00Z", "end": "2026-11-02T20:00:00Z"},
)
_HANDOFF = _E("handoff.submitted", {"handoff": "h1", "from": "a", "to": "b", "notes": "n"})
_ACK = _E("handoff.acknowledged", {"handoff": "h1", "readback": "r"})

# (test id, the bad event built from a valid one, a string the reason must contain (the member))
SHAPE_CASES: list[tuple[str, dict[str, Any], str]] = [
    # wrong JSON type
    ("severity-float", mutate(_OPENED, "data.severity", 1.0), "data.severity"),
    ("severity-string", mutate(_OPENED, "data.severity", "1"), "data.severity"),
    ("severity-bool", mutate(_OPENED, "data.severity", True), "data.severity"),
    ("v-true", mutate(_OPENED, "v", True), "v:"),
    ("v-float", mutate(_OPENED, "v", 1.0), "v:"),
    ("v-string", mutate(_OPENED, "v", "1"), "v:"),
    ("id-int", mutate(_OPENED, "id", 5), "id:"),
    ("ts-int", mutate(_OPENED, "ts", 0), "ts:"),
    ("actor-int", mutate(_OPENED, "actor", 7), "actor:"),
    ("type-int", mutate(_OPENED, "type", 5), "type:"),
    ("data-list", mutate(_OPENED, "data", []), "data"),
    ("prev-int", mutate(_OPENED, "prev", 5), "prev:"),
    ("regions-string", mutate(_OPENED, "data.regions", "US"), "data.regions"),
    ("restricted-int", mutate(_OPENED, "data.restricted", 1), "data.restricted"),
    ("pinned-string", mutate(_NOTE, "data.pinned", "yes"), "data.pinned"),
    ("updated-title-null", _E("incident.updated", {"title": None}, "INC-1"), "data.title"),
    ("hours-bool", mutate(_ROTATION, "data.hours", True), "data.hours"),
    # out of vocabulary
    ("category", mutate(_OPENED, "data.category", "spam"), "data.category"),
    ("source", mutate(_OPENED, "data.source", "twitter"), "data.source"),
    ("region", mutate(_OPENED, "data.regions", ["US", "FR"]), "data.regions"),
    ("status", mutate(_STATUS, "data.status", "done"), "data.status"),
    ("role", mutate(_ROLE, "data.role", "boss"), "data.role"),
    ("team", mutate(_ITEM, "data.team", "marketing"), "data.team"),
    ("state", mutate(_SET, "data.state", "finished"), "data.state"),
    ("weekday", mutate(_ROTATION, "data.days", ["monday"]), "data.days"),
    ("person-region", mutate(_PERSON, "data.region", "Mars"), "data.region"),
    ("severity-0", mutate(_OPENED, "data.severity", 0), "data.severity"),
    ("severity-5", mutate(_OPENED, "data.severity", 5), "data.severity"),
    # length limits
    ("title-empty", mutate(_OPENED, "data.title", ""), "data.title"),
    ("title-201", mutate(_OPENED, "data.title", "t" * 201), "data.title"),
    ("summary-8001", mutate(_OPENED, "data.summary", "s" * 8001), "data.summary"),
    ("regions-empty", mutate(_OPENED, "data.regions", []), "data.regions"),
    ("note-empty", mutate(_NOTE, "data.text", ""), "data.text"),
    ("note-8001", mutate(_NOTE, "data.text", "n" * 8001), "data.text"),
    ("item-33", mutate(_ITEM, "data.item", "i" * 33), "data.item"),
    ("item-text-2001", mutate(_ITEM, "data.text", "c" * 2001), "data.text"),
    ("action-kind-65", mutate(_ACTION, "data.kind", "k" * 65), "data.kind"),
    ("id-65", mutate(_OPENED, "id", "x" * 65), "id:"),
    ("id-empty", mutate(_OPENED, "id", ""), "id:"),
    ("id-bad-char", mutate(_OPENED, "id", "a b"), "id:"),
    ("incident-33", mutate(_OPENED, "incident", "I" * 33), "incident:"),
    ("incident-lowercase", mutate(_OPENED, "incident", "inc-1"), "incident:"),
    ("actor-65", mutate(_OPENED, "actor", "a" * 65), "actor:"),
    ("actor-empty", mutate(_OPENED, "actor", ""), "actor:"),
    ("actor-control", mutate(_OPENED, "actor", "a\x07b"), "actor:"),
    ("person-handle-newline", mutate(_ROLE, "data.person", "a\nb"), "data.person"),
    ("ts-no-offset", mutate(_OPENED, "ts", "2026-11-01T09:00:00"), "ts:"),
    ("ts-month-13", mutate(_OPENED, "ts", "2026-13-01T09:00:00Z"), "ts:"),
    ("due-not-a-time", mutate(_ITEM, "data.due", "tomorrow"), "data.due"),
    ("prev-uppercase-hex", mutate(_OPENED, "prev", "A" * 64), "prev:"),
    ("start-hhmm", mutate(_ROTATION, "data.start", "24:00"), "data.start"),
    ("anchor-date", mutate(_ROTATION, "data.anchor", "2026-02-30"), "data.anchor"),
    ("override-end-before-start", mutate(_OVERRIDE, "data.end", "2026-11-02T07:00:00Z"), "end"),
    ("readback-empty", mutate(_ACK, "data.readback", ""), "data.readback"),
    # missing members
    *[
        (f"missing-{m}", mutate(_OPENED, m, DROP), f"{m}:")
        for m in ("v", "id", "ts", "actor", "type", "data")
    ],
    ("missing-incident", mutate(_OPENED, "incident", DROP), "incident:"),
    ("missing-title", mutate(_OPENED, "data.title", DROP), "data.title"),
    ("missing-role-person", mutate(_ROLE, "data.person", DROP), "data.person"),
    ("missing-handoff-from", mutate(_HANDOFF, "data.from", DROP), "data.from"),
    # unsupported v
    ("v-2", mutate(_OPENED, "v", 2), "v:"),
    ("v-0", mutate(_OPENED, "v", 0), "v:"),
    # checklist note rules
    ("skipped-without-note", mutate(_SET, "data.state", "skipped"), "note"),
    ("blocked-without-note", mutate(_SET, "data.state", "blocked"), "note"),
    ("blocked-blank-note", mutate(mutate(_SET, "data.state", "blocked"), "data.note", "   "), "note"),
    # unknown tz
    ("person-unknown-tz", mutate(_PERSON, "data.tz", "Mars/Olympus_Mons"), "data.tz"),
    ("person-path-tz", mutate(_PERSON, "data.tz", "../../etc/passwd"), "data.tz"),
    ("rotation-unknown-tz", mutate(_ROTATION, "data.tz", "Europe/Atlantis"), "data.tz"),
]


def _project_pure(items: list[Any]) -> tuple[list[bytes], Any]:
    """Project ``items`` (chained) as one span with a fresh authoritative projector."""
    lines = chain(items)
    (span,) = _spans(lines, [])
    return lines, Projector(None, authoritative=True).project(span)


@pytest.mark.parametrize(
    ("bad", "member"), [(c[1], c[2]) for c in SHAPE_CASES], ids=[c[0] for c in SHAPE_CASES]
)
def test_bad_line_is_quarantined_with_reason(
    make_event: EventFactory, bad: dict[str, Any], member: str
) -> None:
    """The bad line sits between valid lines: it is quarantined (line, offset, size, reason
    naming the member, raw bytes), and it never stops the lines after it. (The projection
    alone, fast; the same cases go through a real store below.)"""
    e = make_event
    setup = [e.opened("INC-1"), e.item("INC-1", "verify"), e.rotation("us-ic")]
    after = e.note("INC-1", "after the bad line")
    lines, batch = _project_pure([*setup, bad, after])
    assert batch.counts["quarantined"] == 1, batch.quarantine
    assert batch.counts["applied"] == 4
    ((line, offset, size, reason, raw),) = batch.quarantine
    assert (line, offset, size, raw) == (4, sum(len(x) + 1 for x in lines[:3]), len(lines[3]), lines[3])
    assert member in reason, reason
    assert "\n" not in reason
    assert [ev[1] for ev in batch.events][-1] == after["id"]
    # a bad line that is a JSON object still carries a good prev: no chain break
    if "prev" not in member:
        assert batch.chain_breaks == []


RAW_CASES: list[tuple[str, bytes, str]] = [
    ("not-json", b"this is not json", "not valid JSON"),
    ("empty-line", b"", "not valid JSON"),
    ("array", b'[{"v": 1}]', "not a JSON object"),
    ("string", b'"v"', "not a JSON object"),
    ("number", b"42", "not a JSON object"),
    ("null", b"null", "not a JSON object"),
    ("truncated-object", b'{"v":1,"id":"torn","ts":"2026-11-', "not valid JSON"),
]


@pytest.mark.parametrize(("raw", "reason"), [(c[1], c[2]) for c in RAW_CASES], ids=[c[0] for c in RAW_CASES])
def test_non_object_lines_are_quarantined(make_event: EventFactory, raw: bytes, reason: str) -> None:
    e = make_event
    _lines, batch = _project_pure([e.opened(), raw, e.note()])
    assert (batch.counts["quarantined"], batch.counts["applied"], batch.chain_breaks) == (1, 2, [])
    ((line, _offset, size, why, kept),) = batch.quarantine
    assert (line, kept, size) == (2, raw, len(raw))
    assert reason in why


async def test_every_bad_line_is_quarantined_in_the_store(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    """All the bad lines above in one journal, through the real store: each is stored with
    its line number, byte offset, size, raw bytes and a reason naming the member; the good
    lines between them are all applied."""
    e = make_event
    items: list[Any] = [e.opened("INC-1"), e.item("INC-1", "verify"), e.rotation("us-ic")]
    expect: dict[int, str] = {}
    for _name, bad, member in SHAPE_CASES:
        items.append(bad)
        expect[len(items)] = member
        items.append(e.note("INC-1", f"good line {len(items) + 1}"))
    for _name, raw, reason in RAW_CASES:
        items.append(raw)
        expect[len(items)] = reason
    items.append(e.note("INC-1", "the last line"))
    lines = chain(items)
    write_lines(tmp_journal, lines)
    result = await store.sync(FileJournal(tmp_journal))
    assert result.lines == len(lines)
    assert result.quarantined == len(expect)
    assert result.ingested == len(lines) - len(expect)
    rows = await store.quarantine()
    assert [q.line for q in rows] == sorted(expect)
    offsets = [0]
    for raw in lines:
        offsets.append(offsets[-1] + len(raw) + 1)
    for q in rows:
        n = q.line
        assert expect[n] in q.reason, (n, q.reason)
        assert q.raw == lines[n - 1]
        assert q.size == len(lines[n - 1])
        assert q.offset == offsets[n - 1]
    assert (await store.status()).counters["quarantined"] == len(expect)
    assert (await incident_queries.timeline(store, "INC-1"))[-1].data["text"] == "the last line"
    # only the lines whose prev member itself is bad break the chain
    prev_cases = {n for n, m in expect.items() if m.startswith("prev")}
    assert {b.line for b in await store.chain_breaks()} == prev_cases


async def test_not_utf8_is_quarantined(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    good = encode({**e.opened(), "prev": None})
    bad = encode({**e.note("INC-1", "PLACEHOLDER"), "prev": sha256_hex(good)}).replace(
        b"PLACEHOLDER", b"caf\xe9 \xff"
    )
    after = {**e.note("INC-1", "after"), "prev": sha256_hex(bad)}
    lines = [good, bad, encode(after)]
    write_lines(tmp_journal, lines)
    result = await store.sync(FileJournal(tmp_journal))
    assert (result.quarantined, result.ingested, result.chain_breaks) == (1, 2, 0)
    (q,) = await store.quarantine()
    assert q.line == 2
    assert q.raw == bad  # byte-exact, even though it is not text
    assert "UTF-8" in q.reason
    assert [r.data.get("text") for r in await incident_queries.timeline(store, "INC-1")] == [None, "after"]


def _padded(ev: dict[str, Any], prev: str | None, size: int) -> bytes:
    """``ev`` with an unknown member ``pad`` sized so that the line is exactly ``size`` bytes."""
    base = encode({**ev, "prev": prev, "pad": ""})
    raw = encode({**ev, "prev": prev, "pad": "p" * (size - len(base))})
    assert len(raw) == size
    return raw


async def test_size_limit_is_inclusive(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    first = encode({**e.opened(), "prev": None})
    at_limit = _padded(e.note("INC-1", "exactly at the limit"), sha256_hex(first), MAX_LINE_BYTES)
    over = _padded(e.note("INC-1", "one byte over"), sha256_hex(at_limit), MAX_LINE_BYTES + 1)
    after = encode({**e.note("INC-1", "after"), "prev": sha256_hex(over)})
    write_lines(tmp_journal, [first, at_limit, over, after])
    result = await store.sync(FileJournal(tmp_journal))
    assert (result.lines, result.ingested, result.quarantined, result.chain_breaks) == (4, 3, 1, 0)
    (q,) = await store.quarantine()
    assert q.line == 3
    assert q.size == MAX_LINE_BYTES + 1
    assert q.raw == over[:MAX_LINE_BYTES]  # kept up to the size limit
    assert str(MAX_LINE_BYTES) in q.reason
    assert q.offset == len(first) + 1 + len(at_limit) + 1
    assert [r.data["text"] for r in (await incident_queries.timeline(store, "INC-1"))[1:]] == [
        "exactly at the limit",
        "after",
    ]


async def test_huge_line_is_quarantined_and_chain_goes_on(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    """A line far over the limit (several MiB, longer than a read chunk) is quarantined, its
    full hash still chains, and the lines after it are read."""
    e = make_event
    first = encode({**e.opened(), "prev": None})
    huge = b"x" * (5 * 1024 * 1024 + 17)
    after = encode({**e.note("INC-1", "after"), "prev": sha256_hex(huge)})
    write_lines(tmp_journal, [first, huge, after])
    result = await store.sync(FileJournal(tmp_journal))
    assert (result.lines, result.ingested, result.quarantined, result.chain_breaks) == (3, 2, 1, 0)
    (q,) = await store.quarantine()
    assert (q.line, q.size, len(q.raw)) == (2, len(huge), MAX_LINE_BYTES)
    assert q.raw == huge[:MAX_LINE_BYTES]


# state rules -----------------------------------------------------------------------------


async def test_event_for_never_opened_incident(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    kinds = [
        e.note("INC-404"),
        e.status("INC-404", "triaged"),
        e.role("INC-404", "commander", "amara"),
        e("incident.updated", {"title": "x"}, "INC-404"),
        e("incident.severity_set", {"severity": 1}, "INC-404"),
        e("incident.action", {"kind": "k", "text": "t"}, "INC-404"),
        e.item("INC-404", "a"),
    ]
    result = await ingest(tmp_journal, store, [e.opened("INC-1"), *kinds])
    assert (result.ingested, result.quarantined) == (1, len(kinds))
    for q in await store.quarantine():
        assert "INC-404" in q.reason and "never opened" in q.reason, q.reason
    assert await store.incidents("INC-404") == []
    assert await incident_queries.timeline(store, "INC-404") == []
    assert await incident_queries.checklist(store, "INC-404") == []


async def test_incident_whose_opening_was_quarantined_was_never_opened(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    bad_open = mutate(e.opened("INC-5"), "data.category", "nope")
    result = await ingest(tmp_journal, store, [bad_open, e.note("INC-5"), e.item("INC-5", "a")])
    assert (result.ingested, result.quarantined) == (0, 3)
    reasons = [q.reason for q in await store.quarantine()]
    assert reasons[0].startswith("data.category")
    assert all("INC-5" in r and "never opened" in r for r in reasons[1:])


async def test_incident_opened_twice(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    first = e.opened("INC-1", title="First")
    second = e.opened("INC-1", title="Second")
    result = await ingest(tmp_journal, store, [first, e.note("INC-1"), second])
    assert (result.ingested, result.quarantined) == (2, 1)
    (q,) = await store.quarantine()
    assert q.line == 3
    assert "INC-1" in q.reason and "already opened" in q.reason
    inc = await one_incident(store)
    assert inc.title == "First"
    assert inc.events == 2

    # also when the first opening is in an earlier sync (found in the store)
    result = await ingest(tmp_journal, store, [e.opened("INC-1", title="Third")])
    assert result.quarantined == 1
    assert (await one_incident(store)).title == "First"


async def test_checklist_item_added_twice(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    result = await ingest(
        tmp_journal, store, [e.opened(), e.item("INC-1", "verify", "one"), e.item("INC-1", "verify", "two")]
    )
    assert result.quarantined == 1
    (q,) = await store.quarantine()
    assert q.line == 3
    assert "verify" in q.reason and "already added" in q.reason
    (row,) = await incident_queries.checklist(store, "INC-1")
    assert row.text == "one"
    # across syncs too
    result = await ingest(tmp_journal, store, [e.item("INC-1", "verify", "three")])
    assert result.quarantined == 1
    assert [r.text for r in await incident_queries.checklist(store, "INC-1")] == ["one"]


async def test_checklist_set_before_added(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    early = e.set_item("INC-1", "verify", "done")
    result = await ingest(
        tmp_journal,
        store,
        [e.opened(), early, e.item("INC-1", "verify"), e.set_item("INC-1", "other", "done")],
    )
    assert (result.ingested, result.quarantined) == (2, 2)
    q = await store.quarantine()
    assert [x.line for x in q] == [2, 4]
    assert "verify" in q[0].reason and "never added" in q[0].reason
    assert "other" in q[1].reason and "never added" in q[1].reason
    (row,) = await incident_queries.checklist(store, "INC-1")
    assert row.state == "open"
    assert await incident_queries.checklist_history(store, "INC-1") == []


async def test_quarantine_of_state_rules_leaves_incident_untouched(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    opened = e.opened()
    await ingest(tmp_journal, store, [opened, e.set_item("INC-1", "ghost", "done")])
    inc = await one_incident(store)
    assert (inc.events, inc.last_seq, inc.updated_at) == (1, 1, opened["ts"])


# --- chain breaks -----------------------------------------------------------------------


def _ten_lines(e: EventFactory) -> list[dict[str, Any]]:
    return [e.opened(), *[e.note("INC-1", f"note {i}") for i in range(2, 11)]]


async def test_intact_chain_has_no_breaks(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    result = await ingest(tmp_journal, store, _ten_lines(make_event))
    assert result.chain_breaks == 0
    assert await store.chain_breaks() == []


async def test_edited_line_breaks_the_next_one(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    lines = chain(_ten_lines(make_event))
    lines[2] = lines[2].replace(b"note 3", b"NOTE 3")  # edit line 3 (its own prev still good)
    write_lines(tmp_journal, lines)
    result = await store.sync(FileJournal(tmp_journal))
    assert result.chain_breaks == 1
    assert result.ingested == 10  # still ingested: no data is lost
    (br,) = await store.chain_breaks()
    assert br.line == 4
    assert "line 3" in br.reason
    assert (await store.status()).counters["chain_breaks"] == 1


async def test_missing_prev_is_a_break(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    e = make_event
    items = _ten_lines(e)
    items[1] = {**items[1], "prev": DROP}
    write_lines(tmp_journal, chain(items))
    result = await store.sync(FileJournal(tmp_journal))
    breaks = await store.chain_breaks()
    assert [b.line for b in breaks] == [2]  # line 3 carries the hash of line 2's bytes
    assert "missing" in breaks[0].reason
    # prev is a required member, so the line is also quarantined
    (q,) = await store.quarantine()
    assert q.line == 2 and q.reason.startswith("prev:")
    assert result.ingested == 9


async def test_first_line_with_non_null_prev(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    write_lines(tmp_journal, chain(_ten_lines(make_event), prev="a" * 64))
    result = await store.sync(FileJournal(tmp_journal))
    assert result.ingested == 10
    breaks = await store.chain_breaks()
    assert [b.line for b in breaks] == [1]
    assert "first line" in breaks[0].reason


async def test_null_prev_after_first_line(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    items = _ten_lines(make_event)
    items[2] = {**items[2], "prev": None}
    write_lines(tmp_journal, chain(items))
    await store.sync(FileJournal(tmp_journal))
    breaks = await store.chain_breaks()
    assert [b.line for b in breaks] == [3]
    assert "null" in breaks[0].reason and "line 2" in breaks[0].reason


async def test_deleted_and_reordered_lines_break(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    lines = chain(_ten_lines(make_event))
    del lines[4]  # line 5 removed: old line 6 is now line 5
    lines[6], lines[7] = lines[7], lines[6]  # swap (new) lines 7 and 8
    write_lines(tmp_journal, lines)
    await store.sync(FileJournal(tmp_journal))
    assert [b.line for b in await store.chain_breaks()] == [5, 7, 8, 9]


async def test_non_object_line_still_chains(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    """A line that is not an object has no prev to check, but the next line must carry its
    hash: a garbage line written through the chain is no break; one inserted is."""
    e = make_event
    items: list[Any] = _ten_lines(e)
    chained = chain([*items[:3], b"garbage", *items[3:]])
    write_lines(tmp_journal, chained)
    await store.sync(FileJournal(tmp_journal))
    assert await store.chain_breaks() == []
    assert [q.line for q in await store.quarantine()] == [4]


async def test_inserted_non_object_line_breaks_the_next(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    lines = chain(_ten_lines(make_event))
    lines.insert(3, b"inserted garbage")
    write_lines(tmp_journal, lines)
    await store.sync(FileJournal(tmp_journal))
    assert [b.line for b in await store.chain_breaks()] == [5]
    assert [q.line for q in await store.quarantine()] == [4]


async def test_chain_checked_across_syncs(tmp_journal: Path, store: Store, make_event: EventFactory) -> None:
    """The expected prev survives the checkpoint: a bad prev on the first line of a later
    sync is caught, and a good one is not flagged."""
    e = make_event
    journal = FileJournal(tmp_journal)
    append_events(tmp_journal, [e.opened(), e.note()])
    await store.sync(journal)
    append_events(tmp_journal, [e.note()])  # chained correctly
    await store.sync(journal)
    assert await store.chain_breaks() == []
    write_lines(tmp_journal, [encode({**e.note(), "prev": "b" * 64})])
    result = await store.sync(journal)
    assert result.chain_breaks == 1
    assert [b.line for b in await store.chain_breaks()] == [4]


# --- same journal, different splits: same state -----------------------------------------


def _rich_journal(e: EventFactory) -> list[bytes]:
    """A journal with every kind of line: roster, incidents, roles, checklists, handoffs,
    unknown types, duplicates, quarantined lines and chain breaks."""
    opened1 = e.opened("INC-1")
    note = e.note("INC-1", "first note")
    unknown = e("bot.heartbeat", {"n": 1})
    items: list[Any] = [
        e.person("amara"),
        e.rotation("us-ic"),
        opened1,
        e.role("INC-1", "commander", "amara"),
        e.item("INC-1", "verify"),
        note,
        e.opened("INC-2", category="edr"),
        e.status("INC-1", "triaged"),
        b"not json at all",
        e.role("INC-1", "commander", "eli"),
        e.set_item("INC-1", "verify", "blocked", "waiting"),
        {**e.note("INC-1", "dup"), "id": note["id"]},
        unknown,
        {**e("bot.heartbeat", {"n": 2}), "id": unknown["id"]},
        e.note("INC-9"),  # never opened
        e.role("INC-2", "scribe", "dana"),
        e.status("INC-1", "contained"),
        e.set_item("INC-1", "verify", "done"),
        e.person("amara", name="Amara O."),
        e("handoff.submitted", {"handoff": "h1", "from": "amara", "to": "hugo", "notes": "INC-1 contained"}),
        mutate(e.note("INC-2"), "data.text", ""),
        e.role("INC-1", "commander", None),
        e("handoff.acknowledged", {"handoff": "h1", "readback": "ok"}),
        e.status("INC-1", "resolved"),
        e(
            "roster.override",
            {
                "rotation": "us-ic",
                "person": "ben",
                "start": "2026-11-02T08:00:00Z",
                "end": "2026-11-02T09:00:00Z",
            },
        ),
        e.status("INC-1", "investigating"),
        e.item("INC-2", "legal"),
        e("postmortem.drafted", {"doc": "x"}, "INC-1"),
        e.opened("INC-2"),  # opened twice
        e.rotation("us-ic", members=["eli"]),
    ]
    lines = chain(items)
    lines[15] = lines[15].replace(b"dana", b"DANA")  # an edit of line 16: line 17 is a break
    lines[24] = encode({**orjson.loads(lines[24]), "prev": "c" * 64})  # bad prev: 25 and 26 break
    return lines


async def _digest_of(store_path: Path) -> str:
    async with await Store.open(store_path) as s:
        return await s.digest()


async def test_digest_same_whatever_the_split(tmp_path: Path, make_event: EventFactory) -> None:
    lines = _rich_journal(make_event)
    blob = b"".join(x + b"\n" for x in lines)

    # A: the whole journal at once
    ja, sa = tmp_path / "a.jsonl", tmp_path / "a.db"
    ja.write_bytes(blob)
    async with await Store.open(sa) as s:
        result = await s.sync(FileJournal(ja))
        status = await s.status()
    assert result.lines == len(lines)
    # breaks: line 17 (after the edit of 16), 25 (bad prev) and 26 (carries the hash of
    # line 25 as it was written)
    assert (result.duplicates, result.unknown, result.chain_breaks) == (2, 2, 3)
    assert result.quarantined == 4
    assert status.counters["lines"] == len(lines)
    digest_a = await _digest_of(sa)

    # B: one Store object, a sync after every line
    jb, sb = tmp_path / "b.jsonl", tmp_path / "b.db"
    jb.touch()
    async with await Store.open(sb) as s:
        jr = FileJournal(jb)
        for raw in lines:
            write_lines(jb, [raw])
            await s.sync(jr)
        assert await s.digest() == digest_a

    # C: a fresh Store each time, splits at odd byte offsets (torn lines included)
    jc, sc = tmp_path / "c.jsonl", tmp_path / "c.db"
    jc.touch()
    cuts = [0, 1, 200, 1234, 1235, len(blob) // 2, len(blob) - 3, len(blob)]
    for lo, hi in itertools.pairwise(cuts):
        with open(jc, "ab") as f:
            f.write(blob[lo:hi])
        async with await Store.open(sc) as s:
            await s.sync(FileJournal(jc))
    assert await _digest_of(sc) == digest_a

    # D: a rebuild of B gives the same state again
    async with await Store.open(sb) as s:
        r = await s.rebuild(FileJournal(jb))
        assert r.rebuilt
        assert await s.digest() == digest_a


async def test_digest_differs_when_state_differs(tmp_path: Path, make_event: EventFactory) -> None:
    lines = _rich_journal(make_event)
    j1, j2 = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    write_lines(j1, lines)
    write_lines(j2, lines[:-1])
    async with await Store.open(tmp_path / "1.db") as s1, await Store.open(tmp_path / "2.db") as s2:
        await s1.sync(FileJournal(j1))
        await s2.sync(FileJournal(j2))
        assert await s1.digest() != await s2.digest()


async def test_sync_reads_only_complete_lines(
    tmp_journal: Path, store: Store, make_event: EventFactory
) -> None:
    e = make_event
    lines = chain([e.opened(), e.note("INC-1", "torn")])
    with open(tmp_journal, "wb") as f:
        f.write(lines[0] + b"\n" + lines[1][:20])  # a writer is mid-line
    r = await store.sync(FileJournal(tmp_journal))
    assert (r.lines, r.quarantined, r.line) == (1, 0, 1)
    with open(tmp_journal, "ab") as f:
        f.write(lines[1][20:] + b"\n")
    r = await store.sync(FileJournal(tmp_journal))
    assert (r.lines, r.ingested, r.quarantined, r.chain_breaks) == (1, 1, 0, 0)
    assert read_lines(tmp_journal) == lines


# --- the pure projector -----------------------------------------------------------------


def _spans(lines: list[bytes], cuts: list[int]) -> list[Span]:
    """Spans of ``lines`` split before each index in ``cuts``."""
    spans = []
    bounds = [0, *cuts, len(lines)]
    offset = 0
    for lo, hi in itertools.pairwise(bounds):
        raws = lines[lo:hi]
        start = offset
        for raw in raws:
            offset += len(raw) + 1
        spans.append(Span(lo + 1, start, offset, list(raws), {}, offset - 1 - len(raws[-1])))
    return spans


def _totals(lines: list[bytes], cuts: list[int]) -> dict[str, int]:
    p = Projector(None, authoritative=True)
    totals: dict[str, int] = {}
    for span in _spans(lines, cuts):
        batch = p.project(span)
        for k, v in batch.counts.items():
            totals[k] = totals.get(k, 0) + v
    return totals


def test_pure_projector_counts_do_not_depend_on_split(make_event: EventFactory) -> None:
    lines = _rich_journal(make_event)
    whole = _totals(lines, [])
    assert whole == {
        "lines": 30,
        "applied": 22,
        "unknown": 2,
        "duplicates": 2,
        "quarantined": 4,
        "chain_breaks": 3,
    }
    for cuts in ([1], [12], [11, 13], list(range(1, len(lines)))):
        assert _totals(lines, cuts) == whole, cuts


def test_pure_projector_check_says_what_a_reader_would_quarantine(make_event: EventFactory) -> None:
    from data.engine.models import validate_event

    e = make_event
    p = Projector(None, authoritative=True)
    p.project(_spans(chain([e.opened("INC-1"), e.item("INC-1", "a")]), [])[0])
    candidates = [
        e.note("INC-1"),  # fine
        e.opened("INC-1"),  # opened twice
        e.note("INC-2"),  # never opened
        e.opened("INC-3"),
        e.note("INC-3"),  # fine: opened earlier in the same batch
        e.item("INC-1", "a"),  # added twice
        e.set_item("INC-1", "b", "done"),  # never added
        e.item("INC-3", "b"),
        e.set_item("INC-3", "b", "done"),  # fine
        e("bot.x", {}),  # unknown types are not the reader's problem
    ]
    problems = p.check([validate_event({**c, "prev": None}) for c in candidates])
    assert [p.index for p in problems] == [1, 2, 5, 6]
    assert "already opened" in problems[0].message
    assert "never opened" in problems[1].message
    assert "already added" in problems[2].message
    assert "never added" in problems[3].message
