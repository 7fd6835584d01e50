"""The stakeholder update form (``U``, docs/updates.md): choose the audience, edit the text
filled from its template, send. Sending: to each channel of the audience
(``[notify.audiences]``), then the ``incident.action`` of kind ``stakeholder_update`` is
written through the console's ``act()`` (offline: it waits in the outbox; what was sent
stays sent). With no channel for the audience, or a delivery that failed, the text is
offered to copy: to a file (0600) or, after asking, to the terminal's clipboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from data.commands import AppendRefused, build_events
from data.comms.channels import Delivery
from data.comms.updates import (
    AUDIENCES,
    Template,
    UpdateError,
    channels_for,
    fill,
    incident_state,
    load_templates,
    save_text,
    send_update,
    update_action,
)
from data.engine import clock
from data.engine.config import data_dir
from data.engine.models import Draft
from data.privacy.text import clean
from screens.dialogs import FormDialog
from widgets.console import console


class UpdateDialog(FormDialog):
    """Write and send a stakeholder update on one incident."""

    TITLE = "Stakeholder update"
    SUBMIT = "Send (ctrl+s)"
    FOCUS = "audience"

    DEFAULT_CSS = """
    UpdateDialog #text { height: 16; }
    UpdateDialog #subject, UpdateDialog #channels { color: $text-muted; }
    """

    def __init__(self, incident: str, context: dict[str, Any] | None = None) -> None:
        super().__init__(incident, context)
        self.templates: dict[str, Template] = {}
        self.state: Any = None
        self.subject = ""
        self.sent: list[Delivery] | None = None  # once sent

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Audience",
            Select([(a, a) for a in AUDIENCES], value=AUDIENCES[0], allow_blank=False, id="audience"),
        )
        yield Static("", id="channels")
        yield Label("Subject", classes="field-label")
        yield Static("", id="subject")
        yield from self.labelled("Text (filled from the audience's template; edit it)", TextArea(id="text"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "enter_submit":  # sending cannot be taken back: ctrl+s or Send only
            return False
        return super().check_action(action, parameters)

    def on_mount(self) -> None:
        self.query_one("#submit", Button).disabled = True
        self.load()

    @work(exclusive=True, group="update-load")
    async def load(self) -> None:
        c = console(self.app)
        try:
            self.templates = load_templates()
            self.state = await incident_state(
                c.store, self.incident or "", c.settings.actor, c.policy, clock.now()
            )
        except UpdateError as exc:
            self.show_error(None, str(exc))
            return
        self.refill()
        self.query_one("#submit", Button).disabled = False

    def audience(self) -> str:
        value = self.query_one("#audience", Select).value
        return value if isinstance(value, str) else AUDIENCES[0]

    def refill(self) -> None:
        """The audience's template filled, in the text area; its channels said."""
        if self.state is None or not self.templates:
            return
        audience = self.audience()
        self.subject, body = fill(self.templates[audience], self.state, clock.now())
        self.query_one("#subject", Static).update(Text(clean(self.subject, 200)))
        self.query_one("#text", TextArea).text = body
        names = channels_for(console(self.app).settings.config, audience)
        said = (
            f"Sends to: {', '.join(names)}"
            if names
            else f"No channel for {audience} in [notify.audiences]: recorded, and the text offered to copy"
        )
        self.query_one("#channels", Static).update(Text(said))

    @on(Select.Changed, "#audience")
    def _audience(self) -> None:
        self.refill()

    def action_submit(self) -> None:
        if self.sent is not None or self.query_one("#submit", Button).disabled:
            return  # sent already, or still loading: never twice
        self.clear_errors()
        body = self.query_one("#text", TextArea).text.strip("\n")
        if not body.strip():
            self.show_error("text", "write the update's text")
            return
        audience = self.audience()
        c = console(self.app)
        probe = update_action(audience, body, [])
        try:  # refused before anything is sent
            build_events([(self.TITLE, Draft(probe, incident=self.incident))], c.settings.actor)
        except AppendRefused as exc:
            self.show_problems(exc.problems)
            return
        self.send(audience, body)

    @work(group="write", exclusive=True)
    async def send(self, audience: str, body: str) -> None:
        self.query_one("#submit", Button).disabled = True
        c = console(self.app)
        self.sent = await send_update(c.settings.config, audience, self.subject, body)
        action = update_action(audience, body, self.sent)
        error = await c.act([Draft(action, incident=self.incident)])
        for d in self.sent:
            self.app.notify(clean(str(d), 300), severity="information" if d.ok else "error",
                            timeout=6 if d.ok else 12, markup=False)  # fmt: skip
        if isinstance(error, str):
            self.app.notify(f"Stakeholder update sent as said, but not recorded: {clean(error, 300)}",
                            severity="error", timeout=12, markup=False)  # fmt: skip
        self.queued = error is not None and not isinstance(error, str)
        offer = not self.sent or any(not d.ok for d in self.sent)
        incident, subject = self.incident or "", self.subject
        self.dismiss(error is None or not isinstance(error, str))
        if offer:
            self.app.push_screen(CopyDialog(incident, audience, subject, body, not self.sent))


class CopyDialog(ModalScreen[None]):
    """The update's text to copy: saved to a file (0600) in a folder the user chooses, or
    copied to the terminal's clipboard once they confirm."""

    BINDINGS = [Binding("escape", "close", "Close", id="copy.close", tooltip="Close (the text is not kept)")]
    DEFAULT_CSS = """
    CopyDialog { align: center middle; }
    CopyDialog > #dialog { width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2; }
    CopyDialog #why { margin-bottom: 1; }
    CopyDialog #done { color: $success; height: auto; }
    CopyDialog #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    CopyDialog #buttons Button { margin-left: 2; }
    """

    def __init__(self, incident: str, audience: str, subject: str, body: str, no_channel: bool) -> None:
        super().__init__()
        self.incident, self.audience, self.subject, self.body = incident, audience, subject, body
        self.no_channel = no_channel
        self.asked = False  # the clipboard: asked once, copied on the second press
        self.saved: Path | None = None

    def compose(self) -> ComposeResult:
        why = (
            f"No channel is configured for {self.audience}: the update is recorded; send its text yourself."
            if self.no_channel
            else f"The update to {self.audience} did not reach every channel: send its text yourself."
        )
        with VerticalScroll(id="dialog"):
            yield Static(Text(why), id="why")
            yield Label("Save to this folder (a new file, readable by you only)")
            yield Input(str(data_dir() / "updates"), id="folder")
            yield Static("", id="done")
            with Horizontal(id="buttons"):
                yield Button("Close (Esc)", id="close")
                yield Button("Copy to clipboard", id="clipboard")
                yield Button("Save to file", id="save", variant="primary")

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def _say(self, text: str, error: bool = False) -> None:
        done = self.query_one("#done", Static)
        done.update(Text(text, style="bold red" if error else ""))

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#folder")
    def save(self) -> None:
        folder = self.query_one("#folder", Input).value.strip()
        if not folder:
            self._say("Name a folder.", error=True)
            return
        try:
            self.saved = save_text(Path(folder).expanduser(), self.incident, self.audience, self.subject,
                                   self.body, clock.now())  # fmt: skip
        except OSError as exc:
            self._say(f"Not saved: {clean(exc.strerror or exc, 300)}", error=True)
            return
        self._say(f"Saved to {clean(str(self.saved), 300)}")

    @on(Button.Pressed, "#clipboard")
    def clipboard(self) -> None:
        if not self.asked:
            self.asked = True
            self.query_one("#clipboard", Button).label = "Yes, copy it"
            self._say(
                "The terminal's clipboard may be read by other programs and kept in its history, and "
                "not every terminal allows it. Press again to copy."
            )
            return
        self.app.copy_to_clipboard(f"{self.subject}\n\n{self.body}\n")
        self._say("Copied to the terminal's clipboard (if the terminal allows it).")
