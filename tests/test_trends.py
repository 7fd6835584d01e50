"""Trends (data/trends/report.py, warroom report trends, the trends screen) against numbers worked
out by hand on a small journal, CSV safety, and the screen's filters.

The journal (now = Tue 2026-11-10 12:00 UTC; ISO week 2026-W45 starts Mon 2026-11-02,
2026-W46 Mon 2026-11-09):

- A, edr, S1, US: detected 11-02 09:58, opened 10:00, commander amara 10:03 (ack 5m =
  300 s: exactly the S1 target, met), resolved 12:58 (3h = 10800 s), closed 13:00. Updates
  at 10:15 (due 10:18: met) and 10:40 (due 10:35: missed); the window from 10:40 was due
  11:00 and never closed before it was resolved: missed. Item verify due 10:30, done 10:20:
  met.
- B, csea, S2, UK: opened 11-03 08:00 (no detection time: T0 = opening), triaged 08:20
  (ack 1200 s, S2 target 15m: missed), commander hugo 08:25, resolved 11-04 08:00
  (86400 s). Updates 08:10 (due 08:20: met), 08:30 (due 08:30: met); next due 08:50,
  none: missed. Item report due 09:00, never done, incident resolved after: missed.
- C, other, S4, US: detected 11-09 11:00, opened 12:00, commander amara 13:00 (ack 7200 s,
  S4 target 24h: met), still active. Item watch due 11-09 14:00, open: overdue now; item
  later due 11-11: not yet due, not counted.
- D, hate_harassment, S3, AU: opened 11-10 09:00, false positive 09:30 (ack 1800 s, S3
  target 4h: met; never resolved).
- Rotation us-ic (UTC, every day 09:00 for 8 h, amara only, region US).
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from data.incidents.export import render, safe_cell
from data.trends.report import compute, last_weeks, load_input, percentile, rows, to_json, week_of
from tests.helpers import (
    HOSTILE,
    HOSTILE_IDS,
    chain,
    cli_env,
    run_cli,
    shown_escaped,
    terminal_unsafe,
    write_lines,
)

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
START = datetime(2026, 11, 2, tzinfo=UTC)


def _ev(n: int, etype: str, ts: str, data: dict[str, Any], incident: str | None = None,
        actor: str = "amara") -> dict[str, Any]:  # fmt: skip
    e: dict[str, Any] = {"v": 1, "id": f"T{n:04d}", "ts": ts, "actor": actor, "type": etype}
    if incident:
        e["incident"] = incident
    e["data"] = data
    return e


def journal_events(commander: str = "amara") -> list[dict[str, Any]]:
    def opened(title: str, cat: str, sev: int, regions: list[str], **kw: Any) -> dict[str, Any]:
        return {
            "title": title,
            "category": cat,
            "severity": sev,
            "source": "user_report",
            "regions": regions,
            **kw,
        }

    def upd() -> dict[str, Any]:
        return {"kind": "stakeholder_update", "text": "Update sent."}

    items = [
        ("roster.person", "2026-11-01T00:00:00Z", {"handle": "amara", "name": "Amara", "team": "emergency_response",
                                                  "region": "US", "tz": "UTC"}, None),
        ("roster.rotation", "2026-11-01T00:00:00Z", {"rotation": "us-ic", "team": "emergency_response", "region": "US",
                                                    "tz": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                                    "start": "09:00", "hours": 8, "members": ["amara"],
                                                    "anchor": "2026-11-01"}, None),
        # A
        ("incident.opened", "2026-11-02T10:00:00Z", opened("EDR A", "edr", 1, ["US"], detected_at="2026-11-02T09:58:00Z"), "A"),
        ("checklist.added", "2026-11-02T10:01:00Z", {"item": "verify", "text": "Verify", "team": "le_response",
                                                    "due": "2026-11-02T10:30:00Z"}, "A"),
        ("incident.role_set", "2026-11-02T10:03:00Z", {"role": "commander", "person": commander}, "A"),
        ("incident.action", "2026-11-02T10:15:00Z", upd(), "A"),
        ("checklist.set", "2026-11-02T10:20:00Z", {"item": "verify", "state": "done"}, "A"),
        ("incident.action", "2026-11-02T10:40:00Z", upd(), "A"),
        ("incident.status_set", "2026-11-02T12:58:00Z", {"status": "resolved"}, "A"),
        ("incident.status_set", "2026-11-02T13:00:00Z", {"status": "closed"}, "A"),
        # B
        ("incident.opened", "2026-11-03T08:00:00Z", opened("CSEA B", "csea", 2, ["UK"]), "B"),
        ("checklist.added", "2026-11-03T08:01:00Z", {"item": "report", "text": "Report", "team": "child_safety",
                                                    "due": "2026-11-03T09:00:00Z"}, "B"),
        ("incident.action", "2026-11-03T08:10:00Z", upd(), "B"),
        ("incident.status_set", "2026-11-03T08:20:00Z", {"status": "triaged"}, "B"),
        ("incident.role_set", "2026-11-03T08:25:00Z", {"role": "commander", "person": "hugo"}, "B"),
        ("incident.action", "2026-11-03T08:30:00Z", upd(), "B"),
        ("incident.status_set", "2026-11-04T08:00:00Z", {"status": "resolved"}, "B"),
        # C
        ("incident.opened", "2026-11-09T12:00:00Z", opened("Other C", "other", 4, ["US"], detected_at="2026-11-09T11:00:00Z"), "C"),
        ("checklist.added", "2026-11-09T12:01:00Z", {"item": "watch", "text": "Watch", "team": "policy",
                                                    "due": "2026-11-09T14:00:00Z"}, "C"),
        ("checklist.added", "2026-11-09T12:01:00Z", {"item": "later", "text": "Later", "team": "policy",
                                                    "due": "2026-11-11T12:00:00Z"}, "C"),
        ("incident.role_set", "2026-11-09T13:00:00Z", {"role": "commander", "person": commander}, "C"),
        # D
        ("incident.opened", "2026-11-10T09:00:00Z", opened("Wave D", "hate_harassment", 3, ["AU"]), "D"),
        ("incident.status_set", "2026-11-10T09:30:00Z", {"status": "false_positive"}, "D"),
    ]  # fmt: skip
    return [_ev(n, t, ts, d, inc) for n, (t, ts, d, inc) in enumerate(items, 1)]


@pytest.fixture
async def inp(tmp_journal: Path, tmp_store: Path) -> Any:
    from tests.helpers import synced_store

    write_lines(tmp_journal, chain(journal_events()))
    store, result = await synced_store(tmp_journal, tmp_store)
    try:
        assert result.quarantined == 0
        return await load_input(store)
    finally:
        await store.close()


# --- the definitions ----------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([7], 50) == 7 and percentile([7], 90) == 7
    assert percentile([4, 1, 3, 2], 50) == 2  # rank ceil(2) = 2: the lower middle
    assert percentile(list(range(1, 11)), 90) == 9  # rank 9 of 10
    assert percentile(list(range(1, 12)), 90) == 10  # rank ceil(9.9) = 10 of 11
    assert percentile([5, 1], 90) == 5  # rank ceil(1.8) = 2


def test_weeks_are_iso_weeks_in_utc_from_monday() -> None:
    assert week_of(datetime(2026, 11, 8, 23, 59, tzinfo=UTC)).label == "2026-W45"  # Sunday
    assert week_of(datetime(2026, 11, 9, 0, 0, tzinfo=UTC)).label == "2026-W46"  # Monday
    assert week_of(datetime(2027, 1, 1, tzinfo=UTC)).label == "2026-W53"  # ISO year
    assert last_weeks(2, NOW) == (START, NOW)


# --- numbers worked out by hand -------------------------------------------------------------


async def test_numbers_by_hand(inp: Any) -> None:
    t = compute(inp, START, NOW, NOW)
    assert [w.label for w in t.weeks] == ["2026-W45", "2026-W46"]
    assert t.opened_total == (2, 2)
    assert t.opened["edr"] == (1, 0) and t.opened["csea"] == (1, 0)
    assert t.opened["other"] == (0, 1) and t.opened["hate_harassment"] == (0, 1)
    assert t.opened["media"] == (0, 0)
    assert t.severity_mix == {1: 1, 2: 1, 3: 1, 4: 1}

    # acknowledged after T0: 300, 1200, 7200, 1800 s -> sorted 300, 1200, 1800, 7200
    every = t.lifecycle_of("all")
    assert (every.ack.n, every.ack.median, every.ack.p90) == (4, 1200, 7200)
    # resolved: A 10800 s, B 86400 s (C active, D a false positive)
    assert (every.resolve.n, every.resolve.median, every.resolve.p90) == (2, 10800, 86400)
    s1 = t.lifecycle_of("severity", "1")
    assert (s1.ack.n, s1.ack.median, s1.resolve.median) == (1, 300, 10800)
    assert t.lifecycle_of("category", "csea").ack.median == 1200
    assert (
        t.lifecycle_of("category", "media").ack.n == 0
        and t.lifecycle_of("category", "media").ack.median is None
    )

    ack, update, item = t.clocks["ack"], t.clocks["update"], t.clocks["item"]
    assert (ack.met, ack.missed, ack.overdue) == (3, 1, 0)  # B's 20 minutes > 15
    assert (update.met, update.missed, update.overdue) == (3, 3, 0)
    assert (item.met, item.missed, item.overdue) == (1, 1, 1)  # C's "later" not yet due
    assert t.missed_by_week["update"] == (3, 0)
    assert t.missed_by_week["item"] == (1, 1)  # B's report (W45), C's watch overdue (W46)

    load = {p.person: p for p in t.load}
    # 8 days of 8 hours (11-02 to 11-09) and 09:00-12:00 on 11-10
    assert load["amara"].on_call_hours == 67
    assert (load["amara"].incidents, load["amara"].as_commander) == (2, 2)
    assert math.isclose(load["amara"].per_12h or 0, 24 / 67)
    assert (load["hugo"].on_call_hours, load["hugo"].incidents, load["hugo"].per_12h) == (0, 1, None)
    assert [p.person for p in t.load] == ["amara", "hugo"]


async def test_region_and_period_filter(inp: Any) -> None:
    us = compute(inp, START, NOW, NOW, region="US")
    assert us.opened_total == (1, 1)
    assert (us.lifecycle_of("all").ack.median, us.lifecycle_of("all").ack.p90) == (300, 7200)  # 300, 7200
    assert {p.person for p in us.load} == {"amara"}
    uk = compute(inp, START, NOW, NOW, region="UK")
    assert uk.opened_total == (1, 0) and [(p.person, p.on_call_hours) for p in uk.load] == [("hugo", 0)]
    week46 = compute(inp, datetime(2026, 11, 9, tzinfo=UTC), NOW, NOW)
    assert week46.opened_total == (2,) and week46.lifecycle_of("all").ack.n == 2
    # only the clocks settled in W46: C's ack (13:00) and D's (09:30) met, C's watch overdue
    assert (week46.clocks["ack"].met, week46.clocks["item"].overdue, week46.clocks["update"].counted) == (
        2,
        1,
        0,
    )
    assert week46.load[0].on_call_hours == 8 + 3  # 11-09 09-17 and 11-10 09-12
    with pytest.raises(ValueError):
        compute(inp, START, NOW, NOW, region="Mars")


async def test_exports_say_the_same(inp: Any) -> None:
    t = compute(inp, START, NOW, NOW)
    j = to_json(t)
    assert j["window"] == {"since": "2026-11-02T00:00:00Z", "until": "2026-11-10T12:00:00Z", "region": None,
                           "weeks": ["2026-W45", "2026-W46"]}  # fmt: skip
    assert j["time_to_acknowledge"]["all"] == {"n": 4, "median_seconds": 1200, "p90_seconds": 7200}
    assert j["clocks"]["update"]["met"] == 3
    table = rows(t)
    got = {(r["section"], r["group"], r["key"], r["week"], r["metric"]): r["value"] for r in table}
    assert got["time_to_resolve", "all", "", "", "p90_seconds"] == 86400
    assert got["opened", "category", "edr", "2026-W45", "count"] == 1
    assert got["on_call_load", "person", "amara", "", "on_call_hours"] == 67


# --- CSV safety -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://x")']
)
def test_formula_cells_are_neutralised(value: str) -> None:
    assert safe_cell(value) == "'" + value
    # (an audited --unmasked export, with --raw-text)
    text = render(["a"], [{"a": value}], "csv", masked=False, raw=True)
    (header, (cell,)) = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["a"] and cell == "'" + value
    # control characters escaped (the default): the same, but a lone CR is shown as \x0d,
    # which no spreadsheet reads as a formula
    text = render(["a"], [{"a": value}], "csv", masked=False)
    (_, (cell,)) = list(csv.reader(io.StringIO(text, newline="")))
    assert cell == ("\\x0dx" if value == "\rx" else "'" + value)
    # masked (the default), a formula-like cell is quoted all the same
    (_, (cell,)) = list(csv.reader(io.StringIO(render(["a"], [{"a": value}], "csv", raw=True), newline="")))
    assert cell.startswith("'") and cell[1] == value[0]


def test_plain_cells_and_numbers_are_kept() -> None:
    assert safe_cell(-3) == -3 and safe_cell("a=b") == "a=b" and safe_cell("") == ""
    text = render(["a", "b"], [{"a": 'x, "y"', "b": -3}], "csv")
    assert text == 'a,b\r\n"x, ""y""",-3\r\n'  # RFC 4180: CRLF, quotes doubled
    assert render(["a"], [], "csv", bom=True).startswith("\ufeffa\r\n")
    assert render(["a"], [], "json", bom=True) == "[]\n"


@pytest.mark.parametrize("h", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_strings_in_csv(h: str) -> None:
    evil = [f"={h}", h, f"@{h}"]
    # unmasked (masking would shorten "@trailing" to "@t***"; docs/privacy.md)
    for raw, want in ((True, h), (False, shown_escaped(h, keep_lines=True))):
        text = render(["a", "b", "c"], [dict(zip("abc", evil, strict=True))], "csv", masked=False, raw=raw)
        if not raw:
            assert not terminal_unsafe(text, allow="\r\n\t")
        (_, row) = list(csv.reader(io.StringIO(text, newline="")))
        formula = want.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row[1] == ("'" + want if formula else want)  # exact (--raw-text) or visibly escaped otherwise
        assert row[0] == "'=" + want and row[2] == "'@" + want


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path) -> dict[str, Any]:
    journal, store = tmp_path / "journal.jsonl", tmp_path / "store.db"
    write_lines(journal, chain(journal_events(commander='=HYPERLINK("x")')))
    # (the windows below end before the real now: the results do not depend on the clock)
    return {"env": cli_env(tmp_path, journal, store), "base": tmp_path}


def test_report_trends_json(cli: dict[str, Any]) -> None:
    proc = run_cli(
        ["report", "trends", "--since", "2026-11-02", "--until", "2026-11-09", "--format", "json"], cli["env"]
    )
    assert proc.returncode == 0, proc.stderr
    j = json.loads(proc.stdout)
    assert j["window"]["since"] == "2026-11-02T00:00:00Z" and j["window"]["until"] == "2026-11-10T00:00:00Z"
    assert j["window"]["weeks"] == ["2026-W45", "2026-W46"]
    assert [w["total"] for w in j["opened_per_week"]] == [2, 1]  # D opened 11-10: outside
    assert j["time_to_resolve"]["all"] == {"n": 2, "median_seconds": 10800, "p90_seconds": 86400}
    assert j["time_to_acknowledge"]["all"] == {"n": 3, "median_seconds": 1200, "p90_seconds": 7200}


def test_report_trends_csv_is_safe(cli: dict[str, Any]) -> None:
    proc = run_cli(["report", "trends", "--since", "2026-11-02", "--until", "2026-11-09", "--format", "csv",
                    "--region", "US"], cli["env"])  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    raw = proc.stdout.decode("utf-8")
    assert not raw.startswith("\ufeff") and raw.endswith("\r\n")  # no BOM on standard output
    table = list(csv.reader(io.StringIO(raw, newline="")))
    assert table[0] == ["section", "group", "key", "week", "metric", "value"]
    people = {r[2] for r in table if r[0] == "on_call_load"}
    assert people == {"amara", '\'=HYPERLINK("x")'}  # the hostile handle cannot run
    assert ["window", "", "", "", "region", "US"] in table
    target = cli["base"] / "trends.csv"
    proc = run_cli(["report", "trends", "--since", "2026-11-02", "--until", "2026-11-09", "--format", "csv",
                    "--region", "US", "-o", str(target)], cli["env"])  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes().decode("utf-8") == "\ufeff" + raw  # a file gets the BOM Excel needs


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--since", "2026-13-01"], "--since '2026-13-01': not a valid date"),
        (["--since", "last week"], "expected a date YYYY-MM-DD"),
        (["--until", "2026-11-02T25:00:00Z"], "--until"),
        (["--since", "2026-11-09", "--until", "2026-11-01"], "must be after --since"),
        (["--region", "Mars"], "'Mars' is not one of"),
        (["--format", "xlsx"], "'xlsx' is not one of"),
    ],
)
def test_report_trends_bad_arguments(cli: dict[str, Any], args: list[str], needle: str) -> None:
    proc = run_cli(["report", "trends", *args], cli["env"])
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert proc.stdout == b""


def test_report_imports_no_textual() -> None:
    import subprocess
    import sys

    code = "import sys, app.cli, app.cli_report; assert 'textual' not in sys.modules, 'textual imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


# --- the screen -------------------------------------------------------------------------------


async def test_screen_filters_change_the_numbers(tmp_path: Path) -> None:
    from app.console import WarRoom
    from data.engine import clock
    from screens.trends import TrendsScreen
    from tests._console_helpers import settings_for, settle, wait_for

    settings = settings_for(tmp_path)
    write_lines(settings.journal, chain(journal_events()))
    clock.freeze(NOW)
    try:
        app = WarRoom(settings)
        async with app.run_test(size=(150, 42)) as pilot:
            await wait_for(
                pilot, lambda: app.last_snapshot is not None and app.last_snapshot.incidents, what="sync"
            )
            await pilot.press("t")
            await wait_for(
                pilot, lambda: isinstance(app.screen, TrendsScreen) and app.screen.trends is not None
            )
            screen = app.screen
            assert isinstance(screen, TrendsScreen)
            assert screen.period_weeks == 8 and screen.trends is not None
            assert screen.trends.incidents == 4
            computed = screen.computations
            await pilot.press("r")  # region US
            await wait_for(pilot, lambda: screen.computations > computed and screen.trends.region == "US")
            assert screen.trends.incidents == 2
            assert "region US" in " ".join(str(screen.query_one("#trends-filters").render()).split())
            for _ in range(5):  # UK, AU, EU, global, back to all
                await pilot.press("r")
            await wait_for(pilot, lambda: screen.trends.region is None)
            computed = screen.computations
            await pilot.press("p")  # last 12 weeks
            await wait_for(pilot, lambda: screen.computations > computed)
            assert screen.period_weeks == 12 and len(screen.trends.weeks) == 12
            # a snapshot with nothing new does not recompute
            computed = screen.computations
            screen.show_snapshot(app.last_snapshot)
            await settle(pilot)  # (a read or a recompute would be a worker: waited for)
            assert screen.computations == computed
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, TrendsScreen), what="the trends closed")
    finally:
        clock.freeze(None)


async def test_screen_shows_hostile_handles_literally(tmp_path: Path) -> None:
    """The people of the on-call load come from the journal: markup in a handle reads
    literally and no control character reaches the screen."""
    from app.console import WarRoom
    from screens.trends import TrendsScreen
    from tests._console_helpers import (
        assert_screen_clean,
        opened,
        scoped,
        screen_text,
        seed,
        settings_for,
        settle,
        wait_for,
    )

    handles = [h for h in ("[/", "[/foo]", "[red]x[/]", "[@click=app.quit]x[/]", "trailing backslash\\",
                           "🚨🔥 incident 🧯", "儿童安全事件 対応中 사건")]  # fmt: skip
    settings = settings_for(tmp_path)
    events = []
    for n, h in enumerate(handles):
        events += [
            opened(f"INC-T{n}", severity=2),
            scoped("incident.role_set", f"INC-T{n}", role="commander", person=h),
        ]
    await seed(settings, events, actor="amara")
    app = WarRoom(settings)
    async with app.run_test(size=(150, 42)) as pilot:
        await wait_for(
            pilot, lambda: app.last_snapshot is not None and app.last_snapshot.incidents, what="sync"
        )
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TrendsScreen) and app.screen.trends is not None)
        await settle(pilot)
        assert_screen_clean(app, "the trends screen")
        text = screen_text(app)
        from data.privacy.text import clean

        for h in ("[/foo]", "[red]x[/]", "[@click=app.quit]x[/]"):
            assert clean(h, 10) in text, h  # the column keeps 10 characters
        assert app.is_running


@pytest.mark.parametrize("size", [(120, 35), (80, 24), (150, 42)])
async def test_every_figure_fits_its_box(tmp_path: Path, size: tuple[int, int]) -> None:
    """At 120x35 (and 80x24) the charts shrink, and the boxes move, so that no number is
    cut: every line of every box fits it, the totals and both percentiles included."""
    from textual.widgets import Static

    from app.console import WarRoom
    from data.engine import clock
    from screens.trends import TrendsScreen
    from tests._console_helpers import settings_for, wait_for

    settings = settings_for(tmp_path)
    write_lines(settings.journal, chain(journal_events()))
    clock.freeze(NOW)
    try:
        app = WarRoom(settings)
        async with app.run_test(size=size) as pilot:
            await wait_for(
                pilot, lambda: app.last_snapshot is not None and app.last_snapshot.incidents, what="sync"
            )
            await pilot.press("t")
            await wait_for(
                pilot, lambda: isinstance(app.screen, TrendsScreen) and app.screen.trends is not None
            )
            screen = app.screen
            await pilot.pause()
            boxes = {
                name: screen.query_one(f"#{name}", Static)
                for name in ("opened", "mix", "clocks", "lifecycle", "load")
            }

            def overflowing() -> list[str]:
                return [f"{name}: {line!r} ({len(line)} > {box.size.width})"
                        for name, box in boxes.items() for line in str(box.render()).splitlines()
                        if len(line.rstrip()) > box.size.width]  # fmt: skip

            await wait_for(pilot, lambda: not overflowing(), what=f"every line fits: {overflowing()}")
            opened = str(boxes["opened"].render()).splitlines()
            assert (
                opened[0].rstrip().endswith("total") and opened[1].split()[-1] == "4"
            )  # every week and the total
            lifecycle = str(boxes["lifecycle"].render())
            assert lifecycle.count("p90") == 2 and "target" in lifecycle  # both groups, the target
            assert "per 12h" in str(boxes["load"].render())
            assert "missed" in str(boxes["clocks"].render()) and "%" in str(boxes["mix"].render())
    finally:
        clock.freeze(None)
