"""The on-call roster: for each rotation, who is on call now, their local time, and the
next handoff."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from data.incidents.views import Snapshot, countdown
from data.privacy.text import clean
from data.roster.rotation import OnCall, on_call, zone

RECHECK = timedelta(minutes=10)

EMPTY = (
    "No rotations in the journal yet. Import a roster:\n"
    "  warroom roster import roster.toml   (people, rotations, overrides: docs/roster.md)\n"
    "  warroom roster import oncall.ics --rotation us-ic   (a PagerDuty or Opsgenie export)"
)


class RosterPane(Vertical):
    """Per rotation: who is on call now, their local time, the next handoff and who is
    next (``w`` opens the roster screen: coverage, gaps and the week)."""

    DEFAULT_CSS = """
    RosterPane { height: auto; }
    RosterPane DataTable { height: auto; max-height: 10; }
    RosterPane #roster-empty { display: none; color: $text-muted; padding: 0 1; }
    RosterPane.empty #roster-empty { display: block; }
    RosterPane.empty DataTable { display: none; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.snapshot = Snapshot()
        self._on_call: dict[str, tuple[OnCall, datetime]] = {}  # rotation -> (who, until when)

    def compose(self):  # type: ignore[no-untyped-def]
        table: DataTable[Text] = DataTable(cursor_type="row", id="roster-table")
        yield table
        yield Static(EMPTY, id="roster-empty", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Rotation", key="rotation", width=8)
        table.add_column("On call", key="person", width=10)
        table.add_column("Local", key="local", width=9)
        table.add_column("Handoff", key="handoff", width=8)
        table.add_column("Next", key="next", width=9)

    def show(self, snapshot: Snapshot, now: datetime) -> None:
        self.snapshot = snapshot
        self.set_class(not snapshot.rotations, "empty")
        self.tick(now, rebuild=True)

    def tick(self, now: datetime, rebuild: bool = False) -> None:
        table = self.query_one(DataTable)
        snap = self.snapshot
        rows = []
        if rebuild:
            self._on_call = {}
        for rot in snap.rotations:
            cached = self._on_call.get(rot.rotation)
            if cached is None or now >= cached[1]:
                # who holds it changes only at its next handoff: computed again then (or
                # after ten minutes, when the next one is beyond the horizon)
                oc = on_call(rot, list(snap.overrides), now)
                self._on_call[rot.rotation] = (oc, min(oc.next_at or now + RECHECK, now + RECHECK))
            else:
                oc = cached[0]
            if oc.person is None:
                person = Text("— gap —", style="bold #e8833a")
                local = Text("")
            else:
                tz = snap.person_tz(oc.person, rot.tz)
                person = Text(clean(oc.person, 8) + (" *" if oc.override else ""), style="bold")
                local = Text(now.astimezone(zone(tz)).strftime("%a %H:%M"))
            handoff = Text(countdown(oc.next_at, now)[0] if oc.next_at else "—")
            nxt = Text(clean(oc.next_person or "gap", 9), style="dim")
            rows.append((rot.rotation, Text(clean(rot.rotation, 8)), person, local, handoff, nxt))
        with self.app.batch_update():
            keys = [str(k.value) for k in table.rows]
            if rebuild or keys != [r[0] for r in rows]:
                table.clear()
                for key, *cells in rows:
                    table.add_row(*cells, key=key)
            else:
                for key, _, person, local, handoff, nxt in rows:
                    table.update_cell(key, "person", person)
                    table.update_cell(key, "local", local)
                    table.update_cell(key, "handoff", handoff)
                    table.update_cell(key, "next", nxt)
