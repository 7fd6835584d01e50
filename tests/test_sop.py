"""Standard operating procedure templates (data/procedures/sop.py, data/procedures/shipped/*.toml, ``warroom sop``)."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from data.commands import build_events
from data.engine.models import CATEGORIES, REGIONS, ChecklistAdded, validate_event
from data.procedures.calendars import Due
from data.procedures.sop import (
    ANY,
    ASRP,
    OBLIGATION_FLAGS,
    SHIPPED_DIR,
    Condition,
    SopError,
    Template,
    Templates,
    default_user_dir,
    incident_t0,
    load_templates,
    parse_duration,
    trigger_events,
)
from data.procedures.sop import Trigger as SopTrigger
from data.procedures.sop import (
    checklist_events as checklist_drafts,
)

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def checklist_events(*args: Any) -> list[dict[str, Any]]:
    """The checklist's drafts as the write path takes them (``Draft.as_input``)."""
    return [d.as_input() for d in checklist_drafts(*args)]


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    d = tmp_path / "sop"
    d.mkdir()
    return d


@pytest.fixture
def shipped(tmp_path: Path) -> Templates:
    return load_templates(tmp_path / "no-user-files")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def ids(template: Template) -> list[str]:
    return [i.id for i in template.items]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line number of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def region_sets() -> list[tuple[str, ...]]:
    return [c for r in range(1, len(REGIONS) + 1) for c in itertools.combinations(REGIONS, r)]


# --- the shipped templates --------------------------------------------------------------


def test_every_category_has_a_shipped_template_that_loads(shipped: Templates) -> None:
    assert shipped.errors == []
    assert list(shipped.templates) == [*CATEGORIES, ANY]
    for category, t in shipped.templates.items():
        assert t.category == category
        assert t.version == (f"{category}@2" if category != ANY else "any@1")
        assert t.sources == (SHIPPED_DIR / f"{category}.toml",)
        assert t.shipped
        assert t.title and t.t0
        assert len(ids(t)) == len(set(ids(t))), f"{category}: duplicate ids"
        for item in t.items:
            assert 1 <= len(item.id) <= 32
            assert item.text.strip()


#: what each shipped template must keep: id -> (team, due text, condition); a template that
#: loses its items, a clock, or a condition fails here
MUST_HAVE: dict[str, dict[str, tuple[str, str, str]]] = {
    "csea": {
        "imminence-check": ("child_safety", "T0+15m", ""),
        "le-contact": ("le_response", "T0+1h", "severity 1"),
        "remove-and-block": ("child_safety", "T0+1h", ""),
        "ncmec-report": ("child_safety", "ASRP (target 24h; severity 1: 2h)", ""),
        # the 1-year hold is any.toml's ncmec-preserve, started by the report_filed it asks for
        "record-report": ("legal", "—", ""),
        "uk-nexus-report": ("child_safety", "—", "regions UK"),
        "dsa-art18": ("legal", "ASRP (target 1h)", "regions EU"),
        "au-nexus-report": ("child_safety", "—", "regions AU"),
        "withhold-notice": ("legal", "—", ""),
        # the update clock is the one cadence clock, the post-mortem meeting clock the one source
        "stakeholder-updates": ("comms", "—", "severity 1, 2"),
        "postmortem": ("child_safety", "—", ""),
    },
    "edr": {
        "verify-requester": ("le_response", "T0+30m", ""),
        "sufficiency-check": ("le_response", "T0+30m", ""),
        "good-faith-decision": ("legal", "T0+1h", ""),
        "preserve-90d": ("le_response", "hold: T0+90d US (+90d once)", ""),
        "notice-review": ("legal", "T0+30d", ""),
        "verification-failed": ("security_privacy", "—", ""),
        "postmortem": ("le_response", "—", ""),
    },
    "self_harm": {
        "assess-imminence": ("emergency_response", "T0+15m", ""),
        "wellness-check": ("emergency_response", "T0+30m", "severity 1"),
        "support-resources": ("product", "—", ""),
        "cluster-watch": ("policy", "T0+24h", ""),
        "record-outcome": ("emergency_response", "T0+72h", ""),
    },
    "violent_extremism": {
        "crisis-protocols": ("policy", "T0+30m", ""),
        "separate-content": ("policy", "T0+1h", ""),
        "damp-distribution": ("product", "T0+1h", ""),
        # each order is its own trigger item (any.toml): no T0 clock, whatever the regions
        "eu-removal-orders": ("legal", "—", ""),
        "tco-threat-to-life": ("legal", "ASRP (target 1h)", "regions EU"),
        "au-referral": ("legal", "—", "regions AU"),
        "avm-remove": ("emergency_response", "ASRP (target 1h)", "regions AU"),
        "preserve-accounts": ("le_response", "T0+1h", ""),
        "surge-staffing": ("leadership", "T0+2h", ""),
        "stakeholder-updates": ("comms", "—", "severity 1, 2"),
        "postmortem": ("emergency_response", "—", ""),
    },
    "hate_harassment": {
        "size-it": ("policy", "T0+1h", ""),
        "protect-targets": ("product", "T0+4h", ""),
        # each notice is its own trigger item (any.toml: esafety-remove, take-it-down)
        "esafety-notices": ("legal", "—", "regions AU"),
        "intimate-images": ("legal", "—", "regions US"),
        "community-comms": ("comms", "T0+24h", ""),
        "appeals-review": ("policy", "T0+72h", ""),
    },
    "data_security": {
        "scope": ("security_privacy", "T0+24h", ""),
        "gdpr-72h": ("legal", "T0+72h", "regions UK or EU"),
        "au-ndb": ("legal", "T0+30d", "regions AU"),
        # the 8-K clock is any.toml's sec-8k, started by materiality_determined
        "materiality": ("legal", "—", "config sec_registrant"),
        "nis2-24h": ("security_privacy", "T0+24h", "config nis2"),
        "nis2-72h": ("security_privacy", "T0+72h", "config nis2"),
        "access-review": ("security_privacy", "T0+7d", ""),
    },
    "regulator": {
        # removal orders and notices are trigger items (any.toml: tco-remove, esafety-remove)
        "route-removal": ("emergency_response", "—", ""),
        "tco-threat-to-life": ("legal", "ASRP (target 1h)", "regions EU"),
        "legal-hold": ("legal", "T0+24h", ""),
        "submit-and-record": ("legal", "—", ""),
    },
    "media": {
        "fact-freeze": ("legal", "T0+1h", ""),
        "holding-statement": ("comms", "T0+1h", ""),
        "exec-briefing": ("leadership", "T0+2h", ""),
        "monitoring": ("comms", "T0+48h", ""),
    },
    "other": {
        "grade": ("policy", "T0+1h", ""),
        "legal-clocks": ("legal", "T0+1h", ""),
    },
}


@pytest.mark.parametrize("category", CATEGORIES)
def test_shipped_templates_keep_their_items(shipped: Templates, category: str) -> None:
    t = shipped.templates[category]
    assert len(t.items) >= 7, f"{category} has only {len(t.items)} items"
    for item_id, (team, due, cond) in MUST_HAVE[category].items():
        item = t.item(item_id)
        assert item is not None, f"{category}: {item_id} is missing"
        described = item.when.describe() if item.when is not None else ""
        assert (item.team, item.due_text(), described) == (team, due, cond), f"{category}: {item_id}"
    # every procedure engages leadership at severity 1 and ends in a post-mortem
    lead = t.item("engage-leadership")
    assert lead is not None and lead.when == Condition(severity=frozenset({1}))
    assert t.item("postmortem") is not None


#: the obligations an instrument starts whatever the category (any.toml): id -> (team, due
#: text, condition); none is started at T0
MUST_HAVE_ANY: dict[str, tuple[str, str, str]] = {
    "tco-remove": ("emergency_response", "order_received (eu_tco)+1h", ""),
    "tco-preserve": ("legal", "hold: content_removed (eu_tco)+6mo EU", ""),
    "dsa-order-act": ("legal", "ASRP (from order_received (eu_dsa_art9); target 24h)", ""),
    "dsa-order-info": ("legal", "ASRP (from order_received (eu_dsa_art10); target 24h)", ""),
    "esafety-remove": ("emergency_response", "notice_received (au_esafety)+24h", ""),
    "take-it-down": ("legal", "notice_received (us_take_it_down)+48h", ""),
    "ncmec-preserve": ("legal", "hold: report_filed (us_ncmec)+1y US", ""),
    "le-preserve": ("le_response", "hold: preservation_requested+90d US (+90d once)", ""),
    "gdpr-notify": ("legal", "breach_aware (gdpr, uk_gdpr)+72h", ""),
    "au-ndb-assess": ("legal", "breach_aware (au_ndb)+30d AU", ""),
    "nis2-early-warning": ("security_privacy", "breach_aware (eu_nis2)+24h", "config nis2"),
    "nis2-notification": ("security_privacy", "breach_aware (eu_nis2)+72h", "config nis2"),
    "nis2-final-report": ("security_privacy", "report_filed (eu_nis2)+1mo EU", "config nis2"),
    "sec-8k": ("legal", "materiality_determined+4bd US by 17:30", "config sec_registrant"),
}


def test_the_any_template_keeps_its_trigger_items(shipped: Templates) -> None:
    t = shipped.templates[ANY]
    for item_id, (team, due, cond) in MUST_HAVE_ANY.items():
        item = t.item(item_id)
        assert item is not None, f"any: {item_id} is missing"
        described = item.when.describe() if item.when is not None else ""
        assert (item.team, item.due_text(), described) == (team, due, cond), f"any: {item_id}"
    assert all(i.trigger is not None for i in t.items), "an item of any.toml starts at T0"
    assert checklist_events(t, "INC-1", 1, ["global"], T0, (), frozenset(OBLIGATION_FLAGS)) == []


def test_every_event_of_the_any_template_validates(shipped: Templates) -> None:
    """Every item of any.toml, started by its own trigger, is accepted by the write path and
    by the reader's models."""
    t = shipped.templates[ANY]
    seen: set[str] = set()
    for item in t.items:
        assert item.trigger is not None
        regime = min(item.regimes) if item.regimes else None
        trigger = SopTrigger(item.trigger, T0, ref="R-1", regime=regime)
        drafts = trigger_events(
            [t], "INC-1", 2, ["global"], trigger, set(), set(), frozenset(OBLIGATION_FLAGS)
        )
        events = [d.as_input() for d in drafts]
        assert item.id in [e["data"]["item"] for e in events]
        built = build_events([(f"any {e['data']['item']}", e) for e in events], "sop-test")
        for ev in built:
            parsed = validate_event({**ev, "prev": None})
            assert isinstance(parsed.data, ChecklistAdded)
            assert parsed.data.template == t.version
            seen.add(parsed.data.item)
    assert seen == set(ids(t)), "an item is never started"


def test_ncmec_report_is_asrp_under_2258a(shipped: Templates) -> None:
    item = shipped.templates["csea"].item("ncmec-report")
    assert item is not None and item.asrp
    assert item.basis is not None and "2258A" in item.basis
    assert (item.due, item.due_for(1), item.due_for(2)) == (
        Due.of(timedelta(hours=24)),
        Due.of(timedelta(hours=2)),
        Due.of(timedelta(hours=24)),
    )


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_event_of_every_template_validates(shipped: Templates, category: str) -> None:
    """For every severity, every combination of regions and every set of ``[obligations]``
    switches, what a template produces is accepted by the write path (build_events) and by
    the reader's models. An item with a config condition never applies without its switch."""
    t = shipped.templates[category]
    seen: set[str] = set()
    flag_sets = [
        frozenset(c)
        for r in range(len(OBLIGATION_FLAGS) + 1)
        for c in itertools.combinations(OBLIGATION_FLAGS, r)
    ]
    for severity, regions, flags in itertools.product((1, 2, 3, 4), region_sets(), flag_sets):
        events = checklist_events(t, "INC-1", severity, regions, T0, (), flags)
        got = [e["data"]["item"] for e in events]
        assert got == [i.id for i in t.items if i.applies(severity, regions, flags)]
        if not flags:
            configured = [i.id for i in t.items if i.when is not None and i.when.config is not None]
            assert not set(got) & set(configured), "a config item applies without its switch"
        built = build_events([(f"{category} {e['data']['item']}", e) for e in events], "sop-test")
        for ev in built:
            parsed = validate_event({**ev, "prev": None})
            assert isinstance(parsed.data, ChecklistAdded)
            assert parsed.data.template == t.version
            seen.add(parsed.data.item)
    assert seen == set(ids(t)), "an item never applies"


# --- conditions -------------------------------------------------------------------------


def test_condition_semantics() -> None:
    sev = Condition(severity=frozenset({1, 2}))
    assert sev.applies(1, ["US"]) and sev.applies(2, ["US"]) and not sev.applies(3, ["US"])
    uk = Condition(regions=frozenset({"UK"}))
    assert uk.applies(4, ["UK"]) and uk.applies(4, ["US", "UK"])
    assert not uk.applies(4, ["US", "AU"])
    assert uk.applies(4, ["global"]), "global matches every regional condition"
    assert uk.applies(4, "UK"), "a bare string is one region, not its letters"
    any_of = Condition(regions=frozenset({"EU", "UK"}))
    assert any_of.applies(2, ["EU"]) and any_of.applies(2, ["UK"]) and not any_of.applies(2, ["AU"])
    both = Condition(severity=frozenset({1}), regions=frozenset({"AU"}))
    assert both.applies(1, ["AU"])
    assert not both.applies(2, ["AU"]) and not both.applies(1, ["US"])
    assert both.describe() == "severity 1; regions AU"


def test_conditional_items_follow_severity_and_regions(shipped: Templates) -> None:
    csea = shipped.templates["csea"]

    def items(severity: int, regions: list[str]) -> list[str]:
        return [e["data"]["item"] for e in checklist_events(csea, "INC-1", severity, regions, T0, ())]

    sev2_us = items(2, ["US"])
    assert "le-contact" not in sev2_us and "engage-leadership" not in sev2_us
    assert "uk-nexus-report" not in sev2_us and "au-nexus-report" not in sev2_us
    assert "stakeholder-updates" in sev2_us and "stakeholder-updates" not in items(3, ["US"])
    sev1 = items(1, ["US"])
    assert "le-contact" in sev1 and "engage-leadership" in sev1
    assert "uk-nexus-report" in items(3, ["UK"]) and "au-nexus-report" not in items(3, ["UK"])
    both = items(3, ["global"])
    assert "uk-nexus-report" in both and "au-nexus-report" in both
    gdpr = shipped.templates["data_security"]
    for regions, expected in ((["EU"], True), (["UK"], True), (["US", "AU"], False), (["global"], True)):
        got = [e["data"]["item"] for e in checklist_events(gdpr, "INC-1", 2, regions, T0, ())]
        assert ("gdpr-72h" in got) is expected, regions
    assert "eu-removal-orders" in [
        e["data"]["item"]
        for e in checklist_events(shipped.templates["violent_extremism"], "INC-1", 2, ["EU"], T0, ())
    ]


def test_changes_add_only_what_newly_applies(shipped: Templates) -> None:
    csea = shipped.templates["csea"]
    first = checklist_events(csea, "INC-1", 2, ["US"], T0, ())
    have = [e["data"]["item"] for e in first]
    # severity raised to 1: only the severity-1 items come
    raised = checklist_events(csea, "INC-1", 1, ["US"], T0, have)
    assert [e["data"]["item"] for e in raised] == ["engage-leadership", "le-contact"]
    # a region added: its item alone
    have += [e["data"]["item"] for e in raised]
    uk = checklist_events(csea, "INC-1", 1, ["US", "UK"], T0, have)
    assert [e["data"]["item"] for e in uk] == ["uk-nexus-report"]
    # severity lowered: nothing added, nothing removed (events only ever add)
    assert checklist_events(csea, "INC-1", 3, ["US", "UK"], T0, [*have, "uk-nexus-report"]) == []
    # category changed: the new template's items whose ids are not on the checklist yet
    edr = checklist_events(shipped.templates["edr"], "INC-1", 1, ["US", "UK"], T0, have)
    got = [e["data"]["item"] for e in edr]
    assert "verify-requester" in got and "postmortem" not in got and "engage-leadership" not in got
    assert all(e["data"]["template"] == "edr@2" for e in edr)


# --- due times --------------------------------------------------------------------------


def test_due_times_from_t0_in_utc(shipped: Templates) -> None:
    sydney = timezone(timedelta(hours=11))
    t0 = datetime(2026, 11, 22, 14, 0, tzinfo=sydney)  # 03:00Z
    csea = shipped.templates["csea"]
    by_id = {e["data"]["item"]: e for e in checklist_events(csea, "INC-9", 2, ["AU"], t0, ())}
    assert by_id["imminence-check"]["data"]["due"] == "2026-11-22T03:15:00Z"
    assert by_id["remove-and-block"]["data"]["due"] == "2026-11-22T04:00:00Z"
    ncmec = by_id["ncmec-report"]["data"]
    assert ncmec["due"] == "2026-11-23T03:00:00Z"  # ASRP: the internal target, 24 h
    assert ASRP in ncmec["basis"] and "2258A" in ncmec["basis"]
    assert by_id["restrict-access"]["data"]["due"] is None
    assert "basis" not in by_id["restrict-access"]["data"]
    assert by_id["postmortem"]["data"]["due"] is None  # a due only at severity 1
    sev1 = {e["data"]["item"]: e for e in checklist_events(csea, "INC-9", 1, ["AU"], t0, ())}
    assert sev1["ncmec-report"]["data"]["due"] == "2026-11-22T05:00:00Z"  # 2 h if imminent
    # no due at any severity: the post-mortem meeting clock (from resolution) is the one source
    assert sev1["postmortem"]["data"]["due"] is None
    assert sev1["stakeholder-updates"]["data"]["due"] is None  # the update clock is the cadence
    first = checklist_events(csea, "INC-9", 1, ["AU"], t0, ())[0]
    assert first == {
        "type": "checklist.added",
        "incident": "INC-9",
        "data": {
            "item": "restrict-access",
            "text": csea.items[0].text,
            "team": "child_safety",
            "due": None,
            "template": "csea@2",
        },
    }


def test_t0_and_durations() -> None:
    assert incident_t0("2026-11-22T01:00:00Z", "2026-11-22T02:00:00Z") == datetime(
        2026, 11, 22, 1, tzinfo=UTC
    )
    assert incident_t0(None, "2026-11-22T02:00:00+01:00") == datetime(2026, 11, 22, 1, tzinfo=UTC)
    t = load_templates(Path("/nonexistent")).templates["edr"]
    with pytest.raises(ValueError, match="time zone"):
        checklist_events(t, "INC-1", 1, ["US"], datetime(2026, 1, 1), ())
    ms = checklist_events(t, "INC-1", 1, ["US"], datetime(2026, 1, 1, 0, 0, 0, 250_000, tzinfo=UTC), ())
    assert ms[1]["data"]["due"] == "2026-01-01T00:30:00.250Z"
    assert parse_duration("1h30m") == Due(minutes=90)
    assert parse_duration("2w") == Due(days=14)
    for bad in ("", "0m", "1.5h", "h", "30", "1m1h", " 1h", 30, "999d"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert [parse_duration(s).text() for s in ("90m", "24h", "3d", "7d", "30d")] == [
        "1h30m",
        "24h",
        "3d",
        "7d",
        "30d",
    ]


# --- user files: extend, replace, remove ------------------------------------------------

EXTEND = """\
category = "edr"
version = 2

[[items]]
id = "uk-spoc"
text = "UK: tell the force's single point of contact."
team = "le_response"
due = "2h"
when = { regions = ["UK"] }

[[items]]
id = "verify-requester"
text = "Verify the requester out of band (team playbook 4.2)."
team = "le_response"
due = "20m"

[[items]]
id = "defer-notice"
remove = true
"""


def test_extend_appends_replaces_in_place_and_removes(shipped: Templates, user_dir: Path) -> None:
    path = write(user_dir, "edr.toml", EXTEND)
    found = load_templates(user_dir)
    assert found.errors == []
    base, t = shipped.templates["edr"], found.templates["edr"]
    assert t.version == "edr@2+local@2"
    assert t.sources == (SHIPPED_DIR / "edr.toml", path)
    assert (t.title, t.t0) == (base.title, base.t0)
    expected = [i for i in ids(base) if i != "defer-notice"] + ["uk-spoc"]
    assert ids(t) == expected
    verify = t.item("verify-requester")
    assert verify is not None and verify.due == Due(minutes=20) and "4.2" in verify.text
    assert ids(t).index("verify-requester") == ids(base).index("verify-requester")
    # the other categories are untouched
    assert found.templates["csea"] == shipped.templates["csea"]
    events = checklist_events(t, "INC-1", 2, ["UK"], T0, ())
    assert events[-1]["data"] == {
        "item": "uk-spoc",
        "text": "UK: tell the force's single point of contact.",
        "team": "le_response",
        "due": "2026-11-22T05:00:00Z",
        "template": "edr@2+local@2",
    }


def test_extend_may_retitle(user_dir: Path) -> None:
    write(user_dir, "m.toml", 'category = "media"\nversion = 5\ntitle = "Press escalation"\n')
    t = load_templates(user_dir).templates["media"]
    assert (t.title, t.version) == ("Press escalation", "media@2+local@5")
    assert len(t.items) == len(load_templates(Path("/nonexistent")).templates["media"].items)


def test_replace_uses_only_the_user_items(user_dir: Path) -> None:
    path = write(
        user_dir,
        "ours.toml",
        """\
category = "media"
version = 3
mode = "replace"
title = "Media (our playbook)"
t0 = "When the press office logs the inquiry."

[[items]]
id = "call-press-office"
text = "Call the press office."
team = "comms"
due = "10m"
""",
    )
    found = load_templates(user_dir)
    assert found.errors == []
    t = found.templates["media"]
    assert (t.version, t.title, ids(t), t.sources, t.shipped) == (
        "media:local@3",
        "Media (our playbook)",
        ["call-press-office"],
        (path,),
        False,
    )


def test_environment_names_the_user_folder(user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(user_dir, "edr.toml", EXTEND)
    monkeypatch.setenv("WARROOM_SOP_DIR", str(user_dir))
    assert default_user_dir() == user_dir
    assert load_templates().templates["edr"].version == "edr@2+local@2"
    monkeypatch.delenv("WARROOM_SOP_DIR")
    assert default_user_dir().name == "sop" and "warroom" in str(default_user_dir())


# --- malformed files --------------------------------------------------------------------


def only_error(found: Templates) -> SopError:
    assert len(found.errors) == 1, [str(e) for e in found.errors]
    return found.errors[0]


def test_toml_syntax_error_has_file_and_line(shipped: Templates, user_dir: Path) -> None:
    path = write(user_dir, "edr.toml", 'category = "edr"\nversion = 2\n\n[[items]]\nid = "x\n')
    found = load_templates(user_dir)
    err = only_error(found)
    assert (err.path, err.line) == (path, 5)
    assert "TOML syntax error" in err.reason
    assert str(err).startswith(f"{path}:5: TOML syntax error")
    assert found.templates["edr"] == shipped.templates["edr"]


def test_unknown_team_is_reported_at_its_line_and_nothing_is_half_loaded(
    shipped: Templates, user_dir: Path
) -> None:
    text = EXTEND.replace('team = "le_response"\ndue = "20m"', 'team = "lawyers"\ndue = "20m"')
    path = write(user_dir, "edr.toml", text)
    found = load_templates(user_dir)
    err = only_error(found)
    assert err.line == line_of(path, '"lawyers"')
    assert "item 'verify-requester'" in err.reason and "team" in err.reason and "'lawyers'" in err.reason
    assert "le_response" in err.reason  # says what would do
    # the good item (uk-spoc) and the removal did not apply either
    assert found.templates["edr"] == shipped.templates["edr"]


def test_duplicate_id_is_reported_at_the_second(user_dir: Path) -> None:
    text = EXTEND + '\n[[items]]\nid = "uk-spoc"\ntext = "Again."\nteam = "comms"\n'
    path = write(user_dir, "edr.toml", text)
    err = only_error(load_templates(user_dir))
    assert err.line == line_of(path, "[[items]]", 4)
    assert "duplicate id" in err.reason and f"line {line_of(path, '[[items]]', 1)}" in err.reason


def test_unknown_category_is_reported(user_dir: Path) -> None:
    path = write(user_dir, "x.toml", 'version = 1\ncategory = "spam"\n')
    found = load_templates(user_dir)
    err = only_error(found)
    assert (err.path, err.line) == (path, 2)
    assert "unknown category 'spam'" in err.reason
    assert list(found.templates) == [*CATEGORIES, ANY]


@pytest.mark.parametrize(
    ("change", "needle", "reason"),
    [
        (('due = "2h"', 'due = "2 hours"'), "2 hours", "is not a duration"),
        (('due = "2h"', "due = 120"), "due = 120", "must be a duration"),
        (('due = "2h"', 'due = "2h"\ncolour = "red"'), "colour", "unknown key"),
        (('regions = ["UK"]', 'regions = ["global"]'), "global", "global is not a condition"),
        (('regions = ["UK"]', 'regions = ["FR"]'), "FR", "unknown region 'FR'"),
        (('regions = ["UK"]', "severity = [5]"), "severity = [5]", "must be at most 4"),
        (('due = "2h"', 'due = "2h"\nasrp = 1'), "asrp = 1", "must be true or false"),
        (('id = "uk-spoc"', 'id = "UK SPOC"'), "UK SPOC", "must be 1-32 of a-z"),
        (('id = "uk-spoc"', 'id = "' + "x" * 33 + '"'), "x" * 33, "must be 1-32"),
        (('text = "UK: tell', 'text = "\\u001b[31mUK: tell'), "u001b", "printable"),
        (("remove = true", "remove = false"), "remove = false", "may only be true"),
    ],
)
def test_invalid_values_name_the_line_and_the_reason(
    shipped: Templates, user_dir: Path, change: tuple[str, str], needle: str, reason: str
) -> None:
    old, new = change
    assert old in EXTEND
    path = write(user_dir, "edr.toml", EXTEND.replace(old, new, 1))
    found = load_templates(user_dir)
    err = only_error(found)
    assert err.path == path
    assert err.line == line_of(path, needle), str(err)
    assert reason in err.reason.replace('"', ""), str(err)
    assert found.templates["edr"] == shipped.templates["edr"]


def test_more_refusals(shipped: Templates, user_dir: Path) -> None:
    cases = {
        "missing-version.toml": ('category = "edr"\n', 1, "version: required key is missing"),
        "asrp-no-target.toml": (
            'category = "csea"\nversion = 1\n[[items]]\nid = "a"\ntext = "A."\nteam = "legal"\nasrp = true\n',
            3,
            "needs `due`",
        ),
        "remove-nothing.toml": (
            'category = "self_harm"\nversion = 1\n\n[[items]]\nid = "no-such"\nremove = true\n',
            4,
            "no such item to remove",
        ),
        "replace-no-title.toml": (
            'category = "regulator"\nversion = 1\nmode = "replace"\nt0 = "x"\n',
            1,
            "title: required key is missing",
        ),
        "replace-removes.toml": (
            'category = "other"\nversion = 1\nmode = "replace"\ntitle = "t"\nt0 = "x"\n'
            '[[items]]\nid = "grade"\nremove = true\n',
            8,
            "only a user file that extends may remove",
        ),
        "missing-text.toml": (
            'category = "hate_harassment"\nversion = 1\n[[items]]\nid = "a"\nteam = "legal"\n',
            3,
            "item 'a': text: required key is missing",
        ),
        "empty-when.toml": (
            'category = "data_security"\nversion = 1\n[[items]]\nid = "a"\ntext = "A."\n'
            'team = "legal"\nwhen = {}\n',
            7,
            "give severity, regions, config or several",
        ),
    }
    for name, (text, _, _) in cases.items():
        write(user_dir, name, text)
    found = load_templates(user_dir)
    got = {e.path.name: e for e in found.errors}
    assert set(got) == set(cases)
    for name, (_, line, reason) in cases.items():
        assert got[name].line == line, str(got[name])
        assert reason in got[name].reason, str(got[name])
    # nothing of any of them applied
    assert found.templates == shipped.templates


def test_one_user_file_per_category(user_dir: Path) -> None:
    write(user_dir, "a.toml", EXTEND)
    second = write(
        user_dir, "b.toml", 'category = "edr"\nversion = 9\nmode = "replace"\ntitle = "t"\nt0 = "x"\n'
    )
    found = load_templates(user_dir)
    err = only_error(found)
    assert (err.path, err.line) == (second, 1)
    assert "already customised by a.toml" in err.reason
    assert found.templates["edr"].version == "edr@2+local@2"


def test_a_broken_shipped_file_costs_only_its_category(tmp_path: Path, user_dir: Path) -> None:
    folder = tmp_path / "shipped"
    shutil.copytree(SHIPPED_DIR, folder)
    broken = folder / "media.toml"
    broken.write_text(broken.read_text().replace('team = "legal"', 'team = "press"', 1))
    (folder / "other.toml").unlink()
    write(user_dir, "media.toml", 'category = "media"\nversion = 2\n')
    found = load_templates(user_dir, shipped_dir=folder)
    assert list(found.templates) == [c for c in (*CATEGORIES, ANY) if c not in ("media", "other")]
    reasons = sorted(str(e) for e in found.errors)
    assert len(reasons) == 3, reasons
    where = f"{broken}:{line_of(broken, 'team = ' + chr(34) + 'press')}"
    assert any(r.startswith(f"{where}: item 'fact-freeze': team") for r in reasons), reasons
    assert any("no shipped template for 'other'" in r for r in reasons)
    assert any("no shipped 'media' template to extend" in r for r in reasons)


def test_shipped_file_must_match_its_name(tmp_path: Path) -> None:
    folder = tmp_path / "shipped"
    shutil.copytree(SHIPPED_DIR, folder)
    edr = folder / "edr.toml"
    edr.write_text(edr.read_text().replace('category = "edr"', 'category = "media"'))
    found = load_templates(tmp_path / "none", shipped_dir=folder)
    err = only_error(found)
    assert err.line == line_of(edr, "category =") and "does not match the file name" in err.reason
    assert "edr" not in found.templates


# --- the command line -------------------------------------------------------------------


def run_sop(args: list[str], folder: Path) -> Any:
    import app.cli

    return CliRunner().invoke(app.cli.main, ["sop", *args], env={"WARROOM_SOP_DIR": str(folder)})


def test_cli_list(user_dir: Path) -> None:
    path = write(user_dir, "edr.toml", EXTEND)
    r = run_sop(["list"], user_dir)
    assert r.exit_code == 0, r.output
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    for category in (*CATEGORIES, ANY):
        assert any(line.startswith(category + " ") for line in lines), category
    edr = next(n for n, line in enumerate(lines) if line.startswith("edr "))
    assert "edr@2+local@2" in lines[edr] and "items" in lines[edr]
    assert f"shipped: {SHIPPED_DIR / 'edr.toml'}" in lines[edr + 1]
    assert f"user: {path}" in lines[edr + 2]
    doc = json.loads(run_sop(["list", "--json"], user_dir).stdout)
    by_cat = {t["category"]: t for t in doc["templates"]}
    assert by_cat["edr"]["sources"] == [
        {"kind": "shipped", "path": str(SHIPPED_DIR / "edr.toml")},
        {"kind": "user", "path": str(path)},
    ]
    assert doc["errors"] == [] and len(by_cat) == len(CATEGORIES) + 1
    assert by_cat[ANY]["sources"] == [{"kind": "shipped", "path": str(SHIPPED_DIR / "any.toml")}]


def test_cli_show(user_dir: Path) -> None:
    r = run_sop(["show", "csea"], user_dir)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("csea@2  Child sexual exploitation and abuse")
    assert "ncmec-report  [child_safety]  due ASRP (target 24h; severity 1: 2h)" in out
    assert "uk-nexus-report  [child_safety]  due —  when: regions UK" in out
    assert "imminence-check  [child_safety]  due T0+15m  when: always" in out
    assert "basis: 18 U.S.C. 2258A(a)" in out
    assert out.index("restrict-access") < out.index("imminence-check") < out.index("ncmec-report")
    doc = json.loads(run_sop(["show", "csea", "--json"], user_dir).stdout)
    item = next(i for i in doc["items"] if i["id"] == "ncmec-report")
    assert item["asrp"] is True and item["due"] == "24h" and item["due_by_severity"] == {"1": "2h"}
    assert next(i for i in doc["items"] if i["id"] == "uk-nexus-report")["when"] == {"regions": ["UK"]}


def test_cli_unknown_category(user_dir: Path) -> None:
    r = run_sop(["show", "spam"], user_dir)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "unknown category 'spam'" in r.stderr


def test_cli_reports_a_malformed_file_and_prints_what_loaded(user_dir: Path) -> None:
    path = write(user_dir, "edr.toml", EXTEND.replace('"le_response"', '"x"', 1))
    r = run_sop(["list"], user_dir)
    assert r.exit_code == 1
    assert r.stderr.startswith(f"warroom: {path}:{line_of(path, 'team = ')}: item 'uk-spoc': team")
    assert "edr@2 " in r.stdout and len([ln for ln in r.stdout.splitlines() if "shipped:" in ln]) == 10
    r = run_sop(["show", "edr"], user_dir)
    assert r.exit_code == 1 and r.stdout.startswith("edr@2  ") and str(path) in r.stderr
