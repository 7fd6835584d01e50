"""``warroom journal``: the journal in PostgreSQL (docs/deployment.md).

``init URL`` creates the journal's tables (idempotent) and the roles ``warroom_reader``
and ``warroom_writer`` when the connecting user may create roles (else prints the SQL);
``copy SRC DST`` copies a journal from a file to PostgreSQL or back, byte-exact, and
verifies the chain on both sides. Headless: imports no Textual.
"""

from __future__ import annotations

import sys

import click

from app.cli_base import EXIT_USAGE, Failure, main, observer_given, refuse_observer


def _pg(url: str):  # type: ignore[no-untyped-def]
    from data.engine.config import is_url

    if not is_url(url):
        raise Failure(f"journal init needs a postgresql:// URL, not {url!r}", EXIT_USAGE)
    from data.engine.pg_journal import PgJournal

    return PgJournal(url)


@main.group("journal")
def journal_group() -> None:
    """The journal kept in PostgreSQL: create its tables and roles, copy a journal in or out."""


@journal_group.command("init")
@click.argument("url", metavar="URL")
@click.option("--no-roles", is_flag=True, help="Create the tables only, not the roles.")
@click.pass_context
def init(ctx: click.Context, url: str, no_roles: bool) -> None:
    """Create the journal's tables in the database at URL (postgresql://…), and the roles
    warroom_reader (SELECT: observers) and warroom_writer (SELECT and INSERT). Safe to run
    again: what exists is left as it is."""
    from data.engine.journal import JournalError
    from data.engine.pg_journal import roles_sql

    refuse_observer(observer_given(ctx), "journal init")
    journal = _pg(url)
    try:
        done = journal.init_schema()
        for line in done or [
            f"the journal tables are already there in {journal.location}: nothing to create"
        ]:
            click.echo(line)
        if no_roles:
            return
        if journal.may_create_roles():
            for line in journal.create_roles():
                click.echo(line)
            click.echo(
                "grant them to login roles: GRANT warroom_writer TO <a console's login>; "
                "GRANT warroom_reader TO <an observer's login>;"
            )
        else:
            click.echo("this user may not create roles; a superuser (or a role with CREATEROLE) can run:")
            for sql in roles_sql(journal.database):
                click.echo(f"  {sql};")
    except JournalError as exc:
        raise Failure(str(exc)) from None
    finally:
        journal.close()


@journal_group.command("copy")
@click.argument("src", metavar="SRC")
@click.argument("dst", metavar="DST")
@click.pass_context
def copy(ctx: click.Context, src: str, dst: str) -> None:
    """Copy the journal SRC into the empty journal DST, byte-exact and in order (each a file
    path or a postgresql:// URL), then verify the chain on both sides."""
    from data.engine.copy import copy_journal
    from data.engine.journal import JournalError

    refuse_observer(observer_given(ctx), "journal copy")
    try:
        report = copy_journal(src, dst)
    except JournalError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"copied {report.lines} lines from {report.source} to {report.dest}")
    if report.fragment:
        click.echo(f"not copied: {report.fragment} bytes of an unfinished last line of the source")
    for side, chain, where in (
        ("source", report.source_chain, report.source),
        ("copy", report.dest_chain, report.dest),
    ):
        if chain.intact:
            click.echo(f"{side}: intact: {chain.lines} lines ({where})")
        else:
            line, reason = chain.breaks[0]
            click.echo(
                f"{side}: broken at line {line}: {reason} ({len(chain.breaks)} breaks in all; {where})"
            )
    if report.dest_chain.lines != report.lines or report.source_chain.breaks != report.dest_chain.breaks:
        raise Failure("the copy does not match its source")
    if not report.source_chain.intact:
        click.echo("the source's chain is broken: it was copied as it is (the copy has the same breaks)")
        sys.exit(1)
