"""``warroom signals``: the signals, waiting first; ``warroom triage SIGNAL OUTCOME``: what the
triage screen's keys do, from the command line (docs/intake.md, "Triage")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from app.cli_base import EXIT_USAGE, Failure, _run, common, main, refuse_observer, write_drafts

if TYPE_CHECKING:
    from data.config import Settings
    from data.triage.signals import SignalRow

OUTCOMES = ("promote", "attach", "duplicate", "dismiss", "snooze", "reopen")


async def _read(settings: Settings, show_all: bool) -> tuple[list[SignalRow], list[Any]]:
    """The signals (every one, or the open ones) and the open incidents, after a sync."""
    from data.engine.store import Store
    from data.triage.signals import all_signals, open_signals

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        rows = await all_signals(store, limit=100_000) if show_all else list(await open_signals(store))
        return rows, await store.incidents(active=True)


@main.command("signals")
@click.option("--all", "show_all", is_flag=True, help="Every signal, triaged too (after those waiting).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per signal.")
@common
def signals(settings: Settings, show_all: bool, as_json: bool) -> None:
    """The signals waiting for triage, newest first (--all: then the others); identifiers
    masked, ⚠ marks an urgent one ([intake] urgent)."""
    from data.engine import clock
    from data.privacy.text import clean, json_safe_dumps
    from data.triage.queue import is_urgent, span
    from data.triage.signals import waiting

    rows, _ = _run(_read(settings, show_all))
    now = clock.now()
    rules = settings.config.intake.urgent
    first = waiting(rows, now)
    waits = {r.signal for r in first}
    rest = sorted((r for r in rows if r.signal not in waits), key=lambda r: r.sort_key, reverse=True)
    for r in [*first, *rest]:
        urgent = r.signal in waits and is_urgent(r, rules)
        status = "waiting" if r.signal in waits else r.status
        if as_json:
            click.echo(json_safe_dumps({
                "signal": r.signal, "channel": r.channel, "ref": clean(r.ref) if r.ref else None,
                "received_at": r.received_at.isoformat() if r.received_at else None, "title": clean(r.title),
                "reporter": clean(r.reporter) if r.reporter else None, "status": status, "urgent": urgent,
                "repeats": r.repeats, "incident": r.incident, "duplicate_of": r.duplicate_of,
                "reason": clean(r.reason) if r.reason else None, "until": r.until.isoformat() if r.until else None,
            }))  # fmt: skip
            continue
        age = span((now - r.received_at).total_seconds()) if r.received_at else "?"
        where = r.incident or r.duplicate_of or ""
        click.echo(f"{r.signal}  {r.channel:<11} {age:>4}  {status:<10} {'⚠ ' if urgent else ''}"
                   f"{clean(r.title, 120)}{'  ×' + str(r.repeats + 1) if r.repeats else ''}"
                   f"{'  ' + where if where else ''}")  # fmt: skip


@main.command("triage")
@click.argument("signal")
@click.argument("outcome", type=click.Choice(OUTCOMES))
@click.argument("target", required=False)
@click.option("--reason", help="Why (required to dismiss).")
@click.option(
    "--until", "until", help="Snooze until: 15m, 1h, 4h, 14:30, 'tomorrow 09:00' (UTC), or RFC 3339."
)
@click.option("--incident", "new_id", help="promote: the new incident's id (default: a new one).")
@click.option("--title", help="promote: the title (default: the signal's, identifiers masked).")
@click.option("--category", help="promote: the category (required).")
@click.option("--severity", type=click.IntRange(1, 4), help="promote: the severity, 1-4 (required).")
@click.option("--region", "regions", multiple=True, help="promote: a region (required; repeat for more).")
@click.option("--source", help="promote: the source (default: from the signal's channel).")
@common
def triage(settings: Settings, signal: str, outcome: str, target: str | None, reason: str | None,
           until: str | None, new_id: str | None, title: str | None, category: str | None,
           severity: int | None, regions: tuple[str, ...], source: str | None) -> None:  # fmt: skip
    """Triage SIGNAL: promote (to a new incident; its procedure applies, one batch), attach
    INCIDENT, duplicate SIGNAL, dismiss --reason, snooze --until, or reopen. Prints the ids
    written."""
    from data.engine import clock
    from data.engine.models import Draft, IncidentOpened
    from data.privacy.text import clean
    from data.triage.queue import parse_until, source_of

    refuse_observer(settings, "triage")
    rows, incidents = _run(_read(settings, True))
    row = next((r for r in rows if r.signal == signal), None)
    if row is None:
        raise Failure(f"no signal {clean(signal, 40)!r} in the journal (warroom signals --all)", EXIT_USAGE)
    needs_target = outcome in ("attach", "duplicate")
    if needs_target != (target is not None):
        what = {"attach": "the incident", "duplicate": "the signal it duplicates"}.get(outcome)
        raise Failure(f"{outcome}: give {what}" if what else f"{outcome} takes no other argument", EXIT_USAGE)
    drafts: list[Draft] = []
    procedure = False
    if outcome == "promote":
        from data.engine.ids import incident_id

        missing = [name for name, v in (("--category", category), ("--severity", severity),
                                        ("--region", regions)) if not v]  # fmt: skip
        src = source or source_of(row.channel)
        if src is None:
            missing.append("--source")
        if missing:
            raise Failure(f"promote: give {', '.join(missing)}", EXIT_USAGE)
        inc = new_id or incident_id(clock.now(), {i.id for i in incidents})
        fields: dict[str, Any] = {
            "title": title or clean(" ".join(row.title.split()), 200), "category": category, "severity": severity,
            "source": src, "regions": list(regions),
        }  # fmt: skip
        summary = clean(" ".join(row.body.split()), 8000)
        if summary:
            fields["summary"] = summary
        drafts.append(Draft(IncidentOpened.model_construct(**fields), incident=inc))
        drafts.append(_triaged(signal, "promoted", incident=inc))
        procedure = True
    elif outcome == "attach":
        found = next((i for i in incidents if i.id == target), None)
        if found is None:
            raise Failure(f"attach: no open incident {clean(target or '', 40)!r}", EXIT_USAGE)
        from data.engine.access import Access

        if found.restricted and not Access.of_row(found).sees(settings.actor):
            raise Failure(f"{found.id} is restricted: only its role holders and participants can attach "
                          "signals to it", EXIT_USAGE)  # fmt: skip
        drafts.append(_triaged(signal, "attached", incident=found.id, reason=reason))
    elif outcome == "duplicate":
        drafts.append(_triaged(signal, "duplicate", duplicate_of=target, reason=reason))
    elif outcome == "dismiss":
        if not (reason and reason.strip()):
            raise Failure("dismiss: give --reason (why it is dismissed)", EXIT_USAGE)
        drafts.append(_triaged(signal, "dismissed", reason=reason.strip()))
    elif outcome == "snooze":
        try:
            at = parse_until(until or "", clock.now())
        except ValueError as exc:
            raise Failure(f"--until: {exc}", EXIT_USAGE) from None
        drafts.append(_triaged(signal, "snoozed", until=clock.utc_text(at), reason=reason))
    else:
        if row.status == "untriaged":
            raise Failure(f"{signal} waits for triage already", EXIT_USAGE)
        drafts.append(_triaged(signal, "reopened", reason=reason))
    for i in _write(settings, drafts, procedure):
        click.echo(i)


def _triaged(signal: str, outcome: str, **members: Any) -> Any:
    """A ``signal.triaged`` of the members given (validated when built: ``build_events``)."""
    from data.engine.models import Draft, SignalTriaged

    given = {k: v for k, v in members.items() if v is not None}
    return Draft(SignalTriaged.model_construct(signal=signal, outcome=outcome, **given))


def _write(settings: Settings, drafts: list[Any], procedure: bool) -> list[str]:
    """Append ``drafts`` as one batch (with the procedure's items of an incident opened)."""
    return write_drafts(settings, drafts, "triage", check="warroom signals --all", procedure=procedure)
