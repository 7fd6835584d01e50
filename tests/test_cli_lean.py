"""The lean write path of the command line (docs/performance.md, "Round two: the command
line"): ``warroom append`` of a batch that needs no procedure imports neither SQLAlchemy nor
Textual, and writes exactly what the store's own path writes. No timing here: behaviour."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from app.cli import PROCEDURE_TYPES, SUBCOMMANDS, _sop_folder
from data.engine import direct
from data.engine.config import load_config
from data.engine.direct import DirectStore
from data.engine.envconfig import journal_group_of_file, read_config_file
from data.engine.journal import FileJournal
from data.engine.store import Store
from data.sample import write_journal
from tests.helpers import VENV_BIN, cli_env, read_lines, run_cli

OPENED = {
    "title": "EDR: welfare",
    "category": "edr",
    "severity": 1,
    "source": "law_enforcement",
    "regions": ["US"],
}

# runs ``warroom ARGS`` in this interpreter and writes the modules it imported to a file
PROBE = """
import atexit, sys
out = sys.argv.pop(1)
def listing():
    models = sys.modules.get("data.engine.models")
    union = ["<union-validator-built>"] if models is not None and models._KNOWN.pydantic_complete else []
    import gc
    collector = ["<gc-on>"] if gc.isenabled() else []
    open(out, "w").write("\\n".join(sorted(sys.modules) + union + collector))
atexit.register(listing)
sys.argv[0] = "warroom"
from app.cli import run
run()
"""


@pytest.fixture
def env(tmp_path: Path, tmp_journal: Path, tmp_store: Path) -> dict[str, str]:
    return cli_env(tmp_path, tmp_journal, tmp_store, actor="amara")


def imported_by(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[Any, set[str]]:
    listing = tmp_path / "modules.txt"
    proc = run_cli([str(listing), *args], env, command=[str(VENV_BIN / "python"), "-c", PROBE])
    return proc, set(listing.read_text().split()) if listing.exists() else set()


def test_append_of_a_note_imports_neither_sqlalchemy_nor_textual(
    env: dict[str, str], tmp_path: Path, tmp_journal: Path
) -> None:
    opened = ["append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPENED)]
    proc, modules = imported_by(opened, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sqlalchemy" in modules  # the procedure applies: the store's full path
    assert "data.procedures.sop" in modules

    note = ["append", "--type", "incident.note", "--incident", "INC-1", "--data", '{"text": "On it."}']
    proc, modules = imported_by(note, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""
    assert not {m for m in modules if m.split(".")[0] in ("sqlalchemy", "textual", "aiosqlite", "rich")}
    assert "asyncio" not in modules  # the write path's coroutines run without an event loop
    # nor what it does not use: no config file to parse, nothing to clean for people
    assert not {"tomllib", "data.privacy.text"} & modules
    assert not {"data.procedures.sop", "data.engine.config", "pydantic_settings"} & modules
    assert "importlib.metadata" not in modules  # no look for pydantic plugins, nor python-ulid's version
    assert "<union-validator-built>" not in modules  # only the classes of the types met are built
    assert "<gc-on>" in modules  # off while importing only
    assert json.loads(read_lines(tmp_journal)[-1])["id"] == proc.stdout.decode().strip()

    # --raw needs no procedure either, whatever the type
    raw = [
        "append",
        "--raw",
        "--type",
        "incident.opened",
        "--incident",
        "INC-2",
        "--data",
        json.dumps(OPENED),
    ]
    proc, modules = imported_by(raw, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sqlalchemy" not in modules

    # a refusal on the lean path reads as on the full path
    proc, modules = imported_by(["append", "--type", "incident.note", "--incident", "INC-9", "--data", "{}"],
                                env, tmp_path)  # fmt: skip
    assert proc.returncode == 2
    assert "sqlalchemy" not in modules
    assert b"warroom: nothing was written" in proc.stderr


def test_a_user_template_in_error_is_reported_on_the_lean_path(env: dict[str, str], tmp_path: Path) -> None:
    run_cli(["append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPENED)], env)
    folder = tmp_path / "sop"
    folder.mkdir()
    (folder / "edr.toml").write_text("not toml [")
    env = {**env, "WARROOM_SOP_DIR": str(folder)}
    proc = run_cli(
        ["append", "--type", "incident.note", "--incident", "INC-1", "--data", '{"text": "x"}'], env
    )
    assert proc.returncode == 0
    assert b"warning: SOP template not loaded" in proc.stderr


def test_the_lean_path_leaves_the_store_the_full_path_leaves(tmp_path: Path) -> None:
    import asyncio

    journal_path = tmp_path / "j.jsonl"
    write_journal(str(journal_path), 3000)
    lines = journal_path.read_bytes().splitlines(keepends=True)
    journal_path.write_bytes(b"".join(lines[:1200]))
    journal = FileJournal(journal_path)

    async def digests() -> tuple[str, str]:
        for name in ("full.db", "lean.db"):  # a current schema, caught up to line 1200 by the store
            async with await Store.open(tmp_path / name) as store:
                await store.sync(journal)
        with open(journal_path, "ab") as f:
            f.write(b"".join(lines[1200:]))
        async with await Store.open(tmp_path / "full.db") as store:
            await store.sync(journal)
            full = await store.digest()
        lean = DirectStore.open(tmp_path / "lean.db")
        assert lean is not None
        async with lean:
            await lean.sync(journal)
            assert lean._store is None  # it did the work itself
        async with await Store.open(tmp_path / "lean.db") as store:
            assert (await store.status()).line == len(lines)
            return full, await store.digest()

    full, lean = asyncio.run(digests())
    assert full == lean

    async def rewritten() -> tuple[str, str]:  # another journal at the same path: a rebuild, the store's
        write_journal(str(journal_path), 500, seed=3)
        async with await Store.open(tmp_path / "full.db") as store:
            await store.sync(journal)
            full = await store.digest()
        lean = DirectStore.open(tmp_path / "lean.db")
        assert lean is not None
        async with lean:
            await lean.sync(journal)
            assert lean._store is not None
        async with await Store.open(tmp_path / "lean.db") as store:
            return full, await store.digest()

    full, lean = asyncio.run(rewritten())
    assert full == lean


def test_direct_store_opens_only_a_current_store(tmp_path: Path) -> None:
    import asyncio
    import sqlite3

    assert DirectStore.open(tmp_path / "none.db") is None
    old = tmp_path / "old.db"
    sqlite3.connect(old).execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)").connection.commit()
    assert DirectStore.open(old) is None

    async def current() -> None:
        async with await Store.open(tmp_path / "s.db"):
            pass
        store = DirectStore.open(tmp_path / "s.db")
        assert store is not None
        await store.close()

    asyncio.run(current())


def test_direct_sql_is_the_ingestions() -> None:
    from data.engine import ingest, schema

    assert direct.SCHEMA_VERSION == schema.SCHEMA_VERSION
    assert direct.PIPELINE_MIN_BYTES == ingest.PIPELINE_MIN_BYTES
    assert direct.COLUMNS == {name: len(schema.metadata.tables[name].columns) for name in direct.COLUMNS}
    assert direct.INSERT == ingest._INSERT
    assert direct.REPLACE == ingest._REPLACE
    assert direct.LINK_REPLACE == ingest._LINK_REPLACE
    assert (direct.HANDOFF_SUBMITTED, direct.HANDOFF_ACKNOWLEDGED) == (
        ingest._HANDOFF_SUBMITTED,
        ingest._HANDOFF_ACKNOWLEDGED,
    )


def test_procedure_types_are_the_procedures_triggers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from data.procedures import sop, steps

    assert set(steps.TRIGGERS) <= PROCEDURE_TYPES
    assert steps.is_update({"type": "incident.action", "data": {"kind": "stakeholder_update"}})
    assert "incident.action" in PROCEDURE_TYPES
    assert sop.load_templates(tmp_path / "absent").errors == []  # only a user's file can be in error
    monkeypatch.delenv(sop.ENV_DIR, raising=False)
    assert _sop_folder() == sop.default_user_dir()
    monkeypatch.setenv(sop.ENV_DIR, str(tmp_path / "mine"))
    assert _sop_folder() == sop.default_user_dir()


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "[files]\njournal_group = true\n",
        "[files]\njournal_group = false\n",
        "[files]\njournal_group = 1\n",
        '[files]\njournal_group = "yes"\n',
        "[files]\njournal_group = true\nother = 1\n",
        "files = 3\n",
        "[files]\njournal_group = true\n[clocks]\nbell = 7\n",
        "[files\njournal_group = true\n",
        "[clocks]\nbell = true\n",
    ],
)
@pytest.mark.parametrize("switch", [None, "1", "0", "maybe", " "])
def test_lean_journal_group_reads_as_the_config_model(
    text: str | None, switch: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text)
    if switch is None:
        monkeypatch.delenv("WARROOM_JOURNAL_GROUP", raising=False)
    else:
        monkeypatch.setenv("WARROOM_JOURNAL_GROUP", switch)
    expected = load_config(path).files.journal_group
    assert journal_group_of_file(path) == expected
    assert journal_group_of_file(*read_config_file(path)) == expected
    assert load_config(*read_config_file(path)[:1], content=read_config_file(path)[1]) == load_config(path)


def test_lazy_sub_commands_are_the_ones_their_modules_add() -> None:
    import importlib

    from app.cli_base import main

    for module in set(SUBCOMMANDS.values()):
        importlib.import_module(module)
    modules = {name: getattr(cmd.callback, "__module__", "") for name, cmd in main.commands.items()}
    assert {name: m for name, m in modules.items() if m != "app.cli"} == SUBCOMMANDS


def test_help_lists_the_lazy_sub_commands(env: dict[str, str], tmp_path: Path) -> None:
    proc, _ = imported_by(["--help"], env, tmp_path)
    assert proc.returncode == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in proc.stdout.decode()


def test_settings_config_is_read_when_first_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from data.config import LazyConfig, resolve

    path = tmp_path / "config.toml"
    path.write_text("[obligations]\nnis2 = true\n")
    monkeypatch.setenv("WARROOM_CONFIG", str(path))
    settings = resolve(str(tmp_path / "j.jsonl"), str(tmp_path / "s.db"), "amara", False)
    assert isinstance(settings.config, LazyConfig)
    assert settings.config.obligations.nis2 is True
    assert settings.config.problem("obligations") is None
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(settings)).config.obligations.nis2 is True
    assert copy.deepcopy(settings.config).obligations.nis2 is True


# --- progress on a terminal ------------------------------------------------------------------


def run_on_pty(args: list[str], env: dict[str, str]) -> tuple[int, bytes, str]:
    """``warroom ARGS`` with stderr on a pseudo-terminal: (exit code, stdout, what the
    terminal showed, escape sequences removed)."""
    import os
    import pty
    import subprocess

    from tests.helpers import warroom_command

    master, slave = pty.openpty()
    proc = subprocess.Popen([*warroom_command(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=slave, env=env)  # fmt: skip
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    code = proc.wait(timeout=120)
    return code, out, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))


def test_rebuild_and_sync_show_a_progress_bar_on_a_terminal_only(
    env: dict[str, str], tmp_journal: Path
) -> None:
    write_journal(str(tmp_journal), 9000)  # ~2.6 MB: three spans of the reader (1 MiB each)
    code, out, shown = run_on_pty(["rebuild"], env)
    assert code == 0
    assert out.startswith(b"rebuilt the projection")  # the summary on stdout, as before
    assert "rebuilding" in shown and "100%" in shown
    assert re.search(r"\b[1-9]\d?%", shown), shown  # and the steps on the way

    lines = tmp_journal.read_bytes().splitlines(keepends=True)
    more = tmp_journal.with_name("more.jsonl")
    write_journal(str(more), 15000)  # the same generator: its first 9000 lines are these
    extra = more.read_bytes().splitlines(keepends=True)[len(lines) :]
    with open(tmp_journal, "ab") as f:
        f.write(b"".join(extra))
    code, out, shown = run_on_pty(["sync"], env)
    assert code == 0 and out.startswith(b"read 6000 lines"), out
    assert re.search(r"\b[1-9]\d?%", shown), shown
    assert "catching up" in shown and "100%" in shown

    # not a terminal: nothing on stderr, and Rich not even imported
    proc, modules = imported_by(["rebuild"], env, tmp_journal.parent)
    assert proc.returncode == 0 and proc.stderr == b""
    assert "rich" not in modules
    assert "<gc-on>" in modules  # (run() turns it off while importing; the group, back on)


def test_known_events_read_alike_class_by_class_and_through_the_union(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from data.engine import models

    path = tmp_path / "j.jsonl"
    write_journal(str(path), 1500)
    objs = [json.loads(raw) for raw in path.read_bytes().splitlines()]
    spoiled: list[dict[str, Any]] = []
    for obj in objs[:300]:  # the same, each spoiled one way or another
        spoiled.append({**obj, "data": {**obj["data"], "severity": 9}})
        spoiled.append({**obj, "actor": ""})
        spoiled.append({k: v for k, v in obj.items() if k != "incident"})
        spoiled.append({**obj, "data": {k: 1 for k in obj["data"]}})
    assert len({o["type"] for o in objs}) >= 10
    for obj in objs + spoiled:
        try:
            union: Any = models._KNOWN.validate_python(obj)
        except ValidationError:
            union = "refused"
        try:
            one: Any = models.EVENT_MODELS[obj["type"]].model_validate(obj)
        except ValidationError:
            one = "refused"
        assert one == union and type(one) is type(union), obj
    assert models._validate_known == models._KNOWN.validate_python  # a long read goes through the union


# --- the write path without an event loop (data/engine/blocking.py) ----------------------------


def _person(handle: str, eid: str) -> dict[str, Any]:
    return {"v": 1, "id": eid, "ts": "2026-11-22T03:00:00Z", "actor": "amara", "type": "roster.person",
            "data": {"handle": handle, "name": handle, "team": "legal", "region": "US", "tz": "UTC"}}  # fmt: skip


def test_a_journal_append_runs_without_an_event_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import os
    import threading

    from data.engine import blocking
    from data.engine.journal import LockTimeout

    path = tmp_path / "j.jsonl"
    assert blocking.run_blocking(FileJournal(path).append([_person("a", "a-1")])) == ["a-1"]
    assert stat_mode(path) == 0o600

    # another writer holds the lock: the append waits for it, then writes
    holder = os.open(path, os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)
    with pytest.raises(LockTimeout):  # waited (without a loop), then gave up: nothing written
        blocking.run_blocking(FileJournal(path, lock_timeout=0.05).append([_person("b", "b-1")]))
    assert len(read_lines(path)) == 1
    waiting = threading.Event()
    sleep = blocking.time.sleep

    def waits(seconds: float) -> None:
        waiting.set()
        sleep(seconds)

    monkeypatch.setattr(blocking.time, "sleep", waits)
    done: list[Any] = []
    writer = threading.Thread(target=lambda: done.append(blocking.run_blocking(
        FileJournal(path, lock_timeout=60).append([_person("c", "c-1")]))))  # fmt: skip
    writer.start()
    assert waiting.wait(60)  # it found the lock taken
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    writer.join(60)
    assert done == [["c-1"]]
    assert [json.loads(raw)["id"] for raw in read_lines(path)] == ["a-1", "c-1"]
    from data.engine.chain import verify

    assert verify(FileJournal(path)).intact


def stat_mode(path: Path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


def test_without_an_event_loop_the_store_takes_over_in_a_loop_of_its_own(tmp_path: Path) -> None:
    import asyncio

    from data.engine.blocking import loop_running, run_blocking

    journal_path = tmp_path / "j.jsonl"
    write_journal(str(journal_path), 800)
    journal = FileJournal(journal_path)

    async def stores() -> None:
        for name in ("full.db", "lean.db"):
            async with await Store.open(tmp_path / name) as store:
                await store.sync(journal)

    asyncio.run(stores())
    write_journal(str(journal_path), 300, seed=3)  # another journal at the same path: a rebuild
    lean = DirectStore.open(tmp_path / "lean.db")
    assert lean is not None and not loop_running()
    run_blocking(lean.sync(journal))
    assert lean.handed_over and lean._store is None  # the Store did it, in a loop of its own, closed since
    problems, same = run_blocking(lean.check_append(journal, [], []))
    assert (problems, same) == ([], set())
    run_blocking(lean.close())

    async def digests() -> tuple[str, str]:
        async with await Store.open(tmp_path / "full.db") as store:
            await store.sync(journal)
            full = await store.digest()
        async with await Store.open(tmp_path / "lean.db") as store:
            return full, await store.digest()

    full, mine = asyncio.run(digests())
    assert full == mine


def test_ctrl_c_without_an_event_loop_comes_as_with_asyncio_run() -> None:
    import os
    import signal

    from data.engine import blocking

    finished: list[str] = []

    async def write() -> str:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle: not taken until the end
        finished.append("written")
        return "ids"

    with pytest.raises(KeyboardInterrupt):
        blocking.run_blocking(write())
    assert finished == ["written"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    async def waiting() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        await blocking.pause(0.001)  # a wait (for the journal's lock) is stopped
        finished.append("after the wait")

    with pytest.raises(KeyboardInterrupt):
        blocking.run_blocking(waiting())
    assert finished == ["written"]


def test_the_lean_check_is_the_stores_for_every_type(tmp_path: Path) -> None:
    """What ``append`` refuses or skips on the lean path (data/engine/direct.py, run without
    an event loop) is what the store refuses or skips, for an event of every type, as it is
    and spoiled: another incident, an id the journal has for another event, the same event
    again, a batch that repeats an id."""
    import asyncio

    from data.commands import append_to, build_events
    from data.engine.blocking import run_blocking
    from data.engine.models import EVENT_MODELS, SCOPED_PREFIXES, EventError, validate_event
    from tests.test_widgets import EXAMPLES

    assert set(EXAMPLES) == set(EVENT_MODELS)
    journal = FileJournal(tmp_path / "j.jsonl")
    opening = build_events([("o", {"type": "incident.opened", "incident": "INC-1",
                                   "data": EXAMPLES["incident.opened"]})], "amara")  # fmt: skip

    async def first() -> None:
        async with await Store.open(tmp_path / "s.db") as store:
            await append_to(journal, store, opening)

    asyncio.run(first())
    written = {k: v for k, v in opening[0].items() if k != "prev"}
    batches: list[list[dict[str, Any]]] = [[written]]  # the same event again: skipped
    for n, (etype, data) in enumerate(EXAMPLES.items()):
        event: dict[str, Any] = {"v": 1, "id": f"e{n}", "ts": "2026-11-22T03:00:00Z", "actor": "amara",
                                 "type": etype, "data": data}  # fmt: skip
        if etype.startswith(SCOPED_PREFIXES):
            event["incident"] = "INC-1"
        batches += [
            [event],
            [{**event, "incident": "INC-9"}] if "incident" in event else [{**event, "actor": "ben"}],
            [{**event, "id": opening[0]["id"]}],
            [event, {**event, "data": {**data}}],
        ]
    checks: list[tuple[list[Any], list[dict[str, Any]]]] = []
    for batch in batches:
        try:
            checks.append(([validate_event({**e, "prev": None}) for e in batch], batch))
        except EventError:
            continue  # refused before any store is asked (build_events, the same on both paths)
    assert len(checks) > 3 * len(EXAMPLES)

    async def by_store() -> list[Any]:
        async with await Store.open(tmp_path / "s.db") as store:
            return [await store.check_append(journal, parsed, given) for parsed, given in checks]

    full = asyncio.run(by_store())
    lean = DirectStore.open(tmp_path / "s.db")
    assert lean is not None
    mine = [run_blocking(lean.check_append(journal, parsed, given)) for parsed, given in checks]
    assert not lean.handed_over
    run_blocking(lean.close())
    assert mine == full
    assert any(problems for problems, _ in full) and any(not problems for problems, _ in full)
    assert full[0][1] == {0}  # the same event: skipped (append_to looks at that first)


def test_pydantic_plugins_are_not_looked_for_unless_the_user_says(
    env: dict[str, str], tmp_path: Path, tmp_journal: Path
) -> None:
    # an installed pydantic plugin (an entry point of the group ``pydantic``) marks a file when loaded
    site = tmp_path / "site"
    (site / "probe_plugin-0.dist-info").mkdir(parents=True)
    (site / "probe_plugin-0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: probe-plugin\nVersion: 0\n"
    )
    (site / "probe_plugin-0.dist-info" / "entry_points.txt").write_text(
        "[pydantic]\nprobe = probe_plugin:plugin\n"
    )
    (site / "probe_plugin.py").write_text(
        "import os\n"
        "open(os.environ['PROBE_MARK'], 'a').write('loaded\\n')\n"
        "class Plugin:\n"
        "    def new_schema_validator(self, *args, **kwargs):\n"
        "        return None, None, None\n"
        "plugin = Plugin()\n"
    )
    mark = tmp_path / "mark.txt"
    env = {k: v for k, v in env.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    env.update(PYTHONPATH=str(site), PROBE_MARK=str(mark))
    note = ["append", "--type", "incident.note", "--incident", "INC-1", "--data", '{"text": "On it."}']
    opened = ["append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPENED)]
    for args in (opened, note, ["verify"]):  # the full path, the lean one, another command
        proc = run_cli(args, env)
        assert proc.returncode == 0, proc.stderr
        assert not mark.exists()
    # the user's setting stands: set, even empty, pydantic looks (and skips the plugins it names)
    proc = run_cli(note, {**env, "PYDANTIC_DISABLE_PLUGINS": ""})
    assert proc.returncode == 0, proc.stderr
    assert mark.read_text() == "loaded\n"
    proc = run_cli(note, {**env, "PYDANTIC_DISABLE_PLUGINS": "probe"})
    assert proc.returncode == 0, proc.stderr
    assert mark.read_text() == "loaded\n"  # (not again: named, skipped)
    for none in ("__all__", "1", "true"):  # the user's "none" is warroom's: not even the loader's import
        proc, modules = imported_by(note, {**env, "PYDANTIC_DISABLE_PLUGINS": none}, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "importlib.metadata" not in modules
    assert [json.loads(line)["type"] for line in read_lines(tmp_journal)[-6:]] == ["incident.note"] * 6


# runs ``warroom ARGS``; an object left for the interpreter's teardown to delete marks the file
TEARDOWN_PROBE = """
import atexit, sys
out = sys.argv.pop(1)
class Left:
    def __del__(self, open=open, out=out):  # (the builtins are gone by then)
        open(out, "a").write("torn down\\n")
left = Left()
atexit.register(lambda: open(out, "a").write("exit handlers\\n"))
sys.argv[0] = "warroom"
from app.cli import run
run()
"""


def test_append_ends_without_the_interpreters_teardown(
    env: dict[str, str], tmp_path: Path, tmp_journal: Path
) -> None:
    def ends(args: list[str]) -> tuple[Any, list[str]]:
        marks = tmp_path / "marks.txt"
        marks.unlink(missing_ok=True)
        proc = run_cli([str(marks), *args], env, command=[str(VENV_BIN / "python"), "-c", TEARDOWN_PROBE])
        return proc, marks.read_text().split("\n")[:-1] if marks.exists() else []

    opened = ["append", "--type", "incident.opened", "--incident", "INC-1", "--data", json.dumps(OPENED)]
    proc, marks = ends(opened)  # the full path (a store in a loop of its own) too
    assert (proc.returncode, marks) == (0, ["exit handlers"]), proc.stderr
    note = ["append", "--type", "incident.note", "--incident", "INC-1", "--data", '{"text": "On it."}']
    proc, marks = ends(note)
    assert (proc.returncode, marks) == (0, ["exit handlers"]), proc.stderr
    assert json.loads(read_lines(tmp_journal)[-1])["id"] == proc.stdout.decode().strip()  # flushed
    proc, marks = ends(["append", "--type", "incident.note", "--incident", "INC-9", "--data", "{}"])
    assert (proc.returncode, marks) == (2, ["exit handlers"])
    assert proc.stderr.decode().endswith("warroom: nothing was written\n")
    proc, marks = ends(["verify"])  # any other command ends as usual
    assert proc.returncode == 0 and marks == ["exit handlers", "torn down"]


def test_the_stand_in_for_pydantics_plugin_loader_gives_way_to_the_real_one(monkeypatch: Any) -> None:
    """A pydantic that asks its loader for more than ``get_plugins`` gets the real module."""
    import importlib

    from app import cli

    monkeypatch.delitem(sys.modules, "pydantic.plugin._loader", raising=False)
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    cli._no_pydantic_plugins()
    stand_in = sys.modules["pydantic.plugin._loader"]
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    assert tuple(stand_in.get_plugins()) == ()
    from pydantic.plugin._loader import _loading_plugins  # a name only the real loader has

    assert _loading_plugins is False
    real = sys.modules["pydantic.plugin._loader"]
    assert real is not stand_in and real is importlib.import_module("pydantic.plugin._loader")
    with pytest.raises(AttributeError):
        stand_in.no_such_name  # noqa: B018
