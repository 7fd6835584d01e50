"""The config file: one model (data/engine/config.py), read once per process, each section
refusing unknown keys and values of the wrong type or range with a message naming the
file and the key; the environment switches over it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets._toast import Toast

from data.care.wellbeing import WellbeingError, load_wellbeing, wellbeing_of
from data.config import resolve
from data.engine.config import load_config
from data.postmortem.report import PmPolicyError, load_pm_policy, pm_policy_of
from data.procedures.clocks import PolicyError, load_policy, policy_of
from tests._console_helpers import settings_for, wait_for


@pytest.fixture(autouse=True)
def _no_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WARROOM_BELL", "WARROOM_QUIET", "WARROOM_JOURNAL_GROUP"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("text", "load", "error", "message"),
    [
        # a boolean is not a severity, an infinite or NaN number of minutes is no deadline
        ("[clocks]\nupdate_severities = [1, true]\n", load_policy, PolicyError,
         "clocks.update_severities must be a list of severities 1–4, not [1, True]"),
        ("[clocks]\nupdate_every_minutes = inf\n", load_policy, PolicyError,
         "clocks.update_every_minutes must be a positive number of minutes, not inf"),
        ("[clocks]\nbell = 1\n", load_policy, PolicyError, "clocks.bell must be true or false, not 1"),
        ("[wellbeing]\nbreak_after_minutes = nan\n", load_wellbeing, WellbeingError,
         "wellbeing.break_after_minutes must be a positive number of minutes, not nan"),
        ("[wellbeing]\nkeep_days = 2.5\n", load_wellbeing, WellbeingError,
         "wellbeing.keep_days must be a whole number of days, at least 1, not 2.5"),
        ('[postmortem]\nmeeting_days = { "2" = 400 }\n', load_pm_policy, PmPolicyError,
         "postmortem.meeting_days must map severities \"1\"–\"4\" to 1–365 days, not {'2': 400}"),
        ("clocks = 3\n", load_policy, PolicyError, "[clocks] must be a table"),
    ],
)  # fmt: skip
def test_a_bad_value_names_the_file_and_the_key(
    tmp_path: Path, text: str, load: object, error: type[ValueError], message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(error) as caught:
        load(path)  # type: ignore[operator]
    assert str(caught.value) == f"{path}: {message}"


def test_each_section_stands_alone_and_a_switch_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "[clocks]\nbell = false\nupdate_every_minutes = 10\n[wellbeing]\nnap = 1\n[other]\nx = 1\n"
    )
    monkeypatch.setenv("WARROOM_BELL", "1")
    config = load_config(path)
    assert set(config.problems) == {"wellbeing"}  # a table warroom does not know is left alone
    policy = policy_of(config)
    assert policy.bell is True and policy.update_every == timedelta(minutes=10)
    with pytest.raises(WellbeingError, match=r"unknown key wellbeing\.nap"):
        wellbeing_of(config)
    assert pm_policy_of(config).days == {1: 3, 2: 5}  # absent: the defaults


def test_the_config_is_read_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[postmortem]\nmeeting_days = { "2" = 9 }\n[files]\njournal_group = true\n')
    monkeypatch.setenv("WARROOM_CONFIG", str(path))
    settings = resolve(journal=str(tmp_path / "journal.jsonl"), db=str(tmp_path / "store.db"), actor="ic")
    path.write_text("[postmortem\n")  # changed afterwards: this process keeps what it read
    assert pm_policy_of(settings.config).days[2] == 9
    assert settings.open_journal().group is True  # the journal it opens shares as configured

    from app.console import WarRoom

    app = WarRoom(settings)
    assert app.pm_policy.days[2] == 9  # the post-mortem screen asks the console, never the file


async def test_an_unreadable_file_is_reported_once_and_the_defaults_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.console import WarRoom
    from data.procedures.clocks import Policy

    path = tmp_path / "config.toml"
    path.write_text("[clocks\n")
    monkeypatch.setenv("WARROOM_CONFIG", str(path))
    app = WarRoom(settings_for(tmp_path))
    assert app.policy == Policy()
    async with app.run_test(size=(120, 35), notifications=True) as pilot:

        def toasts() -> list[str]:
            return [t.render().plain for t in app.screen.query(Toast)]  # type: ignore[attr-defined]

        await wait_for(pilot, lambda: any("Settings ignored" in t for t in toasts()), what="the toast")
        said = [t for t in toasts() if str(path) in t]
        assert len(said) == 1 and "Expected ']'" in said[0], said
