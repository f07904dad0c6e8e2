"""A llama.cpp OpenAI-compatible server on a free loopback port, for the benchmarks that need a
real model (the tests have their own fixture)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request


def start_server(gguf: str, n_ctx: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1",
                             "--port", str(port), "--n_threads", "2", "--n_ctx", str(n_ctx)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2):
                return proc, base
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    sys.exit("llama.cpp server did not start")
