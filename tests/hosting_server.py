"""A fake hosting API on 127.0.0.1: GitHub's REST and GraphQL shapes and GitLab's REST, served
from a table of pull requests, recording every request. A script of replies answers the next
requests first (rate limits, server errors)."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakePR:
    number: int
    title: str = ""
    body: str = ""
    labels: list[str] = field(default_factory=list)
    author: str = "octo"
    milestone: str | None = None
    closing: list[int] = field(default_factory=list)
    merge_commit_sha: str | None = None
    merged: bool = True


_ALIAS = re.compile(r"pr(\d+): pullRequest\(number: (\d+)\)")


class FakeHost:
    def __init__(self):
        self.prs: dict[int, FakePR] = {}
        self.commit_pulls: dict[str, list[int]] = {}  # sha → PR numbers the API lists for it
        self.page_size = 100
        self.requests: list[Request] = []
        self.headers: dict[str, str] = {}  # sent with every generated answer
        self._script: deque[Reply] = deque()
        self._by_path: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()

    def add(self, *prs: FakePR) -> FakeHost:
        for pr in prs:
            self.prs[pr.number] = pr
        return self

    def script(self, *replies: Reply) -> FakeHost:
        self._script.extend(replies)
        return self

    def script_for(self, path: str, *replies: Reply) -> FakeHost:
        """Replies for the next requests to ``path`` only."""
        self._by_path.setdefault(path, deque()).extend(replies)
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def github_api(self) -> str:
        return self.base + "/api/v3"

    @property
    def gitlab_api(self) -> str:
        return self.base + "/api/v4"

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    # ------------------------------------------------------------------ answers

    def answer(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            if self._by_path.get(req.path):
                return self._by_path[req.path].popleft()
            if self._script:
                return self._script.popleft()
        p = req.path
        if m := re.fullmatch(r"/api/v3/repos/[^/]+/[^/]+/commits/([0-9a-f]+)/pulls", p):
            return self._page([self._rest(n) for n in self.commit_pulls.get(m.group(1), [])], req)
        if m := re.fullmatch(r"/api/v3/repos/[^/]+/[^/]+/pulls/(\d+)", p):
            n = int(m.group(1))
            return Reply(200, self._rest(n)) if n in self.prs else Reply(404, {"message": "Not Found"})
        if p == "/api/graphql" and req.method == "POST":
            return self._graphql(req.body)
        if m := re.fullmatch(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)", p):
            n = int(m.group(2))
            return Reply(200, self._gitlab(n)) if n in self.prs else Reply(404, {"message": "404 Not found"})
        if m := re.fullmatch(r"/api/v4/projects/([^/]+)/repository/commits/([0-9a-f]+)/merge_requests", p):
            return self._page([self._gitlab(n) for n in self.commit_pulls.get(m.group(2), [])], req)
        return Reply(404, {"message": "Not Found"})

    def _page(self, items: list, req: Request) -> Reply:
        page = int(req.query.get("page", "1"))
        chunk = items[(page - 1) * self.page_size: page * self.page_size]
        headers = {}
        if page * self.page_size < len(items):
            headers["Link"] = f'<{self.base}{req.path}?page={page + 1}>; rel="next"'
        return Reply(200, chunk, headers)

    def _rest(self, n: int) -> dict:
        pr = self.prs[n]
        return {"number": n, "title": pr.title, "body": pr.body, "labels": [{"name": x} for x in pr.labels],
                "user": {"login": pr.author}, "milestone": {"title": pr.milestone} if pr.milestone else None,
                "html_url": f"https://github.com/acme/widget/pull/{n}", "merge_commit_sha": pr.merge_commit_sha,
                "merged_at": "2026-01-13T02:00:00Z" if pr.merged else None}

    def _gitlab(self, n: int) -> dict:
        pr = self.prs[n]
        return {"iid": n, "title": pr.title, "description": pr.body, "labels": pr.labels,
                "author": {"username": pr.author}, "milestone": {"title": pr.milestone} if pr.milestone else None,
                "web_url": f"https://gitlab.com/acme/widget/-/merge_requests/{n}",
                "merge_commit_sha": pr.merge_commit_sha, "state": "merged" if pr.merged else "opened"}

    def _graphql(self, body: Any) -> Reply:
        query = body.get("query", "") if isinstance(body, dict) else ""
        repo: dict[str, Any] = {}
        errors = []
        for alias, number in _ALIAS.findall(query):
            pr = self.prs.get(int(number))
            if pr is None:
                repo[f"pr{alias}"] = None
                errors.append({"type": "NOT_FOUND", "path": ["repository", f"pr{alias}"],
                               "message": f"Could not resolve to a PullRequest with the number of {number}."})
                continue
            repo[f"pr{alias}"] = {
                "number": pr.number, "title": pr.title, "body": pr.body,
                "url": f"https://github.com/acme/widget/pull/{pr.number}", "author": {"login": pr.author},
                "labels": {"nodes": [{"name": x} for x in pr.labels]},
                "milestone": {"title": pr.milestone} if pr.milestone else None,
                "closingIssuesReferences": {"nodes": [{"number": i} for i in pr.closing]},
            }
        answer: dict[str, Any] = {"data": {"repository": repo}}
        if errors:
            answer["errors"] = errors
        return Reply(200, answer)

    # ------------------------------------------------------------------ server

    def __enter__(self) -> Self:
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                split = urllib.parse.urlsplit(self.path)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                req = Request(self.command, split.path, dict(urllib.parse.parse_qsl(split.query)),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                reply = host.answer(req)
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in {**host.headers, **reply.headers}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
