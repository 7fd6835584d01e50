"""The configuration the engine itself reads: where warroom keeps its files, the config file
and its sections, the environment switches, and whether a journal may be shared with its
group. No journal code here (data/engine/journal.py asks this module, never the reverse);
the console's settings (who acts, which journal, which store) are data/config.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir

APP = "warroom"


def data_dir() -> Path:
    return Path(user_data_dir(APP, appauthor=False))


def config_file() -> Path:
    """The settings file (TOML): ``WARROOM_CONFIG``, else ``config.toml`` in the user
    config folder. Optional: without it, defaults apply."""
    given = os.environ.get("WARROOM_CONFIG")
    return Path(given).expanduser() if given else Path(user_config_dir(APP, appauthor=False)) / "config.toml"


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


def config_section(path: Path | None, name: str, error: type[ValueError]) -> dict[str, Any]:
    """The ``[name]`` table of the TOML config file ``path`` ({} when the file or the
    table is absent). Raises ``error`` naming the file for one that cannot be read or a
    ``[name]`` that is not a table."""
    import tomllib

    if path is None or not path.is_file():
        return {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: {exc}") from None
    section = doc.get(name, {})
    if not isinstance(section, dict):
        raise error(f"{path}: [{name}] must be a table")
    return section


#: the environment switch of the journal's group access (1 or 0); else ``[files]
#: journal_group`` in the config file; else owner only
JOURNAL_GROUP_ENV = "WARROOM_JOURNAL_GROUP"


def journal_group_access(path: Path | None = None) -> bool:
    """Whether a journal warroom creates may be read and written by its group (a team's
    opt-in, docs/security.md): ``WARROOM_JOURNAL_GROUP=1``, else ``journal_group = true``
    under ``[files]`` in the config file. A config file that cannot be read counts as
    no opt-in (the console reports it)."""
    given = env_flag(JOURNAL_GROUP_ENV)
    if given is not None:
        return given
    try:
        section = config_section(path or config_file(), "files", ConfigError)
    except ConfigError:
        return False
    return section.get("journal_group") is True
