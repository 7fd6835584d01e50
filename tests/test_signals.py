"""Signals in the journal (docs/intake.md): signal.received, signal.payload and
signal.triaged projected and quarantined, repeats, the payload kept byte-exact however
large or hostile, and the write path's checks."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from data.commands import AppendRefused, append_to, build_events
from data.engine import schema as S
from data.engine.journal import FileJournal
from data.engine.models import SIGNAL_RAW_MAX, Draft, SignalTriaged
from data.engine.store import Store
from data.intake.signals import PayloadTooLarge, join_payload, load_payload, new_signal_id, signal_drafts
from tests._console_helpers import ACTOR, seed, settings_for
from tests._console_helpers import opened as opened_input
from tests.helpers import EventFactory, append_events, synced_store

AT = "2026-11-22T03:00:00Z"
HOSTILE = b'{"title": "[bold red]PWNED[/] \x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2J", "x": "\xff\xfe"}'


def received(signal: str, payload: bytes = b"{}", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "signal": signal, "channel": "le_portal", "received_at": AT, "title": "Imminent threat to life",
        "raw_type": "application/json", "raw_size": len(payload), "raw_sha256": hashlib.sha256(payload).hexdigest(),
        "raw": base64.b64encode(payload).decode(),
    }  # fmt: skip
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def drafts_input(drafts: list[Draft]) -> list[tuple[str, Draft]]:
    return [(d.type, d) for d in drafts]


async def _signals(store: Store) -> dict[str, Any]:
    rows = await store.read_tuples(select(S.signals.c.signal, S.signals.c.status, S.signals.c.repeat_of,
                                          S.signals.c.repeats, S.signals.c.incident, S.signals.c.reason))  # fmt: skip
    return {r[0]: r[1:] for r in rows}


async def test_signals_are_projected_repeats_found_and_bad_ones_quarantined(tmp_path: Path) -> None:
    f = EventFactory()
    events = [
        f.opened("INC-1"),  # 1
        f("signal.received", received("SIG-AAAA0001", ref="LE-77")),  # 2
        f("signal.received", received("SIG-AAAA0002", ref="LE-77")),  # 3: a repeat of 2
        f("signal.received", received("SIG-AAAA0003", ref="LE-77", channel="le_email")),  # 4: another channel
        f("signal.received", received("SIG-AAAA0001")),  # 5: the id again -> quarantined
        f("signal.received", received("SIG-AAAA0004", raw_sha256="0" * 64)),  # 6: sha mismatch -> quarantined
        f("signal.payload", {"signal": "SIG-AAAA0001", "part": 1, "data": "e30="}),  # 7: it had no parts
        f("signal.payload", {"signal": "SIG-ZZZZ0000", "part": 1, "data": "e30="}),  # 8: never received
        f("signal.triaged", {"signal": "SIG-AAAA0001", "outcome": "attached", "incident": "INC-1"}),  # 9
        f("signal.triaged", {"signal": "SIG-AAAA0003", "outcome": "attached", "incident": "INC-404"}),  # 10
        f("signal.triaged", {"signal": "SIG-AAAA0003", "outcome": "dismissed"}),  # 11: no reason
        f("signal.triaged", {"signal": "SIG-AAAA0003", "outcome": "dismissed", "reason": "Spam"}),  # 12
        f("signal.triaged", {"signal": "SIG-AAAA0002", "outcome": "snoozed", "until": AT}),  # 13
        f("signal.triaged", {"signal": "SIG-AAAA0002", "outcome": "reopened"}),  # 14
        f(
            "signal.triaged",
            {"signal": "SIG-AAAA0003", "outcome": "duplicate", "duplicate_of": "SIG-NONE0000"},
        ),
    ]
    append_events(tmp_path / "journal.jsonl", events)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    try:
        q = {row.line: row.reason for row in await store.quarantine()}
        assert set(q) == {5, 6, 7, 8, 10, 11, 15}, q
        assert "already received" in q[5] and "sha256" in q[6] and "0 payload parts" in q[7]
        assert "never received" in q[8] and "never opened" in q[10] and "reason" in q[11]
        assert "SIG-NONE0000 was never received" in q[15]
        assert await _signals(store) == {
            "SIG-AAAA0001": ("attached", None, 1, "INC-1", None),
            "SIG-AAAA0002": ("repeat", "SIG-AAAA0001", 0, None, None),
            "SIG-AAAA0003": ("dismissed", None, 0, None, "Spam"),
        }
    finally:
        await store.close()


async def test_a_repeat_is_found_across_syncs(tmp_path: Path) -> None:
    """The first signal of a reference is looked up in the store when it is not in the span."""
    journal = tmp_path / "journal.jsonl"
    f = EventFactory()
    append_events(journal, [f("signal.received", received("SIG-AAAA0001", ref="R1"))])
    store, _ = await synced_store(journal, tmp_path / "store.db")
    try:
        append_events(journal, [f("signal.received", received("SIG-AAAA0002", ref="R1")),
                                f("signal.received", received("SIG-AAAA0003", ref="R1"))])  # fmt: skip
        await store.sync(FileJournal(journal))
        rows = await _signals(store)
        assert rows["SIG-AAAA0001"][2] == 2
        assert rows["SIG-AAAA0002"][:2] == rows["SIG-AAAA0003"][:2] == ("repeat", "SIG-AAAA0001")
    finally:
        await store.close()


@pytest.mark.parametrize("size", [0, 1, 48_000, 1_000_000, SIGNAL_RAW_MAX])
async def test_the_payload_is_kept_byte_exact_whatever_its_size(tmp_path: Path, size: int) -> None:
    payload = (HOSTILE + os.urandom(size))[:size]
    settings = settings_for(tmp_path)
    drafts = signal_drafts(channel="webhook", title="t", payload=payload, raw_type="application/octet-stream",
                           received_at=AT, body="x" * 20_000)  # fmt: skip
    events = [d.as_input() for d in drafts]
    await seed(settings, events)
    store = await Store.open(tmp_path / "check.db")
    try:
        await store.sync(FileJournal(settings.journal))
        sid = drafts[0].as_input()["data"]["signal"]
        got = await load_payload(store, sid)
        assert got.problem is None and got.data == payload
        assert events[0]["data"].get("body_truncated") is True
    finally:
        await store.close()


def test_a_payload_over_the_limit_is_refused_whole() -> None:
    with pytest.raises(PayloadTooLarge, match="over the 4194304-byte limit"):
        signal_drafts(channel="webhook", title="t", payload=b"x" * (SIGNAL_RAW_MAX + 1),
                      raw_type="text/plain", received_at=AT)  # fmt: skip


def test_a_missing_or_altered_part_is_reported_not_returned() -> None:
    whole = base64.b64encode(b"abcdef").decode()
    sha = hashlib.sha256(b"abcdef").hexdigest()
    assert join_payload(2, 6, sha, [(1, whole[:4])]).problem == "1 of 2 parts of the payload have not arrived"
    assert "does not match" in str(join_payload(2, 6, sha, [(1, whole[:4]), (2, "AAAA")]).problem)
    assert join_payload(2, 6, sha, [(1, whole[:4]), (2, whole[4:])]).data == b"abcdef"


def test_signal_ids() -> None:
    ids = {new_signal_id() for _ in range(200)}
    assert len(ids) == 200 and all(len(i) == 12 and i.startswith("SIG-") for i in ids)


async def test_the_writer_refuses_what_a_reader_would_quarantine(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    await seed(settings, [opened_input("INC-1")])
    store = await Store.open(tmp_path / "check.db")
    journal = FileJournal(settings.journal)
    f = EventFactory()

    async def refused(*events: dict[str, Any]) -> str:
        with pytest.raises(AppendRefused) as err:
            given = [{k: e[k] for k in ("type", "incident", "data") if k in e} for e in events]
            await append_to(journal, store, build_events([(e["type"], e) for e in given], ACTOR))
        return str(err.value)

    try:
        first = build_events(drafts_input(signal_drafts(channel="press", title="Journalist asks", payload=b"q",
                                                        raw_type="text/plain", received_at=AT, ref="P-1",
                                                        signal="SIG-BBBB0001")), ACTOR)  # fmt: skip
        await append_to(journal, store, first)
        assert "SIG-BBBB0001 was already received" in await refused(
            f("signal.received", received("SIG-BBBB0001"))
        )
        assert "SIG-BBBB0009 was never received" in await refused(
            f("signal.triaged", {"signal": "SIG-BBBB0009", "outcome": "dismissed", "reason": "x"})
        )
        assert "INC-9 was never opened" in await refused(
            f("signal.triaged", {"signal": "SIG-BBBB0001", "outcome": "attached", "incident": "INC-9"})
        )
        assert "has 0 payload parts, not 1" in await refused(
            f("signal.payload", {"signal": "SIG-BBBB0001", "part": 1, "data": "e30="})
        )
        # a promotion: the incident opened in the same batch
        promote = [opened_input("INC-2"), {"type": "signal.triaged", "data": {
            "signal": "SIG-BBBB0001", "outcome": "promoted", "incident": "INC-2"}}]  # fmt: skip
        await append_to(journal, store, build_events([(e["type"], e) for e in promote], ACTOR))
        assert (await _signals(store))["SIG-BBBB0001"][:4] == ("promoted", None, 0, "INC-2")
        # the model's own rules name the member
        for data, member in (({"outcome": "snoozed"}, "until"), ({"outcome": "attached"}, "incident"),
                             ({"outcome": "duplicate", "duplicate_of": "SIG-BBBB0001"}, "itself")):  # fmt: skip
            with pytest.raises(AppendRefused, match=member):
                build_events(
                    [("x", Draft(SignalTriaged.model_construct(signal="SIG-BBBB0001", **data)))], ACTOR
                )
    finally:
        await store.close()


# --- the handoff's signals section ---------------------------------------------------------------


async def test_the_handoff_tells_the_next_shift_of_the_signals(tmp_path: Path) -> None:
    """Waiting signals (the urgent ones named), snoozed ones coming back before the next shift
    ends, and what triage did this shift: in the report, its Markdown, JSON and screen text."""
    from datetime import UTC, datetime, timedelta

    from data.engine.clock import utc_text
    from data.engine.config import UrgentRule
    from data.handoff.report import build_handoff, to_json, to_markdown
    from data.procedures.clocks import Policy
    from screens.handoff import side_text

    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)

    def t(hours: float) -> str:
        return utc_text(now + timedelta(hours=hours), ms=True)

    f = EventFactory()
    urgent_title = "Imminent threat [bold]now[/] \x1b[2J"
    events = [
        f.opened("INC-1"),
        f("signal.received", received("SIG-AAAA0001", title=urgent_title, received_at=t(-1)), ts=t(-1)),
        f(
            "signal.received",
            received("SIG-AAAA0002", channel="press", title="Reporter asks", received_at=t(-3)),
            ts=t(-3),
        ),
        f("signal.received", received("SIG-AAAA0003", title="Back soon", received_at=t(-4)), ts=t(-4)),
        f("signal.triaged", {"signal": "SIG-AAAA0003", "outcome": "snoozed", "until": t(2)}, ts=t(-3.5)),
        f("signal.received", received("SIG-AAAA0004", title="Back tomorrow", received_at=t(-4)), ts=t(-4)),
        f("signal.triaged", {"signal": "SIG-AAAA0004", "outcome": "snoozed", "until": t(30)}, ts=t(-3.5)),
        f("signal.received", received("SIG-AAAA0005", title="Noise", received_at=t(-5)), ts=t(-5)),
        f("signal.triaged", {"signal": "SIG-AAAA0005", "outcome": "dismissed", "reason": "Spam"}, ts=t(-2)),
        f("signal.received", received("SIG-AAAA0006", title="Old news", received_at=t(-40)), ts=t(-40)),
        f("signal.triaged", {"signal": "SIG-AAAA0006", "outcome": "dismissed", "reason": "Old"}, ts=t(-39)),
    ]
    events.sort(key=lambda e: e["ts"])
    append_events(tmp_path / "journal.jsonl", events)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    rules = [UrgentRule(channels=["le_portal"], keywords=["imminent"])]
    try:
        report = await build_handoff(store, "tester", None, now, Policy(), urgent=rules)
        quiet = await build_handoff(store, "tester", None, now, Policy())
    finally:
        await store.close()
    intake = report.intake
    assert (intake.waiting, intake.oldest) == (2, now - timedelta(hours=3))
    assert [b.signal for b in intake.urgent] == ["SIG-AAAA0001"] and quiet.intake.urgent == ()
    assert [(b.signal, b.at) for b in intake.returning] == [("SIG-AAAA0003", now + timedelta(hours=2))]
    assert intake.triaged == (("dismissed", 1), ("snoozed", 2))
    md = to_markdown(report)
    section = md.split("## Signals waiting for triage (2)\n", 1)[1].split("\n## ", 1)[0]
    assert "**URGENT** SIG-AAAA0001 (le\\_portal)" in section and "\\x1b" in section and "\x1b" not in md
    assert "\\[bold\\]now\\[/\\]" in section and "comes back" in section and "Back tomorrow" not in section
    assert "**Triaged this shift:** 1 dismissed, 2 snoozed" in section
    data = to_json(report)["intake"]
    assert data["waiting"] == 2 and data["urgent"][0]["title"] == urgent_title
    assert data["returning"] == [{"signal": "SIG-AAAA0003", "channel": "le_portal", "title": "Back soon",
                                  "until": "2026-11-22T05:00:00Z"}]  # fmt: skip
    side = side_text(report).plain
    assert "Signals waiting for triage (2)" in side and "⚠ URGENT SIG-AAAA0001" in side and "\x1b" not in side


async def test_the_demo_sends_signals_and_colleagues_triage_its_own_old_ones(tmp_path: Path) -> None:
    """The demo's simulator receives signals as `warroom intake` records them, and a
    colleague dismisses one of its own that has waited over ten minutes; the demo's
    showcase signals are left for the user."""
    from datetime import UTC, datetime, timedelta

    from app.demo import ARRIVING, Simulator
    from data.engine.clock import utc_text
    from data.triage.signals import open_signals

    journal = FileJournal(tmp_path / "journal.jsonl")
    f = EventFactory()
    old = utc_text(datetime.now(UTC) - timedelta(minutes=30), ms=True)
    _, sim_title, _ = ARRIVING[0]
    append_events(journal.path, [
        f("signal.received", received("SIG-AAAA0001", title=sim_title, received_at=old), ts=old),
        f("signal.received", received("SIG-AAAA0002", title="Emergency request: threat to life", received_at=old),
          ts=old),
    ])  # fmt: skip
    async with await Store.open(tmp_path / "store.db") as store:
        await store.sync(journal)
        sim = Simulator(journal, store, seed=3)
        sent = sim.next_signal()
        assert sent[0]["type"] == "signal.received" and sent[0]["actor"] == "intake"
        await append_to(journal, store, sent)
        batch = await sim.triaged()
        assert [(e["type"], e["data"]["signal"], e["data"]["outcome"]) for e in batch] == [
            ("signal.triaged", "SIG-AAAA0001", "dismissed")
        ]
        await append_to(journal, store, batch)
        assert await sim.triaged() == []  # the one just sent is too new; the showcase one is the user's
        left = {r.signal for r in await open_signals(store)}
        assert "SIG-AAAA0002" in left and "SIG-AAAA0001" not in left and len(left) == 2


def test_every_table_of_the_store_is_projected_or_the_stores_own() -> None:
    """A table left out of schema.PROJECTED is neither cleared by a rebuild (its rows are
    written again: a unique key fails, the store cannot catch up) nor in the digest."""
    from data.engine import schema as S

    projected = {table.name for table, _ in S.PROJECTED}
    assert set(S.metadata.tables) - projected == {"checkpoint", "meta"}


async def test_a_rebuild_and_a_replaced_journal_file_keep_the_signals(tmp_path: Path) -> None:
    """The journal replaced by a copy of itself (a new file: the store rebuilds from it), then
    an append: the signals and their payloads are there once, as an incremental sync has them."""
    import shutil

    journal = FileJournal(tmp_path / "journal.jsonl")
    f = EventFactory()
    append_events(journal.path, [f.opened("INC-1")])
    drafts = signal_drafts(channel="press", title="t", payload=b"x" * 200_000, raw_type="text/plain",
                           received_at=AT, signal="SIG-CCCC0001")  # fmt: skip
    async with await Store.open(tmp_path / "store.db") as store:
        await append_to(journal, store, build_events(drafts_input(drafts), ACTOR))
        first = await store.digest()
        (tmp_path / "journal.jsonl").rename(tmp_path / "old.jsonl")
        shutil.copy(tmp_path / "old.jsonl", tmp_path / "journal.jsonl")
        result = await store.sync(journal)
        assert result.rebuilt  # another file: rebuilt from it
        assert await store.digest() == first
        note = {"type": "incident.note", "incident": "INC-1", "data": {"text": "after"}}
        await append_to(journal, store, build_events([("note", note)], ACTOR))
        got = await load_payload(store, "SIG-CCCC0001")
        assert got.data == b"x" * 200_000
    async with await Store.open(tmp_path / "fresh.db") as fresh:
        await fresh.sync(journal)
        async with await Store.open(tmp_path / "store.db") as store:
            assert await fresh.digest() == await store.digest()
