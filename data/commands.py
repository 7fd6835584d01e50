"""What the command line and the console do, headless: build and append events, sync,
rebuild, export. The console's actions go through :func:`append_events` too, so a line the
console writes is checked exactly like one a script writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from data.engine import clock
from data.engine.errors import StoreError
from data.engine.ids import event_id
from data.engine.journal import BATCH, Journal, JournalError, encode_event
from data.engine.models import (
    CORE_TYPES,
    MAX_LINE_BYTES,
    AuditUnmaskedExport,
    Draft,
    EventError,
    Problem,
    check_extension,
    validate_event,
    value_problem,
)

if TYPE_CHECKING:  # imported where used: ``warroom append`` of a note needs neither SQLAlchemy nor the store
    from data.config import Settings
    from data.engine.direct import DirectStore
    from data.engine.store import ProgressFn, Store, SyncResult

_ALLOWED_INPUT = {"type", "incident", "data", "id", "ts", "actor"}


class AppendRefused(Exception):
    """Nothing was written. ``problems`` says what is wrong, as data (which event, which
    member, in words for people: a form shows each at its field); ``lines`` says the same
    as text, one line per refused event (what the command line prints)."""

    def __init__(self, problems: Sequence[Problem], lines: Sequence[str] | None = None) -> None:
        self.problems = list(problems)
        self.lines = list(lines) if lines is not None else [p.line for p in self.problems]
        super().__init__("; ".join(self.lines))


@dataclass(frozen=True)
class Appended:
    """What an append did: the journal has every event of the batch.

    ``ids`` are the batch's ids, in order; ``skipped`` those that were in the journal
    already, the same events (a retry: not written again); ``store_error`` says why this
    console's store could not catch up afterwards (the journal has the events all the same;
    ``warroom sync`` catches up later)."""

    ids: list[str]
    skipped: list[str]
    store_error: str | None = None


class _AlreadyThere(Exception):
    """Raised under the lock: these events of the batch (indexes) are in the journal already."""

    def __init__(self, indexes: set[int]) -> None:
        super().__init__(f"{len(indexes)} already in the journal")
        self.indexes = indexes


def now_ts() -> str:
    return clock.utc_text(datetime.now(UTC), ms=True)


def new_id() -> str:
    return event_id()


def build_events(items: Sequence[tuple[str, Draft | Any]], actor: str) -> list[dict[str, Any]]:
    """Complete and validate events given as (where, event) pairs: a :class:`Draft` (what
    the console and the commands build) or a decoded JSON object (what a user gives).

    Fills ``v``, ``id``, ``ts`` and ``actor`` where missing. Raises AppendRefused listing
    every problem (each with ``where`` it came from and its index in ``items``) if any
    event is wrong.
    """
    problems: list[Problem] = []
    lines: list[str] = []
    events: list[dict[str, Any]] = []
    marker = {BATCH: [len(items), len(items)]} if len(items) > 1 else {}  # the longest it may be

    def refuse(n: int, where: str, message: str, field: tuple[str, ...] = (), event: Any = None) -> None:
        problem = Problem.at(field, message) if field else Problem(message=message)
        eid = event.get("id") if isinstance(event, dict) else None
        problems.append(replace(problem, index=n, where=where, event=eid if isinstance(eid, str) else None))
        lines.append(problems[-1].line)

    for n, (where, given) in enumerate(items):
        obj = given.as_input() if isinstance(given, Draft) else given
        reason = getattr(obj, "reason", None)
        if reason is not None:
            refuse(n, where, reason)
            continue
        if not isinstance(obj, dict):
            refuse(n, where, "not a JSON object")
            continue
        if "type" not in obj:
            refuse(n, where, "required member is missing", ("type",), obj)
            continue
        for name in ("v", "prev", BATCH):
            if name in obj:
                refuse(n, where, "is filled in by warroom; leave it out", (name,), obj)
        event: dict[str, Any] = {
            "v": 1,
            "id": obj.get("id") or new_id(),
            "ts": obj.get("ts") or now_ts(),
            "actor": obj.get("actor") or actor,
            "type": obj["type"],
        }
        if obj.get("incident") is not None:
            event["incident"] = obj["incident"]
        event["data"] = obj.get("data", {})
        for key, value in obj.items():  # unknown members are kept (forward compatibility)
            if key not in _ALLOWED_INPUT and key not in ("v", "prev", BATCH):
                event[key] = value
        problem = value_problem(event)
        if problem:
            refuse(n, where, f"{problem}; nothing a reader could read back exactly is written", event=event)
            continue
        try:
            parsed = validate_event({**event, "prev": None})
            check_extension(parsed.type, event["data"], event["ts"] if isinstance(event["ts"], str) else None)
        except EventError as exc:
            eid = event["id"] if isinstance(event["id"], str) else None
            problems.extend(replace(p, index=n, where=where, event=eid) for p in exc.problems)
            lines.append(f"{where}: {exc}")
            continue
        # its size as written: a 64-hex prev, and the batch marker when the batch has two or more
        size = len(encode_event({**event, **marker, "prev": "0" * 64}))
        if size > MAX_LINE_BYTES:
            refuse(
                n, where, f"the event would be a line of {size} bytes, over the {MAX_LINE_BYTES}-byte limit",
                event=event,
            )  # fmt: skip
            continue
        if parsed.type not in CORE_TYPES:
            refuse(
                n, where,
                f"unknown type {parsed.type!r}; append writes only the types of "
                f"format 1 ({', '.join(sorted(CORE_TYPES))})",
                ("type",), event,
            )  # fmt: skip
            continue
        events.append(event)
    if problems:
        raise AppendRefused(problems, lines)
    return events


async def append_to(
    journal: Journal,
    store: Store | DirectStore,
    events: list[dict[str, Any]],
    where: Sequence[str] | None = None,
) -> Appended:
    """Append validated events as one batch: catch the store up, then, holding the journal's
    lock, catch up again and refuse the batch if a reader would quarantine any of it. An
    event already in the journal, the same (a retry), is skipped, not refused. Syncs after.

    Returns when the journal has the events, even if the store could not catch up after
    (``Appended.store_error``). Raises AppendRefused (nothing written), JournalError (nothing
    written), or WriteUnknown (whether the batch was written could not be known)."""
    await store.sync(journal)  # the bulk of catching up, outside the lock
    names = list(where) if where is not None else [f"event {n + 1}" for n in range(len(events))]
    todo = list(range(len(events)))  # what is still to be written, by index in ``events``
    while todo:
        batch = [events[i] for i in todo]
        parsed = [validate_event({**e, "prev": None}) for e in batch]
        named = [names[i] for i in todo]
        index = list(todo)

        async def check(
            batch: list[dict[str, Any]] = batch,
            parsed: list[Any] = parsed,
            named: list[str] = named,
            index: list[int] = index,
        ) -> None:
            problems, same = await store.check_append(journal, parsed, batch)
            if same:  # first, as the other problems may follow from them (an incident opened twice)
                raise _AlreadyThere(same)
            if problems:  # indexes and names of ``events``, not of this round's batch
                raise AppendRefused([replace(p, index=index[p.index or 0], where=named[p.index or 0])
                                     for p in problems])  # fmt: skip

        try:
            await journal.append(batch, under_lock=check)
        except _AlreadyThere as there:
            todo = [i for n, i in enumerate(todo) if n not in there.indexes]
            continue
        break
    ids = [str(e["id"]) for e in events]
    written = set(todo)
    skipped = [eid for n, eid in enumerate(ids) if n not in written]
    try:
        await store.sync(journal)
    except (StoreError, JournalError) as exc:  # the journal has them: only this store lags
        return Appended(ids, skipped, str(exc))
    return Appended(ids, skipped)


async def append_events(
    settings: Settings,
    events: list[dict[str, Any]],
    where: Sequence[str] | None = None,
    *,
    templates: Any = None,
    added: list[dict[str, Any]] | None = None,
    lean: bool = False,
) -> Appended:
    """Append built events as one batch (:func:`append_to`). With ``templates``
    (category -> template), what the procedures call for is added to the batch first, as a
    console adds it (:func:`procedure_events`; for the events not in the journal already,
    so a retry adds nothing twice), built as this actor's; ``added`` receives those events.
    ``lean`` (a short command, no ``templates``): the store through sqlite3 when it can
    (data/engine/direct.py; it blocks the event loop, so never in a console)."""
    if settings.observer:  # the command line says so first; this is the safety net
        raise AppendRefused([Problem(message="this is an observer console (read-only); nothing was written")])
    journal = settings.open_journal()
    if lean and templates is None and settings.journal_url is None:
        from data.engine.direct import DirectStore

        direct = DirectStore.open(settings.db)
        if direct is not None:
            async with direct:
                return await append_to(journal, direct, events, where)
    from data.engine.blocking import in_a_loop, loop_running

    if not loop_running():  # run without an event loop (data/engine/blocking.py): the store needs one
        return in_a_loop(_append_stored(settings, journal, events, where, templates, added))
    return await _append_stored(settings, journal, events, where, templates, added)


async def _append_stored(
    settings: Settings,
    journal: Journal,
    events: list[dict[str, Any]],
    where: Sequence[str] | None,
    templates: Any,
    added: list[dict[str, Any]] | None,
) -> Appended:
    """:func:`append_events` through the :class:`Store` (SQLAlchemy)."""
    from sqlalchemy import select

    from data.engine import schema as S
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        if templates is not None:
            await store.sync(journal)
            ids = [e["id"] for e in events if isinstance(e.get("id"), str)]
            there = {
                r[0] for r in await store.read_tuples(select(S.events.c.id).where(S.events.c.id.in_(ids)))
            }
            fresh = [e for e in events if e.get("id") not in there]
            problem = settings.config.problem("obligations")
            if problem is not None and _touches_procedure(fresh):
                # which legal clocks apply is unknown: writing without them would lose them
                raise AppendRefused([Problem(message=f"{problem}; the procedures cannot tell which obligations "
                                                     "apply: fix the config file (or append with --raw)")])  # fmt: skip
            flags = obligation_flags(settings.config)
            extra = await procedure_events(store, templates, fresh, clock.now(), flags)
            if extra:
                built = build_events([(f"procedure ({e['type']})", e) for e in extra], settings.actor)
                if added is not None:
                    added.extend(built)
                names = list(where) if where is not None else [f"event {n + 1}" for n in range(len(events))]
                where = names + [f"procedure ({e['type']})" for e in built]
                events = list(events) + built
        return await append_to(journal, store, events, where)


def _touches_procedure(events: Sequence[dict[str, Any]]) -> bool:
    from data.procedures.steps import touched

    return bool(touched(events))


async def sync_store(settings: Settings, progress: ProgressFn | None = None) -> SyncResult:
    """Ingest what is new (``progress``: bytes read, bytes in the journal; :meth:`Store.sync`)."""
    from data.engine.store import Store

    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        return await store.sync(journal, progress=progress)


async def rebuild_store(settings: Settings, progress: ProgressFn | None = None) -> SyncResult:
    from data.engine.store import Store

    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        return await store.rebuild(journal, progress=progress)


async def store_status(settings: Settings, digest: bool = True) -> dict[str, Any]:
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        st = await store.status()
        info: dict[str, Any] = {
            "journal": st.journal or settings.journal_location,
            "store": str(settings.db),
            "offset": st.offset,
            "line": st.line,
            "synced_at": st.synced_at,
            "rebuilt_at": st.rebuilt_at,
            "rebuild_reason": st.rebuild_reason,
            "counters": st.counters,
        }
        if digest:
            info["digest"] = await store.digest()
        return info


async def export_rows(
    settings: Settings, kind: str, incident: str | None
) -> tuple[list[str], list[dict[str, Any]]]:
    from data.engine.store import Store
    from data.incidents.export import rows

    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        await store.sync(journal)
        return await rows(store, kind, incident, settings.actor)


async def open_clocks(settings: Settings, policy: Any) -> list[dict[str, Any]]:
    """Every open obligation (after a sync), soonest first, as plain records: the clocks of
    the active incidents, and the open preservation holds of every incident (a hold
    outlives its incident). Each says what started it (``trigger``: kind, ``at``, ``ref``;
    null for T0). An item's text, basis and ref are withheld (``null``) from an actor who
    may not see its restricted incident's details."""
    from data.engine.store import Store
    from data.incidents.views import SyncState, load_holds, load_snapshot
    from data.procedures.clocks import Clock, clock_state

    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        await store.sync(journal)
        snap = await load_snapshot(store, SyncState(journal=settings.journal_location), policy=policy,
                                   include_closed=True, pm_policy=_pm_policy(settings))  # fmt: skip
        now = clock.now()
        holds = await load_holds(store, now, settings.actor)
    out = []

    def record(c: Clock, severity: int | None, visible: bool) -> dict[str, Any]:
        trigger = None
        if c.trigger is not None:
            trigger = {"kind": c.trigger[0], "at": _utc_text(c.trigger[1]),
                       "ref": c.trigger[2] if visible else None}  # fmt: skip
        return {
            "incident": c.incident, "severity": severity, "kind": c.kind, "name": c.name,
            "what": c.label if visible else None, "team": c.team, "basis": c.basis if visible else None,
            "due": c.due.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "seconds_left": int((c.due - now).total_seconds()), "state": clock_state(c, now),
            "trigger": trigger,
        }  # fmt: skip

    for row in snap.incidents:
        if not row.active:
            continue
        for c in row.clocks:
            if c.closed_at is not None or c.kind == "hold":
                continue
            out.append(record(c, row.severity, not c.detail or row.visible_to(settings.actor)))
    for h in holds:
        if not h.open:
            continue
        out.append(record(h.clock, h.severity, h.visible))
    out.sort(key=lambda r: (r["due"], r["severity"] or 9, r["incident"]))
    return out


def _pm_policy(settings: Settings) -> Any:
    """The post-mortem meeting clock's policy (``[postmortem]``; a malformed section: the
    defaults, as ``warroom postmortem`` reports it)."""
    from data.postmortem.report import PmPolicyError, pm_policy_of

    try:
        return pm_policy_of(settings.config)
    except PmPolicyError:
        return None


def _utc_text(value: str) -> str:
    from data.engine.models import parse_rfc3339

    try:
        from data.procedures.sop import format_time

        return format_time(parse_rfc3339(value))
    except ValueError:
        return value


async def audit_unmasked_export(
    settings: Settings, kind: str, fmt: str, incident: str | None = None, region: str | None = None
) -> None:
    """Append the ``audit.unmasked_export`` event an ``--unmasked`` export, handoff or
    post-mortem needs before it writes anything (docs/privacy.md): who (the actor) and when
    (the envelope's), what (kind, format, incident, region), never the values. Raises
    AppendRefused (or a journal error) if it cannot be written: then nothing is exported."""
    data: dict[str, Any] = {"kind": kind, "format": fmt}
    if incident is not None:  # only the members given are written
        data["incident"] = incident
    if region is not None:
        data["region"] = region
    events = build_events([("audit", Draft(AuditUnmaskedExport(**data)))], settings.actor)
    await append_events(settings, events)


# --- the procedures: one code path for every writer --------------------------------------


def obligation_flags(config: Any) -> frozenset[str]:
    """The ``[obligations]`` switches that are on (``sec_registrant``, ``nis2``)."""
    section = config.obligations
    return frozenset(name for name in ("sec_registrant", "nis2") if getattr(section, name))


async def procedure_events(
    store: Store,
    templates: Any,
    events: Sequence[dict[str, Any]],
    now: datetime,
    flags: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """What the procedures add to a batch, in the same batch (the console, ``warroom
    append`` and the demo all write through this): the SOP items that now apply, the items
    a trigger starts, the items a severity change re-times, a hold an extension moves, and
    the update item a stakeholder update ticks (data/procedures/steps.py). ``templates``:
    category -> template (``Templates.templates``). Raises AppendRefused when the procedure
    cannot do what the batch asks (an extension after a hold's end)."""
    from data.incidents import queries as incident_queries
    from data.procedures.steps import Refusal, sop_items, touched, update_ticks, updated

    events = list(events)
    extra: list[Draft] = []
    incidents = touched(events)
    if incidents and templates:
        current: dict[str, Any] = {}
        existing: dict[str, set[str]] = {}
        checklists: dict[str, list[Any]] = {}
        for incident in incidents:
            found = await store.incidents(incident)
            current[incident] = found[0] if found else None
            checklists[incident] = await incident_queries.checklist(store, incident)
            existing[incident] = {r.item for r in checklists[incident]}
        try:
            extra = sop_items(templates, events, current, existing, now, checklists=checklists, flags=flags)
        except Refusal as exc:
            problems = [
                Problem(message=message, index=n, where=f"event {n + 1} ({events[n].get('type')})",
                        field=("data", "kind"))
                for n, message in exc.problems
            ]  # fmt: skip
            raise AppendRefused(problems) from None
    events = events + [d.as_input() for d in extra]
    states = {
        i: {r.item: r.state for r in await incident_queries.checklist(store, i)} for i in updated(events)
    }
    return [d.as_input() for d in extra] + [d.as_input() for d in update_ticks(events, states)]
