"""The action registry (screens/registry.py): every action declared is reachable, shown in the
help, and refused on an observer when it writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from textual.binding import Binding

from app.console import WarRoom
from screens.decisions import DecisionsScreen
from screens.escalation import EscalationScreen
from screens.handoff import HandoffScreen
from screens.holds import HoldsScreen
from screens.incident import IncidentScreen
from screens.main import MainScreen
from screens.observer import WRITING_ACTIONS, blocks
from screens.postmortem import PostmortemScreen
from screens.registry import ACTIONS, BY_ID, PALETTE, help_text
from screens.responses import ResponsesScreen
from screens.roster import RosterScreen
from screens.trends import TrendsScreen
from screens.triage import TriageScreen
from tests._console_helpers import settings_for

#: every screen (and the App) whose keys come from the registry
HOSTS: tuple[Any, ...] = (WarRoom, MainScreen, IncidentScreen, HandoffScreen, PostmortemScreen,
                          RosterScreen, TrendsScreen, HoldsScreen, DecisionsScreen, ResponsesScreen,
                          EscalationScreen, TriageScreen)  # fmt: skip


def _bound() -> dict[str, list[tuple[Any, Binding]]]:
    """Binding id -> (host, binding) of every key of every host."""
    bound: dict[str, list[tuple[Any, Binding]]] = {}
    for host in HOSTS:
        for b in host.BINDINGS:
            assert isinstance(b, Binding), host
            assert b.id is not None and b.id in BY_ID, f"{host.__name__}: {b.key} is not in the registry"
            bound.setdefault(b.id, []).append((host, b))
    return bound


def _hosts_with_method(action: str) -> list[Any]:
    return [h for h in HOSTS if callable(getattr(h, f"action_{action}", None))]


def test_every_action_is_reachable_and_has_a_help_row() -> None:
    bound = _bound()
    for a in ACTIONS:
        assert a.help.strip(), f"{a.id} has no help text"
        if a.keys is not None:
            # a key: bound on some screen, and the help screen says what it does there
            assert a.id in bound, f"{a.id} declares key {a.keys!r} but no screen binds it"
            for _host, b in bound[a.id]:
                assert (b.key, b.action, help_text(b)) == (a.keys, a.action, a.help)
        else:
            assert a.palette is not None or a.via, f"{a.id} has no key, no palette entry and no other way"
        if a.palette is not None:
            assert a.palette_help.strip(), f"{a.id}'s palette entry has no help"
        if not a.action.startswith("app.") and "(" not in a.action:
            # the palette and the keys call action_<action>: some screen (or the App) has it
            assert _hosts_with_method(a.action), f"{a.id}: no screen has action_{a.action}"


def test_palette_titles_are_unique_and_each_runs_an_action() -> None:
    titles = [a.palette for a in PALETTE]
    assert len(titles) == len(set(titles))
    for a in PALETTE:
        assert _hosts_with_method(a.action), a.id


def test_every_writing_action_is_refused_on_an_observer_and_only_those(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    observer, console = WarRoom(dataclasses.replace(settings, observer=True)), WarRoom(settings)
    for a in ACTIONS:
        assert blocks(observer, a.action) is a.writes, a.id
        assert not blocks(console, a.action), a.id
    # one name is one action: declared twice (two screens), it writes on both or on neither
    writes: dict[str, set[bool]] = {}
    for a in ACTIONS:
        writes.setdefault(a.action, set()).add(a.writes)
    assert all(len(w) == 1 for w in writes.values()), {k: w for k, w in writes.items() if len(w) > 1}
    assert {a.action for a in ACTIONS if a.writes} == WRITING_ACTIONS
    # an action checked by the need-to-know rule writes
    assert all(a.writes for a in ACTIONS if a.event is not None)
