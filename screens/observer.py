"""Observer (read-only) consoles: ``warroom --observer``, ``WARROOM_OBSERVER=1`` and
``warroom serve`` (docs/observer.md). Every action that would write is hidden by the
screens' ``check_action``; :meth:`app.console.WarRoom.act` refuses as the safety net."""

from __future__ import annotations

from typing import Any

#: the actions, on every screen, that write to the journal or open a dialog that does
WRITING_ACTIONS = frozenset({
    # the war room and the incident screen (screens/actions.py, screens/main.py)
    "new_incident", "severity", "status", "role", "note", "record_action", "add_item",
    "item_done", "item_block", "item_skip", "item_state", "participants",
    # revealing a masked identifier writes its audit event: an observer never reveals
    "reveal",
    # wellbeing: stepping away hands roles over, coming back takes them back (screens/wellbeing.py)
    "step_away", "back",
    # the handoff (its draft is the start of a submission)
    "trend", "assess", "notes", "people", "submit", "acknowledge",
    # the post-mortem
    "edit_section", "add_action", "action_state", "pin", "pm_status", "meeting",
})  # fmt: skip

MESSAGE = "Observer console (read-only): nothing can be written from here."
STATUS = "OBSERVER · read-only"


def read_only(app: Any) -> bool:
    """Whether ``app`` is an observer console."""
    return bool(getattr(getattr(app, "settings", None), "observer", False))


def blocks(app: Any, action: str) -> bool:
    """Whether ``action`` is refused on ``app`` (a writing action on an observer)."""
    return action in WRITING_ACTIONS and read_only(app)
