"""How long to wait before asking a server again: its ``Retry-After``, else backoff with jitter.

Three clients ask servers that may answer "later": the chat webhooks (``notify``), the model
server (``llm``) and the hosting APIs (``hosting``). They differ in how long they are willing to
wait — a minute within the run's delivery time, a minute before the call fails, two seconds
before the asking stops — which each decides for itself; how a server says "later", and how
retries spread out so that calls which failed together do not retry together, is decided here.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

#: a server asking for longer than this is treated as down for the run (notify and llm)
RETRY_AFTER_MAX = 60.0


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # a plain dict is case-sensitive; httpx.Headers is not
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    # "nan" and "inf" parse as floats, but are no delay (a NaN would even make sleep() raise).
    return max(value, 0.0) if math.isfinite(value) else None


def retry_after(headers: Mapping[str, str] | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked to wait: ``retry-after-ms`` (OpenAI-compatible servers, in
    milliseconds) first, else ``Retry-After`` as delay-seconds or as an HTTP-date (RFC 9110
    §10.2.3; a date already past is 0). ``None`` when absent or unreadable: the caller's backoff
    decides then. Negative values count as 0; no cap here, each caller has its own."""
    if headers is None:
        return None
    ms = _header(headers, "retry-after-ms")
    if ms is not None:
        value = _seconds(ms.strip())
        if value is not None:
            return value / 1000.0
    text = _header(headers, "retry-after")
    if text is None or not text.strip():
        return None
    value = _seconds(text.strip())
    if value is not None:
        return value
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322, though Python leaves it naive
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now(), 0.0)


def backoff(attempt: int, *, base: float, cap: float, spread: float = 0.5,
            rng: Callable[[], float] = random.random) -> float:
    """The wait before retry number ``attempt + 1``: the step ``base · 2^attempt`` (at most
    ``cap``), less a random share of up to ``spread`` of it. ``spread = 0.5`` waits 50–100 % of
    the step ("equal jitter"), ``spread = 1`` anything up to it ("full jitter"): either way,
    concurrent calls that failed together do not retry together."""
    step = min(base * 2.0 ** min(attempt, 64), cap)  # the exponent bounded: no float overflow
    return step * (1.0 - spread + spread * rng())
