"""How to reach the hosting APIs: the ``[hosting]`` table, the environment, and the tokens.

Tokens come from the environment only, never from the config file (which is often committed).
Without a token nothing is asked unless ``anonymous = true``: the report is then exactly what it
is without this feature.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

GITHUB_TOKEN_ENV = ("COMMITDIGEST_GITHUB_TOKEN", "GITHUB_TOKEN")
GITLAB_TOKEN_ENV = ("COMMITDIGEST_GITLAB_TOKEN", "GITLAB_TOKEN")
# Environment overrides of the table's keys (self-hosted instances in CI, say).
ENV_KEYS = {"COMMITDIGEST_GITHUB_API": "github_api", "COMMITDIGEST_GITLAB_API": "gitlab_api"}


class HostingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: GitHub's REST base: unset means https://api.github.com for github.com and
    #: https://HOST/api/v3 for a GitHub Enterprise host
    github_api: str | None = None
    #: GitLab's REST base: unset means https://HOST/api/v4 of the repository's host
    gitlab_api: str | None = None
    #: ask without a token (60 requests an hour on github.com; no GraphQL)
    anonymous: bool = Field(default=False, strict=True)
    #: false: never ask, even with a token
    enabled: bool = Field(default=True, strict=True)
    #: seconds one request may take
    timeout: float = Field(default=10.0, gt=0, le=120)
    #: requests one run may make per repository, so a backfill of a busy year stays bounded
    max_requests: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("github_api", "gitlab_api")
    @classmethod
    def _api(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from commitdigest.outputs.urls import is_web_url

        if not is_web_url(v):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")

    @classmethod
    def resolve(cls, table: Mapping[str, Any] | HostingSettings | None = None,
                env: Mapping[str, str] | None = None) -> HostingRun:
        """The table (or defaults) with the environment's API bases and tokens laid over it, ready
        for one run (see :class:`HostingRun`)."""
        return HostingRun.start(table, env)


@dataclass
class HostingRun:
    """The hosting APIs as one run uses them: the settings, the tokens (from the environment
    only: a config file is often committed), and what the run has done so far. The run's
    context makes one, and every pass of the run — its days, each rollup — shares it: a rate
    limit met on one API stops the asking for every repository on it (``stopped``: API base →
    why), and ``max_requests`` holds for a repository however many passes or batches ask about
    its commits (``spent``: API base and repository → requests made)."""

    settings: HostingSettings
    github_token: str | None = field(default=None, repr=False)
    gitlab_token: str | None = field(default=None, repr=False)
    stopped: dict[str, str] = field(default_factory=dict)
    spent: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, table: Mapping[str, Any] | HostingSettings | None = None,
              env: Mapping[str, str] | None = None) -> HostingRun:
        env = os.environ if env is None else env
        data = table.model_dump() if isinstance(table, HostingSettings) else dict(table or {})
        for var, key in ENV_KEYS.items():
            if env.get(var):
                data[key] = env[var]
        return cls.with_tokens(HostingSettings.model_validate(data), env)

    @classmethod
    def with_tokens(cls, settings: HostingSettings, env: Mapping[str, str]) -> HostingRun:
        """A run of ``settings`` as they are (the environment already laid over them), with the tokens."""
        def token(names: tuple[str, ...]) -> str | None:
            return next((env[v].strip() for v in names if (env.get(v) or "").strip()), None)

        return cls(settings=settings, github_token=token(GITHUB_TOKEN_ENV), gitlab_token=token(GITLAB_TOKEN_ENV))

    @classmethod
    def of(cls, value: HostingRun | HostingSettings | Mapping[str, Any] | None) -> HostingRun:
        """``value`` itself when it is a run's already; else a new run of those settings."""
        return value if isinstance(value, HostingRun) else cls.start(value)

    def __getattr__(self, name: str) -> Any:
        # the table's keys read through (``run.enabled``, ``run.timeout``…)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.settings, name)
