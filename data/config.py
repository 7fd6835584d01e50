"""Where things are and who is acting: flag > ``WARROOM_*`` environment > default."""

from __future__ import annotations

import getpass
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import TypeAdapter, ValidationError

from data.engine.envconfig import (  # re-exported: the engine's own configuration
    FALSE_WORDS,
    JOURNAL_GROUP_ENV,
    ConfigError,
    data_dir,
    is_url,
    journal_group_of_file,
    read_config_file,
)
from data.engine.models import Actor

if TYPE_CHECKING:
    from data.engine.config import WarroomConfig


class LazyConfig:
    """The config file (data/engine/config.py's ``load_config``), read when a section of it
    is first asked for: a command that needs none (``warroom append`` of a note) never builds
    the model. Stands for a :class:`WarroomConfig` (every attribute is the loaded one's)."""

    def __init__(self) -> None:
        self._loaded: WarroomConfig | None = None
        # the file is read now, once (a change afterwards is not this process's config)
        self._path, self._content = read_config_file()

    def loaded(self) -> WarroomConfig:
        if self._loaded is None:
            from data.engine.config import load_config

            self._loaded = load_config(self._path, content=self._content)
        return self._loaded

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # (its own, before they are set: copying, unpickling)
            raise AttributeError(name)
        return getattr(self.loaded(), name)

    def journal_group(self) -> bool:
        """``files.journal_group``, without the model unless it is loaded already."""
        if self._loaded is not None:
            return self._loaded.files.journal_group
        return journal_group_of_file(self._path, self._content)


def lazy_config() -> WarroomConfig:
    """The config file and the switches, read when first used (:class:`LazyConfig`)."""
    return cast("WarroomConfig", LazyConfig())


def default_journal() -> Path:
    return data_dir() / "journal.jsonl"


def store_for(journal: Path) -> Path:
    """The default store of a journal: one per journal path, so that pointing the console
    at another journal never makes it throw away the projection of the first."""
    key = hashlib.sha256(str(journal.resolve()).encode()).hexdigest()[:12]
    return data_dir() / "stores" / f"{journal.stem}-{key}.db"


@dataclass(frozen=True)
class Settings:
    journal: Path  # the journal file (for a database journal: a name that is never a file)
    db: Path
    actor: str
    #: a read-only console: no action, no command that writes (docs/observer.md)
    observer: bool = False
    #: the journal's database URL, when it is kept in PostgreSQL rather than a file
    journal_url: str | None = None
    #: the config file and the environment switches, read once (data/engine/config.py)
    config: WarroomConfig = field(default_factory=lazy_config, compare=False, repr=False)

    @property
    def journal_location(self) -> str:
        """Where the journal is, as said to people (a URL without its password)."""
        if self.journal_url is None:
            return str(self.journal)
        from data.engine.journal import redact_url

        return redact_url(self.journal_url)

    def open_journal(self) -> Any:
        """The journal these settings name: a file, or a PostgreSQL database."""
        from data.engine.locations import open_journal

        config: Any = self.config
        group = config.journal_group() if isinstance(config, LazyConfig) else config.files.journal_group
        return open_journal(self.journal_url or self.journal, group=group)


#: the environment switch of an observer (read-only) console: 1 or 0
OBSERVER_ENV = "WARROOM_OBSERVER"


def observer_env() -> bool:
    """Whether ``WARROOM_OBSERVER`` makes this an observer (read-only) console. It fails
    closed: only a clear false word (:data:`FALSE_WORDS`), an empty value or no variable
    means "not an observer"; any other value (``2``, ``enabled``, ``y``…) is an observer;
    a value that cannot be read (not valid UTF-8, or holding control characters) raises
    :class:`ConfigError` so that the command refuses and does nothing."""
    given = (os.environ.get(OBSERVER_ENV) or "").strip()
    if not given:
        return False
    if not given.isprintable():  # control characters, or bytes that are not UTF-8 (surrogates)
        raise ConfigError(
            f"{OBSERVER_ENV} cannot be read (it is not plain text): set it to 1 (an observer, "
            f"read-only) or 0 (not an observer), or unset it; nothing was done"
        )
    return given.lower() not in FALSE_WORDS


def resolve(
    journal: str | None = None, db: str | None = None, actor: str | None = None, observer: bool | None = None
) -> Settings:
    spec = journal or os.environ.get("WARROOM_JOURNAL") or str(default_journal())
    url = spec if is_url(spec) else None
    if url is not None:  # one store per database journal too, named after its URL
        key = hashlib.sha256(url.encode()).hexdigest()[:12]
        j = data_dir() / f"database-journal-{key}"
    else:
        j = Path(spec).expanduser()
    d_given = db or os.environ.get("WARROOM_DB")
    d = Path(d_given).expanduser() if d_given else store_for(j)
    a = actor or os.environ.get("WARROOM_ACTOR") or _login()
    check_actor(a)
    from data.engine.journal import special_kind

    kind = special_kind(j) if url is None else None
    if kind is not None:  # refused at once: a FIFO would hang the first read or append
        raise ConfigError(f"the journal path {j} is {kind}, not a regular file; give a file path")
    if d.exists() and d.is_dir():
        raise ConfigError(f"the store path {d} is a folder; give a file path")
    if observer is None:
        observer = observer_env()
    return Settings(j, d, a, observer, url, lazy_config())


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def check_actor(actor: str) -> None:
    try:
        _ACTOR.validate_python(actor)
    except ValidationError:
        raise ConfigError(
            f"the actor {actor!r} is not valid: it must be 1-64 printable characters "
            "(set it with --actor or WARROOM_ACTOR)"
        ) from None


_ACTOR: TypeAdapter[str] = TypeAdapter(Actor)


# --- who may read the files --------------------------------------------------------------


def permission_warnings(journal: Path, store: Path, *, group_ok: bool) -> list[str]:
    """What is wrong with who may read the journal and the store: readable by others
    (anyone on the machine), or by the group where the team has not opted in (the store,
    a personal projection, never should be). Files that do not exist yet are fine."""
    import stat

    out: list[str] = []
    for what, path, group_allowed in (("journal", journal, group_ok), ("store", store, False)):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & 0o004:
            out.append(
                f"The {what} {path} is readable by every user of this machine (mode {mode:o}): chmod o-rwx it"
            )
        elif mode & 0o040 and not group_allowed:
            hint = f" or opt in with {JOURNAL_GROUP_ENV}=1" if what == "journal" else ""
            out.append(f"The {what} {path} is readable by its group (mode {mode:o}): chmod g-rwx it{hint}")
    return out
