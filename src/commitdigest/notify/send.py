"""Delivery: post each channel's message, retrying what is worth retrying, never raising.

Every channel type (``notify.registry``) goes through the same path. Timeouts, connection errors,
429 and 5xx are retried with exponential backoff and jitter, honouring ``Retry-After`` up to a
minute (``commitdigest.retry``); other 4xx are final. A 200 that carries an
application error (Feishu ``code``, DingTalk/WeCom ``errcode``, a Slack-compatible ``"ok": false``)
is a failure too, and so is a redirect: only a 307/308 to the same scheme, host and port is
followed (a webhook URL is a credential and its message is not for another host).
All channels of a run share one time budget (``deadline``), so a slow or throttling server
cannot hold the run, and the output directory's lock, for long.
Errors name the channel and its host, never the URL.
"""

from __future__ import annotations

import os
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import httpx
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from commitdigest.models import Report
from commitdigest.notify import registry
from commitdigest.notify.config import Channel, NotifyError
from commitdigest.notify.digest import Digest, Message, report_message, rollup_message
from commitdigest.notify.registry import Final, Request, Transient
from commitdigest.retry import RETRY_AFTER_MAX, backoff, retry_after

if TYPE_CHECKING:
    from commitdigest.rollup import Rollup


class Delivery(BaseModel):
    channel: str
    type: str
    ok: bool
    attempts: int
    error: str | None = None
    seconds: float = 0.0
    skipped: bool = False  # the channel's `when` said there was nothing worth sending


#: the rollup period each rollup ``when`` asks for
ROLLUP_WHEN = {"weekly": "week", "monthly": "month"}


def _worth_sending(when: str, digest: Digest) -> bool:
    """Whether a channel wants this daily report (rollup channels want no daily message)."""
    return when == "always" or (when == "commits" and digest.total > 0) or (when == "high" and bool(digest.items))


MAX_REDIRECTS = 3


class _Budget:
    """The time left for all deliveries of a run; ``None`` means unbounded."""

    def __init__(self, seconds: float | None):
        self.until = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float:
        return float("inf") if self.until is None else self.until - time.monotonic()


def _waiter(base: float):
    """Retry-After when the server gave one (up to a minute), else exponential backoff with full
    jitter: a wait anywhere up to ``base · 2^n``, at most 30 times ``base``."""
    cap = max(base * 30, 0.001)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return min(exc.retry_after, RETRY_AFTER_MAX)
        return backoff(state.attempt_number - 1, base=base, cap=cap, spread=1.0) if base else 0.0

    return wait


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or "?"


def _same_origin(a: str, b: str) -> bool:
    x, y = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return (x.scheme, x.hostname, x.port) == (y.scheme, y.hostname, y.port)


def _post(client: httpx.Client, request: Request, check: Callable[[httpx.Response], str | None] | None,
          timeout: float) -> None:
    url = request.url
    host = _host(url)
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = client.post(target, json=request.payload, headers=dict(request.headers), timeout=timeout)
        except httpx.TimeoutException:
            raise Transient(f"timed out talking to {host}") from None
        except httpx.TransportError as exc:
            raise Transient(f"cannot reach {host}: {type(exc).__name__}") from None
        if not 300 <= response.status_code < 400:
            break
        location = response.headers.get("Location")
        nxt = urllib.parse.urljoin(target, location) if location else None
        # 307/308 repeat the POST as is; the others would turn it into a GET, which delivers nothing.
        if response.status_code not in (307, 308) or nxt is None or not _same_origin(url, nxt):
            elsewhere = f" to {_host(nxt)}" if nxt and not _same_origin(url, nxt) else ""
            raise Final(f"{host} answered HTTP {response.status_code} (a redirect{elsewhere}, not followed); "
                        "not delivered")
        target = nxt
    else:
        raise Final(f"{host}: more than {MAX_REDIRECTS} redirects; not delivered")
    if response.status_code == 429 or response.status_code >= 500:
        raise Transient(f"{host} answered HTTP {response.status_code}", retry_after(response.headers))
    if response.status_code >= 400:
        raise Final(f"{host} answered HTTP {response.status_code}")
    problem = check(response) if check is not None else None
    if problem:
        raise Final(f"{host}: {problem}")


class _OutOfTime(Exception):
    pass


def _attempts(channel: Channel, action: Callable[[], None], budget: _Budget) -> int:
    """Runs ``action`` under the channel's retry policy, within ``budget``; returns the number
    of attempts."""
    count = 0
    wait = _waiter(channel.backoff)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= channel.retries + 1:
            return True
        if wait(state) >= budget.left():  # the wait alone would use up the run's delivery time
            exc = state.outcome.exception() if state.outcome else None
            raise _OutOfTime(f"{exc}; the run's delivery time ran out before the next attempt") from None
        return False

    for attempt in Retrying(stop=stop, wait=wait, retry=retry_if_exception_type(Transient), reraise=True):
        with attempt:
            count += 1
            action()
    return count


DEFAULT_DEADLINE = 120.0


def deliver(report: Report, settings: list[Channel], *, report_url: str | None = None,
            markdown: str | None = None, html: str | None = None, stem: str = "report",
            env: Mapping[str, str] | None = None, deadline: float | None = DEFAULT_DEADLINE,
            on_delivery: Callable[[int, Delivery], None] | None = None) -> list[Delivery]:
    """Sends ``report`` to every channel that takes daily reports; one Delivery per channel of
    ``settings``, in order (``skipped`` for a channel whose ``when`` declines it, rollup channels
    included). Never raises, but for a ``report`` that is not a ``Report``. All channels together take at most ``deadline`` seconds (a channel
    left without time fails, to be retried by the next run). ``on_delivery(index, delivery)`` is
    called as each channel finishes, so a caller can record it at once."""
    if not isinstance(report, Report):  # a caller's bug, not a delivery failure: say so at once
        raise TypeError("deliver() takes a Report record; read a JSON twin with commitdigest.api.load_report")
    message = report_message(report, report_url=report_url, markdown=markdown, html=html, stem=stem)
    wanted = [c.when not in ROLLUP_WHEN and _worth_sending(c.when, message.digest) for c in settings]
    return _deliver_all(message, settings, wanted, env, deadline, on_delivery)


def deliver_rollup(rollup: Rollup, settings: list[Channel], *, report_url: str | None = None,
                   markdown: str | None = None, html: str | None = None, stem: str | None = None,
                   env: Mapping[str, str] | None = None, deadline: float | None = DEFAULT_DEADLINE,
                   on_delivery: Callable[[int, Delivery], None] | None = None) -> list[Delivery]:
    """Sends a weekly (monthly) rollup to the channels with ``when = "weekly"`` (``"monthly"``):
    its title, totals, high-importance changes with their links, and the difference from the
    previous period. One Delivery per channel of ``settings``, in order, the others ``skipped``;
    retries, deadline and ``on_delivery`` as for ``deliver``. Never raises."""
    message = rollup_message(rollup, report_url=report_url, markdown=markdown, html=html,
                             stem=stem or rollup.period.label)
    wanted = [ROLLUP_WHEN.get(c.when) == rollup.period.kind for c in settings]
    return _deliver_all(message, settings, wanted, env, deadline, on_delivery)


def _deliver_all(message: Message, settings: list[Channel], wanted: list[bool], env: Mapping[str, str] | None,
                 deadline: float | None, on_delivery: Callable[[int, Delivery], None] | None) -> list[Delivery]:
    env = os.environ if env is None else env
    budget = _Budget(deadline)
    results = []
    for i, (channel, send) in enumerate(zip(settings, wanted, strict=True)):
        if not send:
            done = Delivery(channel=channel.label, type=channel.type, ok=True, attempts=0,  # type: ignore[attr-defined]
                            skipped=True)
        elif budget.left() <= 0:
            done = Delivery(channel=channel.label, type=channel.type, ok=False, attempts=0,  # type: ignore[attr-defined]
                            error=f"not sent: the run's delivery time ({deadline:g}s) ran out")
        else:
            done = _deliver_one(channel, message, env, budget)
        results.append(done)
        if on_delivery is not None:
            on_delivery(i, done)
    return results


def _deliver_one(channel: Channel, message: Message, env: Mapping[str, str], budget: _Budget) -> Delivery:
    started, attempts, error = time.monotonic(), 0, None

    def timeout() -> float:  # no attempt outlives the budget
        return max(0.1, min(channel.timeout, budget.left()))

    try:
        kind = registry.of(channel)
        if kind.send is not None:
            send = kind.send

            def action() -> None:
                nonlocal attempts
                attempts += 1
                send(channel, message, env, timeout())

            _attempts(channel, action, budget)
        else:
            assert kind.build is not None
            request = kind.build(channel, message, env)
            with httpx.Client(timeout=channel.timeout, follow_redirects=False) as client:
                def post() -> None:
                    nonlocal attempts
                    attempts += 1
                    _post(client, request, kind.check, timeout())

                _attempts(channel, post, budget)
    except (Transient, Final, NotifyError, _OutOfTime) as exc:
        error = str(exc)
        if isinstance(exc, Transient) and attempts > 1:
            error += f" (gave up after {attempts} attempts)"
    except Exception as exc:  # a channel's bug must not cost the other channels or the run
        error = f"{type(exc).__name__}: {exc}"
    return Delivery(channel=channel.label, type=channel.type, ok=error is None,  # type: ignore[attr-defined]
                    attempts=attempts, error=error, seconds=round(time.monotonic() - started, 2))
