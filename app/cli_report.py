"""``warroom report``: reports computed from the store, for scripts and spreadsheets.

``warroom report trends`` exports the numbers of the trends screen (data/trends/report.py; every
number is defined in docs/trends.md) as JSON or CSV. Headless: imports no Textual.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import click

from app.cli_base import (
    EXIT_USAGE,
    OUTPUT_HELP,
    RAW_TEXT_HELP,
    Failure,
    _run,
    common,
    main,
    raw_text_if,
    write_output,
)

if TYPE_CHECKING:
    from data.config import Settings
    from data.trends.report import Trends

REGIONS = ("US", "UK", "AU", "EU", "global")


def parse_when(value: str, option: str, *, end_of_day: bool = False) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC at its start; with ``end_of_day``, the next midnight, so
    the day is included) or an RFC 3339 time; a Failure naming the option otherwise."""
    from data.engine.models import parse_rfc3339

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise Failure(f"{option} {value!r}: not a valid date: {exc}", EXIT_USAGE) from None
        start = datetime.combine(day, time(0), tzinfo=UTC)
        return start + timedelta(days=1) if end_of_day else start
    if re.match(r"\d{4}-\d{2}-\d{2}[Tt ]", value):
        try:
            return parse_rfc3339(value).astimezone(UTC)
        except ValueError as exc:
            raise Failure(f"{option} {value!r}: {exc}", EXIT_USAGE) from None
    raise Failure(
        f"{option} {value!r}: expected a date YYYY-MM-DD (UTC) or an RFC 3339 time such as 2026-11-22T03:00:00Z",
        EXIT_USAGE,
    )


async def _trends(settings: Settings, since: datetime | None, until: datetime | None, region: str | None,
                  policy: Any) -> Trends:  # fmt: skip
    from data.engine import clock
    from data.engine.store import Store
    from data.trends.report import compute, load_input, period_problem, period_start

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        inp = await load_input(store)
    now = clock.now().astimezone(UTC)
    end = until or now
    if since is None:
        since = period_start(inp, min(end, now))
    if end <= since:
        raise Failure(f"--until ({end:%Y-%m-%dT%H:%M:%SZ}) must be after --since ({since:%Y-%m-%dT%H:%M:%SZ})",
                      EXIT_USAGE)  # fmt: skip
    problem = period_problem(since, end)
    if problem is not None:
        raise Failure(problem, EXIT_USAGE)
    return compute(inp, since, end, now, region=region, policy=policy)


@main.group()
def report() -> None:
    """Reports computed from the journal (after a sync): trends over weeks, disclosures."""


@report.command()
@click.option(
    "--since",
    metavar="DATE",
    help="From this date (YYYY-MM-DD, UTC) or RFC 3339 time (default: the first incident's week, at most 260 weeks back).",
)
@click.option(
    "--until",
    metavar="DATE",
    help="Up to the end of this date (YYYY-MM-DD, UTC) or this RFC 3339 time (default: now).",
)
@click.option(
    "--region", type=click.Choice(REGIONS), help="Only incidents touching this region, and its rotations."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help=OUTPUT_HELP)
@click.option(
    "--bom/--no-bom",
    default=None,
    help="Start CSV with a UTF-8 byte-order mark, which Excel needs (default: to a file yes, to standard output no).",
)
@click.option("--raw-text", is_flag=True, help=RAW_TEXT_HELP)
@common
def trends(settings: Settings, since: str | None, until: str | None, region: str | None, fmt: str,
           output: str | None, bom: bool | None, raw_text: bool) -> None:  # fmt: skip
    """Incidents opened per week by category, severity mix, time to acknowledge and to
    resolve (median, 90th percentile), clocks met and missed, on-call load per person.
    Weeks are ISO weeks in UTC; docs/trends.md defines every number."""
    from app.cli_base import masked_json
    from data.incidents.export import render
    from data.privacy.text import json_safe_dumps
    from data.procedures.clocks import PolicyError, policy_of
    from data.trends.report import FIELDS, rows, to_json

    raw = raw_text_if(raw_text, fmt)
    start = parse_when(since, "--since") if since else None
    end = parse_when(until, "--until", end_of_day=True) if until else None
    try:
        policy = policy_of(settings.config)
    except PolicyError as exc:
        raise Failure(str(exc)) from None
    result = _run(_trends(settings, start, end, region, policy))
    if fmt == "json":
        text = json_safe_dumps(masked_json(to_json(result)), indent=2) + "\n"
        write_output(text, output, "the trends")
    else:
        items = rows(result)
        with raw:
            text = render(FIELDS, items, "csv", bom=bool(output) if bom is None else bom)
        write_output(text, output, f"{len(items)} trend rows")


async def _disclosure_rows(settings: Settings) -> tuple[Any, ...]:
    from data.disclosures.queries import disclosures as ledger
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        return await ledger(store)


@report.command()
@click.option("--since", metavar="DATE", help="From this date (YYYY-MM-DD, UTC) or RFC 3339 time.")
@click.option(
    "--until", metavar="DATE", help="Up to the end of this date (YYYY-MM-DD, UTC) or this RFC 3339 time."
)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="Output format.")  # fmt: skip
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help=OUTPUT_HELP)
@common
def disclosures(
    settings: Settings, since: str | None, until: str | None, fmt: str, output: str | None
) -> None:
    """The counts a transparency report needs: disclosures of user data recorded in the
    period, by country, agency type, basis, category of data and month (docs/disclosures.md).
    No account is named."""
    from data.disclosures.ledger import FIELDS, counts
    from data.incidents.export import render
    from data.privacy.text import json_safe_dumps

    start = parse_when(since, "--since") if since else None
    end = parse_when(until, "--until", end_of_day=True) if until else None
    if start is not None and end is not None and end <= start:
        raise Failure("--until must be after --since", EXIT_USAGE)
    result = counts(_run(_disclosure_rows(settings)), start, end)
    if fmt == "json":
        write_output(json_safe_dumps(result.as_json(), indent=2) + "\n", output, "the disclosure counts")
    else:
        write_output(render(FIELDS, result.rows(), "csv", bom=False), output, "the disclosure counts")
