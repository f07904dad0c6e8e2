"""A year's report against its floor: the least any tool must do to write that period's table.

    python bench/floor.py [REPO] [--branch main] [--since 2025-08-22 --until 2026-08-21] [--repeat 3]
                          [--base SRC]

The floor is :func:`floor_table` below, run as its own process: the same first-parent
``git log -p --numstat`` the report reads (rename detection and merges against their first
parent included), parsed into one Markdown table row per commit (day, sha, author, subject,
files, lines added and removed) and written to a file. No analysis, no JSON, no templates. The
report is ``commitdigest report --since --until --no-cache`` over the same branch and days, offline,
Markdown and JSON twin as by default, and once more with ``--no-semantic`` (the code left unread). The two alternate ``--repeat`` times in the same run, after
one warm-up each. The ratio is of the fastest runs (the ones the rest of a shared machine disturbed
least; on a quiet machine they are the medians too), and the medians are printed beside them
(goal: ≤ 1.3×). So is the CPU time each used (the process and the git processes it ran): on a busy
machine, where no second core is free for git and this process to overlap, that is the ratio the
wall time tends to.

REPO defaults to the openai-agents-python mirror kept on the build machine (a bare git
directory); any local repository or bare mirror works. ``--base SRC`` also runs the report from
another checkout's ``src`` folder (the code before a change), with and without ``--no-semantic``,
in the same alternation, and prints its ratios too.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env  # noqa: E402

DEFAULT_REPO = "/work/.mirror/openai+openai-agents-python/repo"


def floor_table(repo: str, branch: str, since: str, until: str, out: str) -> None:
    """The floor: one git process, one pass over its output, one table written."""
    mark = "\x1ecommit\x1e"
    argv = ["git", "-C", repo, "log", "--first-parent", "--diff-merges=first-parent", "-M", "-p", "--numstat",
            "--no-color", "--no-ext-diff", f"--since={since}T00:00:00Z", f"--until={until}T23:59:59Z",
            f"--format={mark}%H%x1f%aN%x1f%cs%x1f%s", branch]
    rows = ["| day | sha | author | subject | files | + | − |", "|---|---|---|---|---|---|---|"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as git:
        assert git.stdout is not None
        for record in git.stdout.read().split(mark.encode())[1:]:
            head, _, rest = record.partition(b"\n")
            sha, author, day, subject = head.decode("utf-8", "replace").split("\x1f", 3)
            files = plus = minus = 0
            for line in rest.split(b"\n"):
                parts = line.split(b"\t")
                if len(parts) == 3 and parts[0][:1] in b"0123456789-" and parts[1][:1] in b"0123456789-":
                    files += 1
                    plus += int(parts[0]) if parts[0].isdigit() else 0
                    minus += int(parts[1]) if parts[1].isdigit() else 0
            cell = subject.replace("|", "\\|")
            rows.append(f"| {day} | `{sha[:9]}` | {author} | {cell} | {files} | {plus} | {minus} |")
    Path(out).write_text("\n".join(rows) + "\n", encoding="utf-8")


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and the git processes it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", nargs="?", default=DEFAULT_REPO)
    ap.add_argument("--branch", default="main")
    ap.add_argument("--since", default="2025-08-22")
    ap.add_argument("--until", default="2026-08-21")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--base", type=Path, help="also run the report from this src folder, in the same alternation")
    ap.add_argument("--floor-only", metavar="OUT", help=argparse.SUPPRESS)  # the floor as its own process
    args = ap.parse_args()
    if args.floor_only:
        floor_table(args.repo, args.branch, args.since, args.until, args.floor_only)
        return
    with tempfile.TemporaryDirectory() as tmp:
        env = tool_env(Path(tmp) / "cache")
        floor = [sys.executable, __file__, args.repo, "--branch", args.branch, "--since", args.since,
                 "--until", args.until, "--floor-only", str(Path(tmp) / "floor.md")]
        report = [sys.executable, "-m", "commitdigest", "report", "--repo", args.repo, "--branch", args.branch,
                  "--since", args.since, "--until", args.until, "--tz", "UTC", "--no-cache", "-q",
                  "--out", str(Path(tmp) / "out")]
        runs: dict[str, tuple[list[str], dict[str, str]]] = {"floor": (floor, env), "report": (report, env),
                                                             "lines": ([*report, "--no-semantic"], env)}
        if args.base:
            base_env = {**env, "PYTHONPATH": str(args.base.resolve())}
            runs["base"] = (report, base_env)
            runs["base_lines"] = ([*report, "--no-semantic"], base_env)
        for cmd, cmd_env in runs.values():  # warm the page cache and the bytecode
            _timed(cmd, cmd_env)
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeat):  # alternated: the machine's drift hits each alike
            for name, (cmd, cmd_env) in runs.items():
                wall, cpu = _timed(cmd, cmd_env)
                times[name].append(wall)
                cpus[name].append(cpu)
        rows = (Path(tmp) / "floor.md").read_text(encoding="utf-8").count("\n") - 2
        med = {name: statistics.median(ts) for name, ts in times.items()}
        best = {name: min(ts) for name, ts in times.items()}
        cpu = {name: statistics.median(ts) for name, ts in cpus.items()}
        labels = {"floor": "floor (git log -p --numstat → table)", "report": "commitdigest report (md + json)",
                  "lines": "the same, --no-semantic", "base": f"report from {args.base}",
                  "base_lines": "the same, --no-semantic"}
        print(f"{args.repo} {args.branch} {args.since}..{args.until}: {rows} commits")
        for name, ts in times.items():
            print(f"{labels[name]:40} best {best[name]:6.2f} s ({best[name] / best['floor']:4.2f}x)   "
                  f"median {med[name]:6.2f} s ({med[name] / med['floor']:4.2f}x)   "
                  f"CPU {cpu[name]:5.2f} s ({cpu[name] / cpu['floor']:4.2f}x)   runs: {', '.join(f'{x:.2f}' for x in ts)}")
        print(f"ratio report / floor: {best['report'] / best['floor']:.2f}x wall, "
              f"{cpu['report'] / cpu['floor']:.2f}x CPU (goal <= 1.30x); with --no-semantic "
              f"{best['lines'] / best['floor']:.2f}x wall, {cpu['lines'] / cpu['floor']:.2f}x CPU")
        if args.base:
            print(f"ratio report / base:  {best['report'] / best['base']:.2f}x wall, {cpu['report'] / cpu['base']:.2f}x CPU; "
                  f"with --no-semantic {best['lines'] / best['base_lines']:.2f}x wall, "
                  f"{cpu['lines'] / cpu['base_lines']:.2f}x CPU")


if __name__ == "__main__":
    main()
