"""``warroom outbox``: what this console's store holds that has not reached the journal
(docs/offline.md): actions typed while the journal was unreachable, waiting to be sent,
and those the journal refused when they were sent. Imports no Textual."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from app.cli_base import Failure, _run, common, main


@main.group()
def outbox() -> None:
    """Actions waiting for the journal (or refused by it) in this console's store."""


def _when(t: float | None) -> str | None:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None


async def _entries(settings: Any) -> list[Any]:
    from data.engine import outbox as ob
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        return await ob.entries(store)


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@common
def list_(settings: Any, as_json: bool) -> None:
    """Every entry, oldest first: waiting, or refused with the reason."""
    from data.privacy.text import clean

    found = _run(_entries(settings))
    if as_json:
        click.echo(json.dumps([
            {"seq": e.seq, "queued_at": _when(e.queued_at), "description": e.description,
             "state": "refused" if e.refused else "waiting", "reason": e.refused,
             "events": [{"id": ev["id"], "type": ev["type"], "incident": ev.get("incident")} for ev in e.events]}
            for e in found
        ], indent=2))  # fmt: skip
        return
    if not found:
        click.echo("the outbox is empty: everything typed here reached the journal")
        return
    for e in found:
        state = f"REFUSED: {clean(e.refused, 300)}" if e.refused else "waiting"
        click.echo(f"{e.seq:>5}  {_when(e.queued_at)}  {clean(e.description, 120)}  {state}")


@outbox.command("drop")
@click.argument("seq", type=int)
@click.option(
    "--waiting", is_flag=True, help="Also drop an entry that is still waiting (it will never be sent)."
)
@common
def drop(settings: Any, seq: int, waiting: bool) -> None:
    """Throw away entry SEQ (by default only a refused one)."""
    from data.engine import outbox as ob
    from data.engine.store import Store

    async def run() -> str:
        async with await Store.open(settings.db) as store:
            entry = next((e for e in await ob.entries(store) if e.seq == seq), None)
            if entry is None:
                raise Failure(f"no outbox entry {seq} (warroom outbox list shows them)")
            if entry.refused is None and not waiting:
                raise Failure(f"entry {seq} is still waiting to be sent; give --waiting to drop it anyway")
            await ob.remove(store, seq)
            return entry.description

    click.echo(f"dropped entry {seq}: {_run(run())}")
