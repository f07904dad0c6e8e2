"""A scriptable OpenAI-compatible Chat Completions server on 127.0.0.1, for tests and benchmarks.

It records every request (path, headers, JSON body) and answers from a queue of scripted
replies, then from ``default`` (a function of the request). Replies: a valid completion, any
HTTP error with headers (429 + Retry-After, 500), a slow answer, a dropped connection.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict → JSON; str → sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float  # time.monotonic() when it arrived

    @property
    def user_text(self) -> str:
        return "\n".join(m.get("content", "") for m in self.body.get("messages", []) if m.get("role") == "user")

    @property
    def text(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def format_type(self) -> str | None:
        fmt = self.body.get("response_format")
        return fmt.get("type") if fmt else None


def completion(content: str | dict, prompt_tokens: int = 100, completion_tokens: int = 50,
               finish_reason: str = "stop") -> Reply:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    return Reply(body={
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    })


def models(*ids: str, **extra: Any) -> Reply:
    """A ``GET /v1/models`` answer listing ``ids``, each entry with ``extra`` fields."""
    return Reply(body={"object": "list", "data": [{"id": i, "object": "model", "owned_by": "me", **extra}
                                                  for i in ids]})


def error(status: int, message: str = "error", headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body={"error": {"message": message, "type": "server_error", "code": status}},
                 headers=headers or {})


def answer(language: str = "zh", paths: list[str] | None = None, importance: str = "medium",
           change_type: str = "feature", **extra: Any) -> dict[str, Any]:
    """A valid answer; ``paths`` become its impact scope."""
    zh = language == "zh"
    data = {
        "summary": ["新增配置项并调整解析逻辑" if zh else "Adds an option and adjusts parsing"],
        "change_type": change_type,
        "importance": importance,
        "importance_reason": "影响默认行为" if zh else "changes default behaviour",
        "impact_scope": [{"path": p, "note": "核心逻辑" if zh else "core logic"} for p in (paths or [])],
        "insights": {"architecture": "", "performance": "", "security": ""},
        "risks": [{"risk": "兼容性风险" if zh else "compatibility", "detail": "", "severity": "low"}],
        "recommendations": ["升级前检查配置" if zh else "check configs before upgrading"],
        "conclusion": "值得关注" if zh else "worth a look",
    }
    data.update(extra)
    return data


# llama.cpp's Python server, verbatim in substance, when given response_format json_schema.
LLAMA_CPP_REJECTION = ("1 validation error for CreateChatCompletionRequest\nresponse_format.type\n  "
                       "Input should be 'text' or 'json_object' [type=literal_error, input_value='json_schema']")


def rejects_json_schema(then: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    def respond(req: Request) -> Reply:
        if req.format_type == "json_schema":
            return error(500, LLAMA_CPP_REJECTION)
        return then(req)

    return respond


class FakeLLM:
    """``gets`` maps a GET path (``/v1/models``, ``/props``) to its reply; others are 404.

    ``slots`` makes it serve that many completions at a time, like llama.cpp: the others wait in
    its queue, and one whose client gave up is still answered when its turn comes (nobody
    notices the client left). ``held`` counts the completions it holds — waiting or being
    answered — and ``max_held`` the most at once."""

    def __init__(self, default: Callable[[Request], Reply] | None = None,
                 gets: dict[str, Reply] | None = None, slots: int | None = None):
        self.gets = gets or {}
        self._slots = threading.Semaphore(slots) if slots else None
        self.held = 0
        self.max_held = 0
        self.get_paths: list[str] = []
        self.requests: list[Request] = []
        self.default = default or (lambda req: completion(answer()))
        self._queue: deque[Reply | Callable[[Request], Reply]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was handling at once

    # scripting -------------------------------------------------------------------------
    def queue(self, *replies: Reply | Callable[[Request], Reply]) -> FakeLLM:
        with self._lock:
            self._queue.extend(replies)
        return self

    def _next(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            item = self._queue.popleft() if self._queue else self.default
        return item(req) if callable(item) else item

    # lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode(errors="replace")}
                req = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                with fake._lock:
                    fake.held += 1
                    fake.max_held = max(fake.max_held, fake.held)
                try:
                    if fake._slots:
                        fake._slots.acquire()
                    try:
                        reply = fake._next(req)
                        with fake._lock:
                            fake.in_flight += 1
                            fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                        try:
                            self._answer(reply)
                        finally:
                            with fake._lock:
                                fake.in_flight -= 1
                    finally:
                        if fake._slots:
                            fake._slots.release()
                finally:
                    with fake._lock:
                        fake.held -= 1

            def do_GET(self) -> None:
                with fake._lock:
                    fake.get_paths.append(self.path)
                self._answer(fake.gets.get(self.path) or error(404, "not found"))

            def _answer(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                payload = data.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout): nothing to do

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
