"""The shift-handoff screen: the report built from the store (data/handoff/report.py), written by
the outgoing commander and acknowledged by the incoming one.

The outgoing commander sets each active incident's trend (``t``), writes a one-line
summary and if/then contingencies (``e``) and notes for the whole shift (``n``), corrects
who is handing over to whom (``p``), and submits (``s``): one ``handoff.submitted``. Until
the incoming commander acknowledges it with a read-back (``a``, one
``handoff.acknowledged``), every console of the region shows a pending-handoff banner.
What is being written is kept by the console (``WarRoom.handoff_drafts``) when the screen
is closed, and the screen follows the journal live while it is open.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static, TextArea

from data.care.wellbeing import label as wellbeing_label
from data.engine import clock
from data.engine.models import TRENDS, HandoffAcknowledged, HandoffSubmission
from data.engine.models import Draft as EventDraft
from data.handoff.report import (
    GUIDELINE_HOURS,
    GUIDELINE_INCIDENTS,
    Assessment,
    Draft,
    HandoffError,
    HandoffReport,
    IncidentReport,
    build_handoff,
    home_region,
    submission_data,
)
from data.incidents.views import Snapshot, SyncState, age, countdown
from data.privacy.text import clean
from data.roster.rotation import ALL, regions, zone
from screens.dialogs import FieldError, FormDialog, person_widgets, resolve_person
from screens.live import LiveScreen, live
from screens.observer import blocks
from screens.registry import bindings
from widgets.checklist import URGENCY
from widgets.status import StatusBar
from widgets.tables import KeyedTable

TREND_STYLE = {"stable": ("stable", "#5fb36b"), "watch": ("~ WATCH", "bold #e3c44a"),
               "unstable": ("!! UNSTABLE", "bold white on #b01c2e")}  # fmt: skip
SEVERITY_STYLE = {1: "bold white on #b01c2e", 2: "bold #e8833a", 3: "#e3c44a", 4: "dim"}
WITHHELD = "(restricted: details for its participants only)"


def trend_text(trend: str | None) -> Text:
    if trend is None:
        return Text("— not set", style="dim")
    label, style = TREND_STYLE.get(trend, (trend, ""))
    return Text(label, style=style)


def severity_text(severity: int) -> Text:
    return Text(f"S{severity}", style=SEVERITY_STYLE.get(severity, ""))


def hhmm(t: datetime | None, tz: str = "UTC") -> str:
    if t is None:
        return "—"
    return t.astimezone(zone(tz) if tz != "UTC" else UTC).strftime("%H:%M")


class HandoffScreen(LiveScreen[None]):
    """The handoff report of one region, live; written, submitted and acknowledged here."""

    BINDINGS = bindings("handoff.back", "handoff.trend", "handoff.assess", "handoff.notes", "handoff.people",
                        "handoff.region", "handoff.submit", "handoff.ack")  # fmt: skip

    DEFAULT_CSS = """
    HandoffScreen { overflow: hidden hidden; }
    HandoffScreen .box { border: round $primary-darken-2; border-title-color: $text; }
    HandoffScreen .box:focus-within { border: round $accent; }
    HandoffScreen #header-box { height: auto; padding: 0 1; }
    HandoffScreen #body { height: 1fr; }
    HandoffScreen #left { width: 2fr; }
    HandoffScreen #right { width: 1fr; min-width: 44; }
    HandoffScreen #critical-box { height: 2fr; min-height: 6; }
    HandoffScreen #incidents-box { height: 3fr; min-height: 6; }
    HandoffScreen #detail-box { height: 3fr; padding: 0 1; }
    HandoffScreen #side-box { height: 2fr; padding: 0 1; }
    HandoffScreen DataTable { height: 1fr; }
    """

    def __init__(self, region: str | None = None) -> None:
        super().__init__()
        self.for_region = region  # None: the actor's home region (decided on the first snapshot)
        self.report: HandoffReport | None = None
        self.selected: str | None = None
        self._minute: datetime | None = None
        self.known_regions: list[str | None] = [ALL]  # the regions of the rotations (and all)

    @property
    def actor(self) -> str:
        return self.console.settings.actor

    # --- the console's per-region state (kept when the screen closes) ----------------

    def draft(self) -> Draft | None:
        draft: Draft | None = self.console.handoff_drafts.get(self.for_region)
        return draft

    def set_draft(self, draft: Draft | None) -> None:
        drafts = self.console.handoff_drafts
        if draft is None:
            drafts.pop(self.for_region, None)
        else:
            drafts[self.for_region] = draft
        self.rebuild()

    def working_draft(self) -> Draft:
        """The draft to change: the one being written, else one started from what the
        pending handoff says (so a resubmission starts from it), else from the trends of
        the last acknowledged handoff."""
        d = self.draft()
        if d is not None:
            return d
        if self.report is None:
            return Draft()
        p = self.report.pending
        if p is not None:
            return Draft(dict(p.assessments), p.notes)
        return Draft(dict(self.report.carried))

    def people(self) -> tuple[str | None, str | None] | None:
        return self.console.handoff_people.get(self.for_region)

    # --- composing and showing -------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar(self.actor, id="status")
        with Vertical(id="header-box", classes="box") as box:
            box.border_title = "Shift handoff"
            yield Static("", id="header", markup=False)
        with Horizontal(id="body"):
            with Vertical(id="left"):
                with Vertical(id="critical-box", classes="box") as box:
                    box.border_title = "Time-critical: due before the end of the next shift"
                    yield CriticalTable(id="critical")
                with Vertical(id="incidents-box", classes="box") as box:
                    box.border_title = "Active incidents"
                    yield HandoffIncidents(id="incidents")
            with Vertical(id="right"):
                with VerticalScroll(id="detail-box", classes="box") as box:
                    box.border_title = "Selected incident"
                    yield Static("", id="detail", markup=False)
                with VerticalScroll(id="side-box", classes="box") as box:
                    box.border_title = "Watch list · journal · team"
                    yield Static("", id="side", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)
        self.query_one("#incidents").focus()
        self.show_snapshot(self.console.last_snapshot or Snapshot())

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.query_one(StatusBar).show(clock.now(), snapshot.sync)
        if not (snapshot.sync.synced_at is not None or snapshot.sync.line):
            return  # nothing read yet
        if self.for_region is None:  # a handoff waiting for this actor's read-back, else home
            mine = [p for p in snapshot.pending if p.to_person == self.actor]
            self.for_region = (
                (mine[-1].region or ALL) if mine else home_region(snapshot.rotations, self.actor)
            )
        self.known_regions = [*regions(snapshot.rotations), ALL]
        self.rebuild()

    def show_state(self, state: SyncState) -> None:
        self.query_one(StatusBar).show(clock.now(), state)

    def tick(self) -> None:
        now = clock.now()
        self.query_one(StatusBar).show(now)
        minute = now.replace(second=0, microsecond=0)
        if minute != self._minute and self.report is not None:
            self._minute = minute
            self.render_report(self.report)  # countdowns and ages

    @work(group="handoff", exclusive=True)
    async def rebuild(self) -> None:
        c = self.console
        store = c.store
        if store is None:  # not opened (yet)
            return
        await c.flush_wellbeing()  # what this console counted is in the report's wellbeing section
        try:
            report = await build_handoff(
                store, self.actor, self.for_region, clock.now(), c.policy,
                draft=self.draft(), people=self.people(), wellbeing=c.wellbeing_config.categories,
                urgent=c.settings.config.intake.urgent,
            )  # fmt: skip
        except HandoffError as exc:
            self.notify(clean(str(exc), 300), severity="error", markup=False)
            return
        if not live(self):  # closed (or the console closing) while building: its panes are going
            return
        self.report = report
        self.render_report(report)
        self.refresh_bindings()

    def render_report(self, report: HandoffReport) -> None:
        now = clock.now()
        self._minute = now.replace(second=0, microsecond=0)
        self.query_one("#header", Static).update(self.header_text(report, now))
        where = "all regions" if report.region == ALL else report.region
        self.query_one("#header-box").border_title = Text(f"Shift handoff · {where}")
        self.query_one("#header-box").border_subtitle = Text("g another region · p people")
        self.query_one(CriticalTable).show(report, now)
        self.query_one("#critical-box").border_subtitle = Text(
            f"{len(report.time_critical)} clocks · until {hhmm(report.next_shift_end)} UTC"
        )
        self.query_one(HandoffIncidents).show(report, self.actor)
        assessed = sum(1 for i in report.incidents if i.assessment is not None)
        self.query_one("#incidents-box").border_subtitle = Text(
            f"{assessed} of {len(report.incidents)} assessed · t trend · e summary, if/then"
        )
        self.query_one("#side", Static).update(side_text(report))
        if self.selected is None and report.incidents:
            self.selected = report.incidents[0].id
        self.show_detail()

    def header_text(self, report: HandoffReport, now: datetime) -> Text:
        tz = report.tz
        local = "" if tz == "UTC" else f" · {hhmm(now, tz)} {now.astimezone(zone(tz)):%Z}"

        def who(p: Any) -> str:
            if p.handle is None:
                return "nobody on the roster (p to name one)"
            return clean(p.handle, 40) + (f" ({clean(p.name, 60)})" if p.name else "")

        lines = Text.assemble(
            ("Outgoing ", "dim"), (who(report.outgoing), "bold"), ("  →  ", "dim"),
            ("Incoming ", "dim"), (who(report.incoming), "bold"), "\n",
            ("Now ", "dim"), f"{hhmm(now)} UTC{local}", ("  ·  this shift since ", "dim"),
            f"{report.shift_start:%a %d %b %H:%M} UTC",
            (f" ({clean(report.since_handoff, 40)} acknowledged)" if report.since_handoff
             else " (no acknowledged handoff: the last 12 h)", "dim"),
            ("  ·  next shift until ", "dim"), f"{report.next_shift_end:%a %d %b %H:%M} UTC", "\n",
        )  # fmt: skip
        p = report.pending
        if p is not None:
            mine = p.to_person == self.actor
            lines.append_text(Text.assemble(
                (" SUBMITTED ", "bold black on #e3c44a"),
                f" {clean(p.handoff, 40)} by {clean(p.submitted_by or '?', 40)}, {age(p.submitted_at, now)} ago · ",
                ("for YOU: read it, then press a to acknowledge" if mine
                 else f"awaiting the read-back of {clean(p.to_person or '?', 40)}", "bold"),
                ("  (you are editing a new version: s submits it)" if self.draft() is not None else "", "dim"),
            ))  # fmt: skip
        else:
            lines.append_text(Text.assemble(
                (" DRAFT ", "bold black on #8fb8de"),
                " not submitted · set trends (t), summaries (e), notes (n), then s to submit",
            ))  # fmt: skip
        if report.notes.strip():
            lines.append_text(Text.assemble("\n", ("Notes ", "dim"), clean(report.notes, 600)))
        return lines

    def selected_report(self) -> IncidentReport | None:
        if self.report is None:
            return None
        return next((i for i in self.report.incidents if i.id == self.selected), None)

    @on(DataTable.RowHighlighted, "#incidents")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value != self.selected:
            self.selected = str(event.row_key.value)
            self.show_detail()

    def show_detail(self) -> None:
        inc = self.selected_report()
        box = self.query_one("#detail-box")
        if inc is None:
            self.query_one("#detail", Static).update(Text("No active incidents.", style="dim"))
            box.border_title = "Selected incident"
            return
        box.border_title = Text(f"{inc.id} · S{inc.severity} · {inc.status.replace('_', ' ')}")
        self.query_one("#detail", Static).update(detail_text(inc, self.report.tz if self.report else "UTC"))

    # --- what applies ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if blocks(self.app, action):
            return False
        report = self.report
        if action in ("trend", "assess"):
            return self.selected_report() is not None
        if action == "acknowledge":
            return report is not None and report.pending is not None
        if action in ("region",):
            return len(self.known_regions) > 1
        return True

    # --- actions -----------------------------------------------------------------------

    def _assess(self, incident: str, change: Any) -> None:
        d = self.working_draft()
        current = d.assessments.get(incident) or Assessment()
        self.set_draft(replace(d, assessments={**d.assessments, incident: change(current)}))

    def action_trend(self) -> None:
        inc = self.selected_report()
        if inc is None:
            return
        current = inc.assessment.trend if inc.assessment is not None else None
        nxt = TRENDS[(TRENDS.index(current) + 1) % len(TRENDS)] if current in TRENDS else TRENDS[0]
        self._assess(inc.id, lambda a: replace(a, trend=nxt))

    def action_assess(self) -> None:
        inc = self.selected_report()
        if inc is None:
            return
        if inc.title is None:
            self.notify(f"{inc.id} is restricted: only its participants write about it.", markup=False)
            return
        d = self.working_draft()

        def done(result: Assessment | None) -> None:
            if result is not None:
                self._assess(inc.id, lambda _: result)

        self.app.push_screen(AssessmentDialog(inc.id, d.assessments.get(inc.id) or inc.assessment), done)

    def action_notes(self) -> None:
        d = self.working_draft()

        def done(notes: str | None) -> None:
            if notes is not None:
                self.set_draft(replace(self.working_draft(), notes=notes))

        self.app.push_screen(NotesDialog(d.notes), done)

    def action_people(self) -> None:
        report = self.report
        if report is None:
            return

        def done(result: tuple[str | None, str | None] | None) -> None:
            if result is not None:
                self.console.handoff_people[self.for_region] = result
                self.rebuild()

        self.app.push_screen(PeopleDialog(report.outgoing.handle, report.incoming.handle), done)

    def action_region(self) -> None:
        known = self.known_regions
        i = known.index(self.for_region) if self.for_region in known else -1
        self.for_region = known[(i + 1) % len(known)]
        self.selected = None
        self.rebuild()

    def action_submit(self) -> None:
        report = self.report
        if report is None:
            return
        if report.incoming.handle is None:
            self.notify("Name the incoming commander first (p).", severity="warning", markup=False)
            return
        draft = self.working_draft()

        dialog = SubmitDialog(report, draft)

        def done(written: bool | None) -> None:
            if written:
                self.set_draft(None)
                if not dialog.queued:  # (a queued one: act() said so; it goes when the journal is back)
                    self.notify("Handoff submitted: waiting for the incoming commander's read-back.",
                                timeout=5, markup=False)  # fmt: skip

        self.app.push_screen(dialog, done)

    def action_acknowledge(self) -> None:
        report = self.report
        if report is None or report.pending is None:
            return
        p = report.pending
        if p.to_person != self.actor:
            self.notify(
                clean(f"Handoff {p.handoff} is addressed to {p.to_person}: only they can acknowledge it "
                      "(the outgoing commander can submit it again to someone else).", 300),
                severity="warning", markup=False,
            )  # fmt: skip
            return

        dialog = AcknowledgeDialog(report)

        def done(written: bool | None) -> None:
            if written and not dialog.queued:
                self.notify("Handoff acknowledged: the war room is yours.", timeout=5, markup=False)

        self.app.push_screen(dialog, done)


# --- the panes -------------------------------------------------------------------------


def clock_state_now(t: Any, now: datetime) -> str:
    """A time-critical clock's state now (the report's is as of when it was built)."""
    if t.due <= now:
        return "overdue"
    return "at_risk" if t.state == "at_risk" or (t.due - now).total_seconds() < 15 * 60 else "ok"


class CriticalTable(KeyedTable):
    """Every open clock due before the end of the next shift, the most severe first, then by
    due time; keyed by the clock's identity (never by its text, which may be withheld)."""

    COLUMNS = (("due", "Due UTC", 8), ("local", "Local", 5), ("in", "In", 15), ("incident", "Incident", 15),
               ("sev", "S", 2), ("what", "What", 20), ("team", "Team", 12))  # fmt: skip
    FLEX = "what"

    def show(self, report: HandoffReport, now: datetime) -> None:
        rows: list[tuple[str, tuple[Text, ...]]] = []
        for t in report.time_critical:
            state = clock_state_now(t, now)
            left = countdown(t.due, now)[0]
            if state == "at_risk":
                left = f"! {left}"
            what = Text(clean(t.what, 200)) if t.what is not None else Text("(restricted item)", style="dim")
            rows.append((t.key, (
                Text(t.due.astimezone(UTC).strftime("%d %H:%M")), Text(hhmm(t.due, report.tz)),
                Text(left, style=URGENCY.get(state, "")), Text(clean(t.incident, 32)),
                severity_text(t.severity), what, Text(clean((t.team or "").replace("_", " "), 40)),
            )))  # fmt: skip
        if not rows:
            empty = Text("nothing due before the end of the next shift", style="dim")
            rows.append(("__none__", (*(Text("") for _ in range(5)), empty, Text(""))))
        self.show_rows(rows)


class HandoffIncidents(KeyedTable):
    """Each active incident: severity, the outgoing commander's trend, status, IC, what
    changed this shift, open items, and the summary (else the title)."""

    COLUMNS = (("id", "Incident", 15), ("sev", "S", 2), ("trend", "Trend", 11), ("status", "Status", 13),
               ("ic", "IC", 8), ("changed", "Chg", 3), ("open", "Open", 4), ("summary", "Summary (else title)", 20))  # fmt: skip
    FLEX = "summary"

    def show(self, report: HandoffReport, actor: str) -> None:
        rows: list[tuple[str, tuple[Text, ...]]] = []
        for i in report.incidents:
            a = i.assessment
            if i.title is None:
                text = Text(WITHHELD, style="dim")
            elif a is not None and a.summary:
                text = Text(clean(a.summary, 300))
            else:
                text = Text(clean(i.title, 200), style="dim")
            rows.append((i.id, (
                Text(clean(i.id, 32)), severity_text(i.severity), trend_text(a.trend if a else None),
                Text(i.status.replace("_", " ")), Text(clean(i.commander or "—", 40)),
                Text(str(i.changes) if i.changes else "—", style="" if i.changes else "dim"),
                Text(str(len(i.open_items))), text,
            )))  # fmt: skip
        self.show_rows(rows)


def detail_text(inc: IncidentReport, tz: str) -> Text:
    out = Text()
    if inc.title is None:
        out.append(WITHHELD + "\n", style="dim")
    else:
        out.append(clean(inc.title, 200) + "\n", style="bold")
    a = inc.assessment
    out.append("Trend ", style="dim")
    out.append_text(trend_text(a.trend if a else None))
    if a is not None and a.summary:
        out.append(" · " + clean(a.summary, 500))
    out.append("\n")
    if a is not None and a.contingencies:
        out.append("If / then\n", style="bold")
        for c in a.contingencies:
            out.append("  • " + clean(c, 500) + "\n")
    out.append(f"\nChanged this shift: {inc.changes} event{'s' if inc.changes != 1 else ''}\n", style="bold")
    for change in inc.last_changes:
        when = change.ts.astimezone(UTC).strftime("%H:%MZ") if change.ts else "?"
        what = clean(change.text, 200) if change.text is not None else change.type
        out.append(f"  {when} ", style="dim")
        out.append(f"{clean(change.actor, 30)}: {what}\n")
    out.append(f"\nOpen items ({len(inc.open_items)})\n", style="bold")
    for o in inc.open_items:
        text = clean(o.text, 200) if o.text is not None else "(restricted item)"
        due = f" · due {o.due.astimezone(UTC):%d %H:%M}Z" if o.due else ""
        mark = "[!] " if o.state == "blocked" else "[ ] "
        out.append("  " + mark, style="bold #e8833a" if o.state == "blocked" else "")
        out.append(f"{text} · {o.team.replace('_', ' ')}{due}\n")
    if not inc.open_items:
        out.append("  none\n", style="dim")
    return out


def side_text(report: HandoffReport) -> Text:
    out = Text()
    out.append(f"Watch list ({len(report.watch)})\n", style="bold")
    for w in report.watch:
        title = clean(w.title, 120) if w.title is not None else "(restricted)"
        out.append(f"  {clean(w.id, 32)} ", style="dim")
        out.append(f"{title}\n")
    if not report.watch:
        out.append("  nothing on the watch list\n", style="dim")
    out.append(f"\nExternal: holds and orders due within 7 days ({len(report.external)})\n", style="bold")
    for x in report.external:
        what = clean(x.what, 120) if x.what is not None else "(restricted)"
        ref = f" ref {clean(x.ref, 40)}" if x.ref else ""
        style = "bold #e5484d" if x.state == "overdue" else ("bold #e8833a" if x.state == "at_risk" else "")
        out.append(f"  {x.kind} {x.due.astimezone(UTC):%d %b %H:%M}Z ", style=style)
        out.append(f"{clean(x.incident, 32)}{ref}: ", style="dim")
        out.append(f"{what}\n")
    if not report.external:
        out.append("  none\n", style="dim")
    i = report.intake  # docs/intake.md: shown when there is something to tell
    if i.waiting or i.returning or i.triaged:
        out.append(f"\nSignals waiting for triage ({i.waiting})\n", style="bold")
        if i.oldest is not None:
            out.append(f"  oldest received {i.oldest.astimezone(UTC):%d %b %H:%M}Z\n", style="dim")
        for b in i.urgent:
            out.append("  ⚠ URGENT ", style="bold #e5484d")
            out.append(f"{clean(b.signal, 32)} {clean(b.channel, 32)}: ", style="dim")
            out.append(f"{clean(b.title, 120)}\n")
        for b in i.returning:
            back = f"{b.at.astimezone(UTC):%d %b %H:%M}Z" if b.at is not None else "?"
            out.append(f"  snoozed, back {back} ", style="dim")
            out.append(f"{clean(b.signal, 32)}: ", style="dim")
            out.append(f"{clean(b.title, 120)}\n")
        if i.triaged:
            out.append(
                "  triaged this shift: " + ", ".join(f"{n} {o}" for o, n in i.triaged) + "\n", style="dim"
            )
    if report.decisions:  # docs/decisions.md
        out.append(f"\nDecisions this shift ({len(report.decisions)})\n", style="bold")
        for d in report.decisions:
            what = clean(d.text, 120) if d.text is not None else "(restricted)"
            who = ", ".join(f"{clean(p, 30)} ({r})" for p, r in d.approvers)
            out.append(f"  {d.ts:%d %b %H:%M}Z {clean(d.incident, 32)} {clean(d.decision, 32)}", style="dim")
            out.append(f"{' (superseded)' if d.superseded_by else ''}: ", style="dim")
            out.append(f"{what} · {who}{'' if d.reversible else ' · irreversible'}\n")
    h = report.health
    out.append("\nJournal\n", style="bold")
    if not h.quarantined and not h.chain_breaks:
        out.append("  no quarantined lines, chain intact\n", style="dim")
    else:
        if h.quarantined:
            out.append(f"  {h.quarantined} quarantined line{'s' if h.quarantined != 1 else ''}\n",
                       style="bold #e8833a")  # fmt: skip
        if h.first_break is not None:
            out.append(f"  CHAIN BROKEN at line {h.first_break[0]} ({h.chain_breaks})\n",
                       style="bold white on #b01c2e")  # fmt: skip
        out.append("  ! on the war room to see them\n", style="dim")
    hours = (report.generated_at - report.shift_start).total_seconds() / 3600
    out.append("\nTeam this shift: incidents commanded\n", style="bold")
    out.append(f"  more than {GUIDELINE_INCIDENTS} per {GUIDELINE_HOURS} h is above the guideline: "
               f"{report.guideline:.1f} in {hours:.1f} h\n", style="dim")  # fmt: skip
    for load in report.team:
        out.append(
            f"  {clean(load.person, 30)}: commanded {load.commanded} incident{'s' if load.commanded != 1 else ''}"
        )
        out.append(
            "  ABOVE THE GUIDELINE\n" if load.over else "\n", style="bold #e8833a" if load.over else ""
        )
    if not report.team:
        out.append("  nobody commanded an incident this shift\n", style="dim")
    e = report.wellbeing
    if e is not None and e.incidents:  # numbers only, never which incident
        out.append("\nYour exposure this shift (counts only)\n", style="bold")
        for c in e.categories:
            if c.incidents:
                n = c.incidents
                out.append(f"  {wellbeing_label(c.category)}: {n} incident{'s' if n != 1 else ''}, "
                           f"{c.seconds / 60:.0f} min\n")  # fmt: skip
    return out


# --- dialogs ---------------------------------------------------------------------------


class _Modal(ModalScreen[Any]):
    """A small form that returns what was typed (nothing is written to the journal)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close, keeping nothing"),
        Binding("ctrl+s", "save", "Keep", id="dialog.keep", tooltip="Keep it in the draft"),
    ]
    DEFAULT_CSS = """
    _Modal { align: center middle; }
    _Modal > #dialog { width: 96; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2; }
    _Modal .title { text-style: bold; margin-bottom: 1; }
    _Modal .field-label { color: $text-muted; margin-top: 1; }
    _Modal TextArea { height: 8; }
    _Modal #buttons { height: auto; margin-top: 1; align-horizontal: right; }
    _Modal #buttons Button { margin-left: 2; }
    """

    def buttons(self) -> ComposeResult:
        with Horizontal(id="buttons"):
            yield Button("Cancel (Esc)", id="cancel")
            yield Button("Keep (ctrl+s)", id="keep", variant="primary")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#keep")
    def _keep(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        raise NotImplementedError


class AssessmentDialog(_Modal):
    def __init__(self, incident: str, current: Assessment | None) -> None:
        super().__init__()
        self.incident = incident
        self.current = current or Assessment()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Hand over {self.incident}"), classes="title")
            yield Label(
                "One-line summary for the incoming commander (up to 500 characters)", classes="field-label"
            )
            yield Input(self.current.summary, id="summary", max_length=500)
            yield Label("If / then: one contingency per line, e.g. \"If the officer calls back, disclose "
                        "only the subscriber record\"", classes="field-label")  # fmt: skip
            yield TextArea("\n".join(self.current.contingencies), id="contingencies", soft_wrap=True)
            yield Label(
                f"Trend: {self.current.trend} (t on the handoff screen changes it)", classes="field-label"
            )
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#summary", Input).focus()

    @on(Input.Submitted, "#summary")
    def _next(self) -> None:
        self.query_one("#contingencies", TextArea).focus()

    def action_save(self) -> None:
        summary = " ".join(self.query_one("#summary", Input).value.split())
        lines = [
            " ".join(line.split()) for line in self.query_one("#contingencies", TextArea).text.splitlines()
        ]
        self.dismiss(replace(self.current, summary=summary[:500],
                             contingencies=tuple(c[:2000] for c in lines if c)[:20]))  # fmt: skip


class NotesDialog(_Modal):
    def __init__(self, notes: str) -> None:
        super().__init__()
        self.notes = notes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Notes for the incoming commander"), classes="title")
            yield Label("Watch items, recent changes to detection or policy, external state (crisis protocols, "
                        "regulator matters, press deadlines, pending LE requests, holds expiring)",
                        classes="field-label")  # fmt: skip
            yield TextArea(self.notes, id="notes", soft_wrap=True)
            yield from self.buttons()

    def on_mount(self) -> None:
        self.query_one("#notes", TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one("#notes", TextArea).text.strip()[:60_000])


class PeopleDialog(_Modal):
    DEFAULT_CSS = """
    PeopleDialog .anyway { display: none; }
    PeopleDialog .anyway.shown { display: block; }
    """

    def __init__(self, outgoing: str | None, incoming: str | None) -> None:
        super().__init__()
        self.outgoing = outgoing or ""
        self.incoming = incoming or ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text("Who hands over to whom"), classes="title")
            yield Label("Outgoing commander", classes="field-label")
            yield from person_widgets(self.app, "outgoing", self.outgoing)
            yield Label("Incoming commander: the one who must acknowledge", classes="field-label")
            yield from person_widgets(self.app, "incoming", self.incoming)
            yield Static("", id="people-error", classes="field-label")
            yield from self.buttons()

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        try:  # people from the roster; another needs its "use anyway" ticked (screens/dialogs.py)
            out = resolve_person(self, "outgoing")
            inc = resolve_person(self, "incoming")
        except FieldError as exc:
            field, message = exc.errors[0]
            which = "Outgoing" if field == "outgoing" else "Incoming"
            self.query_one("#people-error", Static).update(Text(f"{which}: {message}", style="bold red"))
            return
        self.dismiss((out, inc))


class SubmitDialog(FormDialog):
    """Confirms and writes ``handoff.submitted``."""

    TITLE = "Submit the shift handoff"
    SUBMIT = "Submit (ctrl+s)"
    MEMBERS = {("data", "notes"): "notes"}
    DEFAULT_CSS = """
    SubmitDialog > #dialog { width: 100; }
    SubmitDialog TextArea { height: 8; }
    """

    def __init__(self, report: HandoffReport, draft: Draft) -> None:
        super().__init__()
        self.report = report
        self.draft = draft

    def subtitle(self) -> str:
        r = self.report
        where = "all regions" if r.region == ALL else r.region
        assessed = sum(1 for i in r.incidents if i.id in self.draft.assessments)
        return (
            f"{where}: from {r.outgoing.handle} to {r.incoming.handle} · {len(r.incidents)} active incidents "
            f"({assessed} assessed) · {len(r.time_critical)} time-critical clocks"
        )

    def fields(self) -> ComposeResult:
        unassessed = [i.id for i in self.report.incidents if i.id not in self.draft.assessments]
        if unassessed:
            yield Static(Text(f"Not assessed (no trend): {', '.join(unassessed[:12])}"
                              + (" …" if len(unassessed) > 12 else ""), style="bold #e3c44a"))  # fmt: skip
        yield Label("Notes for the incoming commander", classes="field-label")
        yield TextArea(self.draft.notes, id="notes", soft_wrap=True)
        yield Static("", id="notes-error", classes="error")
        yield Static(Text("ctrl+s or the button submits; the incoming commander then reads back and "
                          "acknowledges on their console.", style="dim"))  # fmt: skip

    def build(self) -> list[EventDraft]:
        notes = self.query_one("#notes", TextArea).text.strip()
        if len(notes) > 60_000:
            raise FieldError("notes", "at most 60,000 characters")
        handoff = handoff_id(self.report.region, clock.now())
        draft = replace(self.draft, notes=notes)
        return [EventDraft(HandoffSubmission.model_validate(submission_data(self.report, handoff, draft)))]


class AcknowledgeDialog(FormDialog):
    """The incoming commander's read-back: writes ``handoff.acknowledged``."""

    TITLE = "Acknowledge the shift handoff"
    SUBMIT = "Acknowledge (ctrl+s)"
    MEMBERS = {("data", "readback"): "readback"}
    DEFAULT_CSS = """
    AcknowledgeDialog > #dialog { width: 100; }
    AcknowledgeDialog TextArea { height: 8; }
    """

    def __init__(self, report: HandoffReport) -> None:
        super().__init__()
        self.report = report

    def subtitle(self) -> str:
        p = self.report.pending
        assert p is not None
        return f"Handoff {p.handoff} from {p.from_person}, submitted by {p.submitted_by}"

    def fields(self) -> ComposeResult:
        r = self.report
        critical = ", ".join(f"{t.incident} {t.due.astimezone(UTC):%H:%M}Z" for t in r.time_critical[:6])
        yield Static(Text(f"{len(r.incidents)} active incidents · {len(r.time_critical)} time-critical clocks"
                          + (f" (first: {critical})" if critical else ""), style="bold"))  # fmt: skip
        yield Label("Read-back: in your own words, what is burning, what is due when, what you will do first",
                    classes="field-label")  # fmt: skip
        yield TextArea("", id="readback", soft_wrap=True)
        yield Static("", id="readback-error", classes="error")
        yield Static(Text("Responsibility moves to you when this is written.", style="dim"))

    def on_mount(self) -> None:
        self.query_one("#readback", TextArea).focus()

    def build(self) -> list[EventDraft]:
        readback = self.query_one("#readback", TextArea).text.strip()
        if not readback:
            raise FieldError("readback", "write the read-back: what you take over")
        p = self.report.pending
        assert p is not None
        return [EventDraft(HandoffAcknowledged(handoff=p.handoff, readback=readback))]


def handoff_id(region: str, now: datetime) -> str:
    """``HO-UK-20261122-0300-7Q2K``: readable in a chat, unique (the last characters of a
    ULID)."""
    from data.commands import new_id

    return f"HO-{region if region != ALL else 'ALL'}-{now.astimezone(UTC):%Y%m%d-%H%M}-{new_id()[-4:]}"
