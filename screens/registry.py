"""Every action of the console, declared once: its key, its words in the footer, the help
screen and the command palette, whether it writes to the journal, what it needs selected,
and the event it writes (for the need-to-know rule, data.engine.access.may_act).

The screens' ``BINDINGS`` (:func:`bindings`), the command palette (:data:`PALETTE`), the help
screen's rows (:func:`help_text`) and the observer's refusals
(screens/observer.py ``WRITING_ACTIONS``) are generated from :data:`ACTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from textual.binding import Binding, BindingType


class Needs(Enum):
    """What must be selected for an action to apply."""

    NOTHING = "nothing"
    INCIDENT = "incident"
    ITEM = "checklist item"  # (and its incident)


@dataclass(frozen=True)
class Action:
    """One action. ``id`` is its binding's id (unique); ``action`` the Textual action it
    runs (``action_<action>`` of the screen, or ``app.…``); ``keys`` its key(s) (None: no
    key of its own, reached by ``palette`` or ``via``)."""

    id: str
    action: str
    keys: str | None
    label: str  # the footer's word
    help: str  # the help screen's row (and the key's tooltip)
    palette: str | None = None  # its title in the command palette (None: not there)
    palette_help: str = ""  # the palette's line under the title
    writes: bool = False  # writes to the journal (or opens a dialog that does): refused on an observer
    needs: Needs = Needs.NOTHING
    event: str | None = None  # the event type it writes, for the need-to-know rule
    show: bool = True  # in the footer
    key_display: str | None = None
    priority: bool = False
    via: str = ""  # how it is reached without a key or a palette entry

    def binding(self, **changes: Any) -> Binding:
        """Its key binding (``changes``: what one screen shows differently, e.g. ``show``)."""
        if self.keys is None:
            raise ValueError(f"{self.id} has no key")
        a = replace(self, **changes) if changes else self
        return Binding(a.keys or "", a.action, a.label, show=a.show, key_display=a.key_display,
                       priority=a.priority, tooltip=a.help, id=a.id)  # fmt: skip


def _writes(**kw: Any) -> dict[str, Any]:
    return {"writes": True, **kw}


INCIDENT, ITEM = Needs.INCIDENT, Needs.ITEM

#: in the command palette's order
ACTIONS: tuple[Action, ...] = (
    # --- the war room and the incident screen (screens/main.py, screens/actions.py) ----------
    Action("incident.new", "new_incident", "o", "Open", "Open a new incident",
           "Incident: Open new", "Open a new incident (a form)", writes=True),
    Action("incident.details", "open_incident", "enter", "Details",
           "Open the incident screen (in the timeline: show or hide a procedure's items)",
           "Incident: Show details", "The incident screen: fields, lifecycle, roles, timeline",
           needs=INCIDENT, show=False),
    Action("incident.severity", "severity", "s", "Severity", "Set the severity (with a reason)",
           "Incident: Set severity", "Set the severity, with a reason",
           **_writes(needs=INCIDENT, event="incident.severity_set")),
    Action("incident.status", "status", "x", "Status", "Set the status (with a reason)",
           "Incident: Set status", "Set the status, with a reason",
           **_writes(needs=INCIDENT, event="incident.status_set")),
    Action("incident.role", "role", "r", "Role", "Assign or clear a role",
           "Incident: Assign role", "Assign or clear a role (commander, deputy, scribe, …)",
           **_writes(needs=INCIDENT, event="incident.role_set")),
    Action("incident.participants", "participants", "u", "Participants",
           "Add or remove a participant of a restricted incident",
           "Incident: Add or remove participant",
           "Who may see a restricted incident's details besides its role holders",
           **_writes(needs=INCIDENT, event="incident.participant_added", show=False)),
    Action("incident.note", "note", "a", "Note", "Add a note (optionally pinned)",
           "Incident: Add note", "Add a note, optionally pinned",
           **_writes(needs=INCIDENT, event="incident.note")),
    Action("incident.action", "record_action", "k", "Action", "Record an action, or a trigger (⏱: starts legal clocks)",
           "Incident: Record action or trigger",
           "An action taken, or an order, notice, report or request (⏱) with its time: starts its clocks",
           **_writes(needs=INCIDENT, event="incident.action")),
    Action("incident.update", "stakeholder_update", "U", "Update",
           "Write and send a stakeholder update (resets the update clock)",
           "Incident: Send stakeholder update",
           "Executives, Legal, Policy, Comms or partners: the template filled from the incident, edited, sent",
           **_writes(needs=INCIDENT, event="incident.action", show=False)),
    Action("incident.link", "link", "L", "Link",
           "Link to another incident (parent, child, duplicate…), or unlink",
           "Incident: Link to another",
           "Related, parent, child or duplicate of another incident (both show it); or remove a link",
           **_writes(needs=INCIDENT, event="incident.linked", show=False)),
    Action("incident.merge", "merge", "M", "Merge", "Merge into another incident (its open items move or close)",
           "Incident: Merge into…",
           "Set it merged, a duplicate of another; its open items move there or close with a reason",
           **_writes(needs=INCIDENT, event="incident.status_set", show=False)),
    Action("postmortem.open", "postmortem", "P", "Post-mortem",
           "The post-mortem: sections, actions, pinned timeline, meeting",
           "Post-mortem: Open",
           "The incident's post-mortem: sections, action items, pinned timeline, meeting clock",
           needs=INCIDENT, show=False),
    Action("decisions.open", "decisions", "D", "Decisions",
           "The decision log: what was decided, why, who approved it",
           "Decisions: Open", "The incident's decisions, superseded ones marked; record one",
           needs=INCIDENT, show=False),
    Action("triage.open", "triage", "T", "Triage",
           "Triage the signals waiting: promote, attach, duplicate, dismiss or snooze each",
           "Triage: Open", "The signals waiting (newest first), their suggested matches, one key per outcome",
           show=False),
    # --- triage (screens/triage.py, docs/intake.md) ------------------------------------------
    Action("triage.back", "app.pop_screen", "escape", "Back", "Back to the previous screen"),
    Action("triage.promote", "promote_signal", "p", "Promote",
           "Promote the selected signal to a new incident (the form prefilled; the procedure applies)",
           "Triage: Promote to incident", "Open an incident from the selected signal (the form prefilled)",
           **_writes(event="signal.triaged")),
    Action("triage.attach", "attach_signal", "a", "Attach",
           "Attach the selected signal to an open incident (it shows in the incident's timeline)",
           "Triage: Attach to incident", "Attach the selected signal to an open incident (suggested first)",
           **_writes(event="signal.triaged")),
    Action("triage.duplicate", "duplicate_signal", "u", "Duplicate",
           "Mark the selected signal a duplicate of another signal",
           "Triage: Mark duplicate", "Mark the selected signal a duplicate of another (suggested first)",
           **_writes(event="signal.triaged")),
    Action("triage.dismiss", "dismiss_signal", "x", "Dismiss", "Dismiss the selected signal (a reason is required)",
           "Triage: Dismiss", "Dismiss the selected signal, with the reason", **_writes(event="signal.triaged")),
    Action("triage.snooze", "snooze_signal", "z", "Snooze",
           "Snooze the selected signal until a time: it comes back to triage by itself then",
           "Triage: Snooze", "Snooze the selected signal: 15m, 1h, 4h, tomorrow 09:00 or a time",
           **_writes(event="signal.triaged")),
    Action("triage.all", "all_signals", "l", "All signals", "Show every signal (triaged too), or only those waiting",
           "Triage: Show all signals", "Every signal, triaged too (l again: only those waiting)"),
    Action("triage.reopen", "reopen_signal", "r", "Reopen", "Send the selected triaged signal back to triage",
           "Triage: Reopen signal", "Send the selected triaged signal back to triage",
           **_writes(event="signal.triaged")),
    # --- the decision log (screens/decisions.py) ---------------------------------------------
    Action("decisions.back", "app.pop_screen", "escape", "Back", "Back to the previous screen"),
    Action("decisions.record", "record_decision", "n", "Record",
           "Record a decision: the options, the rationale, who approved it, the legal basis",
           "Decisions: Record", "Record a decision with its options, rationale, approvers and basis",
           **_writes(needs=INCIDENT, event="decision.recorded")),
    Action("decisions.supersede", "supersede_decision", "s", "Supersede",
           "Record a decision that supersedes the selected one (a decision is never edited)",
           "Decisions: Supersede", "Record a decision that supersedes the selected one",
           **_writes(needs=INCIDENT, event="decision.recorded")),
    Action("escalation.open", "escalation", "E", "Pages",
           "Who was paged about the incident, when, and whether it was delivered",
           "Escalation: Show pages", "The incident's escalation: the steps, who was paged, when, delivered",
           needs=INCIDENT, show=False),
    Action("escalation.back", "app.pop_screen", "escape", "Back", "Back to the previous screen"),
    Action("responses.open", "responses", "R", "Responses",
           "Written responses (draft, review, sent) and the disclosure ledger",
           "Responses: Open",
           "The incident's written responses to agencies and its disclosure ledger",
           needs=INCIDENT, show=False),
    # --- the responses screen (screens/responses.py) --------------------------------------------
    Action("responses.back", "app.pop_screen", "escape", "Back", "Back to the previous screen"),
    Action("responses.draft", "draft_response", "d", "Draft",
           "Draft a response from a template (or a new draft of the selected one after changes were asked)",
           "Responses: Draft", "Draft a written response from a template; the filled text is editable",
           **_writes(needs=INCIDENT, event="response.drafted")),
    Action("responses.review", "review_response", "a", "Review",
           "Review the selected response: approve or request changes (not its drafter; the legal role)",
           "Responses: Review", "Approve or request changes (a second person holding the legal role)",
           **_writes(needs=INCIDENT, event="response.reviewed")),
    Action("responses.send", "send_response", "s", "Sent",
           "Mark the selected response sent (records the sha256 of its approved text)",
           "Responses: Mark sent", "Mark the approved response sent; its text's sha256 is recorded",
           **_writes(needs=INCIDENT, event="response.sent")),
    Action("responses.disclose", "record_disclosure", "l", "Disclosure",
           "Record a disclosure of user data in the ledger",
           "Responses: Record disclosure", "Categories, account, agency, basis, who approved: a ledger entry",
           **_writes(needs=INCIDENT, event="disclosure.recorded")),
    # --- the post-mortem (screens/postmortem.py) -------------------------------------------
    Action("postmortem.back", "app.pop_screen", "escape", "Back", "Back to the previous screen"),
    Action("postmortem.edit", "edit_section", "e", "Edit section",
           "Edit the selected section (summary, impact, root cause, …)",
           "Post-mortem: Edit section", "Edit the selected section of the post-mortem",
           **_writes(needs=INCIDENT)),
    Action("postmortem.action_add", "add_action", "a", "Add action",
           "Add an action item: mitigate, prevent or process, with owner and due date",
           "Post-mortem: Add action item", "Add a mitigate, prevent or process action with owner and due date",
           **_writes(needs=INCIDENT)),
    Action("postmortem.action_set", "action_state", "t", "Action state",
           "Mark the selected action item open, done or dropped",
           "Post-mortem: Set action state", "Mark the selected action item open, done or dropped",
           **_writes(needs=INCIDENT)),
    Action("postmortem.pin", "pin", "p", "Pin", "Pin or unpin the selected timeline entry",
           "Post-mortem: Pin or unpin entry", "Pin or unpin the selected timeline entry",
           **_writes(needs=INCIDENT)),
    Action("postmortem.status", "pm_status", "x", "Status",
           "Set the post-mortem's status: draft, in review, reviewed, closed",
           "Post-mortem: Set status", "Draft, in review, reviewed or closed", **_writes(needs=INCIDENT)),
    Action("postmortem.meeting", "meeting", "m", "Meeting", "Record the post-mortem meeting (stops its clock)",
           "Post-mortem: Record meeting", "Record the post-mortem meeting (stops its clock)",
           **_writes(needs=INCIDENT)),
    # --- the checklist ---------------------------------------------------------------------
    Action("checklist.add", "add_item", "i", "Item", "Add a checklist item",
           "Checklist: Add item", "Add a checklist item with its owner and due time",
           **_writes(needs=INCIDENT, event="checklist.added")),
    Action("checklist.done", "item_done", "d", "Done", "Mark the selected checklist item done",
           "Checklist: Mark done", "Mark the selected checklist item done",
           **_writes(needs=ITEM, event="checklist.set")),
    Action("checklist.block", "item_block", "b", "Block", "Mark the selected item blocked (with a note)",
           "Checklist: Block", "Mark the selected checklist item blocked (with a note)",
           **_writes(needs=ITEM, event="checklist.set", show=False)),
    Action("checklist.skip", "item_skip", "p", "Skip", "Skip the selected item (with a note)",
           "Checklist: Skip", "Skip the selected checklist item (with a note)",
           **_writes(needs=ITEM, event="checklist.set", show=False)),
    Action("checklist.state", "item_state", None, "State", "Set the state of the checklist item",
           **_writes(needs=ITEM, event="checklist.set", via="Enter on a checklist item")),
    # --- the queue and the timeline ----------------------------------------------------------
    Action("queue.search", "search", "slash", "Search", "Filter the queue by text",
           "Queue: Search", "Filter the queue by text"),
    Action("queue.filter", "filters", "f", "Filter", "Filter the queue by severity, category, region, status",
           "Queue: Filter", "Filter by severity, category, region, status"),
    Action("queue.mine", "mine", "m", "Mine", "Only incidents where I hold a role",
           "Queue: Only mine", "Only incidents where I hold a role (toggle)", show=False),
    Action("queue.closed", "closed", "c", "Closed", "Show or hide closed incidents",
           "Queue: Show closed", "Show or hide closed incidents", show=False),
    Action("queue.fold", "fold", "space", "Fold", "Show or hide the child incidents under the selected one",
           "Queue: Fold or unfold children", "Show or hide the child incidents under the selected one",
           needs=INCIDENT, show=False, key_display="space"),
    Action("timeline.filter", "timeline_filter", "y", "Types", "Cycle the timeline's type filter",
           "Timeline: Filter types", "Cycle the timeline's type filter", needs=INCIDENT),
    Action("timeline.local", "local_time", "l", "Local", "Timeline times in UTC or your local zone",
           "Timeline: Local time", "Show times in UTC or your local zone", needs=INCIDENT, show=False),
    Action("privacy.reveal", "reveal", "v", "Reveal", "Reveal one entry's masked identifiers (a reason, audited)",
           "Privacy: Reveal identifiers",
           "Reveal the masked identifiers of one entry, with a reason (audited; this view only)",
           # its audit event is not incident-scoped: it needs sight of the details
           **_writes(needs=INCIDENT, show=False)),
    # --- wellbeing (docs/wellbeing.md) -------------------------------------------------------
    Action("wellbeing.quiet", "quiet", "g", "Quiet", "Quiet mode: graphic-category titles hidden but on the selected row",
           "Wellbeing: Quiet mode",
           "Hide the titles of graphic categories in the queue except on the selected row (toggle)", show=False),
    Action("wellbeing.step_away", "step_away", "B", "Step away",
           "Step away: hand your roles to each incident's deputy; B again when back",
           "Wellbeing: Step away", "Take a break: hand the roles you hold to each incident's deputy, with a note",
           **_writes(show=False)),
    Action("wellbeing.back", "back", None, "I'm back",
           "Back from a break: take back the roles the deputies still hold for you",
           "Wellbeing: I'm back", "Back from a break: take back the roles the deputies still hold for you",
           **_writes()),
    # --- the other screens, from the war room --------------------------------------------------
    Action("handoff.show", "handoff", "h", "Handoff",
           "The shift handoff: write it, submit it, or read it back and acknowledge it",
           "Handoff: Review the shift handoff", "Write, submit, or read back and acknowledge the shift handoff"),
    Action("roster.show", "roster", "w", "Roster", "Who is on call: coverage by region and the week of every rotation",
           "Roster: Who is on call", "Follow-the-sun coverage, gaps, and the week of every rotation", show=False),
    Action("holds.show", "holds", "H", "Holds",
           "Preservation holds and when each ends (closed incidents' too)",
           "Holds: Show", "Every preservation hold (NCMEC, 2703(f), TCO) and when it ends", show=False),
    Action("trends.show", "trends", "t", "Trends", "Trends: incidents per week, response times, clocks, on-call load",
           "Trends: Show", "Weeks of incidents by category, response times, clocks met and missed, on-call load",
           show=False),
    Action("sync.warnings", "warnings", "exclamation_mark", "Warnings", "Quarantined lines and chain breaks",
           "Journal: Warnings", "Quarantined lines and chain breaks", show=False),
    # --- the war room's panes --------------------------------------------------------------------
    Action("focus.queue", "focus_pane('1')", "1", "Queue",
           "The queue (under 100x28 one pane is shown at a time: 1-4 switch)", show=False),
    Action("focus.timeline", "focus_pane('2')", "2", "Timeline", "The timeline of the selected incident", show=False),
    Action("focus.checklist", "focus_pane('3')", "3", "Checklist",
           "The checklist and clocks (the item under the cursor whole, below it)", show=False),
    Action("focus.roster", "focus_pane('4')", "4", "Roster", "Who is on call", show=False),
    # in the help (?); the footer keeps room for help and quit at 120 columns
    Action("pane.zoom", "maximize_pane", "z", "Zoom", "Maximise the focused pane (again to restore)", show=False),
    # --- the incident screen (screens/incident.py) ---------------------------------------------
    Action("incident.back", "app.pop_screen", "escape", "Back", "Back to the war room"),
    # --- the shift handoff (screens/handoff.py; its draft is the start of a submission) ----------
    Action("handoff.back", "app.pop_screen", "escape", "Back", "Back to the war room"),
    Action("handoff.trend", "trend", "t", "Trend", "Set the selected incident's trend: stable, watch, unstable",
           **_writes()),
    Action("handoff.assess", "assess", "e", "Summary",
           "Write the selected incident's one-line summary and if/then contingencies", **_writes()),
    Action("handoff.notes", "notes", "n", "Notes", "Notes for the incoming commander", **_writes()),
    Action("handoff.people", "people", "p", "People", "Change the outgoing and incoming commanders", **_writes()),
    Action("handoff.region", "region", "g", "Region", "Show another region's handoff"),
    Action("handoff.submit", "submit", "s", "Submit", "Submit the handoff to the incoming commander", **_writes()),
    Action("handoff.ack", "acknowledge", "a", "Acknowledge",
           "Read back and accept the handoff: responsibility moves to you", **_writes()),
    # --- the roster (screens/roster.py) ------------------------------------------------------------
    Action("roster.back", "app.pop_screen", "escape", "Back", "Back to the war room"),
    Action("roster.earlier", "move(-1)", "left", "Day before",
           "Show the day before (the strip and the week start a day earlier)", key_display="←", priority=True),
    Action("roster.later", "move(1)", "right", "Day after", "Show the day after", key_display="→", priority=True),
    Action("roster.today", "today", "t", "Today", "Back to today (UTC)"),
    # --- trends (screens/trends.py) -----------------------------------------------------------------
    Action("holds.back", "app.pop_screen", "escape", "Back", "Back to the war room"),
    Action("holds.open", "open", "enter", "Incident", "Open the selected hold's incident"),
    Action("trends.back", "app.pop_screen", "escape", "Back", "Back to the war room"),
    Action("trends.period", "period", "p", "Period", "Cycle the period: last 4, 8, 12 weeks, all"),
    Action("trends.region", "region", "r", "Region", "Cycle the region: all, US, UK, AU, EU, global"),
    # --- everywhere (app/console.py) ------------------------------------------------------------------
    Action("app.help", "help", "question_mark,f1", "Help", "Every key, on this screen and everywhere"),
    Action("app.quit", "quit", "q", "Quit", "Leave the console"),
    # shown in the footer of every screen of an observer console only (its check_action)
    Action("app.observer", "observer_info", "f2", "OBSERVER: read-only",
           "This console is read-only: it writes nothing to the journal"),
)  # fmt: skip

BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS}
if len(BY_ID) != len(ACTIONS):  # pragma: no cover - a declaration error, caught on import
    raise ValueError("two actions share an id")

#: the actions (by their Textual action name) that write to the journal or open a dialog that does
WRITING: frozenset[str] = frozenset(a.action for a in ACTIONS if a.writes)
#: the actions in the command palette, in its order
PALETTE: tuple[Action, ...] = tuple(a for a in ACTIONS if a.palette is not None)


def binding(id: str, **changes: Any) -> Binding:
    """The key binding of action ``id`` (``changes``: as :meth:`Action.binding`)."""
    return BY_ID[id].binding(**changes)


def bindings(*ids: str) -> list[BindingType]:
    """The key bindings of these actions, in this order."""
    return [binding(i) for i in ids]


def help_text(b: Binding) -> str:
    """What a key does, as the help screen says it: its action's help (a dialog's key
    that is not an action of the registry: its tooltip, else its footer word)."""
    action = BY_ID.get(b.id or "")
    return action.help if action is not None else (b.tooltip or b.description)
