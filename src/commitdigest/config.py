"""The config file, ``commitdigest.toml``, and the environment: every setting a command reads.

Found as ``--config PATH``, else ``$COMMITDIGEST_CONFIG``, else ``./commitdigest.toml``. Validated
whole at load, before any work: an unknown key, a wrong type or a missing path is one message that
names the file and the key. The environment overrides the file, one variable per key, all under one
prefix with ``__`` between nested keys as git-cliff does it: ``COMMITDIGEST_LANGUAGE``,
``COMMITDIGEST_OUTPUT__DIR``, ``COMMITDIGEST_LLM__MODEL``, ``COMMITDIGEST_HOSTING__GITHUB_API``. The
names used before the nested form (``COMMITDIGEST_OUTPUT_DIR``, ``COMMITDIGEST_LLM_MODEL``…) and
OpenAI's own ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` still work, below the nested name. Flags beat
both; the run context (``commitdigest.context``) lays them over what this module reads.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_origin

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from commitdigest.errors import ConfigError, InputError, LLMConfigError
from commitdigest.git.runner import DEFAULT_TIMEOUT as DEFAULT_GIT_TIMEOUT
from commitdigest.hosting.settings import HostingSettings
from commitdigest.kinds import DateField, Language, language_tag
from commitdigest.llm.settings import ENV_FALLBACKS as LLM_ENV_FALLBACKS
from commitdigest.llm.settings import ENV_FIELDS as LLM_ENV_FIELDS
from commitdigest.llm.settings import ENV_PREFIX as LLM_ENV_PREFIX

FILENAME = "commitdigest.toml"
ENV_CONFIG = "COMMITDIGEST_CONFIG"
ENV_PREFIX = "COMMITDIGEST_"
ENV_NESTING = "__"

#: the variables that named keys before the nested form: each still sets its key, unless the
#: nested name is set too (the LLM settings name their own)
ENV_ALIASES = {
    "COMMITDIGEST_OUTPUT_DIR": "output.dir",
    "COMMITDIGEST_OUTPUT_FORMATS": "output.formats",
    "COMMITDIGEST_OUTPUT_BASE_URL": "output.base_url",
    "COMMITDIGEST_GITHUB_API": "hosting.github_api",
    "COMMITDIGEST_GITLAB_API": "hosting.gitlab_api",
    **{f"{LLM_ENV_PREFIX}{name.upper()}": f"llm.{name}" for name in LLM_ENV_FIELDS},
}
#: the OpenAI SDK's own names, for an existing OpenAI setup: below every COMMITDIGEST_ name
ENV_FALLBACKS = {var: f"llm.{key}" for key, var in LLM_ENV_FALLBACKS.items()}
#: variables under the prefix that are not settings (secrets and switches read where they are used)
ENV_NOT_KEYS = frozenset({ENV_CONFIG, "COMMITDIGEST_DEBUG", "COMMITDIGEST_GITHUB_TOKEN", "COMMITDIGEST_GITLAB_TOKEN"})

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
    #: folders of the code that uses this repository (local checkouts, read-only): each commit
    #: that changes a symbol they use says where (README, "Your code")
    uses: list[str] = Field(default_factory=list)

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

    def location(self, base: Path | None = None) -> str:
        """The URL, or the path made absolute (relative to ``base``, the config file's folder)."""
        from commitdigest.sources import is_path

        if self.url:
            return self.url
        if not is_path(self.path or "."):
            return self.path or ""  # a kind of source an installed package adds
        p = Path(self.path or ".").expanduser()
        return str(p if p.is_absolute() or base is None else base / p)

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
    #: "zh" or "en"; tags such as "zh-CN" and "en-US" name them too
    language: Language = Language.zh
    #: "auto", "heuristic", "llm", or an analyzer an installed package adds (analysis.factory)
    analyzer: str = "auto"
    date_field: DateField = DateField.committer
    cache_dir: str | None = None
    #: how remote repositories are mirrored in the cache; a repository's own ``mirror`` wins
    mirror: Literal["auto", "lean", "full"] = "auto"
    #: seconds one git process may take (a clone, a fetch, a window's log) before it is stopped
    git_timeout: float = Field(default=DEFAULT_GIT_TIMEOUT, gt=0, le=86_400)
    #: seconds ``report`` and ``rollup`` wait for a ``run`` holding the output directory
    lock_wait: float = Field(default=10.0, ge=0, le=86_400)
    #: read the changed code (symbols, values, behaviour: ``commitdigest.semantic``); false: the
    #: line facts only, for a long period's first report at a third of the time
    semantic: bool = Field(default=True, strict=True)
    #: a file needs at least one (checked at load); without a file, commands name their own
    repos: list[RepoConfig] = Field(default_factory=list)
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
    # Not keys: the environment's [llm] values, laid over the file's by the LLM settings (which
    # check them, exit 6, as they check flags); and which variable set each dotted key.
    _llm_env: dict[str, Any] = PrivateAttr(default_factory=dict)
    _from_env: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, v: Any) -> Any:
        found = language_tag(v) if isinstance(v, str) else None
        return found or v  # an unknown tag is left for the enum to refuse, naming both languages

    @field_validator("analyzer")
    @classmethod
    def _analyzer(cls, v: str) -> str:
        from commitdigest.analysis.factory import check_kind

        return _as_value_error(check_kind, v)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        # checked at load, so a typo is reported against the file before any repository is read
        from commitdigest.window import parse_zone

        if v is not None:
            _as_value_error(parse_zone, v)
        return v

    @property
    def llm_env(self) -> dict[str, Any]:
        return self._llm_env

    @property
    def from_env(self) -> dict[str, str]:
        """Dotted key → the environment variable that set it."""
        return self._from_env

    def resolve(self, value: str, key: str | None = None) -> Path:
        """A path of the file (relative to its folder), or of the environment's ``key`` (relative to
        the working directory, as a flag's is)."""
        p = Path(value).expanduser()
        if p.is_absolute() or self.source is None or (key is not None and key in self.from_env):
            return p
        return self.source.parent / p


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


def present(explicit: str | None = None, env: Mapping[str, str] | None = None) -> bool:
    """Whether a config file is named (flag or variable) or in the working directory."""
    env = os.environ if env is None else env
    return bool(explicit or env.get(ENV_CONFIG) or Path(FILENAME).is_file())


def load_optional(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Config | None:
    """The config file when there is one (see :func:`present`), else None."""
    env = os.environ if env is None else env
    return load(explicit, env) if present(explicit, env) else None


def settings(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """What every command reads: the config file with the environment laid over it, or, without
    a file, the environment and the defaults alone (no repositories: the command names them)."""
    env = os.environ if env is None else env
    if present(explicit, env):
        return load(explicit, env)
    return parse({}, None, env)


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
    if "repos" not in data:
        raise ConfigError(f"{path}: missing key 'repos'")
    if isinstance(data["repos"], list) and not data["repos"]:
        raise ConfigError(f"{path}: repos: give at least one [[repos]] table")
    return parse(data, path, env)


def parse(data: dict[str, Any], path: Path | None, env: Mapping[str, str]) -> Config:
    tree, from_env = environment(env)
    llm_env = tree.pop("llm", {})
    if "llm" in data and not isinstance(data["llm"], dict):
        llm_env = {}  # the file's own mistake is reported below, against the file
    try:
        config = Config.model_validate(_merged(data, tree))
    except ValidationError as exc:
        where, message = _describe(exc)
        if where in from_env:  # the bad value is not in the file: name the variable it came from
            raise ConfigError(f"{from_env[where]}: {message}") from None
        var = next((v for k, v in from_env.items() if where.startswith(k + ".") or where.startswith(k + "[")), None)
        if var is not None or path is None:
            raise ConfigError(f"{var or 'environment'}: {where + ': ' if where else ''}{message}") from None
        raise ConfigError(f"{path}: {where + ': ' if where else ''}{message}") from None
    config._llm_env = llm_env
    config._from_env = from_env
    if path is None:
        return config
    config.source = path.resolve()
    _check_paths(config, path)
    _check_llm(config, path)
    _check_notify(config, path)
    _check_importance(config, path)
    return config


def _merged(data: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``data`` with ``over`` laid on it, table by table."""
    out = dict(data)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _field(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields.get(name)
    return None if info is None or name == "source" else info.annotation


def _key_of(parts: list[str]) -> tuple[str, Any] | None:
    """The dotted key ``parts`` name, with its type (``dict`` for a free table's keys), or None
    when it names no key an environment variable may set (lists of tables stay in the file)."""
    top = _field(Config, parts[0])
    if top is None or parts[0] in ("repos", "notify"):
        return None
    if isinstance(top, type) and issubclass(top, BaseModel):
        inner = _field(top, parts[1]) if len(parts) == 2 else None
        return (f"{parts[0]}.{parts[1]}", inner) if inner is not None else None
    if get_origin(top) is dict or top is dict:
        return (".".join(parts), dict) if len(parts) >= 2 else None
    return (parts[0], top) if len(parts) == 1 else None


def _typed(value: str, kind: Any) -> Any:
    """An environment string as the key takes it: lists comma-separated, booleans as words."""
    if get_origin(kind) is list:
        return [item.strip() for item in value.split(",") if item.strip()]
    if kind is bool and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return value


def environment(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings the environment gives, as a tree of tables, and which variable set each
    dotted key. Nested names beat the older flat ones, which beat OpenAI's own. A variable with
    ``__`` that names no key is a mistake worth one line (``COMMITDIGEST_OUTPUT__DIRR``); one
    without names something else (``COMMITDIGEST_DEBUG``) and is left alone."""
    found: dict[str, tuple[Any, str, int]] = {}  # dotted key → (value, variable, rank)

    def put(dotted: str, kind: Any, value: str, var: str, rank: int) -> None:
        if value == "" or (dotted in found and found[dotted][2] >= rank):
            return
        found[dotted] = (_typed(value, kind), var, rank)

    for var, value in env.items():
        if var in ENV_FALLBACKS:
            put(ENV_FALLBACKS[var], str, value, var, 0)
        elif var in ENV_ALIASES:
            put(ENV_ALIASES[var], str, value, var, 1)
        elif var.startswith(ENV_PREFIX) and var not in ENV_NOT_KEYS:
            parts = var[len(ENV_PREFIX):].lower().split(ENV_NESTING)
            key = _key_of(parts) if all(parts) else None
            if key is not None:
                put(key[0], key[1], value, var, 2)
            elif len(parts) > 1:
                raise ConfigError(f"{var}: names no setting ('{'.'.join(parts)}'); see the README's "
                                  "\"Tracking many repositories\" for the keys")
    tree: dict[str, Any] = {}
    for dotted, (value, _var, _rank) in found.items():
        *tables, last = dotted.split(".")
        target = tree
        for t in tables:
            target = target.setdefault(t, {})
        target[last] = value
    return tree, {dotted: var for dotted, (_v, var, _r) in found.items()}


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
        for j, used in enumerate(repo.uses):
            if not used.strip() or not config.resolve(used).is_dir():
                raise ConfigError(f"{path}: repos[{i}].uses[{j}]: {used} is not a directory")
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

            message = f"{where}.type: use one of {', '.join(types(installed=True))}"
        elif err["type"] == "union_tag_not_found":
            message = f"missing key '{where}.type'"
        else:
            message = f"{where}: {err['msg'].removeprefix('Value error, ')}"
        raise ConfigError(f"{path}: {message}") from None
