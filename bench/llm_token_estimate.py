"""The prompt-token estimate against a real tokenizer, on real diffs and real prose.

Reads the patches of the last N commits of a repository (a path given on the command line;
nothing is stored) and tokenizes each file's patch with the tokenizer of a GGUF model through
llama.cpp (vocabulary only: no weights are loaded), then prints the ratio estimate / real per
kind of text. The estimate should over-count a little and never under-count by much: the
budget then holds on real servers without wasting their context.

Run: python bench/llm_token_estimate.py REPO_PATH MODEL.gguf [N]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from commitdigest.analysis.budget import estimate_tokens


def patches(repo: str, n: int) -> list[tuple[str, str]]:
    out = subprocess.run(["git", "-C", repo, "log", f"-{n}", "--first-parent", "-p", "--no-color",
                          "--format=%x00COMMIT%x00%B"], capture_output=True, check=True).stdout.decode("utf-8", "replace")
    pieces: list[tuple[str, str]] = []
    for chunk in out.split("\x00COMMIT\x00")[1:]:
        message, _, diff = chunk.partition("\ndiff --git ")
        pieces.append(("message", message.strip()))
        for f in ("diff --git " + diff).split("\ndiff --git ") if diff else []:
            head = f.split("\n", 1)[0]
            kind = "code" if head.endswith((".py", ".rs", ".go", ".ts", ".js", ".c", ".h", ".cpp", ".sh")) else "other"
            if 200 < len(f) < 200_000:
                pieces.append((kind, f))
    return pieces


def main() -> None:
    from llama_cpp import Llama

    repo, model = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    llm = Llama(model_path=model, vocab_only=True, verbose=False)
    prose_zh = ("为 KV‑Router 增加 `--no-assume-kv-reuse`（以及对应的 Python/FFI 参数）以在追踪活跃块时不假设 KV 缓存复用。"
                "关闭该假设时，路由器改为生成随机块哈希，而不是计算真实的块哈希。") * 4
    rows: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    for kind, text in patches(repo, n) + [("zh prose", prose_zh)]:
        real = len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))
        if real < 20:
            continue
        est = estimate_tokens(text)
        rows.setdefault(kind, []).append(est / real)
        t = totals.setdefault(kind, [0, 0, 0])
        t[0] += est
        t[1] += real
        t[2] += len(text)
    out = {}
    for kind, ratios in rows.items():
        est, real, chars = totals[kind]
        out[kind] = {"texts": len(ratios), "estimate_over_real": round(est / real, 3),
                     "median_ratio": round(statistics.median(ratios), 3), "min_ratio": round(min(ratios), 3),
                     "chars_per_real_token": round(chars / real, 2)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
