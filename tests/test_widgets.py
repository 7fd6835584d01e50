"""The timeline's line arithmetic and rendering, and the selection's frame: the pieces that
keep the console fast must never change what it shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult

from data.incidents.views import TimelineEntry
from widgets.timeline import FILTERS, Timeline
from widgets.wrap import line_count

CONSOLE = Console(width=300)

WORDS = st.text(alphabet=st.sampled_from([*"abcdefghij XYZ.,-   ", "é", "漢", "🙂", "\u0301"]), max_size=400)


@settings(max_examples=400, deadline=None)
@given(text=WORDS, width=st.integers(min_value=1, max_value=130))
def test_line_count_matches_rich_wrapping(text: str, width: int) -> None:
    assert line_count(text, width) == len(Text(text).wrap(CONSOLE, width))


@settings(max_examples=200, deadline=None)
@given(head=st.integers(min_value=0, max_value=300), text=WORDS, width=st.integers(min_value=1, max_value=60))
def test_line_count_folds_long_words_like_rich(head: int, text: str, width: int) -> None:
    s = "x" * head + " " + text
    assert line_count(s, width) == len(Text(s).wrap(CONSOLE, width))


def entry(seq: int, text: str, etype: str = "incident.note", minutes: int = 0) -> TimelineEntry:
    ts = datetime(2026, 11, 22, 3, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return TimelineEntry(
        seq=seq, ts=ts, ts_text=ts.isoformat(), actor="amara", type=etype, text=text, pinned=False
    )


class TimelineApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Timeline(id="timeline")


LONG = "Law enforcement liaison confirmed receipt of the request and asked for the preserved records; " * 3


async def test_timeline_renders_every_line_it_counts_and_follows_the_bottom() -> None:
    app = TimelineApp()
    async with app.run_test(size=(60, 12)) as pilot:
        timeline = app.query_one(Timeline)
        entries = tuple(entry(i, f"note {i}: {LONG[: 20 * i]}", minutes=i) for i in range(1, 30))
        timeline.show("INC-1", entries)
        await pilot.pause()
        lines = timeline.rendered_lines()
        assert len(lines) == timeline.virtual_size.height  # the count is what is rendered
        assert "note 1:" in lines[0].text and "note 29:" in " ".join(s.text for s in lines[-8:])
        assert timeline.scroll_offset.y == timeline.max_scroll_y > 0  # following the newest

        # what is on screen is the bottom of the same lines
        shown = [timeline.render_line(y).text.rstrip() for y in range(timeline.size.height)]
        assert shown == [s.text.rstrip() for s in lines[-timeline.size.height :]]

        # scrolled up by the user: a live addition does not pull the view down
        timeline.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        timeline.show("INC-1", (*entries, entry(40, "a new note", minutes=40)))
        await pilot.pause()
        assert timeline.scroll_offset.y == 0
        assert "a new note" in timeline.rendered_lines()[-1].text

        # a narrower pane rewraps: more lines, still all rendered and counted
        before = timeline.virtual_size.height
        await pilot.resize_terminal(35, 12)
        await pilot.pause()
        assert timeline.virtual_size.height > before
        assert len(timeline.rendered_lines()) == timeline.virtual_size.height


async def test_timeline_filters_earlier_events_and_empty_state() -> None:
    app = TimelineApp()
    async with app.run_test(size=(80, 12)) as pilot:
        timeline = app.query_one(Timeline)
        entries = (
            entry(1, "opened", "incident.opened"),
            entry(2, "a note"),
            entry(3, "done", "checklist.set"),
        )
        timeline.show("INC-1", entries, earlier=250)
        await pilot.pause()
        texts = [s.text for s in timeline.rendered_lines()]
        assert "250 earlier events not shown" in texts[0]
        assert [t.split()[1] for t in texts[1:]] == ["OPEN", "NOTE", "TICK"]
        while timeline.filter_name != "notes":
            timeline.cycle_filter()
        assert [s.text.split()[1] for s in timeline.rendered_lines()[1:]] == ["NOTE"]
        timeline.filter_index = len(FILTERS) - 1
        timeline.cycle_filter()  # back to all events
        assert len(timeline.rendered_lines()) == 4
        timeline.empty("Select an incident to see its timeline.")
        assert [s.text.strip() for s in timeline.rendered_lines()] == [
            "Select an incident to see its timeline."
        ]
        assert timeline.incident is None


class EarlyApp(App[None]):
    """Shows entries in on_mount, before the timeline's first layout gives it a width."""

    def compose(self) -> ComposeResult:
        yield Timeline(id="timeline")

    def on_mount(self) -> None:
        timeline = self.query_one(Timeline)
        self.width_at_show = timeline._width
        timeline.show("INC-1", (entry(1, "early " + LONG),))


async def test_entries_shown_before_the_width_is_known_are_counted_once_it_is() -> None:
    app = EarlyApp()
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        timeline = app.query_one(Timeline)
        assert app.width_at_show == 0
        lines = timeline.rendered_lines()
        assert "early" in lines[0].text
        assert len(lines) == timeline.virtual_size.height > 1


# --- following the newest entry, and runs of items added together ---------------------


def added(
    seq: int, item: str, second: int = 0, actor: str = "amara", template: str | None = "edr@1"
) -> TimelineEntry:
    ts = datetime(2026, 11, 22, 3, 0, second, 250_000, tzinfo=UTC)
    return TimelineEntry(seq=seq, ts=ts, ts_text=ts.isoformat(), actor=actor, type="checklist.added",
                         text=f"Checklist + {item} (legal): do {item}", pinned=False, id=f"E{seq}",
                         template=template)  # fmt: skip


def at_bottom(timeline: Timeline) -> bool:
    return timeline.max_scroll_y > 0 and timeline.scroll_offset.y == timeline.max_scroll_y


async def test_a_newly_shown_incident_opens_at_its_newest_entry() -> None:
    app = TimelineApp()
    async with app.run_test(size=(60, 12)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.show("INC-A", tuple(entry(i, f"A{i} {LONG[:30]}", minutes=i) for i in range(1, 30)))
        await pilot.pause()
        assert at_bottom(timeline)
        # the next incident, longer still: its newest entry, not its first
        timeline.show("INC-B", tuple(entry(i, f"B{i} {LONG[:30]}", minutes=i) for i in range(1, 40)))
        await pilot.pause()
        assert at_bottom(timeline)
        assert "B39" in " ".join(timeline.render_line(y).text for y in range(timeline.size.height))


async def test_the_timeline_follows_every_addition_and_again_once_scrolled_back_down() -> None:
    app = TimelineApp()
    async with app.run_test(size=(60, 12)) as pilot:
        timeline = app.query_one(Timeline)
        entries = tuple(entry(i, f"note {i} {LONG[:30]}", minutes=i) for i in range(1, 30))
        timeline.show("INC-1", entries)
        await pilot.pause()
        # two additions before the screen is painted again: still at the newest
        entries += (entry(40, "first live note"),)
        timeline.show("INC-1", entries)
        entries += (entry(41, "second live note"),)
        timeline.show("INC-1", entries)
        await pilot.pause()
        assert at_bottom(timeline) and timeline.following
        # the user scrolls up: additions leave the view where it is
        await pilot.press("home")
        await pilot.pause()
        assert not timeline.following
        entries += (entry(42, "third live note"),)
        timeline.show("INC-1", entries)
        await pilot.pause()
        assert timeline.scroll_offset.y == 0
        # back at the bottom (End), it follows again
        await pilot.press("end")
        await pilot.pause()
        entries += (entry(43, "fourth live note"),)
        timeline.show("INC-1", entries)
        await pilot.pause()
        assert at_bottom(timeline) and timeline.following
        assert "fourth live note" in timeline.render_line(timeline.size.height - 1).text


def test_items_added_together_are_one_run() -> None:
    from data.incidents.views import EntryRun, group_runs

    opened = entry(1, "opened", "incident.opened")
    items = [added(n, f"item{n}") for n in range(2, 8)]
    later = added(8, "by-hand", second=9, template=None)  # another second: not the same batch
    other = added(9, "other-actor", second=9, actor="hugo", template=None)
    shown = group_runs([opened, *items, later, other, entry(10, "a note")])
    assert [type(s).__name__ for s in shown] == ["TimelineEntry", "EntryRun", "TimelineEntry", "TimelineEntry",
                                                 "TimelineEntry"]  # fmt: skip
    run = shown[1]
    assert isinstance(run, EntryRun) and run.entries == tuple(items)
    assert run.text == "Procedure edr@1: 6 items added"
    assert run.key == "E2"
    assert group_runs([items[0]]) == [items[0]]  # one item alone is an entry


class KeyApp(App[None]):
    """Records an Enter that the timeline leaves to the screen."""

    BINDINGS = [("enter", "screen_enter", "")]

    def __init__(self) -> None:
        super().__init__()
        self.entered = 0

    def compose(self) -> ComposeResult:
        yield Timeline(id="timeline")

    def action_screen_enter(self) -> None:
        self.entered += 1


async def test_a_procedure_run_reads_as_one_entry_that_enter_and_a_click_expand() -> None:
    app = KeyApp()
    async with app.run_test(size=(50, 14)) as pilot:
        timeline = app.query_one(Timeline)
        timeline.focus()
        opened = entry(1, "opened", "incident.opened")
        items = tuple(added(n, f"item{n} {LONG[:40]}") for n in range(2, 14))
        timeline.show("INC-1", (opened, *items))
        await pilot.pause()
        texts = [t.plain for t in timeline._texts]
        assert len(texts) == 2 and "▸ Procedure edr@1: 12 items added" in texts[1]
        assert len(timeline.rendered_lines()) == timeline.virtual_size.height

        await pilot.press("enter")  # every run's items, under it
        await pilot.pause()
        assert app.entered == 0
        texts = [t.plain for t in timeline._texts]
        assert len(texts) == 14 and "▾ Procedure" in texts[1] and "item13" in texts[-1]
        assert len(timeline.rendered_lines()) == timeline.virtual_size.height  # counted as rendered
        assert at_bottom(timeline)  # still following
        await pilot.press("enter")  # folded again
        await pilot.pause()
        assert len(timeline._texts) == 2

        # a click on the run's line shows it
        run_line = timeline._starts[1] - int(timeline.scroll_offset.y)
        await pilot.click(Timeline, offset=(5, run_line))
        await pilot.pause()
        assert len(timeline._texts) == 14

        # the batch's last items arrive with the next sync: still one run
        more = tuple(added(n, f"item{n}") for n in range(14, 17))
        timeline.show("INC-1", (opened, *items, *more))
        await pilot.pause()
        assert "15 items added" in timeline._texts[1].plain
        assert len(timeline._texts) == 17  # and still shown item by item
        assert len(timeline.rendered_lines()) == timeline.virtual_size.height

        # without runs, Enter is the screen's (it opens the incident on the war room)
        timeline.show("INC-2", (opened, entry(2, "a note")))
        await pilot.pause()
        await pilot.press("enter")
        assert app.entered == 1


async def test_a_long_incident_keeps_following_as_its_window_of_events_moves_on() -> None:
    """The war room loads an incident's last 200 events: each new one moves the window
    (one more "earlier" event), which must neither throw the view to the top nor pull a
    reader who scrolled up down to the bottom."""
    app = TimelineApp()
    async with app.run_test(size=(60, 12)) as pilot:
        timeline = app.query_one(Timeline)
        window = [entry(i, f"note {i} {LONG[:30]}", minutes=i) for i in range(11, 41)]
        timeline.show("INC-1", tuple(window), earlier=10)
        await pilot.pause()
        assert at_bottom(timeline)
        window = [*window[1:], entry(41, "the newest note")]
        timeline.show("INC-1", tuple(window), earlier=11)
        await pilot.pause()
        assert at_bottom(timeline)
        assert "the newest note" in timeline.render_line(timeline.size.height - 1).text

        timeline.scroll_to(y=3, animate=False, immediate=True)  # a reader scrolled up
        await pilot.pause()
        window = [*window[1:], entry(42, "one more")]
        timeline.show("INC-1", tuple(window), earlier=12)
        await pilot.pause()
        assert timeline.scroll_offset.y == 3 and not timeline.following


# --- every event type has a rendering ---------------------------------------------------------

#: one valid ``data`` of every type the journal can hold (checked against the models below,
#: so a type added to the vocabulary without an example fails here)
EXAMPLES: dict[str, dict[str, object]] = {
    "incident.opened": {"title": "EDR: welfare concern", "category": "edr", "severity": 1,
                        "source": "law_enforcement", "regions": ["US"]},
    "incident.updated": {"title": "EDR: welfare concern, ref 4411"},
    "incident.severity_set": {"severity": 2, "reason": "Risk receded"},
    "incident.status_set": {"status": "investigating"},
    "incident.role_set": {"role": "commander", "person": "amara"},
    "incident.note": {"text": "Called back the officer"},
    "incident.action": {"kind": "report_filed", "text": "Report filed", "ref": "CT-1"},
    "incident.participant_added": {"person": "ben"},
    "incident.linked": {"other": "INC-7", "kind": "duplicate_of", "note": "the same report"},
    "incident.participant_removed": {"person": "ben"},
    "checklist.added": {"item": "verify", "text": "Verify the requester", "team": "le_response"},
    "checklist.set": {"item": "verify", "state": "done"},
    "checklist.retimed": {"item": "verify", "due": "2026-11-22T05:00:00Z",
                          "reason": "severity 2 to 1: the target at severity 1 is 2h from T0"},
    "roster.person": {"handle": "amara", "name": "Amara Okafor", "team": "emergency_response",
                      "region": "US", "tz": "America/New_York"},
    "roster.rotation": {"rotation": "us-ic", "team": "emergency_response", "region": "US",
                        "tz": "America/New_York", "days": ["mon"], "start": "09:00", "hours": 9,
                        "members": ["amara"], "anchor": "2026-01-05"},
    "roster.override": {"rotation": "us-ic", "person": "eli", "start": "2026-11-22T09:00:00Z",
                        "end": "2026-11-22T18:00:00Z"},
    "handoff.submitted": {"handoff": "HO-1", "from": "amara", "to": "hugo", "region": "US", "notes": "Quiet."},
    "handoff.acknowledged": {"handoff": "HO-1", "readback": "I have it."},
    "postmortem.section_set": {"section": "root_cause", "text": "A routing gap"},
    "postmortem.status_set": {"status": "in_review"},
    "postmortem.action_added": {"action": "a1", "kind": "prevent", "text": "Test alerts",
                                "owner": "ben", "due": "2026-12-20T00:00:00Z"},
    "postmortem.action_set": {"action": "a1", "state": "done"},
    "postmortem.pin_set": {"event": "01JD0000000000000000000000", "pinned": True},
    "postmortem.meeting": {"at": "2026-11-23T10:00:00Z", "attendees": ["amara", "ben"]},
    "decision.recorded": {"decision": "D-1", "text": "Disclose the subscriber record to the police",
                          "options": ["disclose now", "wait for process"], "rationale": "imminent danger",
                          "approvers": [{"person": "amara", "role": "legal"}],
                          "basis": "18 U.S.C. 2702(b)(8)", "reversible": False},
    "page.sent": {"step": 1, "repeat": 0, "policy": "1", "notify": "on_call", "person": "amara",
                  "channel": "oncall"},
    "page.delivered": {"page": "page:INC-1:1:0", "ok": True},
    "audit.reveal": {"incident": "INC-1", "entry": "01JD0000000000000000000000", "reason": "Legal request",
                     "kinds": ["email"]},
    "audit.unmasked_export": {"kind": "timeline", "format": "csv", "incident": "INC-1"},
    "response.drafted": {"response": "r1", "template": "preservation", "agency": "Springfield PD",
                         "agency_type": "law_enforcement", "country": "US", "channel": "email",
                         "text": "We confirm the preservation."},
    "response.reviewed": {"response": "r1", "reviewer": "ben", "verdict": "approved"},
    "response.sent": {"response": "r1", "sha256": "0" * 64, "channel": "email"},
    "disclosure.recorded": {"categories": ["subscriber"], "account": "66685", "agency": "Springfield PD",
                            "agency_type": "law_enforcement", "country": "US",
                            "basis": "18 U.S.C. 2702(c)(4)", "approved_by": ["ben"]},
    "signal.received": {"signal": "SIG-7K3F9Q2M", "channel": "le_portal", "ref": "LE-2211",
                        "received_at": "2026-11-21T23:01:00Z", "title": "Emergency request: imminent threat",
                        "raw_type": "application/json", "raw_size": 2, "raw_parts": 1,
                        "raw_sha256": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
    "signal.payload": {"signal": "SIG-7K3F9Q2M", "part": 1, "data": "e30="},
    "signal.triaged": {"signal": "SIG-7K3F9Q2M", "outcome": "attached", "incident": "INC-1"},
}  # fmt: skip


def test_the_examples_cover_the_whole_vocabulary() -> None:
    from data.engine.models import DATA_MODELS

    assert set(EXAMPLES) == set(DATA_MODELS)
    for etype, data in EXAMPLES.items():
        DATA_MODELS[etype].model_validate(data)


@pytest.mark.parametrize("etype", [*sorted(EXAMPLES), "incident.escalated", "vendor.custom"])
def test_every_event_type_has_a_timeline_rendering(etype: str) -> None:
    """A known type is described in words with a marker of its own; a type this version does
    not know (a newer console's) is named, never shown as question marks."""
    from data.incidents.describe import describe
    from widgets.timeline import TYPE_MARKERS

    data = EXAMPLES.get(etype, {"anything": 1})
    text = describe(etype, dict(data))
    line = Timeline.line(entry(1, text, etype)).plain
    assert "????" not in line and "?" not in line.split()[1]
    if etype in EXAMPLES:
        assert etype in TYPE_MARKERS
        assert "does not know" not in text and etype not in text
    else:
        assert etype in text and "does not know" in text
