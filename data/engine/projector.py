"""The projection: journal lines in, store rows out. Pure, deterministic, no I/O of its own.

A :class:`Projector` takes spans of lines (:class:`~data.engine.journal.Span`) in journal order, checks
the chain, validates each line, applies it to its in-memory view of the state, and gathers
the rows the store must write for the batch (:class:`Batch`). State it has not seen yet it
asks its :class:`Loader` for (the store, reading its own tables), unless it is
*authoritative*: built from an empty store, it then knows everything and asks nothing.

The same rules decide what the append command refuses (:meth:`Projector.check`), so a line
the command writes is a line every reader applies.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol, assert_never, cast, get_args

import orjson

from data.engine.access import Access, batch_refusals, may_act
from data.engine.chain import chain_reason
from data.engine.journal import Span
from data.engine.models import (
    MAX_LINE_BYTES,
    NOT_OBJECT,
    SCOPED_PREFIXES,
    TERMINAL_STATUSES,
    UPDATE_KIND,
    AuditRevealEvent,
    AuditUnmaskedExportEvent,
    ChecklistAddedEvent,
    ChecklistAddedExtension,
    ChecklistRetimedEvent,
    ChecklistSetEvent,
    DecisionRecordedEvent,
    DisclosureRecordedEvent,
    Envelope,
    Event,
    GlobalEvent,
    HandoffAcknowledgedEvent,
    HandoffSubmittedEvent,
    IncidentActionEvent,
    IncidentEvent,
    IncidentLinkedEvent,
    IncidentNoteEvent,
    IncidentOpenedEvent,
    IncidentParticipantAddedEvent,
    IncidentParticipantRemovedEvent,
    IncidentRoleSetEvent,
    IncidentSeveritySetEvent,
    IncidentStatusSetEvent,
    IncidentUpdatedEvent,
    PageDeliveredEvent,
    PageSentEvent,
    PostmortemActionAddedEvent,
    PostmortemActionSetEvent,
    PostmortemEvent,
    PostmortemMeetingEvent,
    PostmortemPinSetEvent,
    PostmortemSectionSetEvent,
    PostmortemStatusSetEvent,
    Problem,
    ResponseDraftedEvent,
    ResponseEvent,
    ResponseReviewedEvent,
    ResponseSentEvent,
    RosterOverrideEvent,
    RosterPersonEvent,
    RosterRotationEvent,
    SignalPayloadEvent,
    SignalReceivedEvent,
    SignalTriagedEvent,
    UnknownEvent,
    inspect_line,
    parse_rfc3339,
    read_extension,
)

COUNTERS = ("lines", "applied", "unknown", "duplicates", "quarantined", "chain_breaks")

_STAGE = {
    "new": 0,
    "triaged": 1,
    "investigating": 2,
    "mitigating": 3,
    "contained": 4,
    "monitoring": 5,
    "resolved": 6,
    "closed": 7,
    "false_positive": 7,
    "merged": 7,
}
_CONTAINED = frozenset({"contained", "monitoring", "resolved", "closed"})
_RESOLVED = frozenset({"resolved", "closed"})


@dataclass(slots=True)
class Incident:
    """The current state of one incident (a row of ``incidents``) plus its open roles."""

    id: str
    title: str
    category: str
    severity: int
    source: str
    regions: list[str]
    summary: str | None
    restricted: bool
    status: str
    roles: dict[str, str]
    detected_at: str | None
    opened_at: str
    opened_by: str
    opened_seq: int
    acknowledged_at: str | None = None
    contained_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    updated_at: str = ""
    last_seq: int = 0
    events: int = 0
    last_update_at: str | None = None  # the last stakeholder update (an extension: docs/journal.md)
    acknowledged_severity: int | None = None  # the response target it was held to
    #: who may see its details besides the role holders, in the order they were added
    #: (``incident.participant_added``, an extension: docs/journal.md)
    participants: list[str] = field(default_factory=list)
    #: role -> (person, start_seq, start_ts, start_actor) of the current holders
    open_roles: dict[str, tuple[str, int, str, str]] = field(default_factory=dict)

    def row(self) -> tuple[Any, ...]:
        """The ``incidents`` row, in the table's column order."""
        return (
            self.id, self.title, self.category, self.severity, self.source,
            orjson.dumps(self.regions).decode(), self.summary, self.restricted, self.status,
            orjson.dumps(self.roles).decode(), self.detected_at, self.opened_at, self.opened_by,
            self.opened_seq, self.acknowledged_at, self.contained_at, self.resolved_at,
            self.closed_at, self.updated_at, self.last_seq, self.events, self.last_update_at,
            self.acknowledged_severity, orjson.dumps(self.participants).decode(),
        )  # fmt: skip


#: the ``incidents`` columns, in order (as :meth:`Incident.row` gives them)
INCIDENT_COLUMNS = tuple(f.name for f in fields(Incident) if f.name != "open_roles")


@dataclass(frozen=True, slots=True)
class Item:
    """The current state of one checklist item (a row of ``checklist``, in its order): what
    the projector keeps and writes, and what the reads give (``data.incidents.queries.ItemRow``).
    Frozen: setting its state makes a new one (:meth:`set_to`)."""

    incident: str
    item: str
    text: str
    team: str
    due: str | None
    basis: str | None
    template: str | None
    state: str
    note: str | None
    state_by: str | None
    state_at: str | None
    added_seq: int
    added_by: str
    added_at: str
    step: str | None = None  # the template item it comes from (extension members: docs/sop.md)
    trigger_kind: str | None = None
    trigger_at: str | None = None
    trigger_ref: str | None = None
    hold: bool = False
    calendar: str | None = None

    def row(self) -> tuple[Any, ...]:
        return (
            self.incident, self.item, self.text, self.team, self.due, self.basis, self.template,
            self.state, self.note, self.state_by, self.state_at, self.added_seq, self.added_by,
            self.added_at, self.step, self.trigger_kind, self.trigger_at, self.trigger_ref, self.hold,
            self.calendar,
        )  # fmt: skip

    def set_to(self, state: str, note: str | None, by: str, at: str) -> Item:
        """This item with its state set (``checklist.item_set`` by ``by`` at ``at``)."""
        return Item(
            self.incident, self.item, self.text, self.team, self.due, self.basis, self.template,
            state, note, by, at, self.added_seq, self.added_by, self.added_at, self.step,
            self.trigger_kind, self.trigger_at, self.trigger_ref, self.hold, self.calendar,
        )  # fmt: skip

    def due_at(self, due: str) -> Item:
        """This item with its due time moved (``checklist.retimed``)."""
        return dataclasses.replace(self, due=due)


ITEM_COLUMNS = tuple(f.name for f in fields(Item))


@dataclass(frozen=True, slots=True)
class PmAction:
    """One post-mortem action item (a row of ``postmortem_actions``, in its order): what the
    projector keeps and writes, and what ``data.postmortem.queries.postmortem`` gives.
    Frozen: setting its state makes a new one (:meth:`set_to`)."""

    incident: str
    action: str
    kind: str
    text: str
    owner: str
    due: str | None
    state: str
    note: str | None
    state_by: str | None
    state_at: str | None
    added_seq: int
    added_by: str
    added_at: str

    def row(self) -> tuple[Any, ...]:
        return (
            self.incident, self.action, self.kind, self.text, self.owner, self.due, self.state,
            self.note, self.state_by, self.state_at, self.added_seq, self.added_by, self.added_at,
        )  # fmt: skip

    def set_to(self, state: str, note: str | None, by: str, at: str) -> PmAction:
        """This action with its state set (``postmortem.action_set`` by ``by`` at ``at``)."""
        return PmAction(
            self.incident, self.action, self.kind, self.text, self.owner, self.due, state, note,
            by, at, self.added_seq, self.added_by, self.added_at,
        )  # fmt: skip


PM_ACTION_COLUMNS = tuple(f.name for f in fields(PmAction))


@dataclass(frozen=True, slots=True)
class Decision:
    """One recorded decision (a row of ``decisions``, in its order; docs/decisions.md):
    ``options`` and ``approvers`` as JSON text, ``superseded_by`` the id of the latest
    decision that supersedes it (None: in force)."""

    incident: str
    decision: str
    text: str
    options: str  # JSON list of strings
    rationale: str
    approvers: str  # JSON list of {"person", "role"}
    basis: str | None
    reversible: bool
    supersedes: str | None
    superseded_by: str | None
    seq: int
    event: str
    actor: str
    ts: str

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in DECISION_COLUMNS)


DECISION_COLUMNS = tuple(f.name for f in fields(Decision))


@dataclass(frozen=True, slots=True)
class Response:
    """One written response (a row of ``responses``, in its order): its latest draft, the
    review of that draft, and its sending (docs/disclosures.md). ``approved``: the latest
    draft has an approving review by someone other than its drafter who held the
    incident's ``legal`` role at the time."""

    incident: str
    response: str
    template: str
    agency: str
    agency_type: str
    country: str
    channel: str
    text: str
    drafted_by: str
    drafted_at: str
    drafted_seq: int
    drafts: int
    verdict: str | None = None
    reviewed_by: str | None = None
    reviewed_at: str | None = None
    review_note: str | None = None
    approved: bool = False
    sent_sha256: str | None = None
    sent_channel: str | None = None
    sent_by: str | None = None
    sent_at: str | None = None
    sent_seq: int | None = None

    def row(self) -> tuple[Any, ...]:
        return dataclasses.astuple(self)


RESPONSE_COLUMNS = tuple(f.name for f in fields(Response))


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal (a row of ``signals``; docs/intake.md): what was received, and what triage
    did with it. ``accounts``, ``urls`` and ``attachments`` are JSON text."""

    signal: str
    channel: str
    ref: str | None
    received_at: str
    title: str
    body: str
    body_truncated: bool
    reporter: str | None
    accounts: str
    urls: str
    attachments: str
    raw_type: str
    raw_size: int
    raw_sha256: str
    raw_parts: int
    repeat_of: str | None
    repeats: int
    last_received_at: str
    status: str  # untriaged, repeat, or the latest outcome (SIGNAL_OUTCOMES; reopened: untriaged)
    incident: str | None
    duplicate_of: str | None
    reason: str | None
    until: str | None
    triaged_by: str | None
    triaged_at: str | None
    first_triaged_at: str | None
    seq: int
    event: str
    actor: str
    ts: str
    triaged_seq: int | None = None  # the line of the latest triage (the incident timeline's place)

    def row(self) -> tuple[Any, ...]:
        return dataclasses.astuple(self)


SIGNAL_COLUMNS = tuple(f.name for f in fields(Signal))


def _instant(value: str) -> datetime:
    return parse_rfc3339(value)


def review_refusal(drafter: str, reviewer: str, legal: str | None) -> str | None:
    """Why ``reviewer`` may not review a draft by ``drafter`` (None: they may)."""
    if reviewer == drafter:
        return f"{reviewer} drafted this response: a second person must review it"
    if legal != reviewer:
        holder = f" (it is {legal})" if legal else " (nobody holds it)"
        return f"{reviewer} does not hold this incident's legal role{holder}"
    return None


class Loader(Protocol):
    """Where a projector that is not authoritative finds state it has not seen."""

    def incident(self, incident_id: str) -> Incident | None: ...

    def item(self, incident_id: str, item: str) -> Item | None: ...

    def pm_action(self, incident_id: str, action: str) -> PmAction | None: ...

    def decision(self, incident_id: str, decision: str) -> Decision | None: ...
    def response(self, incident_id: str, response: str) -> Response | None: ...
    def signal(self, signal: str) -> Signal | None: ...
    def signal_by_ref(self, channel: str, ref: str) -> Signal | None: ...
    def signal_parts(self, signal: str) -> set[int]: ...

    def event_incident(self, event_id: str) -> str | None:
        """The incident of an applied event (None: no such event, or not an incident's)."""
        ...

    def links(self, incident_id: str) -> list[tuple[str, str, str]]:
        """The current links of an incident, either way: (incident, other, kind) as written."""
        ...

    def seen_ids(self, ids: Sequence[str]) -> set[str]: ...


@dataclass
class Batch:
    """The rows one batch of lines produces, ready to be written in one transaction."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    quarantine: list[tuple[Any, ...]] = field(default_factory=list)
    chain_breaks: list[tuple[int, str]] = field(default_factory=list)
    incidents: dict[str, Incident] = field(default_factory=dict)
    roles: dict[tuple[str, str, int], tuple[Any, ...]] = field(default_factory=dict)
    items: dict[tuple[str, str], Item] = field(default_factory=dict)
    item_history: list[tuple[Any, ...]] = field(default_factory=list)
    people: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    rotations: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    overrides: list[tuple[Any, ...]] = field(default_factory=list)
    handoffs: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    pm_status: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    pm_sections: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    pm_actions: dict[tuple[str, str], PmAction] = field(default_factory=dict)
    pm_pins: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    pm_meetings: list[tuple[Any, ...]] = field(default_factory=list)
    decisions: dict[tuple[str, str], Decision] = field(default_factory=dict)
    audits: list[tuple[Any, ...]] = field(default_factory=list)
    responses: dict[tuple[str, str], Response] = field(default_factory=dict)
    disclosures: list[tuple[Any, ...]] = field(default_factory=list)
    signals: dict[str, Signal] = field(default_factory=dict)
    signal_parts: list[tuple[Any, ...]] = field(default_factory=list)
    #: (low, high) -> the latest link between two incidents (docs/links.md)
    links: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))

    def __len__(self) -> int:
        return self.counts["lines"]

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows to write, by table, as plain tuples (picklable, frozen in time)."""
        return {
            "events": self.events,
            "quarantine": self.quarantine,
            "chain_breaks": self.chain_breaks,
            "incidents": [inc.row() for inc in self.incidents.values()],
            "role_history": list(self.roles.values()),
            "checklist": [item.row() for item in self.items.values()],
            "checklist_history": self.item_history,
            "roster_people": list(self.people.values()),
            "rotations": list(self.rotations.values()),
            "overrides": self.overrides,
            "handoffs": self.handoffs,
            "postmortem_status": list(self.pm_status.values()),
            "postmortem_sections": list(self.pm_sections.values()),
            "postmortem_actions": [a.row() for a in self.pm_actions.values()],
            "postmortem_pins": list(self.pm_pins.values()),
            "postmortem_meetings": self.pm_meetings,
            "decisions": [d.row() for d in self.decisions.values()],
            "audits": self.audits,
            "responses": [r.row() for r in self.responses.values()],
            "disclosures": self.disclosures,
            "signals": [sig.row() for sig in self.signals.values()],
            "signal_parts": self.signal_parts,
            "incident_links": list(self.links.values()),
        }


class Rejected(Exception):
    """A line a reader would quarantine for what it says (not for its shape)."""


class Projector:
    """Applies journal lines to the state, batch by batch.

    ``last_hash`` is the hash of the line before the next one (the expected ``prev``),
    ``line`` the number of lines seen.
    """

    def __init__(
        self,
        loader: Loader | None,
        *,
        authoritative: bool,
        line: int = 0,
        last_hash: str | None = None,
        track_ids: bool = False,
    ) -> None:
        self.loader = loader
        self.authoritative = authoritative or loader is None
        self.line = line
        self.last_hash = last_hash
        #: ids this projector stored, span by span, when it must know them without asking
        #: the store (a pipeline stage runs ahead of what the store has committed); the
        #: oldest spans may be forgotten once the store surely has them
        self.recent: deque[set[str]] | None = deque() if (track_ids or loader is None) else None
        self.known: set[str] = set()  # the union of ``recent``
        self.forgot = False
        self._incidents: dict[str, Incident | None] = {}
        self._items: dict[tuple[str, str], Item | None] = {}
        self._pm_actions: dict[tuple[str, str], PmAction | None] = {}
        self._decisions: dict[tuple[str, str], Decision | None] = {}
        self._responses: dict[tuple[str, str], Response | None] = {}
        self._signals: dict[str, Signal | None] = {}
        self._signal_refs: dict[tuple[str, str], str | None] = {}  # (channel, ref) -> first signal
        self._signal_parts: dict[str, set[int]] = {}

    # --- state lookup ----------------------------------------------------------------

    def incident(self, incident_id: str) -> Incident | None:
        try:
            return self._incidents[incident_id]
        except KeyError:
            pass
        found = None if self.authoritative else self.loader.incident(incident_id)  # type: ignore[union-attr]
        self._incidents[incident_id] = found
        return found

    def item(self, incident_id: str, item_id: str) -> Item | None:
        key = (incident_id, item_id)
        try:
            return self._items[key]
        except KeyError:
            pass
        found = None if self.authoritative else self.loader.item(incident_id, item_id)  # type: ignore[union-attr]
        self._items[key] = found
        return found

    def pm_action(self, incident_id: str, action: str) -> PmAction | None:
        key = (incident_id, action)
        try:
            return self._pm_actions[key]
        except KeyError:
            pass
        found = None if self.authoritative else self.loader.pm_action(incident_id, action)  # type: ignore[union-attr]
        self._pm_actions[key] = found
        return found

    def decision(self, incident_id: str, decision: str) -> Decision | None:
        key = (incident_id, decision)
        try:
            return self._decisions[key]
        except KeyError:
            pass
        found = None if self.authoritative else self.loader.decision(incident_id, decision)  # type: ignore[union-attr]
        self._decisions[key] = found
        return found

    def response(self, incident_id: str, response: str) -> Response | None:
        key = (incident_id, response)
        try:
            return self._responses[key]
        except KeyError:
            pass
        found = None if self.authoritative else self.loader.response(incident_id, response)  # type: ignore[union-attr]
        self._responses[key] = found
        return found

    def signal(self, signal: str) -> Signal | None:
        try:
            return self._signals[signal]
        except KeyError:
            pass
        found = None if self.authoritative else self.loader.signal(signal)  # type: ignore[union-attr]
        self._signals[signal] = found
        return found

    def signal_by_ref(self, channel: str, ref: str) -> Signal | None:
        """The first signal received with ``channel`` and ``ref`` (None: none yet)."""
        key = (channel, ref)
        try:
            first = self._signal_refs[key]
        except KeyError:
            found = None if self.authoritative else self.loader.signal_by_ref(channel, ref)  # type: ignore[union-attr]
            self._signal_refs[key] = first = found.signal if found is not None else None
            if found is not None:
                self._signals.setdefault(found.signal, found)
        return None if first is None else self.signal(first)

    def signal_parts(self, signal: str) -> set[int]:
        """The payload parts of ``signal`` applied so far (0: the inline one)."""
        try:
            return self._signal_parts[signal]
        except KeyError:
            pass
        found = set() if self.authoritative else self.loader.signal_parts(signal)  # type: ignore[union-attr]
        self._signal_parts[signal] = found
        return found

    # --- the batch -------------------------------------------------------------------

    def project(self, span: Span) -> Batch:
        """Project a span of consecutive lines; the state moves on past them."""
        collecting = gc.isenabled()
        gc.disable()  # thousands of short-lived objects a span: no collector pauses meanwhile
        try:
            return self._project(span)
        finally:
            if collecting:
                gc.enable()

    def _project(self, span: Span) -> Batch:
        batch = Batch()
        counts = batch.counts
        quarantine = batch.quarantine
        events = batch.events
        sha256 = hashlib.sha256
        long = span.long
        broken = span.broken  # lines of a batch never completely written (docs/journal.md)
        # pass 1: chain and shape (no state involved)
        checked: list[tuple[int, int, bytes, int, Envelope | None, str | None]] = []
        digest: str
        error: str | None
        expected: str | None = self.last_hash
        line = span.line
        pos = span.start
        for i, raw in enumerate(span.raws):
            if i in long:
                digest, size = long[i]
            else:
                size = len(raw)
                digest = sha256(raw).hexdigest()
            if size > MAX_LINE_BYTES:
                event, error, prev = _inspect_oversize(raw, size)
            else:
                event, error, prev = inspect_line(raw)
            if prev != expected and prev is not NOT_OBJECT:
                batch.chain_breaks.append((line, chain_reason(line, prev, expected)))
            if broken and i in broken:  # quarantined whole, whatever the line holds
                event, error = None, broken[i]
            checked.append((line, pos, raw, size, event, error))
            expected = digest
            pos += size + 1
            line += 1
        # pass 2: state, in order
        seen = self._seen([c[4].id for c in checked if c[4] is not None])
        apply = self._apply
        for line, pos, raw, size, event, error in checked:
            if event is None:
                quarantine.append((line, pos, size, error, raw[:MAX_LINE_BYTES]))
                continue
            eid = event.id
            if eid in seen:
                counts["duplicates"] += 1
                continue
            t = event.type
            incident = event.incident if t.startswith(SCOPED_PREFIXES) else None
            if isinstance(event, UnknownEvent):
                events.append((line, eid, event.ts, event.actor, t, incident, False, raw))
                counts["unknown"] += 1
            else:
                try:
                    apply(event, line, batch, raw)
                except Rejected as exc:
                    quarantine.append((line, pos, size, str(exc), raw[:MAX_LINE_BYTES]))
                    continue
                events.append((line, eid, event.ts, event.actor, t, incident, True, raw))
                counts["applied"] += 1
            seen.add(eid)
        if self.recent is not None:
            stored = {e[1] for e in events}
            self.recent.append(stored)
            self.known |= stored
        counts["lines"] = len(span.raws)
        counts["quarantined"] = len(quarantine)
        counts["chain_breaks"] = len(batch.chain_breaks)
        self.line = span.line + len(span.raws) - 1 if span.raws else self.line
        self.last_hash = expected
        return batch

    def _seen(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` were stored before (by anyone)."""
        if not ids:
            return set()
        if self.recent is None:
            return self.loader.seen_ids(ids) if self.loader is not None else set()
        known = self.known
        seen = {i for i in ids if i in known}
        if self.loader is not None and (self.forgot or not self.authoritative):
            rest = [i for i in ids if i not in seen]
            if rest:
                seen |= self.loader.seen_ids(rest)
        return seen

    def forget_oldest(self) -> None:
        """Forget the ids of the oldest span remembered: the store has committed them, so
        the loader answers for them from now on (bounded memory in long rebuilds)."""
        if self.recent:
            self.known -= self.recent.popleft()
            self.forgot = True

    # --- what the append command refuses ---------------------------------------------

    def check(self, events: Sequence[Envelope]) -> list[Problem]:
        """What a reader would quarantine among ``events`` if they were appended now, in
        order, after everything this projector has seen, and what need-to-know refuses;
        returns one :class:`Problem` each (``index`` in ``events``), in order. The
        projector's state is left as it was."""
        problems: list[Problem] = []
        opened: set[str] = set()
        added: set[tuple[str, str]] = set()
        pm_added: set[tuple[str, str]] = set()
        decided: dict[tuple[str, str], str | None] = {}  # (incident, id) -> superseded by, in the batch
        batch_events: dict[str, str] = {}  # id -> incident, of the events before in the batch
        responses: dict[tuple[str, str], Response | None] = {}  # as the batch leaves them
        legal: dict[str, str | None] = {}  # incident -> the legal role, as the batch leaves it
        linked: dict[tuple[str, str], tuple[str, str, str]] = {}  # the links the batch writes

        def refuse(n: int, field: tuple[str, ...], message: str) -> None:
            problems.append(Problem(index=n, event=events[n].id, field=field, message=message))

        received: dict[str, int] = {}  # signal -> its parts, received in the batch
        parts: dict[str, set[int]] = {}  # signal -> the parts written in the batch

        for n, event in enumerate(events):
            if isinstance(event, SignalReceivedEvent | SignalPayloadEvent | SignalTriagedEvent):
                for at, message in self._signal_refusals(event, received, parts, opened):
                    refuse(n, at, message)
                continue
            if isinstance(event, UnknownEvent) or not isinstance(event, IncidentEvent):
                continue
            batch_events.setdefault(event.id, event.incident)
            inc = event.incident
            exists = inc in opened or self.incident(inc) is not None
            if isinstance(event, IncidentOpenedEvent):
                if exists:
                    refuse(n, ("incident",), f"incident {inc} was already opened")
                opened.add(inc)
                continue
            if not exists:
                refuse(n, ("incident",), f"incident {inc} was never opened")
                continue
            match event:
                case ChecklistAddedEvent(data=ca):
                    key = (inc, ca.item)
                    if key in added or self.item(*key) is not None:
                        refuse(n, ("data", "item"), f"checklist item {key[1]!r} of {inc} was already added")
                    added.add(key)
                case ChecklistSetEvent(data=cs):
                    key = (inc, cs.item)
                    if key not in added and self.item(*key) is None:
                        refuse(n, ("data", "item"), f"checklist item {key[1]!r} of {inc} was never added")
                case ChecklistRetimedEvent(data=cr):
                    key = (inc, cr.item)
                    if key not in added and self.item(*key) is None:
                        refuse(n, ("data", "item"), f"checklist item {key[1]!r} of {inc} was never added")
                case PostmortemActionAddedEvent(data=pa):
                    key = (inc, pa.action)
                    if key in pm_added or self.pm_action(*key) is not None:
                        refuse(
                            n, ("data", "action"), f"post-mortem action {key[1]!r} of {inc} was already added"
                        )
                    pm_added.add(key)
                case PostmortemActionSetEvent(data=ps):
                    key = (inc, ps.action)
                    if key not in pm_added and self.pm_action(*key) is None:
                        refuse(
                            n, ("data", "action"), f"post-mortem action {key[1]!r} of {inc} was never added"
                        )
                case DecisionRecordedEvent(data=dr):
                    for at, message in self._decision_refusals(inc, dr.decision, dr.supersedes, decided):
                        refuse(n, at, message)
                    decided[(inc, dr.decision)] = None
                    if dr.supersedes is not None:
                        decided[(inc, dr.supersedes)] = dr.decision
                case PostmortemPinSetEvent(data=pin):
                    # stricter than a reader (which applies any pin): refuse a pin of an event
                    # that is not on this incident's timeline (docs/postmortem.md)
                    target = pin.event
                    owner = batch_events.get(target) if target != event.id else None
                    if owner is None and self.loader is not None:
                        owner = self.loader.event_incident(target)
                    if owner != inc:
                        refuse(n, ("data", "event"), f"event {target} is not on the timeline of {inc}")
                case IncidentLinkedEvent(data=ln):
                    for why in self._link_refusals(event, opened, linked):
                        refuse(n, ("data", "other"), why)
                    linked[link_key(inc, ln.other)] = (inc, ln.other, ln.kind)
                case IncidentRoleSetEvent(data=rs) if rs.role == "legal":
                    legal[inc] = rs.person
                case ResponseDraftedEvent() | ResponseReviewedEvent() | ResponseSentEvent():
                    key = (inc, event.data.response)
                    current = responses[key] if key in responses else self.response(*key)
                    if inc not in legal:
                        found = self.incident(inc)
                        legal[inc] = found.roles.get("legal") if found is not None else None
                    for field_, why in _response_refusals(event, current, legal[inc]):
                        refuse(n, ("data", field_), why)
                    responses[key] = _next_response(event, current, n, legal[inc])
                case DisclosureRecordedEvent(data=dr) if dr.response is not None:
                    key = (inc, dr.response)
                    if (responses[key] if key in responses else self.response(*key)) is None:
                        refuse(
                            n, ("data", "response"), f"response {dr.response!r} of {inc} was never drafted"
                        )
        # stricter than a reader (which applies what anyone writes): need-to-know, the rule
        # the console's keys apply too (data/engine/access.py, docs/observer.md)
        for n, why in batch_refusals(events, self._access):
            refuse(n, (), why)
        return sorted(problems, key=lambda p: (p.index, p.message))

    def _signal_refusals(
        self,
        event: SignalReceivedEvent | SignalPayloadEvent | SignalTriagedEvent,
        received: dict[str, int],
        parts: dict[str, set[int]],
        opened: set[str],
    ) -> list[tuple[tuple[str, ...], str]]:
        """Why a signal event would be quarantined by a reader (:meth:`_apply_signal`),
        given the signals received and the parts written earlier in the batch."""
        out: list[tuple[tuple[str, ...], str]] = []

        def raw_parts(signal: str) -> int | None:
            if signal in received:
                return received[signal]
            found = self.signal(signal)
            return None if found is None else found.raw_parts

        match event:
            case SignalReceivedEvent(data=d):
                if raw_parts(d.signal) is not None:
                    out.append((("data", "signal"), f"signal {d.signal} was already received"))
                received[d.signal] = d.raw_parts
                parts[d.signal] = set()
            case SignalPayloadEvent(data=p):
                count = raw_parts(p.signal)
                if count is None:
                    out.append((("data", "signal"), f"signal {p.signal} was never received"))
                elif p.part > count:
                    out.append(
                        (("data", "part"), f"signal {p.signal} has {count} payload parts, not {p.part}")
                    )
                else:
                    done = parts.setdefault(p.signal, set())
                    if p.part in done or (p.signal not in received and p.part in self.signal_parts(p.signal)):
                        out.append(
                            (("data", "part"), f"part {p.part} of signal {p.signal} was already written")
                        )
                    done.add(p.part)
            case SignalTriagedEvent(data=t):
                if raw_parts(t.signal) is None:
                    out.append((("data", "signal"), f"signal {t.signal} was never received"))
                if t.incident is not None and t.incident not in opened and self.incident(t.incident) is None:
                    out.append((("data", "incident"), f"incident {t.incident} was never opened"))
                if t.duplicate_of is not None and raw_parts(t.duplicate_of) is None:
                    out.append((("data", "duplicate_of"), f"signal {t.duplicate_of} was never received"))
            case _:
                assert_never(event)
        return out

    def _decision_refusals(
        self, inc: str, decision: str, supersedes: str | None, decided: dict[tuple[str, str], str | None]
    ) -> list[tuple[tuple[str, ...], str]]:
        """Why a ``decision.recorded`` would be refused: its id used before in the incident,
        or a ``supersedes`` that names no earlier decision (both quarantined by a reader); or,
        stricter than a reader, one that names a decision already superseded (supersede the
        one in force instead)."""
        out: list[tuple[tuple[str, ...], str]] = []
        key = (inc, decision)
        if key in decided or self.decision(*key) is not None:
            out.append((("data", "decision"), f"decision {decision!r} of {inc} was already recorded"))
        if supersedes is not None:
            old = (inc, supersedes)
            found = self.decision(*old)
            if old not in decided and found is None:
                out.append((("data", "supersedes"), f"decision {supersedes!r} of {inc} was never recorded"))
            else:
                by = decided[old] if old in decided else found.superseded_by if found else None
                if by is not None:
                    out.append((("data", "supersedes"),
                                f"decision {supersedes!r} of {inc} is already superseded by {by!r}"))  # fmt: skip
        return out

    def _link_refusals(
        self, ev: IncidentLinkedEvent, opened: set[str], linked: dict[tuple[str, str], tuple[str, str, str]]
    ) -> list[str]:
        """Why an ``incident.linked`` would be refused (docs/links.md): a link to itself or to
        an incident never opened (a reader quarantines both); stricter than a reader, a link
        to a restricted incident by someone who may not act on it (its title is not told),
        and a parent/child or duplicate link that would make a cycle."""
        inc, other, kind = ev.incident, ev.data.other, ev.data.kind
        if other == inc:
            return [f"incident {inc} cannot be linked to itself"]
        found = self.incident(other)
        if other not in opened and found is None:
            return [f"incident {other} was never opened"]
        if found is not None:
            access = Access.of(found.id, found.restricted, found.roles, found.participants)
            if (why := may_act(access, ev.actor, ev.type)) is not None:
                return [why]
        edge = link_edge(inc, other, kind)
        if edge is not None:
            lower, upper, graph = edge
            if self._reaches(upper, lower, graph, linked, link_key(inc, other)):
                what = "a parent of itself" if graph == "tree" else "a duplicate of itself"
                return [f"linking {inc} to {other} as {kind} would make {inc} {what} (a cycle)"]
        return []

    def _reaches(
        self, start: str, goal: str, graph: str, linked: dict[tuple[str, str], tuple[str, str, str]],
        replaced: tuple[str, str],
    ) -> bool:  # fmt: skip
        """Whether ``goal`` is reached from ``start`` going up ``graph``'s edges (from a child
        to its parent, from a duplicate to what it duplicates), the batch's links over the
        journal's, the link between ``replaced`` left out (the new one replaces it)."""
        seen = {start}
        todo = [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            current: dict[tuple[str, str], tuple[str, str, str]] = {}
            for row in self.loader.links(node) if self.loader is not None else []:
                current[link_key(row[0], row[1])] = row
            for key, row in linked.items():
                if node in key:
                    current[key] = row
            current.pop(replaced, None)
            for a, b, kind in current.values():
                edge = link_edge(a, b, kind)
                if edge is not None and edge[2] == graph and edge[0] == node and edge[1] not in seen:
                    seen.add(edge[1])
                    todo.append(edge[1])
        return False

    def _access(self, incident_id: str) -> tuple[Access, dict[str, str]] | None:
        inc = self.incident(incident_id)
        if inc is None:
            return None
        return Access.of(inc.id, inc.restricted, inc.roles, inc.participants), inc.roles

    # --- applying one event ----------------------------------------------------------

    def _apply(self, ev: Event, seq: int, batch: Batch, raw: bytes = b"") -> None:
        if ev.__class__ in _INCIDENT_CLASSES:  # most lines: no walk down the patterns below
            self._apply_incident(cast(IncidentEvent, ev), seq, batch, raw)
            return
        # one branch per class of the union: mypy checks that none is missing (assert_never)
        match ev:
            case RosterPersonEvent(data=d):
                batch.people[d.handle] = (d.handle, d.name, d.team, d.region, d.tz, seq)
            case RosterRotationEvent(data=r):
                batch.rotations[r.rotation] = (
                    r.rotation,
                    r.team,
                    r.region,
                    r.tz,
                    orjson.dumps(r.days).decode(),
                    r.start,
                    float(r.hours),
                    orjson.dumps(r.members).decode(),
                    r.anchor,
                    r.turn_days or 7,
                    seq,
                )
            case RosterOverrideEvent(data=o):
                batch.overrides.append((seq, o.rotation, o.person, o.start, o.end, o.reason, ev.actor, ev.ts))
            case HandoffSubmittedEvent(data=h):
                batch.handoffs.append(
                    ("submitted", (h.handoff, h.from_, h.to, h.region, h.notes, ev.actor, ev.ts, seq))
                )
            case HandoffAcknowledgedEvent(data=a):
                batch.handoffs.append(("acknowledged", (a.handoff, a.readback, ev.actor, ev.ts, seq)))
            case AuditRevealEvent(data=rv):
                fields = orjson.dumps(rv.fields).decode() if rv.fields is not None else None
                batch.audits.append((seq, ev.id, ev.type, ev.actor, ev.ts, rv.incident, rv.entry, fields,
                                     rv.reason, orjson.dumps(rv.kinds).decode(), None, None, None))  # fmt: skip
            case AuditUnmaskedExportEvent(data=x):
                batch.audits.append((seq, ev.id, ev.type, ev.actor, ev.ts, x.incident, None, None, None, None,
                                     x.kind, x.format, x.region))  # fmt: skip
            case SignalReceivedEvent() | SignalPayloadEvent() | SignalTriagedEvent():
                self._apply_signal(ev, seq, batch)
            case _:
                self._apply_incident(ev, seq, batch, raw)

    def _apply_signal(
        self, ev: SignalReceivedEvent | SignalPayloadEvent | SignalTriagedEvent, seq: int, batch: Batch
    ) -> None:
        """A signal (docs/intake.md): received once per id, a repeat when its channel and
        ref were seen before; its payload's parts; what triage did with it."""
        match ev:
            case SignalReceivedEvent(data=d):
                if (found := self.signal(d.signal)) is not None:
                    raise Rejected(f"signal {d.signal} was already received (line {found.seq})")
                first = self.signal_by_ref(d.channel, d.ref) if d.ref is not None else None
                sig = Signal(
                    d.signal, d.channel, d.ref, d.received_at, d.title, d.body, d.body_truncated, d.reporter,
                    orjson.dumps(d.accounts).decode(), orjson.dumps(d.urls).decode(),
                    orjson.dumps([a.model_dump() for a in d.attachments]).decode(),
                    d.raw_type, d.raw_size, d.raw_sha256, d.raw_parts,
                    first.signal if first is not None else None, 0, d.received_at,
                    "repeat" if first is not None else "untriaged",
                    None, None, None, None, None, None, None, seq, ev.id, ev.actor, ev.ts,
                )  # fmt: skip
                self._signals[d.signal] = batch.signals[d.signal] = sig
                if first is not None:
                    latest = max(first.last_received_at, d.received_at, key=_instant)
                    self._signals[first.signal] = batch.signals[first.signal] = dataclasses.replace(
                        first, repeats=first.repeats + 1, last_received_at=latest
                    )
                elif d.ref is not None:
                    self._signal_refs[(d.channel, d.ref)] = d.signal
                if not d.raw_parts:
                    self._signal_parts[d.signal] = {0}
                    batch.signal_parts.append((d.signal, 0, d.raw, seq))
                else:
                    self._signal_parts[d.signal] = set()
            case SignalPayloadEvent(data=p):
                found = self.signal(p.signal)
                if found is None:
                    raise Rejected(f"signal {p.signal} was never received")
                if p.part > found.raw_parts:
                    raise Rejected(f"signal {p.signal} has {found.raw_parts} payload parts, not {p.part}")
                parts = self.signal_parts(p.signal)
                if p.part in parts:
                    raise Rejected(f"part {p.part} of the payload of signal {p.signal} was already written")
                parts.add(p.part)
                batch.signal_parts.append((p.signal, p.part, p.data, seq))
            case SignalTriagedEvent(data=t):
                found = self.signal(t.signal)
                if found is None:
                    raise Rejected(f"signal {t.signal} was never received")
                if t.incident is not None and self.incident(t.incident) is None:
                    raise Rejected(f"incident {t.incident} was never opened")
                if t.duplicate_of is not None and self.signal(t.duplicate_of) is None:
                    raise Rejected(f"signal {t.duplicate_of} was never received")
                reopened = t.outcome == "reopened"
                status = ("repeat" if found.repeat_of else "untriaged") if reopened else t.outcome
                sig = dataclasses.replace(
                    found, status=status, incident=t.incident, duplicate_of=t.duplicate_of, reason=t.reason,
                    until=t.until, triaged_by=ev.actor, triaged_at=ev.ts, triaged_seq=seq,
                    first_triaged_at=found.first_triaged_at or (None if reopened else ev.ts),
                )  # fmt: skip
                self._signals[t.signal] = batch.signals[t.signal] = sig
            case _:
                assert_never(ev)

    def _apply_incident(self, ev: IncidentEvent, seq: int, batch: Batch, raw: bytes = b"") -> None:
        inc_id = ev.incident
        inc = self.incident(inc_id)
        if isinstance(ev, IncidentOpenedEvent):
            if inc is not None:
                raise Rejected(f"incident {inc_id} was already opened (line {inc.opened_seq})")
            d = ev.data
            inc = Incident(
                id=inc_id,
                title=d.title,
                category=d.category,
                severity=d.severity,
                source=d.source,
                regions=list(d.regions),
                summary=d.summary,
                restricted=bool(d.restricted),
                status="new",
                roles={},
                detected_at=d.detected_at,
                opened_at=ev.ts,
                opened_by=ev.actor,
                opened_seq=seq,
                updated_at=ev.ts,
                last_seq=seq,
                events=1,
            )
            self._incidents[inc_id] = inc
            batch.incidents[inc_id] = inc
            return
        if inc is None:
            raise Rejected(f"incident {inc_id} was never opened")
        match ev:
            case IncidentNoteEvent() | PageSentEvent() | PageDeliveredEvent():
                pass  # the timeline entry is the event itself (pages: data/comms/escalation.py)
            case ChecklistAddedEvent() | ChecklistSetEvent() | ChecklistRetimedEvent():
                self._apply_checklist(ev, inc_id, seq, batch, raw)
            # the common kinds first: each pattern above a line's costs an isinstance
            case IncidentActionEvent(data=a):
                if a.kind == UPDATE_KIND:
                    inc.last_update_at = ev.ts
            case IncidentStatusSetEvent(data=st):
                _set_status(inc, st.status, ev.ts)
            case IncidentSeveritySetEvent(data=sv):
                inc.severity = sv.severity
            case IncidentRoleSetEvent(data=r):
                self._set_role(inc, r.role, r.person, ev, seq, batch)
            case (
                PostmortemSectionSetEvent() | PostmortemStatusSetEvent() | PostmortemPinSetEvent()
                | PostmortemMeetingEvent() | PostmortemActionAddedEvent() | PostmortemActionSetEvent()
            ):  # fmt: skip
                self._apply_postmortem(ev, inc_id, seq, batch)
            case DecisionRecordedEvent():
                self._apply_decision(ev, inc_id, seq, batch)
            case ResponseDraftedEvent() | ResponseReviewedEvent() | ResponseSentEvent():
                self._apply_response(ev, inc, seq, batch)
            case DisclosureRecordedEvent(data=dr):
                batch.disclosures.append((
                    seq, ev.id, inc_id, orjson.dumps(dr.categories).decode(), dr.account, dr.agency,
                    dr.agency_type, dr.country, dr.basis, orjson.dumps(dr.approved_by).decode(),
                    dr.response, ev.actor, ev.ts,
                ))  # fmt: skip
            case IncidentLinkedEvent(data=ln):
                if ln.other == inc_id:
                    raise Rejected(f"incident {inc_id} cannot be linked to itself")
                if self.incident(ln.other) is None:
                    raise Rejected(f"incident {ln.other} (linked from {inc_id}) was never opened")
                key = link_key(inc_id, ln.other)
                batch.links[key] = (*key, inc_id, ln.other, ln.kind, ln.note, ev.actor, ev.ts, seq)
            case IncidentParticipantAddedEvent(data=pa):
                if pa.person not in inc.participants:  # a second add changes nothing
                    inc.participants.append(pa.person)
            case IncidentParticipantRemovedEvent(data=pr):
                if pr.person in inc.participants:  # removing a non-participant changes nothing
                    inc.participants.remove(pr.person)
            case IncidentUpdatedEvent(data=u):
                given = u.model_fields_set
                for name in ("title", "summary", "category", "source", "restricted"):
                    if name in given:
                        setattr(inc, name, getattr(u, name))
                if "regions" in given:
                    inc.regions = list(u.regions)
            case _:
                assert_never(ev)
        inc.updated_at = ev.ts
        inc.last_seq = seq
        inc.events += 1
        batch.incidents[inc_id] = inc

    def _apply_checklist(
        self,
        ev: ChecklistAddedEvent | ChecklistSetEvent | ChecklistRetimedEvent,
        inc_id: str,
        seq: int,
        batch: Batch,
        raw: bytes = b"",
    ) -> None:
        key = (inc_id, ev.data.item)
        item = self.item(*key)
        match ev:
            case ChecklistAddedEvent(data=d):
                if item is not None:
                    raise Rejected(
                        f"checklist item {d.item!r} of {inc_id} was already added (line {item.added_seq})"
                    )
                ext = read_extension(ChecklistAddedExtension, _raw_data(raw))
                trigger = ext.trigger
                item = Item(
                    inc_id, d.item, d.text, d.team, d.due, d.basis, d.template,
                    "open", None, None, None, seq, ev.actor, ev.ts, ext.step,
                    trigger.kind if trigger else None, trigger.at if trigger else None,
                    trigger.ref if trigger else None, bool(ext.hold), ext.calendar,
                )  # fmt: skip
                self._items[key] = item
            case ChecklistRetimedEvent(data=r):
                if item is None:
                    raise Rejected(f"checklist item {r.item!r} of {inc_id} was never added")
                item = self._items[key] = item.due_at(r.due)
            case ChecklistSetEvent(data=s):
                if item is None:
                    raise Rejected(f"checklist item {s.item!r} of {inc_id} was never added")
                item = self._items[key] = item.set_to(s.state, s.note, ev.actor, ev.ts)
                batch.item_history.append((seq, inc_id, s.item, s.state, s.note, ev.actor, ev.ts))
            case _:
                assert_never(ev)
        batch.items[key] = item

    def _apply_postmortem(self, ev: PostmortemEvent, inc_id: str, seq: int, batch: Batch) -> None:
        """A post-mortem event (docs/postmortem.md): the latest status, section text and pin
        win; action items like checklist items (added once, set only once added)."""
        match ev:
            case PostmortemSectionSetEvent(data=d):
                batch.pm_sections[(inc_id, d.section)] = (inc_id, d.section, d.text, ev.actor, ev.ts, seq)
            case PostmortemStatusSetEvent(data=st):
                batch.pm_status[inc_id] = (inc_id, st.status, st.reason, ev.actor, ev.ts, seq)
            case PostmortemPinSetEvent(data=p):
                batch.pm_pins[(inc_id, p.event)] = (inc_id, p.event, p.pinned, ev.actor, ev.ts, seq)
            case PostmortemMeetingEvent(data=m):
                attendees = orjson.dumps(list(m.attendees or ())).decode()
                batch.pm_meetings.append((seq, inc_id, m.at, attendees, m.note, ev.actor, ev.ts))
            case PostmortemActionAddedEvent(data=a):
                key = (inc_id, a.action)
                found = self.pm_action(*key)
                if found is not None:
                    raise Rejected(
                        f"post-mortem action {a.action!r} of {inc_id} was already added (line {found.added_seq})"
                    )
                action = PmAction(
                    inc_id, a.action, a.kind, a.text, a.owner, a.due, "open", None, None, None,
                    seq, ev.actor, ev.ts,
                )  # fmt: skip
                self._pm_actions[key] = action
                batch.pm_actions[key] = action
            case PostmortemActionSetEvent(data=s):
                key = (inc_id, s.action)
                action_set = self.pm_action(*key)
                if action_set is None:
                    raise Rejected(f"post-mortem action {s.action!r} of {inc_id} was never added")
                action_set = self._pm_actions[key] = action_set.set_to(s.state, s.note, ev.actor, ev.ts)
                batch.pm_actions[key] = action_set
            case _:
                assert_never(ev)

    def _apply_decision(self, ev: DecisionRecordedEvent, inc_id: str, seq: int, batch: Batch) -> None:
        """A decision (docs/decisions.md): recorded once per id; one that ``supersedes``
        names an earlier decision of the incident, which is then marked superseded."""
        d = ev.data
        key = (inc_id, d.decision)
        found = self.decision(*key)
        if found is not None:
            raise Rejected(f"decision {d.decision!r} of {inc_id} was already recorded (line {found.seq})")
        old = None
        if d.supersedes is not None:
            old = self.decision(inc_id, d.supersedes)
            if old is None:
                raise Rejected(f"decision {d.supersedes!r} of {inc_id} was never recorded")
        approvers = [a.model_dump(mode="json") for a in d.approvers]
        decision = Decision(
            inc_id, d.decision, d.text, orjson.dumps(list(d.options)).decode(), d.rationale,
            orjson.dumps(approvers).decode(), d.basis, d.reversible, d.supersedes, None, seq, ev.id,
            ev.actor, ev.ts,
        )  # fmt: skip
        self._decisions[key] = batch.decisions[key] = decision
        if old is not None:
            old_key = (inc_id, old.decision)
            self._decisions[old_key] = batch.decisions[old_key] = dataclasses.replace(
                old, superseded_by=d.decision
            )

    def _apply_response(self, ev: ResponseEvent, inc: Incident, seq: int, batch: Batch) -> None:
        """A response's step (docs/disclosures.md): a review or a sending of a response never
        drafted, and a sending without an approving review of the latest draft, are
        quarantined."""
        key = (inc.id, ev.data.response)
        current = self.response(*key)
        if current is None and not isinstance(ev, ResponseDraftedEvent):
            raise Rejected(f"response {key[1]!r} of {inc.id} was never drafted")
        if isinstance(ev, ResponseSentEvent) and current is not None and not current.approved:
            raise Rejected(
                f"response {key[1]!r} of {inc.id} was sent without an approving review of its latest draft"
            )
        new = _next_response(ev, current, seq, inc.roles.get("legal"))
        assert new is not None
        self._responses[key] = new
        batch.responses[key] = new

    def _set_role(
        self, inc: Incident, role: str, person: str | None, ev: IncidentRoleSetEvent, seq: int, batch: Batch
    ) -> None:
        if person is not None and inc.acknowledged_at is None:
            inc.acknowledged_at = ev.ts
            inc.acknowledged_severity = inc.severity
        current = inc.open_roles.get(role)
        if current is not None and current[0] == person:
            return  # the same person again: history does not change
        if current is not None:
            holder, start_seq, start_ts, start_actor = current
            key = (inc.id, role, start_seq)
            batch.roles[key] = (*key, holder, start_ts, start_actor, seq, ev.ts, ev.actor)
            del inc.open_roles[role]
        if person is None:
            inc.roles.pop(role, None)
        else:
            inc.roles[role] = person
            inc.open_roles[role] = (person, seq, ev.ts, ev.actor)
            key = (inc.id, role, seq)
            batch.roles[key] = (*key, person, ev.ts, ev.actor, None, None, None)


#: the classes :meth:`Projector._apply` hands to ``_apply_incident`` (its ``case _``), by
#: exact class: a class pattern costs an ``isinstance`` each, ~2 µs a line for the global ones
_INCIDENT_CLASSES = frozenset(get_args(IncidentEvent)) - frozenset(get_args(GlobalEvent))


def link_key(a: str, b: str) -> tuple[str, str]:
    """The key of the link between two incidents, whichever way it was written."""
    return (a, b) if a < b else (b, a)


def link_edge(incident: str, other: str, kind: str) -> tuple[str, str, str] | None:
    """A link as an edge going up: (lower, upper, graph): a child to its parent (``tree``),
    a duplicate to what it duplicates (``dup``); None for a link that makes no order."""
    if kind == "parent":
        return (other, incident, "tree")
    if kind == "child":
        return (incident, other, "tree")
    if kind == "duplicate_of":
        return (incident, other, "dup")
    return None


def _next_response(
    ev: ResponseEvent, current: Response | None, seq: int, legal: str | None
) -> Response | None:
    """The response after ``ev`` (None: it stays never drafted)."""
    match ev:
        case ResponseDraftedEvent(data=d):
            return Response(
                ev.incident, d.response, d.template, d.agency, d.agency_type, d.country, d.channel, d.text,
                ev.actor, ev.ts, seq, (current.drafts if current is not None else 0) + 1,
            )  # fmt: skip
        case ResponseReviewedEvent(data=r):
            if current is None:
                return None
            ok = r.verdict == "approved" and review_refusal(current.drafted_by, r.reviewer, legal) is None
            return dataclasses.replace(
                current, verdict=r.verdict, reviewed_by=r.reviewer, reviewed_at=ev.ts, review_note=r.note,
                approved=ok,
            )  # fmt: skip
        case ResponseSentEvent(data=s):
            if current is None:
                return None
            return dataclasses.replace(
                current, sent_sha256=s.sha256, sent_channel=s.channel, sent_by=ev.actor,
                sent_at=s.at or ev.ts, sent_seq=seq,
            )  # fmt: skip
        case _:
            assert_never(ev)


def _response_refusals(
    ev: ResponseEvent, current: Response | None, legal: str | None
) -> list[tuple[str, str]]:
    """What the writer refuses of a response's step: (member, why)."""
    name = f"response {ev.data.response!r} of {ev.incident}"
    if isinstance(ev, ResponseDraftedEvent):
        if current is not None and current.sent_at is not None:
            return [("response", f"{name} was already sent: draft a new response")]
        return []
    if current is None:
        return [("response", f"{name} was never drafted")]
    if current.sent_at is not None:
        return [("response", f"{name} was already sent")]
    if isinstance(ev, ResponseReviewedEvent):
        out: list[tuple[str, str]] = []
        if ev.data.reviewer != ev.actor:
            out.append(
                ("reviewer", f"a review is written by its reviewer ({ev.data.reviewer}), not {ev.actor}")
            )
        why = review_refusal(current.drafted_by, ev.data.reviewer, legal)
        if why is not None:
            out.append(("reviewer", why))
        return out
    if not current.approved:
        return [("response", f"{name} has no approving review of its latest draft: it cannot be marked sent")]
    digest = hashlib.sha256(current.text.encode()).hexdigest()
    if ev.data.sha256 != digest:
        return [("sha256", f"is not the sha256 of the approved draft's text ({digest})")]
    return []


def _raw_data(raw: bytes) -> Any:
    """The ``data`` of a line as written, for its extension members (which the event's
    model does not keep)."""
    if not raw:
        return None
    try:
        return orjson.loads(raw).get("data")
    except (orjson.JSONDecodeError, AttributeError):
        return None


def _set_status(inc: Incident, status: str, ts: str) -> None:
    if status != "new" and inc.acknowledged_at is None:
        inc.acknowledged_at = ts
        inc.acknowledged_severity = inc.severity
    inc.status = status
    stage = _STAGE[status]
    if status in _CONTAINED:
        inc.contained_at = inc.contained_at or ts
    elif stage < _STAGE["contained"]:
        inc.contained_at = None
    if status in _RESOLVED:
        inc.resolved_at = inc.resolved_at or ts
    elif stage < _STAGE["resolved"]:
        inc.resolved_at = None
    if status in TERMINAL_STATUSES:
        inc.closed_at = inc.closed_at or ts
    else:
        inc.closed_at = None


def _inspect_oversize(raw: bytes, size: int) -> tuple[Envelope | None, str, Any]:
    reason = f"line is {size} bytes, over the {MAX_LINE_BYTES}-byte limit"
    if len(raw) < size:
        return None, reason, NOT_OBJECT  # too long to parse: treated as not an object
    _, _, prev = inspect_line(raw)
    return None, reason, prev
