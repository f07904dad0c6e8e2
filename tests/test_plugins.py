"""An installed package adds an output format, a notification channel, a kind of source and an
analyzer, each with one entry point line in its own pyproject.toml: the package is built and
pip-installed (into a folder on PYTHONPATH), and the command line uses all four. ``--help`` reads
no entry point."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from capture_server import CaptureServer
from conftest import run_cli

DAY = "2026-01-13"

# The package builds itself (a PEP 517 backend in its own tree, below): pip needs no index and no
# build tool that the test environment may lack. What matters is what it installs: a module and
# the entry points of its pyproject.toml, as any packaging tool writes them.
PYPROJECT = """\
[build-system]
requires = []
build-backend = "demo_backend"
backend-path = ["."]

[project]
name = "commitdigest-demo-plugins"
version = "0.1.0"

[project.entry-points."commitdigest.formats"]
txt = "cd_demo:FORMAT"

[project.entry-points."commitdigest.channels"]
ping = "cd_demo:CHANNEL"

[project.entry-points."commitdigest.sources"]
here = "cd_demo:SOURCE"

[project.entry-points."commitdigest.analyzers"]
terse = "cd_demo:ANALYZER"
"""

BACKEND = '''\
"""A minimal PEP 517 backend: one module and the entry points of pyproject.toml, as a wheel."""
import base64, hashlib, tomllib, zipfile
from pathlib import Path

NAME, VERSION = "commitdigest_demo_plugins", "0.1.0"


def _entry_points():
    table = tomllib.loads(Path("pyproject.toml").read_text())["project"]["entry-points"]
    return "".join(f"[{group}]\\n" + "".join(f"{k} = {v}\\n" for k, v in items.items()) + "\\n"
                   for group, items in table.items())


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{NAME}-{VERSION}.dist-info"
    files = {
        "cd_demo.py": Path("cd_demo.py").read_bytes(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: demo_backend\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
        f"{info}/entry_points.txt": _entry_points().encode(),
    }
    record = "".join(f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
                     f"{len(data)}\\n" for name, data in files.items()) + f"{info}/RECORD,,\\n"
    wheel = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr(f"{info}/RECORD", record)
    return wheel
'''

MODULE = '''\
"""Four extensions of commitdigest, one object each."""
from typing import Literal

from commitdigest.analysis.factory import AnalyzerType
from commitdigest.analysis.heuristic import HeuristicAnalyzer
from commitdigest.notify.config import WebhookChannel
from commitdigest.notify.registry import ChannelType, Request
from commitdigest.outputs.formats import Format
from commitdigest.sources import SourceKind


def render_text(report):
    return f"{report.title}: {sum(r.stats.total for r in report.repos)} commits\\n"


FORMAT = Format("txt", suffix="txt", render=render_text)


class Ping(WebhookChannel):
    type: Literal["ping"]


def build(channel, message, env):
    return Request(channel.url_value(env), {"ping": message.digest.title, "total": message.digest.total})


CHANNEL = ChannelType(settings=Ping, build=build)

SOURCE = SourceKind(name="here", matches=lambda location: location.startswith("here:"),
                    fetch=lambda location, fetching: location[len("here:"):],
                    default_name=lambda location: "here/" + location.rstrip("/").rsplit("/", 1)[-1], remote=False)


class Terse(HeuristicAnalyzer):
    name = "terse"

    def fingerprint(self, language, scoring=None):
        return "terse:" + super().fingerprint(language, scoring)

    def analyze(self, commit, language, scoring=None):
        found = super().analyze(commit, language, scoring)
        return found.model_copy(update={"summary": ["terse: " + commit.subject], "analyzer": "terse"})


ANALYZER = AnalyzerType("terse", build=lambda options: Terse(options.scoring))
'''


@pytest.fixture(scope="module")
def plugins(tmp_path_factory) -> Path:
    """The demo package, built and installed by pip into a folder of its own."""
    root = tmp_path_factory.mktemp("plugin")
    src = root / "src"
    src.mkdir()
    (src / "pyproject.toml").write_text(PYPROJECT)
    (src / "cd_demo.py").write_text(MODULE)
    (src / "demo_backend.py").write_text(BACKEND)
    target = root / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                        "--target", str(target), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert list(target.glob("commitdigest_demo_plugins-*.dist-info/entry_points.txt"))
    return target


def test_an_installed_package_adds_a_format_a_channel_a_source_and_an_analyzer(plugins, make_repo, tmp_path):
    repo = make_repo("svc")
    repo.commit("feat: add parser", {"src/parser.py": "def parse():\n    return 1\n"}, when=f"{DAY}T10:00:00+08:00")
    env = {"PYTHONPATH": str(plugins)}
    out = tmp_path / "out"
    r = run_cli("report", "--repo", f"here:{repo.path}", "--date", DAY, "--tz", "Asia/Shanghai", "--lang", "en",
                "--format", "md,txt", "--analyzer", "terse", "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(out / f"{DAY}.md"), str(out / f"{DAY}.txt")]
    assert (out / f"{DAY}.txt").read_text() == "Daily Update Report (2026-01-13): 1 commits\n"
    md = (out / f"{DAY}.md").read_text()
    assert "## svc" in md and "terse: feat: add parser" in md
    # the same names in a config file, and a channel of the new type
    with CaptureServer() as hook:
        (tmp_path / "commitdigest.toml").write_text(textwrap.dedent(f'''\
            timezone = "Asia/Shanghai"
            language = "en"
            analyzer = "terse"
            [[repos]]
            path = "{repo.path}"
            [output]
            dir = "site"
            formats = ["md", "json", "txt"]
            [[notify]]
            type = "ping"
            url = "{hook.url('/ping')}"
            '''))
        r = run_cli("run", "--date", DAY, cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / "site" / f"{DAY}.txt").is_file()
        data = json.loads((tmp_path / "site" / f"{DAY}.json").read_text())
        assert data["generator"]["analyzer"] == "terse"
        assert data["repos"][0]["commits"][0]["analysis"]["summary"] == ["terse: feat: add parser"]
        assert [p.body for p in hook.posts] == [{"ping": "Daily Update Report (2026-01-13)", "total": 1}]
    # without the package, the names are unknown (one line each, naming what is known)
    r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--format", "txt", "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "unknown format 'txt'" in r.stderr
    r = run_cli("report", "--repo", str(repo.path), "--date", DAY, "--analyzer", "terse", "--out", str(out))
    assert r.returncode == 2 and "unknown analyzer 'terse': use auto, heuristic, llm" in r.stderr


def test_help_reads_no_entry_point(plugins):
    code = ("import sys\nfrom commitdigest.cli import main\nsys.argv = ['commitdigest', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', [m for m in ('cd_demo', 'importlib.metadata', 'logging') if m in sys.modules],"
            " file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                       env={**__import__("os").environ, "PYTHONPATH": str(plugins)})
    assert "LOADED []" in r.stderr, r.stderr
