"""The notification channels, by name: each one's settings, the request its message becomes, and
how it is sent.

A channel is one module holding its settings class (a ``Channel`` subclass whose ``type:
Literal[...]`` gives the name or names it is configured by) and ``CHANNEL = ChannelType(...)``,
plus its line in ``BUILTIN``. An HTTP channel gives ``build`` (settings, message, environment →
the URL, JSON payload and headers to POST) and, when its server reports errors inside a 2xx
answer, ``check``; delivery (timeouts, retries, Retry-After, redirects, the run's deadline) is
the same for all of them. A channel that is not one JSON POST (e-mail) gives ``send`` instead,
raising ``Transient`` for what is worth another attempt and ``Final`` for what is not.

An installed package adds a channel with one module and one entry point naming its
``ChannelType`` (``[project.entry-points."commitdigest.channels"]``, see ``commitdigest.plugins``);
code that imports commitdigest can also call ``register(ChannelType(...))``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter

from commitdigest.notify.config import Channel

if TYPE_CHECKING:
    import httpx

    from commitdigest.notify.digest import Message

#: the channels that come with commitdigest: one module each, holding ``CHANNEL``
BUILTIN = (
    "commitdigest.notify.feishu",
    "commitdigest.notify.dingtalk",
    "commitdigest.notify.wecom",
    "commitdigest.notify.slack",
    "commitdigest.notify.webhook",
    "commitdigest.notify.email",
)


@dataclass(frozen=True)
class Request:
    """One JSON POST: where, what, with which extra headers."""

    url: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def app_error(response: httpx.Response, code_of: Callable[[dict[str, Any]], Any]) -> str | None:
    """For a ``check``: the error a chat platform put inside a 2xx answer — its JSON object's
    code (``code_of``) when not 0 — or that the answer is not a JSON object; None when taken."""
    try:
        data = response.json()
    except ValueError:
        return f"answer is not JSON: {response.text[:80]!r}"
    if not isinstance(data, dict):
        return f"answer is not a JSON object: {response.text[:80]!r}"
    code = code_of(data)
    if code not in (0, None):
        message = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
        return f"error {code}: {message}"[:200]
    return None


class Transient(Exception):
    """Worth another attempt (a timeout, a refused connection, 429, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Final(Exception):
    """Not worth another attempt (refused credentials, 4xx, an application error)."""


@dataclass(frozen=True)
class ChannelType:
    settings: type[Channel]
    #: (settings, message, environment) → the request to POST
    build: Callable[[Any, Message, Mapping[str, str]], Request] | None = None
    #: the error a 2xx answer carries, or None when it says the message was taken
    check: Callable[[httpx.Response], str | None] | None = None
    #: (settings, message, environment, timeout in seconds) → None, for channels that are not a POST
    send: Callable[[Any, Message, Mapping[str, str], float], None] | None = None

    def __post_init__(self) -> None:
        if (self.build is None) == (self.send is None):
            raise ValueError(f"{self.settings.__name__}: give exactly one of build (an HTTP channel) or send")
        if not self.names:
            raise ValueError(f"{self.settings.__name__}: needs a `type: Literal[...]` field naming the channel")

    @property
    def names(self) -> tuple[str, ...]:
        """The ``type`` values this channel is configured by (``feishu`` and ``lark`` are one)."""
        found = self.settings.model_fields.get("type")
        return tuple(get_args(found.annotation)) if found is not None else ()


_TYPES: dict[str, ChannelType] = {}
_adapter: TypeAdapter[list[Channel]] | None = None


def register(kind: ChannelType) -> ChannelType:
    """Makes a channel type configurable by its names. Registering the same type again is a
    no-op; another type under a name already taken is an error."""
    global _adapter
    for name in kind.names:
        known = _TYPES.get(name)
        if known is not None and known != kind:
            raise ValueError(f"notification channel type {name!r} is registered already")
    if any(name not in _TYPES for name in kind.names):
        _TYPES.update(dict.fromkeys(kind.names, kind))
        _adapter = None  # the union of settings classes changed
    return kind


_builtin_loaded = False
_installed_loaded = False


def types(installed: bool = False) -> dict[str, ChannelType]:
    """Every channel type by name, the built-in ones loaded on first use (so that checking a
    config file's tables costs no more than the channel modules, which import no HTTP or SMTP
    machinery); with ``installed``, those installed packages add too."""
    global _builtin_loaded, _installed_loaded
    if not _builtin_loaded:
        for module in BUILTIN:
            register(importlib.import_module(module).CHANNEL)
        _builtin_loaded = True
    if installed and not _installed_loaded:
        from commitdigest import plugins

        _installed_loaded = True
        for name, kind in plugins.load(plugins.CHANNELS, ChannelType):
            try:
                register(kind)
            except ValueError as exc:  # a name taken already: the first one stays
                plugins.log.warning("plugin %s (%s): %s; left out", name, plugins.CHANNELS, exc)
    return _TYPES


def ensure(names: list[Any]) -> None:
    """Every channel type ``names`` asks for registered, when an installed package has it
    (packages are asked only for a name that is not built in)."""
    known = types()
    if any(isinstance(n, str) and n not in known for n in names):
        types(installed=True)


def of(channel: Channel) -> ChannelType:
    return types()[channel.type]  # type: ignore[attr-defined]


def validator() -> TypeAdapter[list[Channel]]:
    """Validates a list of ``[[notify]]`` tables into the settings classes, told apart by ``type``."""
    global _adapter
    known = types()
    if _adapter is None:
        classes = tuple(dict.fromkeys(k.settings for k in known.values()))
        member: Any = Annotated[Union[classes], Field(discriminator="type")] if len(classes) > 1 else classes[0]  # noqa: UP007
        _adapter = TypeAdapter(list[member])
    return _adapter
