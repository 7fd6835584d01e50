"""Responder wellbeing (docs/wellbeing.md): the exposure counters (per responder, per shift,
counts only, in the local store, surviving a rebuild), break prompts after continuous
sensitive work, quiet mode in the queue, stepping away, and the handoff report's section."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from sqlalchemy import select

from app.console import WarRoom
from data.care.exposure import exposure, exposure_for, record, stored
from data.care.wellbeing import (
    PASS_SECONDS,
    Segment,
    StepAway,
    Tracker,
    WellbeingConfig,
    WellbeingError,
    load_wellbeing,
    step_away_events,
    step_away_plan,
)
from data.engine import clock
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.handoff.report import build_handoff, current_shift, to_json, to_markdown
from data.incidents import queries as incident_queries
from data.incidents.queries import RoleRow
from data.procedures.clocks import Policy
from screens.main import MainScreen
from tests._console_helpers import (
    ACTOR,
    SIZE,
    journal_lines,
    new_lines,
    opened,
    queue_ids,
    scoped,
    seed,
    settings_for,
    wait_for,
)
from tests.helpers import HOSTILE

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("WARROOM_QUIET", raising=False)


# --- the tracker (pure) --------------------------------------------------------------------


def tracker(**config: Any) -> Tracker:
    return Tracker("ic", WellbeingConfig(**config), at(0))


def test_counts_seconds_per_incident_and_category_only_for_sensitive_ones() -> None:
    t = tracker()
    t.view(("INC-1", "csea"), at(0))
    t.input(at(3))
    t.view(("INC-2", "edr"), at(4))  # not sensitive: not counted
    t.view(("INC-3", "self_harm"), at(6))
    t.input(at(7))
    t.view(None, at(8))
    e = t.exposure(at(8))
    by = {c.category: c for c in e.categories}
    assert (by["csea"].incidents, by["csea"].seconds) == (1, 240)
    assert (by["self_harm"].incidents, by["self_harm"].seconds) == (1, 120)
    assert by["violent_extremism"].incidents == 0
    assert e.incidents == 2 and e.minutes == 6
    # the same incident again is the same incident
    t.view(("INC-1", "csea"), at(9))
    t.view(None, at(10))
    by = {c.category: c for c in t.exposure(at(10)).categories}
    assert (by["csea"].incidents, by["csea"].seconds) == (1, 300)


def test_a_cursor_passing_over_a_row_is_not_counted() -> None:
    t = tracker()
    t.view(("INC-1", "csea"), at(0))
    t.view(("INC-2", "csea"), at(0) + timedelta(seconds=PASS_SECONDS / 2))
    t.view(None, at(0) + timedelta(seconds=PASS_SECONDS))
    assert t.exposure(at(1)).incidents == 0
    assert t.dirty() == []  # nothing to write either


def test_counting_stops_when_idle_or_out_of_focus() -> None:
    t = tracker(idle_after=timedelta(minutes=5))
    t.view(("INC-1", "csea"), at(0))
    # nobody touched the console for 30 minutes: counted up to 5 minutes after the last input
    assert t.exposure(at(30)).seconds == 300
    t.input(at(30))  # back: counting goes on from now
    t.set_away(True, at(32))  # the terminal lost the focus
    assert t.exposure(at(50)).seconds == 300 + 120
    t.set_away(False, at(50))
    t.input(at(51))
    assert t.exposure(at(51)).seconds == 300 + 120 + 60


def test_a_handoff_acknowledged_cuts_the_running_view_and_starts_a_new_shift() -> None:
    t = tracker()
    t.view(("INC-1", "csea"), at(0))
    t.input(at(4))
    assert t.set_shift(at(3), at(4)) is True  # a handoff acknowledged 3 minutes in
    e = t.exposure(at(4))
    assert e.since == at(3) and e.incidents == 1 and e.seconds == 60  # only the part after it
    segments = sorted(t.dirty(), key=lambda s: s.started)
    assert [(s.started, s.seconds) for s in segments] == [(at(0), 180), (at(3), 60)]
    assert t.set_shift(at(3), at(5)) is False


def test_break_prompt_after_continuous_work_once_per_interval_and_reset_by_a_pause() -> None:
    t = tracker(break_after=timedelta(minutes=90), reset_after=timedelta(minutes=15),
                idle_after=timedelta(minutes=30))  # fmt: skip
    t.view(("INC-1", "csea"), at(0))
    for m in range(10, 90, 10):
        t.input(at(m))
        assert t.prompt_due(at(m)) is None
    # a short look elsewhere does not break the stretch
    t.view(("INC-9", "edr"), at(60))
    t.view(("INC-2", "violent_extremism"), at(65))
    assert t.next_wake(at(85)) is not None
    t.input(at(90))
    assert t.prompt_due(at(90)) == timedelta(minutes=90)
    assert t.prompt_due(at(91)) is None  # once
    for m in range(100, 180, 10):
        t.input(at(m))
        assert t.prompt_due(at(m)) is None
    t.input(at(180))
    assert t.prompt_due(at(180)) == timedelta(minutes=180)  # again after the next interval
    # a pause of 15 minutes away from sensitive details starts afresh
    t.view(None, at(181))
    t.view(("INC-1", "csea"), at(196))
    t.input(at(200))
    assert t.continuous(at(200)) == timedelta(minutes=4)
    for m in range(210, 290, 10):
        t.input(at(m))
    t.input(at(285))
    assert t.prompt_due(at(285)) is None
    t.input(at(286))
    assert t.prompt_due(at(286)) == timedelta(minutes=90)


def test_prompts_can_be_turned_off() -> None:
    t = tracker(prompts=False, idle_after=timedelta(hours=10))
    t.view(("INC-1", "csea"), at(0))
    assert t.prompt_due(at(200)) is None


# --- settings ------------------------------------------------------------------------------


def test_wellbeing_settings_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    assert load_wellbeing(path) == WellbeingConfig()
    path.write_text(
        "[clocks]\nbell = true\n[wellbeing]\nbreak_after_minutes = 45\nreset_after_minutes = 10\n"
        'idle_minutes = 3\nquiet = true\ncategories = ["csea", "hate_harassment"]\nkeep_days = 7\n'
    )
    c = load_wellbeing(path)
    assert c.break_after == timedelta(minutes=45) and c.reset_after == timedelta(minutes=10)
    assert c.idle_after == timedelta(minutes=3) and c.quiet is True and c.keep_days == 7
    assert c.categories == ("csea", "hate_harassment")
    monkeypatch.setenv("WARROOM_QUIET", "0")
    assert load_wellbeing(path).quiet is False
    for bad, says in (("break_after_minutes = 0", "positive"), ("quiet = 1", "true or false"),
                      ('categories = ["gore"]', "categories"), ("nap = 1", "unknown key wellbeing.nap")):  # fmt: skip
        path.write_text(f"[wellbeing]\n{bad}\n")
        with pytest.raises(WellbeingError, match=says):
            load_wellbeing(path)


# --- the store: per shift, counts only, not the projection ---------------------------------


def _handoff_events(ack_at: datetime) -> list[dict[str, Any]]:
    stamp = ack_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return [
        {"v": 1, "id": "W1", "ts": stamp, "actor": "hugo", "type": "handoff.submitted",
         "data": {"handoff": "h-1", "from": "hugo", "to": "ic", "notes": "-"}},
        {"v": 1, "id": "W2", "ts": stamp, "actor": "ic", "type": "handoff.acknowledged",
         "data": {"handoff": "h-1", "readback": "ok"}},
    ]  # fmt: skip


async def test_counters_per_shift_survive_rebuild_and_migration_and_stay_out_of_the_digest(
    tmp_path: Path,
) -> None:
    journal = FileJournal(tmp_path / "journal.jsonl")
    await journal.append([{"v": 1, "id": "W0", "ts": "2026-11-22T01:00:00.000Z", "actor": "a",
                           "type": "incident.opened", "incident": "INC-1",
                           "data": {"title": "Secret title", "category": "csea", "severity": 1,
                                    "source": "user_report", "regions": ["US"]}}])  # fmt: skip
    async with await Store.open(tmp_path / "store.db") as store:
        await store.sync(journal)
        digest = await store.digest()
        t = Tracker("ic", WellbeingConfig(), at(0))
        t.view(("INC-1", "csea"), at(0))
        t.input(at(5))
        t.input(at(10))
        t.view(None, at(10))
        await record(store, "ic", t.dirty())
        assert await store.digest() == digest  # not part of the projection
        # the row holds numbers and ids, never the title
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(exposure))).mappings().all()
        assert [(r["actor"], r["incident"], r["category"], r["seconds"]) for r in rows] == [
            ("ic", "INC-1", "csea", 600.0)
        ]
        assert "Secret" not in json.dumps([dict(r) for r in rows])

        # a handoff acknowledged at +20: a new shift
        await journal.append(_handoff_events(at(20)))
        await store.sync(journal)
        start = current_shift(await incident_queries.handoffs(store), "all", at(30))
        assert start == at(20)
        t.set_shift(start, at(30))
        t.view(("INC-1", "csea"), at(30))
        t.input(at(32))
        await record(store, "ic", t.dirty())
        new = await exposure_for(store, "ic", at(20), at(40))
        old = await exposure_for(store, "ic", at(-720), at(20))
        assert (new.incidents, new.seconds) == (1, 120)  # counts reset for the new shift
        assert (old.incidents, old.seconds) == (1, 600)  # the old shift's stay recorded
        assert (await exposure_for(store, "someone-else", at(-720), at(40))).incidents == 0

        await store.rebuild(journal)
        assert len(await stored(store, "ic", at(-720))) == 2  # a rebuild keeps them
    # a migration of the projection (a new SCHEMA_VERSION) keeps them too
    from data.engine import schema as S

    async with await Store.open(tmp_path / "store.db") as store:
        async with store.engine.begin() as conn:
            await conn.execute(S.meta.update().values(value="0"))
    async with await Store.open(tmp_path / "store.db") as store:
        assert len(await stored(store, "ic", at(-720))) == 2


async def test_warroom_rebuild_keeps_the_counters(tmp_path: Path) -> None:
    from tests.helpers import cli_env, run_cli

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1", category="csea")])
    async with await Store.open(settings.db) as store:
        await store.sync(FileJournal(settings.journal))
        await record(store, ACTOR, [Segment("k1", "INC-1", "csea", at(0), 90.0)])
    result = run_cli(["rebuild"], cli_env(tmp_path, settings.journal, settings.db, actor=ACTOR))
    assert result.returncode == 0, result.stderr
    async with await Store.open(settings.db) as store:
        assert [(s.incident, s.seconds) for s in await stored(store, ACTOR, at(-1))] == [("INC-1", 90.0)]


# --- the handoff report's section (numbers only) -------------------------------------------


async def test_handoff_report_wellbeing_section_is_numbers_only(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "journal.jsonl")
    title = "Secret CSEA title " + HOSTILE[0]
    await journal.append([{"v": 1, "id": "W0", "ts": "2026-11-22T01:00:00.000Z", "actor": "a",
                           "type": "incident.opened", "incident": "INC-7",
                           "data": {"title": title, "category": "csea", "severity": 1,
                                    "source": "user_report", "regions": ["US"]}}])  # fmt: skip
    async with await Store.open(tmp_path / "store.db") as store:
        await store.sync(journal)
        await record(store, "ic", [Segment("a", "INC-7", "csea", at(-60), 1500.0),
                                   Segment("b", "INC-7", "csea", at(-30), 300.0),
                                   Segment("c", "INC-8", "self_harm", at(-20), 600.0),
                                   Segment("old", "INC-9", "csea", at(-800), 900.0)])  # fmt: skip
        report = await build_handoff(store, "ic", None, at(0), Policy())
    e = report.wellbeing
    assert e is not None and e.actor == "ic" and e.since == at(-720)
    by = {c.category: (c.incidents, c.seconds) for c in e.categories}
    assert by == {"csea": (1, 1800.0), "violent_extremism": (0, 0.0), "self_harm": (1, 600.0)}
    doc = to_json(report)["wellbeing"]
    assert doc["incidents"] == 2 and doc["minutes"] == 40.0
    assert doc["categories"][0] == {"category": "csea", "incidents": 1, "minutes": 30.0}
    md = to_markdown(report)
    section = md[md.index("**Exposure of ic this shift**") :]
    assert "- CSEA: 1 incident, 30 min" in section and "- self-harm: 1 incident, 10 min" in section
    assert "- violent extremism: 0 incidents, 0 min" in section
    # numbers only: no incident id, no title in the section
    assert "INC-7" not in json.dumps(doc) and "INC-" not in section and "Secret" not in section


# --- stepping away (pure) ------------------------------------------------------------------


class _Row:
    def __init__(self, id: str, roles: dict[str, str], active: bool = True) -> None:
        self.id, self.roles, self.active = id, tuple(roles.items()), active


def test_step_away_plan_and_events() -> None:
    rows = [
        _Row("INC-1", {"commander": "ic", "scribe": "ic", "deputy": "dee"}),
        _Row("INC-2", {"commander": "ic"}),  # no deputy: left as it is
        _Row("INC-3", {"commander": "zed", "deputy": "ic"}),  # the actor is the deputy
        _Row("INC-4", {"commander": "zed", "deputy": "dee"}),  # no role of the actor's
        _Row("INC-5", {"commander": "ic", "deputy": "dee"}, active=False),  # closed
    ]
    plan = step_away_plan(rows, "ic")
    assert [(h.incident, h.roles, h.to) for h in plan.moves] == [("INC-1", ("commander", "scribe"), "dee")]
    assert [h.incident for h in plan.no_deputy] == ["INC-2"] and plan.self_deputy == ("INC-3",)
    events = [d.as_input() for d in step_away_events(plan, "ic", "  back at 04:30  ")]
    assert [(e["type"], e["incident"]) for e in events] == [
        ("incident.note", "INC-1"), ("incident.role_set", "INC-1"), ("incident.role_set", "INC-1")
    ]  # fmt: skip
    assert events[0]["data"]["text"] == (
        "ic stepped away (a break); commander, scribe handed to the deputy dee. Note: back at 04:30"
    )
    assert [e["data"] for e in events[1:]] == [{"role": "commander", "person": "dee"},
                                               {"role": "scribe", "person": "dee"}]  # fmt: skip
    assert step_away_events(StepAway((), (), ()), "ic", "x") == []


def test_coming_back_takes_back_what_was_handed_to_the_deputy_and_is_still_theirs() -> None:
    from data.care.wellbeing import return_candidates, return_events, return_plan

    def span(incident: str, role: str, start: int, person: str, by: str, end: int | None = None,
             end_by: str | None = None) -> RoleRow:  # fmt: skip
        return RoleRow(incident=incident, role=role, start_seq=start, person=person, start_ts=T0.isoformat(),
                       start_actor=by, end_seq=end, end_actor=end_by)  # fmt: skip

    rows = [
        _Row("INC-1", {"commander": "dee", "scribe": "dee", "deputy": "dee"}),  # both handed by ic
        _Row("INC-2", {"commander": "dee", "deputy": "dee"}),  # handed to dee by zed, not ic
        _Row("INC-3", {"commander": "zed", "deputy": "dee"}),  # moved on since: zed holds it
        _Row("INC-4", {"commander": "dee", "deputy": "dee"}, active=False),  # closed
    ]
    assert return_candidates(rows, "ic") == ["INC-1", "INC-2"]
    history = {
        "INC-1": [span("INC-1", "commander", 1, "ic", "ic", 5, "ic"), span("INC-1", "commander", 5, "dee", "ic"),
                  span("INC-1", "scribe", 2, "ic", "zed", 6, "ic"), span("INC-1", "scribe", 6, "dee", "ic"),
                  span("INC-1", "deputy", 3, "dee", "ic")],
        "INC-2": [span("INC-2", "commander", 1, "ic", "ic", 5, "zed"), span("INC-2", "commander", 5, "dee", "zed"),
                  span("INC-2", "deputy", 3, "dee", "ic")],
    }  # fmt: skip
    plan = return_plan(rows, history, "ic")
    assert [(h.incident, h.roles, h.to) for h in plan] == [("INC-1", ("commander", "scribe"), "dee")]
    events = [d.as_input() for d in return_events(plan, "ic", " had lunch ")]
    assert [(e["type"], e["data"]) for e in events] == [
        ("incident.note", {"text": "ic is back from a break; commander, scribe taken back from the deputy dee. "
                                   "Note: had lunch"}),
        ("incident.role_set", {"role": "commander", "person": "ic"}),
        ("incident.role_set", {"role": "scribe", "person": "ic"}),
    ]  # fmt: skip
    assert return_plan(rows, {}, "ic") == ()


# --- the console ---------------------------------------------------------------------------


async def _started(pilot: Any, app: WarRoom, ids: list[str]) -> MainScreen:
    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
    await wait_for(pilot, lambda: sorted(queue_ids(app)) == sorted(ids), what=f"the queue to show {ids}")
    assert isinstance(app.screen, MainScreen)
    return app.screen


async def _select(pilot: Any, main: MainScreen, incident: str) -> None:
    from widgets.queue import IncidentQueue

    queue = main.query_one(IncidentQueue)
    queue.focus()
    queue.move_cursor(row=queue.get_row_index(incident), animate=False)
    await wait_for(pilot, lambda: main.selected == incident and main._detail_seq[0] == incident,
                   what=f"{incident} selected")  # fmt: skip


def _titles(main: MainScreen) -> dict[str, Text]:
    from widgets.queue import IncidentQueue

    queue = main.query_one(IncidentQueue)
    return {str(r.key.value): queue.get_cell(r.key, "title") for r in queue.ordered_rows}


SEEDED = [
    opened("INC-1", title="CSEA: reported image " + HOSTILE[1], category="csea", severity=1),
    opened("INC-2", title="EDR: welfare concern", category="edr", severity=2),
    opened("INC-3", title="Self-harm livestream", category="self_harm", severity=1),
]


async def test_console_counts_what_is_shown_and_writes_it_on_quit(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, SEEDED)
    clock.freeze(at(0))
    try:
        app = WarRoom(settings)
        async with app.run_test(size=SIZE) as pilot:
            main = await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
            await _select(pilot, main, "INC-3")
            assert app.wellbeing.subject == ("INC-3", "self_harm")
            clock.freeze(at(4))
            await _select(pilot, main, "INC-2")  # not sensitive: counting stops
            assert app.wellbeing.subject is None
            clock.freeze(at(5))
            await pilot.press("enter")  # the incident screen of INC-2: still nothing
            await pilot.pause()
            await pilot.press("escape")
            await _select(pilot, main, "INC-1")
            await pilot.press("enter")  # INC-1's incident screen
            await wait_for(pilot, lambda: app.wellbeing.subject == ("INC-1", "csea"), what="INC-1 counted")
            clock.freeze(at(7))
            await pilot.press("escape")  # back on the war room, INC-1 still selected
            await pilot.pause()
            assert app.wellbeing.subject == ("INC-1", "csea")
            clock.freeze(at(8))
            e = app.wellbeing.exposure(at(8))
            assert e.incidents == 2 and e.seconds == 8 * 60 - 60  # minus the minute on INC-2
            await wait_for(pilot, lambda: "self-harm 1" in str(main.query_one("#wellbeing").render()),
                           what="the wellbeing line")  # fmt: skip
        # written when the console quit
        async with await Store.open(settings.db) as store:
            got = await exposure_for(store, ACTOR, at(-720), at(10))
        assert (got.incidents, got.seconds) == (2, 420.0)
    finally:
        clock.freeze(None)


async def test_console_break_prompt_after_the_configured_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[wellbeing]\nbreak_after_minutes = 30\nidle_minutes = 60\n")
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    settings = settings_for(tmp_path)
    await seed(settings, SEEDED)
    clock.freeze(at(0))
    try:
        app = WarRoom(settings)
        async with app.run_test(size=SIZE) as pilot:
            main = await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
            await _select(pilot, main, "INC-1")
            messages: list[str] = []
            monkeypatch.setattr(app, "notify", lambda message, **kw: messages.append(message))
            clock.freeze(at(29))
            app.wellbeing_wake()
            assert not [m for m in messages if "break" in m]
            clock.freeze(at(31))
            app.wellbeing_wake()  # what the timer does when it fires
            prompts = [m for m in messages if "break" in m]
            assert prompts == ["You have been on sensitive incidents for 31 minutes. A short break helps: step "
                               "away from the screen for a few minutes (B hands your roles to each incident's "
                               "deputy)."]  # fmt: skip
            clock.freeze(at(40))
            app.wellbeing_wake()
            assert len([m for m in messages if "break" in m]) == 1  # once per interval
            assert app._wellbeing_timer is not None  # armed for the next one
            clock.freeze(at(61))
            app.wellbeing_wake()
            assert len([m for m in messages if "break" in m]) == 2
            assert isinstance(app.screen, MainScreen)  # a notification, nothing modal
    finally:
        clock.freeze(None)


async def test_quiet_mode_dims_sensitive_titles_except_the_cursor_row(tmp_path: Path) -> None:
    from widgets.queue import IncidentQueue

    settings = settings_for(tmp_path)
    await seed(settings, SEEDED)
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
        await _select(pilot, main, "INC-2")
        assert _titles(main)["INC-1"].plain.startswith("CSEA: reported image")
        await pilot.press("g")
        await wait_for(pilot, lambda: app.quiet, what="quiet mode")
        titles = _titles(main)
        assert titles["INC-1"].plain == "CSEA incident · title hidden (quiet mode)"
        assert titles["INC-3"].plain == "self-harm incident · title hidden (quiet mode)"
        assert "dim" in str(titles["INC-1"].style)
        assert titles["INC-2"].plain == "EDR: welfare concern"  # not a graphic category
        # the cursor reveals its row only; touching the two title cells and nothing else
        queue = main.query_one(IncidentQueue)
        touched: list[tuple[str, str]] = []
        original = queue.update_cell
        queue.update_cell = lambda row, col, value, **kw: (touched.append((str(row), str(col))),  # type: ignore[method-assign]
                                                            original(row, col, value, **kw))[1]  # fmt: skip
        await _select(pilot, main, "INC-1")
        await wait_for(
            pilot, lambda: _titles(main)["INC-1"].plain.startswith("CSEA: reported"), what="revealed"
        )
        await _select(pilot, main, "INC-3")
        await wait_for(pilot, lambda: _titles(main)["INC-3"].plain == "Self-harm livestream", what="revealed")
        titles = _titles(main)
        assert titles["INC-1"].plain == "CSEA incident · title hidden (quiet mode)"
        assert touched == [("INC-1", "title"), ("INC-1", "title"), ("INC-3", "title")]
        assert "· quiet ·" in str(main.query_one("#wellbeing").render())
        from app.console import palette_commands

        titles = [c.title for c in palette_commands(app, main)]
        assert "Wellbeing: Quiet mode" in titles and "Wellbeing: Step away" in titles
        await pilot.press("g")
        await wait_for(pilot, lambda: not app.quiet, what="quiet mode off")
        assert _titles(main)["INC-1"].plain.startswith("CSEA: reported image")


async def test_quiet_mode_default_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[wellbeing]\nquiet = true\n")
    monkeypatch.setenv("WARROOM_CONFIG", str(config))
    settings = settings_for(tmp_path)
    await seed(settings, SEEDED)
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
        await wait_for(pilot, lambda: "hidden" in _titles(main)["INC-3"].plain, what="quiet titles")
        assert not _titles(main)["INC-1"].plain.endswith("(quiet mode)")  # the cursor's row


async def test_step_away_writes_role_changes_and_notes_and_skips_no_deputy(tmp_path: Path) -> None:
    from textual.widgets import Input, Static

    from screens.wellbeing import StepAwayDialog

    settings = settings_for(tmp_path)
    await seed(settings, [
        *SEEDED,
        scoped("incident.role_set", "INC-1", role="commander", person=ACTOR),
        scoped("incident.role_set", "INC-1", role="deputy", person="dee"),
        scoped("incident.role_set", "INC-2", role="scribe", person=ACTOR),  # no deputy
        scoped("incident.role_set", "INC-3", role="commander", person="zed"),
        scoped("incident.role_set", "INC-3", role="deputy", person=ACTOR),  # the actor is the deputy
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
        await wait_for(pilot, lambda: any(r.roles for r in app.last_snapshot.incidents), what="roles")
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, StepAwayDialog), what="the step-away dialog")
        dialog = app.screen
        plan = str(dialog.query_one("#plan", Static).render())
        assert "INC-1: commander → dee" in plan
        assert "INC-2: you stay scribe" in plan and "INC-3: you are its deputy yourself" in plan
        before = len(journal_lines(settings.journal))
        note = dialog.query_one("#note", Input)
        note.value = "back in 20 min " + HOSTILE[0]
        note.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not dialog, what="the dialog to close")
        lines = new_lines(settings.journal, before)
        assert [(e["type"], e["incident"], e["actor"]) for e in lines] == [
            ("incident.note", "INC-1", ACTOR), ("incident.role_set", "INC-1", ACTOR)
        ]  # fmt: skip
        assert lines[0]["data"]["text"] == (
            f"{ACTOR} stepped away (a break); commander handed to the deputy dee. "
            f"Note: back in 20 min {HOSTILE[0]}".strip()
        )
        assert lines[1]["data"] == {"role": "commander", "person": "dee"}


async def test_step_away_failed_write_stays_in_the_dialog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Input, Static

    from screens.wellbeing import StepAwayDialog

    settings = settings_for(tmp_path)
    await seed(settings, [*SEEDED, scoped("incident.role_set", "INC-1", role="commander", person=ACTOR),
                          scoped("incident.role_set", "INC-1", role="deputy", person="dee")])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
        await wait_for(pilot, lambda: any(r.roles for r in app.last_snapshot.incidents), what="roles")

        async def fail(events: list[dict[str, Any]]) -> str:
            return "the journal is locked"

        monkeypatch.setattr(app, "act", fail)
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, StepAwayDialog), what="the dialog")
        dialog = app.screen
        dialog.query_one("#note", Input).value = "keep me"
        dialog.query_one("#note", Input).focus()
        await pilot.press("enter")
        error = dialog.query_one("#general-error", Static)
        await wait_for(pilot, lambda: error.has_class("shown"), what="the error")
        assert "Nothing was written: the journal is locked" in str(error.render())
        assert app.screen is dialog and dialog.query_one("#note", Input).value == "keep me"


async def test_handoff_screen_team_box_and_the_command_line_show_the_numbers(tmp_path: Path) -> None:
    from screens.handoff import side_text
    from tests.helpers import cli_env, run_cli

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1", title="Secret CSEA title", category="csea")])
    async with await Store.open(settings.db) as store:
        await store.sync(FileJournal(settings.journal))
        now = datetime.now(UTC)
        await record(store, ACTOR, [Segment("k1", "INC-1", "csea", now - timedelta(minutes=30), 1500.0)])
        report = await build_handoff(store, ACTOR, None, now, Policy())
    box = side_text(report).plain
    assert "Your exposure this shift (counts only)\n  CSEA: 1 incident, 25 min\n" in box
    assert "INC-1" not in box[box.index("Your exposure") :]
    result = run_cli(
        ["handoff", "--format", "json"], cli_env(tmp_path, settings.journal, settings.db, actor=ACTOR)
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)["wellbeing"]
    assert doc["person"] == ACTOR and doc["incidents"] == 1 and doc["minutes"] == 25.0


async def test_step_away_then_i_am_back_takes_the_roles_back(tmp_path: Path) -> None:
    from textual.widgets import Input, Static

    from screens.wellbeing import ReturnDialog, StepAwayDialog

    settings = settings_for(tmp_path)
    await seed(settings, [
        *SEEDED,
        scoped("incident.role_set", "INC-1", role="commander", person=ACTOR),
        scoped("incident.role_set", "INC-1", role="deputy", person="dee"),
        scoped("incident.role_set", "INC-3", role="scribe", person=ACTOR),
        scoped("incident.role_set", "INC-3", role="deputy", person="dee"),
    ])  # fmt: skip
    app = WarRoom(settings)
    journal = settings.journal
    async with app.run_test(size=SIZE) as pilot:
        main = await _started(pilot, app, ["INC-1", "INC-3", "INC-2"])
        await wait_for(pilot, lambda: any(r.roles for r in app.last_snapshot.incidents), what="roles")
        await pilot.press("B")
        await wait_for(pilot, lambda: isinstance(app.screen, StepAwayDialog), what="the step-away dialog")
        assert "B (I'm back) takes these roles back" in str(app.screen.query_one("#plan", Static).render())
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is main and len(journal_lines(journal)) == 11, what="stepped away"
        )
        # meanwhile someone moves INC-3's scribe on: that one is not taken back
        await seed(settings, [scoped("incident.role_set", "INC-3", role="scribe", person="zed")], actor="zed")
        await wait_for(pilot, lambda: dict(next(r for r in app.last_snapshot.incidents if r.id == "INC-3").roles)
                       .get("scribe") == "zed", what="zed scribe")  # fmt: skip
        await pilot.press("B")  # nothing left to hand over: B is the way back
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnDialog), what="the I'm back dialog")
        dialog = app.screen
        assert "INC-1: commander ← dee" in str(dialog.query_one("#plan", Static).render())
        assert "INC-3" not in str(dialog.query_one("#plan", Static).render())
        dialog.query_one("#note", Input).value = "thanks, Dee"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is main and len(journal_lines(journal)) == 14, what="back")
        lines = new_lines(journal, 12)
        assert [(e["type"], e["incident"], e["data"], e["actor"]) for e in lines] == [
            ("incident.note", "INC-1", {"text": f"{ACTOR} is back from a break; commander taken back from the "
                                                "deputy dee. Note: thanks, Dee"}, ACTOR),
            ("incident.role_set", "INC-1", {"role": "commander", "person": ACTOR}, ACTOR),
        ]  # fmt: skip
        # nothing more to take back: the palette's I'm back says so
        app.told.clear()
        main.action_back()
        await wait_for(pilot, lambda: any("Nothing to take back" in n.message for n in app.told),
                       what="the message")  # fmt: skip
