"""Triage of signals (docs/intake.md, "Triage"): what waits (snoozes ending by themselves),
the suggested matches and why (restricted incidents never leaked), the urgent rules, the
queue's header, the incident timeline's signal entries; and the triage screen driven at the
keyboard: each outcome writes the right events, live across consoles, hostile text shown
literally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from data.config import Settings
from data.engine import clock
from data.engine.config import IntakeConfig, UrgentRule
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.incidents.views import SyncState, load_detail, load_snapshot
from data.intake.signals import signal_drafts
from data.triage.candidates import build_pool, load_pool
from data.triage.match import RESTRICTED_TITLE, RESTRICTED_WHY, features, suggest
from data.triage.queue import header, is_urgent, parse_until, source_of, summary
from data.triage.signals import all_signals, open_signals, waiting
from tests._console_helpers import opened, seed, settings_for

NOW = datetime(2026, 11, 22, 3, 30, tzinfo=UTC)


def at(minutes_ago: float) -> str:
    return clock.utc_text(NOW - timedelta(minutes=minutes_ago))


def sig(
    signal: str, title: str, *, minutes_ago: float = 10, channel: str = "le_portal", **kw: Any
) -> list[dict[str, Any]]:
    """The events of one signal (data/intake/signals.py), as ``seed`` takes them."""
    payload = kw.pop("payload", title.encode())
    drafts = signal_drafts(channel=channel, title=title, payload=payload, raw_type=kw.pop("raw_type", "text/plain"),
                           received_at=at(minutes_ago), signal=signal, **kw)  # fmt: skip
    return [d.as_input() for d in drafts]


def triaged(signal: str, outcome: str, **data: Any) -> dict[str, Any]:
    return {"type": "signal.triaged", "data": {"signal": signal, "outcome": outcome, **data}}


async def _store(settings: Settings) -> Store:
    store = await Store.open(settings.db)
    await store.sync(FileJournal(settings.journal))
    return store


# --- what waits ---------------------------------------------------------------------------


async def test_waiting_signals_newest_first_and_a_snooze_ends_by_itself(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1"),
        *sig("SIG-AAAA0001", "Oldest report", minutes_ago=50),
        *sig("SIG-AAAA0002", "Newest report", minutes_ago=5),
        *sig("SIG-AAAA0003", "Middle report", minutes_ago=20),
        *sig("SIG-AAAA0004", "Snoozed report", minutes_ago=40),
        *sig("SIG-AAAA0005", "Dismissed report", minutes_ago=30),
        *sig("SIG-AAAA0006", "Attached report", minutes_ago=30),
        *sig("SIG-AAAA0007", "A repeat", minutes_ago=1, ref="R-1"),
        *sig("SIG-AAAA0008", "A repeat", minutes_ago=0, ref="R-1"),
        triaged("SIG-AAAA0004", "snoozed", until=clock.utc_text(NOW + timedelta(minutes=15))),
        triaged("SIG-AAAA0005", "dismissed", reason="Spam"),
        triaged("SIG-AAAA0006", "attached", incident="INC-1"),
    ])  # fmt: skip
    store = await _store(settings)
    try:
        rows = await open_signals(store)
        ids = [r.signal for r in waiting(rows, NOW)]
        assert ids == ["SIG-AAAA0007", "SIG-AAAA0002", "SIG-AAAA0003", "SIG-AAAA0001"]
        later = NOW + timedelta(minutes=15)  # the snooze is over: back, in its place
        assert [r.signal for r in waiting(rows, later)] == [*ids[:3], "SIG-AAAA0004", ids[3]]
        w = summary(rows, NOW)
        assert (w.count, w.oldest) == (4, NOW - timedelta(minutes=50))
        assert header(w, NOW) == "4 signals waiting · oldest 50m"
        assert header(summary(rows[:0], NOW), NOW) == ""
        first = next(r for r in rows if r.signal == "SIG-AAAA0007")
        assert first.repeats == 1
        every = {r.signal for r in await all_signals(store)}
        assert every == {f"SIG-AAAA000{n}" for n in range(1, 8)}  # the repeat is counted, not listed
    finally:
        await store.close()


def test_urgent_rules() -> None:
    cfg = IntakeConfig(urgent=[UrgentRule(channels=["le_portal", "le_email"], keywords=["imminent", "Threat to life"]),
                               UrgentRule(keywords=["bomb"])])  # fmt: skip

    def row(channel: str, title: str, body: str = "") -> Any:
        from dataclasses import replace

        return replace(_row, channel=channel, title=title, body=body)

    _row = _a_row()
    assert is_urgent(row("le_portal", "IMMINENT harm to a child"), cfg.urgent)
    assert is_urgent(row("le_email", "Request", "possible threat to LIFE"), cfg.urgent)
    assert not is_urgent(row("press", "Imminent story"), cfg.urgent)  # not its channel
    assert is_urgent(row("press", "a Bomb threat"), cfg.urgent)  # any channel
    assert not is_urgent(row("le_portal", "Records request"), cfg.urgent)
    assert not is_urgent(row("le_portal", "imminent"), [])


def _a_row() -> Any:
    from data.triage.signals import SignalRow

    return SignalRow("SIG-X0001", "le_portal", None, NOW, "t", "", False, None, (), (), (), "text/plain", 1,
                     "0" * 64, 0, NOW, "untriaged", None, None, None, None, None, None, None, 1)  # fmt: skip


def test_the_urgent_config_is_read_from_the_file(tmp_path: Path) -> None:
    from data.engine.config import load_config

    path = tmp_path / "config.toml"
    path.write_text('[[intake.urgent]]\nchannels = ["le_portal"]\nkeywords = ["imminent"]\n')
    cfg = load_config(path)
    assert cfg.problem("intake") is None
    assert cfg.intake.urgent[0].channels == ["le_portal"] and cfg.intake.urgent[0].keywords == ["imminent"]
    path.write_text('[[intake.urgent]]\nchannels = ["carrier_pigeon"]\nkeywords = ["x"]\n')
    assert "channels" in str(load_config(path).problem("intake"))
    # without rules of its own, the defaults flag a danger to life from law enforcement and a
    # live attack from anyone; `urgent = []` turns them off
    from dataclasses import replace

    def _row(channel: str, title: str, body: str = "") -> Any:
        return replace(_a_row(), channel=channel, title=title, body=body)

    path.write_text("")
    rules = load_config(path).intake.urgent
    assert is_urgent(_row("le_portal", "Emergency request", "an IMMINENT threat"), rules)
    assert is_urgent(_row("gifct", "Attack livestream hashes shared"), rules)
    assert not is_urgent(_row("press", "An imminent story"), rules)
    assert not is_urgent(_row("le_portal", "Records request for an account"), rules)
    path.write_text("[intake]\nurgent = []\n")
    assert load_config(path).intake.urgent == []


def test_snooze_times() -> None:
    assert parse_until("15m", NOW) == NOW + timedelta(minutes=15)
    assert parse_until("4h", NOW) == NOW + timedelta(hours=4)
    assert parse_until("tomorrow 09:00", NOW) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert parse_until("09:00", NOW) == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert parse_until("03:00", NOW) == datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # passed: tomorrow's
    assert parse_until("2026-11-24T10:00:00Z", NOW) == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    for bad, words in (("", "until when"), ("soon", "RFC 3339"), ("25:00", "time of day"),
                       ("2026-11-01T00:00:00Z", "future")):  # fmt: skip
        with pytest.raises(ValueError, match=words):
            parse_until(bad, NOW)


def test_sources_of_channels() -> None:
    assert source_of("le_portal") == source_of("le_email") == "law_enforcement"
    assert source_of("ncmec") == source_of("gifct") == source_of("partner") == "partner"
    assert (source_of("press"), source_of("detection"), source_of("regulator")) == (
        "media", "proactive_detection", "regulator")  # fmt: skip
    assert source_of("webhook") is None  # the form asks


# --- matches ------------------------------------------------------------------------------


def test_each_reason_to_match_is_said() -> None:
    from data.triage.match import Candidate

    me = features("Threats against a school", ["from @Shooter_99, see https://Example.com/post/1/ ref LE-2041"],
                  accounts=["66685"], refs=["CASE-9"])  # fmt: skip
    cands = [
        Candidate("signal", "SIG-A", "Unrelated", features("Something else", ["user @shooter_99 again"])),
        Candidate(
            "signal", "SIG-B", "Link", features("Other words here", urls=["https://example.com/post/1"])
        ),
        Candidate("signal", "SIG-C", "Ref", features("Other words there", refs=["LE-2041"])),
        Candidate("signal", "SIG-D", "Ref in text", features("Further words", ["about CASE-9 today"])),
        Candidate("incident", "INC-1", "Threat", features("Threats against a school (Ohio)")),
        Candidate("incident", "INC-2", "Acct", features("Account review", ["acct:66685 suspended"])),
        Candidate("signal", "SIG-E", "No", features("Nothing in common at all")),
    ]
    got = {m.id: m.why for m in suggest(me, cands)}
    assert got["SIG-A"] == ("same account @Shooter_99",)
    assert got["SIG-B"] == ("same URL https://Example.com/post/1/",)  # as it was written
    assert got["SIG-C"] == ("same reference LE-2041",)
    assert got["SIG-D"] == ("same reference CASE-9",)
    assert got["INC-2"] == ("same account 66685",)
    assert (
        len(got["INC-1"]) == 1 and got["INC-1"][0].startswith("title ") and got["INC-1"][0].endswith("% like")
    )
    assert "SIG-E" not in got
    # best first: more reasons rank higher; the limit holds
    both = Candidate("signal", "SIG-F", "Both", features("Threats against a school", ["@shooter_99"]))
    ranked = suggest(me, [*cands, both], limit=3)
    assert ranked[0].id == "SIG-F" and ranked[0].why == ("same account @Shooter_99", "title 100% like")
    assert len(ranked) == 3


async def test_a_restricted_incident_is_suggested_by_its_id_only_to_an_outsider(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    secret = "Operation Nightjar: @target_account"
    await seed(settings, [
        opened("INC-1", title=secret, summary="about https://evil.example/x", restricted=True),
        {"type": "incident.participant_added", "incident": "INC-1", "data": {"person": "insider"}},
        opened("INC-2", title="Open school threat"),
        *sig("SIG-AAAA0001", "Report on @target_account", body="see https://evil.example/x"),
    ])  # fmt: skip
    store = await _store(settings)
    try:
        row = next(r for r in await open_signals(store) if r.signal == "SIG-AAAA0001")
        outsider = (await load_pool(store, "outsider")).matches(row)
        m = next(m for m in outsider if m.id == "INC-1")
        assert (m.title, m.why, m.hidden) == (RESTRICTED_TITLE, (RESTRICTED_WHY,), True)
        assert "Nightjar" not in repr(outsider) and "evil" not in repr(m)
        insider = (await load_pool(store, "insider")).matches(row)
        m = next(m for m in insider if m.id == "INC-1")
        assert m.title == secret and set(m.why) == {
            "same account @target_account",
            "same URL https://evil.example/x",
        }
    finally:
        await store.close()


def test_matching_hundreds_is_one_pass() -> None:
    """Hundreds of signals and incidents: the pool is built once; each signal's matches come
    from it (the speed itself: bench/triage_match.py)."""
    from dataclasses import replace

    from data.triage.signals import SignalRow

    base = _a_row()
    rows = [replace(base, signal=f"SIG-{n:05d}", title=f"Report number {n} about account {n % 50}",
                    accounts=(f"@user{n % 40}",)) for n in range(400)]  # fmt: skip
    incidents = [_incident(f"INC-{n}", f"Incident {n} about @user{n}") for n in range(300)]
    pool = build_pool(incidents, rows, "me")
    got = pool.matches(rows[0], limit=100)
    assert got and all(m.id != rows[0].signal for m in got) and len(pool.matches(rows[0])) == 8
    assert any(m.id == "INC-0" and m.why[0] == "same account @user0" for m in got)
    assert isinstance(rows[0], SignalRow)


def _incident(inc: str, title: str) -> Any:
    from tests.helpers import incident_record

    return incident_record(id=inc, title=title)


# --- the incident's timeline ------------------------------------------------------------


async def test_an_attached_signal_is_in_the_incident_timeline_and_moves_its_row(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1"),
        *sig("SIG-AAAA0001", "Tip from @someone", channel="le_portal"),
        *sig("SIG-AAAA0002", "Not this one"),
    ])  # fmt: skip
    store = await _store(settings)
    try:
        before = (await load_snapshot(store, SyncState(journal="j"))).incidents[0]
        await seed(settings, [triaged("SIG-AAAA0001", "attached", incident="INC-1")])
        await store.sync(FileJournal(settings.journal))
        after = (await load_snapshot(store, SyncState(journal="j"))).incidents[0]
        assert after.last_seq == before.last_seq and after.shown_seq > before.shown_seq
        detail = await load_detail(store, "INC-1")
        last = detail.entries[-1]
        assert last.type == "signal.triaged" and last.seq == after.signals_seq
        assert last.text == "Signal SIG-AAAA0001 from le_portal: Tip from @someone (attached)"
        assert not any("SIG-AAAA0002" in e.text for e in detail.entries)
    finally:
        await store.close()


# --- the console, at the keyboard -------------------------------------------------------


def _console_events(*signals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for s in signals for e in s]


async def _triage(pilot: Any, app: Any, ids: list[str]) -> Any:
    """Open the triage screen (T) and wait for it to list ``ids``."""
    from screens.triage import TriageScreen
    from tests._console_helpers import wait_for

    await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
    await pilot.press("T")
    await wait_for(pilot, lambda: isinstance(app.screen, TriageScreen), what="the triage screen")
    screen = app.screen
    await wait_for(pilot, lambda: [r.signal for r in screen.rows] == ids, what=f"the signals {ids}")
    return screen


async def _select(pilot: Any, screen: Any, signal: str) -> None:
    from textual.widgets import DataTable

    from tests._console_helpers import wait_for

    table = screen.query_one("#signals", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(signal), animate=False)
    await wait_for(pilot, lambda: screen.selected() is not None and screen.selected().signal == signal,
                   what=f"{signal} selected")  # fmt: skip


async def _lines_after(pilot: Any, app: Any, before: int, count: int) -> list[dict[str, Any]]:
    from tests._console_helpers import journal_lines, new_lines, wait_for

    await wait_for(pilot, lambda: len(journal_lines(app.settings.journal)) >= before + count,
                   what=f"{count} lines written")  # fmt: skip
    return new_lines(app.settings.journal, before)


async def test_promote_writes_the_incident_its_procedure_and_the_triage_in_one_batch(tmp_path: Path) -> None:
    from textual.widgets import Input, Select, SelectionList

    from app.console import WarRoom
    from screens.triage import PromoteDialog
    from tests._console_helpers import ACTOR, SIZE, journal_lines, wait_for

    settings = settings_for(tmp_path)
    await seed(settings, _console_events(
        sig("SIG-AAAA0001", "Older report", minutes_ago=30, body="A welfare check: imminent danger."),
        sig("SIG-AAAA0002", "Threat to a school from @shooter_99", minutes_ago=5,
            body="Student posted a threat.\nSee https://example.com/p/1", ref="LE-77"),
    ))  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _triage(pilot, app, ["SIG-AAAA0002", "SIG-AAAA0001"])
        await _select(pilot, screen, "SIG-AAAA0002")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PromoteDialog), what="the promote form")
        dialog = app.screen
        await pilot.pause()
        # prefilled from the signal (identifiers masked); the source from the channel
        assert dialog.query_one("#title", Input).value == "Threat to a school from @s***"
        assert (
            dialog.query_one("#summary", Input).value
            == "Student posted a threat. See https://example.com/p/1"
        )
        assert dialog.query_one("#source", Select).value == "law_enforcement"
        # the category the channel suggests; no severity proposed: not urgent by the default rules
        assert dialog.query_one("#category", Select).value == "edr"
        assert dialog.query_one("#severity", Select).is_blank()
        new = dialog.query_one("#incident-id", Input).value
        dialog.query_one("#category", Select).value = "violent_extremism"
        dialog.query_one("#severity", Select).value = 1
        dialog.query_one("#regions", SelectionList).select("US")
        before = len(journal_lines(settings.journal))
        dialog.query_one("#title", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="the form to close")
        lines = await _lines_after(pilot, app, before, 4)
        types = [line["type"] for line in lines]
        assert types[:3] == ["incident.opened", "incident.role_set", "signal.triaged"]
        assert types[3:] and set(types[3:]) == {"checklist.added"}  # the procedure applies
        assert all(line.get("batch", [0, 0])[1] == len(lines) for line in lines)  # one batch
        assert lines[2]["data"] == {"signal": "SIG-AAAA0002", "outcome": "promoted", "incident": new}
        assert lines[2]["actor"] == ACTOR and "incident" not in lines[2]
        # it leaves the list, live
        await wait_for(
            pilot, lambda: [r.signal for r in screen.rows] == ["SIG-AAAA0001"], what="promoted: gone"
        )
        # an urgent one (the default rules: law enforcement, "imminent"): severity 1 proposed
        await _select(pilot, screen, "SIG-AAAA0001")
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PromoteDialog), what="the second promote form")
        await pilot.pause()
        assert app.screen.query_one("#severity", Select).value == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the form to close")
    store = await _store(settings)
    try:
        detail = await load_detail(store, new)
        assert any(
            e.type == "signal.triaged" and "SIG-AAAA0002 from le_portal" in e.text for e in detail.entries
        )
    finally:
        await store.close()


async def test_attach_duplicate_dismiss_snooze_and_reopen_at_the_keyboard(tmp_path: Path) -> None:
    from textual.widgets import Input

    from app.console import WarRoom
    from screens.picker import Picker
    from screens.triage import DismissDialog, SnoozeDialog
    from tests._console_helpers import SIZE, journal_lines, wait_for

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1", title="Harassment campaign against @victim_1"),
        opened("INC-2", title="Another matter entirely"),
        *sig("SIG-AAAA0001", "More abuse aimed at @victim_1", minutes_ago=40),
        *sig("SIG-AAAA0002", "Spam spam spam", minutes_ago=30),
        *sig("SIG-AAAA0003", "Fraud ring selling accounts", minutes_ago=20),
        *sig("SIG-AAAA0004", "Fraud ring selling accounts again", minutes_ago=10),
        *sig("SIG-AAAA0005", "Later please", minutes_ago=5),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        ids = [f"SIG-AAAA000{n}" for n in (5, 4, 3, 2, 1)]
        screen = await _triage(pilot, app, ids)

        # attach: the suggested incident first, with why
        await _select(pilot, screen, "SIG-AAAA0001")
        await wait_for(pilot, lambda: any(m.id == "INC-1" for m in screen.matches), what="INC-1 suggested")
        assert next(m for m in screen.matches if m.id == "INC-1").why[0] == "same account @victim_1"
        before = len(journal_lines(settings.journal))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker), what="the incident picker")
        assert app.screen.choices[0][0] == "INC-1" and {c for c, _ in app.screen.choices} == {
            "INC-1",
            "INC-2",
        }
        await pilot.press("enter")
        (line,) = await _lines_after(pilot, app, before, 1)
        assert (line["type"], line["data"]) == (
            "signal.triaged", {"signal": "SIG-AAAA0001", "outcome": "attached", "incident": "INC-1"})  # fmt: skip
        await wait_for(
            pilot, lambda: "SIG-AAAA0001" not in [r.signal for r in screen.rows], what="attached: gone"
        )

        # duplicate: the look-alike signal first
        await _select(pilot, screen, "SIG-AAAA0004")
        await wait_for(
            pilot, lambda: any(m.id == "SIG-AAAA0003" for m in screen.matches), what="the look-alike"
        )
        before = len(journal_lines(settings.journal))
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker), what="the signal picker")
        assert app.screen.choices[0][0] == "SIG-AAAA0003"
        await pilot.press("enter")
        (line,) = await _lines_after(pilot, app, before, 1)
        assert line["data"] == {
            "signal": "SIG-AAAA0004",
            "outcome": "duplicate",
            "duplicate_of": "SIG-AAAA0003",
        }

        # dismiss: a reason is required
        await _select(pilot, screen, "SIG-AAAA0002")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, DismissDialog), what="the dismiss form")
        dialog = app.screen
        await pilot.pause()
        before = len(journal_lines(settings.journal))
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: dialog.query_one("#reason-error").has_class("shown"), what="reason required"
        )
        assert len(journal_lines(settings.journal)) == before
        dialog.query_one("#reason", Input).value = "Spam"
        await pilot.press("enter")
        (line,) = await _lines_after(pilot, app, before, 1)
        assert line["data"] == {"signal": "SIG-AAAA0002", "outcome": "dismissed", "reason": "Spam"}

        # snooze: a typed time wins over the choice
        await _select(pilot, screen, "SIG-AAAA0005")
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeDialog), what="the snooze form")
        dialog = app.screen
        await pilot.pause()
        dialog.query_one("#until", Input).value = "2h"
        dialog.query_one("#until", Input).focus()
        before = len(journal_lines(settings.journal))
        t0 = clock.now()
        await pilot.press("enter")
        (line,) = await _lines_after(pilot, app, before, 1)
        until = datetime.fromisoformat(line["data"]["until"].replace("Z", "+00:00"))
        assert line["data"]["outcome"] == "snoozed" and timedelta(
            hours=2, seconds=-1
        ) <= until - t0 < timedelta(hours=2, minutes=1)
        await wait_for(pilot, lambda: [r.signal for r in screen.rows] == ["SIG-AAAA0003"], what="one left")

        # every signal, and one reopened
        await pilot.press("l")
        await wait_for(pilot, lambda: len(screen.rows) == 5, what="every signal")
        await _select(pilot, screen, "SIG-AAAA0002")
        before = len(journal_lines(settings.journal))
        await pilot.press("r")
        (line,) = await _lines_after(pilot, app, before, 1)
        assert line["data"] == {"signal": "SIG-AAAA0002", "outcome": "reopened"}
        await pilot.press("l")
        await wait_for(pilot, lambda: [r.signal for r in screen.rows] == ["SIG-AAAA0003", "SIG-AAAA0002"],
                       what="reopened: back")  # fmt: skip


async def test_signals_arrive_and_go_live_and_the_header_flags_an_urgent_one(tmp_path: Path) -> None:
    """Another writer adds and triages signals: the triage screen and the queue's header
    follow without a key; an urgent signal is flagged in the header and told once."""
    import dataclasses

    from app.console import WarRoom
    from data.engine.config import WarroomConfig

    config = WarroomConfig(
        intake=IntakeConfig(urgent=[UrgentRule(channels=["le_portal"], keywords=["imminent"])])
    )
    settings = dataclasses.replace(settings_for(tmp_path), config=config)
    await seed(settings, [opened("INC-1"), *sig("SIG-AAAA0001", "Records request", minutes_ago=12)])
    app = WarRoom(settings)
    clock.freeze(NOW)  # the ages: "oldest 12m"
    try:
        await _live_and_header(app, settings)
    finally:
        clock.freeze(None)


async def _live_and_header(app: Any, settings: Settings) -> None:
    from screens.main import MainScreen
    from tests._console_helpers import wait_for

    async with app.run_test(size=(80, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
        main = app.screen
        assert isinstance(main, MainScreen)
        pane = main.query_one("#queue-pane")

        def title() -> str:
            return str(pane._border_title.plain)  # (the getter gives markup)

        await wait_for(pilot, lambda: "1 signal waiting · oldest 12m" in title(), what="the header")
        assert "URGENT" not in title()
        # another console receives an urgent one: flagged at once, told once
        await seed(settings, sig("SIG-AAAA0002", "IMMINENT threat to life", minutes_ago=1))
        await wait_for(
            pilot, lambda: "2 signals waiting · oldest 12m · ⚠ URGENT signal" in title(), what="urgent"
        )
        toasts = [n.message for n in app._notifications]
        assert sum("URGENT signal from le_portal: IMMINENT threat to life" in m for m in toasts) == 1
        assert len(title()) <= 78  # in the pane's border at 80 columns
        # the triage screen follows another writer
        screen = await _triage(pilot, app, ["SIG-AAAA0002", "SIG-AAAA0001"])
        await seed(settings, sig("SIG-AAAA0003", "Newest", minutes_ago=0))
        await wait_for(
            pilot, lambda: bool(screen.rows) and screen.rows[0].signal == "SIG-AAAA0003", what="a new signal"
        )
        await seed(settings, [triaged("SIG-AAAA0002", "attached", incident="INC-1")])
        await wait_for(pilot, lambda: [r.signal for r in screen.rows] == ["SIG-AAAA0003", "SIG-AAAA0001"],
                       what="triaged elsewhere: gone")  # fmt: skip
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: "URGENT" not in title() and "2 signals waiting" in title(), what="unflagged"
        )
        await seed(settings, [triaged(s, "dismissed", reason="x") for s in ("SIG-AAAA0001", "SIG-AAAA0003")])
        await wait_for(pilot, lambda: title() == "1 Incident queue", what="none waiting: the plain title")


HOSTILE_TITLE = "[bold red]PWNED[/] [@click=app.quit]x[/] \x1b[2J\x1b]52;c;cm0=\x07 [/foo]"


async def test_hostile_signals_are_shown_literally(tmp_path: Path) -> None:
    from textual.widgets import DataTable, Static

    from app.console import WarRoom
    from tests._console_helpers import SIZE, assert_screen_clean, plain_cells, wait_for

    settings = settings_for(tmp_path)
    body = "[red]body[/] \x1b[31mred\x1b[0m\r\nline two [/]"
    payload = b'{"t": "[b]x[/b]"}\n\x1b]0;title\x07 \xff\xfe [link=file:///etc/passwd]y[/link]'
    await seed(settings, sig("SIG-AAAA0001", HOSTILE_TITLE, body=body, reporter="[i]rep[/i]", payload=payload,
                             attachments=[{"name": "[b]a.exe[/b]", "type": "application/x-msdownload", "size": 3}]))  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _triage(pilot, app, ["SIG-AAAA0001"])
        cells = plain_cells(screen.query_one("#signals", DataTable))
        assert any(
            c.startswith("[bold red]PWNED[/] [@click=app.quit]x[/] ") and c.endswith("[/foo]") for c in cells
        )
        assert "[i]rep[/i]" in cells
        detail = screen.query_one("#signal-detail", Static)
        await wait_for(
            pilot, lambda: "[link=file:///etc/passwd]y[/link]" in str(detail.render()), what="the payload"
        )
        shown = str(detail.render())
        for literal in ("[red]body[/]", "line two [/]", "[b]a.exe[/b]", '{"t": "[b]x[/b]"}'):
            assert literal in shown, literal
        assert app.screen is screen  # nothing ran (no [@click=app.quit])
        assert_screen_clean(app, "the triage screen")
        # a 1 MB e-mail whose MIME is broken: its start shown literally, the rest counted
        mime = b'Content-Type: multipart/mixed; boundary="[/x]\x1b[2J\n\n--[/x]\r\n[red]' + b"A" * 1_000_000
        await seed(settings, sig("SIG-AAAA0002", "Broken mail", payload=mime, raw_type="message/rfc822"))
        await wait_for(pilot, lambda: [r.signal for r in screen.rows] == ["SIG-AAAA0002", "SIG-AAAA0001"],
                       what="the second signal")  # fmt: skip
        await _select(pilot, screen, "SIG-AAAA0002")
        await wait_for(pilot, lambda: "more characters" in str(detail.render()), what="the big payload")
        shown = str(detail.render())
        assert 'boundary="[/x]' in shown and "--[/x]" in shown and "\x1b" not in shown
        assert_screen_clean(app, "the triage screen, a big broken e-mail")


async def test_a_signal_attached_elsewhere_appears_in_the_selected_incident_timeline(tmp_path: Path) -> None:
    """The incident's own last line does not move when a signal is attached to it: the war
    room's timeline follows all the same (IncidentRow.signals_seq)."""
    from app.console import WarRoom
    from tests._console_helpers import SIZE, log_text, queue_ids, wait_for
    from widgets.timeline import Timeline

    settings = settings_for(tmp_path)
    await seed(
        settings, [opened("INC-1"), *sig("SIG-AAAA0001", "Tip about [b]@someone[/b]", channel="ncmec")]
    )
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-1"], what="the queue")
        main = app.screen
        await wait_for(pilot, lambda: main._detail_seq[0] == "INC-1", what="INC-1 shown")
        timeline = main.query_one(Timeline)
        assert "SIG-AAAA0001" not in log_text(timeline)
        await seed(settings, [triaged("SIG-AAAA0001", "attached", incident="INC-1")])
        await wait_for(pilot, lambda: "Signal SIG-AAAA0001 from ncmec: Tip about [b]@s***[/b] (attached)"
                       in log_text(timeline), what="the signal in the timeline")  # fmt: skip
        assert "SGNL" in log_text(timeline)


# --- the command line ---------------------------------------------------------------------


async def test_the_command_line_lists_and_triages(tmp_path: Path) -> None:
    import json

    from tests._console_helpers import journal_lines
    from tests.helpers import cli_env, run_cli

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-1"),
        *sig("SIG-AAAA0001", "Records request", minutes_ago=30, channel="le_email"),
        *sig("SIG-AAAA0002", "Imminent threat [b]x[/b]", minutes_ago=5),
        *sig("SIG-AAAA0003", "Press asks", minutes_ago=20, channel="press"),
    ])  # fmt: skip
    env = cli_env(tmp_path, settings.journal, tmp_path / "cli.db", actor="cli-ic")
    config = tmp_path / "config.toml"
    config.write_text('[[intake.urgent]]\nchannels = ["le_portal"]\nkeywords = ["imminent"]\n')
    env["WARROOM_CONFIG"] = str(config)

    out = run_cli(["signals"], env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert [line.split()[0] for line in lines] == ["SIG-AAAA0002", "SIG-AAAA0003", "SIG-AAAA0001"]
    assert "⚠ Imminent threat [b]x[/b]" in lines[0] and "⚠" not in lines[1]
    got = [json.loads(line) for line in run_cli(["signals", "--json"], env).stdout.decode().splitlines()]
    assert got[0]["urgent"] is True and got[0]["status"] == "waiting" and got[2]["channel"] == "le_email"

    def triage(*args: str) -> Any:
        return run_cli(["triage", *args], env)

    bad = triage("SIG-AAAA0001", "dismiss")
    assert bad.returncode == 2 and b"--reason" in bad.stderr
    assert triage("SIG-NONE0000", "reopen").returncode == 2
    assert triage("SIG-AAAA0001", "attach").returncode == 2  # which incident?
    assert triage("SIG-AAAA0001", "dismiss", "--reason", "Spam").returncode == 0
    assert triage("SIG-AAAA0003", "snooze", "--until", "1h").returncode == 0
    before = len(journal_lines(settings.journal))
    promoted = triage("SIG-AAAA0002", "promote", "--category", "violent_extremism", "--severity", "1",
                      "--region", "US", "--incident", "INC-NEW-1")  # fmt: skip
    assert promoted.returncode == 0, promoted.stderr
    batch = journal_lines(settings.journal)[before:]
    assert [b["type"] for b in batch[:2]] == ["incident.opened", "signal.triaged"]
    assert {b["type"] for b in batch[2:]} == {"checklist.added"} and all(
        b["batch"][1] == len(batch) for b in batch
    )
    assert (
        batch[0]["data"]["source"] == "law_enforcement"
        and batch[0]["data"]["title"] == "Imminent threat [b]x[/b]"
    )
    assert batch[1]["data"] == {"signal": "SIG-AAAA0002", "outcome": "promoted", "incident": "INC-NEW-1"}
    assert triage("SIG-AAAA0001", "reopen").returncode == 0
    assert run_cli(["signals"], env).stdout.decode().split()[0] == "SIG-AAAA0001"
    every = run_cli(["signals", "--all"], env).stdout.decode().splitlines()
    assert [line.split()[3] for line in every] == ["waiting", "promoted", "snoozed"]
    assert journal_lines(settings.journal)[-1]["data"] == {"signal": "SIG-AAAA0001", "outcome": "reopened"}


async def test_an_outsider_sees_a_restricted_match_by_its_id_and_cannot_attach_to_it(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from app.console import WarRoom
    from screens.picker import Picker
    from tests._console_helpers import SIZE, journal_lines, plain_cells, screen_text, wait_for
    from tests.helpers import cli_env, run_cli

    settings = settings_for(tmp_path)  # the console's actor is not in INC-R
    await seed(settings, [
        opened("INC-R", title="Operation Nightjar: @target_account", restricted=True),
        {"type": "incident.participant_added", "incident": "INC-R", "data": {"person": "insider"}},
        *sig("SIG-AAAA0001", "Report on @target_account"),
    ], actor="insider")  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _triage(pilot, app, ["SIG-AAAA0001"])
        await wait_for(
            pilot, lambda: [m.id for m in screen.matches] == ["INC-R"], what="the restricted match"
        )
        cells = plain_cells(screen.query_one("#matches", DataTable))
        assert cells == ["INC-R", "a restricted incident matches: ask its commander", "(restricted)"]
        assert "Nightjar" not in screen_text(app)
        before = len(journal_lines(settings.journal))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker), what="the picker")
        assert "Nightjar" not in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="the picker closed")
        await pilot.pause()
        assert len(journal_lines(settings.journal)) == before  # refused: nothing written
    out = run_cli(["triage", "SIG-AAAA0001", "attach", "INC-R"], cli_env(tmp_path, settings.journal,
                                                                          tmp_path / "cli.db", actor="outsider"))  # fmt: skip
    assert out.returncode == 2 and b"restricted" in out.stderr
    assert len(journal_lines(settings.journal)) == before


async def test_the_signals_waiting_stay_shown_while_the_picture_is_stale(tmp_path: Path) -> None:
    from app.console import WarRoom
    from tests._console_helpers import SIZE, wait_for
    from widgets.status import StatusBar

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1"), *sig("SIG-AAAA0001", "Waiting", minutes_ago=1)])
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
        pane = app.screen.query_one("#queue-pane")
        await wait_for(pilot, lambda: "1 signal waiting" in pane._border_title.plain, what="the header")
        settings.journal.rename(tmp_path / "moved.jsonl")  # the journal is missing: stale
        bar = app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: bar.state.error is not None, what="stale")
        await pilot.pause()
        assert [r.signal for r in app.last_snapshot.signals] == ["SIG-AAAA0001"]  # the last good state
        assert "1 signal waiting" in pane._border_title.plain


async def test_a_snoozed_signal_comes_back_on_the_screens_clock(tmp_path: Path) -> None:
    """Nothing is written when a snooze ends: the triage screen and the queue's header
    bring the signal back on their own clock (frozen here, then moved past the snooze)."""
    settings = settings_for(tmp_path)
    await seed(settings, [
        *sig("SIG-AAAA0001", "Snoozed one", minutes_ago=20),
        *sig("SIG-AAAA0002", "Waiting one", minutes_ago=10),
        triaged("SIG-AAAA0001", "snoozed", until=clock.utc_text(NOW + timedelta(minutes=5))),
    ])  # fmt: skip
    clock.freeze(NOW)
    try:
        await _snooze_ends(settings)
    finally:
        clock.freeze(None)


async def _snooze_ends(settings: Settings) -> None:
    from app.console import WarRoom
    from tests._console_helpers import SIZE, journal_lines, wait_for

    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None, what="the first sync")
        pane = app.screen.query_one("#queue-pane")
        await wait_for(pilot, lambda: "1 signal waiting · oldest 10m" in pane._border_title.plain, what="one")
        screen = await _triage(pilot, app, ["SIG-AAAA0002"])
        lines = len(journal_lines(settings.journal))
        clock.freeze(NOW + timedelta(minutes=6))
        await wait_for(pilot, lambda: [r.signal for r in screen.rows] == ["SIG-AAAA0002", "SIG-AAAA0001"],
                       what="the snoozed signal back")  # fmt: skip
        await pilot.press("escape")
        await wait_for(
            pilot, lambda: "2 signals waiting · oldest 26m" in pane._border_title.plain, what="two"
        )
        assert len(journal_lines(settings.journal)) == lines  # nothing written
