"""What the configuration needs no pydantic for: where warroom keeps its files, the config
file's path, the environment switches, and the one key a short command reads before it
writes (``[files] journal_group``, :func:`journal_group_of_file`). The config file's model
is data/engine/config.py (it re-exports these); ``warroom append`` imports this module
alone unless the batch needs a section of the model (docs/performance.md)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

APP = "warroom"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


def config_file() -> Path:
    """The settings file (TOML): ``WARROOM_CONFIG``, else ``config.toml`` in the user
    config folder. Optional: without it, defaults apply."""
    given = os.environ.get("WARROOM_CONFIG")
    if given:
        return Path(given).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False)) / "config.toml"


class ConfigError(ValueError):
    pass


#: journal locations that are database URLs, not files (docs/deployment.md)
URL_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def is_url(spec: str | os.PathLike[str]) -> bool:
    return isinstance(spec, str) and spec.startswith(URL_SCHEMES)


#: the words that switch something on or off (any case, spaces around ignored)
TRUE_WORDS = ("1", "true", "yes", "on", "y")
FALSE_WORDS = ("0", "false", "no", "off", "n")


def env_flag(name: str) -> bool | None:
    """A ``1``/``0`` style switch from the environment (None: not set). Only a clear
    true word (:data:`TRUE_WORDS`) switches it on: these switches are off by default and
    off is their safe side. The observer switch fails the other way: :func:`observer_env`."""
    given = os.environ.get(name)
    if given is None or not given.strip():
        return None
    return given.strip().lower() in TRUE_WORDS


#: the environment switch of the journal's group access (1 or 0); else ``[files]
#: journal_group`` in the config file; else owner only
JOURNAL_GROUP_ENV = "WARROOM_JOURNAL_GROUP"


def config_text(path: Path, content: bytes | OSError | None = None) -> str:
    """The config file's text, as ``Path.read_text`` reads it (UTF-8, universal newlines),
    from ``content`` when it was read earlier. Raises OSError or UnicodeDecodeError."""
    if isinstance(content, OSError):
        raise content
    raw = path.read_bytes() if content is None else content
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def read_config_file(path: Path | None = None) -> tuple[Path, bytes | OSError]:
    """The config file and its bytes (empty when there is none), or why they cannot be read:
    what this process reads of it, once (data/config.py's LazyConfig)."""
    path = path or config_file()
    try:
        return path, path.read_bytes() if path.is_file() else b""
    except OSError as exc:
        return path, exc


def journal_group_of_file(path: Path | None = None, content: bytes | OSError | None = None) -> bool:
    """``files.journal_group`` as ``load_config(path, content=content).files.journal_group``
    reads it (the switch, else the file's ``[files]`` when the file and that table are
    valid, else False), without building the config model. tests/test_cli_lean.py checks
    that both agree."""
    given = env_flag(JOURNAL_GROUP_ENV)
    if given is not None:
        return given
    path = path or config_file()
    if (content is None and not path.is_file()) or content == b"" or isinstance(content, OSError):
        return False  # no file, an empty one, or one that cannot be read (the model's error, later)
    import tomllib

    try:
        doc: Any = tomllib.loads(config_text(path, content))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    table = doc.get("files")
    if not isinstance(table, dict) or set(table) - {"journal_group"}:
        return False
    value = table.get("journal_group", False)
    return value if type(value) is bool else False
