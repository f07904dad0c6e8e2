"""A real HTTP server on 127.0.0.1 that records every POST and answers from a script: the
receiving end of a chat webhook, for the notification tests."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=lambda: {"code": 0, "errcode": 0, "msg": "ok"})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Post:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes


class CaptureServer:
    def __init__(self, default: Answer | None = None):
        self.posts: list[Post] = []
        self.default = default or Answer()
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()

    def script(self, *answers: Answer) -> CaptureServer:
        self._script.extend(answers)
        return self

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> CaptureServer:
        capture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                split = urllib.parse.urlsplit(self.path)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with capture._lock:
                    capture.posts.append(Post(split.path, dict(urllib.parse.parse_qsl(split.query)),
                                              {k.lower(): v for k, v in self.headers.items()}, body, raw))
                    answer = capture._script.popleft() if capture._script else capture.default
                if answer.delay:
                    time.sleep(answer.delay)
                data = answer.body if isinstance(answer.body, bytes) else (
                    answer.body.encode() if isinstance(answer.body, str) else json.dumps(answer.body).encode())
                try:
                    self.send_response(answer.status)
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
