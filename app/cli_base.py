"""The ``warroom`` command group and what every command shares: options, failures, exit
codes, masked and private output. Each ``app/cli*.py`` module adds its commands to ``main``;
``app/cli.py`` gathers them."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NoReturn, TypeVar

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
    """``data.privacy.text.raw_controls()`` for ``--raw-text`` on CSV or Markdown, else a no-op; a
    usage error on JSON (always exact, with its controls escaped)."""
    import contextlib

    from data.privacy.text import raw_controls

    if flag and fmt == "json":
        raise Failure(
            "--raw-text is for CSV and Markdown: JSON is exact as it is (controls as \\u escapes)", EXIT_USAGE
        )
    return raw_controls() if flag else contextlib.nullcontext()


class Failure(click.ClickException):
    """A user-facing error: one line on stderr, a non-zero exit, no traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # (click's own pattern: a class default, set per instance)

    def show(self, file: Any = None) -> None:
        click.echo(f"warroom: {one_line(self.format_message())}", err=True)


def one_line(message: str) -> str:
    return " ".join(message.split())


def _run(coro: Coroutine[Any, Any, T], *, blocking: bool = False) -> T:
    """Run a command's coroutine in an event loop; ``blocking``: without one
    (data/engine/blocking.py: ``warroom append``, which then never imports asyncio)."""
    from data.engine.envconfig import ConfigError
    from data.engine.errors import StoreError
    from data.engine.journal import JournalError, WriteUnknown

    try:
        if blocking:
            from data.engine.blocking import run_blocking

            return run_blocking(coro)
        import asyncio

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
    @click.pass_context  # type: ignore[arg-type]  # (functools.wraps's type hides the signature)
    @functools.wraps(f)
    def wrapper(ctx: click.Context, journal: str | None, db: str | None, actor: str | None, **kw: Any) -> Any:
        parent = ctx.find_root().params
        from data.config import resolve
        from data.engine.envconfig import ConfigError

        observer = kw.pop("observer", None)
        try:
            settings = resolve(
                journal or parent.get("journal"),
                db or parent.get("db"),
                actor or parent.get("actor"),
                observer if observer is not None else parent.get("observer"),
            )
        except ConfigError as exc:
            raise Failure(str(exc), EXIT_USAGE) from None
        os.umask(0o077)  # everything this tool creates is readable by its owner only
        return ctx.invoke(f, settings, **kw)

    return wrapper


class LazyGroup(click.Group):
    """A group whose sub-command modules are imported when one of their commands is asked
    for (click's "lazy loading" pattern): ``warroom append`` does not import the roster's.
    :attr:`lazy` maps a command's name to the module that adds it to the group."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            import importlib

            importlib.import_module(self.lazy[cmd_name])  # it registers its commands on the group
        return self.commands.get(cmd_name)


@click.group(
    cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]}
)
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
    if ctx.invoked_subcommand != "append":  # (append turns it on once it has imported what it needs)
        import gc

        gc.enable()  # app/cli.py's run() turned it off while the command's modules are imported
    if ctx.invoked_subcommand is None:
        ctx.invoke(main.commands["console"])  # (app/cli.py adds it)


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
    from data.config import observer_env
    from data.engine.config import ConfigError

    try:
        return observer_env()
    except ConfigError as exc:
        raise Failure(str(exc), EXIT_USAGE) from None


def audit_unmasked(
    settings: Any, kind: str, fmt: str, incident: str | None = None, region: str | None = None
) -> None:
    """Write the audit event of an ``--unmasked`` output before the output; if it cannot be
    written, nothing is output (a Failure)."""
    from data.commands import AppendRefused, audit_unmasked_export
    from data.engine.journal import JournalError
    from data.engine.store import StoreError

    refuse_observer(settings, "--unmasked (it writes an audit event)")
    try:
        _run(audit_unmasked_export(settings, kind, fmt, incident, region))
    except AppendRefused as exc:
        raise Failure("--unmasked: the audit event was refused, nothing was output: " + str(exc)) from None
    except (JournalError, StoreError, OSError) as exc:
        raise Failure(
            f"--unmasked: the audit event could not be written, nothing was output: {exc}"
        ) from None


def unmasked_if(flag: bool) -> Any:
    """``data.privacy.text.unmasked()`` when ``flag`` (after :func:`audit_unmasked`), else a no-op."""
    import contextlib

    from data.privacy.text import unmasked

    return unmasked() if flag else contextlib.nullcontext()


def masked_json(value: Any) -> Any:
    """A JSON report's string values masked, unless inside ``unmasked_if(True)``."""
    from data.privacy.mask import mask_value
    from data.privacy.text import masking

    return mask_value(value) if masking() else value


def write_output(text: str, output: str | None, what: str = "") -> None:
    """``text`` to the file ``output`` (mode 0600 even when it replaces an existing file:
    data.privacy.outfile; saying so on stderr), else to stdout, as UTF-8 whatever the locale. Every
    command that writes an export or a report (``-o``) writes it here."""
    if output:
        from data.privacy.outfile import write_private

        try:
            write_private(output, text.encode("utf-8"))
        except OSError as exc:
            raise Failure(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(f"wrote {what} to {output}", err=True)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))  # UTF-8 whatever the locale
        sys.stdout.flush()


def templates_or_warn() -> dict[str, Any]:
    """The procedures in force; a template file that cannot be loaded is reported."""
    from data.procedures.sop import load_templates

    loaded = load_templates()
    for error in loaded.errors:
        click.echo(f"warroom: warning: SOP template not loaded: {one_line(str(error))}", err=True)
    return dict(loaded.templates)


def refused(lines: Sequence[str]) -> NoReturn:
    """A batch the journal's rules refuse: every reason printed, then exit 2 (nothing written)."""
    for line in lines:
        click.echo(f"warroom: {line}", err=True)
    click.echo("warroom: nothing was written", err=True)
    sys.exit(EXIT_USAGE)


def write_drafts(
    settings: Any, drafts: list[Any], what: str, *, check: str, procedure: bool = False
) -> list[str]:
    """Append ``drafts`` (``Draft`` events) as one batch, as ``what`` (the name a refusal
    gives them); with ``procedure``, what the procedures call for joins the batch, as the
    console adds it. Returns the ids written. A refusal is printed in full and exits 2
    (nothing written); a write whose outcome is unknown exits 3, saying to ``check`` (the
    command that shows whether it landed)."""
    from data.commands import AppendRefused, append_events, build_events
    from data.engine.journal import JournalError, WriteUnknown
    from data.engine.store import StoreError

    refuse_observer(settings, what)
    templates = templates_or_warn() if procedure else None
    try:
        events = build_events([(what, d) for d in drafts], settings.actor)
        result = _run(append_events(settings, events, [what] * len(events), templates=templates))
    except AppendRefused as exc:
        refused(exc.lines)
    except WriteUnknown as exc:
        raise Failure(
            f"{exc}; whether it was written is unknown: check with `{check}`", EXIT_UNKNOWN
        ) from None
    except (JournalError, StoreError, OSError) as exc:
        raise Failure(f"{what}: nothing was written: {exc}") from None
    return list(result.ids)
