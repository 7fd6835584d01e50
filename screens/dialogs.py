"""The action dialogs. Each builds journal events from what was typed; the App appends them
through the same validated path as the command line.

Enter submits and Escape cancels. Validation errors are shown under the field they concern
and nothing is written until everything is valid; a write that fails (disk full, lock held
too long) is shown in the dialog, which stays open with the text as typed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from data import clock
from data.commands import AppendRefused, build_events
from data.models import CATEGORIES, CHECKLIST_STATES, REGIONS, ROLES, SOURCES, STATUSES, TEAMS
from data.text import clean
from screens.live import live

ACTION_KINDS = (
    ("content_removed", "Content removed"),
    ("account_restricted", "Account restricted"),
    ("report_filed", "Report filed (give its reference)"),
    ("hash_added", "Hashes added to a block list"),
    ("preservation", "Data preserved"),
    ("disclosure", "Data disclosed to law enforcement"),
    ("le_referral", "Referred to law enforcement"),
    ("stakeholder_update", "Stakeholder update sent"),
    ("user_notice_deferred", "User notice deferred"),
    ("other", "Other"),
)
SEVERITY_LABELS = {
    1: "S1 Critical: life at risk, legal clock ≤ 24 h",
    2: "S2 Major: serious harm likely, clock ≤ 72 h",
    3: "S3 Moderate: contained, same shift",
    4: "S4 Low / watch",
}


def parse_due(text: str, now: datetime | None = None) -> str | None:
    """``"30m"``, ``"2h"``, ``"1d"``, ``"1h30m"``, or an RFC 3339 time; blank is no due time."""
    text = text.strip()
    if not text:
        return None
    now = now or clock.now()
    m = re.fullmatch(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?", text)
    if m and any(m.groups()):
        d, h, mi = (int(g or 0) for g in m.groups())
        t = now + timedelta(days=d, hours=h, minutes=mi)
        return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    from data.models import parse_rfc3339

    try:
        parse_rfc3339(text)
    except ValueError:
        raise ValueError("give a time from now (30m, 2h, 1d) or an RFC 3339 time") from None
    return text


def slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:24] or "item"
    name = base
    n = 2
    while name in taken:
        name = f"{base[:20]}-{n}"
        n += 1
    return name


class FormDialog(ModalScreen[bool]):
    """A form over the main screen. Subclasses give the fields, the events, and which
    event member each field holds (for inline errors)."""

    TITLE: ClassVar[str] = ""
    #: what is focused when the form opens: its first field (not the scrolling frame), so
    #: that what is typed at once goes where it should
    AUTO_FOCUS = "Input, TextArea, Select, SelectionList, Checkbox, Button"
    #: the submit button's label (ctrl+s submits too: the key of forms with a text area)
    SUBMIT: ClassVar[str] = "Submit (Enter)"
    #: event member (as validation errors name it) -> field id
    MEMBERS: ClassVar[dict[str, str]] = {}

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without writing anything"),
        Binding("ctrl+s", "submit", "Submit", id="dialog.submit", tooltip="Write it to the journal"),
    ]

    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > #dialog { width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2; }
    FormDialog #dialog-title { text-style: bold; margin-bottom: 1; }
    FormDialog .field-label { color: $text-muted; margin-top: 1; }
    FormDialog .error { color: $error; text-style: bold; height: auto; display: none; }
    FormDialog .error.shown { display: block; }
    FormDialog #general-error { margin-top: 1; }
    FormDialog #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    FormDialog #buttons Button { margin-left: 2; }
    FormDialog SelectionList { height: auto; max-height: 7; }
    """

    def __init__(self, incident: str | None = None, context: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.incident = incident
        self.context = context or {}
        self.queued = False  # written to the console's outbox, not yet to the journal

    # --- what subclasses give --------------------------------------------------------

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def build(self) -> list[dict[str, Any]]:
        """The events to append, from the fields; raise FieldError for a bad field."""
        raise NotImplementedError

    def subtitle(self) -> str:
        return f"Incident {self.incident}" if self.incident else ""

    # --- the form --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text(self.TITLE), id="dialog-title")
            if self.subtitle():
                yield Static(Text(clean(self.subtitle(), 120), style="dim"))
            yield from self.fields()
            yield Static("", id="general-error", classes="error")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button(self.SUBMIT, id="submit", variant="primary")

    def labelled(self, label: str, widget: Widget) -> ComposeResult:
        yield Label(label, classes="field-label")
        yield widget
        yield Static("", id=f"{widget.id}-error", classes="error")

    def value(self, field_id: str) -> Any:
        widget = self.query_one(f"#{field_id}")
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else widget.value
        if isinstance(widget, SelectionList):
            return list(widget.selected)
        if isinstance(widget, Checkbox):
            return widget.value
        assert isinstance(widget, Input)
        return widget.value

    def show_error(self, field_id: str | None, message: str) -> None:
        target = self.query_one(f"#{field_id}-error" if field_id else "#general-error", Static)
        target.update(Text(clean(message, 400)))
        target.add_class("shown")

    def clear_errors(self) -> None:
        for err in self.query(".error"):
            err.remove_class("shown")

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#submit")
    @on(Input.Submitted)
    def _submit(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        self.clear_errors()
        try:
            events = self.build()
        except FieldError as exc:
            for field, message in exc.errors:
                self.show_error(field, message)
            return
        try:
            build_events([(self.TITLE, e) for e in events], self.app.settings.actor)  # type: ignore[attr-defined]
        except AppendRefused as exc:
            self.show_problems(exc.problems)
            return
        self.write(events)

    def show_problems(self, problems: list[str]) -> None:
        general = []
        for problem in problems:
            text = problem.split(": ", 1)[1] if problem.startswith(self.TITLE + ": ") else problem
            for part in text.split("; "):
                member, _, reason = part.partition(": ")
                field = self.MEMBERS.get(member)
                if field is not None and reason:
                    self.show_error(field, reason)
                else:
                    general.append(part)
        if general:
            self.show_error(None, "; ".join(general))

    @work(group="write", exclusive=True)
    async def write(self, events: list[dict[str, Any]]) -> None:
        self.query_one("#submit", Button).disabled = True
        error = await self.app.act(events)  # type: ignore[attr-defined]
        if not live(self):  # closed while writing (or the console closing): say it here
            if isinstance(error, str):
                self.app.notify(f"{self.TITLE}: nothing was written: {clean(error, 400)}", severity="error",
                                timeout=10, markup=False)  # fmt: skip
            elif error is None:
                self.app.notify(f"{self.TITLE}: written to the journal", timeout=3, markup=False)
            return
        self.query_one("#submit", Button).disabled = False
        if error is None or not isinstance(error, str):  # written, or queued in the outbox
            self.queued = error is not None  # act() has told the user it is queued
            self.dismiss(True)
        else:
            self.show_error(None, f"Nothing was written: {error}")

    def scoped(self, etype: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"type": etype, "incident": self.incident, "data": data}


def open_dialog(app: Any, dialog: FormDialog) -> None:
    """Show an action dialog; say so when what it wrote reached the journal."""
    from screens.observer import MESSAGE, read_only

    if read_only(app):  # the keys are hidden on an observer; this is the safety net
        app.notify(MESSAGE, severity="warning", markup=False)
        return

    def done(written: bool | None) -> None:
        if written and not dialog.queued:
            app.notify(f"{dialog.TITLE}: written to the journal", timeout=3, markup=False)

    app.push_screen(dialog, done)


class FieldError(ValueError):
    """What is wrong with the fields: (field id, message) pairs, shown together."""

    def __init__(self, field: str | None, message: str, *more: tuple[str | None, str]) -> None:
        super().__init__(message)
        self.errors = [(field, message), *more]


def _options(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


def _reason(data: dict[str, Any], reason: str) -> dict[str, Any]:
    if reason.strip():
        data["reason"] = reason.strip()
    return data


class NewIncidentDialog(FormDialog):
    TITLE = "Open an incident"
    MEMBERS = {"incident": "incident-id", "data.title": "title", "data.category": "category",
               "data.severity": "severity", "data.source": "source", "data.regions": "regions",
               "data.summary": "summary", "data.restricted": "restricted"}  # fmt: skip

    DEFAULT_CSS = """
    NewIncidentDialog > #dialog { width: 120; }
    NewIncidentDialog #columns { height: auto; }
    NewIncidentDialog #columns > Vertical { width: 1fr; height: auto; padding-right: 2; }
    """

    def fields(self) -> ComposeResult:
        now = datetime.now(UTC)
        with Horizontal(id="columns"):
            with Vertical():
                yield from self.labelled("Incident id", Input(f"INC-{now:%y%m%d-%H%M%S}", id="incident-id"))
                yield from self.labelled(
                    "Title (what is happening, no harmful detail)",
                    Input(id="title", placeholder="e.g. EDR: welfare concern, ref 4411"),
                )
                yield from self.labelled("Summary (optional; reference content by id)", Input(id="summary"))
                yield from self.labelled(
                    "Regions", SelectionList[str](*[(r, r) for r in REGIONS], id="regions")
                )
                yield Checkbox("Restricted: need-to-know", id="restricted")
                yield Static("", id="restricted-error", classes="error")
            with Vertical():
                yield from self.labelled(
                    "Category", Select(_options(CATEGORIES), id="category", prompt="Choose a category")
                )
                yield from self.labelled("Severity (when unsure, the more urgent)",
                                         Select([(label, n) for n, label in SEVERITY_LABELS.items()], id="severity", prompt="Choose a severity"))  # fmt: skip
                yield from self.labelled(
                    "Source", Select(_options(SOURCES), id="source", prompt="Choose a source")
                )

    def subtitle(self) -> str:
        return "Everything here is written to the shared journal."

    def build(self) -> list[dict[str, Any]]:
        data: dict[str, Any] = {
            "title": self.value("title").strip(),
            "category": self.value("category"),
            "severity": self.value("severity"),
            "source": self.value("source"),
            "regions": self.value("regions"),
        }
        missing: list[tuple[str | None, str]] = []
        if not data["title"]:
            missing.append(("title", "give a title"))
        for name in ("category", "severity", "source"):
            if data[name] is None:
                missing.append((name, f"choose a {name}"))
        if not data["regions"]:
            missing.append(("regions", "choose at least one region"))
        if missing:
            raise FieldError(*missing[0], *missing[1:])
        summary = self.value("summary").strip()
        if summary:
            data["summary"] = summary
        if self.value("restricted"):
            data["restricted"] = True
        inc = self.value("incident-id").strip().upper()
        self.incident = inc
        return [{"type": "incident.opened", "incident": inc, "data": data}]


class SeverityDialog(FormDialog):
    TITLE = "Set severity"
    MEMBERS = {"data.severity": "severity", "data.reason": "reason"}

    def fields(self) -> ComposeResult:
        current = self.context.get("severity")
        yield from self.labelled("Severity", Select([(label, n) for n, label in SEVERITY_LABELS.items()],
                                                    id="severity", value=current or Select.NULL, allow_blank=current is None))  # fmt: skip
        yield from self.labelled("Reason (what changed: imminence, reach, clocks, press)", Input(id="reason"))

    def build(self) -> list[dict[str, Any]]:
        sev = self.value("severity")
        if sev is None:
            raise FieldError("severity", "choose a severity")
        return [self.scoped("incident.severity_set", _reason({"severity": sev}, self.value("reason")))]


class StatusDialog(FormDialog):
    TITLE = "Set status"
    MEMBERS = {"data.status": "status", "data.reason": "reason"}

    def fields(self) -> ComposeResult:
        current = self.context.get("status")
        yield from self.labelled("Status", Select(_options(STATUSES), id="status", value=current or Select.NULL,
                                                  allow_blank=current is None))  # fmt: skip
        yield from self.labelled("Reason", Input(id="reason"))

    def build(self) -> list[dict[str, Any]]:
        status = self.value("status")
        if status is None:
            raise FieldError("status", "choose a status")
        return [self.scoped("incident.status_set", _reason({"status": status}, self.value("reason")))]


class RoleDialog(FormDialog):
    TITLE = "Assign a role"
    MEMBERS = {"data.role": "role", "data.person": "person"}

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Role",
            Select(
                _options(ROLES), id="role", value=self.context.get("role", "commander"), allow_blank=False
            ),
        )
        yield from self.labelled(
            "Person (a handle; leave empty to clear the role)",
            Input(self.context.get("person", ""), id="person"),
        )

    def build(self) -> list[dict[str, Any]]:
        person = self.value("person").strip() or None
        return [self.scoped("incident.role_set", {"role": self.value("role"), "person": person})]


class ParticipantDialog(FormDialog):
    """Add or remove a participant: who may see a restricted incident's details besides its
    role holders (``incident.participant_added`` / ``incident.participant_removed``)."""

    TITLE = "Participants (need-to-know)"
    MEMBERS = {"data.person": "person", "data.reason": "reason"}

    def subtitle(self) -> str:
        now = ", ".join(self.context.get("participants", ())) or "none"
        return f"Incident {self.incident} · participants now: {now}"

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Change",
            Select([("Add a participant", "add"), ("Remove a participant", "remove")], id="change",
                   value=self.context.get("change", "add"), allow_blank=False),
        )  # fmt: skip
        yield from self.labelled("Person (a handle)", Input(self.context.get("person", ""), id="person"))
        yield from self.labelled("Reason (optional: why they need to know)", Input(id="reason"))

    def build(self) -> list[dict[str, Any]]:
        person = self.value("person").strip()
        if not person:
            raise FieldError("person", "give a handle")
        current = set(self.context.get("participants", ()))
        change = self.value("change")
        if change == "add" and person in current:
            raise FieldError("person", f"{person} is already a participant")
        if change == "remove" and person not in current:
            raise FieldError("person", f"{person} is not a participant")
        etype = "incident.participant_added" if change == "add" else "incident.participant_removed"
        return [self.scoped(etype, _reason({"person": person}, self.value("reason")))]


class NoteDialog(FormDialog):
    TITLE = "Add a note"
    MEMBERS = {"data.text": "text", "data.pinned": "pinned"}

    def fields(self) -> ComposeResult:
        yield from self.labelled("Note (a decision, what was done, who was told)", Input(id="text"))
        yield Checkbox("Pin it (shows in the handoff and the post-mortem)", id="pinned")
        yield Static("", id="pinned-error", classes="error")

    def build(self) -> list[dict[str, Any]]:
        data: dict[str, Any] = {"text": self.value("text").strip()}
        if self.value("pinned"):
            data["pinned"] = True
        return [self.scoped("incident.note", data)]


class ActionDialog(FormDialog):
    TITLE = "Record an action taken"
    MEMBERS = {"data.kind": "kind", "data.text": "text", "data.ref": "ref"}

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Kind",
            Select(
                [(label, k) for k, label in ACTION_KINDS],
                id="kind",
                value="content_removed",
                allow_blank=False,
            ),
        )
        yield from self.labelled("What was done (reference content by id)", Input(id="text"))
        yield from self.labelled("External reference (report number, case id; optional)", Input(id="ref"))

    def build(self) -> list[dict[str, Any]]:
        data: dict[str, Any] = {"kind": self.value("kind"), "text": self.value("text").strip()}
        ref = self.value("ref").strip()
        if ref:
            data["ref"] = ref
        return [self.scoped("incident.action", data)]


class ChecklistAddDialog(FormDialog):
    TITLE = "Add a checklist item"
    MEMBERS = {
        "data.text": "text",
        "data.team": "team",
        "data.due": "due",
        "data.item": "item",
        "data.basis": "basis",
    }

    def fields(self) -> ComposeResult:
        yield from self.labelled("What must be done", Input(id="text"))
        yield from self.labelled("Owning team", Select(_options(TEAMS), id="team", prompt="Choose a team"))
        yield from self.labelled("Due (30m, 2h, 1d, an RFC 3339 time, or empty)", Input(id="due"))
        yield from self.labelled("Legal basis (optional)", Input(id="basis"))
        yield from self.labelled("Item id (optional; made from the text)", Input(id="item"))

    def build(self) -> list[dict[str, Any]]:
        text = self.value("text").strip()
        team = self.value("team")
        if team is None:
            raise FieldError("team", "choose the owning team")
        try:
            due = parse_due(self.value("due"))
        except ValueError as exc:
            raise FieldError("due", str(exc)) from None
        item = self.value("item").strip() or slug(text, set(self.context.get("items", ())))
        data: dict[str, Any] = {"item": item, "text": text, "team": team}
        if due:
            data["due"] = due
        basis = self.value("basis").strip()
        if basis:
            data["basis"] = basis
        return [self.scoped("checklist.added", data)]


class ChecklistSetDialog(FormDialog):
    TITLE = "Set a checklist item's state"
    MEMBERS = {"data.state": "state", "data.note": "note", "data": "note", "data.item": "state"}

    def subtitle(self) -> str:
        return f"{self.incident} · {self.context.get('text', self.context.get('item', ''))}"

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "State",
            Select(
                _options(CHECKLIST_STATES),
                id="state",
                value=self.context.get("state", "done"),
                allow_blank=False,
            ),
        )
        yield from self.labelled("Note (required to skip or block: why)", Input(id="note"))

    def build(self) -> list[dict[str, Any]]:
        data: dict[str, Any] = {"item": self.context["item"], "state": self.value("state")}
        note = self.value("note").strip()
        if note:
            data["note"] = note
        return [self.scoped("checklist.set", data)]
