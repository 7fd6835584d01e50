"""Clocks: every deadline an incident is held to, and its state at a moment (pure functions).

Four kinds, all computed from the store's projection:

- ``item``: a checklist item with a due time (legal and SOP deadlines), from what started
  it (its trigger's ``at``, else when it was added) to its due time; done or skipped closes
  it (``met`` if on time, else ``missed``).
- ``hold``: a preservation hold (an item with ``hold``): its due time is when the hold
  ends. It is ``at_risk`` from 30 days before its end (reminders at 30 and 7 days:
  :func:`hold_stage`), ``overdue`` once it has ended and is not released; released (done)
  at or after its end it is ``met``, before it ``missed``.
- ``ack``: the severity's response target, from T0 (``detected_at``, else when it was
  opened) to T0 + the target of its current severity (severity 4: the end of the next
  business day of ``[obligations] calendar``); closed when the incident is acknowledged (a
  role is assigned or its status leaves ``new``).
- ``update``: the stakeholder-update cadence of a severity 1 or 2 incident: the next update
  is due a cadence after the last ``incident.action`` of kind ``stakeholder_update`` (or
  after T0); every 20 minutes in the first 2 hours, then hourly, until it is resolved.

A clock's state (``clock_state``): ``ok``; ``at_risk`` when a quarter of its window or less
is left, or under 15 minutes; ``overdue`` once its due time is reached; ``met`` or
``missed`` once it is closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from data.engine.config import WarroomConfig, load_config
from data.engine.models import parse_rfc3339
from data.procedures.calendars import Due, is_business_day

OPEN_STATES = ("ok", "at_risk", "overdue")
STATES = (*OPEN_STATES, "met", "missed")
AT_RISK_UNDER = timedelta(minutes=15)
#: a hold's reminders: this long before its end
HOLD_REMINDERS = (timedelta(days=30), timedelta(days=7))
#: a legal clock this short or shorter makes an incident severity 1 (domain notes)
FLOOR_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Policy:
    """The response targets and the update cadence (defaults from the domain notes;
    ``[clocks]`` in the config file changes them)."""

    ack: dict[int, Due] = field(
        default_factory=lambda: {
            1: Due(minutes=5),
            2: Due(minutes=15),
            3: Due(minutes=4 * 60),
            4: Due(business_days=1),  # the next business day
        }
    )
    calendar: str = "US"  # whose business days ([obligations] calendar)
    update_severities: frozenset[int] = frozenset({1, 2})
    update_every: timedelta = timedelta(minutes=20)  # in the first ``update_early`` after T0
    update_early: timedelta = timedelta(hours=2)
    update_later: timedelta = timedelta(hours=1)  # after that
    bell: bool = False  # ring the terminal bell when a clock turns at risk or overdue


class PolicyError(ValueError):
    """A malformed ``[clocks]`` section; ``str()`` names the file and the key."""


def policy_of(config: WarroomConfig) -> Policy:
    """The policy of ``[clocks]`` in the loaded config (absent: defaults; ``WARROOM_BELL``
    over ``bell``). Raises :class:`PolicyError` naming the file and the key for a section
    that cannot be used."""
    config.check("clocks", PolicyError)
    section = config.clocks
    out: dict[str, Any] = {}
    if section.ack_minutes:
        out["ack"] = Policy().ack | {
            int(k): Due(minutes=max(1, round(v))) for k, v in section.ack_minutes.items()
        }
    config.check("obligations", PolicyError)
    out["calendar"] = config.obligations.calendar
    if section.update_severities is not None:
        out["update_severities"] = frozenset(section.update_severities)
    for key, name in (("update_every_minutes", "update_every"), ("update_early_minutes", "update_early"),
                      ("update_later_minutes", "update_later")):  # fmt: skip
        minutes = getattr(section, key)
        if minutes is not None:
            out[name] = timedelta(minutes=minutes)
    if section.bell is not None:
        out["bell"] = section.bell
    return Policy(**out)


def load_policy(path: Path) -> Policy:
    """:func:`policy_of` the config file ``path`` (a process has its config loaded once:
    ``Settings.config``; this is for a file of its own)."""
    return policy_of(load_config(path))


@dataclass(frozen=True)
class Clock:
    """One deadline of one incident."""

    incident: str
    kind: str  # "item", "ack" or "update"
    name: str  # the item id, "ack" or "update"
    label: str  # what it is, for people (untrusted text for items: clean before display)
    start: datetime  # the window's start
    due: datetime
    closed_at: datetime | None = None  # done, skipped, acknowledged
    team: str | None = None
    basis: str | None = None
    #: what started it: (trigger kind, RFC 3339 ``at``, ``ref``); None: T0 or when added
    trigger: tuple[str, str, str | None] | None = None

    @property
    def key(self) -> str:
        return f"{self.incident}/{self.kind}/{self.name}"

    @property
    def detail(self) -> bool:
        """Whether its label is a detail of its incident (a checklist item's or a hold's
        text): withheld from whoever may not see a restricted incident's details."""
        return self.kind in ("item", "hold")


def clock_state(clock: Clock, now: datetime) -> str:
    """``ok``, ``at_risk``, ``overdue``, ``met`` or ``missed`` (see the module's notes)."""
    if clock.kind == "hold":
        if clock.closed_at is not None:
            return "met" if clock.closed_at >= clock.due else "missed"
        left = clock.due - now
        if left <= timedelta(0):
            return "overdue"
        return "at_risk" if left <= HOLD_REMINDERS[0] else "ok"
    if clock.closed_at is not None:
        return "met" if clock.closed_at <= clock.due else "missed"
    left = clock.due - now
    if left <= timedelta(0):
        return "overdue"
    window = clock.due - clock.start
    if left < AT_RISK_UNDER or left * 4 <= window:
        return "at_risk"
    return "ok"


def is_open(clock: Clock) -> bool:
    return clock.closed_at is None


def t0_of(detected_at: datetime | None, opened_at: datetime | None) -> datetime | None:
    return detected_at or opened_at


def hold_stage(clock: Clock, now: datetime) -> str | None:
    """Which reminder of an open hold is due: ``"30d"``, ``"7d"``, ``"ended"``, or None."""
    if clock.kind != "hold" or clock.closed_at is not None:
        return None
    left = clock.due - now
    if left <= timedelta(0):
        return "ended"
    if left <= HOLD_REMINDERS[1]:
        return "7d"
    return "30d" if left <= HOLD_REMINDERS[0] else None


def ack_target_text(severity: int, policy: Policy) -> str:
    target = policy.ack.get(severity, Due(minutes=24 * 60))
    if target.business_days == 1:
        return "by the next business day"
    if target.business_days:
        return f"within {target.business_days} business days"
    return f"within {span(timedelta(minutes=target.minutes, days=target.days))}"


def ack_clock(
    incident: str, severity: int, t0: datetime, acknowledged_at: datetime | None, policy: Policy
) -> Clock:
    target = policy.ack.get(severity, Due(minutes=24 * 60))
    due = target.after(t0, policy.calendar)
    return Clock(incident, "ack", "ack", f"Acknowledge (S{severity}: {ack_target_text(severity, policy)})", t0, due,
                 acknowledged_at)  # fmt: skip


def update_clock(
    incident: str, severity: int, t0: datetime, last_update: datetime | None, policy: Policy
) -> Clock | None:
    """The next stakeholder update of a severity 1–2 incident (None for others)."""
    if severity not in policy.update_severities:
        return None
    since = max(last_update, t0) if last_update is not None else t0
    every = policy.update_every if since < t0 + policy.update_early else policy.update_later
    label = f"Stakeholder update (every {span(every)})"
    return Clock(incident, "update", "update", label, since, since + every)


def item_clock(
    incident: str,
    item: str,
    text: str,
    due: datetime | None,
    added_at: datetime | None,
    state: str,
    state_at: datetime | None,
    team: str | None = None,
    basis: str | None = None,
    trigger: tuple[str, str, str | None] | None = None,
    hold: bool = False,
) -> Clock | None:
    """A checklist item's clock (None without a due time), from its trigger's ``at`` (else
    when it was added). A blocked or open item runs; done or skipped closes it at the time
    it was ticked. A ``hold`` is a clock of kind ``hold``."""
    if due is None:
        return None
    began = time_or_none(trigger[1]) if trigger is not None else None
    began = began if began is not None else added_at
    start = began if began is not None and began <= due else due
    closed = state_at if state in ("done", "skipped") else None
    if state in ("done", "skipped") and closed is None:
        closed = due  # ticked at an unknown time: counted as met
    return Clock(incident, "hold" if hold else "item", item, text, start, due, closed, team, basis, trigger)


def time_or_none(value: object) -> datetime | None:
    """An RFC 3339 time read from the store or a batch (None: absent or malformed)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None


def is_legal_short(clock: Clock) -> bool:
    """An open legal clock of 24 hours or less from its start: an item with a legal basis
    (not an internal target: "as soon as reasonably possible"), not a hold."""
    if clock.kind != "item" or clock.closed_at is not None or not clock.basis:
        return False
    if "as soon as reasonably possible" in clock.basis.lower():
        return False
    return clock.due - clock.start <= FLOOR_WINDOW


def floor_text(clock: Clock) -> str:
    """Why an incident should be severity 1, for people (the console offers the raise)."""
    return (
        f"a legal clock of {span(clock.due - clock.start)} is open ({clock.name}, due "
        f"{clock.due.astimezone(UTC):%d %b %H:%MZ}): any legal clock of 24 h or less makes an incident S1"
    )


def floor_clock(clocks: Iterable[Clock], severity: int) -> Clock | None:
    """The open legal clock of 24 h or less that makes a severity 2–4 incident severity 1
    (domain notes), the one due first; None at severity 1 or without one. Nothing changes
    without the commander: the console says so and offers the raise."""
    if severity <= 1:
        return None
    short = [c for c in clocks if is_legal_short(c)]
    return min(short, key=lambda c: c.due) if short else None


def nearest(clocks: Iterable[Clock]) -> Clock | None:
    """The open clock due first."""
    best = None
    for c in clocks:
        if c.closed_at is None and (best is None or c.due < best.due):
            best = c
    return best


def span(d: timedelta) -> str:
    """``5m``, ``4h``, ``1d``, ``1h30m``: a duration as people write it."""
    mins = int(d.total_seconds() // 60)
    if mins < 60:
        return f"{mins}m"
    hours, mins = divmod(mins, 60)
    if hours % 24 == 0 and not mins:
        return f"{hours // 24}d" if hours >= 24 else f"{hours}h"
    return f"{hours}h{mins:02d}m" if mins else f"{hours}h"


def next_turn(clocks: Iterable[Clock], now: datetime) -> datetime | None:
    """The first moment after ``now`` at which an open clock changes state (turns at risk
    or overdue), or None if none will: when to look again, rather than every few seconds."""
    best: datetime | None = None
    for c in clocks:
        if c.closed_at is not None:
            continue
        if c.due > now:
            if c.kind == "hold":
                marks = [c.due - r for r in HOLD_REMINDERS] + [c.due]
                when = min(m for m in marks if m > now)
            else:
                window = c.due - c.start
                at_risk = min(c.due - AT_RISK_UNDER, c.due - window / 4)
                when = at_risk if at_risk > now else c.due
            if best is None or when < best:
                best = when
    return best


class Watch:
    """Remembers each clock's last state so that a turn to ``at_risk`` or ``overdue`` is
    reported once, not on every refresh. A new clock (a new incident, a new item) born
    overdue is reported; one born at risk is not, since it did not turn (a severity-1
    acknowledgement is at risk from its first minute, and the new incident at the top of
    the queue is the news): its turn to overdue is. The console ignores its very first
    look, so that it does not announce what was late before it started."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}

    def turned(self, clocks: Iterable[Clock], now: datetime) -> list[tuple[Clock, str]]:
        out = []
        seen = set()
        for c in clocks:
            key = c.key
            seen.add(key)
            state = clock_state(c, now)
            if c.kind == "hold" and state == "at_risk":
                state = f"at_risk:{hold_stage(c, now)}"  # each reminder is news
            before = self.states.get(key)
            self.states[key] = state
            if state.startswith("at_risk:"):
                if before != state and before is not None and before != "overdue":
                    out.append((c, "at_risk"))
                continue
            if state != before and state in ("at_risk", "overdue"):
                if before is None and state == "at_risk":
                    continue  # born at risk (a 5-minute acknowledgement): it did not turn
                if before == "overdue" and state == "at_risk":
                    continue  # the due time moved out (a severity or cadence change): not news
                out.append((c, state))
        for key in set(self.states) - seen:  # closed incidents, removed clocks
            del self.states[key]
        return out


# --- the post-mortem meeting clock (data/postmortem/report.py reads [postmortem]) -------


@dataclass(frozen=True)
class PmPolicy:
    """When the post-mortem meeting is due: per severity, a number of days after the
    incident was resolved, counted in calendar days or in business days (Monday to Friday
    in ``tz``). Defaults from the domain notes; ``[postmortem]`` in the config file
    changes them."""

    days: dict[int, int] = field(default_factory=lambda: {1: 3, 2: 5})
    business: frozenset[int] = frozenset({2})
    tz: str = "UTC"
    #: whose public holidays are not business days either (data/procedures/calendars.py;
    #: ``[obligations] calendar``); None: Monday to Friday
    calendar: str | None = None


def add_business_days(start: datetime, n: int, tz: str = "UTC", calendar: str | None = None) -> datetime:
    """The same local time (in ``tz``) on the ``n``-th Monday–Friday after ``start``'s
    local date. Resolved on a Friday at 16:00, 5 business days is the next Friday at
    16:00; resolved on a Saturday at 10:00, it is the Friday after it at 10:00 (Monday is
    the first business day after a Saturday); with ``calendar``, its public holidays are
    skipped too."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    day = local.date()
    count = 0
    while count < n:
        day += timedelta(days=1)
        if day.weekday() < 5 and (calendar is None or is_business_day(calendar, day)):
            count += 1
    due = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return due.astimezone(UTC)


def meeting_clock(
    incident: str,
    severity: int,
    resolved_at: datetime | None,
    met_at: datetime | None,
    policy: PmPolicy,
) -> Clock | None:
    """The post-mortem meeting clock (None for severities without one, or an incident not
    resolved): from resolution to the due time; a recorded meeting closes it (``met`` if
    held by the due time, else ``missed``)."""
    days = policy.days.get(severity)
    if days is None or resolved_at is None:
        return None
    if severity in policy.business:
        due = add_business_days(resolved_at, days, policy.tz, policy.calendar)
        label = f"Post-mortem meeting (S{severity}: within {days} business days of resolution)"
    else:
        due = resolved_at + timedelta(days=days)
        label = f"Post-mortem meeting (S{severity}: within {days} calendar days of resolution)"
    return Clock(incident, "postmortem", "meeting", label, resolved_at, due, met_at)
