"""``warroom intake``: signals in, by standard input, a watched folder, or HTTP (docs/intake.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from app.cli_base import EXIT_USAGE, Failure, _run, common, main, one_line, refuse_observer


def _shown(text: str, limit: int = 80) -> str:
    """Untrusted text on a terminal: one line, controls as visible escapes, identifiers masked."""
    from data.privacy.text import clean

    return clean(text, limit, controls="escape")


def _recorded_line(r: Any) -> str:
    repeat = f" (repeat of {r.repeat_of})" if r.repeat_of else ""
    return f"{r.signal}{repeat}  {_shown(r.title)}"


def _refused(problems: list[tuple[int, str]]) -> None:
    """Say what is wrong, by line, and exit 2: nothing was written."""
    from data.privacy.text import visible_escape

    for _, message in sorted(problems, key=lambda p: p[0]):
        click.echo(f"warroom: {visible_escape(one_line(message))}", err=True)
    click.echo("warroom: nothing was written", err=True)
    sys.exit(EXIT_USAGE)


def _line_number(message: str) -> int:
    import re

    found = re.match(r"line (\d+):", message)
    return int(found.group(1)) if found else 0


def _stop_on_sigterm() -> None:
    """SIGTERM ends ``intake serve`` as Ctrl-C does: the server's loop stops between
    requests (a request being recorded, in its own thread, is finished first)."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _stopping_on_sigterm() -> Any:
    """SIGTERM asks ``intake watch`` to stop: an event its loop looks at between files, so
    a file being recorded (the journal's append, the store's sync) is never cut short
    (raising in the middle of that could leave the process hanging or the file unmoved)."""
    import signal
    import threading

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    return stopping


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of what was recorded.")
@common
def intake(settings: Any, as_json: bool) -> None:
    """Record signals: JSON objects one per line from standard input.

    Each line is one signal: {"channel", "title", and optionally "ref", "received_at" (RFC
    3339; default now), "body", "reporter", "accounts", "urls"}; any other member is
    refused. The line's bytes are kept as the signal's payload. Every line is checked
    first; if any is wrong, nothing is written, what is wrong is printed by line number,
    and the exit code is 2. Prints each signal's id (and the signal it repeats: the same
    channel and ref). Exit 1: nothing was written; 3: whether it was written is unknown.
    `watch` and `serve` are the other ways in (docs/intake.md).
    """
    ctx = click.get_current_context()
    if ctx.invoked_subcommand is not None:
        given = [
            f"--{k.replace('as_', '')}" for k in ("journal", "db", "actor", "as_json") if ctx.params.get(k)
        ]
        if given:  # (a sub-command reads its own options, and those before `intake`)
            raise Failure(f"give {', '.join(given)} after `intake {ctx.invoked_subcommand}`", EXIT_USAGE)
        return
    from data.commands import AppendRefused
    from data.intake.record import record, signal_events
    from data.intake.ways import Incoming, Refused, from_json

    refuse_observer(settings, "intake")
    if sys.stdin.isatty():
        click.echo("reading signals from standard input, one JSON object per line (Ctrl-D to end)", err=True)
    items: list[tuple[str, Incoming]] = []
    bad: list[tuple[int, str]] = []
    for n, line in enumerate(sys.stdin.buffer, 1):
        if not line.strip():
            continue
        payload = line[:-2] if line.endswith(b"\r\n") else line.removesuffix(b"\n")
        try:
            items.append((f"line {n}", from_json(payload)))
        except Refused as exc:
            bad.append((n, f"line {n}: {exc}"))
    if not items and not bad:
        raise Failure("no signals on standard input; nothing was written", EXIT_USAGE)
    try:
        if bad:  # what else is wrong, said at once
            signal_events(items, settings.actor)
            _refused(bad)
        recorded, appended = _run(record(settings, items))
    except AppendRefused as exc:
        _refused(bad + [(_line_number(line), line) for line in exc.lines])
    if as_json:
        click.echo(
            json.dumps([{"where": r.where, "signal": r.signal, "repeat_of": r.repeat_of} for r in recorded])
        )
    else:
        for r in recorded:
            click.echo(_recorded_line(r))
    if appended.store_error is not None:
        click.echo(
            f"warroom: warning: the journal has the signals, but this console's store could not be "
            f"updated: {one_line(appended.store_error)} ('warroom sync' catches it up; repeats not checked)",
            err=True,
        )


@intake.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--channel", metavar="CHANNEL", help="The channel of the files' signals (else [intake] email_channel)."
)
@click.option("--once", is_flag=True, help="Take what is in the folder now, then exit (for scripts).")
@click.option(
    "--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 3600),
    help="Seconds between two looks at the folder.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file taken.")
@common
def watch(
    settings: Any, folder: Path | None, channel: str | None, once: bool, interval: float, as_json: bool
) -> None:
    """Record the .json and .eml files dropped in FOLDER (else [intake] folder).

    Each file recorded is moved to FOLDER/done/, one refused to FOLDER/refused/ with
    <name>.reason.txt. A file is taken when whole: write it as .name or name.tmp and rename
    it; its size and time must also be unchanged between two looks (--once takes every
    file at once). Runs until interrupted (Ctrl-C); --once takes what is there and exits
    (exit 1 if a file could not be recorded or moved).
    """

    from data.engine.models import SIGNAL_CHANNELS
    from data.intake.folder import Watch, private_dir, take, waiting

    refuse_observer(settings, "intake watch")
    config = settings.config
    problem = config.problem("intake")
    if problem is not None and (folder is None or channel is None):
        raise Failure(f"{problem}; fix the config file, or give FOLDER and --channel", EXIT_USAGE)
    folder = folder or config.intake.folder
    if folder is None:
        raise Failure(
            "give FOLDER, or set [intake] folder in the config file (docs/configuration.md)", EXIT_USAGE
        )
    channel = channel or config.intake.email_channel
    if channel not in SIGNAL_CHANNELS:
        raise Failure(f"--channel {channel!r}: choose one of {', '.join(SIGNAL_CHANNELS)}", EXIT_USAGE)
    if not folder.is_dir():
        raise Failure(f"{folder} is not a folder", EXIT_USAGE)
    try:
        private_dir(folder / "done")
        private_dir(folder / "refused")
    except OSError as exc:
        raise Failure(f"cannot make done/ and refused/ in {folder}: {exc.strerror or exc}") from None
    stopping = _stopping_on_sigterm() if not once else None
    if not once:
        click.echo(f"watching {folder} for .json and .eml files (Ctrl-C to stop)", err=True)
    watcher = Watch(folder)
    stuck: set[str] = set()  # recorded but not moved: not taken again
    failed = False
    try:
        while True:
            ready = waiting(folder) if once else watcher.ready()
            for path in ready:
                if stopping is not None and stopping.is_set():
                    break
                if path.name in stuck:
                    continue
                taken = _run(take(settings, path, channel))
                failed |= taken.error is not None
                if taken.recorded is not None and taken.error is not None:
                    stuck.add(path.name)
                _report(taken, as_json)
            if once:
                break
            if stopping is not None and stopping.wait(interval):
                raise KeyboardInterrupt  # SIGTERM: stopped between files, as Ctrl-C is
    except KeyboardInterrupt:
        click.echo("warroom: stopped watching", err=True)
    if once and failed:
        sys.exit(1)


def _report(taken: Any, as_json: bool) -> None:
    r = taken.recorded
    if as_json:
        click.echo(json.dumps({
            "file": taken.name, "signal": r.signal if r else None, "repeat_of": r.repeat_of if r else None,
            "refused": taken.reason, "moved_to": str(taken.moved_to) if taken.moved_to else None,
            "error": taken.error,
        }))  # fmt: skip
        sys.stdout.flush()
        return
    name = _shown(taken.name)
    if r is not None:
        click.echo(f"{name}: {_recorded_line(r)}")
    elif taken.reason is not None:
        click.echo(f"{name}: refused: {_shown(one_line(taken.reason), 300)}")
    if taken.error is not None:
        click.echo(f"warroom: {name}: {_shown(taken.error, 500)}", err=True)
    sys.stdout.flush()


@intake.command()
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The port (0: any free one).",
)
@click.option("--port-file", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the port listened on to this file once listening (for scripts).")  # fmt: skip
@common
def serve(settings: Any, port: int, port_file: Path | None) -> None:
    """Take signals by HTTP on 127.0.0.1: POST /signals with a JSON signal object and
    Authorization: Bearer <[intake] token> (docs/intake.md). Refuses to start without a token."""
    from data.intake.endpoint import PATH, IntakeServer

    refuse_observer(settings, "intake serve")
    config = settings.config
    problem = config.problem("intake")
    if problem is not None:
        raise Failure(f"{problem}; intake serve needs a usable [intake] token", EXIT_USAGE)
    if config.intake.token is None:
        where = config.file or "the config file"
        raise Failure(
            f"no [intake] token in {where}: intake serve takes no request without one "
            '(set token = "..." of 16 characters or more: docs/configuration.md)',
            EXIT_USAGE,
        )

    def log(line: str) -> None:
        click.echo(line, err=True)

    try:
        server = IntakeServer(port, settings, config.intake.token.get_secret_value(), log)
    except OSError as exc:
        raise Failure(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    with server:
        if port_file is not None:
            from data.privacy.outfile import write_private

            try:
                write_private(port_file, f"{server.port}\n".encode())
            except OSError as exc:
                raise Failure(f"cannot write {port_file}: {exc.strerror or exc}") from None
        _stop_on_sigterm()
        click.echo(f"taking signals at http://127.0.0.1:{server.port}{PATH} (Ctrl-C to stop)", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("warroom: stopped", err=True)
