"""Delivery: post each channel's message, retrying what is worth retrying, never raising.

Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter
(tenacity), honouring ``Retry-After`` up to a minute; other 4xx are final. A 200 that carries an
application error (Feishu ``code``, DingTalk/WeCom ``errcode``, a Slack-compatible ``"ok": false``)
is a failure too, and so is a redirect: only a 307/308 to the same scheme, host and port is
followed (a webhook URL is a credential and its message is not for another host).
All channels of a run share one time budget (``deadline``), so a slow or throttling server
cannot hold the run, and the output directory's lock, for long.
Errors name the channel and its host, never the URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import urllib.parse
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_random_exponential,
)

from commitdigest.models import Report
from commitdigest.notify import channels
from commitdigest.notify.config import (
    DingTalk,
    Email,
    Feishu,
    NotifyError,
    Slack,
    Webhook,
    WeCom,
)
from commitdigest.notify.digest import Digest, build_digest


class Delivery(BaseModel):
    channel: str
    type: str
    ok: bool
    attempts: int
    error: str | None = None
    seconds: float = 0.0
    skipped: bool = False  # the channel's `when` said there was nothing worth sending


def _worth_sending(when: str, digest: Digest) -> bool:
    return when == "always" or (when == "commits" and digest.total > 0) or (when == "high" and bool(digest.items))


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _Final(Exception):
    pass


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


RETRY_AFTER_MAX = 60.0  # a server asking for longer is treated as down for this run
MAX_REDIRECTS = 3


class _Budget:
    """The time left for all deliveries of a run; ``None`` means unbounded."""

    def __init__(self, seconds: float | None):
        self.until = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float:
        return float("inf") if self.until is None else self.until - time.monotonic()


def _waiter(backoff: float):
    jitter = wait_random_exponential(multiplier=backoff, max=max(backoff * 30, 0.001))

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, RETRY_AFTER_MAX)
        return jitter(state) if backoff else 0.0

    return wait


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).hostname or "?"


def sign_feishu(secret: str, timestamp: int) -> str:
    # Feishu/Lark: HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message, base64.
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def sign_dingtalk(secret: str, timestamp_ms: int) -> str:
    # DingTalk: HMAC-SHA256 keyed with the secret over "timestamp\nsecret", base64, URL-encoded.
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def _app_error(kind: str, response: httpx.Response) -> str | None:
    if kind == "slack":
        # Slack answers a plain "ok" and reports errors with 4xx/5xx; Slack-compatible servers
        # (Rocket.Chat, Mattermost) answer 2xx with JSON, whose explicit false is their error.
        try:
            data = response.json()
        except ValueError:
            return None
        if isinstance(data, dict) and (data.get("ok") is False or data.get("success") is False):
            return f"answered {response.text.strip()[:80]!r}"
        return None
    if kind in ("feishu", "lark", "dingtalk", "wecom"):
        try:
            data = response.json()
        except ValueError:
            return f"answer is not JSON: {response.text[:80]!r}"
        code = data.get("code", data.get("StatusCode", 0)) if kind in ("feishu", "lark") else data.get("errcode", 0)
        if code not in (0, None):
            message = data.get("msg") or data.get("errmsg") or data.get("StatusMessage") or ""
            return f"error {code}: {message}"[:200]
    return None


def _same_origin(a: str, b: str) -> bool:
    x, y = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
    return (x.scheme, x.hostname, x.port) == (y.scheme, y.hostname, y.port)


def _post(client: httpx.Client, kind: str, url: str, payload: dict[str, Any], headers: Mapping[str, str],
          timeout: float) -> None:
    host = _host(url)
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = client.post(target, json=payload, headers=dict(headers), timeout=timeout)
        except httpx.TimeoutException:
            raise _Transient(f"timed out talking to {host}") from None
        except httpx.TransportError as exc:
            raise _Transient(f"cannot reach {host}: {type(exc).__name__}") from None
        if not 300 <= response.status_code < 400:
            break
        location = response.headers.get("Location")
        nxt = urllib.parse.urljoin(target, location) if location else None
        # 307/308 repeat the POST as is; the others would turn it into a GET, which delivers nothing.
        if response.status_code not in (307, 308) or nxt is None or not _same_origin(url, nxt):
            elsewhere = f" to {_host(nxt)}" if nxt and not _same_origin(url, nxt) else ""
            raise _Final(f"{host} answered HTTP {response.status_code} (a redirect{elsewhere}, not followed); "
                         "not delivered")
        target = nxt
    else:
        raise _Final(f"{host}: more than {MAX_REDIRECTS} redirects; not delivered")
    if response.status_code == 429 or response.status_code >= 500:
        raise _Transient(f"{host} answered HTTP {response.status_code}", _retry_after(response))
    if response.status_code >= 400:
        raise _Final(f"{host} answered HTTP {response.status_code}")
    problem = _app_error(kind, response)
    if problem:
        raise _Final(f"{host}: {problem}")


def _http_message(channel, digest: Digest, report_json: dict, env: Mapping[str, str]) -> tuple[str, dict, dict]:
    url = channel.url_value(env)
    headers: dict[str, str] = {}
    if isinstance(channel, Feishu):
        payload = channels.feishu(digest)
        secret = channel.secret_value(env)
        if secret:
            ts = int(time.time())
            payload = {"timestamp": str(ts), "sign": sign_feishu(secret, ts), **payload}
    elif isinstance(channel, DingTalk):
        payload = channels.dingtalk(digest)
        secret = channel.secret_value(env)
        if secret:
            ts = int(time.time() * 1000)
            url += ("&" if "?" in url else "?") + f"timestamp={ts}&sign={sign_dingtalk(secret, ts)}"
    elif isinstance(channel, WeCom):
        payload = channels.wecom(digest)
    elif isinstance(channel, Slack):
        payload = channels.slack(digest)
    else:
        assert isinstance(channel, Webhook)
        payload = channels.webhook(digest, report_json)
        headers = dict(channel.headers)
    return url, payload, headers


class _OutOfTime(Exception):
    pass


def _attempts(channel, action, budget: _Budget) -> int:
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

    for attempt in Retrying(stop=stop, wait=wait, retry=retry_if_exception_type(_Transient), reraise=True):
        with attempt:
            count += 1
            action()
    return count


DEFAULT_DEADLINE = 120.0


def deliver(report: Report | dict, settings: list, *, report_url: str | None = None, markdown: str | None = None,
            html: str | None = None, stem: str = "report", env: Mapping[str, str] | None = None,
            deadline: float | None = DEFAULT_DEADLINE,
            on_delivery: Callable[[int, Delivery], None] | None = None) -> list[Delivery]:
    """Sends ``report`` (the record, or its JSON twin) to every channel; one Delivery each, in
    order. Never raises. All channels together take at most ``deadline`` seconds (a channel
    left without time fails, to be retried by the next run). ``on_delivery(index, delivery)``
    is called as each channel finishes, so a caller can record it at once."""
    env = os.environ if env is None else env
    report_json = report.to_json_dict() if isinstance(report, Report) else report
    digest = build_digest(report_json, report_url)
    budget = _Budget(deadline)
    results = []
    for i, channel in enumerate(settings):
        if not _worth_sending(channel.when, digest):
            done = Delivery(channel=channel.label, type=channel.type, ok=True, attempts=0, skipped=True)
        elif budget.left() <= 0:
            done = Delivery(channel=channel.label, type=channel.type, ok=False, attempts=0,
                            error=f"not sent: the run's delivery time ({deadline:g}s) ran out")
        else:
            done = _deliver_one(channel, digest, report_json, markdown, html, stem, env, budget)
        results.append(done)
        if on_delivery is not None:
            on_delivery(i, done)
    return results


def _deliver_one(channel, digest: Digest, report_json: dict, markdown: str | None, html: str | None,
                 stem: str, env: Mapping[str, str], budget: _Budget) -> Delivery:
    started, attempts, error = time.monotonic(), 0, None

    def counted(send) -> None:
        nonlocal attempts
        attempts += 1
        send()

    def timeout() -> float:  # no attempt outlives the budget
        return max(0.1, min(channel.timeout, budget.left()))

    try:
        if isinstance(channel, Email):
            from commitdigest.notify.email import send_email

            _attempts(channel, lambda: counted(lambda: send_email(channel, digest, markdown=markdown, html=html,
                                                                   stem=stem, env=env, timeout=timeout())),
                      budget)
        else:
            url, payload, headers = _http_message(channel, digest, report_json, env)
            with httpx.Client(timeout=channel.timeout, follow_redirects=False) as client:
                _attempts(channel, lambda: counted(lambda: _post(client, channel.type, url, payload, headers,
                                                                 timeout())), budget)
    except (_Transient, _Final, NotifyError, _OutOfTime) as exc:
        error = str(exc)
        if isinstance(exc, _Transient) and attempts > 1:
            error += f" (gave up after {attempts} attempts)"
    except Exception as exc:  # a sender bug must not cost the other channels or the run
        error = f"{type(exc).__name__}: {exc}"
    return Delivery(channel=channel.label, type=channel.type, ok=error is None, attempts=attempts, error=error,
                    seconds=round(time.monotonic() - started, 2))
