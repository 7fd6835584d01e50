"""The ``warroom`` command line: the core commands, and every sub-command module gathered on
``main`` (app/cli_base.py). Headless commands never import Textual (fast start); the console
is imported only when it is opened."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from app.cli_base import (  # the group, and what every command shares (re-exported)
    EXIT_UNKNOWN,
    EXIT_USAGE,
    OUTPUT_HELP,
    RAW_TEXT_HELP,
    UNMASKED_HELP,
    Failure,
    _run,
    audit_unmasked,
    common,
    main,
    masked_json,
    observer_given,
    one_line,
    raw_text_if,
    refuse_observer,
    refused,
    stopped,
    templates_or_warn,
    unmasked_if,
    write_output,
)

T = TypeVar("T")
ProgressFn = Callable[[int, int], None]  # (bytes done, bytes in the journal): data/engine/ingest.py's


@main.command()
@click.option("--observer/--no-observer", default=None, help="Read-only: every action is refused.")
@common
def console(settings: Any) -> None:
    """Open the console (the default)."""
    from app.console import run_console

    stopped(run_console(settings))


# --- append --------------------------------------------------------------------------


@main.command()
@click.option("--type", "etype", metavar="TYPE", help="The event type, e.g. incident.note.")
@click.option("--incident", metavar="ID", help="The incident it belongs to.")
@click.option("--data", "data", metavar="JSON", help="The event's data, a JSON object.")
@click.option(
    "--raw",
    is_flag=True,
    help="Write only the events given: no procedure items, re-timings or ticks (for migrations).",
)
@common
def append(settings: Any, etype: str | None, incident: str | None, data: str | None, raw: bool) -> None:
    """Append events to the journal, as one batch: all of it or nothing.

    The incidents' procedures apply as in the console (docs/sop.md): an incident opened,
    re-graded or re-scoped gets the checklist items that now apply, a trigger (e.g. an
    incident.action of kind order_received) starts its clocks, in the same batch; --raw
    writes only what is given.

    With --type, one event. Without it, JSON objects one per line from standard input,
    each with "type", "data" and optionally "incident", "id", "ts", "actor". Every event is
    checked first, against the journal as it stands; if any is wrong, nothing is written,
    what is wrong is printed, and the exit code is 2. Prints the ids of the batch (exit 0)
    once the journal has it; an event whose id is in the journal already, the same event,
    is skipped, so a retry with the same ids writes nothing twice. Exit 1: nothing was
    written (retrying is safe); 3: whether it was written is unknown (the ids are printed:
    retry with them).
    """
    from data.commands import AppendRefused, append_events, build_events
    from data.engine.journal import WriteUnknown
    from data.engine.models import JsonError, parse_json

    global _QUICK_EXIT
    _QUICK_EXIT = True  # nothing is left open when it returns or exits (run()'s _leave)
    refuse_observer(settings, "append")
    if etype is None and (incident is not None or data is not None):
        raise Failure("--incident and --data go with --type (or give events on standard input)", EXIT_USAGE)
    if etype is not None:
        try:
            payload = parse_json(data) if data is not None else {}
        except JsonError as exc:
            raise Failure(f"--data: {exc.reason}", EXIT_USAGE) from None
        items: list[tuple[str, Any]] = [
            (
                f"{etype} event",
                {"type": etype, "data": payload, **({"incident": incident} if incident else {})},
            )
        ]
    else:
        if sys.stdin.isatty():
            click.echo(
                "reading events from standard input, one JSON object per line (Ctrl-D to end)", err=True
            )
        items = []
        for n, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                items.append((f"line {n}", parse_json(line)))
            except JsonError as exc:
                items.append((f"line {n}", _BadJson(exc.reason)))
        if not items:
            raise Failure("no events on standard input; nothing was written", EXIT_USAGE)
    try:
        events = build_events(items, settings.actor)
        where = [w for w, _ in items]
        events, where, notes = _with_openers(events, where)
        lean = raw or not any(e["type"] in PROCEDURE_TYPES for e in events)
        templates = None
        if not raw and (not lean or _sop_folder().exists()):
            templates = templates_or_warn()  # (a user's template in error is reported either way)
        added: list[dict[str, Any]] = []
        import gc

        from data.engine.direct import DirectStore  # (the lean path's modules, before the collector is on)

        del DirectStore
        gc.enable()
        # run without an event loop: asyncio is imported only if the store needs it (data/engine/blocking.py)
        result = _run(_append_or_unknown(append_events(settings, events, where, added=added, lean=lean,
                                                       templates=None if lean else templates)),
                      blocking=True)  # fmt: skip
        notes += _procedure_notes(added)
    except AppendRefused as exc:
        refused(exc.lines)
    for note in notes:
        click.echo(f"warroom: {note}", err=True)
    if isinstance(result, WriteUnknown):
        for i in result.ids:
            click.echo(i)
        click.echo(
            f"warroom: {one_line(str(result))}; the batch's ids are printed: append the same events "
            "again with these ids (an event already in the journal is skipped, never written twice)",
            err=True,
        )
        sys.exit(EXIT_UNKNOWN)
    for i in result.ids:
        click.echo(i)
    if result.skipped:
        n, total = len(result.skipped), len(result.ids)
        if total == 1:
            what = "the event was in the journal already (the same event)"
        elif n == total:
            what = f"all {total} events were in the journal already (the same events)"
        else:
            verb = "was" if n == 1 else "were"
            what = f"{n} of the {total} events {verb} in the journal already (the same events)"
        click.echo(f"warroom: {what}: skipped, not written again", err=True)
    if result.store_error is not None:
        click.echo(
            f"warroom: warning: the journal has the events, but this console's store could not be "
            f"updated: {one_line(result.store_error)} ('warroom sync' catches it up)",
            err=True,
        )


async def _append_or_unknown(coro: Coroutine[Any, Any, T]) -> T | Any:
    """The append's result, or the WriteUnknown it raised (its ids are printed)."""
    from data.engine.journal import WriteUnknown

    try:
        return await coro
    except WriteUnknown as exc:
        return exc


def _with_openers(
    events: list[dict[str, Any]], where: list[str]
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Whoever opens a restricted incident takes part in it: an ``incident.participant_added``
    of its opener right after each restricted opening that does not add them already, in
    the same batch (data/engine/access.py). Returns the events, their names, and what was added."""
    from data.commands import build_events
    from data.engine.access import opener_participants

    added = opener_participants(events)
    if not added:
        return events, where, []
    from data.privacy.text import clean

    events, where = list(events), list(where)
    notes = []
    for n, event in reversed(added):
        name = f"{where[n]} (its opener as a participant)"
        events[n + 1 : n + 1] = build_events([(name, event)], events[n]["actor"])
        where.insert(n + 1, name)
    for _, event in added:
        notes.append(f"{clean(event.incident or '', 80)} is restricted: its opener {clean(event.actor or '', 80)} "
                     "takes part in it (incident.participant_added, in the same batch)")  # fmt: skip
    return events, where, notes


#: the types of the events that may call on a procedure (data/procedures/steps.py's
#: TRIGGERS; a stakeholder update is an incident.action): a batch with none of them gets
#: nothing from the procedures, and is appended without loading them
PROCEDURE_TYPES = frozenset(
    {"incident.opened", "incident.updated", "incident.severity_set", "incident.action"}
)


def _sop_folder() -> Path:
    """data/procedures/sop.py's ``default_user_dir``, without importing the procedures."""
    given = os.environ.get("WARROOM_SOP_DIR")
    if given:
        return Path(given).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("warroom", appauthor=False)) / "sop"


def _procedure_notes(added: list[dict[str, Any]]) -> list[str]:
    """What the procedures added to the batch, for people."""
    if not added:
        return []
    from data.privacy.text import clean

    out = []
    for event in added:
        d = event["data"]
        what = {"checklist.added": "item", "checklist.retimed": "re-timed", "checklist.set": "ticked"}
        due = f" due {d['due']}" if d.get("due") else ""
        out.append(f"procedure of {clean(event.get('incident') or '', 40)}: {what.get(event['type'], event['type'])} "
                   f"{clean(d.get('item', ''), 40)}{due}")  # fmt: skip
    return out


class _BadJson:
    def __init__(self, reason: str) -> None:
        self.reason = reason


# --- sync, rebuild, verify, status -----------------------------------------------------


def _sync_summary(r: Any, verb: str) -> str:
    parts = [
        f"{r.ingested} applied",
        f"{r.unknown} unknown",
        f"{r.duplicates} duplicate{'s' if r.duplicates != 1 else ''}",
        f"{r.quarantined} quarantined",
        f"{r.chain_breaks} chain break{'s' if r.chain_breaks != 1 else ''}",
    ]
    head = f"{verb} {r.lines} line{'s' if r.lines != 1 else ''}: " + ", ".join(parts)
    tail = f"; now at line {r.line} (byte {r.offset}) in {r.seconds:.2f} s"
    if r.rebuilt:
        head = f"rebuilt the projection ({r.rebuilt}); " + head
    return head + tail


@contextlib.contextmanager
def progress_bar(what: str) -> Iterator[ProgressFn | None]:
    """A Rich progress bar of the bytes of the journal read, on stderr when it is a terminal
    (the progress a store's sync reports, as the console's "catching up 29%"); None, and no
    Rich imported, when it is not. The bar is gone when the work is done."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), DownloadColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=None)

        def report(done: int, total: int) -> None:  # once a span (~1 MiB): each step is drawn
            bar.update(task, completed=done, total=total, refresh=True)

        yield report


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@common
def sync(settings: Any, as_json: bool) -> None:
    """Ingest what is new in the journal into the store."""
    from data.commands import sync_store

    with progress_bar("catching up") as progress:
        result = _run(sync_store(settings, progress))
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    else:
        click.echo(_sync_summary(result, "read"))
        if result.quarantined:
            click.echo("quarantined lines: warroom export quarantine --format csv", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@common
def rebuild(settings: Any, as_json: bool) -> None:
    """Throw the projection away and rebuild it from the whole journal."""
    from data.commands import rebuild_store

    with progress_bar("rebuilding") as progress:
        result = _run(rebuild_store(settings, progress))
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    else:
        click.echo(_sync_summary(result, "read"))


@main.command()
@common
def verify(settings: Any) -> None:
    """Walk the journal's hash chain; exit 1 at a break."""
    from data.engine.chain import verify as walk
    from data.engine.journal import JournalError

    journal = settings.open_journal()
    try:
        if not journal.exists():
            raise Failure(f"there is no journal at {settings.journal_location}")
        report = walk(journal)
    except JournalError as exc:
        raise Failure(str(exc)) from None
    note = ""
    if report.fragment:
        note = f" (and {report.fragment} bytes of an unfinished last line, not checked yet)"
    if report.intact:
        click.echo(f"intact: {report.lines} lines{note}")
        return
    line, reason = report.breaks[0]
    count = len(report.breaks)
    more = f" ({count} breaks in all)" if count > 1 else " (the only break)"
    click.echo(f"broken at line {line}: {reason}{more}{note}")
    sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--digest/--no-digest", default=True, help="Compute the digest of the projected state.")
@common
def status(settings: Any, as_json: bool, digest: bool) -> None:
    """Where the store stands: journal, checkpoint, totals, and the state's digest."""
    from data.commands import store_status

    info = _run(store_status(settings, digest))
    if as_json:
        click.echo(json.dumps(info))
        return
    synced = info["synced_at"]
    when = datetime.fromtimestamp(synced, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if synced else "never"
    click.echo(f"journal:  {info['journal']}")
    click.echo(f"store:    {info['store']}")
    click.echo(f"synced:   {when}, to line {info['line']} (byte {info['offset']})")
    click.echo("totals:   " + ", ".join(f"{k} {v}" for k, v in info["counters"].items()))
    if info.get("digest"):
        click.echo(f"digest:   {info['digest']}")


# --- clocks ----------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@common
def clocks(settings: Any, as_json: bool) -> None:
    """Open obligations, soonest first (after a sync): the clocks of the active incidents and
    the open preservation holds of every incident; --json gives each its trigger."""
    from data.commands import open_clocks
    from data.incidents.views import span_text
    from data.privacy.text import clean
    from data.procedures.clocks import PolicyError, policy_of

    try:
        policy = policy_of(settings.config)
    except PolicyError as exc:
        raise Failure(str(exc)) from None
    items = _run(open_clocks(settings, policy))
    if as_json:
        from data.privacy.text import json_safe_dumps

        write_output(json_safe_dumps(items) + "\n", None)
        return
    if not items:
        click.echo("no open clocks")
        return
    marks = {"overdue": "OVERDUE", "at_risk": "AT RISK", "ok": "ok"}
    click.echo(f"{'due (UTC)':<17}  {'left':>9}  {'state':<7}  {'incident':<14} sev  {'kind':<6}  what")
    for c in items:
        left = c["seconds_left"]
        span = span_text(abs(left))
        click.echo(
            f"{c['due'][:16].replace('T', ' '):<17}  {('-' if left < 0 else '') + span:>9}  "
            f"{marks[c['state']]:<7}  {clean(c['incident'], 14, controls='escape'):<14} "
            f"{'S' + str(c['severity']) if c['severity'] else ' -'}   "
            f"{c['kind']:<6}  "
            + (clean(c["what"], 70, controls="escape") if c["what"] is not None else "(restricted)")
            + (f" [{c['team']}]" if c["team"] else "")
        )


# --- holds -----------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--all", "show_all", is_flag=True, help="Released holds too.")
@common
def holds(settings: Any, as_json: bool, show_all: bool) -> None:
    """Preservation holds, open ones first by when they end (after a sync): NCMEC reports
    (1 year), law-enforcement preservation requests (90 days, one extension), removed
    terrorist content (6 months). Closed incidents' holds are listed too."""
    from data.engine import clock
    from data.incidents.views import span_text
    from data.privacy.text import clean

    found = [h for h in _run(_load_holds(settings)) if show_all or h.open]
    if as_json:
        from data.privacy.text import json_safe_dumps

        write_output(json_safe_dumps([h.as_json() for h in found]) + "\n", None)
        return
    if not found:
        click.echo("no open preservation holds" if not show_all else "no preservation holds")
        return
    now = clock.now()
    words = {
        "ok": "held",
        "at_risk": "ENDS SOON",
        "overdue": "ENDED",
        "met": "released",
        "missed": "RELEASED EARLY",
    }
    click.echo(f"{'ends (UTC)':<17}  {'left':>9}  {'state':<14}  {'incident':<14} {'ref':<18} what")
    for h in found:
        seconds = int((h.ends - now).total_seconds())
        left = (("-" if seconds < 0 else "") + span_text(abs(seconds))) if h.open else ""
        state = words.get(h.state, h.state) + (" (ext.)" if h.extended else "")
        what = clean(h.text, 70, controls="escape") if h.visible else "(restricted)"
        ref = clean(h.ref or "", 18, controls="escape") if h.visible else ""
        click.echo(f"{h.ends:%Y-%m-%d %H:%M}  {left:>9}  {state:<14}  {clean(h.incident, 14, controls='escape'):<14} "
                   f"{ref:<18} {what}")  # fmt: skip


async def _load_holds(settings: Any) -> list[Any]:
    from data.engine import clock
    from data.engine.store import Store
    from data.incidents.views import load_holds

    journal = settings.open_journal()
    async with await Store.open(settings.db) as store:
        await store.sync(journal)
        return await load_holds(store, clock.now(), settings.actor)


# --- notify ----------------------------------------------------------------------------


@main.group()
def notify() -> None:
    """The channels warroom sends through ([notify.channels] in the config file: Apprise URLs)."""


@notify.command("test")
@click.argument("channel")
@common
def notify_test(settings: Any, channel: str) -> None:
    """Send a test message to CHANNEL: exit 0 once every target took it, 1 if not (why is
    printed; the URLs are never shown whole), 2 for a channel that is not configured."""
    from data.comms.channels import ChannelError, check_channel, send

    try:
        check_channel(settings.config, channel)
    except ChannelError as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    title = "warroom: test message"
    body = f"A test of the channel {channel!r}, sent by {settings.actor} with warroom notify test."
    delivery = _run(send(settings.config, channel, title, body))
    if not delivery.ok:
        raise Failure(str(delivery))
    click.echo(str(delivery))


# --- handoff ---------------------------------------------------------------------------


@main.command()
@click.option("--region", metavar="REGION", help="US, UK, AU, EU, global or all (default: your rotation's).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default="md",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help=OUTPUT_HELP)
@click.option("--raw-text", is_flag=True, help=RAW_TEXT_HELP)
@click.option("--unmasked", is_flag=True, help=UNMASKED_HELP)
@common
def handoff(
    settings: Any, region: str | None, fmt: str, output: str | None, raw_text: bool, unmasked: bool
) -> None:
    """The shift-handoff report (after a sync): who hands over to whom, what is due in the
    next shift, each active incident, the watch list, journal health and team load."""
    from data.handoff.report import HandoffError, handoff_for, to_json, to_markdown
    from data.privacy.text import json_safe_dumps
    from data.procedures.clocks import PolicyError, policy_of

    raw = raw_text_if(raw_text, fmt)

    try:
        policy = policy_of(settings.config)
    except PolicyError as exc:
        raise Failure(str(exc)) from None
    try:
        report = _run(handoff_for(settings, region, policy))
    except HandoffError as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    if unmasked:
        audit_unmasked(settings, "handoff", fmt, region=report.region)
    with unmasked_if(unmasked), raw:
        text = (
            json_safe_dumps(masked_json(to_json(report)), indent=2) + "\n"
            if fmt == "json"
            else to_markdown(report)
        )
    write_output(text, output, "the handoff report")


# --- export ----------------------------------------------------------------------------


@main.command()
@click.argument("kind", type=click.Choice(["incidents", "timeline", "checklist", "quarantine", "decisions"]))
@click.option("--incident", metavar="ID", help="Only this incident.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), required=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help=OUTPUT_HELP)
@click.option(
    "--bom/--no-bom",
    default=None,
    help="Start CSV with a UTF-8 byte-order mark, which Excel needs (default: to a file yes, to standard output no).",
)
@click.option("--raw-text", is_flag=True, help=RAW_TEXT_HELP)
@click.option("--unmasked", is_flag=True, help=UNMASKED_HELP)
@common
def export(
    settings: Any, kind: str, incident: str | None, fmt: str, output: str | None, bom: bool | None,
    raw_text: bool, unmasked: bool,
) -> None:  # fmt: skip
    """Export the projected state (after a sync) as JSON or CSV (CSV safe to open in a
    spreadsheet: cells that would run as formulas start with a quote; control characters
    written as visible escapes such as \\x1b unless --raw-text; JSON exact, controls as
    \\u escapes)."""
    from data.commands import export_rows
    from data.incidents.export import render

    raw = raw_text_if(raw_text, fmt)
    fields, items = _run(export_rows(settings, kind, incident))
    if unmasked:
        audit_unmasked(settings, kind, fmt, incident=incident)
    with raw:
        text = render(fields, items, fmt, bom=bool(output) if bom is None else bom, masked=not unmasked)
    write_output(text, output, f"{len(items)} {kind} rows")


# --- demo ------------------------------------------------------------------------------


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the demo journal and store live (default: ./.warroom-demo).",
)
@click.option("--reset", is_flag=True, help="Start the demo afresh.")
@click.option(
    "--actor",
    "actor",
    metavar="HANDLE",
    default=None,
    help="Who you are in the demo (else WARROOM_ACTOR, else demo-ic).",
)
@click.option(
    "--observer/--no-observer",
    default=None,
    help="Watch the demo read-only (its simulated colleagues still write; else WARROOM_OBSERVER).",
)
@click.pass_context
def demo(
    ctx: click.Context, folder: str | None, reset: bool, actor: str | None, observer: bool | None
) -> None:
    """Open the console on a demo war room with live activity."""
    from data.config import Settings, check_actor
    from data.engine.config import ConfigError

    actor = actor or ctx.find_root().params.get("actor") or os.environ.get("WARROOM_ACTOR") or "demo-ic"
    try:
        check_actor(actor)
    except ConfigError as exc:
        raise Failure(str(exc), EXIT_USAGE) from None

    observer = observer_given(ctx, observer)
    base = Path(folder or ".warroom-demo").resolve()
    os.umask(0o077)
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    settings = Settings(base / "journal.jsonl", base / "store.db", actor, observer)
    if reset:
        for p in base.iterdir():
            if p.name.startswith(("journal.jsonl", "store.db")):
                p.unlink()
    from app.console import run_console

    stopped(run_console(settings, demo=True))


# the sub-command modules add their commands to ``main`` when one of them is asked for
# (tests/test_cli_lean.py checks this table against what each module adds)
SUBCOMMANDS = {
    "intake": "app.cli_intake",
    "journal": "app.cli_journal",
    "link": "app.cli_links",
    "merge": "app.cli_links",
    "links": "app.cli_links",
    "outbox": "app.cli_outbox",
    "pager": "app.cli_pager",
    "postmortem": "app.cli_postmortem",
    "report": "app.cli_report",
    "responses": "app.cli_responses",
    "disclosures": "app.cli_responses",
    "roster": "app.cli_roster",
    "serve": "app.cli_serve",
    "sop": "app.cli_sop",
    "signals": "app.cli_triage",
    "triage": "app.cli_triage",
    "update": "app.cli_update",
}
main.lazy.update(SUBCOMMANDS)


def run() -> None:
    """The console script: click's own handling, except that a usage error is one line.
    The cyclic garbage collector is off while the command's modules are imported (a tenth
    of their import time, docs/performance.md); the group turns it back on first thing,
    ``append`` once it is ready to write. ``append`` leaves without tearing the interpreter
    down (:func:`_leave`). pydantic does not look for plugins (:func:`_no_pydantic_plugins`)."""
    import gc

    gc.disable()
    _no_pydantic_plugins()
    try:
        _main()
    except SystemExit as exc:
        if _QUICK_EXIT and (exc.code is None or isinstance(exc.code, int)):
            _leave(exc.code or 0)
        raise
    if _QUICK_EXIT:
        _leave(0)


def _no_pydantic_plugins() -> None:
    """Tell pydantic not to look for plugins, unless the user has set
    ``PYDANTIC_DISABLE_PLUGINS`` (to anything: ``PYDANTIC_DISABLE_PLUGINS=`` loads them all).

    A pydantic plugin (an entry point of the ``pydantic`` group) watches the validators
    pydantic builds. warroom's validators are its own (the journal's lines, its config),
    warroom uses no plugin and has nothing to report through one, so none is loaded, for
    any command. Looking costs each command a scan of the installed packages' metadata the
    first time a validator is built. pydantic reads the variable at each validator it
    builds; warroom's own processes (the ingest worker, the consoles ``serve`` starts)
    inherit it. When the variable says none, pydantic's ``plugin/_loader.py`` returns none
    but still imports ``importlib.metadata`` (7 % of a note's ``append``, docs/performance.md):
    a module whose ``get_plugins`` returns none stands in for it. Anything else asked of it
    (a later pydantic's loader may hold more) loads the real module in its place."""
    value = os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if value in ("__all__", "1", "true") and "pydantic.plugin._loader" not in sys.modules:
        import types

        loader = types.ModuleType("pydantic.plugin._loader", "No pydantic plugin (app/cli.py).")
        loader.get_plugins = tuple  # type: ignore[attr-defined]  # () as pydantic's own then
        loader.__getattr__ = _real_pydantic_loader  # type: ignore[method-assign]
        sys.modules["pydantic.plugin._loader"] = loader


def _real_pydantic_loader(name: str) -> Any:
    """An attribute of pydantic's own plugin loader, which then replaces the stand-in of
    :func:`_no_pydantic_plugins` (a pydantic that asks its loader for more than
    ``get_plugins`` gets what it asks for)."""
    import importlib

    if name.startswith("__"):  # (the import system's own questions: ``__path__``, …)
        raise AttributeError(name)
    sys.modules.pop("pydantic.plugin._loader", None)
    real = importlib.import_module("pydantic.plugin._loader")
    try:
        return getattr(real, name)
    except AttributeError:
        raise AttributeError(f"module 'pydantic.plugin._loader' has no attribute {name!r}") from None


def _main() -> None:
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("warroom: aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx is not None else "warroom"
        click.echo(f"{cmd}: {one_line(exc.format_message())} (see '{cmd} --help')", err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


#: set by a command whose process may end at once when it is done (:func:`_leave`)
_QUICK_EXIT = False


def _leave(code: int) -> None:
    """End the process with ``code`` once what it wrote is flushed and the exit handlers
    have run, without the interpreter's teardown (freeing every module and object: a sixth
    of a short command's CPU time, docs/performance.md). For a command that leaves no thread,
    file or connection open (``append``: its journal's descriptor and its store are closed
    before it returns). If a flush fails, or a thread still runs, the usual exit instead."""
    import atexit
    import threading

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # (as usual: the interpreter reports it)
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
