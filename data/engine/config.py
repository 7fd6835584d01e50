"""The configuration: where warroom keeps its files, the config file (one model,
:class:`WarroomConfig`, with a section per table, read once per process by
:func:`load_config`), the environment switches, and whether a journal may be shared with
its group. The features turn their section into their policy (``policy_of`` and the
like); none reads the file itself (docs/configuration.md). No journal code here
(data/engine/journal.py asks this module, never the reverse); the console's settings (who
acts, which journal, which store) are data/config.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from data.engine.envconfig import (  # re-exported: what needs no pydantic (the lean command line's)
    APP,
    FALSE_WORDS,
    JOURNAL_GROUP_ENV,
    TRUE_WORDS,
    URL_SCHEMES,
    ConfigError,
    config_file,
    config_text,
    data_dir,
    env_flag,
    is_url,
)
from data.engine.models import CATEGORIES, SIGNAL_CHANNELS, Category, SignalChannel

__all__ = ["APP", "FALSE_WORDS", "JOURNAL_GROUP_ENV", "TRUE_WORDS", "URL_SCHEMES", "ConfigError", "config_file", "config_text",
           "data_dir", "env_flag", "is_url"]  # fmt: skip


# --- the config file: one model, loaded once ----------------------------------------------


class Section(BaseModel):
    """One ``[table]`` of the config file: unknown keys are refused, values are taken as
    TOML gives them (no ``1`` for ``true``, no ``"5"`` for ``5``). Each field's
    ``description`` is what it must be, as said in the error message."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


#: a number of minutes: positive and finite (a timedelta holds it)
Minutes = Annotated[float, Field(gt=0, lt=1e9, allow_inf_nan=False)]
#: a severity, 1 (highest) to 4
Severity = Annotated[int, Field(ge=1, le=4)]
#: a severity as a TOML key ("1" to "4")
SeverityKey = Literal["1", "2", "3", "4"]
MINUTES = "be a positive number of minutes"
TRUE_FALSE = "be true or false"


class ClocksSection(Section):
    """``[clocks]``: the response targets and the update cadence (data/procedures/clocks.py)."""

    ack_minutes: dict[SeverityKey, Minutes] = Field(
        default_factory=dict, description='map severities "1"–"4" to a positive number of minutes'
    )
    update_severities: list[Severity] | None = Field(default=None, description="be a list of severities 1–4")
    update_every_minutes: Minutes | None = Field(default=None, description=MINUTES)
    update_early_minutes: Minutes | None = Field(default=None, description=MINUTES)
    update_later_minutes: Minutes | None = Field(default=None, description=MINUTES)
    bell: bool | None = Field(default=None, description=TRUE_FALSE)  # WARROOM_BELL wins


def _zone(value: str) -> str:
    from data.engine.models import _zone_known

    if not _zone_known(value):
        raise ValueError("not a known time zone")
    return value


class PostmortemSection(Section):
    """``[postmortem]``: when the post-mortem meeting is due (data/postmortem/report.py)."""

    meeting_days: dict[SeverityKey, Annotated[int, Field(ge=1, le=365)]] | None = Field(
        default=None, description='map severities "1"–"4" to 1–365 days'
    )
    business_days: list[Severity] | None = Field(default=None, description="be a list of severities 1–4")
    tz: Annotated[str, AfterValidator(_zone)] | None = Field(
        default=None, description="be an IANA time zone such as Europe/London"
    )


class WellbeingSection(Section):
    """``[wellbeing]``: exposure counting and break prompts (data/care/wellbeing.py)."""

    break_after_minutes: Minutes | None = Field(default=None, description=MINUTES)
    reset_after_minutes: Minutes | None = Field(default=None, description=MINUTES)
    idle_minutes: Minutes | None = Field(default=None, description=MINUTES)
    quiet: bool | None = Field(default=None, description=TRUE_FALSE)  # WARROOM_QUIET wins
    prompts: bool | None = Field(default=None, description=TRUE_FALSE)
    categories: list[Category] | None = Field(
        default=None, description=f"be a list of categories ({', '.join(CATEGORIES)})"
    )
    keep_days: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="be a whole number of days, at least 1"
    )


class ObligationsSection(Section):
    """``[obligations]``: which legal duties apply to this company (docs/sop.md), and the
    calendar of the team's business days (the severity-4 acknowledgement)."""

    sec_registrant: bool = Field(default=False, description=TRUE_FALSE)  # SEC Form 8-K Item 1.05
    nis2: bool = Field(default=False, description=TRUE_FALSE)  # NIS2 Art. 23 reporting
    calendar: Literal["US", "UK", "AU", "AU-NSW", "EU"] = Field(
        default="US", description="be one of US, UK, AU, AU-NSW, EU"
    )


#: a channel's name in ``[notify.channels]``: what audiences and escalation steps name
ChannelName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
#: an Apprise URL (https://github.com/caronc/apprise/wiki: mailto://, slack://, msteams://,
#: json://, ...): a secret, never shown whole
AppriseUrl = Annotated[str, Field(min_length=3, max_length=2000, pattern=r"^[a-z][a-z0-9+.-]*://\S+$")]


#: who a stakeholder update is for (data/comms/updates.py)
Audience = Literal["executives", "legal", "policy", "comms", "partners"]


class NotifySection(Section):
    """``[notify]``: where warroom sends messages (data/comms/channels.py): named channels,
    each one or more Apprise URLs; and the channels of each audience of stakeholder
    updates (``[notify.audiences]``, docs/updates.md)."""

    channels: dict[ChannelName, Annotated[list[AppriseUrl], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="map channel names (a-z 0-9 _ -) to lists of Apprise URLs such as mailto://... or json://...",
    )
    audiences: dict[Audience, list[ChannelName]] = Field(
        default_factory=dict,
        description=(
            "map audiences (executives, legal, policy, comms, partners) to lists of channel names "
            "of [notify.channels]"
        ),
    )

    @model_validator(mode="after")
    def _known_channels(self) -> NotifySection:
        for audience, names in self.audiences.items():
            unknown = [n for n in names if n not in self.channels]
            if unknown:
                known = ", ".join(sorted(self.channels)) or "none"
                raise ValueError(
                    f"audiences.{audience} names {unknown[0]!r}, which is no channel of [notify.channels] "
                    f"(channels: {known})"
                )
        return self


#: an escalation step's target: the incident's region's on-call person, a rotation's
#: on-call person, or one person
NotifyTarget = Annotated[str, Field(pattern=r"^(on_call|rotation:[A-Za-z0-9._-]{1,64}|person:[^\s]{1,64})$")]


class EscalationStep(Section):
    """One step of an escalation policy (data/comms/escalation.py)."""

    after_minutes: Minutes = Field(description=MINUTES)
    notify: NotifyTarget = Field(description='be "on_call", "rotation:<id>" or "person:<handle>"')


#: a policy's key: a severity ("1"), or a severity and a region ("1/UK"), which wins
PolicyKey = Annotated[str, Field(pattern=r"^[1-4](/(US|UK|AU|EU|global))?$")]


class EscalationSection(Section):
    """``[escalation]``: who is paged when an incident stays unacknowledged
    (docs/escalation.md): the steps per severity (and region), the channel a person is paged
    on, and how often the last step repeats."""

    channel: ChannelName | None = Field(default=None, description="be a channel name of [notify.channels]")
    people: dict[str, ChannelName] = Field(
        default_factory=dict, description="map handles to channel names of [notify.channels]"
    )
    repeat_minutes: Minutes | None = Field(default=None, description=MINUTES)
    policies: dict[PolicyKey, Annotated[list[EscalationStep], Field(min_length=1, max_length=9)]] = Field(
        default_factory=dict,
        description='map "1"-"4" (or "1/UK") to a list of 1-9 steps {after_minutes = N, notify = "on_call"}',
    )


class FilesSection(Section):
    """``[files]``: who may read the files warroom creates (docs/security.md)."""

    journal_group: bool = Field(default=False, description=TRUE_FALSE)  # WARROOM_JOURNAL_GROUP wins


class UrgentRule(Section):
    """One rule of ``[intake] urgent``: a signal from one of ``channels`` (none: any) whose
    title or body has any of ``keywords`` (any case) looks like severity 1 (triage flags it)."""

    channels: list[SignalChannel] = Field(
        default_factory=list, description=f"be a list of channels ({', '.join(SIGNAL_CHANNELS)})"
    )
    keywords: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(min_length=1)] = (
        Field(description="be a list of one or more words or phrases")
    )


#: the urgent rules when ``[intake]`` gives none (``urgent = []`` turns them off): a danger
#: to life in a request from law enforcement, and a live attack or an imminent risk from
#: anyone (docs/intake.md, "Triage")
DEFAULT_URGENT: tuple[UrgentRule, ...] = (
    UrgentRule(channels=["le_portal", "le_email"], keywords=[
        "imminent", "threat to life", "danger of death", "serious physical injury", "kidnap", "hostage",
        "emergency disclosure",
    ]),
    UrgentRule(channels=[], keywords=["imminent risk", "threat to life", "active shooter", "attack livestream",
                                      "livestreamed attack", "suicide attempt"]),
)  # fmt: skip


class IntakeConfig(Section):
    """``[intake]``: the ways signals come in (docs/intake.md): the HTTP endpoint's bearer
    token, the folder watched, the channel of e-mail dropped there, and the urgent rules."""

    token: Annotated[SecretStr, Field(min_length=16, max_length=512)] | None = Field(
        default=None,
        description="be a string of 16 to 512 characters (the bearer token of warroom intake serve)",
    )
    folder: Annotated[Path, Field(strict=False), AfterValidator(Path.expanduser)] | None = Field(
        default=None, description="be a folder's path"
    )
    email_channel: SignalChannel = Field(
        default="email", description=f"be a channel ({', '.join(SIGNAL_CHANNELS)})"
    )
    urgent: list[UrgentRule] = Field(
        default_factory=lambda: list(DEFAULT_URGENT),
        description='be a list of {channels = [...], keywords = ["..."]}',
    )


#: the environment switches: variable -> (section, key); a switch set wins over the file
ENV_SWITCHES = {
    "WARROOM_BELL": ("clocks", "bell"),
    "WARROOM_QUIET": ("wellbeing", "quiet"),
    JOURNAL_GROUP_ENV: ("files", "journal_group"),
}


class _EnvSwitches(PydanticBaseSettingsSource):
    """The ``1``/``0`` switches of :data:`ENV_SWITCHES` (:func:`env_flag`'s reading)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, dict[str, bool]] = {}
        for name, (section, key) in ENV_SWITCHES.items():
            given = env_flag(name)
            if given is not None:
                out.setdefault(section, {})[key] = given
        return out


class WarroomConfig(BaseSettings):
    """The config file (``WARROOM_CONFIG``, else ``config.toml`` in the user config
    folder; docs/configuration.md) with the environment switches over it. Read once per
    process (:func:`load_config`) and handed to what needs it. A section that cannot be
    used keeps its defaults and its problem is in :attr:`problems` (the feature that
    needs it refuses or reports it); tables other than these are ignored."""

    model_config = SettingsConfigDict(frozen=True)

    clocks: ClocksSection = Field(default_factory=ClocksSection)
    postmortem: PostmortemSection = Field(default_factory=PostmortemSection)
    wellbeing: WellbeingSection = Field(default_factory=WellbeingSection)
    files: FilesSection = Field(default_factory=FilesSection)
    obligations: ObligationsSection = Field(default_factory=ObligationsSection)
    notify: NotifySection = Field(default_factory=NotifySection)
    escalation: EscalationSection = Field(default_factory=EscalationSection)
    intake: IntakeConfig = Field(default_factory=IntakeConfig)
    #: the file read (None: none was asked for)
    file: Path | None = None
    #: section -> what is wrong with it, one line naming the file and the key
    problems: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (_EnvSwitches(settings_cls), init_settings)  # the switches win over the file

    def problem(self, section: str) -> str | None:
        return self.problems.get(section)

    def check(self, section: str, error: type[ValueError]) -> None:
        """Raise ``error`` with the problem of ``section``, if it has one."""
        problem = self.problems.get(section)
        if problem is not None:
            raise error(problem)


SECTIONS: dict[str, type[Section]] = {
    "clocks": ClocksSection,
    "postmortem": PostmortemSection,
    "wellbeing": WellbeingSection,
    "files": FilesSection,
    "obligations": ObligationsSection,
    "notify": NotifySection,
    "escalation": EscalationSection,
    "intake": IntakeConfig,
}


def load_config(path: Path | None = None, *, content: bytes | OSError | None = None) -> WarroomConfig:
    """The config file ``path`` (default :func:`config_file`; absent: defaults) with the
    environment switches. Never raises: a file that cannot be read makes every section's
    problem; a bad section, its own. ``content``: the file's bytes read earlier (or why
    they could not be; data/config.py's LazyConfig), instead of reading it now."""
    import tomllib

    path = path or config_file()
    problems: dict[str, str] = {}
    given: dict[str, Any] = {}
    if content is not None or path.is_file():
        try:
            doc = tomllib.loads(config_text(path, content))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems = dict.fromkeys(SECTIONS, f"{path}: {exc}")
            doc = {}
        for name in SECTIONS:
            if name not in doc:
                continue
            if isinstance(doc[name], dict):
                given[name] = doc[name]
            else:
                problems[name] = f"{path}: [{name}] must be a table"
    for name, table in given.items():  # the file on its own: a switch set does not hide its errors
        try:
            SECTIONS[name].model_validate(table)
        except ValidationError as exc:
            problems[name] = _say(path, name, exc.errors()[0], table)
    usable = {k: v for k, v in given.items() if k not in problems}
    return WarroomConfig(**usable, file=path, problems=problems)


#: keys whose value is a secret: an error message does not repeat it
SECRET_KEYS = {("intake", "token")}


def _say(path: Path, section: str, err: Any, given: dict[str, Any]) -> str:
    """One error of ``section`` for people: the file, the key, what it must be."""
    model = SECTIONS[section]
    key = str(err["loc"][0]) if err["loc"] else ""
    if not key and err["type"] == "value_error":  # a check of the section as a whole
        return f"{path}: [{section}] {str(err['msg']).removeprefix('Value error, ')}"
    if err["type"] == "extra_forbidden":
        return f"{path}: unknown key {section}.{key} (known: {', '.join(sorted(model.model_fields))})"
    field = model.model_fields.get(key)
    if field is None or field.description is None:  # not expected: pydantic's own words
        return f"{path}: {section}.{key}: {err['msg']}"
    if (section, key) in SECRET_KEYS:  # a secret is never shown, not even a wrong one
        return f"{path}: {section}.{key} must {field.description} (the value given is not shown)"
    return f"{path}: {section}.{key} must {field.description}, not {given.get(key)!r}"


def journal_group_access(config: WarroomConfig | Path | None = None) -> bool:
    """Whether a journal warroom creates may be read and written by its group (a team's
    opt-in, docs/security.md): ``WARROOM_JOURNAL_GROUP=1``, else ``journal_group = true``
    under ``[files]`` in the config file (``config``: the loaded one, or a file to read).
    A config file or a ``[files]`` that cannot be used counts as no opt-in (the console
    reports it)."""
    if not isinstance(config, WarroomConfig):
        config = load_config(config)
    return config.files.journal_group
