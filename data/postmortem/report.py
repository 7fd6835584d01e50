"""Post-mortems: the view model of one incident's post-mortem, its meeting clock, and its
Markdown export (pure, no Textual). The events and the clock are specified in
docs/postmortem.md.

Need-to-know holds here as on the screens: for a restricted incident in which the actor
holds no role and is not a participant, no title, section text, timeline text, action text or note is given (None,
shown as ``(restricted)``); ids, severities, states, owners, times and counts stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data.engine.config import WarroomConfig, load_config
from data.engine.lazy import lazy
from data.engine.models import PM_SECTIONS
from data.handoff.report import md
from data.incidents.describe import describe
from data.incidents.views import may_see, parse_time
from data.privacy.text import clean
from data.procedures.clocks import Clock, PmPolicy, add_business_days, clock_state, meeting_clock, span

if TYPE_CHECKING:
    from data.engine.store import Store
    from data.incidents import queries as incident_queries
    from data.postmortem import queries
else:  # (SQLAlchemy: imported when first used, after the console's first paint)
    incident_queries = lazy("data.incidents.queries")
    queries = lazy("data.postmortem.queries")

#: how each section is titled, with the question it answers (the order is PM_SECTIONS')
SECTION_TITLES: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "What happened, in two or three sentences"),
    "impact": ("Impact", "Who and what was affected, for how long, how many (counts, never content)"),
    "root_cause": ("Root cause", "Why it happened"),
    "contributing_factors": ("Contributing factors", "What made it worse or slower"),
    "five_whys": ("Five whys", "Why? five times, one line each"),
    "went_well": ("What went well", "What to keep doing"),
    "got_lucky": ("Where we got lucky", "What saved us this time but will not next time"),
    "lessons": ("Lessons", "What we learned"),
}
STATUS_TITLES = {"draft": "draft", "in_review": "in review", "reviewed": "reviewed", "closed": "closed"}
KIND_TITLES = {"mitigate": "mitigate", "prevent": "prevent", "process": "process"}
WITHHELD = "(restricted)"


# --- the meeting clock ------------------------------------------------------------------


class PmPolicyError(ValueError):
    """A malformed ``[postmortem]`` section; ``str()`` names the file and the key."""


def pm_policy_of(config: WarroomConfig) -> PmPolicy:
    """The policy of ``[postmortem]`` in the loaded config (absent: defaults). Raises
    :class:`PmPolicyError` naming the file and the key for a section that cannot be used."""
    config.check("postmortem", PmPolicyError)
    section = config.postmortem
    out: dict[str, Any] = {}
    if section.meeting_days is not None:
        out["days"] = {int(k): v for k, v in section.meeting_days.items()}
    if section.business_days is not None:
        out["business"] = frozenset(section.business_days)
    if section.tz is not None:
        out["tz"] = section.tz
    out["calendar"] = config.obligations.calendar  # its public holidays are not business days
    return PmPolicy(**out)


def load_pm_policy(path: Path) -> PmPolicy:
    """:func:`pm_policy_of` the config file ``path`` (a process has its config loaded
    once: ``Settings.config``; this is for a file of its own)."""
    return pm_policy_of(load_config(path))


# --- the view model ---------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    hint: str
    text: str | None  # None: withheld; "" : not written yet
    by: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class ActionItem:
    id: str
    kind: str
    text: str | None  # None: withheld
    owner: str
    due: datetime | None
    state: str
    note: str | None
    state_by: str | None
    state_at: datetime | None


@dataclass(frozen=True)
class Entry:
    seq: int
    id: str
    ts: datetime | None
    actor: str
    type: str
    text: str | None  # None: withheld
    pinned: bool


@dataclass(frozen=True)
class Meeting:
    at: datetime | None
    attendees: tuple[str, ...]
    note: str | None
    actor: str


@dataclass(frozen=True)
class PmDecision:
    """A decision of the incident (docs/decisions.md); text, options, rationale and basis
    None when withheld."""

    decision: str
    ts: datetime | None
    actor: str
    text: str | None
    options: tuple[str, ...] | None
    rationale: str | None
    approvers: tuple[tuple[str, str], ...]  # (person, role)
    basis: str | None
    reversible: bool
    supersedes: str | None
    superseded_by: str | None


@dataclass(frozen=True)
class Postmortem:
    incident: str
    title: str | None  # None: withheld
    severity: int
    category: str
    incident_status: str
    restricted: bool
    visible: bool  # whether the actor may see (and so edit) its text
    status: str  # draft, in_review, reviewed, closed
    status_reason: str | None
    status_by: str | None
    status_at: datetime | None
    detected_at: datetime | None
    opened_at: datetime | None
    acknowledged_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sections: tuple[Section, ...]
    actions: tuple[ActionItem, ...]
    timeline: tuple[Entry, ...]
    meetings: tuple[Meeting, ...]
    clock: Clock | None
    generated_at: datetime
    last_seq: int = 0
    #: every decision of the incident, in journal order, superseded ones too
    decisions: tuple[PmDecision, ...] = ()

    @property
    def t0(self) -> datetime | None:
        return self.detected_at or self.opened_at

    def metrics(self) -> tuple[tuple[str, datetime | None, str], ...]:
        """(what, when, how long after T0) for acknowledge, contain, resolve."""
        return tuple(
            (name, at, duration(self.t0, at))
            for name, at in (
                ("Time to acknowledge", self.acknowledged_at),
                ("Time to contain", self.contained_at),
                ("Time to resolve", self.resolved_at),
            )
        )

    @property
    def pinned(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.timeline if e.pinned)

    def clock_state(self) -> str | None:
        return clock_state(self.clock, self.generated_at) if self.clock is not None else None

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    def action(self, action_id: str) -> ActionItem | None:
        return next((a for a in self.actions if a.id == action_id), None)


def duration(start: datetime | None, end: datetime | None) -> str:
    """``4m 00s``, ``2h 05m``, ``1d 3h 10m``; ``—`` when either end is unknown."""
    if start is None or end is None:
        return "—"
    secs = int((end - start).total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        return f"{sign}{d}d {h}h {m}m"
    if h:
        return f"{sign}{h}h {m:02d}m"
    return f"{sign}{m}m {s:02d}s"


async def build_postmortem(
    store: Store, incident: str, actor: str, now: datetime, policy: PmPolicy | None = None
) -> Postmortem | None:
    """The post-mortem of ``incident`` as the store stands (None: no such incident)."""
    policy = policy or PmPolicy()
    rows = await store.incidents(incident)
    if not rows:
        return None
    inc = rows[0]
    visible = may_see(inc, actor)
    pm = await queries.postmortem(store, incident)
    events = await incident_queries.timeline(store, incident)

    def shown(text: Any) -> str | None:
        return (text if isinstance(text, str) else None) if visible else None

    sections = []
    for name in PM_SECTIONS:
        title, hint = SECTION_TITLES[name]
        row = pm.sections.get(name)
        text = row.text if row is not None else ""
        sections.append(
            Section(
                name,
                title,
                hint,
                text if visible else None,
                row.actor if row else None,
                parse_time(row.ts) if row else None,
            )
        )
    actions = tuple(
        ActionItem(
            a.action,
            a.kind,
            shown(a.text),
            a.owner,
            parse_time(a.due),
            a.state,
            shown(a.note),
            a.state_by,
            parse_time(a.state_at),
        )
        for a in pm.actions
    )
    pins = pm.pins
    timeline = []
    for e in events:
        if e.type.startswith("postmortem."):
            continue  # the post-mortem's own edits are not the incident's story
        data = e.data if isinstance(e.data, dict) else {}
        default = e.type == "incident.note" and data.get("pinned") is True
        timeline.append(
            Entry(
                e.seq,
                e.id,
                parse_time(e.ts),
                e.actor,
                e.type,
                describe(e.type, data) if visible else None,
                pins.get(e.id, default),
            )
        )
    meetings = tuple(Meeting(parse_time(m.at), m.attendees, shown(m.note), m.actor) for m in pm.meetings)
    held = [m.at for m in meetings if m.at is not None]
    resolved = parse_time(inc.resolved_at)
    clock = meeting_clock(incident, inc.severity, resolved, min(held) if held else None, policy)
    from data.decisions.queries import decisions as decision_rows

    decisions = tuple(
        PmDecision(
            d.decision,
            parse_time(d.ts),
            d.actor,
            shown(d.text),
            d.options if visible else None,
            shown(d.rationale),
            tuple((a.person, a.role) for a in d.approvers),
            shown(d.basis),
            d.reversible,
            d.supersedes,
            d.superseded_by,
        )
        for d in await decision_rows(store, incident)
    )
    st = pm.status
    return Postmortem(
        incident=incident,
        title=inc.title if visible else None,
        severity=inc.severity,
        category=inc.category,
        incident_status=inc.status,
        restricted=inc.restricted,
        visible=visible,
        status=st.status if st else "draft",
        status_reason=shown(st.reason) if st else None,
        status_by=st.actor if st else None,
        status_at=parse_time(st.ts) if st else None,
        detected_at=parse_time(inc.detected_at),
        opened_at=parse_time(inc.opened_at),
        acknowledged_at=parse_time(inc.acknowledged_at),
        contained_at=parse_time(inc.contained_at),
        resolved_at=resolved,
        closed_at=parse_time(inc.closed_at),
        sections=tuple(sections),
        actions=actions,
        timeline=tuple(timeline),
        meetings=meetings,
        clock=clock,
        generated_at=now.astimezone(UTC),
        last_seq=inc.last_seq,
        decisions=decisions,
    )


# --- text for people --------------------------------------------------------------------


def clock_summary(pm: Postmortem) -> tuple[str, str]:
    """The meeting clock in one line, and its state: ``("due in 1d02h (25 Nov 03:00Z)",
    "ok")``, ``("OVERDUE by 4h00m …", "overdue")``, ``("met: held 24 Nov 10:00Z", "met")``;
    ``("no meeting clock for S3", "none")``."""
    c = pm.clock
    if c is None:
        if pm.severity in (1, 2) and pm.resolved_at is None:
            return "starts when the incident is resolved", "none"
        return f"no meeting clock for S{pm.severity}", "none"
    state = clock_state(c, pm.generated_at)
    due = c.due.strftime("%d %b %H:%MZ")
    if state in ("met", "missed"):
        held = c.closed_at.strftime("%d %b %H:%MZ") if c.closed_at else "?"
        return f"{state.upper() if state == 'missed' else state}: held {held}, due {due}", state
    left = c.due - pm.generated_at
    if state == "overdue":
        return f"OVERDUE by {span(-left)} (due {due})", state
    mark = "! " if state == "at_risk" else ""
    return f"{mark}due in {span(left)} ({due})", state


# --- Markdown --------------------------------------------------------------------------


def md_block(text: str) -> str:
    """Multi-line untrusted text as literal Markdown: each line escaped (``md``), a line
    that could start a block (a list, a quote, a heading, a rule, code) made literal, and
    the lines kept as lines (hard breaks); blank lines separate paragraphs."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = md(raw.strip(), None)
        if not line:
            if out and out[-1] != "":
                out.append("")
            continue
        if line[0] in "-+=" or (line[0].isdigit() and _ordered(line)):
            line = "\\" + line if not line[0].isdigit() else _escape_ordered(line)
        if out and out[-1] != "":
            out[-1] += "  "  # a hard line break after the line before
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def _ordered(line: str) -> bool:
    i = 0
    while i < len(line) and line[i].isdigit():
        i += 1
    return i < len(line) and line[i] in ".)"


def _escape_ordered(line: str) -> str:
    i = 0
    while line[i].isdigit():
        i += 1
    return line[:i] + "\\" + line[i:]


def _when(t: datetime | None) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if t is not None else "—"


def _text(value: str | None, limit: int | None = 300) -> str:
    return WITHHELD if value is None else md(value, limit)


def to_markdown(pm: Postmortem) -> str:
    """The post-mortem as a Markdown document, safe to paste whatever the journal holds."""
    out: list[str] = []
    add = out.append
    title = _text(pm.title, 200)
    add(f"# Post-mortem: {md(pm.incident, 32)} · {title}")
    add("")
    status = f"**Status: {STATUS_TITLES.get(pm.status, md(pm.status))}**"
    if pm.status_by:
        reason = f": {_text(pm.status_reason)}" if pm.status_reason or not pm.visible else ""
        status += f" (set by {md(pm.status_by, 64)}, {_when(pm.status_at)}{reason})"
    add(status)
    add("")
    add(
        f"Severity S{pm.severity} · {md(pm.category)} · incident {md(pm.incident_status)}"
        + (" · RESTRICTED (need-to-know)" if pm.restricted else "")
    )
    add(f"Generated {_when(pm.generated_at)}")
    add("")
    add("## Meeting clock")
    add("")
    text, _ = clock_summary(pm)
    if pm.clock is not None:
        add(f"- {md(pm.clock.label)}")
        add(f"- Due {_when(pm.clock.due)}: {md(text)}")
    else:
        add(f"- {md(text)}")
    for m in pm.meetings:
        who = ", ".join(md(a, 64) for a in m.attendees) or "attendees not recorded"
        note = f" — {_text(m.note)}" if m.note is not None or not pm.visible else ""
        add(f"- Meeting held {_when(m.at)} (recorded by {md(m.actor, 64)}): {who}{note}")
    add("")
    add("## Lifecycle")
    add("")
    add("| | when | after T0 |")
    add("|---|---|---|")
    add(f"| T0 ({'detected' if pm.detected_at else 'opened'}) | {_when(pm.t0)} | |")
    for name, at, after in pm.metrics():
        add(f"| {name} | {_when(at)} | {after} |")
    add(f"| Closed | {_when(pm.closed_at)} | {duration(pm.t0, pm.closed_at)} |")
    for s in pm.sections:
        add("")
        add(f"## {s.title}")
        add("")
        if s.text is None:
            add(WITHHELD)
        elif not s.text.strip():
            add("_Not written yet._")
        else:
            add(md_block(s.text))
    add("")
    add("## Decisions")
    add("")
    for d in pm.decisions:
        who = ", ".join(f"{md(p, 64)} ({md(r)})" for p, r in d.approvers)
        gone = f" · **superseded by {md(d.superseded_by, 32)}**" if d.superseded_by else ""
        add(f"- **{md(d.decision, 32)}** · {_when(d.ts)} · {_text(d.text, 2000)}{gone}")
        add(f"  - Approved by {who}; {'reversible' if d.reversible else '**irreversible**'}")
        if d.basis or not pm.visible:
            add(f"  - Basis: {_text(d.basis, 2000)}")
        if d.supersedes:
            add(f"  - Supersedes {md(d.supersedes, 32)}")
        if d.options is None or d.options:
            shown_options = "; ".join(md(o, 2000) for o in d.options) if d.options is not None else WITHHELD
            add(f"  - Options considered: {shown_options}")
        add(f"  - Rationale: {_text(d.rationale, 8000)}")
    if not pm.decisions:
        add("_No decision recorded._")
    add("")
    add("## Action items")
    add("")
    if pm.actions:
        add("| id | kind | what | owner | due | state |")
        add("|---|---|---|---|---|---|")
        for a in pm.actions:
            state = a.state + (f": {_text(a.note)}" if a.note else "")
            add(
                f"| {md(a.id, 32)} | {a.kind} | {_text(a.text, 500)} | {md(a.owner, 64)} | "
                f"{_when(a.due) if a.due else '—'} | {state} |"
            )
    else:
        add("_None yet._")
    add("")
    add("## Pinned timeline")
    add("")
    pinned = pm.pinned
    if pinned:
        for e in pinned:
            add(f"- {_when(e.ts)} · {md(e.actor, 64)} · {_text(e.text)}")
    else:
        add("_Nothing pinned._")
    add("")
    add("## Timeline")
    add("")
    for e in pm.timeline:
        mark = "**pinned** · " if e.pinned else ""
        add(f"- {mark}{_when(e.ts)} · {md(e.actor, 64)} · {_text(e.text)}")
    if not pm.timeline:
        add("_No events._")
    return "\n".join(out) + "\n"


async def postmortem_for(settings: Any, incident: str, policy: PmPolicy | None = None) -> Postmortem | None:
    """What ``warroom postmortem`` prints: sync the store with the journal, then build the
    post-mortem for ``settings.actor`` at the console clock's now."""
    from data.engine import clock
    from data.engine.store import Store

    async with await Store.open(settings.db) as store:
        await store.sync(settings.open_journal())
        return await build_postmortem(store, incident, settings.actor, clock.now(), policy)


def plain(value: str | None, limit: int | None = None) -> str:
    """Untrusted text for a terminal line (controls replaced), ``(restricted)`` if withheld."""
    return WITHHELD if value is None else clean(value, limit)


__all__ = [
    "ActionItem",
    "Entry",
    "Meeting",
    "PmDecision",
    "PmPolicy",
    "Postmortem",
    "Section",
    "add_business_days",
    "build_postmortem",
    "clock_summary",
    "load_pm_policy",
    "md_block",
    "meeting_clock",
    "pm_policy_of",
    "to_markdown",
]
