"""Exports and reports are terminal-safe (docs/security.md, "Exports and control characters").

A title holding ``ESC ] 2 ; … BEL`` renamed the terminal's window when ``warroom export
--format csv`` printed it, and OSC 52 wrote the clipboard; a saved export did the same to
whoever ``cat``-ed it later. Every command that writes journal text is run here on a
journal holding such text, on standard output and into a file (``-o``): JSON escapes every
C0 and C1 control and bidi control as ``\\uXXXX`` and still reads back exactly; CSV and
Markdown show them as visible escapes (``\\x1b``) unless ``--raw-text``; a file written
with ``-o`` is 0600, also when it replaces an existing 0644 file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.privacy.outfile import write_private
from data.privacy.text import clean, json_safe_dumps, raw_controls, visible_escape
from tests.helpers import (
    BIDI_CONTROLS,
    HOSTILE,
    HOSTILE_IDS,
    EventFactory,
    append_events,
    cli_env,
    run_cli,
    run_cli_many,
    shown_escaped,
    terminal_unsafe,
)


def hostile(name: str) -> str:
    return HOSTILE[HOSTILE_IDS.index(name)]


#: one string carrying every kind of character a terminal acts on or that makes text read
#: other than it is (OSC 2 and OSC 52, ANSI, a C1 CSI, RLO, NUL, DEL, RLM, ALM, CR LF, a lone CR)
EVIL = " | ".join(hostile(n) for n in ("osc-title", "osc-52", "ansi", "c1-csi", "rtl", "nul", "del-marks"))
EVIL += " | crlf\r\nlone\rcr"
assert len(EVIL) <= 200  # it fits a title
INC = "INC-1"


# --- the two forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b]2;pwned\x07", "\\x1b]2;pwned\\x07"),
        ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),
        ("\x9b31m", "\\x9b31m"),
        ("a\x00b\x7fc", "a\\x00b\\x7fc"),
        ("\u202eabc\u202c", "\\u202eabc\\u202c"),
        ("\u2066x\u2069 \u200e\u200f\u061c", "\\u2066x\\u2069 \\u200e\\u200f\\u061c"),
        ("line\u2028sep\ufeff", "line\\u2028sep\\ufeff"),
        ("a\tb\nc\r\nd\re", "a\\x09b\\x0ac\\x0d\\x0ad\\x0de"),
        ("مرحبا שלום 儿童 🚨 C:\\path\\x", "مرحبا שלום 儿童 🚨 C:\\path\\x"),  # text itself untouched
    ],
)
def test_visible_escape_names_each_control(text: str, shown: str) -> None:
    assert visible_escape(text) == shown
    assert not terminal_unsafe(visible_escape(text))


def test_a_csv_cell_keeps_its_line_breaks_and_tabs() -> None:
    assert visible_escape("a\tb\nc\r\nd\re\x1b", lines=True) == "a\tb\nc\r\nd\\x0de\\x1b"


def test_json_escapes_every_control_and_reads_back_exactly() -> None:
    value = {EVIL: [EVIL, {"k": EVIL}], "n": 1}
    text = json_safe_dumps(value, indent=2)
    assert not terminal_unsafe(text, allow="\n")
    for escape in (
        "\\u001b]2;pwned\\u0007",
        "\\u009b31m",
        "\\u202e",
        "\\u0000",
        "\\u007f",
        "\\u200f",
        "\\u061c",
    ):
        assert escape in text
    assert json.loads(text) == value


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x2FF),
        st.sampled_from([*sorted(BIDI_CONTROLS), "\u2028", "\u2029", "\ufeff", "ש", "🚨", "\\", "x", "u"]),
    ),
    max_size=40,
)


@given(_TEXT)
def test_any_text_json_exact_and_escaped_text_safe(text: str) -> None:
    dumped = json_safe_dumps({"t": text, text: 1})
    assert not terminal_unsafe(dumped)
    assert json.loads(dumped) == {"t": text, text: 1}
    assert visible_escape(text) == shown_escaped(text)  # the documented form, stated independently
    assert visible_escape(text, lines=True) == shown_escaped(text, keep_lines=True)
    assert not terminal_unsafe(visible_escape(text))
    assert not terminal_unsafe(visible_escape(text, lines=True), allow="\r\n\t")


def test_clean_for_an_export_escapes_or_keeps_and_stays_one_line() -> None:
    assert clean(EVIL, controls="escape", reveal=True) == shown_escaped(
        EVIL.replace("\r\n", " ⏎ ").replace("\r", " ")
    )
    kept = clean(EVIL, controls="keep", reveal=True)
    assert "\x1b]2;pwned\x07" in kept and "\x9b" in kept and "\u202e" in kept
    assert "\n" not in kept and "\r" not in kept
    # on screen, as before: each control one U+FFFD
    assert "\x1b" not in clean(EVIL) and "\ufffd]2;pwned\ufffd" in clean(EVIL)


# --- the file helper ----------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_private_creates_0600_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "new.csv"
    old = os.umask(0o022)
    try:
        write_private(target, b"data")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"data" and mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["new.csv"]  # no temporary file left


def test_write_private_over_an_existing_0644_file_leaves_0600(tmp_path: Path) -> None:
    target = tmp_path / "old.csv"
    target.write_bytes(b"old text, longer than the new one")
    target.chmod(0o644)
    reader = target.open("rb")  # opened while it was readable: it never sees the new text
    try:
        write_private(target, b"new")
        assert target.read_bytes() == b"new" and mode(target) == 0o600
        assert reader.read() == b"old text, longer than the new one"
    finally:
        reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]


def test_write_private_through_a_link_makes_its_target_0600(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_bytes(b"old")
    target.chmod(0o644)
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    write_private(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new" and mode(target) == 0o600


def test_write_private_to_a_device_writes_through(tmp_path: Path) -> None:
    before = os.stat("/dev/null").st_mode
    write_private("/dev/null", b"gone")
    assert os.stat("/dev/null").st_mode == before  # never chmod-ed


def test_write_private_failure_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(OSError):
        write_private(tmp_path / "no such folder" / "x.csv", b"data")
    target = tmp_path / "keep.csv"
    target.write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_private(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.csv"]


# --- every command that writes journal text --------------------------------------------------


@pytest.fixture(scope="module")
def war_room(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A journal whose free text is :data:`EVIL` wherever the format allows it (a title, a
    summary, a note, checklist text and note, a post-mortem section, a person's name, an
    override's reason) and one quarantined line of it; a store synced once."""
    base = tmp_path_factory.mktemp("exports")
    journal, store = base / "journal.jsonl", base / "store.db"
    e = EventFactory(actor="amara")
    events: list[dict[str, Any] | bytes] = [
        e.person("amara"),
        e.person("eli", name=EVIL),
        e.rotation(),
        e(
            "roster.override",
            {
                "rotation": "us-ic",
                "person": "eli",
                "start": "2026-11-02T08:00:00Z",
                "end": "2026-11-02T20:00:00Z",
                "reason": EVIL,
            },
        ),
        e.opened(INC, title=EVIL, summary=EVIL, severity=1),
        e.role(INC, "commander", "amara"),
        e.note(INC, EVIL),
        e.item(INC, "x", text=EVIL, due="2026-11-01T12:00:00Z"),
        e.set_item(INC, "x", "blocked", note=EVIL),
        e("postmortem.section_set", {"section": "impact", "text": EVIL + "\nsecond line " + EVIL}, INC),
        EVIL.replace("\r\n", " ").replace("\n", " ").encode("utf-8"),  # not JSON: quarantined
    ]
    append_events(journal, events)
    env = cli_env(base, journal, store, actor="amara")
    proc = run_cli(["sync"], env)
    assert proc.returncode == 0, proc.stderr
    return {"base": base, "env": env}


#: (name, arguments, format) of every command that writes journal text on standard output
COMMANDS: list[tuple[str, list[str], str]] = [
    *[(f"export {k} {f}", ["export", k, "--format", f], f)
      for k in ("incidents", "timeline", "checklist", "quarantine") for f in ("csv", "json")],
    ("report trends csv", ["report", "trends", "--since", "2026-10-26", "--until", "2026-11-08", "--format", "csv"], "csv"),
    ("report trends json", ["report", "trends", "--since", "2026-10-26", "--until", "2026-11-08"], "json"),
    ("handoff md", ["handoff", "--region", "all"], "md"),
    ("handoff json", ["handoff", "--region", "all", "--format", "json"], "json"),
    ("postmortem", ["postmortem", INC], "md"),
    ("clocks", ["clocks"], "text"),
    ("clocks json", ["clocks", "--json"], "json"),
    ("roster now", ["roster", "now", "--at", "2026-11-02T12:00:00Z"], "text"),
    ("roster now json", ["roster", "now", "--at", "2026-11-02T12:00:00Z", "--json"], "json"),
    ("roster gaps", ["roster", "gaps", "--from", "2026-11-02"], "text"),
    ("roster gaps json", ["roster", "gaps", "--from", "2026-11-02", "--json"], "json"),
]  # fmt: skip

#: what each format may hold of C0: JSON its line breaks, CSV CR LF and a cell's tab
ALLOW = {"json": "\n", "csv": "\r\n\t", "md": "\n", "text": "\n"}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_every_command_writes_no_control_to_standard_output(war_room: dict[str, Any]) -> None:
    results = run_cli_many([(args, war_room["env"]) for _, args, _ in COMMANDS])
    seen_evil = set()
    for (name, _args, fmt), proc in zip(COMMANDS, results, strict=True):
        assert proc.returncode == 0, (name, proc.stderr.decode("utf-8", "replace"))
        text = proc.stdout.decode("utf-8")
        assert not terminal_unsafe(text, allow=ALLOW[fmt]), (
            name,
            sorted(set(terminal_unsafe(text, ALLOW[fmt]))),
        )
        if fmt == "json":
            # exact: the journal's text reads back as it is (masking aside: EVIL has no identifier)
            if EVIL in _strings(json.loads(text)):
                seen_evil.add(name)
        elif "\\x1b]2;pwned\\x07" in text or "\\\\x1b\\]2;pwned\\\\x07" in text:
            seen_evil.add(name)  # shown as a visible escape (in Markdown, its backslash escaped)
    assert {"export incidents json", "export timeline json", "export checklist json", "handoff json",
            "clocks json", "roster now json"} <= seen_evil  # fmt: skip
    assert {"export incidents csv", "export timeline csv", "export checklist csv", "export quarantine csv",
            "handoff md", "postmortem", "clocks", "roster now"} <= seen_evil  # fmt: skip


def test_csv_cells_show_the_escapes_and_raw_text_keeps_the_bytes(war_room: dict[str, Any]) -> None:
    env = war_room["env"]
    plain, raw, raw_json = run_cli_many([
        (["export", "incidents", "--format", "csv"], env),
        (["export", "incidents", "--format", "csv", "--raw-text"], env),
        (["export", "incidents", "--format", "json", "--raw-text"], env),
    ])  # fmt: skip
    assert plain.returncode == 0 and raw.returncode == 0, (plain.stderr, raw.stderr)

    def title(proc: Any) -> str:
        (row,) = csv.DictReader(io.StringIO(proc.stdout.decode("utf-8"), newline=""))
        return str(row["title"])

    assert title(plain) == shown_escaped(EVIL, keep_lines=True)
    assert title(raw) == EVIL  # the bytes as the journal holds them
    assert raw_json.returncode == 2 and raw_json.stdout == b""
    assert b"--raw-text is for CSV and Markdown" in raw_json.stderr


def test_markdown_raw_text_keeps_the_bytes(war_room: dict[str, Any]) -> None:
    env = war_room["env"]
    pm, pm_raw, ho_raw, ho_json_raw = run_cli_many([
        (["postmortem", INC], env),
        (["postmortem", INC, "--raw-text"], env),
        (["handoff", "--region", "all", "--raw-text"], env),
        (["handoff", "--region", "all", "--format", "json", "--raw-text"], env),
    ])  # fmt: skip
    assert pm.returncode == 0 and pm_raw.returncode == 0 and ho_raw.returncode == 0
    assert b"\\\\x1b\\]2;pwned\\\\x07" in pm.stdout  # \x1b, its backslash escaped for Markdown
    for proc in (pm_raw, ho_raw):
        out = proc.stdout.decode("utf-8")
        assert "\x1b\\]2;pwned\x07" in out and "\x9b31m" in out and "\u202e" in out and "\x00" in out
        assert "crlf ⏎ lone cr" in out  # still one line per text
    assert ho_json_raw.returncode == 2 and ho_json_raw.stdout == b""


def test_files_written_with_o_are_0600_and_as_safe_as_standard_output(war_room: dict[str, Any]) -> None:
    """-o over an existing 0644 file leaves a 0600 file holding the same safe text; with
    --raw-text, the bytes."""
    base, env = war_room["base"], war_room["env"]
    outputs = base / "outputs"
    outputs.mkdir()
    calls: list[tuple[str, list[str], str]] = [
        ("incidents.csv", ["export", "incidents", "--format", "csv"], "csv"),
        ("timeline.json", ["export", "timeline", "--format", "json"], "json"),
        ("quarantine.csv", ["export", "quarantine", "--format", "csv"], "csv"),
        ("trends.csv", ["report", "trends", "--since", "2026-10-26", "--until", "2026-11-08", "--format", "csv"], "csv"),
        ("trends.json", ["report", "trends", "--since", "2026-10-26", "--until", "2026-11-08"], "json"),
        ("handoff.md", ["handoff", "--region", "all"], "md"),
        ("handoff.json", ["handoff", "--region", "all", "--format", "json"], "json"),
        ("postmortem.md", ["postmortem", INC], "md"),
        ("raw.csv", ["export", "checklist", "--format", "csv", "--raw-text"], "raw"),
        ("raw.md", ["postmortem", INC, "--raw-text"], "raw"),
    ]  # fmt: skip
    for name, _args, _fmt in calls:
        old = outputs / name
        old.write_bytes(b"an older export, readable by everyone\n")
        old.chmod(0o644)
    results = run_cli_many([([*args, "-o", str(outputs / name)], env) for name, args, _ in calls])
    for (name, _args, fmt), proc in zip(calls, results, strict=True):
        assert proc.returncode == 0, (name, proc.stderr.decode("utf-8", "replace"))
        assert proc.stdout == b"", name
        path = outputs / name
        assert mode(path) == 0o600, (name, oct(mode(path)))
        text = path.read_bytes().decode("utf-8")
        assert "an older export" not in text, name
        if fmt == "raw":
            assert "\x1b" in text and "\u202e" in text, name
        else:
            assert not terminal_unsafe(text.removeprefix("\ufeff"), allow=ALLOW[fmt]), name
    assert sorted(p.name for p in outputs.iterdir()) == sorted(n for n, _, _ in calls)  # no temporary left
    timeline = json.loads((outputs / "timeline.json").read_text("utf-8"))
    assert [r["data"]["text"] for r in timeline if r["type"] == "incident.note"] == [EVIL]  # exact


def test_o_reports_a_file_it_cannot_write(war_room: dict[str, Any]) -> None:
    proc = run_cli(["postmortem", INC, "-o", str(war_room["base"] / "missing" / "pm.md")], war_room["env"])
    assert proc.returncode == 1 and proc.stdout == b""
    assert proc.stderr.decode().startswith("warroom: cannot write ") and proc.stderr.count(b"\n") == 1


def test_the_markdown_helpers_inside_raw_controls_keep_and_outside_escape() -> None:
    from data.handoff.report import md

    assert md("\x1b]2;x\x07") == "\\\\x1b\\]2;x\\\\x07"
    with raw_controls():
        assert md("\x1b]2;x\x07") == "\x1b\\]2;x\x07"
    assert md("\x1b]2;x\x07") == "\\\\x1b\\]2;x\\\\x07"  # only within the block
