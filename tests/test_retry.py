"""One reading of Retry-After for the webhooks, the model server and the hosting APIs, and one
backoff policy; the hosting client against a real server on 127.0.0.1 that answers 429."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from capture_server import Answer, CaptureServer

from commitdigest.retry import backoff, retry_after

NOW = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC).timestamp()


def at_now() -> float:
    return NOW


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"Retry-After": " 2.5 "}, 2.5),
    ({"retry-after-ms": "1500", "Retry-After": "7"}, 1.5),  # the finer one first, as OpenAI-compatible servers mean
    ({"retry-after-ms": "soon", "Retry-After": "7"}, 7.0),  # an unreadable -ms falls back to Retry-After
    ({"Retry-After": "Mon, 23 Nov 2026 08:00:30 GMT"}, 30.0),
    ({"Retry-After": "Mon, 23 Nov 2026 08:00:30 -0000"}, 30.0),  # "-0000" is UTC too
    ({"Retry-After": "Sun, 22 Nov 2026 08:00:00 GMT"}, 0.0),  # a date already past: now
    ({"Retry-After": "-3"}, 0.0),
    ({"Retry-After": "nan"}, None),  # parses as a float, but is no delay
    ({"Retry-After": "inf"}, None),
    ({"Retry-After": "tomorrow-ish"}, None),
    ({"Retry-After": ""}, None),
    ({}, None),
    (None, None),
])
def test_retry_after_forms(headers, seconds):
    assert retry_after(headers, now=at_now) == seconds
    if headers:  # the same from httpx's case-insensitive headers, as every client passes them
        assert retry_after(httpx.Headers({k.upper(): v for k, v in headers.items()}), now=at_now) == seconds


def test_backoff_steps_caps_and_jitter():
    # equal jitter (the model client): 50-100 % of 0.5, 1, 2, 4, 8, 8 …
    assert [backoff(n, base=0.5, cap=8.0, rng=lambda: 1.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert [backoff(n, base=0.5, cap=8.0, rng=lambda: 0.0) for n in range(3)] == [0.25, 0.5, 1.0]
    # full jitter (the webhooks): anywhere from 0 to the step
    assert backoff(3, base=1.0, cap=30.0, spread=1.0, rng=lambda: 0.0) == 0.0
    assert backoff(3, base=1.0, cap=30.0, spread=1.0, rng=lambda: 0.25) == 2.0
    assert backoff(10_000, base=1.0, cap=30.0, rng=lambda: 1.0) == 30.0  # no overflow however many attempts


def test_hosting_waits_out_a_short_retry_after_given_as_a_date():
    """A 429 whose Retry-After is an HTTP-date (already reached) is waited out and asked again,
    as a number of seconds would be; before, only numbers were understood and the asking stopped."""
    from commitdigest.hosting.http import Api

    past = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    with CaptureServer() as server:
        server.script(Answer(429, headers={"Retry-After": past}, body={"message": "slow down"}))
        api = Api("GitHub", {}, timeout=5, max_requests=10, stopped={}, key="k")
        try:
            r = api.request("POST", server.url("/graphql"))
        finally:
            api.close()
        assert r is not None and r.status_code == 200 and len(server.posts) == 2
