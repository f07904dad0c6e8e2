"""Notifications: a digest of a finished report or rollup, pushed to chat webhooks or sent by e-mail.

The names are loaded on first use: checking a config file's [[notify]] tables needs only
``notify.config``, and should not pay for importing the HTTP and SMTP machinery.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {"ChannelSettings": "config", "parse_channels": "config", "Digest": "digest", "build_digest": "digest",
         "rollup_digest": "digest", "ChannelType": "registry", "register": "registry",
         "Delivery": "send", "deliver": "send", "deliver_rollup": "send"}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
