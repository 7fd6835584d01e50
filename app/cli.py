"""The ``warroom`` command line. Headless commands never import Textual (fast start); the
console is imported only when it is opened."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

T = TypeVar("T")

EXIT_USAGE = 2  # a usage error, or a refusal: nothing was written, and trying again is no use
#: whether the journal took a write is not known (docs/security.md, "What a write reports")
EXIT_UNKNOWN = 3

UNMASKED_HELP = (
    "Leave the identifiers of users (e-mails, phones, IPs, @handles, account ids) unmasked; "
    "writes an audit.unmasked_export event to the journal first (docs/privacy.md)."
)
RAW_TEXT_HELP = (
    "Keep control characters (terminal escape sequences, bidi controls) as they are in CSV or "
    "Markdown, instead of writing them as visible escapes such as \\x1b; JSON is exact either "
    "way (docs/security.md)."
)
OUTPUT_HELP = "Write to a file, created readable by you only (0600), else to standard output."


def raw_text_if(flag: bool, fmt: str) -> Any:
    """``data.text.raw_controls()`` for ``--raw-text`` on CSV or Markdown, else a no-op; a
    usage error on JSON (always exact, with its controls escaped)."""
    import contextlib

    from data.text import raw_controls

    if flag and fmt == "json":
        raise Failure(
            "--raw-text is for CSV and Markdown: JSON is exact as it is (controls as \\u escapes)", EXIT_USAGE
        )
    return raw_controls() if flag else contextlib.nullcontext()


class Failure(click.ClickException):
    """A user-facing error: one line on stderr, a non-zero exit, no traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: Any = None) -> None:
        click.echo(f"warroom: {one_line(self.format_message())}", err=True)


def one_line(message: str) -> str:
    return " ".join(message.split())


def _run(coro: Coroutine[Any, Any, T]) -> T:
    from data.config import ConfigError
    from data.journal import JournalError, WriteUnknown
    from data.store import StoreError

    try:
        return asyncio.run(coro)
    except WriteUnknown as exc:
        raise Failure(str(exc), EXIT_UNKNOWN) from None
    except (JournalError, StoreError, ConfigError) as exc:
        raise Failure(str(exc)) from None
    except KeyboardInterrupt:
        raise Failure("interrupted", 130) from None


def common(f: Callable[..., Any]) -> Callable[..., Any]:
    """--journal, --db and --actor on every command (they may also come before it)."""

    @click.option("--journal", "journal", metavar="PATH", help="The journal file (else WARROOM_JOURNAL).")
    @click.option("--db", "db", metavar="PATH", help="This console's store (else WARROOM_DB).")
    @click.option(
        "--actor", "actor", metavar="HANDLE", help="Who is acting (else WARROOM_ACTOR, else your login)."
    )
    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, journal: str | None, db: str | None, actor: str | None, **kw: Any) -> Any:
        parent = ctx.find_root().params
        from data.config import ConfigError, resolve

        observer = kw.pop("observer", None)
        try:
            settings = resolve(
                journal or parent.get("journal"), db or parent.get("db"), actor or parent.get("actor"),
                observer if observer is not None else parent.get("observer"),
            )
        except ConfigError as exc:
            raise Failure(str(exc), EXIT_USAGE) from None
        os.umask(0o077)  # everything this tool creates is readable by its owner only
        return ctx.invoke(f, settings, **kw)

    return wrapper


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--journal", metavar="PATH", help="The journal file (else WARROOM_JOURNAL).")
@click.option("--db", metavar="PATH", help="This console's store (else WARROOM_DB).")
@click.option("--actor", metavar="HANDLE", help="Who is acting (else WARROOM_ACTOR, else your login).")
@click.option(
    "--observer/--no-observer",
    default=None,
    help="A read-only console: every action and every command that writes is refused (else WARROOM_OBSERVER).",
)
@click.version_option(package_name="warroom")
@click.pass_context
def main(
    ctx: click.Context, journal: str | None, db: str | None, actor: str | None, observer: bool | None
) -> None:
    """warroom: the Trust & Safety war-room console.

    With no command, opens the console on the journal. The commands below work headless,
    for scripts, bots and tests.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(console)


def stopped(code: int) -> None:
    """The console has quit: a crash is a non-zero exit status (``make run`` fails), with
    one line under the traceback Textual printed."""
    if code:
        raise Failure(
            "the console stopped on an unexpected error (its traceback is printed above); what was "
            "written to the journal is kept",
            code,
        )


def refuse_observer(settings: Any, command: str) -> None:
    """A command that writes to the journal, on an observer console: one line, nothing written.
    ``settings`` is the command's Settings, or whether it is an observer (:func:`observer_given`)."""
    if settings is True or getattr(settings, "observer", False) is True:
        raise Failure(
            f"{command} writes to the journal and this is an observer console (read-only: --observer or "
            "WARROOM_OBSERVER=1); nothing was written",
            EXIT_USAGE,
        )


def observer_given(ctx: click.Context, flag: bool | None = None) -> bool:
    """Whether a command without Settings runs as an observer: ``flag`` (its own
    --observer/--no-observer), else the one given before the command, else
    ``WARROOM_OBSERVER``, which fails closed (data.config.observer_env)."""
    if flag is None:
        flag = ctx.find_root().params.get("observer")
    if flag is not None:
        return flag
    from data.config import ConfigError, observer_env

    try:
        return observer_env()
    except ConfigError as exc:
        raise Failure(str(exc), EXIT_USAGE) from None


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
@common
def append(settings: Any, etype: str | None, incident: str | None, data: str | None) -> None:
    """Append events to the journal, as one batch: all of it or nothing.

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
    from data.journal import WriteUnknown
    from data.models import JsonError, parse_json

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
        result = _run(_append_or_unknown(append_events(settings, events, where)))
    except AppendRefused as exc:
        for problem in exc.problems:
            click.echo(f"warroom: {problem}", err=True)
        click.echo("warroom: nothing was written", err=True)
        sys.exit(EXIT_USAGE)
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
    from data.journal import WriteUnknown

    try:
        return await coro
    except WriteUnknown as exc:
        return exc


def _with_openers(
    events: list[dict[str, Any]], where: list[str]
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Whoever opens a restricted incident takes part in it: an ``incident.participant_added``
    of its opener right after each restricted opening that does not add them already, in
    the same batch (data/access.py). Returns the events, their names, and what was added."""
    from data.access import opener_participants
    from data.commands import build_events
    from data.text import clean

    added = opener_participants(events)
    if not added:
        return events, where, []
    events, where = list(events), list(where)
    notes = []
    for n, event in reversed(added):
        name = f"{where[n]} (its opener as a participant)"
        events[n + 1 : n + 1] = build_events([(name, event)], event["actor"])
        where.insert(n + 1, name)
    for _, event in added:
        notes.append(f"{clean(event['incident'], 80)} is restricted: its opener {clean(event['actor'], 80)} "
                     "takes part in it (incident.participant_added, in the same batch)")  # fmt: skip
    return events, where, notes


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


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@common
def sync(settings: Any, as_json: bool) -> None:
    """Ingest what is new in the journal into the store."""
    from data.commands import sync_store

    result = _run(sync_store(settings))
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

    result = _run(rebuild_store(settings))
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    else:
        click.echo(_sync_summary(result, "read"))


@main.command()
@common
def verify(settings: Any) -> None:
    """Walk the journal's hash chain; exit 1 at a break."""
    from data.chain import verify as walk
    from data.journal import JournalError

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
    """Open clocks across the active incidents, soonest first (after a sync)."""
    from data.clocks import PolicyError, load_policy
    from data.commands import open_clocks
    from data.config import config_file
    from data.text import clean
    from data.views import span_text

    try:
        policy = load_policy(config_file())
    except PolicyError as exc:
        raise Failure(str(exc)) from None
    items = _run(open_clocks(settings, policy))
    if as_json:
        from data.text import json_safe_dumps

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
            f"{marks[c['state']]:<7}  {clean(c['incident'], 14, controls='escape'):<14} S{c['severity']}   "
            f"{c['kind']:<6}  "
            + (clean(c["what"], 70, controls="escape") if c["what"] is not None else "(restricted)")
            + (f" [{c['team']}]" if c["team"] else "")
        )


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
    from data.clocks import PolicyError, load_policy
    from data.config import config_file
    from data.handoff import HandoffError, handoff_for, to_json, to_markdown
    from data.text import json_safe_dumps

    raw = raw_text_if(raw_text, fmt)

    try:
        policy = load_policy(config_file())
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
@click.argument("kind", type=click.Choice(["incidents", "timeline", "checklist", "quarantine"]))
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
    from data.export import render

    raw = raw_text_if(raw_text, fmt)
    fields, items = _run(export_rows(settings, kind, incident))
    if unmasked:
        audit_unmasked(settings, kind, fmt, incident=incident)
    with raw:
        text = render(fields, items, fmt, bom=bool(output) if bom is None else bom, masked=not unmasked)
    write_output(text, output, f"{len(items)} {kind} rows")


def audit_unmasked(settings: Any, kind: str, fmt: str, incident: str | None = None, region: str | None = None) -> None:
    """Write the audit event of an ``--unmasked`` output before the output; if it cannot be
    written, nothing is output (a Failure)."""
    from data.commands import AppendRefused, audit_unmasked_export
    from data.journal import JournalError
    from data.store import StoreError

    refuse_observer(settings, "--unmasked (it writes an audit event)")
    try:
        _run(audit_unmasked_export(settings, kind, fmt, incident, region))
    except AppendRefused as exc:
        raise Failure("--unmasked: the audit event was refused, nothing was output: " + "; ".join(exc.problems)) from None
    except (JournalError, StoreError, OSError) as exc:
        raise Failure(f"--unmasked: the audit event could not be written, nothing was output: {exc}") from None


def unmasked_if(flag: bool) -> Any:
    """``data.text.unmasked()`` when ``flag`` (after :func:`audit_unmasked`), else a no-op."""
    import contextlib

    from data.text import unmasked

    return unmasked() if flag else contextlib.nullcontext()


def masked_json(value: Any) -> Any:
    """A JSON report's string values masked, unless inside ``unmasked_if(True)``."""
    from data.mask import mask_value
    from data.text import masking

    return mask_value(value) if masking() else value


def write_output(text: str, output: str | None, what: str = "") -> None:
    """``text`` to the file ``output`` (mode 0600 even when it replaces an existing file:
    data.outfile; saying so on stderr), else to stdout, as UTF-8 whatever the locale. Every
    command that writes an export or a report (``-o``) writes it here."""
    if output:
        from data.outfile import write_private

        try:
            write_private(output, text.encode("utf-8"))
        except OSError as exc:
            raise Failure(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(f"wrote {what} to {output}", err=True)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale
        sys.stdout.flush()


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
def demo(ctx: click.Context, folder: str | None, reset: bool, actor: str | None, observer: bool | None) -> None:
    """Open the console on a demo war room with live activity."""
    from data.config import ConfigError, Settings, check_actor

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


# the sub-command groups register themselves on ``main``
from app import (  # noqa: E402,F401
    cli_journal,
    cli_outbox,
    cli_postmortem,
    cli_report,
    cli_roster,
    cli_serve,
    cli_sop,
)


def run() -> None:
    """The console script: click's own handling, except that a usage error is one line."""
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


if __name__ == "__main__":  # pragma: no cover
    run()
