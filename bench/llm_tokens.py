"""Prompt tokens sent against the budget: a 5,000-file commit, and a 30-commit day.

Counts are the analyzer's own estimate (which over-counts; bench/llm_real.py compares it with a
real tokenizer) of exactly what ``render_prompt`` produces plus the schema sent beside it, and the
size of the raw diff for scale. No server needed.

Run: python bench/llm_tokens.py [BUDGET]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _commits import day, huge  # noqa: E402

from commitdigest.analysis.budget import estimate_tokens  # noqa: E402
from commitdigest.analysis.llm import LLMAnalyzer  # noqa: E402
from commitdigest.llm.schema import answer_schema  # noqa: E402
from commitdigest.llm.settings import LLMSettings  # noqa: E402


def sent_tokens(analyzer: LLMAnalyzer, commit, language: str = "zh") -> int:
    messages = analyzer.render_prompt(commit, language)
    schema = json.dumps(answer_schema(language), ensure_ascii=False, separators=(",", ":"))
    return sum(estimate_tokens(m["content"]) for m in messages) + estimate_tokens(schema)


def main() -> None:
    budget = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
    analyzer = LLMAnalyzer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="bench", budget=budget))

    big = huge(5000)
    start = time.perf_counter()
    big_tokens = sent_tokens(analyzer, big)
    build_s = time.perf_counter() - start
    raw = estimate_tokens("\n".join(f.patch for f in big.files))
    record_cov = analyzer._prompt(big, "zh", "json_schema").coverage

    commits = day(30)
    per_commit = [sent_tokens(analyzer, c) for c in commits]
    figures = {
        "budget": budget,
        "huge_commit": {
            "files": len(big.files), "raw_diff_tokens": raw, "prompt_tokens": big_tokens,
            "vs_budget": round(big_tokens / budget, 3), "vs_raw_diff": round(big_tokens / raw, 4),
            "files_analyzed": record_cov.files_analyzed, "lines_analyzed": record_cov.lines_analyzed,
            "lines_total": record_cov.lines_total, "prompt_build_s": round(build_s, 3),
        },
        "day_30_commits": {
            "prompt_tokens_total": sum(per_commit), "max_per_commit": max(per_commit),
            "mean_per_commit": round(sum(per_commit) / len(per_commit)),
            "max_vs_budget": round(max(per_commit) / budget, 3),
            "total_vs_30_budgets": round(sum(per_commit) / (30 * budget), 3),
        },
        "within_budget": big_tokens <= budget and max(per_commit) <= budget,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
