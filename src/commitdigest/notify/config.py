"""Channel settings: one ``[[notify]]`` table each, told apart by ``type``.

The settings every channel shares live here (``Channel``), with the two shapes most chat
channels build on (``WebhookChannel``, ``SignedChannel``); each channel's own class lives in its
module, and ``notify.registry`` knows them all.

Webhook URLs carry their token and SMTP passwords are passwords: each can be given in the file
(``url``, ``password``, ``secret``) or, better, as the name of an environment variable
(``url_env`` …) read when sending. They are ``SecretStr``: never shown by repr, logs or errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class NotifyError(Exception):
    """A channel cannot be used as configured (an unset variable, say)."""


#: "always"; "commits": only when the report lists any; "high": only with high-importance ones;
#: "weekly" / "monthly": the week's (month's) rollup once it is written, and no daily message
When = Literal["always", "commits", "high", "weekly", "monthly"]


class Channel(BaseModel):
    """What every channel takes besides its own keys. A subclass adds ``type: Literal[...]``,
    the name (or names) it is configured by."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    #: seconds per attempt
    timeout: float = Field(default=10.0, gt=0)
    #: further attempts after a timeout, a connection error, 429 or 5xx
    retries: int = Field(default=3, ge=0, le=10)
    #: first backoff in seconds; doubled per attempt, with jitter (Retry-After wins when given)
    backoff: float = Field(default=1.0, ge=0)
    when: When = "always"

    @property
    def label(self) -> str:
        return self.name or self.type  # type: ignore[attr-defined]


def secret_value(value: SecretStr | None, env_name: str | None, key: str, env: Mapping[str, str] | None) -> str | None:
    """A secret given in the file, else read from the environment variable named by ``<key>_env``."""
    if value is not None:
        return value.get_secret_value()
    if env_name:
        found = (os.environ if env is None else env).get(env_name)
        if not found:
            raise NotifyError(f"environment variable {env_name} (from {key}_env) is not set")
        return found
    return None


class WebhookChannel(Channel):
    """A channel that is one URL to POST to."""

    url: SecretStr | None = None
    url_env: str | None = None

    @model_validator(mode="after")
    def _one_url(self):
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' or 'url_env'")
        return self

    def url_value(self, env: Mapping[str, str] | None = None) -> str:
        return secret_value(self.url, self.url_env, "url", env) or ""


class SignedChannel(WebhookChannel):
    """A webhook whose bot can require each message signed with a shared secret."""

    secret: SecretStr | None = None
    secret_env: str | None = None

    def secret_value(self, env: Mapping[str, str] | None = None) -> str | None:
        return secret_value(self.secret, self.secret_env, "secret", env)


#: any channel's settings (the concrete classes are in the registry)
ChannelSettings = Channel


def parse_channels(tables: list[dict[str, Any]]) -> list[Channel]:
    """Validates the ``[[notify]]`` tables (raises pydantic's ValidationError, located by index
    and by the table's ``type``)."""
    from commitdigest.notify.registry import ensure, validator

    ensure([t.get("type") for t in tables if isinstance(t, dict)])
    return validator().validate_python(tables)
