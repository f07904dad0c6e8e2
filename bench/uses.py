"""What ``--uses`` costs a day's report, and what it tells a small application on a real day.

1. The held-out day: an offline report of one busy day of a real repository (default: the
   openai-agents-python mirror, 2026-08-07 in UTC: 26 commits, one of them ``feat: use GPT-5.6
   Luna as the default model``) with ``--uses bench/uses_app``, a small support desk built on the
   SDK. Prints every commit the desk is told of, with its lines, and the top line of the report.
2. The cost: the same day's report without ``--uses`` and with ``--uses`` pointing at a
   generated application of ``--lines`` (100,000) lines in ``--files`` (400) files — a git
   checkout; ``--share`` (30 %) of its modules import the SDK the ways applications do (``from
   agents import Agent, Runner``, ``agents.models``, annotations, ``as_tool``, subclasses, a
   reference every other line), the others are ordinary code; ``--share 1`` is the worst case —
   alternating, ``--repeat`` times each, every run a separate process:
   - cold: no cache at all (``--no-cache``): the application is read and indexed in the run;
   - warm: the analysis cache filled beforehand, the index cache empty (the first report after
     the application changed everywhere), then again with the index cached (every later report).
   Prints the median seconds of each, the time ``--uses`` adds, and the ratio against the report
   without it, measured in the same run. Goal: ≤ 2 s added for 100,000 lines.

Run: .venv/bin/python bench/uses.py [REPO] [--date 2026-08-07] [--lines 100000] [--share 0.3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import tool_env  # noqa: E402

HERE = Path(__file__).resolve().parent
APP = HERE / "uses_app"
MIRROR = Path("/work/.mirror/openai+openai-agents-python/repo")

MODULE = '''\
"""Desk module {i}: flows, tools and a helper of its own."""

from __future__ import annotations

import json
from typing import Any

from agents import Agent, ModelSettings, RunContextWrapper, RunHooks, Runner, function_tool
from agents.models import get_default_model
import agents


class Helper{i}:
    """Our own: its names match the SDK's, and it is not the SDK."""

    def get_response(self, text: str) -> str:
        return text.strip().lower()

    def as_tool(self) -> "Helper{i}":
        return self


class Hooks{i}(RunHooks):
    def on_agent_start(self, context, agent):
        self.count = getattr(self, "count", 0) + 1
        return super().on_agent_start(context, agent)

'''
FLOW = '''
@function_tool
def lookup_{i}_{j}(ctx: RunContextWrapper[Any], question: str) -> str:
    """Find question {j} in the notes of module {i}."""
    notes = {{"q": question, "n": {j}, "m": {i}}}
    return json.dumps(notes)


def flow_{i}_{j}(text: str, agent: Agent | None = None) -> str:
    settings = ModelSettings(temperature=0.{t})
    researcher = Agent(name="researcher-{j}", instructions="Look it up.", model=get_default_model())
    tool = researcher.as_tool(tool_name="research_{j}", tool_description="Research it")
    triage = Agent(name="triage-{j}", tools=[tool, lookup_{i}_{j}], model_settings=settings)
    if agent is not None:
        triage = agent.clone(name="copy-{j}")
    words = [w for w in text.split() if w]
    counts: dict[str, int] = {{}}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    summary = ", ".join(f"{{k}}={{v}}" for k, v in ranked[:5])
    if len(summary) > 200:
        summary = summary[:200]
    result = Runner.run_sync(triage, summary or text, hooks=Hooks{i}())
    answer = Helper{i}().get_response(str(result.final_output))
    agents.set_default_openai_api("responses")
    return answer
'''


PLAIN_MODULE = '''\
"""Desk module {i}: ordinary code, no SDK."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

'''
PLAIN = '''

@dataclass
class Ticket_{i}_{j}:
    title: str
    tags: list[str] = field(default_factory=list)

    def summary(self) -> str:
        words = [w for w in self.title.split() if w]
        counts: dict[str, int] = {{}}
        for w in words:
            counts[w] = counts.get(w, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return json.dumps({{"top": ranked[:3], "tags": self.tags, "n": {j}}})


def route_{i}_{j}(tickets: list[Ticket_{i}_{j}]) -> dict[str, int]:
    out: dict[str, int] = {{}}
    for t in tickets:
        for tag in t.tags or ["untagged"]:
            out[tag] = out.get(tag, 0) + 1
    return out
'''


def make_app(root: Path, lines: int, files: int, share: float) -> int:
    """The generated application: ``files`` modules of about ``lines / files`` lines, the
    first ``share`` of them built on the SDK, the others ordinary code; returns the number of
    lines written."""
    pkg = root / "desk"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    written = 0
    sdk_files = round(files * share)
    for i in range(files):
        uses_sdk = i < sdk_files
        text = MODULE.format(i=i) if uses_sdk else PLAIN_MODULE.format(i=i)
        j = 0
        while written + text.count("\n") < lines * (i + 1) // files:
            text += (FLOW if uses_sdk else PLAIN).format(i=i, j=j, t=j % 10)
            j += 1
        (pkg / f"module_{i:04d}.py").write_text(text)
        written += text.count("\n")
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@example.com", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "app"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return written


def report(repo: Path, day: str, out: Path, cache: Path, uses: Path | None, no_cache: bool = False) -> float:
    cmd = [sys.executable, "-m", "commitdigest", "report", "--repo", str(repo), "--branch", "main", "--date", day,
           "--tz", "UTC", "--lang", "en", "--format", "md,json", "--out", str(out), "-q"]
    if uses is not None:
        cmd += ["--uses", str(uses)]
    if no_cache:
        cmd.append("--no-cache")
    began = time.perf_counter()
    subprocess.run(cmd, env=tool_env(cache), check=True, capture_output=True)
    return time.perf_counter() - began


def held_out(repo: Path, day: str, work: Path) -> None:
    out = work / "desk-out"
    report(repo, day, out, work / "desk-cache", APP)
    data = json.loads((out / f"{day}.json").read_text(encoding="utf-8"))
    commits = data["repos"][0]["commits"]
    touched = [c for c in commits if c.get("uses")]
    print(f"held-out day {day}: {len(commits)} commits, {len(touched)} touch bench/uses_app")
    for c in touched:
        print(f"  {c['short_sha']} {c['subject'][:72]}")
        for u in c["uses"]:
            print(f"      {u['path']}:{u['line']} {u['how']} {u['symbol']} ({u['change']})")
    md = (out / f"{day}.md").read_text(encoding="utf-8").splitlines()
    print(f"  top line: {md[2]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", nargs="?", default=str(MIRROR))
    ap.add_argument("--date", default="2026-08-07")
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--share", type=float, default=0.3,
                    help="share of the generated modules that use the SDK (1: every one, the worst case)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    repo = Path(args.repo)
    if not (repo / "HEAD").is_file() and not (repo / ".git").exists():
        sys.exit(f"{repo}: not a git repository (give a clone of openai-agents-python)")
    work = Path(tempfile.mkdtemp(prefix="commitdigest-uses-bench-"))
    try:
        held_out(repo, args.date, work)
        app = work / "app"
        written = make_app(app, args.lines, args.files, args.share)
        print(f"\ngenerated application: {written:,} lines in {args.files} files (a git checkout), "
              f"{args.share:.0%} of them built on the SDK")
        times: dict[str, list[float]] = {k: [] for k in ("cold base", "cold uses", "warm base", "warm uses, index cold",
                                                         "warm uses, index cached")}
        for n in range(args.repeat):
            times["cold base"].append(report(repo, args.date, work / "o1", work / f"c-none-{n}", None, no_cache=True))
            times["cold uses"].append(report(repo, args.date, work / "o2", work / f"c-none-{n}", app, no_cache=True))
            warm = work / f"c-warm-{n}"
            report(repo, args.date, work / "o0", warm, None)  # fills the analysis cache: not measured
            times["warm base"].append(report(repo, args.date, work / "o3", warm, None))
            times["warm uses, index cold"].append(report(repo, args.date, work / "o4", warm, app))
            times["warm uses, index cached"].append(report(repo, args.date, work / "o5", warm, app))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\nmedian of {args.repeat} runs each, alternating (seconds):")
        for k, v in med.items():
            print(f"  {k:<26} {v:6.2f}   runs: {', '.join(f'{t:.2f}' for t in times[k])}")
        for label, base, with_uses in (("cold (no cache)", "cold base", "cold uses"),
                                       ("warm, index built", "warm base", "warm uses, index cold"),
                                       ("warm, index cached", "warm base", "warm uses, index cached")):
            added = med[with_uses] - med[base]
            print(f"  {label:<22} --uses adds {added:+.2f} s   ratio {med[with_uses] / med[base]:.2f}x   "
                  f"{'ok' if added <= 2.0 else 'OVER'} (goal: <= 2 s)")
        uses_twin = json.loads((work / "o2" / f"{args.date}.json").read_text(encoding="utf-8"))
        told = sum(1 for c in uses_twin["repos"][0]["commits"] if c.get("uses"))
        lines_told = sum(len(c.get("uses") or []) for c in uses_twin["repos"][0]["commits"])
        print(f"\nthe generated application is told of {told} commits, {lines_told} lines in all")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
