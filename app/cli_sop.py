"""``warroom sop``: the standard operating procedures in force (shipped templates, extended
or replaced by the user's own files). Needs no journal and no store; imports no Textual.

A file that was refused is reported on stderr as ``FILE:LINE: reason`` and the command
exits 1, after printing what did load. An unknown category is a usage error (exit 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from app.cli_base import EXIT_USAGE, Failure, main

_DIR_HELP = "Folder of your own template files (else WARROOM_SOP_DIR, else the user config folder)."


def _load(user_dir: Path | None) -> Any:
    from data.procedures.sop import load_templates

    return load_templates(user_dir)


def _report(found: Any) -> None:
    """Every refused file's errors on stderr, one line each; exit 1 if there were any."""
    from data.privacy.text import clean

    for error in found.errors:
        click.echo(f"warroom: {clean(str(error))}", err=True)
    if found.errors:
        sys.exit(1)


def _sources(template: Any) -> list[dict[str, str]]:
    out = []
    for n, path in enumerate(template.sources):
        kind = "shipped" if n == 0 and template.shipped else "user"
        out.append({"kind": kind, "path": str(path)})
    return out


@main.group()
def sop() -> None:
    """Standard operating procedures: the checklist template of each category."""


@sop.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--dir", "user_dir", type=click.Path(file_okay=False, path_type=Path), help=_DIR_HELP)
def list_templates(as_json: bool, user_dir: Path | None) -> None:
    """Each category's template in force: version, title, items, source files."""
    from data.privacy.text import clean
    from data.procedures.sop import default_user_dir

    found = _load(user_dir)
    if as_json:
        doc = {
            "user_dir": str(user_dir or default_user_dir()),
            "templates": [
                {
                    "category": t.category,
                    "version": t.version,
                    "title": t.title,
                    "t0": t.t0,
                    "items": len(t.items),
                    "sources": _sources(t),
                }
                for t in found.templates.values()
            ],
            "errors": [{"path": str(e.path), "line": e.line, "reason": e.reason} for e in found.errors],
        }
        click.echo(json.dumps(doc))
    else:
        for t in found.templates.values():
            count = f"{len(t.items)} item{'s' if len(t.items) != 1 else ''}"
            click.echo(f"{t.category:<18} {t.version:<28} {count:>9}  {clean(t.title)}")
            for src in _sources(t):
                click.echo(f"{'':<18} {src['kind']}: {clean(src['path'])}")
    _report(found)


@sop.command("show")
@click.argument("category")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--dir", "user_dir", type=click.Path(file_okay=False, path_type=Path), help=_DIR_HELP)
def show(category: str, as_json: bool, user_dir: Path | None) -> None:
    """The items of CATEGORY's template, in order: id, team, due, condition, basis, text."""
    from data.engine.models import CATEGORIES
    from data.privacy.text import clean
    from data.procedures.sop import ANY

    if category not in CATEGORIES and category != ANY:
        raise Failure(
            f"unknown category {clean(category)!r} (expected one of: {', '.join((*CATEGORIES, ANY))})",
            EXIT_USAGE,
        )
    found = _load(user_dir)
    template = found.get(category)
    if template is None:
        _report(found)
        raise Failure(f"no template is in force for {category!r}")
    if as_json:
        doc = {
            "category": template.category,
            "version": template.version,
            "title": template.title,
            "t0": template.t0,
            "sources": _sources(template),
            "items": [item.as_dict() for item in template.items],
            "errors": [{"path": str(e.path), "line": e.line, "reason": e.reason} for e in found.errors],
        }
        click.echo(json.dumps(doc))
    else:
        click.echo(f"{template.version}  {clean(template.title)}")
        click.echo(f"T0: {clean(template.t0)}")
        for src in _sources(template):
            click.echo(f"{src['kind']}: {clean(src['path'])}")
        width = len(str(len(template.items)))
        for n, item in enumerate(template.items, 1):
            when = item.when.describe() if item.when is not None else "always"
            click.echo("")
            click.echo(f"{n:>{width}}. {item.id}  [{item.team}]  due {item.due_text()}  when: {when}")
            pad = " " * (width + 2)
            click.echo(f"{pad}{clean(item.text)}")
            if item.basis:
                click.echo(f"{pad}basis: {clean(item.basis)}")
    _report(found)
