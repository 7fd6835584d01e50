"""Importable helpers for tests: build valid format-1 events, chain them into journal lines,
and run the real store over a real journal file.

Everything here is deterministic: ids and times come from counters, never from the clock.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from data.engine.store import IncidentRecord

#: the start of test time (ts of the first event an :class:`EventFactory` makes)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

#: put ``prev=DROP`` in an event given to :func:`chain` to leave the ``prev`` member out
DROP: Any = object()

#: the hostile strings every pane, screen, export and report must survive (style.md)
#: a 10 KB line (10,248 bytes of UTF-8, 6,832 characters: long, yet within the 8,000-character
#: limit of summaries and notes)
TEN_KB_LINE = "long ✓✓ " * 854
HOSTILE: list[str] = [
    "[/",
    "[/foo]",
    "[red]x[/]",
    "[@click=app.quit]x[/]",
    "\x1b[31mred\x1b[0m",
    "trailing backslash\\",
    TEN_KB_LINE,
    "مرحبا \u202eשלום\u202c rtl",  # Arabic, Hebrew, RIGHT-TO-LEFT OVERRIDE
    "🚨🔥 incident 🧯",
    "儿童安全事件 対応中 사건",
    "first line\r\nsecond line",
    "nul\x00inside",
    "title \x1b]2;pwned\x07 set",  # OSC 2: renames the terminal's window
    "copy \x1b]52;c;ZXZpbA==\x07 this",  # OSC 52: writes the clipboard
    "c1 \x9b31m csi",  # CSI as one C1 character
    "del\x7f and \u200f\u061c marks",  # DEL, RIGHT-TO-LEFT MARK, ARABIC LETTER MARK
]
HOSTILE_IDS = [
    "open-bracket-slash",
    "close-tag",
    "markup-red",
    "markup-click",
    "ansi",
    "trailing-backslash",
    "10kb",
    "rtl",
    "emoji",
    "cjk",
    "crlf",
    "nul",
    "osc-title",
    "osc-52",
    "c1-csi",
    "del-marks",
]

#: the bidi controls no export may write raw (written out here, independently of data/privacy/text.py):
#: embeddings and overrides, isolates, and the marks LRM, RLM and ALM
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def terminal_unsafe(text: str, allow: str = "") -> list[str]:
    """The characters of ``text`` a terminal could act on, or that make text read other than
    it is: C0 controls (except those in ``allow``), DEL, C1 controls, bidi controls."""
    return [
        ch
        for ch in text
        if (ord(ch) < 0x20 and ch not in allow) or 0x7F <= ord(ch) <= 0x9F or ch in BIDI_CONTROLS
    ]


def shown_escaped(text: str, keep_lines: bool = False) -> str:
    """What CSV and Markdown exports show for ``text`` by default (docs/security.md): each
    control written ``\\xNN`` (up to U+00FF) or ``\\uNNNN``; with ``keep_lines`` (a CSV cell),
    LF, CR LF and tab kept. An independent statement of the documented form."""
    out = []
    for i, ch in enumerate(text):
        code = ord(ch)
        kept = keep_lines and (ch in "\n\t" or (ch == "\r" and text[i + 1 : i + 2] == "\n"))
        if kept or not (
            code < 0x20 or 0x7F <= code <= 0x9F or ch in BIDI_CONTROLS or ch in "\u2028\u2029\ufeff"
        ):
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
    return "".join(out)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ts_at(seconds: float) -> str:
    """An RFC 3339 UTC time ``seconds`` after :data:`T0`, millisecond precision."""
    t = T0 + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


OPENED_DATA: dict[str, Any] = {
    "title": "Hash match on uploaded media, account 4242",
    "category": "csea",
    "severity": 2,
    "source": "hash_match",
    "regions": ["US", "UK"],
    "summary": "Escalated by the on-call reviewer.",
    "detected_at": "2026-11-01T08:30:00Z",
}


class EventFactory:
    """Makes valid event dicts (``v``, ``id``, ``ts``, ``actor``, ``type``, ``incident``,
    ``data``; no ``prev``) with deterministic ids and times one minute apart."""

    def __init__(self, prefix: str = "ev", actor: str = "tester", step: float = 60.0) -> None:
        self.prefix = prefix
        self.actor = actor
        self.step = step
        self._n = itertools.count(1)
        self.last_ts: str | None = None

    def __call__(
        self,
        type: str,
        data: dict[str, Any] | None = None,
        incident: str | None = None,
        *,
        id: str | None = None,
        ts: str | None = None,
        actor: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        n = next(self._n)
        ev: dict[str, Any] = {
            "v": 1,
            "id": id or f"{self.prefix}-{n:05d}",
            "ts": ts or ts_at(n * self.step),
            "actor": actor or self.actor,
            "type": type,
        }
        if incident is not None:
            ev["incident"] = incident
        ev["data"] = copy.deepcopy(data) if data is not None else {}
        ev.update(extra)
        self.last_ts = ev["ts"]
        return ev

    # shortcuts for the common types ---------------------------------------------------

    def opened(self, incident: str = "INC-1", **data: Any) -> dict[str, Any]:
        return self("incident.opened", {**OPENED_DATA, **data}, incident)

    def note(self, incident: str = "INC-1", text: str = "A note.", **kw: Any) -> dict[str, Any]:
        return self("incident.note", {"text": text}, incident, **kw)

    def status(self, incident: str, status: str, **kw: Any) -> dict[str, Any]:
        return self("incident.status_set", {"status": status}, incident, **kw)

    def role(self, incident: str, role: str, person: str | None, **kw: Any) -> dict[str, Any]:
        return self("incident.role_set", {"role": role, "person": person}, incident, **kw)

    def item(
        self, incident: str, item: str, text: str = "Verify the requester", team: str = "legal", **data: Any
    ) -> dict[str, Any]:
        return self("checklist.added", {"item": item, "text": text, "team": team, **data}, incident)

    def set_item(self, incident: str, item: str, state: str, note: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"item": item, "state": state}
        if note is not None:
            data["note"] = note
        return self("checklist.set", data, incident)

    def person(self, handle: str = "amara", **data: Any) -> dict[str, Any]:
        d = {
            "handle": handle,
            "name": "Amara Okafor",
            "team": "emergency_response",
            "region": "US",
            "tz": "America/New_York",
        }
        d.update(data)
        return self("roster.person", d)

    def rotation(self, rotation: str = "us-ic", **data: Any) -> dict[str, Any]:
        d = {
            "rotation": rotation, "team": "emergency_response", "region": "US", "tz": "America/New_York",
            "days": ["mon", "tue", "wed"], "start": "08:00", "hours": 12, "members": ["amara", "eli"],
            "anchor": "2026-01-05",
        }  # fmt: skip
        d.update(data)
        return self("roster.rotation", d)


def encode(obj: Any) -> bytes:
    """Compact JSON bytes as the project's writer makes them (newline excluded)."""
    return orjson.dumps(obj)


def chain(items: Iterable[dict[str, Any] | bytes], prev: str | None = None) -> list[bytes]:
    """Journal lines (newline excluded) for ``items``, each dict getting ``prev`` = the hash of
    the line before it. A dict that already has a ``prev`` member keeps it (``DROP`` leaves
    the member out); bytes are taken as a raw line as they are (and still chained through)."""
    lines: list[bytes] = []
    for item in items:
        if isinstance(item, bytes):
            raw = item
        else:
            obj = dict(item)
            if "prev" not in obj:
                obj["prev"] = prev
            elif obj["prev"] is DROP:
                del obj["prev"]
            raw = encode(obj)
        lines.append(raw)
        prev = sha256_hex(raw)
    return lines


def last_hash(path: Path) -> str | None:
    """SHA-256 of the last complete line of a journal (None if empty or missing)."""
    if not path.exists():
        return None
    data = path.read_bytes()
    end = data.rfind(b"\n")
    if end == -1:
        return None  # no complete line yet
    return sha256_hex(data[:end].rsplit(b"\n", 1)[-1])


def write_lines(path: Path, lines: Sequence[bytes]) -> None:
    """Append raw lines (a newline added to each) to ``path``."""
    with open(path, "ab") as f:
        for raw in lines:
            f.write(raw + b"\n")


def append_events(path: Path, items: Iterable[dict[str, Any] | bytes]) -> list[bytes]:
    """Append ``items`` to the journal at ``path``, chained from its current last line;
    returns the lines written (newline excluded)."""
    lines = chain(items, last_hash(path))
    write_lines(path, lines)
    return lines


def read_lines(path: Path) -> list[bytes]:
    """The complete lines of a journal file, newline excluded."""
    data = path.read_bytes()
    if not data:
        return []
    parts = data.split(b"\n")
    return parts[:-1]  # the last part is "" or an unfinished fragment


async def synced_store(journal_path: Path, store_path: Path):  # type: ignore[no-untyped-def]
    """Open the store at ``store_path``, sync it from the journal, return (store, result).
    The caller closes the store."""
    from data.engine.journal import FileJournal
    from data.engine.store import Store

    store = await Store.open(store_path)
    result = await store.sync(FileJournal(journal_path))
    return store, result


# --- the real command line, in a subprocess ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def warroom_command() -> list[str]:
    """How to run the installed console script (falls back to ``python -m app``)."""
    import sys

    exe = VENV_BIN / "warroom"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "app"]


def cli_env(tmp_path: Path, journal: Path, store: Path, actor: str = "tester") -> dict[str, str]:
    """An environment for the CLI with every path under ``tmp_path`` (HOME too, so that
    nothing falls back to the real user's data folder)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        WARROOM_JOURNAL=str(journal),
        WARROOM_DB=str(store),
        WARROOM_ACTOR=actor,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run_cli(
    args: Sequence[str],
    env: dict[str, str],
    input: bytes | str | None = None,
    *,
    cwd: Path | None = None,
    command: Sequence[str] | None = None,
    umask: int = -1,
):  # type: ignore[no-untyped-def]
    """Run ``warroom ARGS``; returns the CompletedProcess with stdout/stderr as bytes."""
    import subprocess

    if isinstance(input, str):
        input = input.encode("utf-8")
    return subprocess.run(
        [*(command or warroom_command()), *args],
        input=input if input is not None else b"",
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
        umask=umask,
    )


def run_cli_many(calls: Sequence[tuple[Sequence[str], dict[str, str]]]):  # type: ignore[no-untyped-def]
    """Run several ``warroom`` commands at once (each ``(args, env)``, no stdin) and wait
    for all; returns CompletedProcess objects in the same order. The commands may share a
    store: it must let them take turns."""
    import subprocess

    procs = [
        subprocess.Popen(
            [*warroom_command(), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for args, env in calls
    ]
    done = []
    for (args, _env), p in zip(calls, procs, strict=True):
        stdout, stderr = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess([*warroom_command(), *args], p.returncode, stdout, stderr))
    return done


def incident_record(**over: Any) -> IncidentRecord:
    """A store row of ``incidents`` (``Store.incidents``): an open severity-1 incident
    opened at :data:`T0`, with the fields in ``over`` instead."""
    from data.engine.store import IncidentRecord

    at = T0.isoformat()
    row: dict[str, Any] = {
        "id": "INC-1", "title": "t", "category": "edr", "severity": 1, "source": "x", "regions": (),
        "summary": None, "restricted": False, "status": "investigating", "roles": {}, "detected_at": None,
        "opened_at": at, "opened_by": "x", "opened_seq": 1, "acknowledged_at": None, "contained_at": None,
        "resolved_at": None, "closed_at": None, "updated_at": at, "last_seq": 1, "events": 1,
        "last_update_at": None, "acknowledged_severity": None, "participants": (),
    }  # fmt: skip
    row.update(over)
    return IncidentRecord(**row)
