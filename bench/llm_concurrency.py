"""Concurrency of the LLM analyzer against a loopback server that answers in a fixed 1.0 s.

A 30-commit day at concurrency 8, against two baselines measured in the same run:
the ideal ⌈30/8⌉ × 1.0 s, and the same 30 requests fired straight through the SDK with the same
concurrency (what the analyzer adds on top: prompt building, validation, bookkeeping). Goal:
≤ 1.2 × ideal. Then the same day again through the pipeline's cache: zero calls.

Then a server like llama.cpp's that serves one request at a time and queues the rest, answering
each in 1.5 s, against a 6 s client timeout and the default concurrency of 8: ten commits, once
when the server publishes ``total_slots`` and once when it publishes nothing. Printed: commits
that fell back, the most requests the server held at once, and requests sent. ``--one-slot-only``
runs just that part (it also runs against code without the pacer, for the figures before it).

Run: python bench/llm_concurrency.py [--one-slot-only]
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "tests")]

import openai  # noqa: E402
from _commits import day  # noqa: E402
from llm_server import FakeLLM, Reply, answer, completion  # noqa: E402

from commitdigest.analysis.llm import LLMAnalyzer  # noqa: E402
from commitdigest.llm.settings import LLMSettings  # noqa: E402
from commitdigest.pipeline import analyze_commits  # noqa: E402
from commitdigest.store import Store  # noqa: E402

COMMITS, CONCURRENCY, DELAY = 30, 8, 1.0


async def raw_sdk(base_url: str, body: dict) -> float:
    client = openai.AsyncOpenAI(base_url=base_url, api_key="x", max_retries=0)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with gate:
            await client.chat.completions.create(**body)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(COMMITS)))
    elapsed = time.perf_counter() - start
    await client.close()
    return elapsed


def one_slot(publish: bool) -> dict:
    """Ten commits against a one-slot server that queues, 1.5 s an answer, 6 s client timeout."""
    commits = day(10)
    reply = completion(answer(paths=["src/mod0/core.py"]))
    gets = {"/props": Reply(body={"total_slots": 1})} if publish else {}
    with FakeLLM(lambda req: Reply(delay=1.5, body=reply.body), gets=gets, slots=1) as server:
        settings = LLMSettings(base_url=server.base_url, model="bench", concurrency=8, timeout=6, retries=3)
        start = time.perf_counter()
        records = LLMAnalyzer(settings).analyze_batch(commits, "zh")
        seconds = time.perf_counter() - start
    return {"publishes_slots": publish, "commits": len(commits), "fallbacks": sum(r.fallback for r in records),
            "fallback_reasons": sorted({r.fallback_reason for r in records if r.fallback}),
            "max_held_by_server": server.max_held, "requests": len(server.requests), "seconds": round(seconds, 1)}


def main() -> None:
    if "--one-slot-only" in sys.argv:
        print(json.dumps([one_slot(True), one_slot(False)], indent=2))
        return
    commits = day(COMMITS)
    reply = completion(answer(paths=["src/mod0/core.py"]))
    with FakeLLM(lambda req: Reply(delay=DELAY, body=reply.body)) as server:
        settings = LLMSettings(base_url=server.base_url, model="bench", concurrency=CONCURRENCY, timeout=30)
        probe = LLMAnalyzer(settings).request_preview(commits[0], "zh")
        sdk = asyncio.run(raw_sdk(server.base_url, probe))
        server.requests.clear()

        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp))
            analyzer = LLMAnalyzer(settings)
            start = time.perf_counter()
            records, _ = analyze_commits(commits, analyzer, "zh", store)
            cold = time.perf_counter() - start
            cold_calls = len(server.requests)

            warm_analyzer = LLMAnalyzer(settings)
            start = time.perf_counter()
            _, hits = analyze_commits(commits, warm_analyzer, "zh", store)
            warm = time.perf_counter() - start
            warm_calls = len(server.requests) - cold_calls
            store.close()

    ideal = math.ceil(COMMITS / CONCURRENCY) * DELAY
    figures = {
        "commits": COMMITS, "concurrency": CONCURRENCY, "server_delay_s": DELAY,
        "ideal_s": ideal, "raw_sdk_s": round(sdk, 3), "analyzer_s": round(cold, 3),
        "analyzer_vs_ideal": round(cold / ideal, 3), "analyzer_vs_raw_sdk": round(cold / sdk, 3),
        "max_in_flight": server.max_in_flight, "calls": cold_calls,
        "fallbacks": sum(r.fallback for r in records),
        "warm_rerun_s": round(warm, 3), "warm_rerun_calls": warm_calls, "warm_cache_hits": hits,
        "goal_met": cold / ideal <= 1.2 and warm_calls == 0,
        "one_slot_server": [one_slot(True), one_slot(False)],
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
