"""The ways in (docs/intake.md): ``warroom intake`` (JSON lines on stdin), the watched folder
(``intake watch``: .json and .eml files, done/ and refused/), and the HTTP endpoint (``intake
serve``), each driven through the real command line; hostile payloads kept byte-exact and
printed literally. Tests wait for conditions (a port file, a file moved), never for a time."""

from __future__ import annotations

import http.client
import json
import os
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from data.engine import schema as S
from data.engine.config import load_config
from data.engine.journal import FileJournal
from data.engine.models import SIGNAL_CHANNELS, SIGNAL_RAW_MAX
from data.engine.store import Store
from data.intake.signals import load_payload
from data.intake.ways import from_email, html_text
from data.trends.report import SignalFacts, Stat, TrendInput, compute, rows, to_json
from screens.trends import render_signals
from tests.helpers import cli_env, run_cli, shown_escaped, terminal_unsafe, warroom_command

TOKEN = "s3cret-token-for-tests-0123456789"
HOSTILE_TITLE = "[bold]PWNED[/] [link=https://evil.example]x[/link] \x1b[2J \x1b]52;c;cm0gLXJmIH4=\x07 end"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = cli_env(tmp_path, tmp_path / "journal.jsonl", tmp_path / "store.db")
    config = tmp_path / "config.toml"
    config.write_text(f'[intake]\ntoken = "{TOKEN}"\n')
    e["WARROOM_CONFIG"] = str(config)
    return e


def line(**members: Any) -> bytes:
    return json.dumps(members).encode()


async def _signals(tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Every signal in the journal (a fresh store), with its payload as loaded."""
    journal = tmp_path / "journal.jsonl"
    if not journal.exists():
        return {}
    async with await Store.open(tmp_path / "check.db") as store:
        await store.sync(FileJournal(journal))
        c = S.signals.c
        rows: list[Any] = await store.read_tuples(
            select(c.signal, c.channel, c.ref, c.title, c.body, c.reporter, c.repeat_of, c.attachments,
                   c.received_at, c.raw_type)
        )  # fmt: skip
        out = {}
        for sid, channel, ref, title, body, reporter, repeat_of, attachments, received_at, raw_type in rows:
            payload = await load_payload(store, sid)
            assert payload.problem is None
            out[sid] = {
                "channel": channel, "ref": ref, "title": title, "body": body, "reporter": reporter,
                "repeat_of": repeat_of, "attachments": json.loads(attachments), "received_at": received_at,
                "raw_type": raw_type, "payload": payload.data,
            }  # fmt: skip
        return out


def wait_for(condition: Callable[[], Any], what: str, deadline: float = 30.0) -> Any:
    """Poll ``condition`` until it is true (its value) or the deadline passes (a failure)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


# --- standard input -------------------------------------------------------------------------


async def test_stdin_records_each_line_and_says_what_repeats(tmp_path: Path, env: dict[str, str]) -> None:
    first = line(channel="le_portal", title="Imminent threat", ref="LE-77", reporter="Det. Smith",
                 received_at="2026-11-22T03:00:00Z", accounts=["@someone"], urls=["https://x.example/p"])  # fmt: skip
    second = line(channel="le_portal", title="Imminent threat (resent)", ref="LE-77")
    r = run_cli(["intake"], env, first + b"\r\n\n" + second + b"\n")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert len(out) == 2
    sid1, sid2 = out[0].split()[0], out[1].split()[0]
    assert out[1].startswith(f"{sid2} (repeat of {sid1})")
    signals = await _signals(tmp_path)
    assert signals[sid1]["payload"] == first and signals[sid2]["payload"] == second  # the line's own bytes
    assert signals[sid1]["raw_type"] == "application/json" and signals[sid1]["reporter"] == "Det. Smith"
    assert signals[sid2]["repeat_of"] == sid1 and signals[sid1]["received_at"] == "2026-11-22T03:00:00Z"
    # --json; and a third time, still a repeat of the first
    r = run_cli(["intake", "--json"], env, second)
    assert r.returncode == 0, r.stderr
    [got] = json.loads(r.stdout)
    assert got["where"] == "line 1" and got["repeat_of"] == sid1 and got["signal"].startswith("SIG-")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b'{"channel": "press", "title": "x", "tittle": "y"}', "line 2: unknown member 'tittle'"),
        (b'{"channel": "fax", "title": "x"}', "line 2: channel: 'fax' is not one of le_portal"),
        (b'{"channel": "press"}', "line 2: title: required"),
        (b'{"channel": "press", "title": "x", "received_at": "yesterday"}', "line 2: received_at: "),
        (b'{"channel": "press", "title": "x", "accounts": "@a"}', "line 2: accounts: must be a list of strings"),
        (b'{"channel": "press", "title": "   "}', "line 2: title: cannot be blank"),
        (b'{"channel": "press", "title": "x"', "line 2: not valid JSON"),
        (b"[1, 2]", "line 2: not a JSON object"),
        (b'{"channel": "press", "title": "\xff"}', "line 2: not valid JSON"),
    ],
)  # fmt: skip
def test_a_bad_line_is_named_and_nothing_is_written(
    tmp_path: Path, env: dict[str, str], bad: bytes, message: str
) -> None:
    good = line(channel="press", title="Journalist asks")
    r = run_cli(["intake"], env, good + b"\n" + bad + b"\n" + good + b"\n")
    assert r.returncode == 2
    err = r.stderr.decode()
    assert message in err and err.rstrip().endswith("warroom: nothing was written"), err
    assert r.stdout == b""
    assert (
        not (tmp_path / "journal.jsonl").exists()
        or b"signal.received" not in (tmp_path / "journal.jsonl").read_bytes()
    )


def test_every_bad_line_is_said_at_once(env: dict[str, str]) -> None:
    lines = [line(channel="fax", title="a"), line(channel="press", title="b", received_at="soon"),
             line(channel="press", title="c")]  # fmt: skip
    r = run_cli(["intake"], env, b"\n".join(lines))
    err = r.stderr.decode()
    assert (
        r.returncode == 2
        and "line 1: channel" in err
        and "line 2: received_at" in err
        and "line 3" not in err
    )


def test_an_observer_records_nothing(tmp_path: Path, env: dict[str, str]) -> None:
    for args in (["--observer", "intake"], ["--observer", "intake", "watch", str(tmp_path), "--once"],
                 ["--observer", "intake", "serve", "--port", "0"]):  # fmt: skip
        r = run_cli(args, env, line(channel="press", title="x"))
        assert r.returncode == 2 and b"observer console" in r.stderr, (args, r.stderr)
    assert not (tmp_path / "journal.jsonl").exists()


def test_no_signal_on_stdin_is_a_usage_error(env: dict[str, str]) -> None:
    r = run_cli(["intake"], env, b"\n \n")
    assert r.returncode == 2 and b"no signals on standard input; nothing was written" in r.stderr


async def test_hostile_lines_are_kept_byte_exact_and_printed_literally(
    tmp_path: Path, env: dict[str, str]
) -> None:
    hostile = line(channel="webhook", title=HOSTILE_TITLE, body="\x1b]52;c;ZXZpbA==\x07 " + "b" * 1_000_000)
    assert len(hostile) > 1_000_000
    r = run_cli(["intake"], env, hostile + b"\n")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert terminal_unsafe(out, allow="\n") == [] and terminal_unsafe(r.stderr.decode(), allow="\n") == []
    assert shown_escaped("[bold]PWNED[/] [link=https://evil.example]x[/link] \x1b[2J") in out
    [signal] = (await _signals(tmp_path)).values()
    assert signal["payload"] == hostile and signal["title"] == HOSTILE_TITLE


def test_a_line_over_the_limit_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    big = line(channel="webhook", title="t", body="x" * SIGNAL_RAW_MAX)
    r = run_cli(["intake"], env, big)
    assert r.returncode == 2 and b"over the 4194304-byte limit" in r.stderr
    assert not (tmp_path / "journal.jsonl").exists()


# --- the watched folder ------------------------------------------------------------------------

EML = (
    b'From: "Det. Smith" <smith@police.example>\r\n'
    b"Subject: =?utf-8?q?Preservation_request_=E2=9C=93?=\r\n"
    b"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
    b"Message-ID: <req-1@police.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    b'--B\r\nContent-Type: multipart/alternative; boundary="A"\r\n\r\n'
    b"--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML <b>only</b></p>\r\n"
    b"--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease preserve account 4411.\r\n"
    b"--A--\r\n"
    b"--B\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename="order.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n"
)
#: broken MIME: a boundary that never comes, invalid UTF-8 in a header and the body, no Date
BROKEN = (
    b"Subject: [bold]broken\xff\xfe \x1b[2J\r\nFrom: \xc3\r\n"
    b'Content-Type: multipart/mixed; boundary="never"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"garbage =ZZ \xff\xfe\x1b]52;c;ZXZpbA==\x07 no boundary"
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


async def test_a_folder_once_records_json_and_email_and_refuses_the_rest(
    tmp_path: Path, env: dict[str, str]
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    good_json = line(channel="ncmec", title="CyberTipline feedback", ref="CT-1")
    (drop / "a.json").write_bytes(good_json)
    (drop / "b.eml").write_bytes(EML)
    (drop / "c.eml").write_bytes(BROKEN)
    (drop / "d.json").write_bytes(b'{"title": "no channel here", "channel": "fax"}')
    (drop / "e.txt").write_bytes(b"hello")
    (drop / "h.eml").write_bytes(b"x" * (SIGNAL_RAW_MAX + 1))
    (drop / ".hidden.json").write_bytes(good_json)  # being written: not taken
    (drop / "f.json.tmp").write_bytes(good_json)
    (drop / "g.json").symlink_to(drop / "a.json")
    r = run_cli(["intake", "watch", str(drop), "--once", "--channel", "le_email"], env)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert terminal_unsafe(out, allow="\n") == [], out
    done, refused = drop / "done", drop / "refused"
    assert sorted(p.name for p in done.iterdir()) == ["a.json", "b.eml", "c.eml"]
    assert sorted(p.name for p in refused.iterdir()) == [
        "d.json", "d.json.reason.txt", "e.txt", "e.txt.reason.txt", "g.json", "g.json.reason.txt",
        "h.eml", "h.eml.reason.txt",
    ]  # fmt: skip
    assert "'fax' is not one of" in (refused / "d.json.reason.txt").read_text()
    assert "only .json and .eml files are read" in (refused / "e.txt.reason.txt").read_text()
    assert "not a regular file" in (refused / "g.json.reason.txt").read_text()
    assert "over the 4194304-byte limit" in (refused / "h.eml.reason.txt").read_text()
    assert {p.name for p in drop.iterdir()} == {"done", "refused", ".hidden.json", "f.json.tmp"}
    assert _mode(done) == _mode(refused) == 0o700
    assert all(_mode(p) == 0o600 for p in [*done.iterdir(), *refused.iterdir()] if not p.is_symlink())
    signals = {s["payload"]: s for s in (await _signals(tmp_path)).values()}
    assert set(signals) == {good_json, EML, BROKEN}  # byte-exact, however broken
    j, e, b = signals[good_json], signals[EML], signals[BROKEN]
    assert j["channel"] == "ncmec" and j["raw_type"] == "application/json"
    assert e == {**e, "channel": "le_email", "title": "Preservation request ✓", "reporter": '"Det. Smith" <smith@police.example>',
                 "body": "Please preserve account 4411.", "received_at": "2026-11-23T09:00:00.000Z",
                 "ref": "<req-1@police.example>", "raw_type": "message/rfc822",
                 "attachments": [{"name": "order.pdf", "type": "application/pdf", "size": 9}]}  # fmt: skip
    assert b["title"].startswith("[bold]broken") and b["ref"] is None and "garbage" in b["body"]
    # the same e-mail dropped again is a repeat of the first (its Message-ID is the reference)
    (drop / "b.eml").write_bytes(EML)
    r = run_cli(["intake", "watch", str(drop), "--once", "--json", "--channel", "le_email"], env)
    [taken] = [json.loads(x) for x in r.stdout.splitlines()]
    assert taken["file"] == "b.eml" and taken["repeat_of"] is not None
    assert taken["moved_to"] == str(done / "b.1.eml") and (done / "b.1.eml").read_bytes() == EML


def test_an_html_only_email_gives_its_text() -> None:
    msg = (b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><style>p{}</style><script>alert(1)</script><p>Hello &amp; <b>bye</b></p></html>")  # fmt: skip
    assert from_email(msg, channel="email").body == "Hello & bye"
    assert html_text("<div>a</div><div>b</div>") == "a\n\nb"


def test_an_email_without_subject_or_date_still_is_a_signal() -> None:
    got = from_email(b"\xff\xfe\x00 just bytes\r\n", channel="email")
    assert got.title == "(no subject)" and got.payload == b"\xff\xfe\x00 just bytes\r\n"
    fallback = datetime(2026, 11, 5, 8, 0, tzinfo=UTC)
    for date in (b"Fri, 1 Jan 9999 00:00:00 +0000", b"yesterday", b"Thu, 1 Jan 1960 00:00:00 -0000"):
        got = from_email(
            b"Subject: s\r\nDate: " + date + b"\r\n\r\nbody", channel="email", fallback_at=fallback
        )
        assert got.received_at == "2026-11-05T08:00:00.000Z", (date, got)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        p.terminate()
        p.wait(timeout=30)


def _start(
    args: list[str], env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    p = subprocess.Popen([*warroom_command(), *args], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    processes.append(p)
    return p


async def test_the_watcher_takes_a_file_once_it_is_whole(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    config = Path(env["WARROOM_CONFIG"])
    config.write_text(f'[intake]\nfolder = "{drop}"\nemail_channel = "le_email"\n')
    p = _start(["intake", "watch", "--interval", "0.05"], env, processes)
    wait_for(lambda: (drop / "done").is_dir(), "the watcher to start")
    (drop / "x.eml.tmp").write_bytes(EML[:100])  # still being written: never read half-way
    (drop / ".y.json").write_bytes(b'{"channel": "press", "ti')
    (drop / "x.eml.tmp").write_bytes(EML)
    os.replace(drop / "x.eml.tmp", drop / "x.eml")
    wait_for(lambda: (drop / "done" / "x.eml").exists(), "the e-mail to be recorded")
    assert (drop / ".y.json").exists() and not (drop / "refused" / ".y.json").exists()
    p.terminate()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert b"x.eml: SIG-" in out and b"stopped watching" in err
    [signal] = (await _signals(tmp_path)).values()
    assert signal["payload"] == EML and signal["channel"] == "le_email"


def test_the_watcher_needs_a_folder(env: dict[str, str]) -> None:
    r = run_cli(["intake", "watch", "--once"], env)
    assert r.returncode == 2 and b"give FOLDER, or set [intake] folder" in r.stderr
    r = run_cli(["intake", "--journal", "other.jsonl", "watch", "--once"], env)  # not silently ignored
    assert r.returncode == 2 and b"give --journal after `intake watch`" in r.stderr


# --- HTTP --------------------------------------------------------------------------------------


def _post(port: int, body: bytes, token: str | None = TOKEN, *, method: str = "POST", path: str = "/signals",
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        h = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if headers and "Content-Length" in headers:
            conn.putrequest(method, path)
            for k, v in h.items():
                conn.putheader(k, v)
            conn.endheaders()
        else:
            conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


async def test_the_endpoint_records_with_the_token_and_refuses_the_rest(
    tmp_path: Path, env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    port_file = tmp_path / "port"
    p = _start(["intake", "serve", "--port", "0", "--port-file", str(port_file)], env, processes)
    port = int(wait_for(lambda: port_file.exists() and port_file.read_text().strip(), "the port file"))
    assert _mode(port_file) == 0o600
    good = line(channel="partner", title=HOSTILE_TITLE, ref="GIFCT-9", body="\x1b[2J" * 10)
    status, answer = _post(port, good)
    assert status == 201 and answer["repeat_of"] is None, answer
    first = answer["signal"]
    status, answer = _post(port, good)
    assert status == 201 and answer["repeat_of"] == first
    refusals = [
        (_post(port, good, token=None), 401),
        (_post(port, good, token="wrong"), 401),
        (_post(port, good, token=TOKEN + "x"), 401),
        (_post(port, good, token="é" * len(TOKEN)), 401),
        (_post(port, good, token=None, headers={"Authorization": f"Basic {TOKEN}"}), 401),
        (_post(port, b'{"channel": "partner", "title": '), 400),
        (_post(port, line(channel="partner", title="x", extra=1)), 400),
        (_post(port, line(channel="partner", title="x", received_at="never")), 400),
        (_post(port, b"", headers={"Content-Length": str(SIGNAL_RAW_MAX + 1)}), 413),
        (_post(port, b"", method="GET"), 405),
        (_post(port, good, path="/other"), 404),
    ]
    for (status, answer), want in refusals:
        assert status == want and isinstance(answer.get("error"), str), (status, answer, want)
    assert "received_at" in refusals[7][0][1]["error"]
    big = line(channel="webhook", title="Large", body="\x1b[2J" + "b" * 1_000_000)
    status, answer = _post(port, big)
    assert status == 201, answer
    signals = await _signals(tmp_path)
    assert (
        len(signals) == 3 and signals[first]["payload"] == good and signals[first]["title"] == HOSTILE_TITLE
    )
    assert signals[answer["signal"]]["payload"] == big
    p.terminate()
    _, err = p.communicate(timeout=30)
    assert terminal_unsafe(err.decode(), allow="\n") == [] and TOKEN.encode() not in err


def test_the_endpoint_does_not_start_without_a_token(tmp_path: Path, env: dict[str, str]) -> None:
    Path(env["WARROOM_CONFIG"]).write_text("[intake]\n")
    r = run_cli(["intake", "serve", "--port", "0"], env)
    assert r.returncode == 2 and b"no [intake] token" in r.stderr
    Path(env["WARROOM_CONFIG"]).write_text('[intake]\ntoken = "short"\n')
    r = run_cli(["intake", "serve", "--port", "0"], env)
    assert r.returncode == 2 and b"intake.token must be" in r.stderr and b"short" not in r.stderr


# --- the config -------------------------------------------------------------------------------


def test_the_intake_section(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[intake]\ntoken = "0123456789abcdef"\nfolder = "~/drop"\nemail_channel = "le_email"\n'
        'urgent = [{ channels = ["le_portal", "le_email"], keywords = ["imminent", "threat to life"] },\n'
        '          { keywords = ["CSAM"] }]\n'
    )
    intake = load_config(path).intake
    assert intake.token is not None and intake.token.get_secret_value() == "0123456789abcdef"
    assert intake.folder == Path("~/drop").expanduser() and intake.email_channel == "le_email"
    assert [(r.channels, r.keywords) for r in intake.urgent] == [
        (["le_portal", "le_email"], ["imminent", "threat to life"]), ([], ["CSAM"])]  # fmt: skip
    path.write_text('[intake]\nurgent = [{ channels = ["fax"], keywords = ["x"] }]\n')
    assert "intake.urgent must be a list of" in str(load_config(path).problem("intake"))


# --- the trends ------------------------------------------------------------------------------


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_signals_are_counted_per_channel_with_the_time_to_triage() -> None:
    """Received in the window [11-02, 11-10): le_portal A (triaged after 10 min, promoted),
    B (after 30 min, dismissed), C (untriaged), a repeat of A; press D (after 2 h, promoted);
    press E received before the window: not counted."""
    signals = (
        SignalFacts("A", "le_portal", _at(2, 10), "promoted", _at(2, 10, 10)),
        SignalFacts("B", "le_portal", _at(3, 10), "dismissed", _at(3, 10, 30)),
        SignalFacts("C", "le_portal", _at(4, 10), "untriaged"),
        SignalFacts("R", "le_portal", _at(4, 11), "repeat"),
        SignalFacts("D", "press", _at(5, 8), "promoted", _at(5, 10)),
        SignalFacts("E", "press", _at(1, 8), "promoted", _at(2, 8)),
    )
    t = compute(TrendInput(signals=signals), _at(2, 0), _at(10, 0), _at(10, 0))
    by = {c.channel: c for c in t.signals}
    assert set(by) == set(SIGNAL_CHANNELS)
    le, press, everything = by["le_portal"], by["press"], t.signals_all
    assert (le.received, le.repeats, le.promoted, le.triage) == (3, 1, 1, Stat(2, 600, 1800))
    assert (press.received, press.promoted, press.promoted_share, press.triage.median) == (1, 1, 1.0, 7200)
    assert (everything.received, everything.repeats, everything.promoted) == (4, 1, 2)
    assert everything.promoted_share == 0.5 and everything.triage == Stat(3, 1800, 7200)
    assert by["ncmec"].promoted_share is None
    j = to_json(t)["signals"]
    assert j["received"] == 4 and j["promoted_share"] == 0.5
    assert j["time_to_triage"] == {"n": 3, "median_seconds": 1800, "p90_seconds": 7200}
    assert j["by_channel"]["le_portal"]["repeats"] == 1
    table = {(r["group"], r["key"], r["metric"]): r["value"] for r in rows(t) if r["section"] == "signals"}
    assert table[("channel", "press", "time_to_triage_median_seconds")] == 7200
    assert table[("all", "", "promoted")] == 2
    text = str(render_signals(t, 80))
    assert "le portal" in text and "press" in text and "ncmec" not in text
    assert all(len(x) <= 80 for x in text.splitlines())


async def test_report_trends_counts_the_signals_of_the_journal(tmp_path: Path, env: dict[str, str]) -> None:
    lines = [line(channel="gifct", title="Alert", ref="IR-1", received_at="2026-11-03T10:00:00Z"),
             line(channel="gifct", title="Alert again", ref="IR-1", received_at="2026-11-03T10:05:00Z"),
             line(channel="user_report", title="Report", received_at="2026-11-04T10:00:00Z")]  # fmt: skip
    r = run_cli(["intake", "--json"], env, b"\n".join(lines))
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)[0]["signal"]
    triage = {"type": "signal.triaged", "data": {"signal": first, "outcome": "dismissed", "reason": "Known"}}
    r = run_cli(["append"], env, json.dumps(triage))
    assert r.returncode == 0, r.stderr
    r = run_cli(
        ["report", "trends", "--since", "2026-11-02", "--until", "2026-11-09", "--format", "json"], env
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["signals"]
    assert (got["received"], got["repeats"], got["promoted"], got["promoted_share"]) == (2, 1, 0, 0.0)
    assert got["by_channel"]["gifct"]["time_to_triage"]["n"] == 1  # triaged now: weeks after
    assert got["by_channel"]["user_report"]["time_to_triage"]["n"] == 0


async def test_the_trends_screen_shows_the_signals_box_only_with_signals(tmp_path: Path) -> None:
    from app.console import WarRoom
    from data.engine import clock
    from data.intake.signals import signal_drafts
    from screens.trends import TrendsScreen
    from tests._console_helpers import opened, seed, settings_for
    from tests._console_helpers import wait_for as wait_console

    settings = settings_for(tmp_path)
    await seed(settings, [opened("INC-1")])
    clock.freeze(datetime.now(UTC))
    try:
        app = WarRoom(settings)
        async with app.run_test(size=(150, 50)) as pilot:
            await wait_console(pilot, lambda: app.last_snapshot is not None and app.last_snapshot.incidents)
            await pilot.press("t")
            await wait_console(
                pilot, lambda: isinstance(app.screen, TrendsScreen) and app.screen.trends is not None
            )
            screen = app.screen
            assert isinstance(screen, TrendsScreen)
            assert screen.query_one("#signals-box").display is False
            drafts = signal_drafts(channel="le_portal", title=HOSTILE_TITLE, payload=b"{}",
                                   raw_type="application/json", received_at=clock.utc_text(clock.now()))  # fmt: skip
            line_before = app.last_snapshot.sync.line
            await seed(settings, [d.as_input() for d in drafts])
            await wait_console(pilot, lambda: app.last_snapshot.sync.line > line_before, what="the sync")
            screen.read()
            await wait_console(
                pilot, lambda: screen.query_one("#signals-box").display is True, what="the box"
            )
            text = str(screen.query_one("#signals").render())
            assert "le portal" in text and terminal_unsafe(text, allow="\n") == []
    finally:
        clock.freeze(None)
