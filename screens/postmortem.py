"""The post-mortem screen of one incident: its status and meeting clock, the lifecycle
metrics, the sections, the action items and the timeline with its pinned entries.

Open it with ``app.push_screen(PostmortemScreen(incident))`` (``P`` on the war room and the
incident screen, or "Post-mortem: Open" in the palette). It follows the app's snapshots
(``app.snapshots``), so another console's edits appear while it is open. Every edit is a
``postmortem.*`` event written through ``app.act`` (docs/postmortem.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Label, Select, Static, TextArea

from data.engine import clock
from data.engine.models import (
    PM_ACTION_KINDS,
    PM_ACTION_STATES,
    PM_SECTION_MAX,
    PM_STATUSES,
    Draft,
    PostmortemActionAdded,
    PostmortemActionSet,
    PostmortemMeeting,
    PostmortemPinSet,
    PostmortemSectionSet,
    PostmortemStatusSet,
)
from data.incidents.views import Snapshot
from data.postmortem.report import (
    SECTION_TITLES,
    STATUS_TITLES,
    WITHHELD,
    Postmortem,
    build_postmortem,
    clock_summary,
)
from data.privacy.text import clean
from screens.dialogs import FieldError, FormDialog, given, open_dialog, parse_due, slug
from screens.live import LiveScreen, live
from screens.observer import MESSAGE as OBSERVER_MESSAGE
from screens.observer import blocks, read_only
from screens.registry import bindings
from screens.wellbeing import exposure_changed
from widgets.status import StatusBar

#: what a clock state looks like here (a text mark as well as a colour)
_CLOCK_STYLE = {
    "ok": "bold",
    "at_risk": "bold #e3c44a",
    "overdue": "bold white on #b01c2e",
    "met": "bold #4caf50",
    "missed": "bold #e8833a",
    "none": "dim",
}
_STATUS_STYLE = {"draft": "bold #e3c44a", "in_review": "bold #5fa8d3", "reviewed": "bold #4caf50",
                 "closed": "bold #4caf50"}  # fmt: skip
_STATE_MARK = {"open": "○ open", "done": "✓ done", "dropped": "✗ dropped"}
EDIT_ACTIONS = frozenset({"edit_section", "add_action", "action_state", "pin", "pm_status", "meeting"})


def _when(t: Any) -> str:
    return t.strftime("%d %b %H:%MZ") if t is not None else "—"


class PostmortemScreen(LiveScreen[None]):
    """One incident's post-mortem, live."""

    BINDINGS = bindings("postmortem.back", "postmortem.edit", "postmortem.action_add", "postmortem.action_set",
                        "postmortem.pin", "postmortem.status", "postmortem.meeting")  # fmt: skip

    DEFAULT_CSS = """
    PostmortemScreen { overflow: hidden hidden; }
    PostmortemScreen .box { border: round $primary-darken-2; height: auto; }
    PostmortemScreen .box:focus-within { border: round $accent; }
    PostmortemScreen #pm-head { padding: 0 1; }
    PostmortemScreen #pm-middle { height: 1fr; }
    PostmortemScreen #sections-box { width: 2fr; height: 1fr; }
    PostmortemScreen #actions-box { width: 3fr; height: 1fr; }
    PostmortemScreen #pm-timeline-box { height: 1fr; }
    PostmortemScreen #section-text { height: auto; max-height: 6; padding: 0 1; color: $text-muted; }
    PostmortemScreen DataTable { height: 1fr; }
    """

    def __init__(self, incident: str) -> None:
        super().__init__()
        self.incident = incident
        self.pm: Postmortem | None = None
        self._seq = -1

    def compose(self) -> ComposeResult:
        yield StatusBar(self.console.settings.actor, id="status")
        with Vertical(id="pm-head-box", classes="box") as box:
            box.border_title = Text(f"Post-mortem · {self.incident}")
            yield Static(Text("loading…", style="dim"), id="pm-head")
        with Horizontal(id="pm-middle"):
            with Vertical(id="sections-box", classes="box") as box:
                box.border_title = "Sections (e: edit)"
                yield DataTable(id="sections", cursor_type="row")
                yield Static("", id="section-text")
            with Vertical(id="actions-box", classes="box") as box:
                box.border_title = "Action items (a: add, t: state)"
                yield DataTable(id="pm-actions", cursor_type="row")
        with Vertical(id="pm-timeline-box", classes="box") as box:
            box.border_title = "Timeline (p: pin/unpin; pinned first)"
            yield DataTable(id="pm-timeline", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        sections = self.query_one("#sections", DataTable)
        for name, width in (("Section", 20), ("Written", 14), ("Begins", 18)):
            sections.add_column(name, width=width)
        actions = self.query_one("#pm-actions", DataTable)
        for name, width in (("Id", 12), ("Kind", 8), ("What", 26), ("Owner", 8), ("Due", 14), ("State", 9)):
            actions.add_column(name, width=width)
        timeline = self.query_one("#pm-timeline", DataTable)
        for name, width in (("Pin", 8), ("When", 12), ("Who", 12), ("What", 100)):
            timeline.add_column(name, width=width)
        self.set_interval(1.0, self.tick)
        self.load()
        self.query_one("#sections", DataTable).focus()

    # --- following the journal -------------------------------------------------------

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.query_one(StatusBar).show(clock.now(), snapshot.sync)
        row = next((r for r in snapshot.incidents if r.id == self.incident), None)
        if row is None or row.last_seq != self._seq:
            self.load()

    def exposure_subject(self) -> tuple[str, str] | None:
        """The incident whose detail this screen shows (for the exposure counters)."""
        pm = self.pm
        return (self.incident, pm.category) if pm is not None and pm.visible else None

    def tick(self) -> None:
        now = clock.now()
        self.query_one(StatusBar).show(now)
        if self.pm is not None and self.pm.clock is not None and self.pm.clock.closed_at is None:
            from dataclasses import replace

            self.pm = replace(self.pm, generated_at=now)
            self.query_one("#pm-head", Static).update(self.head_text(self.pm))

    @work(group="postmortem", exclusive=True)
    async def load(self) -> None:
        store = self.console.store
        pm = await build_postmortem(
            store, self.incident, self.console.settings.actor, clock.now(), self.console.pm_policy
        )
        if not live(self):  # closed (or the console closing) while loading: its panes are going away
            return
        if pm is None:
            self.query_one("#pm-head", Static).update(
                Text(f"{self.incident} is not in the store.", style="bold")
            )
            return
        self.show(pm)

    def show(self, pm: Postmortem) -> None:
        self.pm = pm
        exposure_changed(self)
        self._seq = pm.last_seq
        title = (
            f"Post-mortem · {pm.incident} · S{pm.severity} · {pm.category} · incident {pm.incident_status}"
        )
        self.query_one("#pm-head-box").border_title = Text(clean(title, 120))
        self.query_one("#pm-head", Static).update(self.head_text(pm))
        with self.app.batch_update():
            self._fill_sections(pm)
            self._fill_actions(pm)
            self._fill_timeline(pm)
        self.refresh_bindings()

    def head_text(self, pm: Postmortem) -> Text:
        t = Text()

        def label(name: str) -> None:
            t.append(f"{name:<13}", style="dim")

        label("Title")
        t.append(clean(pm.title, 200) if pm.title is not None else "restricted (need-to-know)", style="bold")
        t.append("\n")
        label("Post-mortem")
        t.append(
            f" {STATUS_TITLES.get(pm.status, pm.status).upper()} ", style=_STATUS_STYLE.get(pm.status, "bold")
        )
        if pm.status_by:
            t.append(f"  set by {clean(pm.status_by, 64)} {_when(pm.status_at)}", style="dim")
        if pm.status_reason:
            t.append(f": {clean(pm.status_reason, 120)}", style="dim")
        t.append("\n")
        label("Meeting")
        text, state = clock_summary(pm)
        t.append(text, style=_CLOCK_STYLE.get(state, ""))
        if pm.clock is not None:
            t.append(f"   {clean(pm.clock.label)}", style="dim")
        t.append("\n")
        label("Lifecycle")
        t.append(f"T0 {_when(pm.t0)}", style="dim")
        for word, (_, _, after) in zip(("acknowledged", "contained", "resolved"), pm.metrics(), strict=True):
            t.append(f"   {word} ")
            t.append(f"+{after}" if after != "—" else "not yet", style="bold")
        if pm.decisions:  # docs/decisions.md
            t.append("\n")
            label("Decisions")
            gone = sum(1 for d in pm.decisions if d.superseded_by)
            t.append(f"{len(pm.decisions)} recorded, {len(pm.decisions) - gone} in force", style="bold")
            last = pm.decisions[-1]
            t.append(f"   latest {clean(last.decision, 32)}: ", style="dim")
            t.append(clean(last.text, 80) if last.text is not None else WITHHELD)
            t.append("   D: the decision log", style="dim")
        if pm.restricted:
            t.append("\n")
            label("")
            t.append("RESTRICTED (need-to-know)", style="bold #e8833a")
            if not pm.visible:
                t.append(": texts are shown to its role holders and participants", style="dim")
        return t

    def _keep(self, table: DataTable[Any]) -> int:
        return table.cursor_row if table.row_count else 0

    def _fill_sections(self, pm: Postmortem) -> None:
        table = self.query_one("#sections", DataTable)
        keep = self._keep(table)
        table.clear()
        for s in pm.sections:
            if s.text is None:
                written, begins = Text("—", style="dim"), Text(WITHHELD, style="dim")
            elif s.text.strip():
                written = Text(f"✓ {_when(s.at)}")
                begins = Text(clean(s.text.strip().splitlines()[0], 18))
            else:
                written, begins = (
                    Text("✗ empty", style="bold #e3c44a"),
                    Text(clean(s.hint, 18), style="dim italic"),
                )
            table.add_row(Text(s.title, style="bold"), written, begins, key=s.name)
        table.move_cursor(row=min(keep, table.row_count - 1))
        self._show_section_text()

    def _fill_actions(self, pm: Postmortem) -> None:
        table = self.query_one("#pm-actions", DataTable)
        keep = self._keep(table)
        table.clear()
        for a in pm.actions:
            state = _STATE_MARK.get(a.state, a.state)
            overdue = a.state == "open" and a.due is not None and a.due < pm.generated_at
            table.add_row(
                Text(clean(a.id, 12)), Text(a.kind), Text(clean(a.text, 26) if a.text is not None else WITHHELD),
                Text(clean(a.owner, 8)), Text(("! " if overdue else "") + (_when(a.due) if a.due else "—"),
                                               style="bold #e8833a" if overdue else ""),
                Text(state, style="bold" if a.state == "open" else "dim"), key=a.id,
            )  # fmt: skip
        if not pm.actions:
            table.add_row(Text("—", style="dim"), Text(""), Text("No action items yet (a: add one)", style="dim"),
                          Text(""), Text(""), Text(""), key="__none__")  # fmt: skip
        table.move_cursor(row=min(keep, table.row_count - 1))

    def _fill_timeline(self, pm: Postmortem) -> None:
        table = self.query_one("#pm-timeline", DataTable)
        keep = self._keep(table)
        table.clear()
        ordered = list(pm.pinned) + [e for e in pm.timeline if not e.pinned]
        for e in ordered:
            table.add_row(
                Text("★ pinned" if e.pinned else "", style="bold #e3c44a"), Text(_when(e.ts)), Text(clean(e.actor, 20)),
                Text(clean(e.text, 300) if e.text is not None else WITHHELD, style="bold" if e.pinned else ""),
                key=e.id,
            )  # fmt: skip
        if ordered:
            table.move_cursor(row=min(keep, table.row_count - 1))

    @on(DataTable.RowHighlighted, "#sections")
    def _section_moved(self, _: DataTable.RowHighlighted) -> None:
        self._show_section_text()

    def _show_section_text(self) -> None:
        target = self.query_one("#section-text", Static)
        name = self.selected_section()
        if self.pm is None or name is None:
            target.update("")
            return
        s = self.pm.section(name)
        if s.text is None:
            target.update(Text(WITHHELD))
        elif s.text.strip():
            lines = [clean(line, 200) for line in s.text.strip().splitlines()[:5]]
            target.update(Text("\n".join(lines)))
        else:
            target.update(Text(f"{s.hint}. Press e to write it.", style="italic"))

    # --- what is selected ------------------------------------------------------------

    def _key(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None
        return None if key == "__none__" else key

    def selected_section(self) -> str | None:
        return self._key("#sections")

    def selected_action(self) -> str | None:
        return self._key("#pm-actions")

    def selected_entry(self) -> str | None:
        return self._key("#pm-timeline")

    # --- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if blocks(self.app, action):
            return False
        if action in EDIT_ACTIONS:
            if self.pm is None or not self.pm.visible:
                return False
            if action == "action_state":
                return bool(self.pm.actions)
            if action == "pin":
                return bool(self.pm.timeline)
        return True

    def applies(self, action: str) -> bool:
        """The palette's strict check (every condition, the selection included)."""
        if self.check_action(action, ()) is False:
            return False
        if action == "action_state":
            return self.selected_action() is not None
        if action == "pin":
            return self.selected_entry() is not None
        return True

    def _editable(self) -> Postmortem | None:
        pm = self.pm
        if read_only(self.app):
            self.notify(OBSERVER_MESSAGE, severity="warning", markup=False)
            return None
        if pm is not None and not pm.visible:
            self.notify(f"{pm.incident} is restricted: only its role holders and participants can edit its post-mortem.",
                        severity="warning", markup=False)  # fmt: skip
            return None
        return pm

    def action_edit_section(self) -> None:
        if (pm := self._editable()) is None:
            return
        name = self.selected_section() or "summary"
        open_dialog(
            self.app, SectionDialog(pm.incident, {"section": name, "text": pm.section(name).text or ""})
        )

    def action_add_action(self) -> None:
        if (pm := self._editable()) is None:
            return
        taken = {a.id for a in pm.actions}
        open_dialog(
            self.app, ActionAddDialog(pm.incident, {"actions": taken, "owner": self.console.settings.actor})
        )

    def action_action_state(self) -> None:
        if (pm := self._editable()) is None:
            return
        action = pm.action(self.selected_action() or "")
        if action is None:
            self.notify("Select an action item first (↑↓ in Action items).", severity="warning", markup=False)
            return
        state = "done" if action.state == "open" else "open"
        open_dialog(
            self.app,
            ActionSetDialog(pm.incident, {"action": action.id, "text": action.text or "", "state": state}),
        )

    def action_pin(self) -> None:
        if (pm := self._editable()) is None:
            return
        eid = self.selected_entry()
        entry = next((e for e in pm.timeline if e.id == eid), None)
        if entry is None:
            self.notify("Select a timeline entry first (↑↓ in Timeline).", severity="warning", markup=False)
            return
        pinned = not entry.pinned
        event = Draft(PostmortemPinSet(event=entry.id, pinned=pinned), incident=pm.incident)
        self.write_now([event], f"{'Pinned' if pinned else 'Unpinned'} the entry of {_when(entry.ts)}")

    def action_pm_status(self) -> None:
        if (pm := self._editable()) is None:
            return
        open_dialog(self.app, PmStatusDialog(pm.incident, {"status": pm.status}))

    def action_meeting(self) -> None:
        if (pm := self._editable()) is None:
            return
        open_dialog(self.app, MeetingDialog(pm.incident, {"actor": self.console.settings.actor}))

    @on(DataTable.RowSelected, "#sections")
    def _section_chosen(self, _: DataTable.RowSelected) -> None:
        self.action_edit_section()

    @on(DataTable.RowSelected, "#pm-actions")
    def _action_chosen(self, _: DataTable.RowSelected) -> None:
        if self.selected_action() is None:
            self.action_add_action()
        else:
            self.action_action_state()

    @on(DataTable.RowSelected, "#pm-timeline")
    def _entry_chosen(self, _: DataTable.RowSelected) -> None:
        self.action_pin()

    @work(group="write")
    async def write_now(self, events: list[Draft], what: str) -> None:
        error = await self.console.act(events)
        if error is None:
            self.app.notify(what, timeout=3, markup=False)
        elif isinstance(error, str):  # else queued in the outbox: act() has said so
            self.app.notify(f"Nothing was written: {clean(error, 400)}", severity="error", timeout=10,
                            markup=False)  # fmt: skip


# --- the dialogs ---------------------------------------------------------------------------


class _PmDialog(FormDialog):
    """A FormDialog that also reads TextAreas."""

    def value(self, field_id: str) -> Any:
        widget = self.query_one(f"#{field_id}")
        if isinstance(widget, TextArea):
            return widget.text
        return super().value(field_id)


def _options(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


class SectionDialog(_PmDialog):
    TITLE = "Edit a post-mortem section"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {("data", "text"): "text", ("data", "section"): "text"}

    DEFAULT_CSS = """
    SectionDialog > #dialog { width: 100; }
    SectionDialog TextArea { height: 14; }
    """

    def subtitle(self) -> str:
        title, _ = SECTION_TITLES[self.context["section"]]
        return f"{self.incident} · {title}"

    def fields(self) -> ComposeResult:
        _, hint = SECTION_TITLES[self.context["section"]]
        yield Label(f"{hint}. Enter: new line · Ctrl+S: save · Esc: cancel", classes="field-label")
        area = TextArea(self.context.get("text", ""), id="text", soft_wrap=True, show_line_numbers=False)
        yield area
        yield Static("", id="text-error", classes="error")

    def on_mount(self) -> None:
        from textual.widgets import Button

        self.query_one("#submit", Button).label = "Save (Ctrl+S)"  # Enter is a new line here
        self.query_one("#text", TextArea).focus()

    def build(self) -> list[Draft]:
        text = self.value("text").rstrip()
        if len(text) > PM_SECTION_MAX:
            raise FieldError("text", f"at most {PM_SECTION_MAX} characters (this is {len(text)})")
        return [self.scoped(PostmortemSectionSet(section=self.context["section"], text=text))]


class ActionAddDialog(_PmDialog):
    TITLE = "Add a post-mortem action item"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {
        ("data", "kind"): "kind", ("data", "text"): "text", ("data", "owner"): "owner", ("data", "due"): "due",
        ("data", "action"): "action",
    }  # fmt: skip

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Kind", Select(_options(PM_ACTION_KINDS), id="kind", value="prevent", allow_blank=False)
        )
        yield from self.labelled("What will be done", Input(id="text"))
        yield from self.person_field("Owner", "owner", self.context.get("owner", ""))
        yield from self.labelled("Due (28d, 8w as 56d, an RFC 3339 time, or empty)", Input(id="due"))
        yield from self.labelled("Action id (optional; made from the text)", Input(id="action"))

    def build(self) -> list[Draft]:
        text = self.value("text").strip()
        problems: list[tuple[str | None, str]] = []
        if not text:
            problems.append(("text", "say what will be done"))
        try:
            owner = self.person("owner") or ""
        except FieldError as exc:
            problems += exc.errors
        try:
            due = parse_due(self.value("due"))
        except ValueError as exc:
            problems.append(("due", str(exc)))
            due = None
        if problems:
            raise FieldError(*problems[0], *problems[1:])
        action = self.value("action").strip() or slug(text, set(self.context.get("actions", ())))
        added = PostmortemActionAdded(
            action=action, kind=self.value("kind"), text=text, owner=owner, **given(due=due)
        )
        return [self.scoped(added)]


class ActionSetDialog(_PmDialog):
    TITLE = "Set an action item's state"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {("data", "state"): "state", ("data", "note"): "note",
                                                     ("data",): "note", ("data", "action"): "state"}  # fmt: skip

    def subtitle(self) -> str:
        return f"{self.incident} · {self.context.get('action', '')}: {self.context.get('text', '')}"

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "State",
            Select(
                _options(PM_ACTION_STATES),
                id="state",
                value=self.context.get("state", "done"),
                allow_blank=False,
            ),
        )
        yield from self.labelled("Note (required to drop it: why)", Input(id="note"))

    def build(self) -> list[Draft]:
        state = self.value("state")
        set_ = PostmortemActionSet(
            action=self.context["action"], state=state, **given(note=self.value("note").strip())
        )
        return [self.scoped(set_)]


class PmStatusDialog(_PmDialog):
    TITLE = "Set the post-mortem's status"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {
        ("data", "status"): "status",
        ("data", "reason"): "reason",
    }

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Status",
            Select([(STATUS_TITLES[s], s) for s in PM_STATUSES], id="status",
                   value=self.context.get("status", "draft"), allow_blank=False),
        )  # fmt: skip
        yield from self.labelled("Reason (optional)", Input(id="reason"))

    def build(self) -> list[Draft]:
        status = PostmortemStatusSet(
            status=self.value("status"), **given(reason=self.value("reason").strip())
        )
        return [self.scoped(status)]


class MeetingDialog(_PmDialog):
    TITLE = "Record the post-mortem meeting"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {
        ("data", "at"): "at", ("data", "attendees"): "attendees", ("data", "note"): "note"
    }  # fmt: skip

    def fields(self) -> ComposeResult:
        yield from self.labelled("When it was held (an RFC 3339 time; empty: now)", Input(id="at"))
        yield from self.labelled(
            "Attendees (handles, comma-separated)", Input(self.context.get("actor", ""), id="attendees")
        )
        yield from self.labelled("Note (optional)", Input(id="note"))

    def build(self) -> list[Draft]:
        from data.engine.models import parse_rfc3339

        at = self.value("at").strip() or clock.utc_text(clock.now())
        try:
            parse_rfc3339(at)
        except ValueError as exc:
            raise FieldError("at", str(exc)) from None
        people = [p.strip() for p in self.value("attendees").split(",") if p.strip()]
        meeting = PostmortemMeeting(at=at, **given(attendees=people or None, note=self.value("note").strip()))
        return [self.scoped(meeting)]
