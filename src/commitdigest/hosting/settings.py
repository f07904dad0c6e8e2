"""How to reach the hosting APIs: the ``[hosting]`` table, the environment, and the tokens.

Tokens come from the environment only, never from the config file (which is often committed).
Without a token nothing is asked unless ``anonymous = true``: the report is then exactly what it
is without this feature.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

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

    # Not keys of the table (a config file is often committed): from the environment, by ``resolve``.
    _github_token: str | None = PrivateAttr(default=None)
    _gitlab_token: str | None = PrivateAttr(default=None)
    # API base → why the run stopped asking it (rate limit, refused token): one repository's
    # limit holds for every other repository of the run on the same API.
    _stopped: dict[str, str] = PrivateAttr(default_factory=dict)
    # API base and repository → requests made for it so far: ``max_requests`` holds for the
    # repository however many times its commits are asked about (a long period, in batches).
    _spent: dict[str, int] = PrivateAttr(default_factory=dict)

    @field_validator("github_api", "gitlab_api")
    @classmethod
    def _api(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from commitdigest.outputs.urls import is_web_url

        if not is_web_url(v):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")

    @property
    def github_token(self) -> str | None:
        return self._github_token

    @property
    def gitlab_token(self) -> str | None:
        return self._gitlab_token

    @classmethod
    def resolve(cls, table: Mapping[str, Any] | HostingSettings | None = None,
                env: Mapping[str, str] | None = None) -> HostingSettings:
        """The table (or defaults) with the environment's API bases and tokens laid over it."""
        env = os.environ if env is None else env
        data = table.model_dump() if isinstance(table, HostingSettings) else dict(table or {})
        for var, key in ENV_KEYS.items():
            if env.get(var):
                data[key] = env[var]
        settings = cls.model_validate(data)
        settings._github_token = next((env[v].strip() for v in GITHUB_TOKEN_ENV if (env.get(v) or "").strip()), None)
        settings._gitlab_token = next((env[v].strip() for v in GITLAB_TOKEN_ENV if (env.get(v) or "").strip()), None)
        return settings
