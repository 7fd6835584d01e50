"""The triage screen (docs/intake.md, "Triage"): the signals waiting, newest first, the
selected one in full (its body, reporter, reference, attachments, payload) and what it looks
like (open incidents and other signals, each with why). One key per outcome: ``p`` promote
to a new incident (the new-incident form prefilled; the procedure applies, in the same
batch), ``a`` attach to an open incident, ``u`` mark a duplicate of another signal, ``x``
dismiss (with a reason), ``z`` snooze until a time; ``l`` lists every signal (triaged too),
``r`` sends a triaged one back to triage.

It follows the console's snapshots: a signal received or triaged by another console appears
or goes without a key; a snooze ends on the screen's clock. Everything a signal holds is
untrusted: shown through ``clean`` (masked, controls replaced), as ``Text``, never markup.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Input, Select, Static
from textual.widgets.data_table import CellDoesNotExist

from data.engine import clock
from data.engine.models import Draft, SignalTriaged
from data.incidents.views import Snapshot
from data.intake.signals import load_payload
from data.privacy.text import clean
from data.triage.candidates import FeatureCache, Pool, load_pool
from data.triage.match import Match
from data.triage.queue import SNOOZE_CHOICES, category_of, is_urgent, parse_until, source_of, span
from data.triage.signals import SignalRow, all_signals, waiting
from screens import dialogs
from screens.dialogs import FieldError, FormDialog
from screens.live import LiveScreen, live
from screens.observer import MESSAGE as OBSERVER_MESSAGE
from screens.observer import blocks, read_only
from screens.picker import Picker
from screens.registry import bindings

URGENT_STYLE = "bold white on #b01c2e"
#: the payload shown of a text signal (characters); the rest is said, not shown
PAYLOAD_SHOWN = 20_000
TEXT_TYPES = ("text/", "application/json", "message/rfc822", "application/xml")
EMPTY = "No signal waits for triage. l: every signal, triaged too."
#: the signals' columns (name, key, width; the title's is what the others leave)
COLUMNS = (("⚠", "flag", 1), ("Age", "age", 5), ("Channel", "channel", 11), ("Title", "title", 0),
           ("Reporter", "reporter", 18), ("×", "repeats", 4), ("Status", "status", 25))  # fmt: skip
#: under this width: reporter and status in the detail only, the detail over the matches
NARROW = 100
RESTRICTED = "is restricted: only its role holders and participants can attach signals to it"


def status_text(r: SignalRow) -> str:
    """What triage did with a signal, in a few words."""
    match r.status:
        case "promoted" | "attached":
            return f"{r.status} {r.incident}"
        case "duplicate":
            return f"duplicate of {r.duplicate_of}"
        case "snoozed":
            return f"snoozed to {r.until:%d %b %H:%M}" if r.until is not None else "snoozed"
        case _:
            return r.status


def _lines(text: str, limit: int) -> list[str]:
    """``text`` as lines shown literally: each cleaned (masked, controls replaced)."""
    cut = text[:limit]
    return [clean(line, 2000) for line in cut.splitlines()] or [""]


class TriageScreen(LiveScreen[None]):
    """The signals waiting (or all of them), the selected one, its matches."""

    BINDINGS = bindings("triage.back", "triage.promote", "triage.attach", "triage.duplicate", "triage.dismiss",
                        "triage.snooze", "triage.all", "triage.reopen")  # fmt: skip

    DEFAULT_CSS = """
    TriageScreen .box { border: round $primary-darken-2; }
    TriageScreen .box:focus-within { border: round $accent; }
    TriageScreen #signals-box { height: 1fr; }
    TriageScreen #lower { height: 1fr; }
    TriageScreen #detail-box { width: 1fr; padding: 0 1; }
    TriageScreen #matches-box { width: 1fr; }
    TriageScreen DataTable { height: 1fr; }
    TriageScreen.-narrow #lower { layout: vertical; height: 2fr; }
    TriageScreen.-narrow #detail-box, TriageScreen.-narrow #matches-box { width: 1fr; height: 1fr; }
    """

    WRITES: ClassVar[frozenset[str]] = frozenset(
        {
            "promote_signal",
            "attach_signal",
            "duplicate_signal",
            "dismiss_signal",
            "snooze_signal",
            "reopen_signal",
        }
    )

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = Snapshot()
        self.show_all = False
        self.rows: list[SignalRow] = []
        self.every: list[SignalRow] = []  # every signal (the ``l`` view), as last read
        self.urgent: frozenset[str] = frozenset()
        self._urgent_of: object = None  # the snapshot's signals the urgent set is of
        self.pool = Pool()
        self.features = FeatureCache()  # kept between loads (a signal's texts never change)
        self.matches: list[Match] = []
        self.payload: tuple[str, str] | None = None  # (signal, what is shown of its payload)
        self._shown: tuple[object, ...] = ()
        self._columns: tuple[tuple[str, str, int], ...] = ()

    def compose(self) -> ComposeResult:
        with Vertical(id="signals-box", classes="box"):
            yield DataTable(id="signals", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="lower"):
            with VerticalScroll(id="detail-box", classes="box") as box:
                box.border_title = "Signal"
                yield Static(Text(EMPTY, style="dim"), id="signal-detail")
            with Vertical(id="matches-box", classes="box") as box:
                box.border_title = "Looks like (why)"
                yield DataTable(id="matches", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#signals", DataTable)
        self.fit_layout()
        matches = self.query_one("#matches", DataTable)
        for name, key, width in (("Id", "id", 16), ("Why", "why", 32), ("Title", "title", 24)):
            matches.add_column(name, key=key, width=width)
        self.set_interval(1.0, self.tick)
        table.focus()
        snap = self.console.last_snapshot
        if snap is not None:
            self.show_snapshot(snap)

    def on_resize(self) -> None:
        if self.fit_layout():
            self._shown = ()
            self.refill()

    def fit_layout(self) -> bool:
        """The columns for the screen's width (the title takes what the others leave; under
        NARROW columns, reporter and status go to the detail and the detail goes over the
        matches); whether they changed."""
        width = self.size.width or 140
        narrow = width < NARROW
        self.set_class(narrow, "-narrow")
        cols = [c for c in COLUMNS if not (narrow and c[1] in ("reporter", "status"))]
        others = sum(w for _, k, w in cols if k != "title")
        title = max(16, width - others - 2 * len(cols) - 4)
        plan = tuple((n, k, title if k == "title" else w) for n, k, w in cols)
        if plan == self._columns:
            return False
        self._columns = plan
        table = self.query_one("#signals", DataTable)
        table.clear(columns=True)
        for name, key, w in plan:
            table.add_column(name, key=key, width=w)
        return True

    # --- what is shown -----------------------------------------------------------------

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self._urgent_of is not snapshot.signals:
            rules = self.console.settings.config.intake.urgent
            self.urgent = frozenset(r.signal for r in snapshot.signals if is_urgent(r, rules))
            self._urgent_of = snapshot.signals
        if self.show_all:
            self.load_all()
        else:
            self.refill()
        self.load_pool()

    def tick(self) -> None:
        """A snooze over: the signal is back; the ages move on."""
        if not self.show_all:
            self.refill()

    def refill(self) -> None:
        now = clock.now()
        rows = list(self.every) if self.show_all else waiting(self.snapshot.signals, now)
        ages = tuple(span((now - r.received_at).total_seconds()) if r.received_at else "" for r in rows)
        shown = (self.show_all, tuple(rows), ages, self.urgent)
        if shown == self._shown:
            return
        self._shown = shown
        self.rows = rows
        table = self.query_one("#signals", DataTable)
        keep = self._selected_id()
        index = table.cursor_row
        with self.app.batch_update():
            table.clear()
            for r, age in zip(rows, ages, strict=True):
                urgent = r.signal in self.urgent and r.waits(now)
                cells = {
                    "flag": Text("⚠", style=URGENT_STYLE) if urgent else Text(""),
                    "age": Text(age, style="dim"),
                    "channel": Text(clean(r.channel, 16)),
                    "title": Text(clean(r.title, 300), style="bold" if urgent else ""),
                    "reporter": Text(clean(r.reporter or "—", 200), style="dim"),
                    "repeats": Text(f"×{r.repeats + 1}" if r.repeats else ""),
                    "status": Text("waiting" if r.waits(now) else clean(status_text(r), 60), style="dim"),
                }
                table.add_row(*(cells[k] for _, k, _ in self._columns), key=r.signal)
            if rows:
                ids = [r.signal for r in rows]
                row = ids.index(keep) if keep in ids else min(index, len(rows) - 1)
                table.move_cursor(row=max(row, 0), animate=False)
        box = self.query_one("#signals-box")
        count = sum(1 for r in rows if r.waits(now))
        box.border_title = Text(f"All signals · {len(rows)} (l: only those waiting)" if self.show_all
                                else f"Triage · {count} waiting, newest first (l: all signals)")  # fmt: skip
        self.show_detail()

    def _selected_id(self) -> str | None:
        table = self.query_one("#signals", DataTable)
        if not table.row_count:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except CellDoesNotExist:  # no row under the cursor
            return None

    def selected(self) -> SignalRow | None:
        key = self._selected_id()
        return next((r for r in self.rows if r.signal == key), None)

    @on(DataTable.RowHighlighted, "#signals")
    def _moved(self, _: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        r = self.selected()
        detail = self.query_one("#signal-detail", Static)
        if r is None:
            detail.update(Text(EMPTY if not self.show_all else "No signal yet.", style="dim"))
            self._show_matches([])
            return
        detail.update(self.detail_text(r))
        self.load_selected(r)

    def detail_text(self, r: SignalRow) -> Text:
        now = clock.now()
        t = Text()
        t.append(f"{r.signal}", style="bold")
        t.append(f" · {clean(r.channel, 16)}")
        if r.ref:
            t.append(f" · ref {clean(r.ref, 200)}")
        if r.received_at is not None:
            t.append(f" · received {r.received_at:%Y-%m-%d %H:%M}Z ({span((now - r.received_at).total_seconds())} ago)",
                     style="dim")  # fmt: skip
        if r.repeats:
            t.append(f" · received {r.repeats + 1} times (×{r.repeats + 1})", style="bold")
        if r.signal in self.urgent and r.waits(now):
            t.append(" ⚠ URGENT", style=URGENT_STYLE)
        t.append("\n")
        if not r.waits(now):
            t.append(f"{status_text(r)}", style="bold")
            if r.triaged_by:
                t.append(f" by {clean(r.triaged_by, 64)}", style="dim")
            if r.reason:
                t.append(f": {clean(r.reason, 2000)}")
            t.append("\n")
        t.append("Title    ", style="dim")
        t.append(clean(r.title, 300) + "\n", style="bold")
        t.append("Reporter ", style="dim")
        t.append(clean(r.reporter or "—", 300) + "\n")
        if r.accounts:
            t.append("Accounts ", style="dim")
            t.append(", ".join(clean(a, 200) for a in r.accounts) + "\n")
        if r.urls:
            t.append("URLs     ", style="dim")
            t.append(", ".join(clean(u, 300) for u in r.urls) + "\n")
        if r.attachments:
            t.append("Attached ", style="dim")
            t.append("; ".join(f"{clean(n, 100)} ({clean(k, 60)}, {s} bytes)" for n, k, s in r.attachments))
            t.append(" (listed, not stored)\n", style="dim")
        t.append("Body\n", style="dim")
        t.append("\n".join(_lines(r.body, 8000)) + "\n")
        if r.body_truncated:
            t.append("(the body is cut here: the payload has all of it)\n", style="dim")
        t.append(f"Payload  {clean(r.raw_type, 128)}, {r.raw_size} bytes, sha256 {r.raw_sha256[:16]}…\n",
                 style="dim")  # fmt: skip
        if self.payload is not None and self.payload[0] == r.signal:
            t.append("── the payload, as received ──\n", style="dim")
            t.append(self.payload[1])
        return t

    @work(group="triage-selected", exclusive=True)
    async def load_selected(self, r: SignalRow) -> None:
        """The selected signal's payload (a text one, shown literally) and its matches."""
        if self.payload is None or self.payload[0] != r.signal:
            shown = ""
            if r.raw_type.startswith(TEXT_TYPES):
                got = await load_payload(self.console.store, r.signal)
                if got.data is None:
                    shown = f"({got.problem})"
                else:
                    text = got.data.decode("utf-8", errors="replace")
                    shown = "\n".join(_lines(text, PAYLOAD_SHOWN))
                    if len(text) > PAYLOAD_SHOWN:
                        shown += f"\n(… {len(text) - PAYLOAD_SHOWN} more characters: warroom signals --json)"
            else:
                shown = "(not text: not shown)"
            if not live(self):
                return
            self.payload = (r.signal, shown)
            if self.selected() == r:
                self.query_one("#signal-detail", Static).update(self.detail_text(r))
        pool = self.pool
        found = await asyncio.to_thread(pool.matches, r)
        if live(self) and self.selected() == r:
            self._show_matches(found)

    @work(group="triage-pool", exclusive=True)
    async def load_pool(self) -> None:
        """The open incidents and signals matched against (features computed in a thread)."""
        pool = await load_pool(self.console.store, self.console.settings.actor, self.features)
        if not live(self):
            return
        self.pool = pool
        r = self.selected()
        if r is not None:
            self._show_matches(await asyncio.to_thread(pool.matches, r))

    def _show_matches(self, found: list[Match]) -> None:
        if not live(self):
            return
        self.matches = found
        table = self.query_one("#matches", DataTable)
        table.clear()
        for m in found:
            table.add_row(
                Text(m.id, style="bold" if m.kind == "incident" else ""),
                Text(clean("; ".join(m.why), 400)),
                Text(clean(m.title, 300), style="dim" if m.hidden else ""),
                key=f"{m.kind}:{m.id}",
            )
        box = self.query_one("#matches-box")
        box.border_title = Text(f"Looks like (why) · {len(found)}" if found else "Looks like (why) · nothing")

    @work(group="triage-all", exclusive=True)
    async def load_all(self) -> None:
        rows = await all_signals(self.console.store)
        if not live(self):
            return
        self.every = rows
        self.refill()

    # --- the keys ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if blocks(self.app, action):
            return False
        return True

    def applies(self, action: str) -> bool:
        if self.check_action(action, ()) is False:
            return False
        if action in self.WRITES:
            return self.selected() is not None
        return True

    def _target(self) -> SignalRow | None:
        if read_only(self.app):
            self.notify(OBSERVER_MESSAGE, severity="warning", markup=False)
            return None
        r = self.selected()
        if r is None:
            self.notify("Select a signal first.", severity="warning", markup=False)
        return r

    def action_all_signals(self) -> None:
        self.show_all = not self.show_all
        self.every = []
        if self.show_all:
            self.load_all()
        self.refill()

    def action_promote_signal(self) -> None:
        r = self._target()
        if r is None:
            return
        body = " ".join(r.body.split())
        context = {
            "taken": {i.id for i in self.snapshot.incidents},
            "signal": r.signal,
            "channel": r.channel,
            # masked: the incident carries none of the identifiers the signal (linked to it) holds
            "title": clean(" ".join(r.title.split()), 200),
            "summary": clean(body, 8000),
            "source": source_of(r.channel),
            "category": category_of(r.channel),
            # an urgent signal looks like severity 1: the form says so (when unsure, the more urgent)
            "severity": 1 if is_urgent(r, self.console.settings.config.intake.urgent) else None,
        }
        dialogs.open_dialog(self.app, PromoteDialog(context=context))

    def action_attach_signal(self) -> None:
        r = self._target()
        if r is None:
            return
        actor = self.console.settings.actor
        incidents = {i.id: i for i in self.snapshot.incidents if i.active}
        choices: list[tuple[str, Text]] = []
        for m in self.matches:
            if m.kind == "incident" and m.id in incidents:
                choices.append((m.id, _choice(m.id, m.title, "; ".join(m.why), m.hidden)))
        seen = {c for c, _ in choices}
        for i in incidents.values():
            if i.id not in seen:
                hidden = not i.visible_to(actor)
                choices.append((i.id, _choice(i.id, "(restricted)" if hidden else i.title, "", hidden)))
        if not choices:
            self.notify("No open incident to attach it to: p promotes it to a new one.", markup=False)
            return

        def chosen(incident: str | None) -> None:
            row = incidents.get(incident or "")
            if row is None:
                return
            if not row.visible_to(actor):
                self.notify(f"{row.id} {RESTRICTED}: ask its commander.", severity="warning", markup=False)
                return
            self.write([Draft(SignalTriaged(signal=r.signal, outcome="attached", incident=row.id))],
                       f"{r.signal} attached to {row.id}")  # fmt: skip

        self.app.push_screen(
            Picker(f"Attach {r.signal} to which incident? (suggested first)", choices), chosen
        )

    def action_duplicate_signal(self) -> None:
        r = self._target()
        if r is None:
            return
        choices: list[tuple[str, Text]] = []
        for m in self.matches:
            if m.kind == "signal" and m.id != r.signal:
                choices.append((m.id, _choice(m.id, m.title, "; ".join(m.why), False)))
        seen = {c for c, _ in choices}
        for s in waiting(self.snapshot.signals, clock.now()):
            if s.signal != r.signal and s.signal not in seen:
                choices.append((s.signal, _choice(s.signal, s.title, s.channel, False)))
        if not choices:
            self.notify("No other signal to name as the one it duplicates.", markup=False)
            return

        def chosen(other: str | None) -> None:
            if other:
                self.write([Draft(SignalTriaged(signal=r.signal, outcome="duplicate", duplicate_of=other))],
                           f"{r.signal} marked a duplicate of {other}")  # fmt: skip

        self.app.push_screen(
            Picker(f"{r.signal} duplicates which signal? (suggested first)", choices), chosen
        )

    def action_dismiss_signal(self) -> None:
        if (r := self._target()) is not None:
            dialogs.open_dialog(self.app, DismissDialog(context={"signal": r.signal, "title": r.title}))

    def action_snooze_signal(self) -> None:
        if (r := self._target()) is not None:
            dialogs.open_dialog(self.app, SnoozeDialog(context={"signal": r.signal, "title": r.title}))

    def action_reopen_signal(self) -> None:
        r = self._target()
        if r is None:
            return
        if r.status == "untriaged":
            self.notify(f"{r.signal} waits for triage already.", markup=False)
            return
        self.write(
            [Draft(SignalTriaged(signal=r.signal, outcome="reopened"))], f"{r.signal} is back in triage"
        )

    @work(group="write")
    async def write(self, drafts: list[Draft], what: str) -> None:
        error = await self.console.act(drafts)
        if error is None:
            self.app.notify(what, timeout=3, markup=False)
        elif isinstance(error, str):  # else queued in the outbox: act() has said so
            self.app.notify(f"Nothing was written: {clean(error, 400)}", severity="error", timeout=10,
                            markup=False)  # fmt: skip


def _choice(ident: str, title: str, why: str, hidden: bool) -> Text:
    return Text.assemble(
        (f"{ident:<15} ", "bold"),
        (clean(title, 80), "dim" if hidden else ""),
        (f"  {clean(why, 120)}" if why else "", "dim"),
    )


class PromoteDialog(dialogs.NewIncidentDialog):
    """The new-incident form, filled from the signal; what it writes ends with
    ``signal.triaged promoted`` (the console adds the procedure's items to the same batch)."""

    TITLE = "Promote a signal to an incident"

    def subtitle(self) -> str:
        c = self.context
        urgent = " It looks urgent: severity 1 is proposed." if c.get("severity") == 1 else ""
        return (f"Signal {c['signal']} from {c['channel']}: title, summary, source and category are filled "
                f"from it (identifiers masked).{urgent} Everything here is written to the shared journal.")  # fmt: skip

    def on_mount(self) -> None:
        c = self.context
        self.query_one("#title", Input).value = c.get("title", "")
        self.query_one("#summary", Input).value = c.get("summary", "")
        if c.get("source"):
            self.query_one("#source", Select).value = c["source"]
        if c.get("category"):
            self.query_one("#category", Select).value = c["category"]
        if c.get("severity"):
            self.query_one("#severity", Select).value = c["severity"]

    def build(self) -> list[Draft]:
        events = super().build()
        return [
            *events,
            Draft(SignalTriaged(signal=self.context["signal"], outcome="promoted", incident=self.incident)),
        ]


class DismissDialog(FormDialog):
    TITLE = "Dismiss a signal"
    FOCUS = "reason"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {("data", "reason"): "reason"}

    def subtitle(self) -> str:
        return f"Signal {self.context['signal']}: {self.context.get('title', '')}"

    def fields(self) -> ComposeResult:
        yield from self.labelled("Reason (required: spam, not actionable, out of scope, a test…)",
                                 Input(id="reason", max_length=2000))  # fmt: skip

    def build(self) -> list[Draft]:
        reason = self.value("reason").strip()
        if not reason:
            raise FieldError("reason", "Say why it is dismissed (a reason is required)")
        return [Draft(SignalTriaged(signal=self.context["signal"], outcome="dismissed", reason=reason))]


class SnoozeDialog(FormDialog):
    TITLE = "Snooze a signal"
    FOCUS = "choice"
    MEMBERS: ClassVar[dict[tuple[str, ...], str]] = {("data", "until"): "until"}

    def subtitle(self) -> str:
        return (
            f"Signal {self.context['signal']}: {self.context.get('title', '')} · it comes back to triage then"
        )

    def fields(self) -> ComposeResult:
        yield from self.labelled(
            "Until", Select([(label, value) for label, value in SNOOZE_CHOICES], id="choice", value="1h",
                            allow_blank=False),
        )  # fmt: skip
        yield from self.labelled("Or a time (wins when given: 14:30 or tomorrow 09:00 UTC, 2h, RFC 3339)",
                                 Input(id="until", max_length=64))  # fmt: skip

    def build(self) -> list[Draft]:
        typed = self.value("until").strip()
        now = clock.now()
        try:
            at: datetime = parse_until(typed or self.value("choice"), now)
        except ValueError as exc:
            raise FieldError("until", str(exc)) from None
        return [
            Draft(SignalTriaged(signal=self.context["signal"], outcome="snoozed", until=clock.utc_text(at)))
        ]
