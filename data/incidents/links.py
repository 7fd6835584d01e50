"""Linked incidents and merging (docs/links.md).

A link (``incident.linked``) is written on one incident about ``other`` and says what the
first is to the second: ``related``, ``parent``, ``child``, ``duplicate_of``; the latest link
between two incidents wins and ``unlinked`` removes it (the store's ``incident_links``).
Both incidents show it: seen from ``other`` the kind reads inverted (parent and child swap,
``duplicate_of`` reads ``duplicated_by``).

Merging B into A is one batch (:func:`merge_drafts`): B linked as a duplicate of A, B's open
checklist items moved to A or closed with a reason, B set ``merged``. Nothing is deleted;
B's preservation holds stay open on B and keep running (a hold does not end because
incidents merged). A's timeline shows B's entries, marked as from B (:func:`merged_into`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from data.engine.access import Access, may_act
from data.engine.lazy import lazy
from data.engine.models import (
    TERMINAL_STATUSES,
    ChecklistSet,
    ChecklistStep,
    Draft,
    IncidentLinked,
    IncidentStatusSet,
    ItemTrigger,
)
from data.engine.projector import Item
from data.incidents.describe import LINK_WORDS

if TYPE_CHECKING:
    from data.engine import schema as S
    from data.engine.store import IncidentRecord, Store
else:
    S = lazy("data.engine.schema")  # (SQLAlchemy: imported when first used)

#: how a link reads from its other incident
INVERSE = {"related": "related", "parent": "child", "child": "parent", "duplicate_of": "duplicated_by"}
#: the kinds a commander links with (``unlinked`` removes a link)
KINDS = ("related", "parent", "child", "duplicate_of")
#: what merging does with each open item of the merged incident
How = Literal["move", "close"]
#: the states of an item that is still to do (moved or closed by a merge)
OPEN_STATES = ("open", "blocked")


@dataclass(frozen=True, slots=True)
class LinkRow:
    """One current link as seen from ``incident``: it is ``kind`` of ``other``
    (``duplicated_by`` when the other was linked as its duplicate); ``written_on`` is the
    incident the ``incident.linked`` was written on."""

    incident: str
    other: str
    kind: str
    note: str | None
    actor: str
    ts: str
    seq: int
    written_on: str

    @property
    def words(self) -> str:
        """``parent of``, ``duplicated by``, …"""
        return LINK_WORDS.get(self.kind, self.kind)


def seen_from(incident: str, written_on: str, other: str, kind: str) -> str:
    """The kind of a link written on ``written_on`` about ``other``, as ``incident`` reads it."""
    return kind if incident == written_on else INVERSE.get(kind, kind)


async def links(store: Store, incident: str | None = None) -> list[LinkRow]:
    """The current links of ``incident`` (both ways, each seen from it), in the order they
    were written; with None every link, seen from the incident it was written on."""
    c = S.incident_links.c
    from sqlalchemy import select

    stmt = select(c.incident, c.other, c.kind, c.note, c.actor, c.ts, c.seq).order_by(c.seq)
    if incident is not None:
        stmt = stmt.where((c.low == incident) | (c.high == incident))
    out = []
    rows: list[Any] = await store.read_tuples(stmt)
    for written_on, other, kind, note, actor, ts, seq in rows:
        me = incident if incident is not None else written_on
        them = other if me == written_on else written_on
        out.append(
            LinkRow(me, them, seen_from(me, written_on, other, kind), note, actor, ts, seq, written_on)
        )
    return out


def by_incident(rows: Iterable[LinkRow]) -> dict[str, tuple[LinkRow, ...]]:
    """Every link (as :func:`links` gives them with None) seen from each of its two incidents."""
    out: dict[str, list[LinkRow]] = {}
    for r in rows:
        out.setdefault(r.incident, []).append(r)
        back = LinkRow(
            r.other, r.incident, INVERSE.get(r.kind, r.kind), r.note, r.actor, r.ts, r.seq, r.written_on
        )
        out.setdefault(r.other, []).append(back)
    return {k: tuple(v) for k, v in out.items()}


def parent_of(rows: Iterable[LinkRow]) -> str | None:
    """The parent among an incident's links (the latest written), or None."""
    parents = [r for r in rows if r.kind == "child"]
    return max(parents, key=lambda r: r.seq).other if parents else None


async def merged_into(store: Store, incident: str) -> list[str]:
    """The incidents merged into ``incident``: set ``merged`` and linked as its duplicates,
    and those merged into them in turn, in the order they were linked."""
    out: list[str] = []
    todo = [incident]
    while todo:
        target = todo.pop(0)
        for r in await links(store, target):
            if r.kind != "duplicated_by" or r.other in out or r.other == incident:
                continue
            found = await store.incidents(r.other)
            if found and found[0].status == "merged":
                out.append(r.other)
                todo.append(r.other)
    return out


# --- writing ----------------------------------------------------------------------------


class LinkRefused(Exception):
    """Why a link or a merge cannot be written (one sentence for people; it never tells a
    restricted incident's title)."""


def name_of(inc: IncidentRecord, actor: str) -> str:
    """An incident as a list or a message names it: its id and title, or its id and
    ``(restricted)`` for one whose details ``actor`` may not see."""
    if inc.restricted and not Access.of_row(inc).sees(actor):
        return f"{inc.id} (restricted)"
    return f"{inc.id} {inc.title}"


def _refusal(inc: IncidentRecord, actor: str, etype: str) -> str | None:
    return may_act(Access.of_row(inc), actor, etype)


def link_refusal(
    here: IncidentRecord | None, other: IncidentRecord | None, actor: str, here_id: str, other_id: str
) -> str | None:
    """Why ``actor`` may not link ``here_id`` to ``other_id`` (None: they may; the journal's
    own check adds the cycles)."""
    if here is None:
        return f"incident {here_id} was never opened"
    if other is None:
        return f"incident {other_id} was never opened"
    if here.id == other.id:
        return f"incident {here.id} cannot be linked to itself"
    for inc in (here, other):
        if (why := _refusal(inc, actor, "incident.linked")) is not None:
            return why
    return None


def merge_refusal(
    b: IncidentRecord | None, a: IncidentRecord | None, actor: str, b_id: str, a_id: str
) -> str | None:
    """Why ``actor`` may not merge ``b_id`` into ``a_id`` (None: they may)."""
    if b is None:
        return f"incident {b_id} was never opened"
    if a is None:
        return f"incident {a_id} was never opened"
    if a.id == b.id:
        return f"cannot merge {b.id} into itself"
    for inc, etype in ((b, "incident.status_set"), (a, "checklist.added")):
        if (why := _refusal(inc, actor, etype)) is not None:
            return why
    if b.status in TERMINAL_STATUSES:
        return f"{b.id} is already {b.status.replace('_', ' ')}: there is nothing left to merge"
    if a.status in TERMINAL_STATUSES:
        return f"{a.id} is {a.status.replace('_', ' ')}: merge into an incident that is still open"
    return None


def open_items(items: Sequence[Item]) -> list[Item]:
    """The items a merge moves or closes: still to do, and not a preservation hold (a hold
    stays on its incident and keeps running)."""
    return [i for i in items if i.state in OPEN_STATES and not i.hold]


def _new_id(item: str, taken: set[str]) -> str:
    name, n = item, 2
    while name in taken:
        name = f"{item[:28]}-{n}"
        n += 1
    taken.add(name)
    return name


def merge_drafts(
    b: str,
    a: str,
    items: Sequence[Item],
    a_items: Iterable[str],
    how: How | Mapping[str, How],
    reason: str | None = None,
    note: str | None = None,
    a_steps: Mapping[str, str] | None = None,
) -> list[Draft]:
    """The batch that merges ``b`` into ``a``: on ``b`` an ``incident.linked``
    (``duplicate_of`` ``a``), then for each of ``open_items(items)``, as ``how`` says (one
    choice for all, or per item id): ``move`` adds it to ``a`` (text, team, due, basis, step,
    trigger, calendar kept; a new id if ``a`` has one already) and closes it on ``b``
    (``skipped``, "moved to A"); ``close`` closes it on ``b`` with ``reason``; then
    ``incident.status_set`` ``merged``. ``reason`` is required when an item is closed.
    A procedure step ``a`` has already (``a_steps``: step -> its item on ``a``, from
    :func:`procedure_steps`) is not added twice: moving it closes it on ``b`` as covered by
    ``a``'s own item."""
    taken = set(a_items)
    covered = a_steps or {}
    drafts = [Draft(IncidentLinked(other=a, kind="duplicate_of", note=note), incident=b)]
    for item in open_items(items):
        choice = how if isinstance(how, str) else how.get(item.item, "move")
        own = covered.get(_step_of(item) or "")
        if choice == "move" and own is not None:
            note_ = f"covered by {a}'s own {own} (merged into {a})"
            drafts.append(Draft(ChecklistSet(item=item.item, state="skipped", note=note_), incident=b))
        elif choice == "move":
            new = _new_id(item.item, taken)
            trigger = None
            if item.trigger_kind is not None and item.trigger_at is not None:
                trigger = ItemTrigger.model_validate(
                    {"kind": item.trigger_kind, "at": item.trigger_at, "ref": item.trigger_ref}
                )
            given = {
                "item": new, "text": item.text, "team": item.team, "due": item.due, "basis": item.basis,
                "template": item.template, "step": item.step, "trigger": trigger, "calendar": item.calendar,
            }  # fmt: skip
            step = ChecklistStep.model_validate({k: v for k, v in given.items() if v is not None})
            drafts.append(Draft(step, incident=a))
            moved = f"moved to {a}" + (f" as {new}" if new != item.item else "")
            drafts.append(Draft(ChecklistSet(item=item.item, state="skipped", note=moved), incident=b))
        else:
            if not (reason and reason.strip()):
                raise LinkRefused(f"say why {item.item} is closed rather than moved to {a}")
            drafts.append(Draft(ChecklistSet(item=item.item, state="skipped", note=reason), incident=b))
    why = f"merged into {a}" + (f": {reason}" if reason and reason.strip() else "")
    drafts.append(Draft(IncidentStatusSet(status="merged", reason=why), incident=b))
    return drafts


async def plan_merge(
    store: Store,
    b: str,
    a: str,
    actor: str,
    how: How | Mapping[str, How],
    reason: str | None = None,
    note: str | None = None,
) -> list[Draft]:
    """:func:`merge_drafts` from the store, after :func:`merge_refusal` (raises
    :class:`LinkRefused`)."""
    b_rec = next(iter(await store.incidents(b)), None)
    a_rec = next(iter(await store.incidents(a)), None)
    if (why := merge_refusal(b_rec, a_rec, actor, b, a)) is not None:
        raise LinkRefused(why)
    from data.incidents import queries

    items = await queries.checklist(store, b)
    a_rows = await queries.checklist(store, a)
    a_items = {i.item for i in a_rows}
    return merge_drafts(b, a, items, a_items, how, reason, note, a_steps=procedure_steps(a_rows))


def _step_of(item: Item) -> str | None:
    """The procedure step an item is an instance of (None: an item added by hand)."""
    return (item.step or item.item) if item.template else None


def procedure_steps(items: Iterable[Item]) -> dict[str, str]:
    """The procedure steps an incident has items for: step -> the item's id."""
    return {step: i.item for i in items if (step := _step_of(i)) is not None}
