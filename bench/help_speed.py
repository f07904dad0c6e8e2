"""Wall time of ``commitdigest --help`` (and ``report --help``, ``--version``), against the floor
any click program pays.

    python bench/help_speed.py [--repeat 21]

Baselines, measured in the same run, alternating with the tool's commands:
    python -c pass            a bare interpreter's start-up
    python -c "import click"  the command-line library alone, imported and nothing else
Each figure is the median of --repeat runs of the tool as installed, from bytecode (see _env.py).
Goal: ``--help`` ≤ 60 ms. Also printed: the modules ``--help`` loads beyond ``import click``, so a
regression names itself.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _env import tool_env  # noqa: E402

_EXTRA = ("import sys\nbase = set(sys.modules)\nimport click\nclick_mods = set(sys.modules)\n"
          "from commitdigest.cli import main\nsys.argv = ['commitdigest', '--help']\n"
          "try:\n    main()\nexcept SystemExit:\n    pass\n"
          "print(' '.join(sorted(m for m in set(sys.modules) - click_mods if '.' not in m or m.startswith('commitdigest'))),"
          " file=sys.stderr)\n")


def _timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = tool_env(Path(tmp) / "cache")
        py = sys.executable
        cmds = {
            "python -c pass": [py, "-c", "pass"],
            "python -c 'import click'": [py, "-c", "import click"],
            "commitdigest --version": [py, "-m", "commitdigest", "--version"],
            "commitdigest --help": [py, "-m", "commitdigest", "--help"],
            "commitdigest report --help": [py, "-m", "commitdigest", "report", "--help"],
        }
        for cmd in cmds.values():  # bytecode written, page cache warm
            _timed(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for _ in range(args.repeat):  # alternated: the machine's drift hits every command alike
            for name, cmd in cmds.items():
                times[name].append(_timed(cmd, env))
        med = {name: statistics.median(ts) for name, ts in times.items()}
        bare, click_s = med["python -c pass"], med["python -c 'import click'"]
        for name, m in med.items():
            print(f"{name:30} {m * 1000:7.1f} ms   {m / bare:5.2f}x bare   {m / click_s:5.2f}x import click")
        help_s = med["commitdigest --help"]
        print(f"--help: {help_s * 1000:.1f} ms (goal <= 60 ms); above `import click`: {(help_s - click_s) * 1000:.1f} ms")
        extra = subprocess.run([py, "-c", _EXTRA], capture_output=True, text=True, env=env).stderr.strip()
        print(f"modules --help loads beyond click: {extra}")


if __name__ == "__main__":
    main()
