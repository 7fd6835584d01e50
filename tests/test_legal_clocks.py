"""Each statute's clock through the real path (issue 15): events written with ``warroom
append`` (click's CliRunner, in process, every path under tmp_path), the procedure's items
added to the same batch, and read back with ``warroom clocks --json``.

The console's clock is frozen (``data.engine.clock.freeze``) so that states are fixed; every
event carries its own ``ts``. Every expected due time is worked out by hand in the comment
beside it (calendar facts: see tests/test_calendars.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import app.cli  # noqa: F401  (registers the commands on the group)
from app.cli_base import main
from data.engine import clock

#: the T0 of the incidents opened here (a Friday: the day after Thanksgiving)
T0 = "2026-11-27T09:00:00Z"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def ms(text: str) -> str:
    """``2026-11-27T11:00:00Z`` as warroom writes event times (milliseconds)."""
    return text.replace("Z", ".000Z") if "." not in text else text


@dataclass
class Room:
    """A journal, a store and a config file under tmp_path, driven through the CLI."""

    path: Path
    runner: CliRunner = field(default_factory=CliRunner)

    @property
    def env(self) -> dict[str, str]:
        return {
            "WARROOM_JOURNAL": str(self.path / "journal.jsonl"),
            "WARROOM_DB": str(self.path / "store.db"),
            "WARROOM_ACTOR": "amara",
            "WARROOM_CONFIG": str(self.path / "config.toml"),
            "WARROOM_SOP_DIR": str(self.path / "no-sop"),
            "HOME": str(self.path),
        }

    def config(self, text: str) -> None:
        (self.path / "config.toml").write_text(text)

    def invoke(self, args: list[str], input: str | None = None) -> Result:
        return self.runner.invoke(main, args, env=self.env, input=input)

    def append(self, *events: dict[str, Any], raw: bool = False, now: str | None = None) -> Result:
        """Append ``events`` as one batch; the console's clock is frozen at ``now`` (else
        the last event's ts)."""
        clock.freeze(z(now or events[-1]["ts"]))
        text = "".join(json.dumps(e) + "\n" for e in events)
        return self.invoke(["append", *(["--raw"] if raw else [])], text)

    def ok(self, *events: dict[str, Any], raw: bool = False) -> Result:
        r = self.append(*events, raw=raw)
        assert r.exit_code == 0, r.stderr
        return r

    def clocks(self, now: str) -> list[dict[str, Any]]:
        clock.freeze(z(now))
        r = self.invoke(["clocks", "--json"])
        assert r.exit_code == 0, r.stderr
        rows: list[dict[str, Any]] = json.loads(r.stdout)
        return rows

    def journal(self) -> list[dict[str, Any]]:
        path = self.path / "journal.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def open(self, incident: str = "INC-1", *, t0: str = T0, **data: Any) -> None:
        d = {
            "title": "Incident under test",
            "category": "other",
            "severity": 2,
            "source": "regulator",
            "regions": ["US"],
            "detected_at": t0,
            **data,
        }
        self.ok({"type": "incident.opened", "incident": incident, "ts": ms(t0), "data": d})


def action(kind: str, at: str, ts: str, ref: str | None = None, regime: str | None = None,
           incident: str = "INC-1") -> dict[str, Any]:  # fmt: skip
    """An ``incident.action`` trigger: ``at`` when it happened, ``ts`` when recorded."""
    data: dict[str, Any] = {"kind": kind, "text": f"{kind} recorded", "at": at}
    if ref is not None:
        data["ref"] = ref
    if regime is not None:
        data["regime"] = regime
    return {"type": "incident.action", "incident": incident, "ts": ms(ts), "data": data}


def one(rows: list[dict[str, Any]], name: str, incident: str = "INC-1") -> dict[str, Any]:
    found = [r for r in rows if r["name"] == name and r["incident"] == incident]
    assert len(found) == 1, [(r["incident"], r["name"]) for r in rows]
    return found[0]


def names(rows: list[dict[str, Any]], incident: str = "INC-1") -> set[str]:
    return {r["name"] for r in rows if r["incident"] == incident}


def added(room: Room, step: str) -> list[dict[str, Any]]:
    """The ``checklist.added`` events of a template step in the journal."""
    return [e for e in room.journal() if e["type"] == "checklist.added" and e["data"].get("step") == step]


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Room]:
    yield Room(tmp_path)
    clock.freeze(None)


# --- EU TCO ------------------------------------------------------------------------------


def test_tco_order_is_one_hour_from_its_receipt_whatever_the_regions(room: Room) -> None:
    room.open(regions=["US"])  # no EU region: the order still binds
    # received 10:30Z, recorded 11:00Z: due 10:30 + 1 h = 11:30Z (not 12:00Z from the entry)
    r = room.ok(action("order_received", "2026-11-27T10:30:00Z", "2026-11-27T11:00:00Z", "TCO-1", "eu_tco"))
    assert "tco-remove due 2026-11-27T11:30:00Z" in r.stderr
    rows = room.clocks("2026-11-27T11:00:00Z")
    tco = one(rows, "tco-remove")
    assert tco["kind"] == "item"
    assert tco["due"] == "2026-11-27T11:30:00Z"
    assert tco["what"].endswith("(ref TCO-1)") and "within 1 hour" in tco["what"]
    assert tco["basis"] == "Regulation (EU) 2021/784 (TCO) Art. 3(3)"
    assert tco["trigger"] == {"kind": "order_received", "at": "2026-11-27T10:30:00Z", "ref": "TCO-1"}
    assert tco["state"] != "overdue"
    assert one(room.clocks("2026-11-27T11:30:01Z"), "tco-remove")["state"] == "overdue"
    # the T0 items carry no trigger
    assert one(rows, "grade")["trigger"] is None


def test_two_tco_orders_are_two_clocks_and_the_same_order_twice_is_one(room: Room) -> None:
    room.open()
    # A at 10:00Z -> 11:00Z; B at 10:20Z -> 11:20Z
    room.ok(
        action("order_received", "2026-11-27T10:00:00Z", "2026-11-27T10:30:00Z", "TCO-A", "eu_tco"),
        action("order_received", "2026-11-27T10:20:00Z", "2026-11-27T10:30:00Z", "TCO-B", "eu_tco"),
    )
    rows = room.clocks("2026-11-27T10:30:00Z")
    got = sorted((r["due"], r["name"], r["trigger"]["ref"]) for r in rows if r["trigger"])
    assert got == [
        ("2026-11-27T11:00:00Z", "tco-remove", "TCO-A"),
        ("2026-11-27T11:20:00Z", "tco-remove-2", "TCO-B"),
    ]
    # order A recorded again (a second entry, a later time): no new clock
    before = len(room.journal())
    r = room.ok(action("order_received", "2026-11-27T10:40:00Z", "2026-11-27T10:45:00Z", "TCO-A", "eu_tco"))
    assert "procedure" not in r.stderr
    assert len(room.journal()) == before + 1  # only the action
    assert len(added(room, "tco-remove")) == 2
    # the same order twice in one batch: one clock
    room.ok(
        action("order_received", "2026-11-27T10:50:00Z", "2026-11-27T10:55:00Z", "TCO-C", "eu_tco"),
        action("order_received", "2026-11-27T10:50:00Z", "2026-11-27T10:56:00Z", "TCO-C", "eu_tco"),
    )
    assert [e["data"]["trigger"]["ref"] for e in added(room, "tco-remove")] == ["TCO-A", "TCO-B", "TCO-C"]


def test_an_order_under_another_regime_or_none_starts_no_tco_clock(room: Room) -> None:
    room.open()
    room.ok(
        action("order_received", "2026-11-27T10:00:00Z", "2026-11-27T10:30:00Z", "X-1"),
        action("order_received", "2026-11-27T10:00:00Z", "2026-11-27T10:30:00Z", "X-2", "au_esafety"),
    )
    assert added(room, "tco-remove") == []


def test_tco_removed_content_is_held_six_months(room: Room) -> None:
    room.open()
    # removed 2026-11-27 11:10Z = 12:10 CET (+1) in Brussels; 6 months on the EU calendar:
    # 2027-05-27 12:10 CEST (+2) = 10:10Z (across the March change)
    room.ok(action("content_removed", "2026-11-27T11:10:00Z", "2026-11-27T11:15:00Z", "TCO-1", "eu_tco"))
    rows = room.clocks("2026-11-27T11:15:00Z")
    hold = one(rows, "tco-preserve")
    assert hold["kind"] == "hold"
    assert hold["due"] == "2027-05-27T10:10:00Z"
    assert hold["trigger"] == {"kind": "content_removed", "at": "2026-11-27T11:10:00Z", "ref": "TCO-1"}
    assert hold["basis"] == "Regulation (EU) 2021/784 (TCO) Art. 6(1)-(2)"
    assert hold["state"] == "ok"
    # at risk within 30 days of its end: 2027-04-27T10:10Z is exactly 30 days before
    assert one(room.clocks("2027-04-27T10:11:00Z"), "tco-preserve")["state"] == "at_risk"
    ev = added(room, "tco-preserve")[0]
    assert ev["data"]["hold"] is True and ev["data"]["calendar"] == "EU"


# --- DSA, eSafety, TAKE IT DOWN ------------------------------------------------------------


def test_dsa_orders_art9_and_art10(room: Room) -> None:
    room.open()
    # Art 9 at 08:00Z -> 24 h: 2026-11-28T08:00Z; Art 10 at 08:30Z -> 2026-11-28T08:30Z
    room.ok(
        action("order_received", "2026-11-27T08:00:00Z", "2026-11-27T09:30:00Z", "DSA9-1", "eu_dsa_art9"),
        action("order_received", "2026-11-27T08:30:00Z", "2026-11-27T09:30:00Z", "DSA10-1", "eu_dsa_art10"),
    )
    rows = room.clocks("2026-11-27T09:30:00Z")
    art9, art10 = one(rows, "dsa-order-act"), one(rows, "dsa-order-info")
    assert art9["due"] == "2026-11-28T08:00:00Z" and art10["due"] == "2026-11-28T08:30:00Z"
    assert art9["basis"].startswith("Regulation (EU) 2022/2065 (DSA) Art. 9(1)")
    assert art10["basis"].startswith("Regulation (EU) 2022/2065 (DSA) Art. 10(1)")
    assert art9["trigger"]["ref"] == "DSA9-1" and art10["trigger"]["ref"] == "DSA10-1"
    assert "tco-remove" not in names(rows)


def test_esafety_removal_notice_24h(room: Room) -> None:
    room.open(regions=["AU"])
    # notice at 2026-04-04T12:00Z (23:00 AEDT): Sydney leaves DST the next night; elapsed
    # 24 h regardless: 2026-04-05T12:00Z
    room.open("INC-2", t0="2026-04-04T11:00:00Z", regions=["AU"])
    room.ok(action("notice_received", "2026-04-04T12:00:00Z", "2026-04-04T12:05:00Z", "ES-9", "au_esafety",
                   incident="INC-2"))  # fmt: skip
    got = one(room.clocks("2026-04-04T12:05:00Z"), "esafety-remove", "INC-2")
    assert got["due"] == "2026-04-05T12:00:00Z"
    assert got["trigger"] == {"kind": "notice_received", "at": "2026-04-04T12:00:00Z", "ref": "ES-9"}
    assert got["basis"].startswith("Online Safety Act 2021 (Cth)")


def test_take_it_down_48h_across_the_us_dst_change(room: Room) -> None:
    room.open(t0="2026-10-31T13:00:00Z")
    # valid request 2026-10-31T14:00Z (10:00 EDT); 48 elapsed hours = 2026-11-02T14:00Z
    # (09:00 EST: the wall clock moved, the deadline did not)
    room.ok(action("notice_received", "2026-10-31T14:00:00Z", "2026-10-31T14:10:00Z", "TID-1",
                   "us_take_it_down"))  # fmt: skip
    got = one(room.clocks("2026-10-31T14:10:00Z"), "take-it-down")
    assert got["due"] == "2026-11-02T14:00:00Z"
    assert got["basis"] == "TAKE IT DOWN Act (2025), 47 U.S.C. 223a(a)(3)"
    assert got["trigger"]["kind"] == "notice_received"


# --- NCMEC and 2703(f) holds ---------------------------------------------------------------


def test_ncmec_report_holds_one_year_across_dst_and_from_a_leap_day(room: Room) -> None:
    # filed 2026-03-10 10:00 EDT (14:00Z; DST began 8 March). 1 year on the US calendar:
    # 2027-03-10 10:00, and DST 2027 begins 14 March: EST (-5) = 15:00Z
    room.open(t0="2026-03-10T13:00:00Z", category="csea")
    room.ok(action("report_filed", "2026-03-10T14:00:00Z", "2026-03-10T14:30:00Z", "CT-1001", "us_ncmec"))
    hold = one(room.clocks("2026-03-10T14:30:00Z"), "ncmec-preserve")
    assert hold["kind"] == "hold" and hold["due"] == "2027-03-10T15:00:00Z"
    assert hold["trigger"] == {"kind": "report_filed", "at": "2026-03-10T14:00:00Z", "ref": "CT-1001"}
    assert "2258A(h)" in hold["basis"]
    # filed on the leap day 2028-02-29 12:00 EST (17:00Z): 2029-02-28 12:00 EST = 17:00Z
    room.open("INC-2", t0="2028-02-29T16:00:00Z")
    room.ok(action("report_filed", "2028-02-29T17:00:00Z", "2028-02-29T17:05:00Z", "CT-2002", "us_ncmec",
                   incident="INC-2"))  # fmt: skip
    leap = one(room.clocks("2028-02-29T17:05:00Z"), "ncmec-preserve", "INC-2")
    assert leap["kind"] == "hold" and leap["due"] == "2029-02-28T17:00:00Z"


def test_a_report_under_another_regime_holds_nothing(room: Room) -> None:
    room.open()
    room.ok(action("report_filed", "2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z", "R-1", "eu_nis2"))
    assert added(room, "ncmec-preserve") == []


def test_preservation_request_90_days_and_one_extension(room: Room) -> None:
    room.open(category="edr")
    # requested 2026-11-27 10:00 EST = 15:00Z; 90 days on the US calendar: Nov 27 + 3 = Nov 30,
    # + 31 = Dec 31, + 31 = Jan 31, + 25 = 2027-02-25, 10:00 EST = 15:00Z
    room.ok(action("preservation_requested", "2026-11-27T15:00:00Z", "2026-11-27T15:10:00Z", "LE-77"))
    hold = one(room.clocks("2026-11-27T15:10:00Z"), "le-preserve")
    assert hold["kind"] == "hold" and hold["due"] == "2027-02-25T15:00:00Z"
    assert hold["trigger"] == {"kind": "preservation_requested", "at": "2026-11-27T15:00:00Z", "ref": "LE-77"}
    item = added(room, "le-preserve")[0]["data"]["item"]
    # the renewed request, before the end: the end moves 90 days on: Feb 25 + 3 = Feb 28,
    # + 31 = Mar 31, + 30 = Apr 30, + 26 = 2027-05-26, 10:00 EDT (DST from 14 March) = 14:00Z
    r = room.ok(action("preservation_extended", "2027-02-01T15:00:00Z", "2027-02-01T15:05:00Z", "LE-77"))
    batch = room.journal()[-2:]
    assert [e["type"] for e in batch] == ["incident.action", "checklist.retimed"]
    assert [e.get("batch") for e in batch] == [[1, 2], [2, 2]]
    assert batch[1]["data"]["item"] == item and batch[1]["data"]["due"] == "2027-05-26T14:00:00Z"
    assert "re-timed" in r.stderr
    moved = one(room.clocks("2027-02-01T15:05:00Z"), "le-preserve")
    assert moved["due"] == "2027-05-26T14:00:00Z" and moved["kind"] == "hold"
    # a second extension: refused, nothing written
    lines = (room.path / "journal.jsonl").read_bytes()
    r = room.append(action("preservation_extended", "2027-03-01T15:00:00Z", "2027-03-01T15:05:00Z", "LE-77"))
    assert r.exit_code == 2, r.stderr
    assert "nothing was written" in r.stderr
    assert (room.path / "journal.jsonl").read_bytes() == lines
    assert one(room.clocks("2027-03-01T15:05:00Z"), "le-preserve")["due"] == "2027-05-26T14:00:00Z"


def test_preservation_extension_after_the_end_is_refused(room: Room) -> None:
    room.open(category="edr")
    # requested 2026-11-27T15:00Z: ends 2027-02-25T15:00Z (see above)
    room.ok(action("preservation_requested", "2026-11-27T15:00:00Z", "2026-11-27T15:10:00Z", "LE-78"))
    lines = (room.path / "journal.jsonl").read_bytes()
    # the renewed request came a minute after the end
    r = room.append(action("preservation_extended", "2027-02-25T15:01:00Z", "2027-02-25T15:05:00Z", "LE-78"))
    assert r.exit_code == 2, r.stderr
    assert "nothing was written" in r.stderr
    assert (room.path / "journal.jsonl").read_bytes() == lines
    assert one(room.clocks("2027-02-25T15:05:00Z"), "le-preserve")["due"] == "2027-02-25T15:00:00Z"


def test_preservation_extension_naming_no_hold_is_refused(room: Room) -> None:
    room.open(category="edr")
    room.ok(action("preservation_requested", "2026-11-27T15:00:00Z", "2026-11-27T15:10:00Z", "LE-79"))
    lines = (room.path / "journal.jsonl").read_bytes()
    r = room.append(
        action("preservation_extended", "2026-12-01T15:00:00Z", "2026-12-01T15:05:00Z", "LE-OTHER")
    )
    assert r.exit_code == 2, r.stderr
    assert (room.path / "journal.jsonl").read_bytes() == lines


# --- breach notification ------------------------------------------------------------------


def test_gdpr_72h_from_awareness(room: Room) -> None:
    room.open(category="data_security", regions=["UK"], t0="2026-10-23T11:00:00Z")
    # aware 2026-10-23T12:00Z (13:00 BST); 72 elapsed hours across the 25 October change:
    # 2026-10-26T12:00Z
    room.ok(action("breach_aware", "2026-10-23T12:00:00Z", "2026-10-23T12:30:00Z", "BR-1", "uk_gdpr"))
    got = one(room.clocks("2026-10-23T12:30:00Z"), "gdpr-notify")
    assert got["due"] == "2026-10-26T12:00:00Z"
    assert got["basis"] == "GDPR / UK GDPR Art. 33(1)"
    assert got["trigger"] == {"kind": "breach_aware", "at": "2026-10-23T12:00:00Z", "ref": "BR-1"}


def test_au_ndb_30_days_across_the_sydney_change(room: Room) -> None:
    room.open(category="data_security", regions=["AU"], t0="2026-03-19T21:00:00Z")
    # aware 2026-03-20 09:00 AEDT (+11) = 2026-03-19T22:00Z; 30 days: 19 April 09:00 AEST
    # (+10) = 2026-04-18T23:00Z
    room.ok(action("breach_aware", "2026-03-19T22:00:00Z", "2026-03-19T22:30:00Z", "NDB-1", "au_ndb"))
    got = one(room.clocks("2026-03-19T22:30:00Z"), "au-ndb-assess")
    assert got["due"] == "2026-04-18T23:00:00Z"
    assert got["basis"] == "Privacy Act 1988 (Cth) s 26WH(2)"


def test_nis2_only_when_the_config_says_so(room: Room) -> None:
    room.open(category="data_security", regions=["EU"])
    room.ok(action("breach_aware", "2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z", "N-0", "eu_nis2"))
    assert not [e for e in room.journal() if e["type"] == "checklist.added" and "nis2" in e["data"]["item"]]


def test_nis2_early_warning_notification_and_final_report(room: Room) -> None:
    room.config("[obligations]\nnis2 = true\n")
    room.open(category="data_security", regions=["EU"], t0="2026-10-19T09:00:00Z")
    # aware 2026-10-19T10:00Z: early warning + 24 h = 2026-10-20T10:00Z; notification + 72 h
    # = 2026-10-22T10:00Z
    room.ok(action("breach_aware", "2026-10-19T10:00:00Z", "2026-10-19T10:05:00Z", "N-1", "eu_nis2"))
    rows = room.clocks("2026-10-19T10:05:00Z")
    assert one(rows, "nis2-early-warning")["due"] == "2026-10-20T10:00:00Z"
    assert one(rows, "nis2-notification")["due"] == "2026-10-22T10:00:00Z"
    assert "Art. 23(4)(a)" in one(rows, "nis2-early-warning")["basis"]
    # notification filed 2026-10-20 12:00 CEST (+2) = 10:00Z: the final report 1 month on
    # the EU calendar: 2026-11-20 12:00 CET (+1) = 11:00Z (across the 25 October change)
    room.ok(action("report_filed", "2026-10-20T10:00:00Z", "2026-10-20T10:05:00Z", "N-1", "eu_nis2"))
    final = one(room.clocks("2026-10-20T10:05:00Z"), "nis2-final-report")
    assert final["due"] == "2026-11-20T11:00:00Z"
    assert final["trigger"] == {"kind": "report_filed", "at": "2026-10-20T10:00:00Z", "ref": "N-1"}
    assert final["kind"] == "item"


# --- SEC 8-K ----------------------------------------------------------------------------------


def test_sec_8k_only_for_a_registrant(room: Room) -> None:
    room.open(category="data_security")
    room.ok(action("materiality_determined", "2026-11-24T20:00:00Z", "2026-11-24T20:05:00Z", "MAT-1"))
    assert added(room, "sec-8k") == []


def test_sec_8k_four_business_days_across_thanksgiving(room: Room) -> None:
    room.config("[obligations]\nsec_registrant = true\n")
    room.open(category="data_security", t0="2026-11-24T19:00:00Z")
    # determined Tue 2026-11-24 15:00 EST (20:00Z): Wed 25 (1), Thu 26 Thanksgiving,
    # Fri 27 (2), Mon 30 (3), Tue 1 December (4), by 17:30 EST = 2026-12-01T22:30Z
    room.ok(
        action("materiality_determined", "2026-11-24T20:00:00Z", "2026-11-24T20:05:00Z", "MAT-1", "us_sec")
    )
    got = one(room.clocks("2026-11-24T20:05:00Z"), "sec-8k")
    assert got["due"] == "2026-12-01T22:30:00Z"
    assert got["trigger"] == {"kind": "materiality_determined", "at": "2026-11-24T20:00:00Z", "ref": "MAT-1"}
    assert "Form 8-K Item 1.05" in got["basis"]
    assert added(room, "sec-8k")[0]["data"]["calendar"] == "US"


def test_sec_8k_across_christmas(room: Room) -> None:
    room.config("[obligations]\nsec_registrant = true\nnis2 = false\n")
    room.open(category="data_security", t0="2026-12-22T14:00:00Z")
    # determined Tue 2026-12-22 10:00 EST (15:00Z): Wed 23 (1), Thu 24 (2), Fri 25 Christmas,
    # Mon 28 (3), Tue 29 (4), 17:30 EST = 2026-12-29T22:30Z
    room.ok(action("materiality_determined", "2026-12-22T15:00:00Z", "2026-12-22T15:30:00Z", "MAT-2"))
    assert one(room.clocks("2026-12-22T15:30:00Z"), "sec-8k")["due"] == "2026-12-29T22:30:00Z"


# --- the writer -------------------------------------------------------------------------------


def test_writer_refuses_at_after_the_entry(room: Room) -> None:
    room.open()
    lines = (room.path / "journal.jsonl").read_bytes()
    r = room.append(
        action("order_received", "2026-11-27T11:00:01Z", "2026-11-27T11:00:00Z", "TCO-1", "eu_tco")
    )
    assert r.exit_code == 2
    assert "data.at" in r.stderr and "nothing was written" in r.stderr
    assert (room.path / "journal.jsonl").read_bytes() == lines


def test_writer_refuses_an_unknown_regime(room: Room) -> None:
    room.open()
    lines = (room.path / "journal.jsonl").read_bytes()
    r = room.append(
        action("order_received", "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z", "TCO-1", "eu_tcoo")
    )
    assert r.exit_code == 2
    assert "data.regime" in r.stderr and "nothing was written" in r.stderr
    assert (room.path / "journal.jsonl").read_bytes() == lines


def test_raw_writes_no_procedure_items(room: Room) -> None:
    room.ok(
        {"type": "incident.opened", "incident": "INC-1", "ts": ms(T0),
         "data": {"title": "Raw", "category": "other", "severity": 2, "source": "regulator",
                  "regions": ["US"], "detected_at": T0}},
        action("order_received", "2026-11-27T09:10:00Z", "2026-11-27T09:20:00Z", "TCO-1", "eu_tco"),
        raw=True,
    )  # fmt: skip
    assert [e["type"] for e in room.journal()] == ["incident.opened", "incident.action"]
    assert {r["kind"] for r in room.clocks("2026-11-27T09:20:00Z")} <= {"ack", "update"}


# --- re-timing and the S4 acknowledgement ------------------------------------------------------


def test_csea_report_retimed_when_raised_to_s1(room: Room) -> None:
    room.open(category="csea", severity=2)
    # S2: T0 + 24 h = 2026-11-28T09:00Z
    assert one(room.clocks("2026-11-27T09:30:00Z"), "ncmec-report")["due"] == "2026-11-28T09:00:00Z"
    item = next(
        e for e in room.journal() if e["type"] == "checklist.added" and e["data"]["item"] == "ncmec-report"
    )
    before = len(room.journal())
    r = room.ok({"type": "incident.severity_set", "incident": "INC-1", "ts": ms("2026-11-27T09:40:00Z"),
                 "data": {"severity": 1}})  # fmt: skip
    # S1: T0 + 2 h = 2026-11-27T11:00Z, in the same batch as the change
    batch = room.journal()[before:]
    assert batch[0]["type"] == "incident.severity_set"
    assert [e.get("batch") for e in batch] == [[k, len(batch)] for k in range(1, len(batch) + 1)]
    retimed = [e for e in batch if e["type"] == "checklist.retimed"]
    assert [e["data"]["item"] for e in retimed] == [item["data"]["item"]]
    assert retimed[0]["data"]["due"] == "2026-11-27T11:00:00Z"
    assert retimed[0]["data"]["reason"]
    assert "re-timed ncmec-report" in r.stderr
    got = one(room.clocks("2026-11-27T09:40:00Z"), "ncmec-report")
    assert got["due"] == "2026-11-27T11:00:00Z" and got["severity"] == 1


def test_s4_acknowledgement_due_by_the_end_of_the_next_business_day(room: Room) -> None:
    # opened Fri 2026-11-27 10:00 EST (15:00Z): the next US business day is Mon 30 November;
    # its end, 1 December 00:00 EST = 2026-12-01T05:00Z
    room.open(severity=4, t0="2026-11-27T15:00:00Z")
    ack = one(room.clocks("2026-11-27T15:00:00Z"), "ack")
    assert ack["kind"] == "ack" and ack["due"] == "2026-12-01T05:00:00Z"
    # opened Wed 2026-11-25 10:00 EST: Thu 26 is Thanksgiving: Fri 27, end = 28 November
    # 00:00 EST = 05:00Z
    room.open("INC-2", severity=4, t0="2026-11-25T15:00:00Z")
    assert one(room.clocks("2026-11-25T15:00:00Z"), "ack", "INC-2")["due"] == "2026-11-28T05:00:00Z"


# --- severity floor ------------------------------------------------------------------------


def _clocks_of(room: Room, incident: str) -> tuple[int, list[Any]]:
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.incidents.views import SyncState, load_snapshot

    async def load() -> tuple[int, list[Any]]:
        async with await Store.open(room.path / "store.db") as store:
            await store.sync(FileJournal(room.path / "journal.jsonl"))
            snap = await load_snapshot(store, SyncState(journal="x"))
        row = next(r for r in snap.incidents if r.id == incident)
        return row.severity, list(row.clocks)

    return asyncio.run(load())


def test_floor_clock_is_the_tco_order_below_s1(room: Room) -> None:
    from data.procedures.clocks import floor_clock

    room.open(severity=2)
    # a DSA order (a target "without undue delay", not a legal 24 h) does not floor
    room.ok(action("order_received", "2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z", "DSA-1", "eu_dsa_art9"))
    severity, clocks = _clocks_of(room, "INC-1")
    assert floor_clock(clocks, severity) is None
    room.ok(action("order_received", "2026-11-27T10:30:00Z", "2026-11-27T10:35:00Z", "TCO-1", "eu_tco"))
    severity, clocks = _clocks_of(room, "INC-1")
    got = floor_clock(clocks, severity)
    assert severity == 2 and got is not None
    assert got.name == "tco-remove" and got.due == z("2026-11-27T11:30:00Z")
    room.ok({"type": "incident.severity_set", "incident": "INC-1", "ts": ms("2026-11-27T10:40:00Z"),
             "data": {"severity": 1}})  # fmt: skip
    severity, clocks = _clocks_of(room, "INC-1")
    assert severity == 1 and floor_clock(clocks, severity) is None
    assert any(c.name == "tco-remove" for c in clocks)  # the clock is still there


# --- more holds, re-timing back, the config ----------------------------------------------


def test_two_preservation_requests_are_two_holds_and_an_extension_moves_the_one_named(room: Room) -> None:
    room.open(category="edr")
    # LE-1 at 2026-11-27T15:00Z -> 2027-02-25T15:00Z (see above); LE-2 at 2026-12-01 10:00 EST
    # (15:00Z) -> Dec 1 + 30 = Dec 31, + 31 = Jan 31, + 28 = Feb 28, + 1 = 2027-03-01 10:00 EST = 15:00Z
    room.ok(
        action("preservation_requested", "2026-11-27T15:00:00Z", "2026-12-01T15:10:00Z", "LE-1"),
        action("preservation_requested", "2026-12-01T15:00:00Z", "2026-12-01T15:10:00Z", "LE-2"),
    )
    rows = room.clocks("2026-12-01T15:10:00Z")
    assert one(rows, "le-preserve")["due"] == "2027-02-25T15:00:00Z"
    assert one(rows, "le-preserve-2")["due"] == "2027-03-01T15:00:00Z"
    lines = (room.path / "journal.jsonl").read_bytes()
    # without a ref, which hold is meant is unknown: refused
    r = room.append(action("preservation_extended", "2027-02-01T15:00:00Z", "2027-02-01T15:05:00Z"))
    assert r.exit_code == 2 and "give the ref" in r.stderr
    assert (room.path / "journal.jsonl").read_bytes() == lines
    # LE-2 extended: 2027-03-01 10:00 EST + 90 days: Mar 1 + 30 = Mar 31, + 30 = Apr 30,
    # + 30 = 2027-05-30, 10:00 EDT = 14:00Z; LE-1 unchanged
    room.ok(action("preservation_extended", "2027-02-01T15:00:00Z", "2027-02-01T15:05:00Z", "LE-2"))
    rows = room.clocks("2027-02-01T15:05:00Z")
    assert one(rows, "le-preserve")["due"] == "2027-02-25T15:00:00Z"
    assert one(rows, "le-preserve-2")["due"] == "2027-05-30T14:00:00Z"


def test_a_released_hold_is_no_longer_open(room: Room) -> None:
    room.open(category="edr")
    room.ok(action("preservation_requested", "2026-11-27T15:00:00Z", "2026-11-27T15:10:00Z", "LE-5"))
    item = added(room, "le-preserve")[0]["data"]["item"]
    # overdue once ended and not released (2027-02-25T15:00Z)
    assert one(room.clocks("2027-02-25T15:00:01Z"), "le-preserve")["state"] == "overdue"
    room.ok({"type": "checklist.set", "incident": "INC-1", "ts": ms("2027-02-26T10:00:00Z"),
             "data": {"item": item, "state": "done"}})  # fmt: skip
    assert "le-preserve" not in names(room.clocks("2027-02-26T10:00:00Z"))


def test_lowering_the_severity_retimes_the_report_back(room: Room) -> None:
    room.open(category="csea", severity=1)
    # S1: T0 + 2 h = 2026-11-27T11:00Z; lowered to S2: T0 + 24 h = 2026-11-28T09:00Z
    assert one(room.clocks("2026-11-27T09:10:00Z"), "ncmec-report")["due"] == "2026-11-27T11:00:00Z"
    room.ok({"type": "incident.severity_set", "incident": "INC-1", "ts": ms("2026-11-27T09:20:00Z"),
             "data": {"severity": 2}})  # fmt: skip
    assert one(room.clocks("2026-11-27T09:20:00Z"), "ncmec-report")["due"] == "2026-11-28T09:00:00Z"
    # a done item is not re-timed
    item = next(
        e for e in room.journal() if e["type"] == "checklist.added" and e["data"]["item"] == "ncmec-report"
    )
    room.ok({"type": "checklist.set", "incident": "INC-1", "ts": ms("2026-11-27T09:30:00Z"),
             "data": {"item": item["data"]["item"], "state": "done"}})  # fmt: skip
    before = len(room.journal())
    room.ok({"type": "incident.severity_set", "incident": "INC-1", "ts": ms("2026-11-27T09:40:00Z"),
             "data": {"severity": 1}})  # fmt: skip
    assert [e["type"] for e in room.journal()[before:]] == ["incident.severity_set"]


def test_s4_acknowledgement_on_the_configured_calendar(room: Room) -> None:
    room.config('[obligations]\ncalendar = "UK"\n')
    # opened Thu 2026-12-24 10:00 GMT: Fri 25 Christmas, Mon 28 Boxing Day (substitute):
    # the next English business day is Tue 29; its end, 30 December 00:00 GMT = 00:00Z
    room.open(severity=4, t0="2026-12-24T10:00:00Z")
    assert one(room.clocks("2026-12-24T10:00:00Z"), "ack")["due"] == "2026-12-30T00:00:00Z"


def test_a_malformed_obligations_table_refuses_a_trigger_not_a_note(room: Room) -> None:
    room.open(category="data_security")
    room.config('[obligations]\nsec_registrant = "yes"\n')
    lines = (room.path / "journal.jsonl").read_bytes()
    r = room.append(action("materiality_determined", "2026-11-24T20:00:00Z", "2026-11-27T10:00:00Z", "MAT-1"))
    assert r.exit_code == 2
    assert (
        "obligations.sec_registrant must be true or false" in r.stderr and "nothing was written" in r.stderr
    )
    assert (room.path / "journal.jsonl").read_bytes() == lines
    room.ok({"type": "incident.note", "incident": "INC-1", "ts": ms("2026-11-27T10:00:00Z"),
             "data": {"text": "a note needs no procedure"}})  # fmt: skip
    # --raw writes what it is given
    room.ok(
        action("materiality_determined", "2026-11-24T20:00:00Z", "2026-11-27T10:01:00Z", "MAT-1"), raw=True
    )


def test_at_with_an_offset_and_malformed_at(room: Room) -> None:
    room.open()
    # 11:30+01:00 is 10:30Z: due 11:30Z
    room.ok(action("order_received", "2026-11-27T11:30:00+01:00", "2026-11-27T11:00:00Z", "TCO-1", "eu_tco"))
    got = one(room.clocks("2026-11-27T11:00:00Z"), "tco-remove")
    assert got["due"] == "2026-11-27T11:30:00Z" and got["trigger"]["at"] == "2026-11-27T10:30:00Z"
    lines = (room.path / "journal.jsonl").read_bytes()
    for bad in ("yesterday", "2026-11-27 10:00", "2026-11-27T10:00:00"):
        r = room.append(action("order_received", bad, "2026-11-27T11:00:00Z", "TCO-2", "eu_tco"))
        assert r.exit_code == 2 and "data.at" in r.stderr, bad
    assert (room.path / "journal.jsonl").read_bytes() == lines


def test_a_retiming_is_in_the_timeline_not_in_the_item_states(room: Room) -> None:
    from data.engine.journal import FileJournal
    from data.engine.store import Store
    from data.incidents.queries import checklist, checklist_history, events_of_types

    room.open(category="csea", severity=2)
    room.ok({"type": "incident.severity_set", "incident": "INC-1", "ts": ms("2026-11-27T09:40:00Z"),
             "data": {"severity": 1}})  # fmt: skip

    async def read() -> tuple[list[Any], list[Any], list[Any]]:
        async with await Store.open(room.path / "store.db") as store:
            await store.sync(FileJournal(room.path / "journal.jsonl"))
            return (await checklist(store, "INC-1"), await checklist_history(store, "INC-1"),
                    await events_of_types(store, ["checklist.retimed"]))  # fmt: skip

    items, history, retimed = asyncio.run(read())
    report = next(i for i in items if i.item == "ncmec-report")
    assert (report.due, report.state) == ("2026-11-27T11:00:00Z", "open")
    # the states it was set to (none): a re-timing is not a state
    assert [h for h in history if h.item == "ncmec-report"] == []
    assert [(e.incident, e.data["item"], e.data["due"]) for e in retimed] == [
        ("INC-1", "ncmec-report", "2026-11-27T11:00:00Z")
    ]
    assert retimed[0].data["reason"].startswith("severity 2 to 1")


def test_a_hold_outlives_its_incident(room: Room) -> None:
    room.open(category="other")
    # an order and a request recorded with the opening, in one batch: TCO at 08:30Z -> 09:30Z;
    # the request at 2026-11-27 03:00 EST (08:00Z) -> 2027-02-25 03:00 EST = 08:00Z
    room.ok(
        action("preservation_requested", "2026-11-27T08:00:00Z", "2026-11-27T09:05:00Z", "LE-1"),
        action("order_received", "2026-11-27T08:30:00Z", "2026-11-27T09:05:00Z", "T-1", "eu_tco"),
    )
    rows = room.clocks("2026-11-27T09:05:00Z")
    assert one(rows, "tco-remove")["due"] == "2026-11-27T09:30:00Z"
    assert one(rows, "le-preserve")["due"] == "2027-02-25T08:00:00Z"
    for status in ("resolved", "closed"):
        room.ok({"type": "incident.status_set", "incident": "INC-1", "ts": ms("2026-11-28T10:00:00Z"),
                 "data": {"status": status}})  # fmt: skip
    rows = room.clocks("2026-11-28T10:00:00Z")
    assert [(r["name"], r["kind"], r["due"]) for r in rows] == [
        ("le-preserve", "hold", "2027-02-25T08:00:00Z")
    ]


def test_an_edr_hold_started_with_the_incident_is_extended_by_its_item_id(room: Room) -> None:
    # an EDR's preservation starts with the incident: T0 09:00Z = 04:00 New York (EST);
    # 90 calendar days on the US calendar = 2027-02-25 04:00 EST = 09:00Z
    room.open(category="edr", regions=["US"])
    hold = one(room.clocks("2026-11-27T10:00:00Z"), "preserve-90d")
    assert (hold["kind"], hold["due"], hold["trigger"]) == ("hold", "2027-02-25T09:00:00Z", None)
    # a formal 2703(f) request as well: a second hold, by its ref
    room.ok(action("preservation_requested", "2026-11-28T09:00:00Z", "2026-11-28T09:05:00Z", "FBI-1"))
    # an extension without a ref is ambiguous now, and says how to name the T0 hold
    r = room.append(action("preservation_extended", "2027-01-10T09:00:00Z", "2027-01-10T09:00:00Z"))
    assert r.exit_code == 2 and "its item id" in r.stderr
    # named by its item id: 90 more days from 2027-02-25 04:00 New York = 2027-05-26 04:00
    # EDT (-4) = 08:00Z (the end keeps its wall-clock time across the March change)
    room.ok(action("preservation_extended", "2027-01-10T09:00:00Z", "2027-01-10T09:00:00Z", "preserve-90d"))
    assert one(room.clocks("2027-01-10T09:00:00Z"), "preserve-90d")["due"] == "2027-05-26T08:00:00Z"


def test_sop_show_lists_the_template_of_every_incident(room: Room) -> None:
    r = room.invoke(["sop", "show", "any", "--json"])
    assert r.exit_code == 0, r.stderr
    shown = json.loads(r.stdout)
    items = {i["id"]: i for i in shown["items"]}
    assert items["tco-remove"]["trigger"] == "order_received" and items["tco-remove"]["regime"] == ["eu_tco"]
    assert items["le-preserve"]["hold"] is True and items["le-preserve"]["extend"] == "90d"


def test_a_hold_of_a_restricted_incident_is_withheld_from_outsiders(room: Room) -> None:
    from app.console import clock_toast
    from data.procedures.clocks import Clock

    # a hold's text is the incident's detail, as an item's is: never shown to an outsider
    hold = Clock("INC-R", "hold", "ncmec-preserve", "Preserve report CT-1 of the victim", z(T0), z(T0))
    assert hold.detail and not Clock("INC-R", "ack", "ack", "Acknowledge", z(T0), z(T0)).detail

    class Row:
        severity = 1

        def visible_to(self, person: str) -> bool:
            return person == "insider"

    _, outsider, _ = clock_toast([(hold, "at_risk")], {"INC-R": Row()}, "outsider")
    _, insider, _ = clock_toast([(hold, "at_risk")], {"INC-R": Row()}, "insider")
    assert "CT-1" not in outsider and "a checklist item" in outsider
    assert "CT-1" in insider
    # and from clocks --json: a restricted CSEA incident's hold, seen by someone outside it
    room.open(category="csea", restricted=True)
    room.ok(action("report_filed", "2026-11-27T10:00:00Z", "2026-11-27T10:05:00Z", "CT-9", "us_ncmec"))
    # (amara opened it: she takes part)
    mine = one(room.clocks("2026-11-27T10:10:00Z"), "ncmec-preserve")
    assert mine["what"] is not None and mine["trigger"]["ref"] == "CT-9"
    clock.freeze(z("2026-11-27T10:10:00Z"))
    r = room.runner.invoke(main, ["clocks", "--json"], env={**room.env, "WARROOM_ACTOR": "zed"})
    theirs = one(json.loads(r.stdout), "ncmec-preserve")
    assert theirs["what"] is None and theirs["basis"] is None and theirs["trigger"]["ref"] is None


def test_a_hold_reminds_30_and_7_days_before_its_end_then_when_it_ends() -> None:
    from datetime import timedelta

    from data.procedures.clocks import Clock, Watch, hold_stage, next_turn

    end = z("2027-11-27T09:00:00Z")
    hold = Clock("INC-1", "hold", "ncmec-preserve", "Preserve", z(T0), end)
    watch = Watch()
    said = []
    for days_left in (40, 31, 29, 20, 8, 6, 1, 0):
        now = end - timedelta(days=days_left) + (timedelta(seconds=1) if days_left == 0 else timedelta(0))
        said.append((days_left, [s for _, s in watch.turned([hold], now)], hold_stage(hold, now)))
    assert said == [
        (40, [], None), (31, [], None), (29, ["at_risk"], "30d"), (20, [], "30d"),
        (8, [], "30d"), (6, ["at_risk"], "7d"), (1, [], "7d"), (0, ["overdue"], "ended"),
    ]  # fmt: skip
    # the console looks again at the next reminder, not every few seconds
    assert next_turn([hold], end - timedelta(days=40)) == end - timedelta(days=30)
    assert next_turn([hold], end - timedelta(days=20)) == end - timedelta(days=7)
    assert next_turn([hold], end - timedelta(days=3)) == end
