"""Need-to-know: who may see a restricted incident's details, and who may write about it.

The one rule of the console (its keys, its palette), the command line (``warroom append``,
through :meth:`data.engine.projector.Projector.check`) and the views (what is withheld), so that
the two ways of writing agree (docs/observer.md). Pure: no I/O, no Textual.

- An incident that is not restricted: anyone may see it and write about it.
- A restricted one: its **role holders** (``incident.role_set``) and its **participants**
  (``incident.participant_added``, until removed) see its details and may write any
  incident-scoped event about it (every prefix of ``models.SCOPED_PREFIXES``: ``incident.*``,
  ``checklist.*``, ``postmortem.*``, ``decision.*``).
- **The opening batch**: the events appended in the same batch as an incident's
  ``incident.opened`` are its opener's (the console adds its opener as a participant and
  its commander in that batch; ``warroom append`` adds the opener as a participant).
- **Nobody left**: a restricted incident with no role holder and no participant (everyone
  removed, or opened before openers became participants) would be closed to everyone
  forever; on it anyone may write ``incident.role_set`` and ``incident.participant_added``,
  and nothing else, until someone holds a role or is a participant again. The event is in
  the journal, under its actor, like every other.

This is a rule of the display and of warroom's writers, not access control: the actor is
whatever ``--actor`` says, and anyone who can write the journal file writes what they like
(docs/security.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from data.engine.models import SCOPED_PREFIXES, Draft, IncidentParticipantAdded

#: what anyone may write on a restricted incident that nobody holds a role in or takes part in
BOOTSTRAP = frozenset({"incident.role_set", "incident.participant_added"})
_SCOPED = SCOPED_PREFIXES


class AccessFields(Protocol):
    """What need-to-know reads of an incident row: ``data.engine.store.IncidentRecord``
    (``Store.incidents``), named by its fields (the store imports the projector, which
    imports this module)."""

    @property
    def id(self) -> str: ...
    @property
    def restricted(self) -> bool: ...
    @property
    def roles(self) -> Mapping[str, str]: ...
    @property
    def participants(self) -> Iterable[str]: ...


@dataclass(frozen=True)
class Access:
    """What need-to-know needs to know of one incident."""

    incident: str
    restricted: bool
    holders: frozenset[str] = frozenset()  # who holds a role now
    participants: frozenset[str] = frozenset()

    @classmethod
    def of(cls, incident: str, restricted: bool, roles: Iterable[str] | Mapping[str, str] | None,
           participants: Iterable[str] | None) -> Access:  # fmt: skip
        """From an incident's roles (a role -> person mapping, or the persons) and participants."""
        persons = roles.values() if isinstance(roles, Mapping) else (roles or ())
        return cls(
            incident, bool(restricted), frozenset(p for p in persons if p), frozenset(participants or ())
        )

    @classmethod
    def of_row(cls, inc: AccessFields) -> Access:
        """From a store row of ``incidents`` (``Store.incidents``)."""
        return cls.of(inc.id, inc.restricted, inc.roles, inc.participants)

    @property
    def nobody(self) -> bool:
        """Restricted, and nobody holds a role or takes part: see :data:`BOOTSTRAP`."""
        return self.restricted and not self.holders and not self.participants

    def sees(self, person: str) -> bool:
        """Whether ``person`` may see its details (and write about it)."""
        return not self.restricted or person in self.holders or person in self.participants

    def after(self, etype: str, data: Any, roles: Mapping[str, str] | None = None) -> Access:
        """The access once an event of ``etype`` with ``data`` (a mapping or a model) is
        applied. ``roles`` (role -> person, before the event) says whom an
        ``incident.role_set`` replaces; without it the one replaced is kept as a holder."""
        if etype == "incident.participant_added":
            return replace(self, participants=self.participants | {_get(data, "person")})
        if etype == "incident.participant_removed":
            return replace(self, participants=self.participants - {_get(data, "person")})
        if etype == "incident.updated" and _given(data, "restricted"):
            return replace(self, restricted=bool(_get(data, "restricted")))
        if etype == "incident.role_set":
            person = _get(data, "person")
            if roles is None:
                return replace(self, holders=self.holders | {person}) if person else self
            return replace(self, holders=frozenset(roles_after(roles, etype, data).values()))
        return self


def may_act(access: Access | None, actor: str, etype: str) -> str | None:
    """None if ``actor`` may append an event of ``etype`` about the incident; else why not,
    one sentence for people. Events that are not incident-scoped are not concerned."""
    if access is None or not etype.startswith(_SCOPED) or access.sees(actor):
        return None
    if access.nobody and etype in BOOTSTRAP:
        return None
    if access.nobody:
        return (f"{access.incident} is restricted and nobody holds a role in it or takes part: "
                f"assign a role or add a participant first")  # fmt: skip
    return f"{access.incident} is restricted: only its role holders and participants can act on it"


def batch_refusals(events: Iterable[Any], current: Callable[[str], tuple[Access, Mapping[str, str]] | None]
                   ) -> list[tuple[int, str]]:  # fmt: skip
    """Which events of a batch (envelopes, in order) :func:`may_act` refuses, as (index,
    reason) pairs, the batch applied as it goes: an event that adds a participant or sets a
    role lets its person write the events after it. ``current(incident)`` gives the access
    and roles (role -> person) as the journal stands, or None for an incident never opened
    (refused elsewhere). Events of an incident opened in the same batch are its opener's."""
    state: dict[str, tuple[Access, dict[str, str]]] = {}
    opened_here: set[str] = set()
    out: list[tuple[int, str]] = []
    for n, ev in enumerate(events):
        inc = getattr(ev, "incident", None)
        if inc is None or not getattr(ev, "known", True) or not ev.type.startswith(_SCOPED):
            continue
        if ev.type == "incident.opened":
            opened_here.add(inc)
            state[inc] = (Access(inc, bool(_get(ev.data, "restricted"))), {})
            continue
        if inc not in state:
            found = current(inc)
            if found is None:
                continue
            state[inc] = (found[0], dict(found[1]))
        access, roles = state[inc]
        if inc not in opened_here and (why := may_act(access, ev.actor, ev.type)) is not None:
            out.append((n, why))
        state[inc] = (access.after(ev.type, ev.data, roles), roles_after(roles, ev.type, ev.data))
    return out


def roles_after(roles: Mapping[str, str], etype: str, data: Any) -> dict[str, str]:
    """An incident's roles (role -> person) once an event of ``etype`` is applied."""
    now = dict(roles)
    if etype == "incident.role_set":
        if person := _get(data, "person"):
            now[_get(data, "role")] = person
        else:
            now.pop(_get(data, "role"), None)
    return now


def opener_participants(events: list[dict[str, Any]]) -> list[tuple[int, Draft]]:
    """For each restricted ``incident.opened`` of a batch (complete events) whose opener the
    batch does not already add as a participant: (index of the opening, the
    ``incident.participant_added`` to put right after it, as ``build_events`` takes it: its
    ``ts`` and ``actor`` the opening's). The command line adds them (docs/observer.md):
    whoever opens a restricted incident takes part in it."""
    added = {(e.get("incident"), (e.get("data") or {}).get("person")) for e in events
             if e.get("type") == "incident.participant_added"}  # fmt: skip
    out = []
    for n, e in enumerate(events):
        if e.get("type") != "incident.opened" or not (e.get("data") or {}).get("restricted"):
            continue
        if (e.get("incident"), e["actor"]) in added:
            continue
        added_opener = IncidentParticipantAdded(person=e["actor"], reason="opened it")
        out.append((n, Draft(added_opener, incident=e["incident"], ts=e["ts"], actor=e["actor"])))
    return out


def _get(data: Any, name: str) -> Any:
    return data.get(name) if isinstance(data, Mapping) else getattr(data, name, None)


def _given(data: Any, name: str) -> bool:
    if isinstance(data, Mapping):
        return name in data
    return name in getattr(data, "model_fields_set", ())
