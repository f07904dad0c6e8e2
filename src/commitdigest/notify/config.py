"""Channel settings: one ``[[notify]]`` table each, told apart by ``type``.

Webhook URLs carry their token and SMTP passwords are passwords: each can be given in the file
(``url``, ``password``, ``secret``) or, better, as the name of an environment variable
(``url_env`` …) read when sending. They are ``SecretStr``: never shown by repr, logs or errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, model_validator


class NotifyError(Exception):
    """A channel cannot be used as configured (an unset variable, say)."""


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    #: seconds per attempt
    timeout: float = Field(default=10.0, gt=0)
    #: further attempts after a timeout, a connection error, 429 or 5xx
    retries: int = Field(default=3, ge=0, le=10)
    #: first backoff in seconds; doubled per attempt, with jitter (Retry-After wins when given)
    backoff: float = Field(default=1.0, ge=0)
    #: "always"; "commits": only when the report lists any; "high": only with high-importance ones
    when: Literal["always", "commits", "high"] = "always"

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]


def _secret(value: SecretStr | None, env_name: str | None, key: str, env: Mapping[str, str]) -> str | None:
    if value is not None:
        return value.get_secret_value()
    if env_name:
        found = env.get(env_name)
        if not found:
            raise NotifyError(f"environment variable {env_name} (from {key}_env) is not set")
        return found
    return None


class _Webhook(_Channel):
    url: SecretStr | None = None
    url_env: str | None = None

    @model_validator(mode="after")
    def _one_url(self):
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' or 'url_env'")
        return self

    def url_value(self, env: Mapping[str, str] | None = None) -> str:
        return _secret(self.url, self.url_env, "url", os.environ if env is None else env) or ""


class _Signed(_Webhook):
    #: the bot's signing secret, when signature verification is on
    secret: SecretStr | None = None
    secret_env: str | None = None

    def secret_value(self, env: Mapping[str, str] | None = None) -> str | None:
        return _secret(self.secret, self.secret_env, "secret", os.environ if env is None else env)


class Feishu(_Signed):
    type: Literal["feishu", "lark"]


class DingTalk(_Signed):
    type: Literal["dingtalk"]


class WeCom(_Webhook):
    type: Literal["wecom"]


class Slack(_Webhook):
    type: Literal["slack"]


class Webhook(_Webhook):
    type: Literal["webhook"]
    headers: dict[str, str] = Field(default_factory=dict)


class Email(_Channel):
    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    password_env: str | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[commitdigest]"

    def password_value(self, env: Mapping[str, str] | None = None) -> str | None:
        return _secret(self.password, self.password_env, "password", os.environ if env is None else env)


ChannelSettings = Annotated[Feishu | DingTalk | WeCom | Slack | Webhook | Email, Field(discriminator="type")]
_CHANNELS = TypeAdapter(list[ChannelSettings])


def parse_channels(tables: list[dict[str, Any]]) -> list[ChannelSettings]:
    """Validates the ``[[notify]]`` tables (raises pydantic's ValidationError, located by index)."""
    return _CHANNELS.validate_python(tables)
