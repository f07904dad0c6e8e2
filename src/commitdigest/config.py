"""The config file, ``commitdigest.toml``: which repositories to follow and what to do with them.

Found as ``--config PATH``, else ``$COMMITDIGEST_CONFIG``, else ``./commitdigest.toml``. Validated
whole at load, before any work: an unknown key, a wrong type or a missing path is one message that
names the file and the key. ``COMMITDIGEST_*`` environment variables override file values (the
``[llm]`` table is merged by the LLM settings themselves, with the same precedence).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from commitdigest.errors import ConfigError, InputError, LLMConfigError
from commitdigest.hosting.settings import HostingSettings
from commitdigest.kinds import AnalyzerKind, DateField, Language

FILENAME = "commitdigest.toml"
ENV_CONFIG = "COMMITDIGEST_CONFIG"

# Environment variable → dotted key in the file. Only plain scalars: lists and tables stay in the file.
ENV_OVERRIDES = {
    "COMMITDIGEST_TIMEZONE": "timezone",
    "COMMITDIGEST_LANGUAGE": "language",
    "COMMITDIGEST_ANALYZER": "analyzer",
    "COMMITDIGEST_DATE_FIELD": "date_field",
    "COMMITDIGEST_CACHE_DIR": "cache_dir",
    "COMMITDIGEST_OUTPUT_DIR": "output.dir",
    "COMMITDIGEST_OUTPUT_FORMATS": "output.formats",
    "COMMITDIGEST_OUTPUT_BASE_URL": "output.base_url",
    "COMMITDIGEST_GITHUB_API": "hosting.github_api",
    "COMMITDIGEST_GITLAB_API": "hosting.gitlab_api",
}

_Strict = ConfigDict(extra="forbid")


class RepoConfig(BaseModel):
    model_config = _Strict

    url: str | None = None
    path: str | None = None
    name: str | None = None
    branch: str | None = None
    #: commits are kept when one of their files matches (fnmatch globs on repository paths)
    include: list[str] = Field(default_factory=list)
    #: files matching these do not count; a commit touching only such files is left out
    exclude: list[str] = Field(default_factory=list)
    #: the repository's web page (https://github.com/owner/name or a GitLab project), for commit
    #: and PR links when its URL or origin does not name a known forge (a file:// mirror, say)
    web_url: str | None = None
    #: this repository's own importance weights, laid over the global [importance] table
    importance: dict[str, Any] = Field(default_factory=dict)
    #: "lean" (commits and trees, file contents fetched per report), "full", or "auto" (lean
    #: for network URLs, full for file://); unset: the top-level ``mirror``
    mirror: Literal["auto", "lean", "full"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> RepoConfig:
        if bool(self.url) == bool(self.path):
            raise ValueError("give exactly one of 'url' or 'path'")
        return self

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        from commitdigest.sources import is_remote

        if v is not None and not is_remote(v):
            raise ValueError("must be an https://, ssh://, git://, file:// or user@host:path URL")
        return v

    @field_validator("web_url")
    @classmethod
    def _web_url(cls, v: str | None) -> str | None:
        return _http_url(v)

    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.url:
            from commitdigest.sources import default_name

            return default_name(self.url) or self.url
        return Path(self.path or ".").expanduser().resolve().name


class OutputConfig(BaseModel):
    model_config = _Strict

    dir: str = "reports"
    formats: list[str] = Field(default_factory=lambda: ["md", "json"])
    #: rollups `run` writes once their period is over, under DIR/rollups/
    rollups: list[Literal["weekly", "monthly"]] = Field(default_factory=list)
    #: where the output directory is published (e.g. https://team.example/reports): feed and
    #: notification links point there
    base_url: str | None = None
    #: list days without commits in the feed too (the site's index always lists them, last)
    feed_quiet_days: bool = Field(default=False, strict=True)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        return _http_url(v)
    #: days without commits get no report files (and no notification)
    skip_empty: bool = False
    #: "daily": DIR/<date>.md, every repository a section; "per-repo": DIR/<year>/<repo>/<date>.md
    layout: Literal["daily", "per-repo"] = "daily"

    @field_validator("formats", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        return [s.strip() for s in v.split(",") if s.strip()] if isinstance(v, str) else v

    @field_validator("formats")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        from commitdigest.outputs import check_formats

        return _as_value_error(check_formats, v)


class Config(BaseModel):
    model_config = _Strict

    timezone: str | None = None
    language: Language = Language.zh
    analyzer: AnalyzerKind = AnalyzerKind.auto
    date_field: DateField = DateField.committer
    cache_dir: str | None = None
    #: how remote repositories are mirrored in the cache; a repository's own ``mirror`` wins
    mirror: Literal["auto", "lean", "full"] = "auto"
    repos: list[RepoConfig] = Field(min_length=1)
    output: OutputConfig = Field(default_factory=OutputConfig)
    llm: dict[str, Any] = Field(default_factory=dict)
    notify: list[dict[str, Any]] = Field(default_factory=list)
    #: how the importance tier is scored (analysis.importance.Scoring); defaults when absent
    importance: dict[str, Any] = Field(default_factory=dict)
    #: seconds all notifications of a run may take together, retries and waits included; a
    #: channel left without time fails and is retried by the next run
    notify_deadline: float = Field(default=120.0, gt=0, le=3600)
    #: pull-request metadata from the hosting API (asked only with a token in the environment)
    hosting: HostingSettings = Field(default_factory=HostingSettings)

    #: the file this came from (not a key); relative paths in it are relative to its folder
    source: Path | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        # checked at load, so a typo is reported against the file before any repository is read
        from commitdigest.window import parse_zone

        if v is not None:
            _as_value_error(parse_zone, v)
        return v

    def resolve(self, value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() or self.source is None else self.source.parent / p


def _http_url(value: str | None) -> str | None:
    # These end up in href attributes of the site, the feed and notifications.
    from commitdigest.outputs.urls import is_web_url

    if value is not None and not is_web_url(value):
        raise ValueError("must be an http:// or https:// URL")
    return value


def _as_value_error(check: Any, value: Any) -> Any:
    """Run one of the CLI's own checks, so the file and the flag say the same thing."""
    try:
        return check(value)
    except InputError as exc:
        raise ValueError(exc.message) from None


def find(explicit: str | None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if explicit:
        path, how = Path(explicit).expanduser(), "--config"
    elif env.get(ENV_CONFIG):
        path, how = Path(env[ENV_CONFIG]).expanduser(), ENV_CONFIG
    else:
        path, how = Path(FILENAME), None
    if not path.is_file():
        if how is None:
            raise ConfigError(f"no {FILENAME} in the current directory: create one with "
                              "'commitdigest init', or pass --config PATH")
        raise ConfigError(f"{path}: config file not found (from {how})")
    return path


def load_optional(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Config | None:
    """For commands that work without a config file but honour one (its [llm] table, analyzer)."""
    env = os.environ if env is None else env
    if explicit or env.get(ENV_CONFIG) or Path(FILENAME).is_file():
        return load(explicit, env)
    return None


def load(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    path = find(explicit, env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of [[[…]]] or {a={b=…}}
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse(data, path, env)


def parse(data: dict[str, Any], path: Path, env: Mapping[str, str]) -> Config:
    data, from_env = _apply_env(data, env)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        where, message = _describe(exc)
        if where in from_env:  # the bad value is not in the file: name the variable it came from
            raise ConfigError(f"{from_env[where]}: {message}") from None
        raise ConfigError(f"{path}: {where + ': ' if where else ''}{message}") from None
    config.source = path.resolve()
    _check_paths(config, path)
    _check_llm(config, path)
    _check_notify(config, path)
    _check_importance(config, path)
    return config


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The file's values with the environment's overrides, and which keys the environment set."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    from_env: dict[str, str] = {}
    for var, dotted in ENV_OVERRIDES.items():
        value = env.get(var)
        if not value:
            continue
        table, _, key = dotted.rpartition(".")
        target = out.setdefault(table, {}) if table else out
        if isinstance(target, dict):
            target[key] = value
            from_env[dotted] = var
    return out, from_env


def _describe(exc: ValidationError) -> tuple[str, str]:
    """(the key at fault, what is wrong with it) for the first problem pydantic found."""
    errors = exc.errors(include_input=False, include_url=False)
    err = errors[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    if err["type"] == "extra_forbidden":
        return "", f"unknown key '{loc}'"
    if err["type"] == "missing":
        return "", f"missing key '{loc}'"
    message = err["msg"].removeprefix("Value error, ")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return loc, message


def _check_paths(config: Config, path: Path) -> None:
    for i, repo in enumerate(config.repos):
        if repo.path and not config.resolve(repo.path).is_dir():
            raise ConfigError(f"{path}: repos[{i}].path: {repo.path} is not a directory")
    names = [r.display_name() for r in config.repos]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{path}: repos: two repositories are named '{dupes[0]}'; give one a 'name'")


def _check_llm(config: Config, path: Path) -> None:
    from commitdigest.llm.settings import LLMSettings

    try:
        LLMSettings.from_sources(file_values=config.llm, env={})
    except LLMConfigError as exc:
        raise ConfigError(f"{path}: llm.{exc.message.removeprefix('invalid LLM settings: ')}") from None


def _check_importance(config: Config, path: Path) -> None:
    """Every [importance] table — the global one and each repository's laid over it — is a valid
    scoring, so a typo in a weight is reported against its key before any work."""
    from commitdigest.analysis.importance import scoring_from_table

    tables: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = [("importance", config.importance, None)]
    tables += [(f"repos[{i}].importance", repo.importance, config.importance)
               for i, repo in enumerate(config.repos) if repo.importance]
    for where, table, base in tables:
        try:
            scoring_from_table(base).merged(table) if base is not None else scoring_from_table(table)
        except ValidationError as exc:
            key, message = _describe(exc)
            if not key and message.startswith(("unknown key '", "missing key '")):
                quote = message.index("'") + 1
                message = message[:quote] + f"{where}." + message[quote:]
                raise ConfigError(f"{path}: {message}") from None
            raise ConfigError(f"{path}: {where}{'.' + key if key else ''}: {message}") from None


def _check_notify(config: Config, path: Path) -> None:
    if not config.notify:
        return
    from commitdigest.notify.config import parse_channels

    try:
        parse_channels(config.notify)
    except ValidationError as exc:
        err = exc.errors(include_input=False, include_url=False)[0]
        loc = list(err["loc"])
        if (len(loc) > 1 and isinstance(loc[0], int) and isinstance(loc[1], str)
                and loc[1] == config.notify[loc[0]].get("type")):
            del loc[1]  # pydantic names the union member; readers want the key
        where = f"notify[{loc[0]}]" + "".join(f".{p}" for p in loc[1:])
        if err["type"] == "extra_forbidden":
            message = f"unknown key '{where}'"
        elif err["type"] == "missing":
            message = f"missing key '{where}'"
        elif err["type"] == "union_tag_invalid":
            from commitdigest.notify.registry import types

            message = f"{where}.type: use one of {', '.join(types())}"
        elif err["type"] == "union_tag_not_found":
            message = f"missing key '{where}.type'"
        else:
            message = f"{where}: {err['msg'].removeprefix('Value error, ')}"
        raise ConfigError(f"{path}: {message}") from None
