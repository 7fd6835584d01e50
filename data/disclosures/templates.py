"""Response templates: one TOML file per template (docs/disclosures.md).

The shipped ones live in ``data/disclosures/shipped/<id>.toml``; a team adds its own, or
replaces a shipped one (same ``id``), with files in ``<user config dir>/responses/*.toml``
(else the folder named by ``WARROOM_RESPONSES_DIR``), as for the SOPs (data/procedures/sop.py,
whose file reading and error type this reuses). A file with an error contributes nothing;
its errors name the file, the line and the reason.

:func:`fill` puts the incident's values into a template's text, each masked
(data/privacy/mask.py) unless revealed.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from platformdirs import user_config_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from data.engine.models import PRINTABLE_PATTERN, RESPONSE_TEXT_MAX, AgencyType
from data.privacy.mask import mask
from data.procedures.sop import SopError, _read, _Refused

SHIPPED_DIR = Path(__file__).parent / "shipped"
ENV_DIR = "WARROOM_RESPONSES_DIR"
#: what a template's text may name, in braces (``{{`` and ``}}`` are literal braces)
PLACEHOLDERS: dict[str, str] = {
    "incident": "the incident's id",
    "title": "the incident's title",
    "opened_at": "when the incident was opened (UTC)",
    "ref": "the reference of the request answered",
    "agency": "the recipient agency",
    "now": "the time the draft is made (UTC)",
    "responder": "who drafts the response",
}
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    version: Annotated[int, Field(ge=1, le=999_999)]
    title: Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)]
    agency_type: AgencyType
    channel: Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE_PATTERN)] = "email"
    text: Annotated[str, Field(min_length=1, max_length=RESPONSE_TEXT_MAX)]


@dataclass(frozen=True)
class ResponseTemplate:
    """One template in force; ``version`` is what a draft records (``preservation@1``,
    ``preservation:local@2`` for a user's file)."""

    id: str
    version: str
    title: str
    agency_type: str
    channel: str
    text: str
    source: Path


@dataclass
class ResponseTemplates:
    templates: dict[str, ResponseTemplate] = field(default_factory=dict)
    errors: list[SopError] = field(default_factory=list)

    def get(self, template_id: str) -> ResponseTemplate | None:
        return self.templates.get(template_id)


def default_user_dir() -> Path:
    """``WARROOM_RESPONSES_DIR`` if set, else ``<platformdirs user config dir>/warroom/responses``."""
    given = os.environ.get(ENV_DIR)
    if given:
        return Path(given).expanduser()
    return Path(user_config_dir("warroom", appauthor=False)) / "responses"


def _line_of(text: str, needle: str) -> int | None:
    return next((n + 1 for n, ln in enumerate(text.splitlines()) if needle in ln), None)


def _key_line(text: str, key: str) -> int | None:
    return next(
        (n + 1 for n, ln in enumerate(text.splitlines()) if ln.strip().startswith((f"{key} ", f"{key}="))),
        None,
    )


def _reason(err: object) -> str:
    e = err if isinstance(err, dict) else {}
    etype = e.get("type")
    if etype == "missing":
        return "required key is missing"
    if etype == "extra_forbidden":
        return f"unknown key (expected: {', '.join(_File.model_fields)})"
    if etype == "literal_error":
        return f"{e.get('input')!r} is not allowed (expected {e.get('ctx', {}).get('expected', '')})"
    if etype == "string_pattern_mismatch" and e.get("loc") == ("id",):
        return "must be 1-32 of a-z 0-9 _ - (starting with a letter or digit)"
    return str(e.get("msg", "invalid"))


def _parse(path: Path, shipped: bool) -> ResponseTemplate:
    text, doc = _read(path)
    errors: list[SopError] = []
    try:
        f = _File.model_validate(doc)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            key = str(err["loc"][0]) if err["loc"] else ""
            line = _key_line(text, key) or 1
            errors.append(SopError(path, line, f"{key or 'file'}: {_reason(err)}"))
        raise _Refused(errors) from None
    if f.id != path.stem:
        errors.append(
            SopError(path, _key_line(text, "id"), f"id: {f.id!r} does not match the file name {path.name}")
        )
    try:
        names = [name for _, name, spec, conv in string.Formatter().parse(f.text) if name is not None]
        for _, name, spec, conv in string.Formatter().parse(f.text):
            if name is not None and (spec or conv):
                errors.append(
                    SopError(path, _line_of(text, "{" + name), f"text: {{{name}}}: no format or conversion")
                )
        for name in names:
            if name not in PLACEHOLDERS:
                errors.append(
                    SopError(
                        path,
                        _line_of(text, "{" + name) or _key_line(text, "text"),
                        f"text: unknown placeholder {{{name}}} (expected one of: "
                        f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}; write {{{{ for a brace)",
                    )
                )
    except ValueError as exc:  # a single { or }
        errors.append(
            SopError(path, _key_line(text, "text"), f"text: {exc} (write {{{{ or }}}} for a brace)")
        )
    if errors:
        raise _Refused(errors)
    version = f"{f.id}@{f.version}" if shipped else f"{f.id}:local@{f.version}"
    return ResponseTemplate(f.id, version, f.title, f.agency_type, f.channel, f.text, path)


def _files(folder: Path, found: ResponseTemplates) -> list[Path]:
    if not folder.exists():
        return []
    if not folder.is_dir():
        found.errors.append(SopError(folder, None, "the user template folder is not a folder"))
        return []
    try:
        return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    except OSError as exc:
        found.errors.append(SopError(folder, None, f"cannot list the folder: {exc.strerror or exc}"))
        return []


def load_templates(user_dir: Path | None = None, *, shipped_dir: Path | None = None) -> ResponseTemplates:
    """The templates in force: the shipped ones, then the user's (a user file whose ``id``
    is a shipped template's replaces it). Never raises for a bad file: see ``.errors``."""
    found = ResponseTemplates()
    for shipped, folder in ((True, shipped_dir or SHIPPED_DIR), (False, user_dir or default_user_dir())):
        for path in _files(folder, found):
            try:
                t = _parse(path, shipped)
            except _Refused as exc:
                found.errors.extend(exc.errors)
                continue
            found.templates[t.id] = t
    return found


def fill(template: ResponseTemplate, values: dict[str, str], *, reveal: bool = False) -> str:
    """The template's text with ``values`` put in (a placeholder not given stays empty);
    every value has its user identifiers masked unless ``reveal``."""
    given = {name: (v if reveal else mask(v)) for name, v in values.items() if name in PLACEHOLDERS}
    return template.text.format_map({name: given.get(name, "") for name in PLACEHOLDERS})
