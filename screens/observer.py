"""Observer (read-only) consoles: ``warroom --observer``, ``WARROOM_OBSERVER=1`` and
``warroom serve`` (docs/observer.md). Every action that would write is hidden by the
screens' ``check_action``; :meth:`app.console.WarRoom.act` refuses as the safety net."""

from __future__ import annotations

from screens.registry import WRITING
from widgets.console import observer

#: the actions, on every screen, that write to the journal or open a dialog that does (those
#: declared ``writes`` in screens/registry.py; revealing a masked identifier writes its audit
#: event, stepping away and coming back hand roles over, a handoff's draft starts a submission)
WRITING_ACTIONS = WRITING

MESSAGE = "Observer console (read-only): nothing can be written from here."
STATUS = "OBSERVER · read-only"


def read_only(app: object) -> bool:
    """Whether ``app`` is an observer console."""
    return observer(app)


def blocks(app: object, action: str) -> bool:
    """Whether ``action`` is refused on ``app`` (a writing action on an observer)."""
    return action in WRITING_ACTIONS and read_only(app)
