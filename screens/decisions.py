"""The decision log of one incident (docs/decisions.md): every decision recorded, superseded
ones marked, the selected one's options and rationale; ``n`` records a decision, ``s``
records one that supersedes the selected decision (a decision is never edited). On a
restricted incident only those who may act record (data/engine/access.py ``may_act``), and
those who may not see it are shown nothing of the texts."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, DataTable, Footer, Input, Label, Select, Static, TextArea

from data.decisions.queries import DecisionRow, decisions, next_id
from data.engine.access import Access, may_act
from data.engine.models import APPROVER_ROLES, DecisionApprover, DecisionRecorded, Draft
from data.incidents.views import Snapshot, may_see
from data.privacy.text import clean
from screens.dialogs import FieldError, FormDialog, given, open_dialog, roster_of
from screens.live import LiveScreen, live
from screens.observer import MESSAGE as OBSERVER_MESSAGE
from screens.observer import blocks, read_only
from screens.registry import bindings
from widgets.console import console

EVENT = "decision.recorded"
WITHHELD = "(restricted)"
EMPTY = "No decision recorded yet. n: record one (what was decided, the options, why, who approved it)."


class DecisionsScreen(LiveScreen[None]):
    """One incident's decisions, in the order recorded."""

    BINDINGS = bindings("decisions.back", "decisions.record", "decisions.supersede")

    DEFAULT_CSS = """
    DecisionsScreen #decisions-box { border: round $primary-darken-2; height: 2fr; }
    DecisionsScreen #decision-detail { border: round $primary-darken-2; height: 1fr; padding: 0 1; }
    """

    def __init__(self, incident: str) -> None:
        super().__init__()
        self.incident = incident
        self.rows: list[DecisionRow] = []
        self.sees = False
        self.access: Access | None = None
        self.roles: dict[str, str] = {}
        self._seq = -1

    def compose(self) -> ComposeResult:
        with Vertical(id="decisions-box") as box:
            box.border_title = Text(f"Decisions · {self.incident}")
            yield DataTable(id="decisions", cursor_type="row", zebra_stripes=True)
        yield Static(Text("loading…", style="dim"), id="decision-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#decisions", DataTable)
        for name, width in (("When (UTC)", 16), ("Id", 8), ("Decision", 34), ("Approved by", 22),
                            ("Basis", 20), ("Reversible", 10), ("Superseded by", 13)):  # fmt: skip
            table.add_column(name, width=width)
        self.load()
        table.focus()

    def show_snapshot(self, snapshot: Snapshot) -> None:
        row = next((r for r in snapshot.incidents if r.id == self.incident), None)
        if row is None or row.last_seq != self._seq:
            self.load()

    @work(group="decisions", exclusive=True)
    async def load(self) -> None:
        store, actor = self.console.store, self.console.settings.actor
        found = await store.incidents(self.incident)
        rows = await decisions(store, self.incident)
        if not live(self):
            return
        if not found:
            self.query_one("#decision-detail", Static).update(Text(f"{self.incident} is not in the store."))
            return
        inc = found[0]
        self._seq = inc.last_seq
        self.sees = may_see(inc, actor)
        self.access = Access.of_row(inc)
        self.roles = dict(inc.roles)
        self.rows = rows
        self._fill()
        self.refresh_bindings()

    def _fill(self) -> None:
        table = self.query_one("#decisions", DataTable)
        keep = table.cursor_row if table.row_count else 0
        table.clear()
        for r in self.rows:
            gone = r.superseded_by is not None
            style = "dim strike" if gone else ""
            table.add_row(
                Text(r.at.strftime("%Y-%m-%d %H:%M")),
                Text(clean(r.decision, 32), style="bold" if not gone else "dim"),
                Text(clean(r.text, 200) if self.sees else WITHHELD, style=style),
                Text(clean(r.approved_by, 200)),
                Text(clean(r.basis or "—", 200) if self.sees else WITHHELD, style="dim"),
                Text("yes" if r.reversible else "NO", style="" if r.reversible else "bold #e8833a"),
                Text(clean(r.superseded_by or "", 32), style="bold"),
                key=r.decision,
            )
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self._show_detail()

    def selected(self) -> DecisionRow | None:
        table = self.query_one("#decisions", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#decisions")
    def _moved(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#decision-detail", Static)
        r = self.selected()
        if r is None:
            detail.update(Text(EMPTY, style="dim"))
            return
        t = Text()
        t.append(f"{clean(r.decision, 32)}", style="bold")
        t.append(f"  recorded by {clean(r.actor, 64)} {r.at:%Y-%m-%d %H:%M}Z", style="dim")
        if r.supersedes:
            t.append(f"  supersedes {clean(r.supersedes, 32)}", style="dim")
        if r.superseded_by:
            t.append(f"  SUPERSEDED by {clean(r.superseded_by, 32)}", style="bold #e8833a")
        t.append("\n")
        if not self.sees:
            t.append("Restricted: its texts are shown to its role holders and participants.", style="dim")
            detail.update(t)
            return
        t.append(clean(r.text, 2000) + "\n", style="bold")
        if r.options:
            t.append("Options: ", style="dim")
            t.append(" · ".join(clean(o, 300) for o in r.options) + "\n")
        t.append("Rationale: ", style="dim")
        t.append(clean(r.rationale, 2000) + "\n")
        if r.basis:
            t.append("Basis: ", style="dim")
            t.append(clean(r.basis, 300) + "\n")
        detail.update(t)

    # --- recording -----------------------------------------------------------------------

    def refusal(self) -> str | None:
        """Why the actor may not record a decision here (None: they may)."""
        if self.access is None:
            return f"{self.incident} is not loaded yet"
        return may_act(self.access, self.console.settings.actor, EVENT)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if blocks(self.app, action):
            return False
        if action == "supersede_decision":
            return bool(self.rows)
        return True

    def applies(self, action: str) -> bool:
        if self.check_action(action, ()) is False:
            return False
        if action in ("record_decision", "supersede_decision"):
            return self.refusal() is None and (action == "record_decision" or self.selected() is not None)
        return True

    def _may_record(self) -> bool:
        if read_only(self.app):
            self.notify(OBSERVER_MESSAGE, severity="warning", markup=False)
            return False
        if (why := self.refusal()) is not None:
            self.notify(f"{why}.", severity="warning", markup=False)
            return False
        return True

    def _form_context(self) -> dict[str, Any]:
        actor = self.console.settings.actor
        role = next((r for r, p in self.roles.items() if p == actor), "commander")
        return {
            "id": next_id(self.rows),
            "taken": {r.decision for r in self.rows},
            "approvers": f"{actor}:{role}",
            "holders": dict(self.roles),
        }

    def action_record_decision(self) -> None:
        if self._may_record():
            open_dialog(self.app, DecisionDialog(self.incident, self._form_context()))

    def action_supersede_decision(self) -> None:
        r = self.selected()
        if r is None:
            self.notify("Select the decision to supersede.", severity="warning", markup=False)
            return
        if r.superseded_by is not None:
            self.notify(f"{r.decision} is already superseded by {r.superseded_by}: supersede that one.",
                        severity="warning", markup=False)  # fmt: skip
            return
        if self._may_record():
            context = self._form_context()
            context.update(
                supersedes=r.decision, old=r.text, options="\n".join(r.options), basis=r.basis or ""
            )
            open_dialog(self.app, DecisionDialog(self.incident, context))


class DecisionDialog(FormDialog):
    """Record a decision: what, the options considered (one a line), why, who approved it
    (``person:role`` a line), the legal basis, whether it can be reversed."""

    TITLE = "Record a decision"
    FOCUS = "text"
    SUBMIT = "Record (Ctrl+S)"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {
        ("data", "decision"): "decision",
        ("data", "text"): "text",
        ("data", "options"): "options",
        ("data", "rationale"): "rationale",
        ("data", "approvers"): "approvers",
        ("data", "basis"): "basis",
        ("data", "reversible"): "reversible",
        ("data", "supersedes"): "decision",
    }

    DEFAULT_CSS = """
    DecisionDialog > #dialog { width: 100; }
    DecisionDialog TextArea { height: 4; }
    DecisionDialog #picker { height: auto; }
    DecisionDialog #picker Select { width: 1fr; }
    """

    def subtitle(self) -> str:
        old = self.context.get("supersedes")
        if old:
            return f"Incident {self.incident} · supersedes {old}: {self.context.get('old', '')}"
        return f"Incident {self.incident}"

    def fields(self) -> ComposeResult:
        c = self.context
        yield from self.labelled(
            "Id (unique in the incident)", Input(c.get("id", ""), id="decision", max_length=32)
        )
        yield from self.labelled("Decision", Input(id="text", max_length=2000))
        yield Label("Options considered (one a line)", classes="field-label")
        yield TextArea(c.get("options", ""), id="options", soft_wrap=True)
        yield Static("", id="options-error", classes="error")
        yield Label("Rationale (why: the facts relied on)", classes="field-label")
        yield TextArea("", id="rationale", soft_wrap=True)
        yield Static("", id="rationale-error", classes="error")
        roles = ", ".join(APPROVER_ROLES)
        yield Label(f"Approved by: person:role, one a line (roles: {roles})", classes="field-label")
        yield TextArea(c.get("approvers", ""), id="approvers", soft_wrap=True)
        yield Static("", id="approvers-error", classes="error")
        with Horizontal(id="picker"):
            yield Select(self.picker_people(), id="approver-person", prompt="pick a person")
            yield Select(
                [(r.replace("_", " "), r) for r in APPROVER_ROLES], id="approver-role", prompt="role"
            )
            yield Button("Add approver", id="approver-add")
        yield from self.labelled("Legal basis (optional, e.g. 18 U.S.C. 2702(b)(8))",
                                 Input(c.get("basis", ""), id="basis", max_length=2000))  # fmt: skip
        yield Checkbox("Can be reversed", id="reversible")
        yield Static("", id="reversible-error", classes="error")

    def picker_people(self) -> list[tuple[str, str]]:
        """The picker's people: the incident's role holders (with their role), then the roster."""
        holders: dict[str, str] = self.context.get("holders", {})
        out = [(f"{p} ({r})", p) for r, p in holders.items()]
        seen = set(holders.values())
        out += [(p.handle, p.handle) for p in roster_of(self.app).people if p.handle not in seen]
        return out

    @on(Select.Changed, "#approver-person")
    def _person_picked(self, event: Select.Changed) -> None:
        """A role holder picked: their role is proposed."""
        role = next((r for r, p in self.context.get("holders", {}).items() if p == event.value), None)
        if role is not None:
            self.query_one("#approver-role", Select).value = role

    @on(Button.Pressed, "#approver-add")
    def _add_approver(self) -> None:
        person, role = self.value("approver-person"), self.value("approver-role")
        if person is None or role is None:
            self.show_error("approvers", "Pick a person and a role, then Add approver")
            return
        area = self.query_one("#approvers", TextArea)
        lines = [line for line in area.text.splitlines() if line.strip()]
        if f"{person}:{role}" not in lines:
            area.text = "\n".join([*lines, f"{person}:{role}"])

    def value(self, field_id: str) -> Any:
        widget = self.query_one(f"#{field_id}")
        if isinstance(widget, TextArea):
            return widget.text
        return super().value(field_id)

    def approvers(self) -> list[DecisionApprover]:
        out: list[DecisionApprover] = []
        actor = console(self.app).settings.actor
        for n, line in enumerate(self.value("approvers").splitlines(), 1):
            if not line.strip():
                continue
            person, sep, role = line.strip().rpartition(":")
            person, role = person.strip(), role.strip().lower()
            if not sep or not person:
                raise FieldError("approvers", f"Line {n}: write person:role, e.g. {actor}:legal")
            if role not in APPROVER_ROLES:
                raise FieldError(
                    "approvers", f"Line {n}: {role!r} is not a role; one of {', '.join(APPROVER_ROLES)}"
                )
            out.append(DecisionApprover(person=actor if person == "me" else person, role=role))
        if not out:
            raise FieldError("approvers", "Say who approved it: person:role, one a line")
        return out

    def build(self) -> list[Draft]:
        errors: list[tuple[str | None, str]] = []
        decision = self.value("decision").strip()
        if decision in self.context.get("taken", ()):
            errors.append(("decision", f"{decision} is already a decision of {self.incident}: give a new id"))
        text, rationale = self.value("text").strip(), self.value("rationale").strip()
        if not text:
            errors.append(("text", "Say what was decided"))
        if not rationale:
            errors.append(("rationale", "Say why (the facts relied on)"))
        try:
            approvers = self.approvers()
        except FieldError as exc:
            errors.extend(exc.errors)
            approvers = []
        if errors:
            raise FieldError(*errors[0], *errors[1:])
        options = [o.strip() for o in self.value("options").splitlines() if o.strip()]
        basis = self.value("basis").strip() or None
        return [
            self.scoped(
                DecisionRecorded(
                    decision=decision,
                    text=text,
                    options=options,
                    rationale=rationale,
                    approvers=approvers,
                    reversible=bool(self.value("reversible")),
                    **given(basis=basis, supersedes=self.context.get("supersedes")),
                )
            )
        ]
