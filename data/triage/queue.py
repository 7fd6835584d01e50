"""What the war room says of the signals waiting (pure; docs/intake.md, "Triage"): how many
wait and the oldest one's age, which are urgent by the ``[intake] urgent`` rules, the
incident source a promoted signal's channel gives, and when a snooze ends."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from data.triage.signals import SignalRow, waiting

#: the incident source (``incident.opened`` ``source``) of each channel, for a promotion;
#: ``email``, ``webhook`` and ``other`` say nothing of it: the form asks
SOURCES = {
    "le_portal": "law_enforcement", "le_email": "law_enforcement", "ncmec": "partner", "gifct": "partner",
    "partner": "partner", "regulator": "regulator", "press": "media", "detection": "proactive_detection",
    "user_report": "user_report", "employee": "employee",
}  # fmt: skip

#: the snooze choices the console offers (label, what parse_until takes)
SNOOZE_CHOICES = (("15 minutes", "15m"), ("1 hour", "1h"), ("4 hours", "4h"),
                  ("tomorrow 09:00 UTC", "tomorrow 09:00"))  # fmt: skip


#: the category a promotion suggests from a signal's channel (the commander may change it)
CATEGORIES = {
    "le_portal": "edr", "le_email": "edr", "ncmec": "csea", "gifct": "violent_extremism",
    "regulator": "regulator", "press": "media",
}  # fmt: skip


def category_of(channel: str) -> str | None:
    """The incident category a signal's channel suggests (None: the channel does not say)."""
    return CATEGORIES.get(channel)


def source_of(channel: str) -> str | None:
    """The incident source of a signal's channel (None: the channel does not say)."""
    return SOURCES.get(channel)


def is_urgent(row: SignalRow, rules: Iterable[Any]) -> bool:
    """Whether a rule of ``[intake] urgent`` (``UrgentRule``: ``channels``, empty for any,
    and ``keywords``, any of them, case-insensitive) flags the signal: its channel is one
    of the rule's and its title or body holds one of the rule's words."""
    text: str | None = None
    for rule in rules:
        if rule.channels and row.channel not in rule.channels:
            continue
        if text is None:
            text = f"{row.title}\n{row.body}".casefold()
        if any(k.casefold() in text for k in rule.keywords):
            return True
    return False


@dataclass(frozen=True)
class Waiting:
    """The queue header's words on signals: how many wait, since when, which are urgent."""

    count: int = 0
    oldest: datetime | None = None
    urgent: tuple[str, ...] = ()  # the ids of the urgent ones waiting, newest first


def summary(rows: Sequence[SignalRow], now: datetime, urgent: frozenset[str] = frozenset()) -> Waiting:
    """What wait at ``now`` of ``rows`` (the open signals; ``urgent``: the ids flagged)."""
    shown = waiting(rows, now)
    times = [r.received_at for r in shown if r.received_at is not None]
    return Waiting(
        len(shown), min(times) if times else None, tuple(r.signal for r in shown if r.signal in urgent)
    )


def span(seconds: float) -> str:
    """An age in its largest unit: ``45s``, ``12m``, ``3h``, ``2d``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def header(w: Waiting, now: datetime) -> str:
    """``"3 signals waiting · oldest 12m"``; empty when none waits."""
    if not w.count:
        return ""
    noun = "signal" if w.count == 1 else "signals"
    oldest = f" · oldest {span((now - w.oldest).total_seconds())}" if w.oldest is not None else ""
    return f"{w.count} {noun} waiting{oldest}"


def parse_until(text: str, now: datetime) -> datetime:
    """When a snooze ends: ``"15m"``, ``"1h"``, ``"4h"``, ``"1d"``, ``"1h30m"`` from now;
    ``"HH:MM"`` UTC (today, or tomorrow when that has passed); ``"tomorrow HH:MM"`` UTC; or
    an RFC 3339 time. It must be after ``now``. Raises ValueError with a reason for people."""
    from data.engine.models import parse_rfc3339

    t = text.strip().lower()
    if not t:
        raise ValueError("say until when (15m, 1h, 4h, tomorrow 09:00, 14:30, or an RFC 3339 time)")
    m = re.fullmatch(r"(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?", t)
    if m and any(m.groups()):
        d, h, mi = (int(g or 0) for g in m.groups())
        at = now + timedelta(days=d, hours=h, minutes=mi)
    elif hm := re.fullmatch(r"(tomorrow\s+)?(\d{1,2}):(\d{2})", t):
        hour, minute = int(hm.group(2)), int(hm.group(3))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text.strip()} is not a time of day (00:00 to 23:59)")
        at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if hm.group(1):
            at += timedelta(days=1)
        elif at <= now:
            at += timedelta(days=1)
    else:
        try:
            at = parse_rfc3339(text.strip())
        except ValueError:
            raise ValueError(
                "give a time from now (15m, 1h, 4h), a UTC time (14:30, tomorrow 09:00) or an RFC 3339 time"
            ) from None
    if at <= now:
        raise ValueError("is not in the future: a snooze ends later than now")
    return at
