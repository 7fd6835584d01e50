"""Observer consoles (``--observer``, ``WARROOM_OBSERVER=1``, ``warroom serve``): read-only.
Every writing key is hidden on every screen, no dialog opens, ``act()`` refuses, the status
bar says so, and every command that writes to the journal refuses and writes nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.screen import ModalScreen

from app.cli import main as cli_main
from app.console import WarRoom
from data.config import resolve
from screens.observer import STATUS, WRITING_ACTIONS
from tests._console_helpers import (
    SIZE,
    journal_lines,
    opened,
    queue_ids,
    scoped,
    screen_text,
    seed,
    settings_for,
    settle,
    wait_for,
)

#: every writing key of the war room and the incident screen (screens/actions.py, main.py)
INCIDENT_KEYS = ("o", "s", "x", "r", "u", "a", "k", "i", "d", "b", "p", "enter")
HANDOFF_KEYS = ("t", "e", "n", "p", "s", "a")
POSTMORTEM_KEYS = ("e", "a", "t", "p", "x", "m", "enter")


def observer_settings(tmp_path: Path) -> Any:
    return dataclasses.replace(settings_for(tmp_path, actor="boss"), observer=True)


def journal() -> list[dict[str, Any]]:
    return [
        opened("INC-A", title="EDR welfare concern"),
        scoped("incident.role_set", "INC-A", role="commander", person="boss"),
        scoped("checklist.added", "INC-A", item="verify", text="Verify out of band", team="legal"),
        scoped("postmortem.action_added", "INC-A", action="a1", kind="prevent", text="Fix it", owner="boss"),
        {"type": "handoff.submitted", "data": {"handoff": "HO-1", "from": "ana", "to": "boss", "notes": ""}},
    ]


async def _press_all(pilot: Any, app: WarRoom, keys: tuple[str, ...], screen: Any, before: int) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)  # what the key started (a dialog, a write) has happened
        assert not isinstance(app.screen, ModalScreen), f"{key!r} opened {app.screen!r} on an observer"
        assert app.screen is screen, f"{key!r} left {screen!r} for {app.screen!r}"
        for binding in screen.active_bindings.values():
            if binding.binding.action in WRITING_ACTIONS:
                assert not binding.enabled, f"{binding.binding.key!r} is enabled on an observer"


async def test_observer_console_refuses_every_action(tmp_path: Path) -> None:
    from screens.handoff import HandoffScreen
    from screens.incident import IncidentScreen
    from screens.postmortem import PostmortemScreen

    settings = observer_settings(tmp_path)
    await seed(settings, journal())
    before = len(journal_lines(settings.journal))
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None and queue_ids(app) == ["INC-A"])
        main = app.screen
        await wait_for(pilot, lambda: main.selected == "INC-A" and main._detail_seq[0] == "INC-A")
        await settle(pilot)  # the footer shows what applies once its timer has fired
        assert STATUS in screen_text(app)
        footer = screen_text(app).splitlines()[-1]
        assert "OBSERVER: read-only" in footer, footer
        for word in ("Open", "Severity", "Status", "Note", "Item", "Done"):
            assert word not in footer, f"{word} in the observer's footer: {footer!r}"
        commands = {c.title for c in app.get_system_commands(main)}
        assert not any(t.startswith(("Incident: Set", "Incident: Add", "Incident: Open new", "Incident: Assign",
                                     "Incident: Record", "Checklist:", "Post-mortem: Edit", "Post-mortem: Add"))
                       for t in commands), commands  # fmt: skip
        assert "Incident: Show details" in commands  # reading stays
        await _press_all(pilot, app, tuple(k for k in INCIDENT_KEYS if k != "enter"), main, before)
        # the checklist's Enter (a direct call, not a binding) says why and opens nothing
        app.told.clear()
        main.action_item_state()
        await pilot.pause()
        assert not isinstance(app.screen, ModalScreen)
        assert any("read-only" in n.message for n in app.told)
        # the incident screen
        app.push_screen(IncidentScreen("INC-A"))
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen) and app.screen.row is not None)
        await settle(pilot)
        assert STATUS in screen_text(app)
        await _press_all(pilot, app, INCIDENT_KEYS[1:-1], app.screen, before)
        app.pop_screen()
        # the post-mortem
        app.push_screen(PostmortemScreen("INC-A"))
        await wait_for(pilot, lambda: isinstance(app.screen, PostmortemScreen) and app.screen.pm is not None)
        await settle(pilot)
        await _press_all(pilot, app, POSTMORTEM_KEYS, app.screen, before)
        app.pop_screen()
        # the handoff (its banner is for boss, who would read it back)
        app.push_screen(HandoffScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, HandoffScreen) and app.screen.report is not None,
                       timeout=20)  # fmt: skip
        await settle(pilot)
        await _press_all(pilot, app, HANDOFF_KEYS, app.screen, before)
        app.pop_screen()
        # act() is the safety net
        error = await app.act([scoped("incident.note", "INC-A", text="from an observer")])
        assert error is not None and "read-only" in error
        # a dialog pushed by code is refused too
        from screens import dialogs

        dialogs.open_dialog(app, dialogs.NoteDialog("INC-A"))
        await pilot.pause()
        assert not isinstance(app.screen, ModalScreen)
    assert len(journal_lines(settings.journal)) == before


async def test_a_console_that_is_not_an_observer_still_writes(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, actor="boss")
    await seed(settings, journal())
    app = WarRoom(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.sync_state.synced_at is not None)
        assert STATUS not in screen_text(app)
        assert await app.act([scoped("incident.note", "INC-A", text="written")]) is None


def test_observer_resolves_flag_over_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    j = str(tmp_path / "j.jsonl")
    monkeypatch.delenv("WARROOM_OBSERVER", raising=False)
    assert resolve(j, actor="a").observer is False
    monkeypatch.setenv("WARROOM_OBSERVER", "1")
    assert resolve(j, actor="a").observer is True
    assert resolve(j, actor="a", observer=False).observer is False  # --no-observer wins
    monkeypatch.setenv("WARROOM_OBSERVER", "0")
    assert resolve(j, actor="a").observer is False
    assert resolve(j, actor="a", observer=True).observer is True


@pytest.mark.parametrize(
    ("value", "observer"),
    [("1", True), ("true", True), (" YES ", True), ("on", True), ("y", True), ("2", True), ("enabled", True),
     ("observer", True), ("0", False), ("false", False), ("No", False), (" off ", False), ("n", False),
     ("", False), ("  ", False)],
)  # fmt: skip
def test_the_observer_switch_fails_closed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, observer: bool
) -> None:
    """Any value but a clear false (or nothing) is an observer."""
    monkeypatch.setenv("WARROOM_OBSERVER", value)
    assert resolve(str(tmp_path / "j.jsonl"), actor="a").observer is observer


def test_other_switches_stay_off_unless_clearly_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """WARROOM_BELL, WARROOM_QUIET, WARROOM_JOURNAL_GROUP: off is their safe side."""
    from data.engine.config import env_flag

    for value, expected in (("1", True), ("y", True), ("ON", True), ("n", False), ("0", False),
                            ("enabled", False), ("2", False), ("", None)):  # fmt: skip
        monkeypatch.setenv("WARROOM_BELL", value)
        assert env_flag("WARROOM_BELL") is expected, value


@pytest.mark.parametrize("value", ["\udcff", "1\x1b[0m", "0\x07"])
def test_an_unreadable_observer_switch_refuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    from data.engine.config import ConfigError

    monkeypatch.setenv("WARROOM_OBSERVER", value)
    with pytest.raises(ConfigError, match="WARROOM_OBSERVER cannot be read"):
        resolve(str(tmp_path / "j.jsonl"), actor="a")
    # on the command line: one line, exit code 2, nothing written
    settings = settings_for(tmp_path, actor="boss")
    result = CliRunner().invoke(
        cli_main, ["--journal", str(settings.journal), "--db", str(settings.db), "--actor", "boss",
                   "append", "--type", "incident.opened", "--incident", "INC-Z", "--data", "{}"],
    )  # fmt: skip
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "WARROOM_OBSERVER cannot be read" in lines[0], (
        result.output
    )
    assert not settings.journal.exists()
    copy = CliRunner().invoke(
        cli_main, ["journal", "copy", str(settings.journal), str(tmp_path / "copy.jsonl")]
    )
    assert copy.exit_code == 2 and "WARROOM_OBSERVER cannot be read" in copy.output, copy.output
    assert not (tmp_path / "copy.jsonl").exists()


@pytest.mark.parametrize("how", ["flag", "env", "env-y", "env-2", "env-enabled"])
def test_commands_that_write_refuse_on_an_observer(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path, actor="boss")
    asyncio.run(seed(settings, journal()))
    before = settings.journal.read_bytes()
    base = ["--journal", str(settings.journal), "--db", str(settings.db), "--actor", "boss"]
    if how == "flag":
        base.insert(0, "--observer")
    else:
        monkeypatch.setenv(
            "WARROOM_OBSERVER", {"env": "1", "env-y": "y", "env-2": "2", "env-enabled": "enabled"}[how]
        )
    copy = tmp_path / "copy.jsonl"
    roster = tmp_path / "roster.toml"
    roster.write_text(
        '[[people]]\nhandle = "ana"\nname = "Ana"\nteam = "legal"\nregion = "UK"\ntz = "Europe/London"\n'
    )
    runner = CliRunner()
    for args, stdin in (
        (["append", "--type", "incident.note", "--incident", "INC-A", "--data", '{"text": "x"}'], None),
        (["append"], '{"type": "incident.note", "incident": "INC-A", "data": {"text": "x"}}\n'),
        (["roster", "import", str(roster)], None),
        (["journal", "copy", str(settings.journal), str(copy)], None),
    ):
        result = runner.invoke(cli_main, [*base, *args], input=stdin)
        assert result.exit_code != 0, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "observer" in lines[0] and "nothing was written" in lines[0], result.output
    assert settings.journal.read_bytes() == before
    assert not copy.exists()
    # reading still works
    result = runner.invoke(cli_main, [*base, "export", "incidents", "--format", "json"])
    assert result.exit_code == 0 and "INC-A" in result.output


def test_observer_demo_keeps_its_simulated_colleagues(tmp_path: Path) -> None:
    """The demo's seed and simulator are other consoles: they write on an observer demo."""
    app = WarRoom(observer_settings(tmp_path), demo=True, simulate=False)

    async def run() -> int:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: len(queue_ids(app)) > 0, timeout=30, what="the seeded demo")
            assert STATUS in screen_text(app)
            return len(journal_lines(app.settings.journal))

    assert asyncio.run(run()) > 0
