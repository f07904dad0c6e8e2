"""Where the LLM lives and how to talk to it: one validated settings object.

Sources, lowest precedence first: defaults, the config file's ``[llm]`` table, the environment,
then command-line flags — the order git-cliff and most tools use, so a flag always wins. The API
key is a ``SecretStr``: printing, logging or dumping the settings never shows it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from commitdigest.errors import LLMConfigError

ResponseFormat = Literal["json_schema", "json_object", "prompt"]

# Environment names are part of the interface (README); OPENAI_* are the SDK's own conventions
# and serve as fallbacks so an existing OpenAI setup works unchanged.
ENV_PREFIX = "COMMITDIGEST_LLM_"
ENV_FALLBACKS = {"base_url": "OPENAI_BASE_URL", "api_key": "OPENAI_API_KEY"}
#: the variable a message names when the server wants a key
KEY_ENV = ENV_PREFIX + "API_KEY"
ENV_FIELDS = ("base_url", "model", "api_key", "timeout", "deadline", "concurrency", "temperature",
              "budget", "max_tokens", "retries", "response_format", "headers", "redact")


class Price(BaseModel):
    """Price in currency units per million tokens."""

    model_config = ConfigDict(extra="forbid")

    prompt: float = Field(ge=0)
    completion: float = Field(ge=0)


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    #: seconds for one HTTP call, retries excluded
    timeout: float = Field(default=120.0, gt=0)
    #: seconds for a whole batch: past it, unfinished commits get the offline analysis
    deadline: float = Field(default=1800.0, gt=0)
    concurrency: int = Field(default=8, ge=1, le=256)
    temperature: float = Field(default=0.2, ge=0, le=2)
    #: prompt tokens per commit (system + facts + diff)
    budget: int = Field(default=12_000, ge=1_000)
    #: completion tokens per call
    max_tokens: int = Field(default=2_048, ge=256)
    #: retries per call on 429 / 5xx / timeouts / connection errors
    retries: int = Field(default=3, ge=0, le=10)
    #: the first structured-output mode tried; weaker modes are reached by automatic downgrade
    response_format: ResponseFormat = "json_schema"
    headers: dict[str, str] = Field(default_factory=dict)
    #: redact secrets from everything sent to the model
    redact: bool = True
    #: model name → price; cost is reported when the configured model has an entry
    prices: dict[str, Price] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = v.strip()
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        from commitdigest.outputs.urls import is_web_url

        if not is_web_url(v):  # http://[::1 (no closing bracket), a port that is not a number
            raise ValueError("is not a valid URL: give http(s)://HOST[:PORT]/PATH")
        return v

    @field_validator("model")
    @classmethod
    def _model(cls, v: str | None) -> str | None:
        return v.strip() or None if v is not None else None

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, v: Any) -> Any:
        return parse_headers(v) if isinstance(v, (str, list, tuple)) else v

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:  # header values may be credentials (Authorization: …)
        for key, value in super().__repr_args__():
            yield key, ({k: "**********" for k in value} if key == "headers" else value)

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    def api_key_value(self) -> str:
        # Local servers (llama.cpp, vLLM, Ollama) need no key, but the SDK insists on one.
        return self.api_key.get_secret_value() if self.api_key else "not-needed"

    def price(self) -> Price | None:
        return self.prices.get(self.model or "")

    def scrub(self, text: str) -> str:
        """``text`` (a model's answer, the model name it reports) without our API key or any
        configured header value: a server that echoes what it was sent must not get them into a
        report. Values under 8 characters are no credentials (and would match ordinary words)."""
        secrets = [self.api_key.get_secret_value()] if self.api_key else []
        secrets += list(self.headers.values())
        for secret in sorted({v.strip() for v in secrets if len(v.strip()) >= 8}, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "[REDACTED]")
            escaped = json.dumps(secret)[1:-1]  # as it stands inside a JSON string
            if escaped != secret and escaped in text:
                text = text.replace(escaped, "[REDACTED]")
        return text

    @classmethod
    def from_sources(cls, cli_overrides: Mapping[str, Any] | None = None,
                     env: Mapping[str, str] | None = None,
                     file_values: Mapping[str, Any] | None = None) -> LLMSettings:
        """Merge file < environment < CLI (``None`` values in the CLI mean "not given")."""
        env = os.environ if env is None else env
        merged: dict[str, Any] = dict(file_values or {})
        merged.update(_from_env(env))
        merged.update({k: v for k, v in (cli_overrides or {}).items() if v is not None})
        try:
            return cls.model_validate(merged)
        except ValidationError as exc:
            raise LLMConfigError(f"invalid LLM settings: {_describe(exc)}") from None


def parse_headers(value: str | list[str] | tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` items (a list, or one string separated by commas or newlines)."""
    items = value if isinstance(value, (list, tuple)) else value.replace("\n", ",").split(",")
    out: dict[str, str] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"header '{key.strip() or item}' must be KEY=VALUE")
        out[key.strip()] = val.strip()
    return out


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ENV_FIELDS:
        value = env.get(ENV_PREFIX + name.upper())
        if value is None and name in ENV_FALLBACKS:
            value = env.get(ENV_FALLBACKS[name])
        if value is not None and value != "":
            out[name] = value
    return out


def _describe(exc: ValidationError) -> str:
    # Input values are left out on purpose: one of them may be the API key.
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
