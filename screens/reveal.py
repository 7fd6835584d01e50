"""Revealing the masked identifiers of one entry (docs/privacy.md): the dialog that asks for
a reason and writes the ``audit.reveal`` event, and what a screen offers to reveal.

The event names the incident, the entry (a timeline event's id, or the incident's title and
summary fields), the reason and the kinds of identifiers; never their values. The reveal
lasts for the screen that asked for it: the screen keeps it in its own state, and leaving
the screen or selecting another incident forgets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Input, Select

from data.engine.models import AuditReveal, Draft, IdentifierKind
from data.engine.store import IncidentRecord
from data.incidents.views import TimelineEntry
from data.privacy.mask import kinds as identifier_kinds
from data.privacy.text import clean
from screens.dialogs import FieldError, FormDialog, given

FIELDS_TARGET = "__fields__"  # the Select value of the incident's title and summary
MAX_TARGETS = 60  # the most recent entries offered (older ones: the incident screen has all)


@dataclass(frozen=True)
class Target:
    """One entry that holds masked identifiers."""

    value: str  # an event id, or FIELDS_TARGET
    label: str  # as shown (masked)
    kinds: tuple[str, ...]
    fields: tuple[str, ...] = ()  # for FIELDS_TARGET: which fields hold identifiers


def entry_targets(entries: tuple[TimelineEntry, ...]) -> list[Target]:
    """The timeline entries that hold identifiers, newest first."""
    out = []
    for e in reversed(entries):
        if not e.id:
            continue
        found = identifier_kinds(clean(e.text, reveal=True))
        if found:
            when = e.ts.strftime("%H:%MZ") if e.ts else clean(e.ts_text, 25)
            out.append(Target(e.id, f"{when} {clean(e.actor, 16)}: {clean(e.text, 60)}", tuple(found)))
            if len(out) >= MAX_TARGETS:
                break
    return out


def field_target(incident: IncidentRecord) -> Target | None:
    """The incident's title and summary, if they hold identifiers."""
    kinds: set[str] = set()
    fields = []
    for name in ("title", "summary"):
        value = getattr(incident, name)
        if isinstance(value, str):
            found = identifier_kinds(clean(value, reveal=True))
            if found:
                fields.append(name)
                kinds.update(found)
    if not fields:
        return None
    order = ("email", "handle", "phone", "ip", "account")
    return Target(
        FIELDS_TARGET,
        f"The incident's {' and '.join(fields)}: {clean(incident.title, 50)}",
        tuple(k for k in order if k in kinds),
        tuple(fields),
    )


class RevealDialog(FormDialog):
    """Which entry, and why. Submitting writes ``audit.reveal``; the caller then shows that
    entry unmasked (``self.target``)."""

    TITLE = "Reveal identifiers"
    SUBMIT = "Reveal (Enter)"
    MEMBERS = {
        ("data", "reason"): "reason",
        ("data", "entry"): "target",
        ("data", "fields"): "target",
        ("data", "kinds"): "target",
    }

    def __init__(self, incident: str, targets: list[Target]) -> None:
        super().__init__(incident, {})
        self.targets = {t.value: t for t in targets}
        self.target: Target | None = None

    def subtitle(self) -> str:
        return f"Incident {self.incident} · audited (who, when, which entry, why; never the values)"

    def fields(self) -> ComposeResult:
        options = [(Text(t.label + f"  [{', '.join(t.kinds)}]"), t.value) for t in self.targets.values()]
        first = next(iter(self.targets))
        yield from self.labelled(
            "Entry (masked here)", Select(options, id="target", value=first, allow_blank=False)
        )
        yield from self.labelled(
            "Reason (why you need to see them: the case, the request, the check)", Input(id="reason")
        )

    def build(self) -> list[Draft]:
        target = self.targets.get(self.value("target"))
        if target is None:
            raise FieldError("target", "choose an entry")
        reason = self.value("reason").strip()
        if not reason:
            raise FieldError("reason", "give a reason: revealing is audited")
        if target.value == FIELDS_TARGET:
            which = given(fields=list(target.fields))
        else:
            which = given(entry=target.value)
        assert self.incident is not None  # (a reveal is always of an incident)
        kinds = cast("list[IdentifierKind]", list(target.kinds))  # (found by data.privacy.mask.kinds)
        reveal = AuditReveal(incident=self.incident, reason=reason, kinds=kinds, **which)
        self.target = target
        return [Draft(reveal)]
