"""Stepping away (``B`` on the war room): the console's actor hands the roles they hold to
each incident's deputy, with a note (docs/wellbeing.md); and coming back (``B`` again, or
the palette's "Wellbeing: I'm back"): the roles the deputies still hold go back.

The dialog shows what will change (the roles that move and to whom), the incidents left as
they are (no deputy; or the actor is the deputy), takes the note, and writes the whole
batch through ``app.act``: per incident one ``incident.note`` saying who stepped away, to
whom, and the note, then one ``incident.role_set`` per role. A failed write shows in the
dialog, which keeps the text.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from data.care.wellbeing import Handover, StepAway, return_events, step_away_events
from data.engine.models import Draft
from data.privacy.text import clean
from screens.dialogs import FieldError, FormDialog
from widgets.console import console_or_none


def exposure_changed(screen: Screen[Any]) -> None:
    """Tell the console that what ``screen`` shows in detail may have changed (it asks the
    screens for their ``exposure_subject()``); nothing on a host app without counters."""
    c = console_or_none(screen.app)
    if c is not None:
        c.wellbeing_view()


def plan_text(plan: StepAway) -> Text:
    """What stepping away changes, in plain words (ids and handles from the journal are
    untrusted: cleaned, never markup)."""
    t = Text()
    if plan.moves:
        t.append("Handed to the deputy:\n", style="bold")
        for h in plan.moves:
            roles = ", ".join(r.replace("_", " ") for r in h.roles)
            t.append(f"  {clean(h.incident, 32)}: {roles} → {clean(h.to, 64)}\n")
    else:
        t.append(
            "Nothing to hand over: no active incident where you hold a role has a deputy.\n", style="bold"
        )
    if plan.no_deputy:
        t.append("\nNo deputy, left as they are (assign one with r, or hand over by hand):\n", style="bold")
        for h in plan.no_deputy:
            roles = ", ".join(r.replace("_", " ") for r in h.roles)
            t.append(f"  {clean(h.incident, 32)}: you stay {roles}\n")
    if plan.self_deputy:
        t.append("\nYou are the deputy, skipped:\n", style="bold")
        for inc in plan.self_deputy:
            t.append(f"  {clean(inc, 32)}: you are its deputy yourself; ask its commander to cover\n")
    if plan.moves:
        t.append("\nWhen you are back, B (I'm back) takes these roles back from the deputies.\n", style="dim")
    return t


def return_text(plan: tuple[Handover, ...]) -> Text:
    """What coming back takes back, in plain words (untrusted ids and handles cleaned)."""
    t = Text()
    t.append("Taken back from the deputy:\n", style="bold")
    for h in plan:
        roles = ", ".join(r.replace("_", " ") for r in h.roles)
        t.append(f"  {clean(h.incident, 32)}: {roles} ← {clean(h.to or '', 64)}\n")
    return t


class StepAwayDialog(FormDialog):
    TITLE = "Step away: hand your roles to the deputies"
    SUBMIT = "Hand over (Enter)"
    MEMBERS = {("data", "text"): "note"}

    DEFAULT_CSS = """
    StepAwayDialog #plan { height: auto; margin-top: 1; }
    """

    def __init__(self, plan: StepAway, actor: str) -> None:
        super().__init__(None, {"actor": actor})
        self.plan = plan
        self.actor = actor

    def subtitle(self) -> str:
        return "Take the break you need. Everything here is written to the shared journal."

    def fields(self) -> ComposeResult:
        yield Static(plan_text(self.plan), id="plan")
        yield from self.labelled(
            "Note for the deputies (what is in hand, when you are back; optional)", Input(id="note")
        )

    def build(self) -> list[Draft]:
        if not self.plan.moves:
            raise FieldError(None, "Nothing to hand over: no incident where you hold a role has a deputy.")
        return step_away_events(self.plan, self.actor, self.value("note"))


class ReturnDialog(FormDialog):
    """I'm back: take back the roles handed to the deputies when stepping away (those the
    deputy still holds), with a note; one batch through ``app.act``."""

    TITLE = "I'm back: take your roles back from the deputies"
    SUBMIT = "Take them back (Enter)"
    MEMBERS = {("data", "text"): "note"}

    DEFAULT_CSS = """
    ReturnDialog #plan { height: auto; margin-top: 1; }
    """

    def __init__(self, plan: tuple[Handover, ...], actor: str) -> None:
        super().__init__(None, {"actor": actor})
        self.plan = plan
        self.actor = actor

    def subtitle(self) -> str:
        return "Welcome back. Everything here is written to the shared journal."

    def fields(self) -> ComposeResult:
        yield Static(return_text(self.plan), id="plan")
        yield from self.labelled("Note for the deputies (optional)", Input(id="note"))

    def build(self) -> list[Draft]:
        return return_events(self.plan, self.actor, self.value("note"))
