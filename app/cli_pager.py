"""``warroom pager``: the escalations, headless (docs/escalation.md): for a server with no
console open. Each pass syncs, pages what is due (journal first, then the channel) and
sleeps until the next page falls due or ``--every`` seconds pass. Imports no Textual."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from app.cli_base import Failure, _run, common, main, refuse_observer


def _line(page: Any, delivery: Any) -> str:
    who = page.person or "nobody on call"
    return f"{page.id}: paged {who} on {page.channel}: {delivery}"


@main.command()
@click.option("--once", is_flag=True, help="One pass, then exit (for tests and cron).")
@click.option(
    "--every", type=click.FloatRange(min=1), default=30.0, show_default=True,
    help="Seconds between passes at most (new incidents are seen on the next pass).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print each pass as a JSON object.")
@common
def pager(settings: Any, once: bool, every: float, as_json: bool) -> None:
    """Page the on-call people of the incidents left unacknowledged, as [escalation] in the
    config file says. Exactly one notifier sends each page, however many pagers and consoles
    run on the journal. Exit 1 if a pass had a problem (with --once), 2 for an unusable
    [escalation] or an observer."""
    from data.comms.escalation import EscalationError, escalation_of

    refuse_observer(settings, "warroom pager")  # an observer never pages
    try:
        if not escalation_of(settings.config).policies:
            raise Failure(
                "[escalation] has no policies in the config file: nothing to page (docs/escalation.md)", 2
            )
    except EscalationError as exc:
        raise Failure(str(exc), 2) from None
    _run(_loop(settings, once, every, as_json))


async def _loop(settings: Any, once: bool, every: float, as_json: bool) -> None:
    from data.comms.escalation import page_pass
    from data.engine import clock
    from data.engine.store import Store

    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        while True:
            result = await page_pass(journal, store, settings.config, settings.actor, clock.now())
            if as_json:
                click.echo(json.dumps({
                    "sent": [{"page": p.id, "incident": p.incident, "step": p.step, "repeat": p.repeat,
                              "person": p.person, "channel": p.channel, "delivered": d.ok, "error": d.error}
                             for p, d in result.sent],
                    "taken": [p.id for p in result.taken],
                    "problems": result.problems,
                    "next": result.next_at.isoformat().replace("+00:00", "Z") if result.next_at else None,
                }))  # fmt: skip
            else:
                for page, delivery in result.sent:
                    click.echo(_line(page, delivery))
                for page in result.taken:
                    click.echo(f"{page.id}: already in the journal (another notifier pages it)")
            for problem in result.problems:
                click.echo(f"warroom pager: {problem}", err=True)
            if once:
                if result.problems:
                    raise Failure(f"{len(result.problems)} page(s) had a problem (above)")
                return
            wait = timedelta(seconds=every)
            if result.next_at is not None:
                wait = min(wait, max(result.next_at - datetime.now(UTC), timedelta(seconds=1)))
            await asyncio.sleep(wait.total_seconds())
