"""A lean mirror over smart HTTP: `git http-backend` behind a small http.server on 127.0.0.1,
the transport GitHub and most hosts speak. One clone, one blob request per window."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_cli

DAY = "2026-01-13"


def _backend() -> Path | None:
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=False).stdout.strip()
    found = Path(exec_path) / "git-http-backend"
    return found if exec_path and found.is_file() else None


pytestmark = pytest.mark.skipif(_backend() is None, reason="git http-backend is not installed")


class SmartHTTP:
    """Runs `git http-backend` as a CGI per request; counts the requests for objects."""

    def __init__(self, root: Path):
        self.root, self.fetches = root, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def _cgi(self, method: str) -> None:
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
                plain = gzip.decompress(body) if self.headers.get("Content-Encoding") == "gzip" else body
                if method == "POST" and b"command=fetch" in plain:  # not ls-refs: a request for objects
                    server.fetches += 1
                env = {"PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(server.root), "GIT_HTTP_EXPORT_ALL": "1",
                       "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                       "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                       "REMOTE_ADDR": "127.0.0.1", "GIT_CONFIG_NOSYSTEM": "1",
                       "HOME": os.environ.get("HOME", "/nonexistent")}
                if self.headers.get("Git-Protocol"):
                    env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
                if self.headers.get("Content-Encoding"):
                    env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
                out = subprocess.run([str(_backend())], input=body, env=env, capture_output=True, timeout=60,
                                     check=False).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.split(b"\r\n"):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "status":
                        status = int(value.split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._cgi("GET")

            def do_POST(self):
                self._cgi("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http_served(make_repo, tmp_path):
    work = make_repo("work")
    work.commit("feat: first", {"src/a.py": "a = 1\n" * 300, "src/b.py": "b = 1\n" * 300},
                when="2026-01-10T10:00:00+08:00")
    work.commit("fix: a", {"src/a.py": "a = 2\n" * 300}, when=f"{DAY}T09:00:00+08:00")
    work.commit("feat: c", {"src/c.py": "c = 1\n" * 300, "src/b.py": "b = 2\n" * 300}, when=f"{DAY}T10:00:00+08:00")
    root = tmp_path / "http"
    root.mkdir()
    bare = root / "lib.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "uploadpack.allowFilter", "true"], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "uploadpack.allowAnySHA1InWant", "true"], check=True)
    server = SmartHTTP(root)
    yield server
    server.stop()


def test_run_over_smart_http_mirrors_lean_with_one_blob_request_per_window(http_served, tmp_path):
    cfg = tmp_path / "cfg.toml"
    cfg.write_text(f'timezone = "Asia/Shanghai"\nlanguage = "en"\n[[repos]]\nurl = "{http_served.url("lib.git")}"\n'
                   '[output]\ndir = "out"\nformats = ["md", "json"]\n')
    cache = tmp_path / "cache"
    r = run_cli("run", "--config", str(cfg), "--date", DAY, "--no-notify", "--cache-dir", str(cache))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    (m,) = (cache / "mirrors").glob("*.git")
    promisor = subprocess.run(["git", "config", "remote.origin.promisor"], cwd=m, capture_output=True, text=True,
                              check=False).stdout.strip()
    assert promisor == "true"
    # the clone's and the window's blobs': git's own lazy fetching would ask once per commit
    assert http_served.fetches == 2
    data = json.loads((tmp_path / "out" / f"{DAY}.json").read_text())
    commits = data["repos"][0]["commits"]
    assert [c["subject"] for c in commits] == ["feat: c", "fix: a"]
    assert [(f["path"], f["insertions"], f["deletions"]) for f in commits[0]["files"]] == [
        ("src/b.py", 300, 300), ("src/c.py", 300, 0)]
    assert all(c["read_error"] is None for c in commits)
