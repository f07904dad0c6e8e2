"""One hosting API's requests for one run: timeouts, rate limits and failures in one place.

The API is a nicety: whatever it does, the report goes out. A rate limit or a refused token stops
the asking for the rest of the run (``Stop``), with a reason for the coverage line; a failed
request (5xx, network) costs its one item (``ItemFailed``), and three in a row stop the asking.
Nothing here sleeps longer than ``SHORT_WAIT``.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from commitdigest.retry import retry_after

log = logging.getLogger("commitdigest")

SHORT_WAIT = 2.0  # seconds a retry-after may ask for before we give up instead of waiting
FAILURES_TO_STOP = 3


class Stop(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ItemFailed(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _header(r: httpx.Response, *names: str) -> str | None:
    return next((r.headers[n] for n in names if n in r.headers), None)


def _reset_text(r: httpx.Response) -> str:
    reset = _header(r, "x-ratelimit-reset", "ratelimit-reset")
    try:
        when = datetime.fromtimestamp(int(reset), UTC) if reset else None
    except (ValueError, OverflowError, OSError):
        when = None
    return f" (resets {when:%H:%M} UTC)" if when else ""


class Api:
    def __init__(self, name: str, headers: dict[str, str], timeout: float, max_requests: int,
                 stopped: dict[str, str], key: str, spent: dict[str, int] | None = None, spent_key: str = ""):
        self.name = name  # "GitHub", "GitLab": what the coverage line calls it
        self.client = httpx.Client(headers={"User-Agent": "commitdigest", **headers}, timeout=timeout,
                                   follow_redirects=True)
        self.max_requests = max_requests
        self.requests = 0
        self.failures = 0
        self.last_failure: str | None = None
        # Shared by every repository of the run on this API: a limit reached for one holds for all.
        self._stopped = stopped
        self._key = key
        self._exhausted: str | None = None
        self._budget_spent: str | None = None  # this repository's share, not the API's
        # The repository's requests of the whole run, this client's and earlier ones' alike.
        self._spent = {} if spent is None else spent
        self._spent_key = spent_key

    @property
    def stopped(self) -> str | None:
        return self._stopped.get(self._key) or self._budget_spent

    def stop(self, reason: str) -> Stop:
        if self._key not in self._stopped:
            self._stopped[self._key] = reason
            log.warning("pull-request metadata: %s; not asked again this run", reason)
        return Stop(self._stopped[self._key])

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """The response of a 2xx, ``None`` for a 404; raises ``Stop`` or ``ItemFailed``."""
        if self.stopped:
            raise Stop(self.stopped)
        if self._exhausted:
            raise self.stop(self._exhausted)
        for attempt in range(2):
            used = self._spent.get(self._spent_key, 0)
            if used >= self.max_requests:
                self._budget_spent = f"{self.name}: {self.max_requests} requests asked, the most one run may"
                raise Stop(self._budget_spent)
            self._spent[self._spent_key] = used + 1
            self.requests += 1
            try:
                r = self.client.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                raise self._fail(f"{self.name} unreachable ({type(exc).__name__})") from None
            if r.status_code in (403, 429) and self._limited(r):
                seconds = retry_after(r.headers)
                if attempt == 0 and seconds is not None and seconds <= SHORT_WAIT:
                    time.sleep(seconds)
                    continue
                raise self.stop(f"{self.name} rate limit reached{_reset_text(r)}")
            break
        if r.status_code == 401:
            raise self.stop(f"{self.name} rejected the token (401)")
        if r.status_code == 403:
            raise self.stop(f"{self.name} refused access (403)")
        # 404: gone, or private; 422: a commit the server does not have (not pushed yet).
        if r.status_code in (404, 422):
            self.failures = 0
            return None
        if not 200 <= r.status_code < 300:
            raise self._fail(f"{self.name} answered {r.status_code}")
        self.failures = 0
        if _header(r, "x-ratelimit-remaining", "ratelimit-remaining") == "0":
            # This answer is good; the next request would be refused.
            self._exhausted = f"{self.name} rate limit reached{_reset_text(r)}"
        return r

    def json(self, r: httpx.Response) -> Any:
        try:
            return r.json()
        except ValueError:
            raise self._fail(f"{self.name} answered something that is not JSON") from None

    def paged(self, url: str, key: str, forge: str) -> list[dict] | None:
        """Every object of a paged list answer that carries an integer ``key``, following the
        ``next`` links (which carry their own query); None when a request was not made."""
        next_url: str | None = url
        params: dict[str, Any] | None = {"per_page": 100}
        found: list[dict] = []
        while next_url:
            r = self.request("GET", next_url, params=params)
            if r is None:
                return None
            page = self.json(r)
            if not isinstance(page, list):
                raise ItemFailed(f"{forge} answered an unexpected shape")
            found += [p for p in page if isinstance(p, dict) and isinstance(p.get(key), int)]
            next_url, params = r.links.get("next", {}).get("url"), None
        return found

    @staticmethod
    def _limited(r: httpx.Response) -> bool:
        return (r.status_code == 429 or _header(r, "x-ratelimit-remaining", "ratelimit-remaining") == "0"
                or "retry-after" in r.headers or "rate limit" in r.text[:2000].lower())

    def _fail(self, reason: str) -> Exception:
        self.last_failure = reason
        self.failures += 1
        if self.failures >= FAILURES_TO_STOP:
            return self.stop(reason)
        return ItemFailed(reason)

    def close(self) -> None:
        self.client.close()
