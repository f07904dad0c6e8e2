"""The real small model (llama.cpp server + Qwen2.5-Coder-0.5B) on this machine: seconds per
commit and tokens per second, with triage off and on (``--llm-min-importance medium``), plus the
budget estimate against the server's real tokenizer.

Run: COMMITDIGEST_TEST_MODEL=$(scripts/local_llm.sh .venv/bin/python | tail -n1) python bench/llm_real.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _commits import T0, day  # noqa: E402
from _llama import start_server  # noqa: E402

from commitdigest.analysis.budget import estimate_tokens  # noqa: E402
from commitdigest.analysis.llm import LLMAnalyzer  # noqa: E402
from commitdigest.llm.settings import LLMSettings  # noqa: E402
from commitdigest.models import Commit, FileChange  # noqa: E402


def commits() -> list[Commit]:
    """Two source changes and two low-stakes ones (docs, tests) that triage can leave offline."""
    src = day(2)
    docs = Commit(sha="d" * 40, author="Dev", author_time=T0 + timedelta(hours=1), committer_time=T0 + timedelta(hours=1),
                  subject="docs: fix typos in README", files=[FileChange(
                      path="README.md", status="M", insertions=2, deletions=2,
                      patch="--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n-Teh tool\n+The tool\n-recieve\n+receive")])
    tests = Commit(sha="e" * 40, author="Dev", author_time=T0 + timedelta(hours=2), committer_time=T0 + timedelta(hours=2),
                   subject="test: cover empty input", files=[FileChange(
                       path="tests/test_parse.py", status="M", insertions=3, deletions=0,
                       patch="--- a/tests/test_parse.py\n+++ b/tests/test_parse.py\n@@ -9,0 +10,3 @@\n+def test_empty():\n+    assert parse('') == []\n+")])
    return src + [docs, tests]


def run(base: str, batch: list[Commit], triage: str | None) -> dict:
    settings = LLMSettings(base_url=base, model="qwen2.5-coder-0.5b", budget=2500, max_tokens=1024,
                           timeout=240, concurrency=2, retries=1, temperature=0.1, response_format="json_object")
    analyzer = LLMAnalyzer(settings, min_importance=triage)
    estimated = sum(estimate_tokens(m["content"]) for c in batch for m in analyzer.render_prompt(c, "zh"))
    start = time.perf_counter()
    records = analyzer.analyze_batch(batch, "zh")
    seconds = time.perf_counter() - start
    u = analyzer.usage()
    return {
        "triage": triage or "off", "commits": len(batch), "llm_calls": u.llm_calls,
        "offline_by_triage": sum(r.analyzer == "heuristic" and not r.fallback for r in records),
        "fallbacks": u.fallbacks, "seconds": round(seconds, 1),
        "seconds_per_commit": round(seconds / len(batch), 2),
        "prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
        "completion_tokens_per_s": round(u.completion_tokens / seconds, 1) if seconds else None,
        "all_tokens_per_s": round((u.prompt_tokens + u.completion_tokens) / seconds, 1) if seconds else None,
        # Only meaningful without triage and without repairs: every commit's prompt sent once.
        "estimate_vs_real_prompt_tokens": round(estimated / u.prompt_tokens, 2) if u.prompt_tokens and not triage else None,
    }


def main() -> None:
    model = os.environ.get("COMMITDIGEST_TEST_MODEL")
    if not model or not Path(model).is_file():
        sys.exit("set COMMITDIGEST_TEST_MODEL to the GGUF path printed by scripts/local_llm.sh")
    proc, base = start_server(model, 4096)
    try:
        batch = commits()
        off = run(base, batch, None)
        on = run(base, batch, "medium")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(json.dumps({"triage_off": off, "triage_on": on,
                      "triage_time_ratio": round(on["seconds"] / off["seconds"], 2) if off["seconds"] else None},
                     indent=2))


if __name__ == "__main__":
    main()
