"""The incident and checklist actions, shared by the war room and the incident screen: the
same keys, the same dialogs and the same checks on both.

A screen mixes in :class:`IncidentActions`, adds :data:`ACTION_BINDINGS` to its bindings,
has a :class:`~widgets.checklist.ChecklistPane` (Enter on an item: ``action_item_state``),
and says which incident the actions are for (:meth:`IncidentActions.subject`). Whether the actor may act on it (a restricted
incident) is checked when the key is pressed, with a message saying why not: the keys stay
in the footer while an incident is shown, so that the footer (which Textual rebuilds
widget by widget) does not change on every move. An item action with no item selected (a
palette command, a key pressed in another pane) asks which item (screens/picker.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work

from data.engine.access import Access, may_act
from data.engine.models import ChecklistSet, Draft
from data.incidents.views import ChecklistRow
from data.privacy.text import clean
from screens import dialogs
from screens.observer import MESSAGE as OBSERVER_MESSAGE
from screens.observer import blocks, read_only
from screens.registry import BY_ID, Needs, bindings
from widgets.checklist import ChecklistPane
from widgets.console import Console
from widgets.console import console as console_of

#: the incident and item actions (screens/registry.py), in their keys' order; Enter on a
#: checklist item sets its state (item_state)
GROUP = ("incident.severity", "incident.status", "incident.role", "incident.participants", "incident.note",
         "incident.action", "incident.update", "incident.link", "incident.merge", "checklist.add", "checklist.done", "checklist.block",
         "checklist.skip", "postmortem.open", "decisions.open", "responses.open", "escalation.open",
         "privacy.reveal")  # fmt: skip
_GROUP = [BY_ID[i] for i in (*GROUP, "checklist.state")]
#: the incident's views that open for anyone (what a restricted incident's outsider may not
#: see is withheld in them)
VIEWS = ("postmortem", "decisions", "responses", "escalation")
#: the writing actions on an incident (checked against who may act on it), and on one of its items
INCIDENT_ACTIONS = frozenset(a.action for a in _GROUP if a.writes and a.needs is Needs.INCIDENT)
ITEM_ACTIONS = frozenset(a.action for a in _GROUP if a.needs is Needs.ITEM)
#: the event each action writes, for the need-to-know rule (data.engine.access.may_act); the others
#: (revealing: its audit event is not incident-scoped) need sight of the details
WRITES = {a.action: a.event for a in _GROUP if a.event is not None}
#: the state each item action sets (an item already in it is not offered), and its words
ITEM_STATE = {"item_done": "done", "item_block": "blocked", "item_skip": "skipped"}
ITEM_WORDS = {"item_done": "mark done", "item_block": "block", "item_skip": "skip", "item_state": "set"}

ACTION_BINDINGS = bindings(*GROUP)


@dataclass(frozen=True)
class Subject:
    """What the actions need to know of the incident they act on."""

    id: str
    severity: int
    status: str
    commander: str | None
    visible: bool  # whether the actor may see its details
    participants: tuple[str, ...] = ()
    access: Access | None = None  # who may act on it (data/engine/access.py); None: as ``visible`` says
    #: why it should be severity 1 (an open legal clock of 24 h or less), or None
    floor: str | None = None

    def refusal(self, actor: str, action: str) -> str | None:
        """Why ``actor`` may not take ``action`` on it (None: they may)."""
        etype = WRITES.get(action)
        if self.access is not None and etype is not None:
            return may_act(self.access, actor, etype)
        return (
            None
            if self.visible
            else f"{self.id} is restricted: only its role holders and participants can act on it"
        )


class IncidentActions:
    """The actions; the screen provides :meth:`subject`."""

    def subject(self) -> Subject | None:
        """The incident the actions are for (None: none is shown)."""
        raise NotImplementedError

    # the Screen this is mixed into provides these
    app: Any
    notify: Any
    query_one: Any

    @property
    def console(self) -> Console:
        """The App, as what a screen may ask of it (widgets/console.py)."""
        return console_of(self.app)

    def actions_apply(self, action: str) -> bool | None:
        """For ``check_action``: the incident and item keys apply while there is a subject
        (and none that writes on an observer console)."""
        if blocks(self.app, action):
            return False
        if action in INCIDENT_ACTIONS or action in ITEM_ACTIONS or action in VIEWS:
            return self.subject() is not None
        return True

    def applies(self, action: str) -> bool:
        """Whether an action can run now, every check made (the command palette's filter)."""
        if blocks(self.app, action):
            return False
        # open to anyone: a restricted one's texts are withheld there (the escalation view shows none)
        if action in VIEWS:
            return self.subject() is not None
        if action in INCIDENT_ACTIONS or action in ITEM_ACTIONS:
            s = self.subject()
            if s is None or s.refusal(self.console.settings.actor, action) is not None:
                return False
            # an item action asks which item when none is selected: it needs only items
            return action in INCIDENT_ACTIONS or bool(self._choices(action))
        return True

    def _target(self, action: str) -> Subject | None:
        """The subject if the actor may take ``action`` on it; else None, and a message
        saying why (the rule: data.engine.access.may_act, the same as the append command's)."""
        if read_only(self.app):
            self.notify(OBSERVER_MESSAGE, severity="warning", markup=False)
            return None
        s = self.subject()
        if s is not None and (why := s.refusal(self.console.settings.actor, action)) is not None:
            self.notify(f"{why}.", severity="warning", markup=False)
            return None
        return s

    def _choices(self, action: str) -> list[ChecklistRow]:
        """The items an item action may act on (done: those not done yet; …)."""
        pane = self.query_one(ChecklistPane)
        s = self.subject()
        if s is None or pane.incident != s.id:
            return []
        skip = ITEM_STATE.get(action)
        return [r for r in pane.items if r.state != skip]

    def _with_item(self, action: str, run: Any) -> None:
        """Run ``run(subject, item)`` on the selected checklist item; with none selected
        (the cursor elsewhere, a palette command), ask which item first, and put the
        checklist's cursor on the one chosen: what is highlighted is what is acted on."""
        s = self._target(action)
        if s is None:
            return
        pane = self.query_one(ChecklistPane)
        item = pane.selected_row()
        if item is not None:
            run(s, item)
            return
        choices = self._choices(action)
        if not choices:
            what = (
                "no checklist items yet (i adds one)"
                if not pane.items
                else f"no item to {ITEM_WORDS[action]}"
            )
            self.notify(f"{s.id} has {what}.", severity="warning", markup=False)
            return
        from screens.picker import ItemPicker

        def chosen(key: str | None) -> None:
            row = next((r for r in pane.items if r.item == key), None)
            if key is None or row is None or pane.incident != s.id:
                return
            pane.move_cursor(row=pane.get_row_index(key), animate=False)
            run(s, row)

        self.app.push_screen(ItemPicker(f"{s.id}: which item to {ITEM_WORDS[action]}?", choices), chosen)

    def _dialog(self, dialog: dialogs.FormDialog) -> None:
        dialogs.open_dialog(self.app, dialog)

    def action_severity(self) -> None:
        if s := self._target("severity"):
            suggest = {"suggest": 1, "reason": s.floor} if s.floor is not None else {}
            self._dialog(dialogs.SeverityDialog(s.id, {"severity": s.severity, **suggest}))

    def action_status(self) -> None:
        if s := self._target("status"):
            self._dialog(dialogs.StatusDialog(s.id, {"status": s.status}))

    def action_role(self) -> None:
        if s := self._target("role"):
            self._dialog(dialogs.RoleDialog(s.id, {"role": "commander", "person": s.commander or ""}))

    def action_participants(self) -> None:
        """Only someone who may see the incident adds (or removes) participants."""
        if s := self._target("participants"):
            self._dialog(dialogs.ParticipantDialog(s.id, {"participants": s.participants}))

    def action_note(self) -> None:
        if s := self._target("note"):
            self._dialog(dialogs.NoteDialog(s.id))

    def action_record_action(self) -> None:
        if s := self._target("record_action"):
            self._dialog(dialogs.ActionDialog(s.id))

    def action_stakeholder_update(self) -> None:
        if s := self._target("stakeholder_update"):
            from screens.updates import UpdateDialog

            self._dialog(UpdateDialog(s.id))

    def action_link(self) -> None:
        """Link to another incident, or remove a link (screens/links.py)."""
        if s := self._target("link"):
            from screens.links import LinkDialog, link_context

            self._dialog(LinkDialog(s.id, link_context(self.console, s.id)))

    def action_merge(self) -> None:
        """Merge into another incident (screens/links.py): its open items are read first."""
        if s := self._target("merge"):
            from screens.links import open_merge

            open_merge(self.app, self.console, s.id)

    def action_add_item(self) -> None:
        if s := self._target("add_item"):
            items = {r.item for r in self.query_one(ChecklistPane).items}
            self._dialog(dialogs.ChecklistAddDialog(s.id, {"items": items}))

    def reveal_targets(self) -> list[Any]:
        """What this screen offers to reveal (screens/reveal.py Targets); the screen says."""
        return []

    def apply_reveal(self, target: Any) -> None:
        """Show ``target`` unmasked, on this screen only (its audit.reveal is written)."""

    def action_reveal(self) -> None:
        """Ask which entry and why; write audit.reveal; then show that entry unmasked."""
        if not (s := self._target("reveal")):
            return
        from screens.reveal import RevealDialog

        targets = self.reveal_targets()
        if not targets:
            self.notify(f"Nothing to reveal: no masked identifiers in what is shown of {s.id}.",
                        timeout=4, markup=False)  # fmt: skip
            return
        dialog = RevealDialog(s.id, targets)

        def done(written: bool | None) -> None:
            if written and dialog.target is not None:
                self.apply_reveal(dialog.target)
                self.app.notify(
                    "Revealed for this view; the reveal is in the journal.", timeout=4, markup=False
                )

        self.app.push_screen(dialog, done)

    def action_postmortem(self) -> None:
        if (s := self.subject()) is not None:
            from screens.postmortem import PostmortemScreen

            self.app.push_screen(PostmortemScreen(s.id))

    def action_decisions(self) -> None:
        if (s := self.subject()) is not None:
            from screens.decisions import DecisionsScreen

            self.app.push_screen(DecisionsScreen(s.id))

    def action_escalation(self) -> None:
        if (s := self.subject()) is not None:
            from screens.escalation import EscalationScreen

            self.app.push_screen(EscalationScreen(s.id))

    def action_triage(self) -> None:
        from screens.triage import TriageScreen

        self.app.push_screen(TriageScreen())

    def action_responses(self) -> None:
        if (s := self.subject()) is not None:
            from screens.responses import ResponsesScreen

            self.app.push_screen(ResponsesScreen(s.id))

    def _item_dialog(self, action: str, state: str | None) -> None:
        def run(s: Subject, item: ChecklistRow) -> None:
            chosen = state or ("done" if item.state != "done" else "open")  # Enter: the toggle
            dialog = dialogs.ChecklistSetDialog(s.id, {"item": item.item, "text": item.text, "state": chosen})

            def then(written: bool | None) -> None:
                if written and getattr(dialog, "chosen_state", None) != "open":  # on to the next open item
                    self.query_one(ChecklistPane).advance(item.item)

            dialogs.open_dialog(self.app, dialog, then)

        self._with_item(action, run)

    def action_item_done(self) -> None:
        """Done needs no note: written at once; the cursor goes on to the next open item."""

        def run(s: Subject, item: ChecklistRow) -> None:
            self.write_now([Draft(ChecklistSet(item=item.item, state="done"), incident=s.id)],
                           f"{clean(item.item)} marked done", advance=item.item)  # fmt: skip

        self._with_item("item_done", run)

    def action_item_block(self) -> None:
        self._item_dialog("item_block", "blocked")

    def action_item_skip(self) -> None:
        self._item_dialog("item_skip", "skipped")

    def action_item_state(self) -> None:
        self._item_dialog("item_state", None)

    @work(group="write")
    async def write_now(self, events: list[Draft], what: str, advance: str | None = None) -> None:
        error = await self.console.act(events)
        if advance is not None and not isinstance(error, str):  # written (or queued)
            self.query_one(ChecklistPane).advance(advance)
        if error is None:
            self.app.notify(what, timeout=3, markup=False)
        elif isinstance(error, str):  # else queued in the outbox: act() has said so
            self.app.notify(f"Nothing was written: {clean(error, 400)}", severity="error", timeout=10,
                            markup=False)  # fmt: skip
