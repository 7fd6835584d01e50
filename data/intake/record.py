"""Recording what the ways in received: one batch through the validated write path
(``build_events``, ``append_events``), then whether each signal repeats an earlier one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from data.commands import Appended, AppendRefused, append_events, build_events
from data.intake.signals import signal_drafts
from data.intake.ways import Incoming


@dataclass(frozen=True)
class Recorded:
    """One signal written: its id, where it came from (``line 3``, a file's name), its
    title (untrusted), and the first signal of its channel and reference when it repeats one."""

    signal: str
    where: str
    title: str
    repeat_of: str | None = None


def signal_events(items: Sequence[tuple[str, Incoming]], actor: str) -> list[dict[str, Any]]:
    """The checked events of the signals ``items`` (each ``(where, incoming)``) in order.
    Raises AppendRefused naming every problem (by ``where``): nothing is written."""
    built: list[tuple[str, Any]] = []
    for where, incoming in items:
        built += [(where, d) for d in signal_drafts(**incoming.draft_args())]
    try:
        return build_events(built, actor)
    except AppendRefused as exc:  # the members as a signal object names them (no ``data.``)
        lines = [line.replace(": data: ", ": ", 1).replace(": data.", ": ", 1) for line in exc.lines]
        raise AppendRefused(exc.problems, lines) from None


async def record(settings: Any, items: Sequence[tuple[str, Incoming]]) -> tuple[list[Recorded], Appended]:
    """Write the signals ``items`` as one batch (all or nothing: AppendRefused, JournalError,
    WriteUnknown as :func:`data.commands.append_events`) and say what was recorded."""
    events = signal_events(items, settings.actor)
    names: list[str] = []  # each event's ``where``: its signal's
    signals: list[tuple[str, str, str]] = []
    n = -1
    for event in events:
        if event["type"] == "signal.received":
            n += 1
            signals.append((event["data"]["signal"], items[n][0], event["data"]["title"]))
        names.append(items[max(n, 0)][0])
    appended = await append_events(settings, events, names)
    repeats = {} if appended.store_error else await repeats_of(settings, [s for s, _, _ in signals])
    return [Recorded(s, w, t, repeats.get(s)) for s, w, t in signals], appended


async def repeats_of(settings: Any, signals: Sequence[str]) -> dict[str, str]:
    """signal -> the first signal of its channel and reference, for those that repeat one."""
    from sqlalchemy import select

    from data.engine import schema as S
    from data.engine.store import Store

    c = S.signals.c
    async with await Store.open(settings.db) as store:
        rows: list[Any] = await store.read_tuples(
            select(c.signal, c.repeat_of).where(c.signal.in_(list(signals)), c.repeat_of.is_not(None))
        )
    return {signal: first for signal, first in rows}
