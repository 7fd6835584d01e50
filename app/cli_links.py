"""``warroom link``, ``warroom merge`` and ``warroom links``: linked incidents and merging
(docs/links.md). Headless: imports no Textual."""

from __future__ import annotations

import json
from typing import Any

import click

from app.cli_base import EXIT_USAGE, Failure, _run, common, main, refuse_observer, write_drafts

LINK_KINDS = ("related", "parent", "child", "duplicate_of", "unlinked")


@main.command()
@click.argument("incident", metavar="INCIDENT")
@click.argument("other", metavar="OTHER")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(LINK_KINDS),
    help="What INCIDENT is to OTHER (parent: its parent; duplicate_of: a duplicate of it); unlinked removes the link.",
)
@click.option("--note", default=None, help="Why they are linked.")
@common
def link(settings: Any, incident: str, other: str, kind: str, note: str | None) -> None:
    """Link INCIDENT to OTHER (an incident.linked on INCIDENT; both show it). A link to
    itself, to an incident never opened, a parent/child or duplicate cycle, or to a
    restricted incident you may not act on is refused (exit 2)."""
    from data.engine.models import Draft, EventError, IncidentLinked

    refuse_observer(settings, "link")
    given = {"other": other, "kind": kind} | ({"note": note} if note is not None else {})
    try:
        draft = Draft.of(IncidentLinked, given, incident=incident)
    except EventError as exc:
        raise Failure(f"nothing was written: {exc}", EXIT_USAGE) from None
    write_drafts(settings, [draft], "link", check=f"warroom links {incident}", procedure=True)
    click.echo(f"{incident}: {'link to ' + other + ' removed' if kind == 'unlinked' else kind + ' ' + other}")


@main.command()
@click.argument("incident", metavar="B")
@click.option("--into", "target", required=True, metavar="A", help="The incident B is merged into.")
@click.option(
    "--move-items", is_flag=True, help="Move B's open checklist items to A (closed on B, 'moved to A')."
)
@click.option(
    "--close-items", metavar="REASON", help="Close B's open checklist items with this reason instead."
)
@click.option("--note", default=None, help="Why B is a duplicate of A (on the link).")
@common
def merge(settings: Any, incident: str, target: str, move_items: bool, close_items: str | None,
          note: str | None) -> None:  # fmt: skip
    """Merge incident B into A, in one batch: B linked as a duplicate of A, its open
    checklist items moved to A (--move-items) or closed with a reason (--close-items), B set
    merged. Nothing is deleted; B's preservation holds stay open on B and keep running. A's
    timeline shows B's entries. Refused (exit 2): into itself, into a closed or merged
    incident, a B already closed, a cycle, a restricted A or B you may not act on."""
    from data.engine.store import Store
    from data.incidents.links import How, LinkRefused, plan_merge

    refuse_observer(settings, "merge")
    if move_items == (close_items is not None):
        raise Failure("give one of --move-items or --close-items REASON", EXIT_USAGE)

    async def plan() -> list[Any]:
        async with await Store.open(settings.db) as store:
            await store.sync(settings.open_journal())
            how: How = "move" if move_items else "close"
            return await plan_merge(store, incident, target, settings.actor, how, close_items, note)

    try:
        drafts = _run(plan())
    except LinkRefused as exc:
        raise Failure(f"nothing was written: {exc}", EXIT_USAGE) from None
    write_drafts(settings, drafts, "merge", check=f"warroom links {target}", procedure=True)
    moved = sum(1 for d in drafts if d.type == "checklist.added")
    covered = sum(
        1
        for d in drafts
        if d.type == "checklist.set" and "covered by" in (d.as_input()["data"].get("note") or "")
    )
    closed = sum(1 for d in drafts if d.type == "checklist.set") - moved - covered
    also = f", {covered} covered by {target}'s own" if covered else ""
    click.echo(f"{incident} merged into {target}: {moved} item(s) moved{also}, {closed} closed")


@main.command()
@click.argument("incident", metavar="INCIDENT")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
@common
def links(settings: Any, incident: str, as_json: bool) -> None:
    """The links of INCIDENT, both ways (seen from it: parent and child swap, a duplicate
    of it reads duplicated_by). A restricted incident you may not see shows its id and
    "(restricted)"."""
    from data.engine.models import TERMINAL_STATUSES
    from data.engine.store import Store
    from data.incidents.links import links as read_links
    from data.incidents.links import name_of
    from data.incidents.views import may_see
    from data.privacy.text import clean

    async def read() -> list[tuple[Any, Any]]:
        async with await Store.open(settings.db) as store:
            await store.sync(settings.open_journal())
            if not await store.incidents(incident):
                raise Failure(f"incident {incident} was never opened", EXIT_USAGE)
            out = []
            for r in await read_links(store, incident):
                found = await store.incidents(r.other)
                out.append((r, found[0] if found else None))
            return out

    def note(r: Any, o: Any) -> str | None:
        """A link's note, withheld beside a restricted incident the actor may not see."""
        return r.note if o is None or may_see(o, settings.actor) else None

    rows = _run(read())
    if as_json:
        click.echo(json.dumps([{"incident": r.incident, "other": r.other, "kind": r.kind, "note": note(r, o),
                                "actor": r.actor, "ts": r.ts, "status": o.status if o else None}
                               for r, o in rows], indent=2))  # fmt: skip
        return
    if not rows:
        click.echo(f"{incident} has no links")
    for r, o in rows:
        name = name_of(o, settings.actor) if o is not None else r.other
        status = f" [{o.status.replace('_', ' ')}]" if o is not None and o.status in TERMINAL_STATUSES else ""
        click.echo(clean(f"{r.words} {name}{status}", 400))
