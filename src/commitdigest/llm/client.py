"""One chat completion against any OpenAI-compatible server, with the failure handling a batch
of dozens of calls needs.

- Retries on 408/409/429/5xx, timeouts and dropped connections: exponential backoff with jitter,
  or exactly the server's ``Retry-After`` when it sends one. The SDK can retry too, but it cannot
  tell llama.cpp's HTTP 500 "this response_format is not supported" from a transient 500 — it
  would retry a request that can never succeed — and it does not report how often it retried.
  So the SDK's own retries are off and this module decides.
- A hard per-call timeout on top of the HTTP client's (whose read timeout is per chunk, so a
  server trickling bytes could otherwise hold a call forever).
- Structured output degrades ``json_schema`` → ``json_object`` + schema → plain prompt when a
  server rejects a mode; the weaker mode is kept in ``FormatState`` for the rest of the run, so
  only the calls in flight at the moment of discovery pay for it.
- Usage (calls, tokens, retries) is counted here, where the responses are.

Error texts built here are short and never contain the API key, the request or the response
body beyond a status line.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import openai

from commitdigest.llm.pacing import Pacer, Ticket
from commitdigest.llm.settings import KEY_ENV, LLMSettings, ResponseFormat
from commitdigest.retry import RETRY_AFTER_MAX, backoff, retry_after

log = logging.getLogger("commitdigest.llm")

FORMATS: tuple[ResponseFormat, ...] = ("json_schema", "json_object", "prompt")
RETRY_STATUS = frozenset({408, 409, 429})
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0

# Words in an error body that mean "I do not understand this response_format".
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "response format")


class LLMCallError(Exception):
    """A call failed for good (retries exhausted or not retryable). ``reason`` is report-safe."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class KeyRefused(LLMCallError):
    """HTTP 401/403: no call of the run can succeed until the key is set or replaced."""

    def __init__(self, status: int, key_given: bool):
        if key_given:
            why = f"the server refused the API key (HTTP {status}): check {KEY_ENV}"
        else:
            why = f"the server needs an API key (HTTP {status}): set {KEY_ENV}"
        super().__init__(why)
        self.status = status


def connection_reason(exc: BaseException, base_url: str | None) -> str:
    """What a failed connection means in words: an unknown host (DNS) is not a refused port."""
    import socket

    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = str(cause).lower()
        if isinstance(cause, socket.gaierror) or "name or service not known" in text \
                or "nodename nor servname" in text or "temporary failure in name resolution" in text \
                or "no address associated" in text or "name resolution" in text:
            import urllib.parse

            host = urllib.parse.urlsplit(base_url or "").hostname or "?"
            return f"host unknown: {host} (DNS lookup failed)"
        cause = cause.__cause__ or cause.__context__
    return "connection refused or dropped"


class ContextOverflow(LLMCallError):
    """The prompt does not fit the model's context window (a local server with a small n_ctx).
    ``limit`` is the window in tokens when the server says it."""

    def __init__(self, limit: int | None):
        super().__init__("prompt longer than the model's context window" + (f" ({limit} tokens)" if limit else ""))
        self.limit = limit


_CONTEXT_WORDS = ("context_length_exceeded", "maximum context length", "context window", "context length",
                  "n_ctx", "too many tokens", "prompt is too long")


def _context_overflow(exc: openai.APIStatusError) -> ContextOverflow | None:
    if exc.status_code not in (400, 413, 422):
        return None
    text = f"{exc.message} {exc.body!r}"
    if not any(w in text.lower() for w in _CONTEXT_WORDS):
        return None
    m = re.search(r"(?:maximum context length|context window|n_ctx)\D{0,20}(\d{3,7})", text, re.IGNORECASE)
    return ContextOverflow(int(m.group(1)) if m else None)


class FormatRejected(Exception):
    def __init__(self, mode: ResponseFormat):
        super().__init__(mode)
        self.mode = mode


@dataclass
class FormatState:
    """The structured-output mode in force for a run, shared by all concurrent calls."""

    mode: ResponseFormat = "json_schema"
    downgrades: list[str] = field(default_factory=list)

    def downgrade(self, rejected: ResponseFormat) -> bool:
        """Move past ``rejected``; False when there is nothing weaker left. Calls that were in
        flight with the same mode find it already moved and just retry with the new one."""
        if self.mode != rejected:
            return True
        i = FORMATS.index(rejected)
        if i + 1 >= len(FORMATS):
            return False
        self.mode = FORMATS[i + 1]
        self.downgrades.append(f"{rejected}->{self.mode}")
        log.info("server rejected response_format %s; using %s for the rest of the run", rejected, self.mode)
        return True


@dataclass
class Meter:
    calls: int = 0  # HTTP requests sent, retries included: each one may cost
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    answers: int = 0  # completions received
    #: model name the server put in its answers → how many answers carried it
    served: dict[str, int] = field(default_factory=dict)


@dataclass
class Completion:
    content: str
    mode: ResponseFormat
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int


def response_format(mode: ResponseFormat, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}
    if mode == "json_object":
        # llama.cpp (and a few others) read an extra "schema" here and enforce it by grammar;
        # servers that do not simply ignore it and still return a JSON object.
        return {"type": "json_object", "schema": schema}
    return None


def _rejects_format(exc: openai.APIStatusError) -> bool:
    if exc.status_code not in (400, 415, 422, 500, 501):
        return False
    text = f"{exc.message} {exc.body!r}".lower()
    return any(w in text for w in _FORMAT_WORDS)


class LLMClient:
    """Lives for one asyncio run (the HTTP connection pool is bound to its event loop)."""

    def __init__(self, settings: LLMSettings, state: FormatState, meter: Meter,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, pacer: Pacer | None = None):
        self.settings = settings
        self.state = state
        self.meter = meter
        self._sleep = sleep
        self.pacer = pacer or Pacer(settings.concurrency, adaptive=False, hold=0.0)
        self._sdk = openai.AsyncOpenAI(
            base_url=settings.base_url, api_key=settings.api_key_value(), timeout=settings.timeout,
            max_retries=0, default_headers=settings.headers or None,
        )

    async def aclose(self) -> None:
        await self._sdk.close()

    def request(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
                mode: ResponseFormat | None = None, max_tokens: int | None = None) -> dict[str, Any]:
        """The exact body sent for ``messages`` in ``mode`` (default: the mode in force)."""
        mode = mode or self.state.mode
        body: dict[str, Any] = {
            "model": self.settings.model, "messages": messages,
            "temperature": self.settings.temperature, "max_tokens": max_tokens or self.settings.max_tokens,
        }
        fmt = response_format(mode, schema, name)
        if fmt is not None:
            body["response_format"] = fmt
        return body

    async def complete(self, build: Callable[[ResponseFormat], list[dict[str, str]]],
                       schema: Callable[[ResponseFormat], dict[str, Any]], name: str,
                       max_tokens: int | None = None) -> Completion:
        """``build(mode)`` gives the messages for a mode (plain-prompt mode carries the schema in
        the system message) and ``schema(mode)`` the schema as sent in it, so a downgrade can
        rebuild both."""
        while True:
            mode = self.state.mode
            try:
                body = self.request(build(mode), schema(mode), name, mode, max_tokens)
                return await self._with_retries(body, mode)
            except FormatRejected as rejected:
                if not self.state.downgrade(rejected.mode):
                    raise LLMCallError("server rejects every structured-output mode") from None

    async def _with_retries(self, body: dict[str, Any], mode: ResponseFormat) -> Completion:
        attempt = 0
        queued = 0  # timeouts spent waiting behind other requests: retried without counting
        while True:
            delay: float | None = None
            ticket = await self.pacer.acquire()
            outcome = "error"
            try:
                result = await self._once(body, mode)
                outcome = "ok"
                return result
            except openai.APIStatusError as exc:
                overflow = _context_overflow(exc)
                if overflow is not None:
                    raise overflow from None  # retrying the same prompt cannot help
                if mode != "prompt" and _rejects_format(exc):
                    raise FormatRejected(mode) from None
                status = exc.status_code
                if status in (401, 403):
                    raise KeyRefused(status, self.settings.api_key is not None) from None
                if not (status in RETRY_STATUS or status >= 500) or attempt >= self.settings.retries:
                    raise LLMCallError(f"HTTP {status}" + _retry_note(attempt)) from None
                delay = retry_after(exc.response.headers)
                if delay is not None and delay > RETRY_AFTER_MAX:
                    raise LLMCallError(f"HTTP {status}, server asked to wait {delay:.0f}s") from None
                why = f"HTTP {status}"
            except (TimeoutError, openai.APITimeoutError):
                outcome = "timeout"
                if self._queued(ticket) and queued < _QUEUE_RETRIES:
                    queued += 1
                    log.info("LLM call timed out behind other requests; retrying with fewer in flight "
                             "(now %d)", self.pacer.limit)
                    continue
                if attempt >= self.settings.retries:
                    raise LLMCallError(f"timed out after {self.settings.timeout:g}s" + _retry_note(attempt)) from None
                why = "timeout"
            except openai.APIConnectionError as exc:
                if attempt >= self.settings.retries:
                    raise LLMCallError(connection_reason(exc, self.settings.base_url) + _retry_note(attempt)) from None
                why = "connection error"
            finally:
                await self.pacer.release(ticket, outcome)
            if delay is None:
                delay = backoff(attempt, base=BACKOFF_BASE, cap=BACKOFF_MAX)  # 50–100 % of the step
            attempt += 1
            self.meter.retries += 1
            log.info("LLM call failed (%s); retry %d of %d in %.2fs", why, attempt, self.settings.retries, delay)
            await self._sleep(delay)

    def _queued(self, ticket: Ticket) -> bool:
        """A timeout that most likely came from waiting in the server's queue: other requests
        were held with this one, and the pacer adapts to what the server takes."""
        return self.pacer.adaptive and ticket.crowded

    async def _once(self, body: dict[str, Any], mode: ResponseFormat) -> Completion:
        self.meter.calls += 1
        # The HTTP client's own timeout bounds each read; this bounds the whole call.
        resp = await asyncio.wait_for(self._create_bounded(body), timeout=self.settings.timeout + 1.0)
        usage = getattr(resp, "usage", None)
        pt = int(getattr(usage, "prompt_tokens", 0) or 0)
        ct = int(getattr(usage, "completion_tokens", 0) or 0)
        self.meter.prompt_tokens += pt
        self.meter.completion_tokens += ct
        if not resp.choices:
            raise LLMCallError("empty answer (no choices)")
        self.meter.answers += 1
        served = getattr(resp, "model", None)
        if isinstance(served, str) and served.strip():
            key = self.settings.scrub(served.strip()[:200])
            self.meter.served[key] = self.meter.served.get(key, 0) + 1
        choice = resp.choices[0]
        # Our key and header values out of the answer before it is parsed, cached or rendered.
        return Completion(content=self.settings.scrub(choice.message.content or ""), mode=mode,
                          finish_reason=choice.finish_reason, prompt_tokens=pt, completion_tokens=ct)

    async def _create_bounded(self, body: dict[str, Any]) -> Any:
        """The completion, read as a stream and abandoned past ``MAX_RESPONSE_BYTES``: a server
        answering megabytes costs that commit its model analysis (the offline one stands in),
        not the run's memory, and the answer never reaches the parser or the report."""
        import json

        async with self._sdk.chat.completions.with_streaming_response.create(**body) as raw:
            declared = raw.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise LLMCallError(f"answer too large ({int(declared) // 1024} KB, "
                                   f"limit {MAX_RESPONSE_BYTES // 1024} KB)")
            data = bytearray()
            async for chunk in raw.iter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    raise LLMCallError(f"answer too large (over {MAX_RESPONSE_BYTES // 1024} KB)")
        try:
            parsed = json.loads(bytes(data))
        except ValueError:
            raise LLMCallError("answer is not JSON") from None
        if not isinstance(parsed, dict):
            raise LLMCallError("answer is not a JSON object")
        return openai.types.chat.ChatCompletion.construct(**parsed)


# A chat completion for one commit is a few KB; more is a broken or hostile server.
MAX_RESPONSE_BYTES = 256 * 1024
#: timeouts behind other requests one call may have retried for free (the pacer halves each round)
_QUEUE_RETRIES = 8


@dataclass
class ServerFacts:
    """What the server says about itself before the run (all optional: many say nothing)."""

    models: list[str] = field(default_factory=list)  # ids listed by GET /models
    context: int | None = None  # tokens of context per request, when the server tells
    slots: int | None = None  # requests it serves at once, when it tells
    refused: KeyRefused | None = None  # GET /models answered 401/403: the key is missing or wrong


# Where servers put the context size: vLLM ``max_model_len``, OpenRouter/LM Studio
# ``context_length``, others ``context_window``; llama.cpp's ``meta`` holds the trained size only.
_CONTEXT_KEYS = ("max_model_len", "context_length", "context_window", "max_context_length")


def _context_of(entry: Any) -> int | None:
    if not isinstance(entry, dict):
        return None
    for key in _CONTEXT_KEYS:
        value = entry.get(key)
        if isinstance(value, int) and value > 0:
            return value
    meta = entry.get("meta")
    if isinstance(meta, dict):
        for key in ("n_ctx", "n_ctx_train"):
            value = meta.get(key)
            if isinstance(value, int) and value > 0:
                return value
    return None


def _props_context(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    settings = data.get("default_generation_settings")
    for holder in (settings, data):
        if isinstance(holder, dict) and isinstance(holder.get("n_ctx"), int) and holder["n_ctx"] > 0:
            return holder["n_ctx"]
    return None


def _count(data: Any, key: str) -> int | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


async def server_facts(settings: LLMSettings, timeout: float = 10.0) -> ServerFacts:
    """``GET /models`` (OpenAI-compatible), llama.cpp's ``GET /props`` and Text Generation
    Inference's ``GET /info``: the models served, the context size, how many requests the server
    serves at once, and — from the answer to ``/models``, the one cheap request every server
    has — whether it refuses the key. Any other failure just leaves a fact unknown."""
    import httpx

    facts = ServerFacts()
    base = (settings.base_url or "").rstrip("/")
    headers = {"Authorization": f"Bearer {settings.api_key_value()}", **settings.headers}
    limit = min(timeout, settings.timeout)
    async with httpx.AsyncClient(timeout=limit, headers=headers, follow_redirects=False) as http:
        status, listed = await _get_json(http, base + "/models")
        if status in (401, 403):
            facts.refused = KeyRefused(status, settings.api_key is not None)
            return facts
        entries = listed.get("data") if isinstance(listed, dict) else None
        if isinstance(entries, list):
            facts.models = [e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)]
            mine = [e for e in entries if isinstance(e, dict) and e.get("id") == settings.model]
            pick = mine or (entries if len(entries) == 1 else [])
            facts.context = _context_of(pick[0]) if pick else None
        root = base.removesuffix("/v1")
        _, props = await _get_json(http, root + "/props")
        context = _props_context(props)
        if context:
            facts.context = context  # the running context, where /models may give the trained one
        facts.slots = _count(props, "total_slots")
        if facts.slots is None:
            _, info = await _get_json(http, root + "/info")
            facts.slots = _count(info, "max_concurrent_requests")
    return facts


_MAX_FACTS_BYTES = 1 << 20


async def _get_json(http: Any, url: str) -> tuple[int | None, Any]:
    """(the HTTP status, the JSON body when it is one and 200); (None, None) when the request
    failed."""
    try:
        resp = await http.get(url)
        if resp.status_code != 200 or len(resp.content) > _MAX_FACTS_BYTES:
            return resp.status_code, None
        return resp.status_code, resp.json()
    except Exception as exc:  # noqa: BLE001 — an unreadable answer is an unknown fact, not an error
        log.debug("GET %s: %s", url, type(exc).__name__)
        return None, None


def _retry_note(attempt: int) -> str:
    return f" after {attempt} retr{'y' if attempt == 1 else 'ies'}" if attempt else ""
