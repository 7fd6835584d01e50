"""Where things are and who is acting: flag > ``WARROOM_*`` environment > default."""

from __future__ import annotations

import getpass
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir
from pydantic import TypeAdapter, ValidationError

from .models import Actor

APP = "warroom"


def data_dir() -> Path:
    return Path(user_data_dir(APP, appauthor=False))


def config_file() -> Path:
    """The settings file (TOML): ``WARROOM_CONFIG``, else ``config.toml`` in the user
    config folder. Optional: without it, defaults apply."""
    given = os.environ.get("WARROOM_CONFIG")
    return Path(given).expanduser() if given else Path(user_config_dir(APP, appauthor=False)) / "config.toml"


def default_journal() -> Path:
    return data_dir() / "journal.jsonl"


def store_for(journal: Path) -> Path:
    """The default store of a journal: one per journal path, so that pointing the console
    at another journal never makes it throw away the projection of the first."""
    key = hashlib.sha256(str(journal.resolve()).encode()).hexdigest()[:12]
    return data_dir() / "stores" / f"{journal.stem}-{key}.db"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    journal: Path
    db: Path
    actor: str


def resolve(journal: str | None = None, db: str | None = None, actor: str | None = None) -> Settings:
    j = Path(journal or os.environ.get("WARROOM_JOURNAL") or default_journal()).expanduser()
    d_given = db or os.environ.get("WARROOM_DB")
    d = Path(d_given).expanduser() if d_given else store_for(j)
    a = actor or os.environ.get("WARROOM_ACTOR") or _login()
    check_actor(a)
    if j.exists() and j.is_dir():
        raise ConfigError(f"the journal path {j} is a folder; give a file path")
    if d.exists() and d.is_dir():
        raise ConfigError(f"the store path {d} is a folder; give a file path")
    return Settings(j, d, a)


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
