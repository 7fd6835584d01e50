"""The action dialogs. Each builds journal events from what was typed; the App appends them
through the same validated path as the command line.

Enter submits (from any field) and Escape cancels. Validation errors are shown under the
field they concern, in the words of ``data.engine.models.format_error``, and nothing is written
until everything is valid; a write that fails (disk full, lock held too long) is shown in
the dialog, which stays open with the text as typed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from data.commands import AppendRefused, build_events
from data.engine import clock
from data.engine.ids import incident_id
from data.engine.models import (
    CATEGORIES,
    CHECKLIST_STATES,
    REGIONS,
    ROLES,
    SOURCES,
    STATUSES,
    TEAMS,
    TRIGGER_KINDS,
    ChecklistAdded,
    ChecklistSet,
    Draft,
    EventData,
    IncidentAction,
    IncidentNote,
    IncidentOpened,
    IncidentParticipantAdded,
    IncidentParticipantRemoved,
    IncidentRoleSet,
    IncidentSeveritySet,
    IncidentStatusSet,
    Problem,
    TriggerAction,
    data_problems,
)
from data.privacy.text import clean
from data.procedures.sop import REGIME_LABELS, TRIGGER_LABELS
from data.roster.people import ME, People
from screens.live import live
from widgets.console import console, console_or_none

#: the kinds offered: the triggers first (they start legal clocks: docs/sop.md), then the rest
ACTION_KINDS = (
    *((k, f"⏱ {TRIGGER_LABELS[k]}") for k in TRIGGER_KINDS),
    ("account_restricted", "Account restricted"),
    ("hash_added", "Hashes added to a block list"),
    ("preservation", "Data preserved"),
    ("disclosure", "Data disclosed to law enforcement"),
    ("le_referral", "Referred to law enforcement"),
    ("stakeholder_update", "Stakeholder update sent"),
    ("user_notice_deferred", "User notice deferred"),
    ("other", "Other"),
)


def parse_when(text: str, now: datetime | None = None) -> str | None:
    """When something happened: blank (now: None), ``"25m"`` or ``"2h"`` ago, ``"HH:MM"``
    UTC (today, or yesterday if that is still to come), or an RFC 3339 time; never after
    now. Raises ValueError with a reason for people."""
    from data.engine.models import parse_rfc3339
    from data.procedures.sop import format_time

    text = text.strip()
    if not text:
        return None
    now = now or clock.now()
    m = re.fullmatch(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?(?:\s*ago)?", text)
    if m and any(m.groups()):
        d, h, mi = (int(g or 0) for g in m.groups())
        return format_time(now - timedelta(days=d, hours=h, minutes=mi))
    hm = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if hm and int(hm.group(1)) < 24 and int(hm.group(2)) < 60:
        at = now.astimezone(UTC).replace(
            hour=int(hm.group(1)), minute=int(hm.group(2)), second=0, microsecond=0
        )
        return format_time(at - timedelta(days=1) if at > now else at)
    try:
        at = parse_rfc3339(text)
    except ValueError:
        raise ValueError(
            "give how long ago (25m, 2h), a UTC time today (14:05) or an RFC 3339 time"
        ) from None
    if at > now:
        raise ValueError("is in the future: say when it really happened")
    return text


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
    from data.engine.models import parse_rfc3339

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


def enter_submits(focused: Widget | None) -> bool:
    """Whether Enter on the focused widget submits its dialog. It does from every field
    (a checkbox, a list of choices, a closed drop-down: space toggles or opens those), but
    not where Enter means something of its own: a text area (a new line), an open
    drop-down (its choice), a button (pressing it), a text field (it submits the form
    itself, unless a completion list open on it takes the key)."""
    from textual.widgets._select import SelectOverlay

    return focused is not None and not isinstance(focused, TextArea | SelectOverlay | Button | Input)


#: Enter, checked before the focused widget's own keys (see :func:`enter_submits`)
ENTER_SUBMITS = Binding("enter", "enter_submit", "Submit", show=False, priority=True)


class FormDialog(ModalScreen[bool]):
    """A form over the main screen. Subclasses give the fields, the events, and which
    event member each field holds (for inline errors).

    Enter submits from any field (:func:`enter_submits`; ctrl+s too, the key of forms with
    a text area, where Enter is a new line). The form opens on the field the user must fill
    (:meth:`focus_field`). An inline error goes away as soon as its field changes."""

    TITLE: ClassVar[str] = ""
    #: what is focused when the form opens: its first field (not the scrolling frame), so
    #: that what is typed at once goes where it should; :meth:`focus_field` may name another
    AUTO_FOCUS = "Input, TextArea, Select, SelectionList, Checkbox, Button"
    #: the field to focus when the form opens (None: the first)
    FOCUS: ClassVar[str | None] = None
    #: the submit button's label (ctrl+s submits too: the key of forms with a text area)
    SUBMIT: ClassVar[str] = "Submit (Enter)"
    #: event member (a problem's ``field`` path) -> the id of the form's field that holds it
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {}

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without writing anything"),
        Binding("ctrl+s", "submit", "Submit", id="dialog.submit", tooltip="Write it to the journal"),
        ENTER_SUBMITS,
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
    FormDialog .anyway { display: none; }
    FormDialog .anyway.shown { display: block; }
    """

    def __init__(self, incident: str | None = None, context: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.incident = incident
        self.context = context or {}
        self.queued = False  # written to the console's outbox, not yet to the journal
        focus = self.focus_field()
        if focus is not None:
            self.AUTO_FOCUS = f"#{focus}"  # type: ignore[misc]  # (per dialog: Textual reads it on resume)

    # --- what subclasses give --------------------------------------------------------

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def build(self) -> list[Draft]:
        """The events to append, built from the fields through their models; raise
        FieldError for a bad field (a model's ValidationError is shown at its fields too)."""
        raise NotImplementedError

    def subtitle(self) -> str:
        return f"Incident {self.incident}" if self.incident else ""

    def focus_field(self) -> str | None:
        """The id of the field the user must fill, focused when the form opens (None: the
        first field)."""
        return self.FOCUS

    # --- the form --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(Text(self.TITLE), id="dialog-title")
            if self.subtitle():
                # whole (an item's text up to 2,000 characters): it wraps, the dialog scrolls
                yield Static(Text(clean(self.subtitle(), 4000), style="dim"), id="dialog-subtitle")
            yield from self.fields()
            yield Static("", id="general-error", classes="error")
            with Horizontal(id="buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button(self.SUBMIT, id="submit", variant="primary")

    def labelled(self, label: str, widget: Widget) -> ComposeResult:
        yield Label(label, classes="field-label")
        yield widget
        yield Static("", id=f"{widget.id}-error", classes="error")

    def person_field(self, label: str, field_id: str, value: str = "") -> ComposeResult:
        """A field that names a person: see :func:`person_widgets`."""
        yield Label(label, classes="field-label")
        yield from person_widgets(self.app, field_id, value)
        yield Static("", id=f"{field_id}-error", classes="error")

    def person(self, field_id: str, *, required: bool = True) -> str | None:
        """The handle a person field names: see :func:`resolve_person`."""
        return resolve_person(self, field_id, required=required)

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

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    @on(TextArea.Changed)
    def _field_changed(self, event: Any) -> None:
        """The user is fixing a field: its error goes away (the others stay until the next
        try)."""
        field = getattr(event.control, "id", None)
        if field:
            for err in self.query(f"#{field}-error"):
                err.remove_class("shown")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "enter_submit":
            return enter_submits(self.focused)
        return True

    def action_enter_submit(self) -> None:
        self.action_submit()

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
        except ValidationError as exc:  # a model refused what a field gave
            self.show_problems(data_problems(exc))
            return
        try:
            build_events([(self.TITLE, e) for e in events], console(self.app).settings.actor)
        except AppendRefused as exc:
            self.show_problems(exc.problems)
            return
        self.write(events)

    def show_problems(self, problems: list[Problem]) -> None:
        """Each problem under the field that holds its member (``MEMBERS``), the others
        together under the form."""
        general = []
        for problem in problems:
            field = self.MEMBERS.get(problem.field)
            if field is not None:
                self.show_error(field, problem.message)
            else:
                general.append(problem.text or problem.message)
        if general:
            self.show_error(None, "; ".join(general))

    @work(group="write", exclusive=True)
    async def write(self, events: list[Draft]) -> None:
        self.query_one("#submit", Button).disabled = True
        error = await console(self.app).act(events)
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

    def scoped(self, data: EventData) -> Draft:
        """An event of this form's incident."""
        return Draft(data, incident=self.incident)


def open_dialog(app: Any, dialog: FormDialog, then: Any = None) -> None:
    """Show an action dialog; say so when what it wrote reached the journal. ``then``:
    called with whether it wrote (or queued) anything, when it closes."""
    from screens.observer import MESSAGE, read_only

    if read_only(app):  # the keys are hidden on an observer; this is the safety net
        app.notify(MESSAGE, severity="warning", markup=False)
        return

    def done(written: bool | None) -> None:
        if written and not dialog.queued:
            app.notify(f"{dialog.TITLE}: written to the journal", timeout=3, markup=False)
        if then is not None:
            then(written)

    app.push_screen(dialog, done)


class FieldError(ValueError):
    """What is wrong with the fields: (field id, message) pairs, shown together."""

    def __init__(self, field: str | None, message: str, *more: tuple[str | None, str]) -> None:
        super().__init__(message)
        self.errors = [(field, message), *more]


# --- people, not strings (data/roster/people.py) ---------------------------------------------------


def roster_of(app: Any) -> People:
    """The roster's people as the console last saw them."""
    c = console_or_none(app)
    snap = c.last_snapshot if c is not None else None
    return People.of_snapshot(snap.people if snap is not None else ())


def person_widgets(app: Any, field_id: str, value: str = "") -> ComposeResult:
    """A person field: an Input completing (→) from ``me`` and the roster's handles and
    names, and the hidden "use anyway" box :func:`resolve_person` shows for a handle that
    is not in the roster. A screen that has one gives it the ``.anyway``/``.shown`` CSS."""
    people = roster_of(app)
    me = app.settings.actor
    hint = f"a handle or a name (→ completes); {ME} = {me}" if people.checks else f"a handle; {ME} = {me}"
    yield Input(value, id=field_id, placeholder=hint, max_length=200,
                suggester=SuggestFromList(people.completions(me), case_sensitive=False))  # fmt: skip
    yield Checkbox("", id=f"{field_id}-anyway", classes="anyway")


def resolve_person(screen: Screen[Any], field_id: str, *, required: bool = True) -> str | None:
    """The handle the field ``field_id`` names: ``me`` (the console's actor), or a roster
    person by handle (``@`` and case do not count), name or e-mail.

    Anything else is not in the roster: the first time, the field's "use anyway" box is
    shown, focused and unticked, and FieldError says so (with the handles it looks like);
    submitted again with the box ticked for that same handle, it is taken as typed. With
    no roster at all there is nothing to check against and every handle is taken. Empty:
    None, or FieldError when ``required``."""
    text = screen.query_one(f"#{field_id}", Input).value.strip()
    box = screen.query_one(f"#{field_id}-anyway", Checkbox)
    if not text:
        box.remove_class("shown")
        if required:
            raise FieldError(field_id, f"give a handle ({ME} is you)")
        return None
    me = console(screen.app).settings.actor
    bare = text.removeprefix("@").strip()
    people = roster_of(screen.app)
    handle = people.find(text, me)
    if handle is not None or not people.checks:
        box.remove_class("shown")
        return handle or bare
    confirmed: dict[str, str] | None = getattr(screen, "_anyway_for", None)
    if confirmed is None:  # field id -> the handle its "use anyway" box was shown for
        confirmed = {}
        setattr(screen, "_anyway_for", confirmed)  # noqa: B010 (any screen with person widgets)
    if box.value and box.has_class("shown") and confirmed.get(field_id) == bare:
        return bare
    confirmed[field_id] = bare
    box.value = False
    box.label = Text(f"use “{clean(bare, 64)}” anyway: it is not in the roster")
    box.add_class("shown")
    box.focus()
    like = people.close_to(bare)
    hint = f" (did you mean {' or '.join(like)}?)" if like else ""
    raise FieldError(field_id, f"{bare} is not in the roster{hint}: correct it, or tick “use anyway” "
                               "(space) and submit again (ctrl+s); it will be marked as not in the roster")  # fmt: skip


def _options(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


def given(**members: Any) -> dict[str, Any]:
    """The optional members that have a value (None or empty: left out, not written as
    null), to pass to a model: ``IncidentNote(text=t, **given(pinned=...))``."""
    return {name: value for name, value in members.items() if value is not None and value != ""}


class NewIncidentDialog(FormDialog):
    TITLE = "Open an incident"
    FOCUS = "title"  # the id is proposed; the title is the user's to write
    MEMBERS = {("incident",): "incident-id", ("data", "title"): "title", ("data", "category"): "category",
               ("data", "severity"): "severity", ("data", "source"): "source", ("data", "regions"): "regions",
               ("data", "summary"): "summary", ("data", "restricted"): "restricted",
               ("data", "person"): "commander"}  # fmt: skip

    DEFAULT_CSS = """
    NewIncidentDialog > #dialog { width: 120; }
    NewIncidentDialog #columns { height: auto; }
    NewIncidentDialog #columns > Vertical { width: 1fr; height: auto; padding-right: 2; }
    """

    def fields(self) -> ComposeResult:
        now = datetime.now(UTC)
        with Horizontal(id="columns"):
            with Vertical():
                new_id = incident_id(now, set(self.context.get("taken", ())))
                yield from self.labelled("Incident id", Input(new_id, id="incident-id"))
                yield from self.labelled(
                    "Title (what is happening, no harmful detail)",
                    Input(id="title", placeholder="e.g. EDR: welfare concern, ref 4411"),
                )
                yield from self.labelled("Summary (optional; reference content by id)", Input(id="summary"))
                yield from self.labelled(
                    "Regions", SelectionList[str](*[(r, r) for r in REGIONS], id="regions")
                )
                yield Checkbox("Restricted: need-to-know (you take part in it)", id="restricted")
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
                yield from self.person_field("Commander (empty: none yet)", "commander", ME)

    def subtitle(self) -> str:
        return "Everything here is written to the shared journal."

    def build(self) -> list[Draft]:
        data: dict[str, Any] = {
            "title": self.value("title").strip(),
            "category": self.value("category"),
            "severity": self.value("severity"),
            "source": self.value("source"),
            "regions": self.value("regions"),
        }
        missing: list[tuple[str | None, str]] = []
        inc = self.value("incident-id").strip().upper()
        taken = set(self.context.get("taken", ()))
        if inc in taken:
            fresh = incident_id(datetime.now(UTC), taken)
            missing.append(("incident-id", f"{inc} is an incident already: give another id (e.g. {fresh})"))
        if not data["title"]:
            missing.append(("title", "give a title"))
        for name in ("category", "severity", "source"):
            if data[name] is None:
                missing.append((name, f"choose a {name}"))
        if not data["regions"]:
            missing.append(("regions", "choose at least one region"))
        if missing:
            raise FieldError(*missing[0], *missing[1:])
        restricted = bool(self.value("restricted"))
        opened = IncidentOpened(
            **data, **given(summary=self.value("summary").strip(), restricted=True if restricted else None)
        )
        commander = self.person("commander", required=False)
        self.incident = inc
        # in the same batch (data/engine/access.py): the opener takes part in a restricted incident,
        # and the commander is named (the opener unless the form says otherwise)
        events = [self.scoped(opened)]
        if restricted:
            me = console(self.app).settings.actor
            events.append(self.scoped(IncidentParticipantAdded(person=me, reason="opened it")))
        if commander is not None:
            events.append(self.scoped(IncidentRoleSet(role="commander", person=commander)))
        return events


class SeverityDialog(FormDialog):
    TITLE = "Set severity"
    MEMBERS = {("data", "severity"): "severity", ("data", "reason"): "reason"}

    def fields(self) -> ComposeResult:
        # a suggested raise (a legal clock of 24 h or less is open) is chosen, with its reason:
        # the commander still confirms it
        current = self.context.get("suggest") or self.context.get("severity")
        yield from self.labelled("Severity", Select([(label, n) for n, label in SEVERITY_LABELS.items()],
                                                    id="severity", value=current or Select.NULL, allow_blank=current is None))  # fmt: skip
        reason = self.context.get("reason") or ""
        yield from self.labelled("Reason (what changed: imminence, reach, clocks, press)",
                                 Input(reason[:1].upper() + reason[1:], id="reason"))  # fmt: skip

    def build(self) -> list[Draft]:
        sev = self.value("severity")
        if sev is None:
            raise FieldError("severity", "choose a severity")
        if sev == self.context.get("severity"):
            raise FieldError(
                "severity", f"{self.incident} is already S{sev}: nothing written (choose another severity)"
            )
        return [self.scoped(IncidentSeveritySet(severity=sev, **given(reason=self.value("reason").strip())))]


class StatusDialog(FormDialog):
    TITLE = "Set status"
    MEMBERS = {("data", "status"): "status", ("data", "reason"): "reason"}

    def fields(self) -> ComposeResult:
        current = self.context.get("status")
        yield from self.labelled("Status", Select(_options(STATUSES), id="status", value=current or Select.NULL,
                                                  allow_blank=current is None))  # fmt: skip
        yield from self.labelled("Reason", Input(id="reason"))

    def build(self) -> list[Draft]:
        status = self.value("status")
        if status is None:
            raise FieldError("status", "choose a status")
        return [self.scoped(IncidentStatusSet(status=status, **given(reason=self.value("reason").strip())))]


class RoleDialog(FormDialog):
    TITLE = "Assign a role"
    MEMBERS = {("data", "role"): "role", ("data", "person"): "person"}

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Role",
            Select(
                _options(ROLES), id="role", value=self.context.get("role", "commander"), allow_blank=False
            ),
        )
        yield from self.person_field(
            "Person (leave empty to clear the role)", "person", self.context.get("person", "")
        )

    def build(self) -> list[Draft]:
        person = self.person("person", required=False)
        return [self.scoped(IncidentRoleSet(role=self.value("role"), person=person))]


class ParticipantDialog(FormDialog):
    """Add or remove a participant: who may see a restricted incident's details besides its
    role holders (``incident.participant_added`` / ``incident.participant_removed``)."""

    TITLE = "Participants (need-to-know)"
    MEMBERS = {("data", "person"): "person", ("data", "reason"): "reason"}

    def subtitle(self) -> str:
        now = ", ".join(self.context.get("participants", ())) or "none"
        return f"Incident {self.incident} · participants now: {now}"

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Change",
            Select([("Add a participant", "add"), ("Remove a participant", "remove")], id="change",
                   value=self.context.get("change", "add"), allow_blank=False),
        )  # fmt: skip
        yield from self.person_field("Person", "person", self.context.get("person", ""))
        yield from self.labelled("Reason (optional: why they need to know)", Input(id="reason"))

    def build(self) -> list[Draft]:
        current = set(self.context.get("participants", ()))
        change = self.value("change")
        if change == "remove":  # one of the participants, as listed, in the roster or not
            text = self.value("person").strip()
            me = console(self.app).settings.actor
            person = text.removeprefix("@").strip()
            if person not in current:
                person = roster_of(self.app).find(text, me) or person
            if not person:
                raise FieldError("person", "give a handle")
        else:
            person = self.person("person") or ""
        if change == "add" and person in current:
            raise FieldError("person", f"{person} is already a participant")
        if change == "remove" and person not in current:
            raise FieldError("person", f"{person} is not a participant")
        model = IncidentParticipantAdded if change == "add" else IncidentParticipantRemoved
        return [self.scoped(model(person=person, **given(reason=self.value("reason").strip())))]


class NoteDialog(FormDialog):
    TITLE = "Add a note"
    MEMBERS = {("data", "text"): "text", ("data", "pinned"): "pinned"}

    def fields(self) -> ComposeResult:
        yield from self.labelled("Note (a decision, what was done, who was told)", Input(id="text"))
        yield Checkbox("Pin it (shows in the handoff and the post-mortem)", id="pinned")
        yield Static("", id="pinned-error", classes="error")

    def build(self) -> list[Draft]:
        text = self.value("text").strip()
        if not text:
            raise FieldError("text", "Write a note (it cannot be empty)")
        return [self.scoped(IncidentNote(text=text, **given(pinned=True if self.value("pinned") else None)))]


class ActionDialog(FormDialog):
    """An action taken, or a trigger (⏱: an order or notice received, a report filed, a
    preservation requested...) with when it really happened and the rule it falls under:
    recording it starts its legal clocks, in the same batch (docs/sop.md)."""

    TITLE = "Record an action or a trigger (⏱ starts legal clocks)"
    FOCUS = "text"  # the kind has a default; what was done is the user's to write
    MEMBERS = {
        ("data", "kind"): "kind",
        ("data", "text"): "text",
        ("data", "ref"): "ref",
        ("data", "at"): "at",
        ("data", "regime"): "regime",
    }

    def fields(self) -> ComposeResult:
        kind = self.context.get("kind", "content_removed")
        yield from self.labelled(
            "Kind",
            Select([(label, k) for k, label in ACTION_KINDS], id="kind", value=kind, allow_blank=False),
        )
        yield from self.labelled("What was done or received (reference content by id)", Input(id="text"))
        yield from self.labelled(
            "Reference (order, notice, report or case number; names its clock)", Input(id="ref")
        )
        yield from self.labelled(
            "When it happened (blank: now; 25m ago; 14:05 UTC; or an RFC 3339 time)", Input(id="at")
        )
        yield from self.labelled(
            "Rule it falls under (for an order, notice, report or breach)",
            Select([(label, r) for r, label in REGIME_LABELS.items()], id="regime", prompt="(none)"),
        )

    def build(self) -> list[Draft]:
        text = self.value("text").strip()
        if not text:
            raise FieldError("text", "Say what was done (it cannot be empty)")
        try:
            at = parse_when(self.value("at"))
        except ValueError as exc:
            raise FieldError("at", str(exc)) from None
        regime = self.value("regime")
        members = given(ref=self.value("ref").strip(), at=at or "", regime=regime or "")
        if "at" in members or "regime" in members:
            return [self.scoped(TriggerAction(kind=self.value("kind"), text=text, **members))]
        return [self.scoped(IncidentAction(kind=self.value("kind"), text=text, **members))]


class ChecklistAddDialog(FormDialog):
    TITLE = "Add a checklist item"
    MEMBERS = {
        ("data", "text"): "text",
        ("data", "team"): "team",
        ("data", "due"): "due",
        ("data", "item"): "item",
        ("data", "basis"): "basis",
    }

    def fields(self) -> ComposeResult:
        yield from self.labelled("What must be done", Input(id="text"))
        yield from self.labelled("Owning team", Select(_options(TEAMS), id="team", prompt="Choose a team"))
        yield from self.labelled("Due (30m, 2h, 1d, an RFC 3339 time, or empty)", Input(id="due"))
        yield from self.labelled("Legal basis (optional)", Input(id="basis"))
        yield from self.labelled("Item id (optional; made from the text)", Input(id="item"))

    def build(self) -> list[Draft]:
        text = self.value("text").strip()
        team = self.value("team")
        problems: list[tuple[str | None, str]] = []
        if not text:
            problems.append(("text", "Say what must be done (it cannot be empty)"))
        if team is None:
            problems.append(("team", "choose the owning team"))
        if problems:
            raise FieldError(*problems[0], *problems[1:])
        try:
            due = parse_due(self.value("due"))
        except ValueError as exc:
            raise FieldError("due", str(exc)) from None
        item = self.value("item").strip() or slug(text, set(self.context.get("items", ())))
        added = ChecklistAdded(
            item=item, text=text, team=team, **given(due=due, basis=self.value("basis").strip())
        )
        return [self.scoped(added)]


class ChecklistSetDialog(FormDialog):
    TITLE = "Set a checklist item's state"
    MEMBERS = {
        ("data", "state"): "state",
        ("data", "note"): "note",
        ("data",): "note",
        ("data", "item"): "state",
    }

    def subtitle(self) -> str:
        return f"{self.incident} · {self.context.get('text', self.context.get('item', ''))}"

    def focus_field(self) -> str:
        """Blocking or skipping needs the note (why): the form opens on it; otherwise on
        the state."""
        return "note" if self.context.get("state") in ("blocked", "skipped") else "state"

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

    def build(self) -> list[Draft]:
        self.chosen_state = self.value("state")  # what is written (read once the dialog has closed)
        state = ChecklistSet(
            item=self.context["item"], state=self.chosen_state, **given(note=self.value("note").strip())
        )
        return [self.scoped(state)]
