"""Linking incidents (``L``) and merging one into another (``M``): two dialogs (docs/links.md).

The other incident is picked from a list (the incidents the console shows: a restricted one
the actor may not see is listed by its id and "(restricted)", never its title) or typed by
its id. Merging writes one batch (data/incidents/links.py ``plan_merge``): the incident
linked as a duplicate of the target, its open checklist items moved there (ticked) or closed
with the reason given (unticked), then set ``merged``; its preservation holds stay and run on.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import Input, Select, SelectionList, Static

from data.engine.models import Draft, IncidentLinked
from data.incidents.links import How, LinkRefused, open_items, plan_merge
from data.privacy.text import clean
from screens.dialogs import FieldError, FormDialog, given, open_dialog
from screens.live import live
from widgets.console import Console, console

#: the kinds as the dialog offers them (what this incident is to the other)
KIND_LABELS = {
    "related": "related to it",
    "parent": "its parent (the other is a child of this one)",
    "child": "its child (this one goes under the other in the queue)",
    "duplicate_of": "a duplicate of it",
    "unlinked": "no longer linked (remove the link)",
}


def _choices(c: Console, incident: str, active_only: bool = False) -> list[tuple[Text, str]]:
    """The incidents the console shows, but ``incident``, as (label, id): a restricted one
    the actor may not see by its id only."""
    snap = c.last_snapshot
    actor = c.settings.actor
    out = []
    for r in snap.incidents if snap is not None else ():
        if r.id == incident or (active_only and not r.active):
            continue
        title = clean(r.title, 60) if r.visible_to(actor) else "(restricted)"
        out.append((Text(f"{clean(r.id)}  {title}"), r.id))  # never markup: titles are untrusted
    return out


def link_context(c: Console, incident: str) -> dict[str, Any]:
    """What the link dialog offers: the other incidents, and this one's current links."""
    snap = c.last_snapshot
    row = next((r for r in snap.incidents if r.id == incident), None) if snap is not None else None
    current = [(f"{r.words} {r.other}", r.other) for r in row.links] if row is not None else []
    return {"choices": _choices(c, incident), "current": current}


def _other(dialog: FormDialog, select: str, typed: str) -> str:
    other = str(dialog.value(typed)).strip().upper() or dialog.value(select)
    if not other:
        raise FieldError(select, "choose an incident, or type its id below")
    return str(other)


class LinkDialog(FormDialog):
    """``incident.linked`` on this incident about another; "no longer linked" removes a link."""

    TITLE = "Link to another incident"
    FOCUS = "other"
    MEMBERS = {("data", "other"): "other-id", ("data", "kind"): "kind", ("data", "note"): "note"}

    def fields(self) -> ComposeResult:
        current = self.context.get("current") or []
        if current:
            now = "; ".join(label for label, _ in current)
            yield Static(Text(f"Linked now: {clean(now, 400)}", style="dim"), id="current")
        yield from self.labelled(
            "The other incident", Select(self.context.get("choices") or [], id="other", allow_blank=True)
        )
        yield from self.labelled("…or its id", Input(id="other-id", placeholder="INC-…", max_length=32))
        kinds = [(label, kind) for kind, label in KIND_LABELS.items()]
        yield from self.labelled(
            "This incident is",
            Select(kinds, id="kind", value=self.context.get("kind", "related"), allow_blank=False),
        )
        yield from self.labelled("Note", Input(id="note", placeholder="why (optional)"))

    def build(self) -> list[Draft]:
        other = _other(self, "other", "other-id")
        note = str(self.value("note")).strip()
        return [self.scoped(IncidentLinked(other=other, kind=self.value("kind"), **given(note=note)))]


class MergeDialog(FormDialog):
    """Merge this incident (B) into another (A) in one batch: see the module."""

    TITLE = "Merge into another incident"
    SUBMIT = "Merge (Enter)"
    FOCUS = "target"
    MEMBERS = {("data", "other"): "target-id", ("data", "note"): "note"}

    def __init__(self, incident: str | None = None, context: dict[str, Any] | None = None) -> None:
        super().__init__(incident, context)
        self.items: list[tuple[str, str]] = []  # (id, text) of the open items, once read
        self.holds = 0
        self.loaded = False

    def subtitle(self) -> str:
        return (f"Incident {self.incident} will be set merged and linked as a duplicate of the one "
                "chosen; nothing is deleted")  # fmt: skip

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Merge into", Select(self.context.get("choices") or [], id="target", allow_blank=True)
        )
        yield from self.labelled("…or its id", Input(id="target-id", placeholder="INC-…", max_length=32))
        yield from self.labelled(
            "Open checklist items: ticked ones move there (a procedure step it has already closes here, "
            "covered by its own); unticked ones close here with the reason",
            SelectionList[str](id="items"),
        )
        yield Static(Text("reading the checklist…", style="dim"), id="holds")
        yield from self.labelled("Reason for the items closed", Input(id="reason"))
        yield from self.labelled(
            "Note on the link", Input(id="note", placeholder="why it is a duplicate (optional)")
        )

    def on_mount(self) -> None:
        self.load_items()

    @work(group="merge-items", exclusive=True)
    async def load_items(self) -> None:
        from data.incidents import queries

        rows = await queries.checklist(console(self.app).store, self.incident)
        if not live(self):
            return
        moving = open_items(rows)
        self.items = [(i.item, i.text) for i in moving]
        self.holds = sum(1 for i in rows if i.hold and i.state in ("open", "blocked"))
        listing = self.query_one("#items", SelectionList)
        listing.add_options([(Text(clean(f"{item}: {text}", 120)), item, True) for item, text in self.items])
        holds = (f"{self.holds} preservation hold(s) stay on {self.incident} and keep running"
                 if self.holds else "")  # fmt: skip
        none = "no open items" if not self.items else ""
        self.query_one("#holds", Static).update(Text("; ".join(p for p in (none, holds) if p), style="dim"))
        self.loaded = True

    def build(self) -> list[Draft]:  # the batch is planned from the store (action_submit)
        raise NotImplementedError

    def action_submit(self) -> None:
        self.clear_errors()
        if not self.loaded:
            self.show_error(None, "still reading the checklist: try again in a moment")
            return
        try:
            target = _other(self, "target", "target-id")
        except FieldError as exc:
            for field, message in exc.errors:
                self.show_error(field, message)
            return
        ticked = set(self.value("items"))
        how: dict[str, How] = {item: "move" if item in ticked else "close" for item, _ in self.items}
        reason = str(self.value("reason")).strip()
        if "close" in how.values() and not reason:
            self.show_error("reason", "say why the unticked items are closed rather than moved")
            return
        self.merge(target, how, reason or None, str(self.value("note")).strip() or None)

    @work(group="write", exclusive=True)
    async def merge(self, target: str, how: dict[str, How], reason: str | None, note: str | None) -> None:
        c = console(self.app)
        try:
            drafts = await plan_merge(
                c.store, str(self.incident), target, c.settings.actor, how, reason, note
            )
        except LinkRefused as exc:
            if live(self):
                self.show_error(None, f"Nothing was written: {exc}")
            return
        if live(self):
            self.write(drafts)


def open_merge(app: Any, c: Console, incident: str) -> None:
    """The merge dialog of ``incident``: the open incidents it may be merged into."""
    open_dialog(app, MergeDialog(incident, {"choices": _choices(c, incident, active_only=True)}))
