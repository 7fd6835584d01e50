"""Linked incidents and merging (docs/links.md): incident.linked projected both ways, the
bad links quarantined, the writer's refusals (cycles, restricted incidents), the merge
batch through the command line and the console, the queue's folding, and the merged
incident's entries on its target's timeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from data.commands import AppendRefused, append_to, build_events
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.incidents.links import links, merge_drafts, merged_into
from data.incidents.views import load_timeline
from tests.helpers import EventFactory, append_events, cli_env, run_cli, synced_store


def link(f: EventFactory, incident: str, other: str, kind: str, **over: Any) -> dict[str, Any]:
    return f("incident.linked", {"other": other, "kind": kind, **over}, incident)


async def _store(tmp_path: Path, events: list[dict[str, Any]]) -> Store:
    append_events(tmp_path / "journal.jsonl", events)
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "store.db")
    return store


def _seen(rows: Any) -> list[tuple[str, str, str]]:
    return [(r.incident, r.other, r.kind) for r in rows]


# --- projection -----------------------------------------------------------------------------


async def test_a_link_is_shown_from_both_incidents_with_the_kind_inverted(tmp_path: Path) -> None:
    f = EventFactory()
    events = [f.opened("INC-A"), f.opened("INC-B"), f.opened("INC-C"),
              link(f, "INC-A", "INC-B", "parent", note="the campaign"),  # 4
              link(f, "INC-C", "INC-A", "duplicate_of")]  # fmt: skip
    store = await _store(tmp_path, events)
    try:
        assert _seen(await links(store, "INC-A")) == [
            ("INC-A", "INC-B", "parent"),
            ("INC-A", "INC-C", "duplicated_by"),
        ]
        b = await links(store, "INC-B")
        assert _seen(b) == [("INC-B", "INC-A", "child")]
        assert b[0].words == "child of" and b[0].note == "the campaign" and b[0].written_on == "INC-A"
        assert _seen(await links(store, "INC-C")) == [("INC-C", "INC-A", "duplicate_of")]
    finally:
        await store.close()


async def test_the_latest_link_between_two_incidents_wins_and_unlinked_removes_it(tmp_path: Path) -> None:
    f = EventFactory()
    events = [f.opened("INC-A"), f.opened("INC-B"),
              link(f, "INC-A", "INC-B", "related"),
              link(f, "INC-B", "INC-A", "child")]  # fmt: skip
    store = await _store(tmp_path, events)
    try:
        assert _seen(await links(store, "INC-A")) == [("INC-A", "INC-B", "parent")]
        append_events(tmp_path / "journal.jsonl", [link(f, "INC-A", "INC-B", "unlinked")])
        await store.sync(FileJournal(tmp_path / "journal.jsonl"))
        assert await links(store, "INC-A") == [] and await links(store, "INC-B") == []
    finally:
        await store.close()


async def test_a_link_to_itself_or_to_an_incident_never_opened_is_quarantined(tmp_path: Path) -> None:
    f = EventFactory()
    events = [f.opened("INC-A"), link(f, "INC-A", "INC-A", "related"), link(f, "INC-A", "INC-404", "parent")]
    store = await _store(tmp_path, events)
    try:
        q = {row.line: row.reason for row in await store.quarantine()}
        assert set(q) == {2, 3}
        assert "cannot be linked to itself" in q[2] and "INC-404" in q[3] and "never opened" in q[3]
        assert await links(store, "INC-A") == []
    finally:
        await store.close()


async def test_the_digest_does_not_depend_on_how_ingestion_was_split(tmp_path: Path) -> None:
    f = EventFactory()
    journal = tmp_path / "journal.jsonl"
    append_events(journal, [f.opened("INC-A"), f.opened("INC-B"), link(f, "INC-A", "INC-B", "parent"),
                            link(f, "INC-B", "INC-A", "unlinked"), link(f, "INC-B", "INC-A", "related")])  # fmt: skip
    whole, _ = await synced_store(journal, tmp_path / "whole.db")
    split = await Store.open(tmp_path / "split.db")
    try:
        while (await split.sync(FileJournal(journal), max_lines=1)).lines:
            pass
        assert await whole.digest() == await split.digest()
        assert _seen(await links(split, "INC-A")) == [("INC-A", "INC-B", "related")]
    finally:
        await whole.close()
        await split.close()


# --- the writer ------------------------------------------------------------------------------


async def _append(tmp_path: Path, drafts: list[dict[str, Any]], actor: str = "tester") -> Any:
    store = await Store.open(tmp_path / "writer.db")
    try:
        built = build_events([(d["type"], d) for d in drafts], actor)
        return await append_to(FileJournal(tmp_path / "journal.jsonl"), store, built)
    finally:
        await store.close()


def _draft(incident: str, other: str, kind: str) -> dict[str, Any]:
    return {"type": "incident.linked", "incident": incident, "data": {"other": other, "kind": kind}}


async def test_the_writer_refuses_a_link_to_itself_an_unknown_incident_and_a_cycle(tmp_path: Path) -> None:
    f = EventFactory()
    append_events(tmp_path / "journal.jsonl", [f.opened("INC-A"), f.opened("INC-B"), f.opened("INC-C"),
                  f.opened("INC-D"), link(f, "INC-A", "INC-B", "parent"), link(f, "INC-C", "INC-B", "child")])  # fmt: skip
    # A is the parent of B, B the parent of C
    cases = [
        (_draft("INC-A", "INC-A", "related"), "cannot be linked to itself"),
        (_draft("INC-A", "INC-9", "related"), "INC-9 was never opened"),
        (_draft("INC-C", "INC-A", "parent"), "a cycle"),  # C the parent of its grandparent
        (_draft("INC-A", "INC-C", "child"), "a cycle"),
    ]
    for draft, why in cases:
        with pytest.raises(AppendRefused) as exc:
            await _append(tmp_path, [draft])
        assert why in str(exc.value), (draft, str(exc.value))
        assert exc.value.problems[0].field == ("data", "other")
    # a cycle made by two links of one batch (A under D under C) is found
    with pytest.raises(AppendRefused, match="a cycle"):
        await _append(tmp_path, [_draft("INC-D", "INC-C", "child"), _draft("INC-A", "INC-D", "child")])
    # a link replaced is no longer in the way: B under C once A no longer is B's parent... and C no longer B's child
    await _append(tmp_path, [_draft("INC-A", "INC-B", "unlinked"), _draft("INC-B", "INC-C", "child")])
    store, _ = await synced_store(tmp_path / "journal.jsonl", tmp_path / "check.db")
    try:
        assert _seen(await links(store, "INC-B")) == [("INC-B", "INC-C", "child")]
    finally:
        await store.close()


async def test_a_duplicate_of_a_duplicate_of_itself_is_refused(tmp_path: Path) -> None:
    f = EventFactory()
    append_events(tmp_path / "journal.jsonl", [f.opened("INC-A"), f.opened("INC-B"), f.opened("INC-C"),
                  link(f, "INC-B", "INC-A", "duplicate_of"), link(f, "INC-C", "INC-B", "duplicate_of")])  # fmt: skip
    with pytest.raises(AppendRefused, match="a duplicate of itself"):
        await _append(tmp_path, [_draft("INC-A", "INC-C", "duplicate_of")])


async def test_an_outsider_cannot_link_to_a_restricted_incident_and_learns_no_title(tmp_path: Path) -> None:
    f = EventFactory()
    secret = "Secret: the minister's account"
    append_events(tmp_path / "journal.jsonl", [
        f.opened("INC-A"), f.opened("INC-R", restricted=True, title=secret),
        f("incident.role_set", {"role": "commander", "person": "amara"}, "INC-R"),
    ])  # fmt: skip
    with pytest.raises(AppendRefused) as exc:
        await _append(tmp_path, [_draft("INC-A", "INC-R", "related")], actor="outsider")
    assert "INC-R is restricted" in str(exc.value) and "minister" not in str(exc.value)
    await _append(tmp_path, [_draft("INC-A", "INC-R", "related")], actor="amara")


# --- merging -----------------------------------------------------------------------------------


def test_merge_drafts_move_or_close_the_open_items_and_leave_the_holds() -> None:
    from data.engine.projector import Item

    def item(name: str, state: str = "open", hold: bool = False, **kw: Any) -> Item:
        return Item("INC-B", name, f"do {name}", "policy", kw.get("due"), None, None, state, None, None,
                    None, 1, "x", "2026-11-22T03:00:00Z", kw.get("step"), hold=hold)  # fmt: skip

    items = [item("verify", due="2026-11-23T03:00:00Z", step="verify"), item("done-one", "done"),
             item("keep", hold=True, due="2027-11-22T03:00:00Z"), item("notify", "blocked")]  # fmt: skip
    drafts = merge_drafts("INC-B", "INC-A", items, {"verify"}, "move", note="same report")
    got = [(d.type, d.incident, d.data.model_dump(exclude_none=True)) for d in drafts]
    assert got[0] == (
        "incident.linked",
        "INC-B",
        {"other": "INC-A", "kind": "duplicate_of", "note": "same report"},
    )
    assert got[1][:2] == ("checklist.added", "INC-A")
    assert got[1][2]["item"] == "verify-2" and got[1][2]["step"] == "verify"
    assert got[1][2]["due"] == "2026-11-23T03:00:00Z" and got[1][2]["text"] == "do verify"
    assert got[2] == ("checklist.set", "INC-B", {"item": "verify", "state": "skipped",
                                                 "note": "moved to INC-A as verify-2"})  # fmt: skip
    assert got[3][2]["item"] == "notify" and got[4][2]["note"] == "moved to INC-A"
    assert got[-1] == ("incident.status_set", "INC-B", {"status": "merged", "reason": "merged into INC-A"})
    assert not any(g[2].get("item") == "keep" for g in got)  # the hold stays and runs on
    closed = merge_drafts("INC-B", "INC-A", items, set(), {"verify": "close"}, reason="done elsewhere")
    assert [(d.type, d.data.model_dump(exclude_none=True).get("note")) for d in closed][1:3] == [
        ("checklist.set", "done elsewhere"),
        ("checklist.added", None),
    ]
    # a procedure step A has already is not added twice: moving it closes it as covered by A's own
    from dataclasses import replace

    from data.incidents.links import procedure_steps

    steps = [replace(items[0], template="edr@3"), replace(item("log-request"), template="edr@3")]
    a_rows = [replace(steps[0], incident="INC-A", item="verify-requester")]
    assert procedure_steps(a_rows) == {"verify": "verify-requester"}
    covered = merge_drafts(
        "INC-B", "INC-A", steps, {"verify-requester"}, "move", a_steps=procedure_steps(a_rows)
    )
    got = [(d.type, d.incident, d.data.model_dump(exclude_none=True)) for d in covered]
    assert got[1] == ("checklist.set", "INC-B", {"item": "verify", "state": "skipped",
                                                 "note": "covered by INC-A's own verify-requester (merged into INC-A)"})  # fmt: skip
    assert (
        got[2][:2] == ("checklist.added", "INC-A") and got[2][2]["item"] == "log-request"
    )  # A has no such step


class Ran:
    def __init__(self, done: Any) -> None:
        self.returncode = done.returncode
        self.stdout = done.stdout.decode()
        self.stderr = done.stderr.decode()


def _cli(tmp_path: Path, *args: str, actor: str = "tester") -> Ran:
    env = cli_env(tmp_path, tmp_path / "journal.jsonl", tmp_path / "cli.db", actor=actor)
    return Ran(run_cli(list(args), env))


def test_merge_through_the_command_line_end_to_end(tmp_path: Path) -> None:
    f = EventFactory()
    append_events(tmp_path / "journal.jsonl", [
        f.opened("INC-A"), f.opened("INC-B"),
        f("checklist.added", {"item": "verify", "text": "Verify the requester", "team": "le_response",
                              "due": "2026-11-23T03:00:00Z"}, "INC-B"),
        f("checklist.added", {"item": "hold", "text": "Preserve the account", "team": "legal",
                              "due": "2027-02-20T03:00:00Z", "hold": True}, "INC-B"),
        f("incident.note", {"text": "Caller rang twice"}, "INC-B"),
    ])  # fmt: skip
    refused = _cli(tmp_path, "merge", "INC-B", "--into", "INC-B", "--move-items")
    assert refused.returncode == 2 and "into itself" in refused.stderr
    done = _cli(tmp_path, "merge", "INC-B", "--into", "INC-A", "--move-items", "--note", "same caller")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in (tmp_path / "journal.jsonl").read_bytes().splitlines()]
    batch = [e for e in lines if "batch" in e]
    assert [(e["type"], e["incident"]) for e in batch] == [
        ("incident.linked", "INC-B"),
        ("checklist.added", "INC-A"),
        ("checklist.set", "INC-B"),
        ("incident.status_set", "INC-B"),
    ]
    again = _cli(tmp_path, "merge", "INC-B", "--into", "INC-A", "--move-items")
    assert again.returncode == 2 and "already merged" in again.stderr
    shown = _cli(tmp_path, "links", "INC-A", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == [{"incident": "INC-A", "other": "INC-B", "kind": "duplicated_by",
                                         "note": "same caller", "actor": "tester",
                                         "ts": batch[0]["ts"], "status": "merged"}]  # fmt: skip
    exported = _cli(tmp_path, "export", "incidents", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    assert {r["id"]: r["links"] for r in json.loads(exported.stdout)} == {
        "INC-A": ["duplicated_by INC-B"],
        "INC-B": ["duplicate_of INC-A"],
    }
    holds = _cli(tmp_path, "holds", "--json")
    assert holds.returncode == 0 and [h["item"] for h in json.loads(holds.stdout)] == ["hold"]
    # B's hold keeps running after the merge; its other clocks stopped; the moved item runs on A
    clocks = _cli(tmp_path, "clocks", "--json")
    assert clocks.returncode == 0, clocks.stderr
    running = {(c["incident"], c["name"]) for c in json.loads(clocks.stdout) if c["kind"] in ("item", "hold")}
    assert running == {("INC-B", "hold"), ("INC-A", "verify")}
    into_merged = _cli(tmp_path, "merge", "INC-A", "--into", "INC-B", "--close-items", "dup")
    assert (
        into_merged.returncode == 2
        and "INC-B is merged: merge into an incident that is still open" in into_merged.stderr
    )


# --- the console -----------------------------------------------------------------------------


async def _console_journal(tmp_path: Path, extra: list[dict[str, Any]] | None = None) -> Any:
    from tests._console_helpers import opened, scoped, seed, settings_for

    settings = settings_for(tmp_path)
    await seed(settings, [
        opened("INC-A", title="Stream of threats", severity=1),
        opened("INC-B", title="Same stream, second report", severity=2),
        opened("INC-C", title="Another platform [/foo] [@click=app.quit]x[/]", severity=3),
        scoped("checklist.added", "INC-B", item="verify", text="Verify the [/b] requester", team="le_response",
               due="2026-11-23T03:00:00Z"),
        scoped("checklist.added", "INC-B", item="notify", text="Notify the partner", team="comms"),
        scoped("checklist.added", "INC-B", item="keep", text="Preserve the account", team="legal",
               due="2027-02-20T03:00:00Z", hold=True),
        scoped("incident.note", "INC-B", text="Caller rang back from [red]a second number[/]"),
        *(extra or []),
    ])  # fmt: skip
    return settings


async def test_L_links_two_incidents_and_the_queue_folds_the_child(tmp_path: Path) -> None:
    from textual.widgets import Input, Select

    from app.console import WarRoom
    from screens.links import LinkDialog
    from tests._console_helpers import SIZE, journal_lines, queue_ids, wait_for
    from tests.test_actions import cell, event_of, open_dialog, select_incident, started, submit

    settings = await _console_journal(tmp_path)
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-A", "INC-B", "INC-C"])
        await select_incident(pilot, main, "INC-C")
        dialog = await open_dialog(pilot, app, "L", LinkDialog)
        labels = [
            str(label) for label, _ in dialog.query_one("#other", Select)._options if _ is not Select.NULL
        ]
        assert any("INC-A" in label and "Stream of threats" in label for label in labels)
        dialog.query_one("#other", Select).value = "INC-A"
        dialog.query_one("#kind", Select).value = "child"
        before = len(journal_lines(settings.journal))
        (line,) = await submit(pilot, app, dialog, "note", before)
        assert event_of(line) == ("incident.linked", "INC-C", {"other": "INC-A", "kind": "child"}, "ic-test")
        # C is folded under A: A says so, and space shows it under A
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-B"], what="C folded under A")
        assert cell(main, "INC-A", "title").startswith("▸ 1 ")
        await select_incident(pilot, main, "INC-A")
        await pilot.press("space")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-C", "INC-B"], what="C under A")
        assert cell(main, "INC-A", "title").startswith("▾ 1 ") and cell(main, "INC-C", "title").startswith(
            "└ "
        )
        # a filter that hides the parent shows the child at the top level
        from dataclasses import replace

        main.filter = replace(main.filter, severities=frozenset({3}))
        main.refresh_queue(filtering=True)
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-C"], what="C alone")
        assert not cell(main, "INC-C", "title").startswith("└")
        main.filter = replace(main.filter, severities=frozenset())
        main.refresh_queue(filtering=True)
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-C", "INC-B"], what="C under A again")
        # a typed id that was never opened is refused, and nothing is written
        await select_incident(pilot, main, "INC-B")
        dialog = await open_dialog(pilot, app, "L", LinkDialog)
        dialog.query_one("#other-id", Input).value = "inc-404"
        before = len(journal_lines(settings.journal))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "never opened" in str(dialog.query_one("#general-error").content),
                       what="the refusal")  # fmt: skip
        assert len(journal_lines(settings.journal)) == before
        await pilot.press("escape")
        # the link removed from C's side: the dialog says what is linked now
        await select_incident(pilot, main, "INC-C")
        dialog = await open_dialog(pilot, app, "L", LinkDialog)
        assert "child of INC-A" in str(dialog.query_one("#current").content)
        dialog.query_one("#other", Select).value = "INC-A"
        dialog.query_one("#kind", Select).value = "unlinked"
        before = len(journal_lines(settings.journal))
        (line,) = await submit(pilot, app, dialog, "note", before)
        assert event_of(line)[2] == {"other": "INC-A", "kind": "unlinked"}
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-C"], what="C on top again")


async def test_M_merges_b_into_a_and_as_timeline_shows_bs_entries(tmp_path: Path) -> None:
    from textual.widgets import Input, Select, SelectionList

    from app.console import WarRoom
    from screens.links import MergeDialog
    from tests._console_helpers import SIZE, journal_lines, new_lines, queue_ids, wait_for
    from tests.test_actions import open_dialog, select_incident, started
    from widgets.timeline import Timeline

    settings = await _console_journal(tmp_path)
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-A", "INC-B", "INC-C"])
        await select_incident(pilot, main, "INC-B")
        dialog = await open_dialog(pilot, app, "M", MergeDialog)
        await wait_for(pilot, lambda: dialog.loaded, what="B's items read")
        items = dialog.query_one("#items", SelectionList)
        assert items.selected == ["verify", "notify"]  # the hold is not offered: it stays
        assert "1 preservation hold(s) stay on INC-B" in str(dialog.query_one("#holds").content)
        dialog.query_one("#target", Select).value = "INC-A"
        items.deselect("notify")
        before = len(journal_lines(settings.journal))
        dialog.query_one("#note", Input).focus()
        await pilot.press("enter")  # no reason for the item closed: refused at the field
        await wait_for(pilot, lambda: dialog.query_one("#reason-error").has_class("shown"), what="reason")
        dialog.query_one("#reason", Input).value = "partner notified on INC-A already"
        dialog.query_one("#note", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not dialog, what="the merge written")
        lines = new_lines(settings.journal, before)
        assert [(e["type"], e["incident"], e["data"].get("item")) for e in lines] == [
            ("incident.linked", "INC-B", None),
            ("checklist.added", "INC-A", "verify"),
            ("checklist.set", "INC-B", "verify"),
            ("checklist.set", "INC-B", "notify"),
            ("incident.status_set", "INC-B", None),
        ]
        assert lines[3]["data"]["note"] == "partner notified on INC-A already"
        assert lines[4]["data"] == {"status": "merged",
                                    "reason": "merged into INC-A: partner notified on INC-A already"}  # fmt: skip
        # B leaves the queue (merged); A's timeline shows B's entries marked as from B
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-C"], what="B merged")
        await select_incident(pilot, main, "INC-A")
        timeline = main.query_one(Timeline)
        await wait_for(pilot, lambda: any(e.origin == "INC-B" for e in timeline.entries), what="B's entries")
        from_b = [e for e in timeline.entries if e.origin == "INC-B"]
        assert any(e.type == "incident.note" for e in from_b)
        note = next(e for e in from_b if e.type == "incident.note")
        assert (
            Timeline.line(note).plain.split(" ", 3)[-1].startswith("from INC-B Caller rang back from [red]")
        )


async def test_an_outsider_cannot_merge_a_restricted_incident_nor_learn_its_title(tmp_path: Path) -> None:
    from textual.widgets import Select

    from app.console import WarRoom
    from screens.links import MergeDialog
    from tests._console_helpers import SIZE, journal_lines, opened, scoped, screen_text, wait_for
    from tests.test_actions import open_dialog, select_incident, started

    secret = "Minister's account compromised"
    settings = await _console_journal(tmp_path, [
        opened("INC-R", title=secret, restricted=True, severity=1),
        scoped("incident.role_set", "INC-R", role="commander", person="amara"),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app)
        await wait_for(pilot, lambda: "INC-R" in [r.id for r in main.shown], what="INC-R shown")
        await select_incident(pilot, main, "INC-B")
        dialog = await open_dialog(pilot, app, "M", MergeDialog)
        await wait_for(pilot, lambda: dialog.loaded, what="B's items read")
        labels = [str(label) for label, value in dialog.query_one("#target", Select)._options]
        assert any(label.startswith("INC-R") and "(restricted)" in label for label in labels)
        assert not any("Minister" in label for label in labels)
        dialog.query_one("#target", Select).value = "INC-R"
        before = len(journal_lines(settings.journal))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "restricted" in str(dialog.query_one("#general-error").content),
                       what="the refusal")  # fmt: skip
        assert "Minister" not in str(dialog.query_one("#general-error").content)
        assert len(journal_lines(settings.journal)) == before
        await pilot.press("escape")
        # and merging the restricted incident itself is refused at the key
        await select_incident(pilot, main, "INC-R")
        await pilot.press("M")
        await pilot.pause()
        assert not isinstance(app.screen, MergeDialog)
        assert "Minister" not in screen_text(app)


async def test_a_link_written_by_another_console_shows_live_on_both_incidents(tmp_path: Path) -> None:
    """A second writer (its own store) links B under A and C to a restricted incident: this
    console's queue folds B under A without a key press, and A's incident screen lists its
    links as they change, a restricted incident by its id only."""
    from app.console import WarRoom
    from screens.incident import IncidentScreen
    from tests._console_helpers import SIZE, opened, queue_ids, scoped, seed, wait_for
    from tests.test_actions import cell, select_incident, started

    settings = await _console_journal(tmp_path, [
        opened("INC-R", title="Minister's account", restricted=True, severity=4),
        scoped("incident.role_set", "INC-R", role="commander", person="amara"),
    ])  # fmt: skip
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-A", "INC-B", "INC-C", "INC-R"])
        await select_incident(pilot, main, "INC-A")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen), what="A's screen")
        screen = app.screen
        assert isinstance(screen, IncidentScreen)
        await wait_for(pilot, lambda: screen.row is not None, what="A loaded")
        assert screen.link_lines == []
        await seed(settings, [scoped("incident.linked", "INC-B", other="INC-A", kind="child")], actor="other")
        # written on B: A's own events did not change, its links did
        await wait_for(pilot, lambda: len(screen.link_lines) == 1, what="B's link on A's screen, live")
        await seed(
            settings, [scoped("incident.linked", "INC-A", other="INC-R", kind="related")], actor="amara"
        )
        await wait_for(pilot, lambda: len(screen.link_lines) == 2, what="A's links, live")
        assert screen.link_lines == [
            "parent of INC-B Same stream, second report",
            "related to INC-R (restricted)",
        ]
        await pilot.press("escape")
        await wait_for(pilot, lambda: queue_ids(app) == ["INC-A", "INC-C", "INC-R"], what="B folded under A")
        assert cell(main, "INC-A", "title").startswith("▸ 1 ")
        await seed(
            settings, [scoped("incident.linked", "INC-A", other="INC-B", kind="unlinked")], actor="other"
        )
        await wait_for(
            pilot, lambda: queue_ids(app) == ["INC-A", "INC-B", "INC-C", "INC-R"], what="B back on top"
        )


async def test_as_timeline_shows_the_merged_entries_only_to_who_may_see_them(tmp_path: Path) -> None:
    """B (restricted) merged into A, C merged into B: A's timeline shows B's and C's entries,
    marked, to B's commander; an outsider sees A's and C's own (C is not restricted)."""
    f = EventFactory()
    events = [
        f.opened("INC-A"), f.opened("INC-B", restricted=True), f.opened("INC-C"),
        f("incident.role_set", {"role": "commander", "person": "amara"}, "INC-B"),
        f("incident.note", {"text": "secret lead"}, "INC-B"),
        f("incident.note", {"text": "public lead"}, "INC-C"),
        link(f, "INC-C", "INC-B", "duplicate_of"), f("incident.status_set", {"status": "merged"}, "INC-C"),
        link(f, "INC-B", "INC-A", "duplicate_of"), f("incident.status_set", {"status": "merged"}, "INC-B"),
        link(f, "INC-A", "INC-C", "related"),  # a link that is no merge: nothing shown
    ]  # fmt: skip
    store = await _store(tmp_path, events)
    try:
        assert await merged_into(store, "INC-A") == ["INC-B", "INC-C"]
        insider = await load_timeline(store, "INC-A", person="amara")
        assert {e.origin for e in insider} == {None, "INC-B", "INC-C"}
        assert any(e.origin == "INC-B" and e.text == "secret lead" for e in insider)
        outsider = await load_timeline(store, "INC-A", person="someone")
        assert {e.origin for e in outsider} == {None, "INC-C"}
        assert not any("secret" in e.text for e in outsider)
        assert {e.origin for e in await load_timeline(store, "INC-C", person="amara")} == {None}
    finally:
        await store.close()


def test_nest_puts_children_under_their_parents_and_says_when_a_folded_one_is_more_severe() -> None:
    from data.incidents.links import LinkRow
    from data.incidents.views import IncidentRow, nest

    def row(incident: str, severity: int, parent: str | None = None) -> IncidentRow:
        links = (LinkRow(incident, parent, "child", None, "x", "t", 1, incident),) if parent else ()
        return IncidentRow(
            incident, severity, incident, "edr", "new", None, None, False, ("US",), 1, links=links
        )

    rows = (
        row("P", 2),
        row("X", 2),
        row("C1", 3, "P"),
        row("G", 1, "C1"),
        row("C2", 4, "P"),
        row("O", 4, "GONE"),
    )
    shown, marks = nest(rows)
    assert [r.id for r in shown] == ["P", "X", "O"]  # O's parent is not shown: top level
    assert marks["P"].children == 2 and not marks["P"].open and marks["P"].hidden_severity == 1
    shown, marks = nest(rows, {"P"})
    assert [r.id for r in shown] == ["P", "C1", "C2", "X", "O"] and marks["C1"].depth == 1
    assert marks["P"].open and marks["P"].hidden_severity is None and marks["C1"].hidden_severity == 1
    shown, marks = nest(rows, {"P", "C1"})
    assert [(r.id, marks[r.id].depth) for r in shown] == [("P", 0), ("C1", 1), ("G", 2), ("C2", 1), ("X", 0),
                                                           ("O", 0)]  # fmt: skip
    assert [r.id for r in nest(rows, fold=False)[0]] == ["P", "C1", "G", "C2", "X", "O"]
    # a cycle another tool wrote: no incident is lost (the first holds the other folded)
    loop = (row("L1", 2, "L2"), row("L2", 2, "L1"))
    shown, marks = nest(loop)
    assert [r.id for r in shown] == ["L1"] and marks["L1"].children == 1
    assert [r.id for r in nest(loop, {"L1"})[0]] == ["L1", "L2"]


def test_link_and_links_through_the_command_line(tmp_path: Path) -> None:
    f = EventFactory()
    append_events(tmp_path / "journal.jsonl", [
        f.opened("INC-A", title="Threats on stream"), f.opened("INC-B", title="Second report"),
        f.opened("INC-R", restricted=True, title="Minister's account"),
        f("incident.role_set", {"role": "commander", "person": "amara"}, "INC-R"),
    ])  # fmt: skip
    done = _cli(tmp_path, "link", "INC-B", "INC-A", "--kind", "child", "--note", "same campaign")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "INC-B: child INC-A"
    for args, why in [
        (("link", "INC-A", "INC-A", "--kind", "related"), "cannot be linked to itself"),
        (("link", "INC-A", "INC-R", "--kind", "related"), "INC-R is restricted"),
        (("link", "INC-A", "inc b", "--kind", "related"), "data.other"),
    ]:
        refused = _cli(tmp_path, *args)
        assert refused.returncode == 2 and why in refused.stderr, (args, refused.stderr)
        assert "Minister" not in refused.stderr
    assert _cli(tmp_path, "link", "INC-A", "INC-R", "--kind", "related", actor="amara").returncode == 0
    shown = _cli(tmp_path, "links", "INC-A")
    assert shown.stdout.splitlines() == ["parent of INC-B Second report", "related to INC-R (restricted)"]
    as_json = json.loads(_cli(tmp_path, "links", "INC-B", "--json").stdout)
    assert [(r["kind"], r["other"], r["note"]) for r in as_json] == [("child", "INC-A", "same campaign")]
    assert _cli(tmp_path, "link", "INC-A", "INC-B", "--kind", "unlinked").returncode == 0
    assert _cli(tmp_path, "links", "INC-B").stdout.strip() == "INC-B has no links"
    unknown = _cli(tmp_path, "links", "INC-9")
    assert unknown.returncode == 2 and "never opened" in unknown.stderr


async def test_a_merge_by_another_console_shows_on_the_selected_targets_timeline(tmp_path: Path) -> None:
    """B merged into A elsewhere, its items closed (nothing written on A): A, selected here,
    shows B's entries at once."""
    from app.console import WarRoom
    from tests._console_helpers import SIZE, scoped, seed, wait_for
    from tests.test_actions import select_incident, started
    from widgets.timeline import Timeline

    settings = await _console_journal(tmp_path)
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        main = await started(pilot, app, ["INC-A", "INC-B", "INC-C"])
        await select_incident(pilot, main, "INC-A")
        timeline = main.query_one(Timeline)
        assert not any(e.origin for e in timeline.entries)
        await seed(settings, [
            scoped("incident.linked", "INC-B", other="INC-A", kind="duplicate_of"),
            scoped("incident.status_set", "INC-B", status="merged", reason="merged into INC-A"),
        ], actor="other")  # fmt: skip
        await wait_for(
            pilot, lambda: any(e.origin == "INC-B" for e in timeline.entries), what="B's entries on A"
        )
        assert main.selected == "INC-A"
