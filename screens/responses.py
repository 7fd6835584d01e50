"""The responses screen of one incident: its written responses (drafted from a template,
reviewed by a second person holding the legal role, marked sent) and its disclosure
ledger (docs/disclosures.md).

Open it with ``R`` on the war room or the incident screen (or "Responses: Open" in the
palette). It follows the app's snapshots, so another console's review appears while it is
open. Every step is an event written through ``app.act``; the writer's refusals (a review
by the drafter, a sending without review) are shown in the form.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input, Label, Select, Static, TextArea

from data.disclosures.ledger import masked_account, sha256_text, status
from data.disclosures.queries import DisclosureRow, ResponseRow, disclosures, fill_values, responses
from data.disclosures.templates import ResponseTemplates, fill, load_templates
from data.engine import clock
from data.engine.access import Access
from data.engine.models import (
    AGENCY_TYPES,
    DISCLOSURE_CATEGORIES,
    DisclosureRecorded,
    Draft,
    ResponseDrafted,
    ResponseReviewed,
    ResponseSent,
)
from data.incidents.views import Snapshot
from data.privacy.text import clean
from screens.dialogs import FieldError, FormDialog, given, open_dialog
from screens.live import LiveScreen, live
from screens.observer import MESSAGE as OBSERVER_MESSAGE
from screens.observer import blocks, read_only
from screens.registry import bindings
from widgets.status import StatusBar

EDIT_ACTIONS = frozenset({"draft_response", "review_response", "send_response", "record_disclosure"})
WITHHELD = "(restricted: shown to its role holders and participants)"


def _when(ts: str | None) -> str:
    return ts[:16].replace("T", " ") + "Z" if ts else "—"


class ResponsesScreen(LiveScreen[None]):
    """One incident's responses and disclosures, live."""

    BINDINGS = bindings("responses.back", "responses.draft", "responses.review", "responses.send",
                        "responses.disclose")  # fmt: skip

    DEFAULT_CSS = """
    ResponsesScreen .box { border: round $primary-darken-2; height: 1fr; }
    ResponsesScreen .box:focus-within { border: round $accent; }
    ResponsesScreen #response-text { height: auto; max-height: 12; padding: 0 1; color: $text-muted; }
    ResponsesScreen DataTable { height: 1fr; }
    """

    def __init__(self, incident: str) -> None:
        super().__init__()
        self.incident = incident
        self.rows: tuple[ResponseRow, ...] = ()
        self.ledger: tuple[DisclosureRow, ...] = ()
        self.values: dict[str, str] | None = None
        self.visible = False
        self._seq = -1

    def compose(self) -> ComposeResult:
        yield StatusBar(self.console.settings.actor, id="status")
        with Vertical(id="responses-box", classes="box") as box:
            box.border_title = Text(f"Responses · {self.incident} (d: draft, a: review, s: sent)")
            yield DataTable(id="responses", cursor_type="row")
            yield Static("", id="response-text")
        with Vertical(id="ledger-box", classes="box") as box:
            box.border_title = "Disclosure ledger (l: record)"
            yield DataTable(id="ledger", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#responses", DataTable)
        for name, width in (("Id", 6), ("Template", 22), ("To", 24), ("State", 18), ("Drafted by", 12),
                            ("Reviewed by", 12), ("Sent", 18)):  # fmt: skip
            table.add_column(name, width=width)
        ledger = self.query_one("#ledger", DataTable)
        for name, width in (("When", 18), ("Data", 22), ("Account", 9), ("To", 24), ("Basis", 24),
                            ("Approved by", 16)):  # fmt: skip
            ledger.add_column(name, width=width)
        self.load()
        table.focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.query_one(StatusBar).show(clock.now(), snapshot.sync)
        row = next((r for r in snapshot.incidents if r.id == self.incident), None)
        if row is None or row.last_seq != self._seq:
            self.load()

    @work(group="responses", exclusive=True)
    async def load(self) -> None:
        store = self.console.store
        actor = self.console.settings.actor
        found = await store.incidents(self.incident)
        rows = await responses(store, self.incident)
        ledger = await disclosures(store, self.incident)
        values = await fill_values(store, self.incident, agency="", ref=None, responder=actor,
                                   now=clock.utc_text(clock.now()))  # fmt: skip
        if not live(self):
            return
        if not found:
            self.query_one("#response-text", Static).update(Text(f"{self.incident} is not in the store."))
            return
        self.visible = Access.of_row(found[0]).sees(actor)
        self._seq = found[0].last_seq
        self.rows, self.ledger, self.values = rows, ledger, values
        self._fill()
        self.refresh_bindings()

    def _fill(self) -> None:
        table = self.query_one("#responses", DataTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear()
        for r in self.rows:
            sent = f"{_when(r.sent_at)} {clean(r.sent_channel or '', 8)}" if r.sent_at else "—"
            table.add_row(
                Text(clean(r.response, 6)), Text(clean(r.template, 22)),
                Text(clean(f"{r.agency} [{r.country}]", 24)), Text(status(r), style="bold"),
                Text(clean(r.drafted_by, 12)), Text(clean(r.reviewed_by or "—", 12)), Text(sent), key=r.response,
            )  # fmt: skip
        if self.rows:
            table.move_cursor(row=min(keep, table.row_count - 1))
        ledger = self.query_one("#ledger", DataTable)
        ledger.clear()
        for d in self.ledger:
            ledger.add_row(
                Text(_when(d.ts)), Text(", ".join(d.categories)), Text(masked_account(d.account)),
                Text(clean(f"{d.agency} [{d.agency_type}, {d.country}]", 24)), Text(clean(d.basis, 24)),
                Text(clean(", ".join(d.approved_by), 16)), key=str(d.seq),
            )  # fmt: skip
        self._show_text()

    @on(DataTable.RowHighlighted, "#responses")
    def _moved(self, _: DataTable.RowHighlighted) -> None:
        self._show_text()

    def _show_text(self) -> None:
        target = self.query_one("#response-text", Static)
        r = self.selected()
        if r is None:
            target.update(Text("No response yet (d: draft one from a template)." if not self.rows else ""))
        elif not self.visible:
            target.update(Text(WITHHELD, style="dim"))
        else:
            lines = [clean(line, 200) for line in r.text.strip().splitlines()[:10]]
            note = f"\nReview: {clean(r.review_note, 200)}" if r.review_note else ""
            target.update(Text("\n".join(lines) + note))

    def selected(self) -> ResponseRow | None:
        table = self.query_one("#responses", DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None
        return next((r for r in self.rows if r.response == key), None)

    # --- actions -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if blocks(self.app, action):
            return False
        if action in ("review_response", "send_response"):
            return bool(self.rows)
        return True

    def _editable(self) -> bool:
        if read_only(self.app):
            self.notify(OBSERVER_MESSAGE, severity="warning", markup=False)
            return False
        if not self.visible:
            self.notify(f"{self.incident} is restricted: only its role holders and participants can write about it.",
                        severity="warning", markup=False)  # fmt: skip
            return False
        return True

    def _response(self) -> ResponseRow | None:
        r = self.selected()
        if r is None:
            self.notify("Select a response first (↑↓ in Responses).", severity="warning", markup=False)
        return r

    def action_draft_response(self) -> None:
        if not self._editable() or self.values is None:
            return
        found = load_templates()
        if not found.templates:
            why = "; ".join(str(e) for e in found.errors[:2])
            self.notify(f"No response template loaded: {clean(why, 300)}", severity="error", markup=False)
            return
        r = self.selected()
        context = {"values": self.values, "taken": {x.response for x in self.rows}, "templates": found}
        if r is not None and r.sent_at is None and r.verdict == "changes_requested":
            context["redraft"] = r  # a new draft of the response whose changes were asked for
        open_dialog(self.app, DraftDialog(self.incident, context))

    def action_review_response(self) -> None:
        if self._editable() and (r := self._response()) is not None:
            open_dialog(self.app, ReviewDialog(self.incident, {"response": r}))

    def action_send_response(self) -> None:
        if self._editable() and (r := self._response()) is not None:
            open_dialog(self.app, SendDialog(self.incident, {"response": r}))

    def action_record_disclosure(self) -> None:
        if self._editable():
            r = self.selected()
            open_dialog(self.app, DisclosureDialog(self.incident, {"response": r.response if r else ""}))


# --- the dialogs ---------------------------------------------------------------------------


class _Dialog(FormDialog):
    def value(self, field_id: str) -> Any:
        widget = self.query_one(f"#{field_id}")
        if isinstance(widget, TextArea):
            return widget.text
        return super().value(field_id)


def _options(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v.replace("_", " "), v) for v in values]


class DraftDialog(_Dialog):
    TITLE = "Draft a response"
    SUBMIT = "Save draft (Ctrl+S)"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {
        ("data", "agency"): "agency", ("data", "country"): "country", ("data", "channel"): "channel",
        ("data", "text"): "text", ("data", "agency_type"): "agency-type", ("data", "template"): "template",
        ("data", "response"): "template",
    }  # fmt: skip

    DEFAULT_CSS = """
    DraftDialog > #dialog { width: 100; }
    DraftDialog TextArea { height: 12; }
    """

    def subtitle(self) -> str:
        redraft = self.context.get("redraft")
        return (
            f"{self.incident} · new draft of {redraft.response}"
            if redraft is not None
            else (self.incident or "")
        )

    @property
    def templates(self) -> ResponseTemplates:
        found: ResponseTemplates = self.context["templates"]
        return found

    def fields(self) -> ComposeResult:
        redraft = self.context.get("redraft")
        found = self.templates
        names = [(t.title, t.id) for t in found.templates.values()]
        first = (
            redraft.template if redraft is not None and redraft.template in found.templates else names[0][1]
        )
        yield from self.labelled("Template", Select(names, id="template", value=first, allow_blank=False))
        if found.errors:
            yield Static(Text(clean("; ".join(str(e) for e in found.errors[:3]), 400)), classes="error shown")
        yield from self.labelled("Agency", Input(redraft.agency if redraft else "", id="agency"))
        yield from self.labelled(
            "Reference of the request", Input(self.context["values"].get("ref", ""), id="ref")
        )
        yield from self.labelled("Country (ISO 3166 alpha-2, e.g. US)", Input(redraft.country if redraft else "",
                                                                             id="country"))  # fmt: skip
        yield from self.labelled("Agency type", Select(_options(AGENCY_TYPES), id="agency-type",
                                 value=redraft.agency_type if redraft else found.templates[first].agency_type,
                                 allow_blank=False))  # fmt: skip
        yield from self.labelled("Channel", Input(redraft.channel if redraft else "email", id="channel"))
        yield Label(
            "Text (identifiers masked; edit freely. Enter: new line · Ctrl+S: save)", classes="field-label"
        )
        yield TextArea(redraft.text if redraft else "", id="text", soft_wrap=True, show_line_numbers=False)
        yield Static("", id="text-error", classes="error")

    def on_mount(self) -> None:
        if self.context.get("redraft") is None:
            self.refill()

    @on(Select.Changed, "#template")
    def _template_chosen(self, _: Select.Changed) -> None:
        if self.is_mounted and self.context.get("redraft") is None:
            self.refill()

    def refill(self) -> None:
        template = self.templates.get(self.value("template") or "")
        if template is None:
            return
        values = {**self.context["values"], "agency": self.value("agency"), "ref": self.value("ref")}
        self.query_one("#text", TextArea).text = fill(template, values)
        self.query_one("#agency-type", Select).value = template.agency_type
        self.query_one("#channel", Input).value = template.channel

    def build(self) -> list[Draft]:
        from data.disclosures.ledger import next_response_id

        redraft = self.context.get("redraft")
        agency, country = self.value("agency").strip(), self.value("country").strip().upper()
        problems: list[tuple[str | None, str]] = []
        if not agency:
            problems.append(("agency", "name the agency"))
        if len(country) != 2 or not country.isalpha():
            problems.append(("country", "two letters, ISO 3166 alpha-2 (US, GB, DE, …)"))
        if not self.value("text").strip():
            problems.append(("text", "the response has no text"))
        if problems:
            raise FieldError(*problems[0], *problems[1:])
        rid = redraft.response if redraft is not None else next_response_id(self.context["taken"])
        data = ResponseDrafted(
            response=rid, template=self.value("template"), agency=agency, agency_type=self.value("agency-type"),
            country=country, channel=self.value("channel").strip(), text=self.value("text"),
        )  # fmt: skip
        return [self.scoped(data)]


class ReviewDialog(_Dialog):
    TITLE = "Review a response"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {("data", "verdict"): "verdict", ("data", "note"): "note",
                                                     ("data", "reviewer"): "verdict"}  # fmt: skip

    def subtitle(self) -> str:
        r = self.context["response"]
        return f"{self.incident} · {r.response} ({r.template}) to {r.agency}, drafted by {r.drafted_by}"

    def fields(self) -> ComposeResult:
        r = self.context["response"]
        yield Static(Text(clean(r.text[:1500], 1500)), id="review-text")
        yield from self.labelled("Verdict", Select(_options(("approved", "changes_requested")), id="verdict",
                                 value="approved", allow_blank=False))  # fmt: skip
        yield from self.labelled("Note (what to change, or a remark)", Input(id="note"))

    def build(self) -> list[Draft]:
        from widgets.console import console

        r = self.context["response"]
        reviewed = ResponseReviewed(
            response=r.response, reviewer=console(self.app).settings.actor, verdict=self.value("verdict"),
            **given(note=self.value("note").strip()),
        )  # fmt: skip
        return [self.scoped(reviewed)]


class SendDialog(_Dialog):
    TITLE = "Mark a response sent"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {("data", "channel"): "channel", ("data", "at"): "at",
                                                     ("data", "sha256"): "channel"}  # fmt: skip

    def subtitle(self) -> str:
        r = self.context["response"]
        return f"{self.incident} · {r.response} to {r.agency} · sha256 {sha256_text(r.text)}"

    def fields(self) -> ComposeResult:
        r = self.context["response"]
        yield from self.labelled("Sent by (channel)", Input(r.channel, id="channel"))
        yield from self.labelled("When (an RFC 3339 time; empty: now)", Input(id="at"))

    def build(self) -> list[Draft]:
        r = self.context["response"]
        sent = ResponseSent(response=r.response, sha256=sha256_text(r.text), channel=self.value("channel").strip(),
                            **given(at=self.value("at").strip()))  # fmt: skip
        return [self.scoped(sent)]


class DisclosureDialog(_Dialog):
    TITLE = "Record a disclosure"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {
        ("data", "categories"): "categories", ("data", "account"): "account", ("data", "agency"): "agency",
        ("data", "agency_type"): "agency-type", ("data", "country"): "country", ("data", "basis"): "basis",
        ("data", "approved_by"): "approved-by", ("data", "response"): "response",
    }  # fmt: skip

    def fields(self) -> ComposeResult:
        yield from self.labelled(f"Categories of data ({', '.join(DISCLOSURE_CATEGORIES)}; comma-separated)",
                                 Input(id="categories"))  # fmt: skip
        yield from self.labelled("Account (masked in every display)", Input(id="account", password=True))
        yield from self.labelled("Agency", Input(id="agency"))
        yield from self.labelled("Agency type", Select(_options(AGENCY_TYPES), id="agency-type",
                                 value="law_enforcement", allow_blank=False))  # fmt: skip
        yield from self.labelled("Country (ISO 3166 alpha-2)", Input(id="country"))
        yield from self.labelled("Legal basis (e.g. 18 U.S.C. 2702(c)(4))", Input(id="basis"))
        yield from self.labelled("Approved by (handles, comma-separated)", Input(id="approved-by"))
        yield from self.labelled("Response it went with (optional)", Input(self.context.get("response", ""),
                                                                          id="response"))  # fmt: skip

    def build(self) -> list[Draft]:
        def split(field_id: str) -> list[str]:
            return [p.strip() for p in self.value(field_id).split(",") if p.strip()]

        data = DisclosureRecorded.model_validate(
            {"categories": split("categories"), "account": self.value("account").strip(),
             "agency": self.value("agency").strip(), "agency_type": self.value("agency-type"),
             "country": self.value("country").strip().upper(), "basis": self.value("basis").strip(),
             "approved_by": split("approved-by"), **given(response=self.value("response").strip())},
        )  # fmt: skip
        return [self.scoped(data)]
