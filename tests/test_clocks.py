"""Clocks: their states at the boundaries, the response and update clocks, the policy file,
and the watch that reports a turn once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from data.engine.store import IncidentRecord, Store
from data.incidents.queries import ItemRow, events_of_types
from data.incidents.views import clock_text, incident_clocks
from data.procedures.calendars import Due
from data.procedures.clocks import (
    Clock,
    Policy,
    PolicyError,
    Watch,
    ack_clock,
    clock_state,
    item_clock,
    load_policy,
    nearest,
    update_clock,
)
from tests.helpers import incident_record

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
M = timedelta(minutes=1)
S = timedelta(seconds=1)


def clock(window: timedelta, closed: datetime | None = None) -> Clock:
    return Clock("INC-1", "item", "a", "Item", T0, T0 + window, closed)


# --- states at their boundaries ------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "at", "state"),
    [
        # a 4-hour window: at risk from a quarter (1 h) left
        (timedelta(hours=4), timedelta(hours=2, minutes=59, seconds=59), "ok"),
        (timedelta(hours=4), timedelta(hours=3), "at_risk"),  # exactly a quarter left
        (timedelta(hours=4), timedelta(hours=4) - S, "at_risk"),
        (timedelta(hours=4), timedelta(hours=4), "overdue"),  # the due time itself
        (timedelta(hours=4), timedelta(hours=9), "overdue"),
        # a 40-minute window: a quarter is 10 m, so "under 15 minutes" decides first
        (40 * M, 25 * M - S, "ok"),
        (40 * M, 25 * M, "ok"),  # exactly 15 m left: not under 15 m
        (40 * M, 25 * M + S, "at_risk"),
        # a 5-minute window (a severity-1 acknowledgement) is at risk from the start
        (5 * M, timedelta(0), "at_risk"),
        (5 * M, 5 * M, "overdue"),
    ],
)
def test_open_clock_states(window: timedelta, at: timedelta, state: str) -> None:
    assert clock_state(clock(window), T0 + at) == state


def test_closed_clocks_are_met_or_missed_by_when_they_closed() -> None:
    due = T0 + timedelta(hours=1)
    assert clock_state(clock(timedelta(hours=1), closed=due), T0 + timedelta(days=3)) == "met"  # on the dot
    assert clock_state(clock(timedelta(hours=1), closed=due + S), T0) == "missed"
    assert clock_state(clock(timedelta(hours=1), closed=T0 + M), T0) == "met"


def test_clock_text_reads_without_colour() -> None:
    c = clock(timedelta(hours=1))
    assert clock_text(c, T0) == ("1h00m", "ok")
    assert clock_text(c, T0 + 50 * M) == ("! 10m", "at_risk")
    assert clock_text(c, T0 + 64 * M) == ("OVERDUE 4m", "overdue")
    assert clock_text(clock(timedelta(hours=1), closed=T0), T0) == ("met", "met")
    assert clock_text(None, T0) == ("", "none")


def test_item_clock_runs_while_open_or_blocked() -> None:
    due = T0 + timedelta(hours=1)
    assert item_clock("I", "a", "x", None, T0, "open", None) is None  # no due time, no clock
    blocked = item_clock("I", "a", "x", due, T0, "blocked", T0 + M)
    assert blocked is not None and blocked.closed_at is None
    done = item_clock("I", "a", "x", due, T0, "done", due + M)
    assert done is not None and clock_state(done, T0) == "missed"
    skipped = item_clock("I", "a", "x", due, T0, "skipped", T0 + M)
    assert skipped is not None and clock_state(skipped, T0) == "met"
    # added after its due time (a late entry): the window is empty, it is simply overdue
    late = item_clock("I", "a", "x", due, due + M, "open", None)
    assert late is not None and late.start == due and clock_state(late, due + 2 * M) == "overdue"


# --- response targets and the update cadence ------------------------------------------------------


#: T0 is Sunday 22 November 2026, 22:00 on Saturday in New York: severity 4's target, the
#: next business day (US), ends at 24:00 New York time on Monday 23 November
NEXT_US_BUSINESS_DAY = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "due"),
    [(1, T0 + 5 * M), (2, T0 + 15 * M), (3, T0 + 240 * M), (4, NEXT_US_BUSINESS_DAY)],
)
def test_ack_targets_by_severity(severity: int, due: datetime) -> None:
    c = ack_clock("I", severity, T0, None, Policy())
    assert c.due == due and c.kind == "ack"
    assert clock_state(ack_clock("I", severity, T0, due, Policy()), T0) == "met"
    assert clock_state(ack_clock("I", severity, T0, due + S, Policy()), T0) == "missed"


def test_severity_4_ack_is_the_next_business_day_of_the_policy_calendar() -> None:
    assert "by the next business day" in ack_clock("I", 4, T0, None, Policy()).label
    # London: Monday ends at 24:00 London time (UTC in November)
    uk = ack_clock("I", 4, T0, None, Policy(calendar="UK"))
    assert uk.due == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    # Wednesday before Thanksgiving (US): Thursday is a holiday, Friday is the next business day
    wed = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert ack_clock("I", 4, wed, None, Policy()).due == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert ack_clock("I", 4, wed, None, Policy(calendar="UK")).due == datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def test_update_cadence_for_severity_1_and_2_only() -> None:
    p = Policy()
    assert update_clock("I", 3, T0, None, p) is None
    first = update_clock("I", 1, T0, None, p)
    assert first is not None and first.due == T0 + 20 * M
    after = update_clock("I", 2, T0, T0 + 30 * M, p)  # an update 30 m in resets it
    assert after is not None and after.due == T0 + 50 * M
    late = update_clock("I", 1, T0, T0 + 3 * 60 * M, p)  # after the first two hours: hourly
    assert late is not None and late.due == T0 + 4 * 60 * M


def _row(**over: object) -> IncidentRecord:
    return incident_record(**{"opened_at": T0.isoformat(), **over})


def test_incident_clocks_from_store_rows() -> None:
    due = (T0 + timedelta(hours=1)).isoformat()
    item = ItemRow(incident="INC-1", item="verify", text="Verify", due=due, basis=None, template=None, state="open",
                   note=None, state_by=None, state_at=None, added_seq=2, added_by="x", added_at=T0.isoformat(),
                   team="le_response")  # fmt: skip
    clocks = incident_clocks(_row(), [item], Policy())
    assert [c.kind for c in clocks] == ["ack", "update", "item"]
    assert nearest(clocks) is not None and nearest(clocks).kind == "ack"  # type: ignore[union-attr]
    # T0 is detected_at when given
    detected = (T0 - timedelta(hours=1)).isoformat()
    assert incident_clocks(_row(detected_at=detected), [], Policy())[0].due == T0 - timedelta(minutes=55)
    # acknowledged: the ack clock is closed, the nearest open one is the update
    acked = incident_clocks(_row(acknowledged_at=(T0 + M).isoformat()), [], Policy())
    assert nearest(acked) is not None and nearest(acked).kind == "update"  # type: ignore[union-attr]
    # resolved: no more updates due
    assert [c.kind for c in incident_clocks(_row(status="resolved"), [], Policy())] == ["ack"]


# --- the policy file ------------------------------------------------------------------------------


def test_policy_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WARROOM_BELL", raising=False)
    assert load_policy(tmp_path / "absent.toml") == Policy()
    cfg = tmp_path / "config.toml"
    cfg.write_text('[clocks]\nack_minutes = { "1" = 3 }\nupdate_every_minutes = 10\nbell = true\n')
    p = load_policy(cfg)
    assert p.ack[1] == Due(minutes=3) and p.ack[2] == Due(minutes=15)
    assert p.ack[4] == Due(business_days=1) and p.calendar == "US"
    assert p.update_every == 10 * M and p.bell
    monkeypatch.setenv("WARROOM_BELL", "0")
    assert not load_policy(cfg).bell
    # severity 4's business days are those of [obligations] calendar
    cfg.write_text('[obligations]\ncalendar = "UK"\n')
    assert load_policy(cfg).calendar == "UK"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[clocks]\nack_minutes = { "7" = 3 }\n', "ack_minutes"),
        ("[clocks]\nupdate_every_minutes = -1\n", "update_every_minutes"),
        ("[clocks]\nsnooze = 3\n", "unknown key clocks.snooze"),
        ("[clocks\n", "config.toml"),
        ('[obligations]\ncalendar = "FR"\n', "calendar"),
    ],
)
def test_a_bad_policy_file_says_where(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        load_policy(cfg)


# --- the watch: once per transition ---------------------------------------------------------------


def test_watch_reports_each_turn_once() -> None:
    w = Watch()
    c = clock(timedelta(hours=4))
    assert w.turned([c], T0) == []  # baseline
    assert w.turned([c], T0 + timedelta(hours=1)) == []  # still ok
    assert w.turned([c], T0 + timedelta(hours=3)) == [(c, "at_risk")]
    for minutes in range(1, 59):  # refreshes while at risk: nothing more
        assert w.turned([c], T0 + timedelta(hours=3, minutes=minutes)) == []
    assert w.turned([c], T0 + timedelta(hours=4)) == [(c, "overdue")]
    assert w.turned([c], T0 + timedelta(hours=5)) == []
    # done: met or missed is not announced, and a clock that goes away is forgotten
    done = clock(timedelta(hours=4), closed=T0 + timedelta(hours=5))
    assert w.turned([done], T0 + timedelta(hours=5)) == []
    assert w.turned([], T0 + timedelta(hours=6)) == [] and w.states == {}


def test_watch_a_new_clock_is_reported_when_born_overdue_not_at_risk() -> None:
    w = Watch()
    w.turned([], T0)
    fresh = Clock("INC-2", "ack", "ack", "Acknowledge", T0, T0 + 5 * M)  # at risk from the start
    assert w.turned([fresh], T0) == []
    assert w.turned([fresh], T0 + 5 * M) == [(fresh, "overdue")]  # its turn is announced
    late = Clock("INC-3", "item", "x", "Added after its due time", T0 - M, T0 - M)
    assert w.turned([fresh, late], T0 + 6 * M) == [(late, "overdue")]


def test_watch_a_deadline_moved_out_is_not_news() -> None:
    w = Watch()
    c = clock(timedelta(hours=1))
    w.turned([c], T0)
    assert w.turned([c], T0 + 2 * timedelta(hours=1)) == [(c, "overdue")]
    moved = Clock("INC-1", "item", "a", "Item", T0, T0 + timedelta(hours=3))
    assert w.turned([moved], T0 + 2 * timedelta(hours=1) + 30 * M) == []  # overdue -> at risk: silent


# --- the console: a turn is announced once; the queue and the command line agree ----------------


async def test_console_announces_a_clock_turning_once(tmp_path: Path) -> None:
    from app.console import WarRoom
    from data.engine import clock as wall_clock
    from tests._console_helpers import ACTOR, opened, scoped, seed, settings_for, synced, wait_for

    settings = settings_for(tmp_path)
    start = datetime.now(UTC).replace(microsecond=0)
    due = start + timedelta(hours=2)
    await seed(settings, [
        opened("INC-C", severity=3, title="Press inquiry on a moderation failure"),
        scoped("incident.role_set", "INC-C", role="commander", person=ACTOR),  # acknowledged; mine
        scoped("checklist.added", "INC-C", item="statement", text="Holding statement", team="comms",
               due=due.isoformat().replace("+00:00", "Z")),
    ])  # fmt: skip
    wall_clock.freeze(start)
    try:
        app = WarRoom(settings)
        async with app.run_test(size=(120, 35)) as pilot:
            await wait_for(pilot, lambda: synced(app), what="the first sync")
            app.check_clocks()  # the baseline: nothing is said

            def toasts() -> list[str]:
                return [n.message for n in app.told if n.title == "Clock"]

            assert toasts() == []
            wall_clock.freeze(due - timedelta(minutes=29))  # a quarter of the window left
            for _ in range(3):  # every check while at risk: said once
                app.check_clocks()
            await pilot.pause()
            assert toasts() == [f"INC-C S3: Holding statement is at risk (due {due:%H:%M}Z)"]
            wall_clock.freeze(due + timedelta(seconds=1))
            app.check_clocks()
            app.check_clocks()
            await pilot.pause()
            assert toasts()[1:] == [f"INC-C S3: Holding statement is OVERDUE (due {due:%H:%M}Z)"]
            assert len(toasts()) == 2
    finally:
        wall_clock.freeze(None)


def test_clocks_command_lists_open_clocks_soonest_first(tmp_path: Path) -> None:
    import asyncio
    import json

    from tests._console_helpers import opened, scoped, seed, settings_for
    from tests.helpers import run_cli

    settings = settings_for(tmp_path)
    now = datetime.now(UTC)

    def at(minutes: int) -> str:
        return (now + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    asyncio.run(seed(settings, [
        opened("INC-A", severity=4, title="Spam wave"),
        scoped("incident.role_set", "INC-A", role="commander", person="amara"),
        scoped("checklist.added", "INC-A", item="late", text="Size the wave", team="policy", due=at(-5)),
        scoped("checklist.added", "INC-A", item="soon", text="Community comms", team="comms", due=at(10)),
        scoped("checklist.added", "INC-A", item="done", text="Done already", team="comms", due=at(30)),
        scoped("checklist.set", "INC-A", item="done", state="done"),
        opened("INC-S", severity=2, title="Secret matter", restricted=True),
        scoped("incident.role_set", "INC-S", role="commander", person="someone-else"),
        scoped("checklist.added", "INC-S", item="x", text="Secret step", team="legal", due=at(120)),
    ]))  # fmt: skip
    env = {"WARROOM_JOURNAL": str(settings.journal), "WARROOM_DB": str(tmp_path / "cli.db"),
           "WARROOM_ACTOR": settings.actor, "WARROOM_SOP_DIR": str(tmp_path / "no-sop"),
           "WARROOM_CONFIG": str(tmp_path / "no-config.toml")}  # fmt: skip
    r = run_cli(["clocks", "--json"], env)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    got = [(c["incident"], c["kind"], c["name"], c["state"]) for c in rows]
    assert got[:2] == [("INC-A", "item", "late", "overdue"), ("INC-A", "item", "soon", "at_risk")]
    assert ("INC-A", "item", "done") not in [g[:3] for g in got]  # closed clocks are not listed
    assert [c["due"] for c in rows] == sorted(c["due"] for c in rows)
    secret = next(c for c in rows if c["incident"] == "INC-S" and c["kind"] == "item")
    assert secret["what"] is None  # need-to-know: the text is withheld
    assert {c["kind"] for c in rows if c["incident"] == "INC-S"} == {"item", "update"}
    text = run_cli(["clocks"], env).stdout.decode()
    assert (
        "OVERDUE" in text and "Size the wave" in text and "(restricted)" in text and "Secret step" not in text
    )


def test_next_turn_is_when_the_first_open_clock_changes_state() -> None:
    from data.procedures.clocks import next_turn

    four_h = clock(timedelta(hours=4))  # at risk at 3 h, overdue at 4 h
    short = Clock("INC-2", "ack", "ack", "Ack", T0, T0 + 5 * M)  # at risk from the start
    done = clock(timedelta(minutes=10), closed=T0)
    assert next_turn([four_h, done], T0) == T0 + timedelta(hours=3)
    assert next_turn([four_h, short, done], T0) == T0 + 5 * M
    assert next_turn([four_h], T0 + timedelta(hours=3)) == T0 + timedelta(hours=4)
    assert next_turn([four_h], T0 + timedelta(hours=5)) is None  # overdue: nothing more to happen
    assert next_turn([done], T0) is None
    # the turn it names is a real one: just before, and at it
    for c in (four_h, short):
        at = next_turn([c], T0)
        assert at is not None and clock_state(c, at - S) != clock_state(c, at)


async def test_an_acknowledgement_is_held_to_the_target_of_its_time(tmp_path: Path) -> None:
    """Acknowledged within 4 h as a severity 3, then raised to 1: still met (a later
    change does not make an acknowledgement late); unacknowledged, the current target."""
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.incidents.views import SyncState, load_snapshot
    from tests._console_helpers import opened, scoped, seed, settings_for

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-A", severity=3), scoped("incident.status_set", "INC-A", status="triaged"),
        scoped("incident.severity_set", "INC-A", severity=1),
        opened("INC-B", severity=3), scoped("incident.severity_set", "INC-B", severity=1),
    ])  # fmt: skip
    store = await Store.open(settings.db)
    try:
        await store.sync(FileJournal(settings.journal))
        snap = await load_snapshot(store, SyncState(journal="x"))
    finally:
        await store.close()
    ack = {r.id: next(c for c in r.clocks if c.kind == "ack") for r in snap.incidents}
    assert ack["INC-A"].closed_at is not None and ack["INC-A"].due - ack["INC-A"].start == timedelta(hours=4)
    assert ack["INC-B"].closed_at is None and ack["INC-B"].due - ack["INC-B"].start == 5 * M


# --- which turns are toasted, together, and never over a dialog ---------------------------


async def _clock_console(tmp_path: Path) -> tuple[object, datetime, datetime]:
    """Four incidents whose items fall due together: one where the actor is commander, an
    S1 without a commander, an S1 and an S2 led by someone else."""
    from tests._console_helpers import ACTOR, opened, scoped, seed, settings_for

    settings = settings_for(tmp_path)
    start = datetime.now(UTC).replace(microsecond=0)
    due = start + timedelta(hours=2)
    at = due.isoformat().replace("+00:00", "Z")
    events = [
        opened("INC-MINE", severity=3, title="Mine"),
        scoped("incident.role_set", "INC-MINE", role="commander", person=ACTOR),
        opened("INC-UNLED", severity=1, title="Nobody leads it"),
        scoped("incident.status_set", "INC-UNLED", status="triaged", reason="seen"),
        opened("INC-LED", severity=1, title="Led by someone else"),
        scoped("incident.role_set", "INC-LED", role="commander", person="someone"),
        opened("INC-OTHER", severity=2, title="Someone else's"),
        scoped("incident.role_set", "INC-OTHER", role="commander", person="someone"),
    ]
    for incident in ("INC-MINE", "INC-UNLED", "INC-LED", "INC-OTHER"):
        events.append(scoped("checklist.added", incident, item="statement", text=f"Statement of {incident}",
                             team="comms", due=at))  # fmt: skip
    await seed(settings, events)
    from app.console import WarRoom

    return WarRoom(settings), start, due


def _clock_toasts(app: object) -> list[object]:
    return [n for n in app.told if n.title in ("Clock", "Clocks")]  # type: ignore[attr-defined]


async def test_clock_toasts_are_for_my_incidents_and_unled_s1_only_and_come_as_one(tmp_path: Path) -> None:
    from data.engine import clock as wall_clock

    app, start, due = await _clock_console(tmp_path)
    app.policy = Policy(bell=True)  # type: ignore[attr-defined]
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[attr-defined,method-assign]
    wall_clock.freeze(start)
    try:
        async with app.run_test(size=(120, 35)) as pilot:  # type: ignore[attr-defined]
            while app.last_snapshot is None or app.last_snapshot.sync.synced_at is None:  # type: ignore[attr-defined]
                await pilot.pause(0.05)
            app.check_clocks()  # type: ignore[attr-defined]  # the baseline
            assert _clock_toasts(app) == [] and bells == []
            wall_clock.freeze(due + timedelta(seconds=1))  # every item overdue at once
            app.check_clocks()  # type: ignore[attr-defined]
            await pilot.pause()
            toasts = _clock_toasts(app)
            assert len(toasts) == 1, [t.message for t in toasts]  # one toast for all of them
            message = toasts[0].message  # type: ignore[attr-defined]
            assert message.splitlines()[0].split(":")[0].endswith("clocks OVERDUE")
            assert "INC-MINE S3 Statement of INC-MINE" in message and "INC-UNLED S1" in message
            assert "INC-LED" not in message and "INC-OTHER" not in message
            assert toasts[0].severity == "error"  # type: ignore[attr-defined]
            assert bells == [1]  # one bell for the one toast
    finally:
        wall_clock.freeze(None)


async def test_clock_toasts_wait_for_a_dialog_to_close(tmp_path: Path) -> None:
    from textual.widgets._toast import Toast

    from data.engine import clock as wall_clock
    from screens.dialogs import NoteDialog

    app, start, due = await _clock_console(tmp_path)
    wall_clock.freeze(start)
    try:
        async with app.run_test(size=(120, 35), notifications=True) as pilot:  # type: ignore[attr-defined]
            while app.last_snapshot is None or app.last_snapshot.sync.synced_at is None:  # type: ignore[attr-defined]
                await pilot.pause(0.05)
            app.check_clocks()  # type: ignore[attr-defined]  # the baseline
            dialog = NoteDialog("INC-MINE")
            app.push_screen(dialog)  # type: ignore[attr-defined]
            while app.screen is not dialog:  # type: ignore[attr-defined]
                await pilot.pause()
            wall_clock.freeze(due + timedelta(seconds=1))
            app.check_clocks()  # type: ignore[attr-defined]
            await pilot.pause()
            assert _clock_toasts(app) == []  # nothing over the dialog's buttons
            assert not list(dialog.query(Toast))
            await pilot.press("escape")
            deadline = time.monotonic() + 10
            while not _clock_toasts(app):
                assert time.monotonic() < deadline, "the held toast never came"
                await pilot.pause()
            assert "INC-MINE" in _clock_toasts(app)[0].message  # type: ignore[attr-defined]
    finally:
        wall_clock.freeze(None)


def test_the_demo_history_ticks_the_update_item_with_the_first_stakeholder_update() -> None:
    """In the demo's history and its simulator, as on a console, the procedure's update
    item is ticked by the first stakeholder update (in the same moment), never before one."""
    import random

    from app.demo import history, with_procedures
    from data.procedures.steps import UPDATE_ITEM
    from data.sample import Generator

    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    gen = Generator(seed=3, start=now - timedelta(days=15))
    rng = random.Random(3)
    past = history(gen, rng, now - timedelta(days=14), now - timedelta(hours=2))
    events = with_procedures(past, rng, cadence_written={e["incident"] for e in past if "incident" in e})
    first_update: dict[str, str] = {}
    ticked: dict[str, str] = {}
    for e in events:
        if e["type"] == "incident.action" and e["data"]["kind"] == "stakeholder_update":
            first_update.setdefault(e["incident"], e["ts"])
        elif e["type"] == "checklist.set" and e["data"]["item"] == UPDATE_ITEM:
            assert e["incident"] not in ticked, "ticked twice"
            ticked[e["incident"]] = e["ts"]
    assert len(ticked) > 5
    for incident, at in ticked.items():
        lag = datetime.fromisoformat(at.replace("Z", "+00:00")) - datetime.fromisoformat(
            first_update[incident].replace("Z", "+00:00")
        )
        assert timedelta(0) < lag <= timedelta(seconds=1), incident


async def test_the_demo_simulator_writes_through_the_procedures_and_ticks_the_update_item(
    tmp_path: Path,
) -> None:
    """The simulator writes as a console does: an opened incident's items come from the one
    procedure path (data/commands.py procedure_events), and the update item is ticked by
    the first stakeholder update, in the same batch, never before one."""
    from app.demo import Simulator
    from data.commands import append_to
    from data.engine.journal import FileJournal
    from data.procedures.steps import UPDATE_ITEM

    journal = FileJournal(tmp_path / "journal.jsonl")
    async with await Store.open(tmp_path / "store.db") as store:
        sim = Simulator(journal, store, seed=5)
        sim.taken = set()
        pending: set[str] = set()
        batches = opened = 0
        for _ in range(400):
            batch = await sim.with_procedure(sim.next_events())
            opened += sum(e["type"] == "incident.opened" for e in batch)
            for e in batch:
                if e["type"] == "checklist.added" and e["data"]["item"] == UPDATE_ITEM:
                    pending.add(e["incident"])
            updates = [e["incident"] for e in batch if e["type"] == "incident.action"
                       and e["data"]["kind"] == "stakeholder_update"]  # fmt: skip
            ticks = [
                e["incident"]
                for e in batch
                if e["type"] == "checklist.set" and e["data"]["item"] == UPDATE_ITEM
            ]
            assert all(i in updates for i in ticks), batch  # only an update ticks it
            for i in updates:
                if i in pending:
                    assert ticks == [i], batch
                    pending.discard(i)
                    batches += 1
            await append_to(journal, store, batch)
        assert opened >= 3 and batches >= 1
        added = [e for e in await events_of_types(store, ["checklist.added"])]
        assert added and all(isinstance(e.data, dict) and e.data.get("template") for e in added)
