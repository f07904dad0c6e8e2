"""Delivery: post each channel's message, retrying what is worth retrying, never raising.

Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter
(tenacity), honouring ``Retry-After``; other 4xx are final. A 200 that carries an application
error (Feishu ``code``, DingTalk/WeCom ``errcode``, a Slack-compatible ``"ok": false``) is a failure too.
Errors name the channel and its host, never the URL: a webhook URL is a credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import urllib.parse
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from commitdigest.models import Report
from commitdigest.notify import channels
from commitdigest.notify.config import DingTalk, Email, Feishu, NotifyError, Slack, WeCom, Webhook
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


def _waiter(backoff: float):
    jitter = wait_random_exponential(multiplier=backoff, max=max(backoff * 30, 0.001))

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return min(exc.retry_after, 300.0)
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


def _post(client: httpx.Client, kind: str, url: str, payload: dict[str, Any], headers: Mapping[str, str]) -> None:
    host = _host(url)
    try:
        response = client.post(url, json=payload, headers=dict(headers))
    except httpx.TimeoutException:
        raise _Transient(f"timed out talking to {host}") from None
    except httpx.TransportError as exc:
        raise _Transient(f"cannot reach {host}: {type(exc).__name__}") from None
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


def _attempts(channel, action) -> int:
    """Runs ``action`` under the channel's retry policy; returns the number of attempts."""
    count = 0
    for attempt in Retrying(stop=stop_after_attempt(channel.retries + 1), wait=_waiter(channel.backoff),
                            retry=retry_if_exception_type(_Transient), reraise=True):
        with attempt:
            count += 1
            action()
    return count


def deliver(report: Report | dict, settings: list, *, report_url: str | None = None, markdown: str | None = None,
            html: str | None = None, stem: str = "report", env: Mapping[str, str] | None = None) -> list[Delivery]:
    """Sends ``report`` (the record, or its JSON twin) to every channel; one Delivery each, in
    order. Never raises."""
    env = os.environ if env is None else env
    report_json = report.to_json_dict() if isinstance(report, Report) else report
    digest = build_digest(report_json, report_url)
    results = []
    for channel in settings:
        if not _worth_sending(channel.when, digest):
            results.append(Delivery(channel=channel.label, type=channel.type, ok=True, attempts=0, skipped=True))
            continue
        results.append(_deliver_one(channel, digest, report_json, markdown, html, stem, env))
    return results


def _deliver_one(channel, digest: Digest, report_json: dict, markdown: str | None, html: str | None,
                 stem: str, env: Mapping[str, str]) -> Delivery:
    started, attempts, error = time.monotonic(), 0, None

    def counted(send) -> None:
        nonlocal attempts
        attempts += 1
        send()

    try:
        if isinstance(channel, Email):
            from commitdigest.notify.email import send_email

            _attempts(channel, lambda: counted(lambda: send_email(channel, digest, markdown=markdown, html=html,
                                                                   stem=stem, env=env)))
        else:
            url, payload, headers = _http_message(channel, digest, report_json, env)
            with httpx.Client(timeout=channel.timeout, follow_redirects=False) as client:
                _attempts(channel, lambda: counted(lambda: _post(client, channel.type, url, payload, headers)))
    except (_Transient, _Final, NotifyError) as exc:
        error = str(exc)
        if isinstance(exc, _Transient) and attempts > 1:
            error += f" (gave up after {attempts} attempts)"
    except Exception as exc:  # a sender bug must not cost the other channels or the run
        error = f"{type(exc).__name__}: {exc}"
    return Delivery(channel=channel.label, type=channel.type, ok=error is None, attempts=attempts, error=error,
                    seconds=round(time.monotonic() - started, 2))
