"""Stakeholder updates (docs/updates.md): a template per audience (executives, legal,
policy, comms, partners) filled from the incident's state, sent to the audience's channels
(``[notify.audiences]`` in the config file, data/comms/channels.py), then recorded as an
``incident.action`` of kind ``stakeholder_update`` with the extension members
``audience``, ``channels`` and ``sha256`` (docs/journal.md), which resets the update clock.

The templates are TOML: ``data/comms/shipped/updates.toml``, one table per audience; a
user file (``WARROOM_UPDATES_FILE``, else ``<user config dir>/warroom/updates.toml``)
replaces the tables it has. What changed since the last update is summarised by event
type, never quoted: no note, reason or action text reaches an update. The text is masked.
"""

from __future__ import annotations

import hashlib
import os
import string
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from platformdirs import user_config_dir

from data.comms.channels import Delivery, send
from data.engine.config import Audience, WarroomConfig
from data.engine.models import UPDATE_KIND, StakeholderUpdate, parse_rfc3339
from data.engine.store import Store
from data.incidents.queries import checklist, timeline
from data.incidents.views import may_see, parse_time
from data.privacy.mask import mask
from data.procedures.clocks import Policy, t0_of, update_clock

#: the audiences, in the form's order
AUDIENCES: tuple[str, ...] = get_args(Audience)
SHIPPED = Path(__file__).parent / "shipped" / "updates.toml"
ENV_FILE = "WARROOM_UPDATES_FILE"
#: the placeholders a template may use
PLACEHOLDERS = ("incident", "severity", "status", "category", "regions", "title", "commander",
                "changes", "next_steps", "next_update", "since", "now")  # fmt: skip
NEXT_STEPS = 5  # open items listed, soonest due first
WITHHELD = "(withheld from this audience)"


class UpdateError(ValueError):
    """A template that cannot be used, an incident not found or not visible: for people."""


@dataclass(frozen=True)
class Template:
    audience: str
    subject: str
    body: str
    titles: bool  # the incident's title and checklist texts may be shown
    source: str  # the file it comes from


def default_user_file() -> Path:
    given = os.environ.get(ENV_FILE)
    if given:
        return Path(given).expanduser()
    return Path(user_config_dir("warroom", appauthor=False)) / "updates.toml"


def _template(audience: str, table: Any, source: Path) -> Template:
    where = f"{source}: [{audience}]"
    if not isinstance(table, dict):
        raise UpdateError(f"{where} must be a table")
    unknown = sorted(set(table) - {"subject", "body", "titles"})
    if unknown:
        raise UpdateError(f"{where}: unknown key {unknown[0]} (known: body, subject, titles)")
    subject, body, titles = table.get("subject"), table.get("body"), table.get("titles", False)
    if not isinstance(subject, str) or not subject.strip() or "\n" in subject:
        raise UpdateError(f"{where}: subject must be one line of text")
    if not isinstance(body, str) or not body.strip():
        raise UpdateError(f"{where}: body must be text")
    if not isinstance(titles, bool):
        raise UpdateError(f"{where}: titles must be true or false")
    for key, text in (("subject", subject), ("body", body)):
        t = string.Template(text)
        if not t.is_valid():
            raise UpdateError(f"{where}: {key} has a $ that is no placeholder (write $$ for a dollar sign)")
        bad = sorted(set(t.get_identifiers()) - set(PLACEHOLDERS))
        if bad:
            raise UpdateError(
                f"{where}: {key}: unknown placeholder ${bad[0]} (known: {', '.join(PLACEHOLDERS)})"
            )
    return Template(audience, subject, body.strip("\n"), titles, str(source))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UpdateError(f"{path}: {exc}") from None


def load_templates(user_file: Path | None = None) -> dict[str, Template]:
    """Every audience's template: the shipped one, or the user file's table for it.
    Raises UpdateError naming the file and the table."""
    shipped = _read(SHIPPED)
    out = {a: _template(a, shipped[a], SHIPPED) for a in AUDIENCES}
    path = user_file if user_file is not None else default_user_file()
    if path.is_file():
        for audience, table in _read(path).items():
            if audience not in AUDIENCES:
                raise UpdateError(f"{path}: [{audience}] is no audience (audiences: {', '.join(AUDIENCES)})")
            out[audience] = _template(audience, table, path)
    return out


# --- the incident's state ------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """What an update says of one incident (untrusted text: filled, then masked)."""

    incident: str
    title: str
    category: str
    severity: int
    status: str
    regions: tuple[str, ...]
    commander: str | None
    since: datetime | None  # the last update (None: none yet)
    changes: tuple[str, ...]  # one line each, by type, no quoted text
    steps: tuple[tuple[str, datetime | None], ...]  # open items, soonest due first
    next_update: datetime | None  # when the next one is due once this one is sent


def _when(t: datetime | None) -> str:
    return t.astimezone(UTC).strftime("%d %b %H:%MZ") if t is not None else "no set time"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summarise(events: Sequence[tuple[str, Any]]) -> tuple[str, ...]:
    """What a run of ``(type, data)`` events changed, one line per kind of change: values of
    fixed vocabularies (severity, status, states, field names), counts for the rest. Never
    a note, a reason, a title or an action's text."""
    lines: list[str] = []
    counts: Counter[str] = Counter()
    severity: list[str] = []
    status: list[str] = []
    updated: set[str] = set()
    states: Counter[str] = Counter()
    for etype, data in events:
        d = data if isinstance(data, dict) else {}
        if etype == "incident.severity_set" and isinstance(d.get("severity"), int):
            severity.append(f"S{d['severity']}")
        elif etype == "incident.status_set" and isinstance(d.get("status"), str):
            status.append(d["status"])
        elif etype == "incident.updated":
            updated.update(
                k for k in ("title", "category", "source", "regions", "restricted", "summary") if k in d
            )
        elif etype == "checklist.set" and isinstance(d.get("state"), str):
            states[d["state"]] += 1
        elif etype == "incident.action" and d.get("kind") == UPDATE_KIND:
            continue
        elif etype == "incident.opened":
            lines.append("Incident opened")
        else:
            counts[etype] += 1
    if severity:
        lines.append("Severity: " + " → ".join(severity))
    if status:
        lines.append("Status: " + " → ".join(status))
    if updated:
        lines.append("Details updated: " + ", ".join(sorted(updated)))
    words = {
        "incident.role_set": "role change",
        "incident.note": "note",
        "incident.action": "action recorded",
        "checklist.added": "checklist item added",
        "checklist.retimed": "due time moved",
        "incident.participant_added": "participant added",
        "incident.participant_removed": "participant removed",
    }
    for etype, n in counts.items():
        word = words.get(etype)
        if word is None:
            lines.append(f"{n} × {etype}")
        elif word == "action recorded":
            lines.append(f"{n} action{'s' if n != 1 else ''} recorded")
        elif word == "checklist item added":
            lines.append(f"{n} checklist item{'s' if n != 1 else ''} added")
        elif word == "due time moved":
            lines.append(f"{n} due time{'s' if n != 1 else ''} moved")
        elif word.startswith("participant"):
            lines.append(f"{n} participant{'s' if n != 1 else ''} {word.split()[1]}")
        else:
            lines.append(_plural(n, word))
    for state in ("done", "skipped", "blocked", "open"):
        if states[state]:
            verb = {"open": "reopened"}.get(state, state)
            lines.append(f"{_plural(states[state], 'checklist item')} {verb}")
    return tuple(lines)


async def incident_state(store: Store, incident: str, actor: str, policy: Policy, now: datetime) -> State:
    """The incident's state as an update gives it. Raises UpdateError when there is no such
    incident or ``actor`` may not see its details."""
    found = await store.incidents(incident)
    if not found:
        raise UpdateError(f"no incident {incident!r} in the journal")
    inc = found[0]
    if not may_see(inc, actor):
        raise UpdateError(f"{inc.id} is restricted: only its role holders and participants can see it")
    events = await timeline(store, inc.id)
    last = max((i for i, e in enumerate(events) if e.type == "incident.action" and isinstance(e.data, dict)
                and e.data.get("kind") == UPDATE_KIND), default=-1)  # fmt: skip
    since = parse_time(events[last].ts) if last >= 0 else None
    changes = summarise([(e.type, e.data) for e in events[last + 1 :]])
    items = [i for i in await checklist(store, inc.id, states=("open", "blocked"))]
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda i: (_due(i.due) or far, i.added_seq))
    steps = tuple((i.text, _due(i.due)) for i in items[:NEXT_STEPS])
    t0 = t0_of(parse_time(inc.detected_at), parse_time(inc.opened_at))
    clock = update_clock(inc.id, inc.severity, t0, now, policy) if t0 is not None else None
    return State(inc.id, inc.title, inc.category, inc.severity, inc.status, inc.regions,
                 inc.roles.get("commander"), since, changes, steps,
                 clock.due if clock is not None else None)  # fmt: skip


def _due(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        return None


def fill(template: Template, state: State, now: datetime) -> tuple[str, str]:
    """The subject and body for ``state``, masked (user identifiers hidden)."""
    if template.titles:
        steps = [
            f"- {text}" + (f" (due {_when(due)})" if due is not None else "") for text, due in state.steps
        ]
    else:
        steps = [f"- {_plural(len(state.steps), 'open item')} (details withheld)"] if state.steps else []
        if state.steps and state.steps[0][1] is not None:
            steps = [steps[0][:-1] + f"; the first due {_when(state.steps[0][1])})"]
    values = {
        "incident": state.incident,
        "severity": str(state.severity),
        "status": state.status,
        "category": state.category,
        "regions": ", ".join(state.regions) or "none",
        "title": state.title if template.titles else WITHHELD,
        "commander": state.commander or "not assigned",
        "changes": "\n".join(f"- {c}" for c in state.changes) or "- nothing recorded",
        "next_steps": "\n".join(steps) or "- no open items",
        "next_update": _when(state.next_update) if state.next_update is not None else "as needed (no cadence at this severity)",
        "since": _when(state.since) if state.since is not None else "the incident opened",
        "now": _when(now),
    }  # fmt: skip
    subject = string.Template(template.subject).substitute(values)
    body = string.Template(template.body).substitute(values)
    return mask(" ".join(subject.split()))[:200], mask(body)


def sha256(text: str) -> str:
    """The hex SHA-256 of the update's body as sent (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def channels_for(config: WarroomConfig, audience: str) -> list[str]:
    """The channel names ``[notify.audiences]`` gives ``audience`` (none: an empty list)."""
    if config.problem("notify") is not None:
        return []
    return list(config.notify.audiences.get(audience, []))  # type: ignore[call-overload]


async def send_update(config: WarroomConfig, audience: str, subject: str, body: str) -> list[Delivery]:
    """Send to every channel of ``audience``, one after the other; never raises."""
    return [await send(config, name, subject, body) for name in channels_for(config, audience)]


def update_action(
    audience: str,
    body: str,
    deliveries: Sequence[Delivery],
    unsent: str = "no channel configured; the text was handed over to copy",
) -> StakeholderUpdate:
    """The ``incident.action`` that records the update (its ``text`` says where it went;
    ``unsent``: why, when it went to no channel)."""
    sent = [d.channel for d in deliveries if d.ok]
    failed = [d.channel for d in deliveries if not d.ok]
    if not deliveries:
        said = unsent
    else:
        said = "; ".join(
            part for part in (f"sent to {', '.join(sent)}" if sent else "",
                              f"NOT sent to {', '.join(failed)}" if failed else "") if part
        )  # fmt: skip
    return StakeholderUpdate(
        kind=UPDATE_KIND,
        text=f"Stakeholder update to {audience}: {said}.",
        audience=audience,  # type: ignore[arg-type]
        channels=[d.channel for d in deliveries],
        sha256=sha256(body),
    )


def save_text(folder: Path, incident: str, audience: str, subject: str, body: str, now: datetime) -> Path:
    """Write the update to ``folder`` (created 0700 if missing) as a new file readable by its
    owner only; returns its path. Raises OSError."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in incident)[:64]
    path = folder / f"update-{safe}-{audience}-{stamp}.txt"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"update-{safe}-{audience}-{stamp}-{n}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"{subject}\n\n{body}\n")
    return path


async def draft_for(
    settings: Any, incident: str, audience: str, policy: Policy, templates: dict[str, Template], now: datetime
) -> tuple[str, tuple[str, str]]:
    """What ``warroom update`` sends: the store synced with the journal, then the incident's
    id and the audience's template filled. Raises UpdateError."""
    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        state = await incident_state(store, incident, settings.actor, policy, now)
    return state.incident, fill(templates[audience], state, now)
