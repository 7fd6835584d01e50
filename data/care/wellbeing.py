"""Responder wellbeing: exposure counters, break prompts, quiet mode, stepping away
(pure data: no Textual; docs/wellbeing.md).

**Exposure.** A console counts, for its actor, how long the detail of an incident of a
sensitive category (by default ``csea``, ``violent_extremism``, ``self_harm``) is on screen:
selected on the war room (its timeline shows), or its incident or post-mortem screen open.
Counting stops when another incident is shown, the screen closes, the terminal loses focus
(where it reports focus), or nobody has pressed a key or clicked for ``idle_minutes``.
Time is kept as *segments* (one uninterrupted view of one incident): a segment shorter
than :data:`PASS_SECONDS` (the cursor passing over a row) is not counted at all.

**Shift.** The segments of a shift are those that began in it. A shift begins at the last
acknowledged handoff of the actor's region (``data.handoff.report.current_shift``: the same rule
as the handoff report); without one, the shift is the last 12 hours. A segment running
when a handoff is acknowledged is cut there: the part before belongs to the old shift.

**Where.** In the console's local store, in the table ``wellbeing_exposure``
(``data/care/exposure.py``), which is not part of the journal's projection: it has its own
``MetaData`` (created with ``checkfirst``), so a rebuild, the digest and a schema migration
of the projection never touch it. A row holds the actor, the incident id, its category, when the segment began and
its seconds: counts and durations, never a title or any content. Rows older than
``keep_days`` are deleted when the console starts.

**Break prompts.** Sensitive work is *continuous* while the gaps between counted time are
shorter than ``reset_after_minutes``; after ``break_after_minutes`` of it the console
suggests a break, and again after each further interval. A gap of ``reset_after_minutes``
(another incident, the screen closed, the console idle or out of focus) starts afresh.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from data.engine.config import WarroomConfig, load_config
from data.engine.models import Draft, IncidentNote, IncidentRoleSet, Role

if TYPE_CHECKING:
    from data.incidents.queries import RoleRow

#: the categories whose material is graphic or concerns children (domain notes)
SENSITIVE: tuple[str, ...] = ("csea", "violent_extremism", "self_harm")
#: a view shorter than this (seconds) is the cursor passing over a row: not counted
PASS_SECONDS = 2.0
#: how often the console writes what it counted (seconds), while it counts
FLUSH_SECONDS = 60.0
#: a shift without an acknowledged handoff: the last 12 hours (as the handoff report)
DEFAULT_SHIFT = timedelta(hours=12)

CATEGORY_LABELS = {"csea": "CSEA", "violent_extremism": "violent extremism", "self_harm": "self-harm"}


def label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category.replace("_", " "))


# --- the settings ----------------------------------------------------------------------


class WellbeingError(ValueError):
    """A ``[wellbeing]`` section that cannot be used; one line."""


@dataclass(frozen=True)
class WellbeingConfig:
    """``[wellbeing]`` of the config file."""

    break_after: timedelta = timedelta(minutes=90)  # continuous sensitive work before a prompt
    reset_after: timedelta = timedelta(minutes=15)  # a gap this long ends the continuous work
    idle_after: timedelta = timedelta(minutes=5)  # no key or click this long: counting stops
    quiet: bool = False  # quiet mode's default
    categories: tuple[str, ...] = SENSITIVE
    keep_days: int = 30  # exposure rows older than this are deleted
    prompts: bool = True  # break prompts at all


def wellbeing_of(config: WarroomConfig) -> WellbeingConfig:
    """The settings of ``[wellbeing]`` in the loaded config (absent: defaults;
    ``WARROOM_QUIET`` over ``quiet``). Raises :class:`WellbeingError` naming the file and
    the key for a section that cannot be used."""
    config.check("wellbeing", WellbeingError)
    section = config.wellbeing
    out: dict[str, Any] = {}
    for key, name in (("break_after_minutes", "break_after"), ("reset_after_minutes", "reset_after"),
                      ("idle_minutes", "idle_after")):  # fmt: skip
        minutes = getattr(section, key)
        if minutes is not None:
            out[name] = timedelta(minutes=minutes)
    for key in ("quiet", "prompts", "keep_days"):
        if getattr(section, key) is not None:
            out[key] = getattr(section, key)
    if section.categories is not None:
        out["categories"] = tuple(dict.fromkeys(section.categories))
    return WellbeingConfig(**out)


def load_wellbeing(path: Path) -> WellbeingConfig:
    """:func:`wellbeing_of` the config file ``path`` (a process has its config loaded
    once: ``Settings.config``; this is for a file of its own)."""
    return wellbeing_of(load_config(path))


@dataclass
class Segment:
    """One uninterrupted view of one sensitive incident's detail."""

    key: str
    incident: str
    category: str
    started: datetime
    seconds: float = 0.0
    written: float = 0.0  # the seconds as last written to the store

    @property
    def counted(self) -> bool:
        return self.seconds >= PASS_SECONDS or self.written > 0


# --- what is shown and reported: numbers only ------------------------------------------


@dataclass(frozen=True)
class CategoryExposure:
    category: str
    incidents: int  # distinct incidents opened in detail
    seconds: float  # time their detail was on screen

    @property
    def minutes(self) -> int:
        return int(self.seconds // 60)


@dataclass(frozen=True)
class Exposure:
    """One responder's exposure in one shift: counts and durations, never content."""

    actor: str
    since: datetime
    categories: tuple[CategoryExposure, ...]

    @property
    def incidents(self) -> int:
        return sum(c.incidents for c in self.categories)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.categories)

    @property
    def minutes(self) -> int:
        return int(self.seconds // 60)


def summarize(
    actor: str, since: datetime, segments: Iterable[Segment], categories: Sequence[str] = SENSITIVE
) -> Exposure:
    """The exposure of these segments (the counted ones): per category, the distinct
    incidents and the seconds; every category of ``categories`` is there, zeros included."""
    seen: dict[str, set[str]] = {c: set() for c in categories}
    secs: dict[str, float] = dict.fromkeys(categories, 0.0)
    for s in segments:
        if not s.counted:
            continue
        seen.setdefault(s.category, set()).add(s.incident)
        secs[s.category] = secs.get(s.category, 0.0) + s.seconds
    return Exposure(actor, since, tuple(CategoryExposure(c, len(seen[c]), secs.get(c, 0.0)) for c in seen))


def indicator(e: Exposure) -> str:
    """The counts in one calm line: ``CSEA 2 · self-harm 1 · 47 min``."""
    parts = [f"{label(c.category)} {c.incidents}" for c in e.categories if c.incidents]
    return " · ".join([*parts, f"{e.minutes} min"])


# --- the tracker (the console's counting, in memory) -----------------------------------


@dataclass
class Tracker:
    """What one console counts for its actor. Every method takes ``now``; nothing here
    reads a clock or a database. The console feeds it the views (:meth:`view`), input
    (:meth:`input`), focus (:meth:`set_away`) and the shift (:meth:`set_shift`); it writes
    :meth:`dirty` segments and merges the stored ones back with :meth:`load`."""

    actor: str
    config: WellbeingConfig
    now: datetime
    shift_from: datetime | None = None  # the last acknowledged handoff (None: the last 12 h)
    subject: tuple[str, str] | None = None  # (incident, category) on screen, sensitive only
    away: bool = False
    last_input: datetime | None = None
    current: Segment | None = None
    segments: dict[str, Segment] = field(default_factory=dict)  # this shift's, by key
    stretch_start: datetime | None = None  # continuous sensitive work began
    last_counted: datetime | None = None
    prompts: int = 0  # prompts shown in this stretch
    last_flush: datetime | None = None
    _mark: datetime | None = None  # counted up to here in the current segment

    def __post_init__(self) -> None:
        self.last_input = self.now

    # - the shift -

    def window_start(self, now: datetime) -> datetime:
        return self.shift_from if self.shift_from is not None else now - DEFAULT_SHIFT

    def set_shift(self, start: datetime | None, now: datetime) -> bool:
        """A handoff was acknowledged at ``start`` (None: no handoff, the last 12 h): a
        running segment is cut there, and the old shift's segments are forgotten (they stay
        in the store). True when the shift changed."""
        if start == self.shift_from:
            return False
        self.shift_from = start
        cur = self.current
        if start is not None and cur is not None and cur.started < start <= now:
            # the view is one counted interval [started, mark]: what came after the
            # acknowledgement moves to a segment of the new shift
            self.advance(now)
            mark = self._mark or now
            after = max((mark - start).total_seconds(), 0.0)
            cur.seconds -= after
            if not cur.counted:
                self.segments.pop(cur.key, None)
            seg = Segment(secrets.token_hex(10), cur.incident, cur.category, start, after)
            self.current = self.segments[seg.key] = seg
        self._forget_before(self.window_start(now))
        return True

    def _forget_before(self, start: datetime) -> None:
        for key, s in list(self.segments.items()):
            if s.started < start and s is not self.current and s.written == s.seconds:
                del self.segments[key]

    def load(self, rows: Iterable[Segment]) -> None:
        """Merge the store's segments of this shift (another run of the console, or what
        this one wrote); those held in memory win."""
        for s in rows:
            self.segments.setdefault(s.key, s)

    # - what is on screen -

    def is_counting(self) -> bool:
        return self.current is not None

    def view(self, subject: tuple[str, str] | None, now: datetime) -> None:
        """The incident whose detail is on screen now, with its category (None: none)."""
        if subject is not None and subject[1] not in self.config.categories:
            subject = None
        if subject == self.subject:
            return
        self._close(now)
        self.subject = subject
        self.last_input = now  # a new view: the responder looks at it from now
        self._open(now)

    def input(self, now: datetime) -> None:
        """A key or a click: the responder is at the console."""
        last = self.last_input
        if self.current is not None and last is not None and now - last > self.config.idle_after:
            self._close(now)  # counted up to last input + idle_after
            self.last_input = now
            self._open(now)
        else:
            self.advance(now)
            self.last_input = now

    def set_away(self, away: bool, now: datetime) -> None:
        """The terminal lost (or got back) the focus."""
        if away == self.away:
            return
        self._close(now)
        self.away = away
        if not away:
            self.last_input = now
        self._open(now)

    def advance(self, now: datetime) -> None:
        """Count the current view up to ``now`` (or to when the responder went idle)."""
        cur, mark = self.current, self._mark
        if cur is None or mark is None:
            return
        end = now
        if self.last_input is not None:
            end = min(end, self.last_input + self.config.idle_after)
        if end <= mark:
            return
        cur.seconds += (end - mark).total_seconds()
        if self.last_counted is None or mark - self.last_counted >= self.config.reset_after:
            self.stretch_start, self.prompts = mark, 0
        self.last_counted = end
        self._mark = end

    def _open(self, now: datetime) -> None:
        if self.subject is None or self.away:
            return
        incident, category = self.subject
        seg = Segment(secrets.token_hex(10), incident, category, now)
        self.current, self._mark = seg, now
        self.segments[seg.key] = seg

    def _close(self, now: datetime) -> None:
        self.advance(now)
        cur = self.current
        if cur is not None and not cur.counted:
            self.segments.pop(cur.key, None)  # passed over: not counted, never written
        self.current, self._mark = None, None

    # - continuity and prompts -

    def continuous(self, now: datetime) -> timedelta:
        """How long the current stretch of sensitive work has lasted (zero after a gap of
        ``reset_after``)."""
        self.advance(now)
        if self.stretch_start is None or self.last_counted is None:
            return timedelta(0)
        if now - self.last_counted >= self.config.reset_after:
            return timedelta(0)
        return self.last_counted - self.stretch_start

    def prompt_due(self, now: datetime) -> timedelta | None:
        """The continuous time, once per ``break_after`` interval of it, when a break
        prompt is due now; else None."""
        if not self.config.prompts:
            return None
        done = self.continuous(now)
        if done >= self.config.break_after * (self.prompts + 1):
            self.prompts = int(done / self.config.break_after)
            return done
        return None

    def next_wake(self, now: datetime) -> datetime | None:
        """When the console should look again: the next prompt while counting, the next
        write while something is unwritten; None when there is nothing to do."""
        out: list[datetime] = []
        if self.dirty():
            out.append((self.last_flush or now) + timedelta(seconds=FLUSH_SECONDS))
        if self.current is not None and self.config.prompts:
            done = self.continuous(now)
            idle_at = (self.last_input or now) + self.config.idle_after
            if now < idle_at:
                out.append(now + (self.config.break_after * (self.prompts + 1) - done))
        return min(out) if out else None

    # - writing and reading -

    def dirty(self) -> list[Segment]:
        """Copies of the counted segments whose seconds the store does not have yet (as
        they stand now: counting goes on while they are written)."""
        return [replace(s) for s in self.segments.values() if s.counted and s.seconds != s.written]

    def written(self, copies: Iterable[Segment], now: datetime) -> None:
        """These copies (from :meth:`dirty`) are in the store."""
        for c in copies:
            s = self.segments.get(c.key)
            if s is not None:
                s.written = c.seconds
        self.last_flush = now

    def exposure(self, now: datetime) -> Exposure:
        """This shift's exposure: what the store held (merged with :meth:`load`) and what
        was counted since."""
        self.advance(now)
        start = self.window_start(now)
        return summarize(
            self.actor,
            start,
            (s for s in self.segments.values() if s.started >= start),
            self.config.categories,
        )


# --- stepping away ---------------------------------------------------------------------


@dataclass(frozen=True)
class Handover:
    incident: str
    roles: tuple[str, ...]  # the roles the actor holds in it (the deputy's excepted)
    to: str | None  # the deputy (None: the incident has none)


@dataclass(frozen=True)
class StepAway:
    """What stepping away changes: the roles that move to each incident's deputy, the
    incidents left as they are (no deputy; or the actor is the deputy)."""

    moves: tuple[Handover, ...]
    no_deputy: tuple[Handover, ...]
    self_deputy: tuple[str, ...]  # incidents where the actor is the deputy themselves


def step_away_plan(rows: Iterable[Any], actor: str) -> StepAway:
    """From the active incidents' view rows (``id``, ``active``, ``roles``: (role,
    person) pairs): for each where ``actor`` holds a role, the roles that go to its deputy."""
    moves: list[Handover] = []
    none: list[Handover] = []
    mine: list[str] = []
    for r in rows:
        if not r.active:
            continue
        roles = dict(r.roles)
        held = tuple(role for role, person in r.roles if person == actor and role != "deputy")
        deputy = roles.get("deputy")
        if deputy == actor:
            mine.append(r.id)
            continue
        if not held:
            continue
        (moves if deputy else none).append(Handover(r.id, held, deputy))
    return StepAway(tuple(moves), tuple(none), tuple(mine))


def step_away_events(plan: StepAway, actor: str, note: str) -> list[Draft]:
    """The batch that hands the roles over: per incident, one ``incident.note`` (who
    stepped away, to whom, the note) and then one ``incident.role_set`` per role."""
    note = note.strip()
    out: list[Draft] = []
    for h in plan.moves:
        roles = ", ".join(role.replace("_", " ") for role in h.roles)
        text = f"{actor} stepped away (a break); {roles} handed to the deputy {h.to}."
        if note:
            text += f" Note: {note}"
        out.append(Draft(IncidentNote(text=text[:8000]), incident=h.incident))
        out += [
            Draft(IncidentRoleSet(role=cast(Role, role), person=h.to), incident=h.incident)
            for role in h.roles
        ]
    return out


# --- coming back ("I'm back") -------------------------------------------------------------


def return_candidates(rows: Iterable[Any], actor: str) -> list[str]:
    """The active incidents whose deputy (not ``actor``) holds another role: where roles
    ``actor`` handed over may be waiting (their role history tells, :func:`return_plan`)."""
    out = []
    for r in rows:
        roles = dict(r.roles)
        deputy = roles.get("deputy")
        if r.active and deputy and deputy != actor and any(p == deputy for k, p in r.roles if k != "deputy"):
            out.append(r.id)
    return out


def return_plan(rows: Iterable[Any], history: dict[str, list[RoleRow]], actor: str) -> tuple[Handover, ...]:
    """What coming back takes back: for each active incident, the roles ``actor`` handed
    to its deputy themselves (a step away does that: the actor's hold ended by the actor,
    the deputy's begun by the actor) that the deputy still holds. ``history``: the
    ``role_history`` rows of the incidents of :func:`return_candidates`. A role someone
    else has moved since is not taken back."""
    out: list[Handover] = []
    for r in rows:
        roles = dict(r.roles)
        deputy = roles.get("deputy")
        spans = history.get(r.id)
        if not r.active or not deputy or deputy == actor or not spans:
            continue
        taken = []
        for role, person in r.roles:
            if role == "deputy" or person != deputy:
                continue
            now = next((h for h in spans if h.role == role and h.end_seq is None), None)
            if now is None or now.person != deputy or now.start_actor != actor:
                continue
            before = next((h for h in spans if h.role == role and h.end_seq == now.start_seq), None)
            if before is not None and before.person == actor and before.end_actor == actor:
                taken.append(role)
        if taken:
            out.append(Handover(r.id, tuple(taken), deputy))
    return tuple(out)


def return_events(plan: tuple[Handover, ...], actor: str, note: str) -> list[Draft]:
    """The batch of coming back: per incident, one ``incident.note`` (who is back, what they
    took back from whom, the note) and then one ``incident.role_set`` per role."""
    note = note.strip()
    out: list[Draft] = []
    for h in plan:
        roles = ", ".join(role.replace("_", " ") for role in h.roles)
        text = f"{actor} is back from a break; {roles} taken back from the deputy {h.to}."
        if note:
            text += f" Note: {note}"
        out.append(Draft(IncidentNote(text=text[:8000]), incident=h.incident))
        out += [
            Draft(IncidentRoleSet(role=cast(Role, role), person=actor), incident=h.incident)
            for role in h.roles
        ]
    return out
