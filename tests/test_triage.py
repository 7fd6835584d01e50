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
