"""Your code: a followed repository's commits of one day, an application that uses it, and what
the report tells the application — on real git repositories, through the real CLI and stages.

The followed repository is laid out as a real SDK is (``src/agents`` with re-exports in its
``__init__.py``, a star re-export, a private module, classes with bases); the application
imports it every way Python allows, and also defines functions and methods of its own named
like the SDK's. Each commit of the day changes one thing; the test knows, commit by commit,
which lines of the application are touched and which are not.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from commitdigest import context
from commitdigest.pipeline import Span
from commitdigest.uses import python_refs
from commitdigest.uses.upstream import Resolver, python_layout, summarise
from tests.conftest import run_cli

DAY = "2026-03-03"
BEFORE = "2026-03-01T10:00:00+00:00"

SDK = {
    "pyproject.toml": '[project]\nname = "agents-sdk"\n',
    "src/agents/__init__.py": """\
from . import models
from .agent import Agent, AgentBase
from .lifecycle import RunHooks
from .model_settings import ModelSettings
from .run import Runner
from .tools import function_tool, make_tool
from .util import moved_helper

__all__ = ["Agent", "AgentBase", "ModelSettings", "RunHooks", "Runner", "function_tool", "make_tool", "models"]
""",
    "src/agents/agent.py": """\
from .tools import make_tool


class AgentBase:
    def clone(self, **kwargs):
        return self


class Agent(AgentBase):
    def __init__(self, name: str, instructions: str = "", model: str | None = None):
        self.name = name
        self.instructions = instructions
        self.model = model

    def as_tool(self, tool_name: str, tool_description: str):
        return make_tool(tool_name, tool_description)
""",
    "src/agents/lifecycle.py": """\
class RunHooks:
    def on_agent_start(self, context, agent):
        return None

    def on_tool_start(self, context, agent, tool):
        return None
""",
    "src/agents/model_settings.py": """\
class ModelSettings:
    def __init__(self, temperature: float = 0.7, top_p: float | None = None):
        self.temperature = temperature
        self.top_p = top_p
""",
    "src/agents/run.py": """\
class AgentRunner:
    def run(self, agent, text):
        return agent.name + text


class Runner:
    @classmethod
    def run(cls, agent, text):
        return AgentRunner().run(agent, text)

    @classmethod
    def run_streamed(cls, agent, text):
        return iter([AgentRunner().run(agent, text)])
""",
    "src/agents/tools.py": """\
def function_tool(fn):
    fn.is_tool = True
    return fn


def make_tool(name, description):
    return {"name": name, "description": description}
""",
    "src/agents/util.py": """\
def legacy_helper(x):
    return x * 2


def moved_helper(x):
    return x + 1


def main():
    print("agents cli")
""",
    "src/agents/models/__init__.py": "from .default_models import get_default_model\n",
    "src/agents/models/default_models.py": """\
def get_default_model() -> str:
    return "gpt-5.4-mini"
""",
    "src/agents/models/openai_model.py": """\
class OpenAIModel:
    def get_response(self, prompt):
        return prompt
""",
    "src/agents/extensions/__init__.py": "from .visualization import *\n",
    "src/agents/extensions/visualization.py": """\
__all__ = ["draw_graph"]


def draw_graph(agent):
    return f"graph of {agent.name}"
""",
    "tests/__init__.py": "",
    "tests/test_agent.py": "from agents import Agent\n\n\ndef test_agent():\n    assert Agent('a').name == 'a'\n",
    "integration_tests/__init__.py": "",
    "integration_tests/live.py": "from agents import Runner\n",
    "examples/desk/agents/__init__.py": "",
    "examples/desk/agents/main.py": "def main():\n    return 0\n",
}

#: the day's commits: subject → the files it writes (None deletes)
DAY_COMMITS: list[tuple[str, dict[str, str | None]]] = [
    ("feat: use gpt-5.6-luna as the default model",
     {"src/agents/models/default_models.py": 'def get_default_model() -> str:\n    return "gpt-5.6-luna"\n'}),
    ("fix: as_tool describes the tool", {"src/agents/agent.py": SDK["src/agents/agent.py"].replace(
        "return make_tool(tool_name, tool_description)", "return make_tool(tool_name, tool_description or self.name)")}),
    ("fix: the agent runner strips its input", {"src/agents/run.py": SDK["src/agents/run.py"].replace(
        "return agent.name + text\n", "return agent.name + text.strip()\n")}),
    ("refactor!: drop legacy_helper", {"src/agents/util.py": SDK["src/agents/util.py"].replace(
        "def legacy_helper(x):\n    return x * 2\n\n\n", "")}),
    ("feat!: run_streamed takes a context", {"src/agents/run.py": SDK["src/agents/run.py"].replace(
        "return agent.name + text\n", "return agent.name + text.strip()\n").replace(
        "def run_streamed(cls, agent, text):", "def run_streamed(cls, agent, text, context):")}),
    ("fix: on_agent_start hands back the agent", {"src/agents/lifecycle.py": SDK["src/agents/lifecycle.py"].replace(
        "    def on_agent_start(self, context, agent):\n        return None",
        "    def on_agent_start(self, context, agent):\n        return agent")}),
    ("feat: a warmer default temperature", {"src/agents/model_settings.py": SDK["src/agents/model_settings.py"].replace(
        "temperature: float = 0.7", "temperature: float = 1.0")}),
    ("fix: the model retries an empty response", {"src/agents/models/openai_model.py": """\
class OpenAIModel:
    def get_response(self, prompt):
        return prompt or self.get_response("retry")
"""}),
    ("fix: the cli exits cleanly", {"src/agents/util.py": SDK["src/agents/util.py"].replace(
        "def legacy_helper(x):\n    return x * 2\n\n\n", "").replace('print("agents cli")',
                                                                   'print("agents cli")\n    return 0')}),
    ("feat: draw_graph names the tools", {"src/agents/extensions/visualization.py":
                                          SDK["src/agents/extensions/visualization.py"].replace(
                                              'return f"graph of {agent.name}"',
                                              'return f"graph of {agent.name} and its tools"')}),
    ("refactor: make_tool is create_tool", {
        "src/agents/tools.py": SDK["src/agents/tools.py"].replace("def make_tool", "def create_tool"),
        "src/agents/agent.py": SDK["src/agents/agent.py"].replace(
            "return make_tool(tool_name, tool_description)", "return create_tool(tool_name, tool_description or self.name)"
        ).replace("from .tools import make_tool", "from .tools import create_tool"),
        "src/agents/__init__.py": SDK["src/agents/__init__.py"].replace(
            "from .tools import function_tool, make_tool", "from .tools import create_tool, function_tool").replace(
            '"make_tool"', '"create_tool"')}),
    ("refactor: moved_helper lives in helpers", {
        "src/agents/util.py": 'def main():\n    print("agents cli")\n    return 0\n',
        "src/agents/helpers.py": "def moved_helper(x):\n    return x + 1\n",
        "src/agents/__init__.py": SDK["src/agents/__init__.py"].replace(
            "from .tools import function_tool, make_tool", "from .tools import create_tool, function_tool").replace(
            '"make_tool"', '"create_tool"').replace("from .util import moved_helper", "from .helpers import moved_helper")}),
    ("fix: clone copies the settings", {"src/agents/agent.py": SDK["src/agents/agent.py"].replace(
        "return make_tool(tool_name, tool_description)", "return create_tool(tool_name, tool_description or self.name)"
    ).replace("from .tools import make_tool", "from .tools import create_tool").replace(
        "def clone(self, **kwargs):\n        return self", "def clone(self, **kwargs):\n        return type(self)(**kwargs)")}),
    ("test: cover the runner", {"tests/test_run.py": "from agents import Runner\n\n\ndef test_run():\n    assert Runner\n"}),
]

APP = {
    "app/__init__.py": "",
    "app/main.py": '''\
"""The desk's entry point: get_default_model() in a docstring is not a use."""

from agents import Agent as A, ModelSettings, Runner, function_tool, make_tool
import agents.models as m
from agents.extensions import *

from app.local import Bot, get_default_model, main as local_main


@function_tool
def lookup(q: str) -> str:
    return q


def build(agent: A | None = None) -> A:
    triage = A(name="triage", model=m.get_default_model())
    tool = triage.as_tool(tool_name="t", tool_description="d")
    settings = ModelSettings()
    explicit = ModelSettings(temperature=0.2)
    result = Runner.run(triage, "hi")
    stream = Runner.run_streamed(triage, "hi")
    if agent is not None:
        agent.clone()
    draw_graph(triage)
    make_tool("x", "y")
    Bot().get_response("x")
    get_default_model()  # ours, not the SDK's
    local_main()
    return triage
''',
    "app/hooks.py": '''\
from agents import RunHooks


class Hooks(RunHooks):
    def on_agent_start(self, context, agent):
        return super().on_agent_start(context, agent)

    def on_tool_start(self, context, agent, tool):
        return None
''',
    "app/legacy.py": '''\
from agents.util import legacy_helper
from agents.util import moved_helper


def double(x):
    return legacy_helper(x) + moved_helper(x)
''',
    "app/fine.py": '''\
from agents import moved_helper


def inc(x):
    return moved_helper(x)
''',
    "app/local.py": '''\
class Bot:
    def get_response(self, text):
        return text.upper()


def get_default_model():
    return "local"


def main():
    return 0
''',
    # Not the application's own code: ignored by git, or vendored.
    ".gitignore": "build/\n",
    "build/generated.py": "from agents.models import get_default_model\n\nget_default_model()\n",
    "vendor/agents_copy.py": "from agents.models import get_default_model\n\nget_default_model()\n",
}

#: commit subject → {(path, line, symbol, change)} the application is told of
EXPECTED = {
    "feat: use gpt-5.6-luna as the default model": {
        ("app/main.py", 16, "agents.models.default_models.get_default_model", "value")},
    "fix: as_tool describes the tool": {("app/main.py", 17, "agents.agent.Agent.as_tool", "modified")},
    "refactor!: drop legacy_helper": {("app/legacy.py", 1, "agents.util.legacy_helper", "removed"),
                                      ("app/legacy.py", 6, "agents.util.legacy_helper", "removed")},
    "feat!: run_streamed takes a context": {("app/main.py", 21, "agents.run.Runner.run_streamed", "signature")},
    "fix: on_agent_start hands back the agent": {("app/hooks.py", 5, "agents.lifecycle.RunHooks.on_agent_start", "modified"),
                                                 ("app/hooks.py", 6, "agents.lifecycle.RunHooks.on_agent_start", "modified")},
    "feat: a warmer default temperature": {("app/main.py", 18, "agents.model_settings.ModelSettings.__init__", "default")},
    "feat: draw_graph names the tools": {("app/main.py", 24, "agents.extensions.visualization.draw_graph", "modified")},
    # the rename rewrote as_tool's call to make_tool as well: its code changed
    "refactor: make_tool is create_tool": {("app/main.py", 3, "agents.tools.make_tool", "renamed"),
                                           ("app/main.py", 25, "agents.tools.make_tool", "renamed"),
                                           ("app/main.py", 17, "agents.agent.Agent.as_tool", "modified")},
    "refactor: moved_helper lives in helpers": {("app/legacy.py", 2, "agents.util.moved_helper", "moved"),
                                                ("app/legacy.py", 6, "agents.util.moved_helper", "moved"),
                                                ("app/fine.py", 1, "agents.util.moved_helper", "moved"),
                                                ("app/fine.py", 5, "agents.util.moved_helper", "moved")},
    "fix: clone copies the settings": {("app/main.py", 23, "agents.agent.AgentBase.clone", "modified")},
}


def build_sdk(make_repo, name: str = "agents-sdk"):
    repo = make_repo(name)
    repo.commit("chore: the SDK", SDK, when=BEFORE)
    for i, (subject, files) in enumerate(DAY_COMMITS):
        repo.commit(subject, files, when=f"{DAY}T{8 + i // 2:02d}:{(i % 2) * 30:02d}:00+00:00")
    return repo


def build_app(make_repo, files: dict | None = None):
    app = make_repo("app")
    app.commit("our app", {k: v for k, v in (files or APP).items() if not k.startswith(("build/",))},
               when=BEFORE)
    for rel, text in (files or APP).items():  # the ignored file is there, untracked
        app.write(rel, text)
    return app


def twin(out: Path) -> dict:
    return json.loads((out / f"{DAY}.json").read_text(encoding="utf-8"))


def told(data: dict) -> dict[str, set[tuple[str, int, str, str]]]:
    return {c["subject"]: {(u["path"], u["line"], u["symbol"], u["change"]) for u in c["uses"]}
            for c in data["repos"][0]["commits"] if c.get("uses")}


# ------------------------------------------------------------------------------- the whole day


def test_the_application_is_told_exactly_the_commits_that_change_what_it_uses(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(sdk.path), "--date", DAY, "--tz", "UTC", "--lang", "en", "--out", str(out),
                "--format", "md,json", "--uses", str(app.path), "-q")
    assert r.returncode == 0, r.stderr
    data = twin(out)
    assert told(data) == EXPECTED
    # every commit was looked at: those that touch nothing of the application say so with []
    for c in data["repos"][0]["commits"]:
        assert c["uses"] == [] or c["subject"] in EXPECTED
    assert data["repos"][0]["uses"] == {"roots": ["app"], "files": 4, "problems": []}
    # a removed symbol is broken where it is imported; a moved one only through the old module
    by_line = {(c["subject"], u["path"], u["line"]): u for c in data["repos"][0]["commits"] for u in c["uses"]}
    assert by_line[("refactor!: drop legacy_helper", "app/legacy.py", 1)]["how"] == "import"
    assert by_line[("refactor: moved_helper lives in helpers", "app/legacy.py", 2)]["broken"] is True
    assert by_line[("refactor: moved_helper lives in helpers", "app/fine.py", 1)]["broken"] is False
    assert {"name": "temperature", "before": "0.7", "after": "1.0"}.items() <= \
        by_line[("feat: a warmer default temperature", "app/main.py", 18)].items()
    assert by_line[("fix: on_agent_start hands back the agent", "app/hooks.py", 5)]["how"] == "override"

    md = (out / f"{DAY}.md").read_text(encoding="utf-8")
    assert md.splitlines()[2] == "🧭 Today 10 commits changed 10 symbols your code uses"
    assert "- `app/main.py:16` calls `get_default_model()`: a value in it: `gpt-5.4-mini` → `gpt-5.6-luna`" in md
    assert "- `app/main.py:18` calls `ModelSettings()`: default of `temperature`: `0.7` → `1.0`" in md
    assert "- `app/legacy.py:6` calls `legacy_helper()`: removed" in md
    assert "- `app/main.py:25` calls `make_tool()`: renamed to `create_tool`" in md
    # the commits that touch nothing of it have no section
    block = md.split("#### fix: the agent runner strips its input")[1].split("---")[0]
    assert "Your code" not in block


def test_a_removed_or_resigned_symbol_ranks_first_among_the_risks(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    reports = _generate(sdk.path, [app.path], "en")
    commits = {c.subject: c for c in reports.repos[0].commits}
    removed = commits["refactor!: drop legacy_helper"].analysis
    assert removed.risks[0].risk == "A symbol your code uses is gone"
    assert removed.risks[0].severity.value == "high"
    assert "`app/legacy.py:1`" in removed.recommendations[0] and "`app/legacy.py:6`" in removed.recommendations[0]
    resigned = commits["feat!: run_streamed takes a context"].analysis
    assert resigned.risks[0].risk == "The signature of a symbol your code calls changed"
    assert resigned.risks[0].severity.value == "high"  # a parameter without a default: old calls fail
    default = commits["feat: a warmer default temperature"].analysis
    assert default.risks[0].severity.value == "medium"
    untouched = commits["fix: the agent runner strips its input"].analysis
    assert all("your code" not in r.risk for r in untouched.risks)


def _generate(repo: Path, uses: list[Path], lang: str = "en", since: str = DAY, until: str = DAY,
              no_cache: bool = True):
    flags = context.Flags(repos=(str(repo),), tz="UTC", lang=lang, no_cache=no_cache,
                          uses=tuple(str(u) for u in uses))
    with context.opened(flags) as ctx:
        [report] = ctx.generate([Span(date.fromisoformat(since), date.fromisoformat(until))], ctx.open(),
                                fail_fast=True)
    return report


def test_no_use_today_says_so_and_an_unconfigured_report_is_unchanged(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = make_repo("quiet-app")
    app.commit("app", {"app.py": "from agents import Runner\n\nRunner.run(None, 'x')\n"}, when=BEFORE)
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(sdk.path), "--date", DAY, "--tz", "UTC", "--lang", "zh", "--out", str(out),
                "--format", "md,json", "--uses", str(app.path), "-q")
    assert r.returncode == 0, r.stderr
    md = (out / f"{DAY}.md").read_text(encoding="utf-8")
    assert md.splitlines()[2] == "🧭 本日没有提交改动你的代码使用的符号"
    assert all(c["uses"] == [] for c in twin(out)["repos"][0]["commits"])
    plain = tmp_path / "plain"
    r = run_cli("report", "--repo", str(sdk.path), "--date", DAY, "--tz", "UTC", "--lang", "zh", "--out", str(plain),
                "--format", "md,json", "-q")
    assert r.returncode == 0, r.stderr
    data = twin(plain)
    assert "uses" not in data["repos"][0] and all("uses" not in c for c in data["repos"][0]["commits"])
    assert "🧭" not in (plain / f"{DAY}.md").read_text(encoding="utf-8")


# ------------------------------------------------------------------- the reader's own files


def test_ignored_vendored_linked_and_odd_files_are_never_read(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("from agents.models import get_default_model\nget_default_model()\n")
    app = build_app(make_repo)
    os.symlink(outside / "evil.py", app.path / "app" / "linked.py")
    os.symlink(outside, app.path / "app" / "linked_dir")
    os.mkfifo(app.path / "app" / "pipe.py")  # opening it for reading would wait forever
    (app.path / "app" / "huge.py").write_text("from agents.models import get_default_model\n"
                                             + "x = 1\n" * 200_000 + "get_default_model()\n")
    (app.path / os.fsdecode(b"app/bad-\xff.py")).write_text("from agents.models import get_default_model\n"
                                                            "get_default_model()\n")
    odd = "app/odd `x` [a](javascript:alert) <b>.py"
    (app.path / odd).write_text("from agents.models import get_default_model\nget_default_model()\n")
    report = _generate(sdk.path, [app.path])
    luna = next(c for c in report.repos[0].commits if "luna" in c.subject)
    assert {(u.path, u.line) for u in luna.uses or []} == {("app/main.py", 16), (odd, 2)}
    md = _markdown(report)
    assert "- ``app/odd `x` [a](javascript:alert) <b>.py:2`` calls `get_default_model()`" in md


def test_a_folder_that_is_not_a_git_checkout_is_walked_without_its_dependencies(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = tmp_path / "plain-app"
    for rel, text in {"desk.py": "from agents.models import get_default_model\n\n\nget_default_model()\n",
                      ".venv/lib/agents_shim.py": "from agents.models import get_default_model\nget_default_model()\n",
                      "node_modules/x/y.py": "from agents.models import get_default_model\nget_default_model()\n",
                      "build/out.py": "from agents.models import get_default_model\nget_default_model()\n"}.items():
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(text)
    report = _generate(sdk.path, [app])
    luna = next(c for c in report.repos[0].commits if "luna" in c.subject)
    assert [(u.path, u.line) for u in luna.uses or []] == [("desk.py", 4)]


def test_the_index_is_read_from_the_cache_until_a_file_changes(make_repo, tmp_path, monkeypatch):
    from commitdigest.uses import index

    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    parsed: list[str] = []
    real = index._extract_all

    def reading(root, files, names):  # the files the index reads (in worker processes)
        parsed.extend(f.path for f in files)
        return real(root, files, names)

    monkeypatch.setattr(index, "_extract_all", reading)
    first = _generate(sdk.path, [app.path], no_cache=False)
    assert sorted(parsed) == ["app/__init__.py", "app/fine.py", "app/hooks.py", "app/legacy.py", "app/local.py",
                              "app/main.py"]
    parsed.clear()
    again = _generate(sdk.path, [app.path], no_cache=False)
    assert parsed == []  # nothing read again: every file's stamp is the cached one
    assert [c.uses for c in again.repos[0].commits] == [c.uses for c in first.repos[0].commits]
    # the application changes: only that file is read again, and the report follows it
    (app.path / "app" / "fine.py").write_text("from agents import moved_helper\n\n\n\ndef inc(x):\n"
                                              "    return moved_helper(x) + moved_helper(1)\n")
    third = _generate(sdk.path, [app.path], no_cache=False)
    assert parsed == ["app/fine.py"]
    moved = next(c for c in third.repos[0].commits if c.subject.startswith("refactor: moved_helper"))
    assert {(u.path, u.line) for u in moved.uses or [] if u.path == "app/fine.py"} == {("app/fine.py", 1),
                                                                                        ("app/fine.py", 6)}
    # a file that is gone leaves the cache with it
    (app.path / "app" / "fine.py").unlink()
    _generate(sdk.path, [app.path], no_cache=False)
    from commitdigest.store import Store

    store = Store(Path(os.environ["COMMITDIGEST_CACHE_DIR"]))
    try:
        rows = {path for (path,) in store.db.execute("SELECT path FROM code_index")}  # type: ignore[union-attr]
    finally:
        store.close()
    assert "app/fine.py" not in rows and "app/main.py" in rows


def test_the_files_are_read_in_worker_processes_alike(tmp_path, monkeypatch):
    """The index is read in the semantic stage's worker processes, in shards: the same
    references as this process finds, a file gone since the listing left out."""
    from commitdigest.uses import index, reader
    from commitdigest.uses.upstream import Names

    monkeypatch.setenv("COMMITDIGEST_SEMANTIC_WORKERS", "2")
    app = tmp_path / "big"
    app.mkdir()
    for i in range(40):
        (app / f"m{i:03d}.py").write_text("from agents.models import get_default_model\n"
                                          + "x = 1\n" * (i % 7) + "get_default_model()\n")
    files = reader.list_files(app).files
    (app / "m007.py").unlink()
    names = Names(python=frozenset({"agents"}))
    assert len(index._shards(files, 2)) == 2
    pooled, lost = index._extract_all(app, files, names)
    alone = index._extract_chunk(app, files, names)
    assert lost == 0 and pooled == alone and len(pooled) == 40
    assert pooled["m007.py"] is None
    assert [r[2] for r in pooled["m012.py"] or []] == [1, 2 + 12 % 7]


def test_two_folders_are_told_apart_by_name(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    one, two = tmp_path / "a" / "svc", tmp_path / "b" / "svc"
    for folder in (one, two):
        folder.mkdir(parents=True)
        (folder / "run.py").write_text("from agents.models import get_default_model\nget_default_model()\n")
    report = _generate(sdk.path, [one, two])
    luna = next(c for c in report.repos[0].commits if "luna" in c.subject)
    assert [(u.root, u.path, u.line) for u in luna.uses or []] == [("svc", "run.py", 2), ("svc-2", "run.py", 2)]
    assert report.repos[0].uses is not None and report.repos[0].uses.roots == ["svc", "svc-2"]


# -------------------------------------------------------------------------- configuration


def test_uses_from_the_config_is_relative_to_it_and_a_missing_folder_is_bad_input(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    cfg = tmp_path / "commitdigest.toml"
    cfg.write_text(f'timezone = "UTC"\nlanguage = "en"\n[[repos]]\npath = "{sdk.path}"\n'
                   f'uses = ["{os.path.relpath(app.path, tmp_path)}"]\n[output]\ndir = "out"\nformats = ["json"]\n')
    r = run_cli("report", "--config", str(cfg), "--date", DAY, "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert told(twin(tmp_path / "out")) == EXPECTED
    cfg.write_text(cfg.read_text().replace(os.path.relpath(app.path, tmp_path), "no-such-app"))
    r = run_cli("report", "--config", str(cfg), "--date", DAY, "-q", cwd=tmp_path)
    assert r.returncode == 4 and r.stderr.strip() == (
        f"commitdigest: error: {cfg}: repos[0].uses[0]: no-such-app is not a directory")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = run_cli("report", "--repo", str(sdk.path), "--date", DAY, "--uses", str(tmp_path / "nope"), "-q",
                cwd=elsewhere)
    assert r.returncode == 2 and r.stderr.strip() == f"commitdigest: error: --uses: {tmp_path / 'nope'} is not a folder"
    assert list(elsewhere.iterdir()) == []


# ------------------------------------------------------------------------------ the readers


def test_imports_with_aliases_and_module_attributes():
    found = python_refs.extract(b"""\
import agents
import agents.models as m
from agents import Agent as A
from agents.models import get_default_model as gdm

agents.Runner.run(None)
m.get_default_model()
A(name="x").as_tool()
gdm()
""", frozenset({"agents"}))
    steps = {(r[0], r[2]) for r in found}
    assert (("agents", "", "Runner", "run", "()"), 6) in steps
    assert (("agents.models", "", "get_default_model", "()"), 7) in steps
    assert (("agents", "Agent", "()", "as_tool", "()"), 8) in steps
    assert (("agents.models", "get_default_model", "()"), 9) in steps


def test_local_inference_follows_assignments_annotations_and_with():
    found = {(r[0], r[1], r[2]) for r in python_refs.extract(b"""\
from agents import Agent, Runner


def go(helper: Agent | None = None):
    agent = Agent(name="x")
    copy = agent.clone()
    copy.as_tool()
    helper.run_once()
    with Runner.session() as s:
        s.stream()


class Desk:
    def __init__(self):
        self.agent = Agent(name="desk")

    def ask(self):
        return self.agent.ask()
""", frozenset({"agents"}))}
    assert (("agents", "Agent", "()", "clone", "()"), 3, 6) in found
    assert (("agents", "Agent", "()", "clone", "()", "as_tool", "()"), 5, 7) in found
    assert (("agents", "Agent", "()", "run_once", "()"), 3, 8) in found
    assert (("agents", "Runner", "session", "()", "stream", "()"), 4, 10) in found
    assert (("agents", "Agent", "()", "ask", "()"), 3, 18) in found


def test_the_reader_s_own_names_strings_and_comments_are_not_references():
    found = python_refs.extract(b'''\
"""Uses Agent and get_default_model(), in prose."""
from agents import Agent


def get_default_model():  # Agent.as_tool in a comment
    return "Agent"


class Bot:
    def as_tool(self):
        return self


def f(Agent=None):
    return Agent


Bot().as_tool()
get_default_model()
''', frozenset({"agents"}))
    assert [(r[0], r[2], r[3]) for r in found] == [(("agents", "Agent"), 2, "import")]


def test_a_name_shadowed_in_a_function_is_the_function_s_own():
    found = {(r[0], r[2]) for r in python_refs.extract(b"""\
from agents import Agent


def ours():
    Agent = dict
    return Agent(a=1).keys()


def theirs():
    return Agent(name="x").clone()
""", frozenset({"agents"}))}
    assert (("agents", "Agent", "()", "clone", "()"), 10) in found
    assert not any(line == 6 for _, line in found)


def test_subclasses_override_and_inherit():
    found = {(r[0], r[2], r[3]) for r in python_refs.extract(b"""\
from agents import RunHooks


class Hooks(RunHooks):
    def on_agent_start(self, ctx, agent):
        self.note()
        return self.on_tool_start(ctx, agent, None)

    def note(self):
        return super().on_agent_end(None, None)
""", frozenset({"agents"}))}
    assert (("agents", "RunHooks"), 4, "subclass") in found
    assert (("agents", "RunHooks", "()", "on_agent_start"), 5, "override") in found
    assert (("agents", "RunHooks", "()", "on_tool_start", "()"), 7, "call") in found
    assert (("agents", "RunHooks", "()", "on_agent_end", "()"), 10, "call") in found
    assert not any(steps[-2:] == ("note", "()") for steps, _, _ in found)  # its own method


def test_star_imports_bring_only_names_the_file_does_not_bind():
    found = {(r[0], r[2]) for r in python_refs.extract(b"""\
from agents.extensions import *


def draw_graph_locally():
    return 1


draw_graph(None)
draw_graph_locally()
print(len([]))
""", frozenset({"agents"}))}
    assert (("agents.extensions", "draw_graph", "()"), 8) in found
    assert not any(steps[1] in ("draw_graph_locally", "print", "len") for steps, _ in found)


def test_re_exports_star_re_exports_and_bases_resolve_where_the_symbol_is_defined():
    sources = {
        "src/pkg/__init__.py": b"from .core import Engine as Motor\nfrom ._private import *\nfrom . import sub\n",
        "src/pkg/core.py": b"from .base import Base\n\n\nclass Engine(Base):\n    def start(self):\n        return 1\n",
        "src/pkg/base.py": b"class Base:\n    def stop(self):\n        return 0\n",
        "src/pkg/_private.py": b"__all__ = ['helper']\n\n\ndef helper():\n    return 2\n",
        "src/pkg/sub/__init__.py": b"from ..core import *\nfrom . import sub\n",
        "src/pkg/sub/sub.py": b"X = 1\n",
    }
    layout = python_layout([(p, p) for p in sources])
    assert layout.module_of["src/pkg/sub/sub.py"] == "pkg.sub.sub"
    summaries = {p: summarise(data, layout.module_of[p], layout.module_of[p] in layout.packages)
                 for p, data in sources.items()}
    resolver = Resolver(layout, summaries)
    walk = dict(resolver.walk(("pkg", "Motor", "()", "stop", "()")))
    assert walk[1] == ("class", "pkg.core", "Engine")
    assert walk[2] == ("init", "pkg.core", "Engine.__init__")
    assert walk[3] == ("def", "pkg.base", "Base.stop")
    assert dict(resolver.walk(("pkg", "helper")))[1] == ("def", "pkg._private", "helper")
    assert dict(resolver.walk(("pkg", "sub")))[1] == ("module", "pkg.sub", "")
    assert dict(resolver.walk(("pkg.sub", "Engine", "()", "start")))[3] == ("def", "pkg.core", "Engine.start")
    assert dict(resolver.walk(("pkg", "nothing"))) == {}


def test_a_module_importing_itself_in_a_loop_does_not_hang():
    sources = {"a/__init__.py": b"from .b import *\n", "a/b.py": b"from a import *\n"}
    layout = python_layout([(p, p) for p in sources])
    summaries = {p: summarise(d, layout.module_of[p], layout.module_of[p] in layout.packages)
                 for p, d in sources.items()}
    assert dict(Resolver(layout, summaries).walk(("a", "missing"))) == {}


def test_the_repository_is_imported_as_its_source_packages(make_repo):
    from commitdigest.git.repo import open_repo
    from commitdigest.uses.upstream import Upstream

    sdk = build_sdk(make_repo)
    repo = open_repo(sdk.path, None, None)
    assert Upstream(repo.read_dir, repo.rev, 60).names().python == frozenset({"agents"})


def test_packages_come_from_the_source_layout_not_tests_or_examples():
    layout = python_layout([(p, p) for p in (
        "src/agents/__init__.py", "src/agents/run.py", "examples/bot/agents/__init__.py",
        "examples/bot/agents/run.py", "tests/__init__.py", "tests/test_run.py", "setup.py", "tools/release.py")])
    assert layout.modules["agents.run"] == "src/agents/run.py"
    assert "setup" not in layout.modules and "release" not in layout.modules
    extra = python_layout([(p, p) for p in ("src/agents/__init__.py", "examples/bot/agents/__init__.py",
                                            "examples/bot/agents/main.py")])
    assert "agents.main" not in extra.modules  # the example's package is another one


# --------------------------------------------------------------------- Go, Rust, TypeScript


OTHER_SDK = {
    "go/go.mod": "module example.com/acme/sdk\n\ngo 1.22\n",
    "go/client/client.go": "package client\n\nfunc NewClient(url string) *Client {\n\treturn &Client{url: url}\n}\n\n"
                           "type Client struct {\n\turl string\n}\n\nfunc Ping() int {\n\treturn 1\n}\n",
    "go/server/server.go": "package server\n\nfunc Ping() int {\n\treturn 2\n}\n",
    "rust/Cargo.toml": '[package]\nname = "acme-sdk"\nversion = "0.1.0"\n',
    "rust/src/lib.rs": "pub mod retry;\npub mod cache;\n",
    "rust/src/retry.rs": "pub fn backoff(n: u32) -> u32 {\n    n * 2\n}\n\npub struct Policy;\n\n"
                         "impl Policy {\n    pub fn new() -> Self {\n        Policy\n    }\n}\n",
    "rust/src/cache.rs": "pub fn backoff(n: u32) -> u32 {\n    n\n}\n",
    "js/package.json": '{"name": "@acme/sdk", "version": "1.0.0"}\n',
    "js/src/index.ts": "export function connect(url: string): number {\n  return url.length;\n}\n\n"
                       "export class Session {\n  close(): void {}\n}\n",
    "js/src/other.ts": "export function disconnect(): number {\n  return 0;\n}\n",
}
OTHER_DAY = [
    ("go: Ping of the client counts twice", {"go/client/client.go": OTHER_SDK["go/client/client.go"].replace(
        "return 1", "return 2")}),
    ("go: the server's Ping answers three", {"go/server/server.go": OTHER_SDK["go/server/server.go"].replace(
        "return 2", "return 3")}),
    ("rust: backoff triples", {"rust/src/retry.rs": OTHER_SDK["rust/src/retry.rs"].replace("n * 2", "n * 3")}),
    ("rust: the cache's backoff doubles", {"rust/src/cache.rs": OTHER_SDK["rust/src/cache.rs"].replace(
        "    n\n", "    n * 2\n")}),
    ("rust: a new policy waits", {"rust/src/retry.rs": OTHER_SDK["rust/src/retry.rs"].replace(
        "n * 2", "n * 3").replace("        Policy\n", "        let p = Policy;\n        p\n")}),
    ("ts: connect trims the url", {"js/src/index.ts": OTHER_SDK["js/src/index.ts"].replace(
        "return url.length;", "return url.trim().length;")}),
    ("ts: disconnect says one", {"js/src/other.ts": OTHER_SDK["js/src/other.ts"].replace("return 0", "return 1")}),
]
OTHER_APP = {
    "main.go": 'package main\n\nimport (\n\tsdk "example.com/acme/sdk/client"\n\t"fmt"\n)\n\n'
               'func main() {\n\tc := sdk.NewClient("x")\n\tfmt.Println(c, sdk.Ping())\n}\n\nfunc Ping() int { return 0 }\n',
    "src/main.rs": "use acme_sdk::retry::{backoff, Policy};\n\nfn main() {\n    let p = Policy::new();\n"
                   "    println!(\"{}\", backoff(1));\n}\n",
    "web/app.ts": "import { connect, Session as S } from '@acme/sdk';\n\nconst n = connect('x');\n"
                  "function disconnect(): number { return n; }\nnew S();\ndisconnect();\n",
}


def test_go_rust_and_typescript_match_imported_names_in_the_package_they_come_from(make_repo, tmp_path):
    sdk = make_repo("polyglot-sdk")
    sdk.commit("sdk", OTHER_SDK, when=BEFORE)
    for i, (subject, files) in enumerate(OTHER_DAY):
        sdk.commit(subject, files, when=f"{DAY}T{9 + i:02d}:00:00+00:00")
    app = make_repo("poly-app")
    app.commit("app", OTHER_APP, when=BEFORE)
    report = _generate(sdk.path, [app.path])
    got = {c.subject: {(u.path, u.line, u.symbol, u.language) for u in c.uses or []} for c in report.repos[0].commits
           if c.uses}
    assert got == {
        "go: Ping of the client counts twice": {("main.go", 10, "example.com/acme/sdk/client.Ping", "go")},
        "rust: backoff triples": {("src/main.rs", 5, "acme_sdk::backoff", "rust")},
        "rust: a new policy waits": {("src/main.rs", 4, "acme_sdk::Policy::new", "rust")},
        "ts: connect trims the url": {("web/app.ts", 3, "@acme/sdk.connect", "ecma")},
    }
    md = _markdown(report)
    assert "(matched by imported name)" in md


def _markdown(report) -> str:
    from commitdigest.report.render import render_markdown

    return render_markdown(report)


# ----------------------------------------------------------------------- a real SDK's real day

#: a bare clone of github.com/openai/openai-agents-python (README, "Your code"); the check runs
#: where one is found
SDK_MIRROR = Path(os.environ.get("COMMITDIGEST_SDK_MIRROR", "/work/.mirror/openai+openai-agents-python/repo"))
DESK = Path(__file__).parent / "fixtures" / "agents_desk"


@pytest.mark.skipif(not (SDK_MIRROR / "HEAD").is_file(), reason="no clone of openai-agents-python here")
def test_a_real_application_is_told_exactly_the_commits_of_a_real_day_that_touch_it(tmp_path):
    """Held out: the expected lines were read off the day's diffs by hand, not off the tool.
    2026-07-31 (UTC) has 17 commits; besides these two, one changes ``AgentRunner.run`` (the desk
    calls ``Runner.run``), two change ``LitellmModel.stream_response`` (the desk builds a
    ``LitellmModel`` and has a ``stream_response`` of its own), and the one that changes
    ``RedisSession.get_items`` also changes ``add_items`` (the desk's ``add_items`` is its own
    ``Session``'s)."""
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(SDK_MIRROR), "--branch", "main", "--date", "2026-07-31", "--tz", "UTC",
                "--lang", "en", "--format", "json", "--out", str(out), "--uses", str(DESK), "-q")
    assert r.returncode == 0, r.stderr
    data = json.loads((out / "2026-07-31.json").read_text(encoding="utf-8"))
    assert len(data["repos"][0]["commits"]) == 17
    assert {c["short_sha"]: {(u["path"], u["line"], u["symbol"], u["change"], u["how"]) for u in c["uses"]}
            for c in data["repos"][0]["commits"] if c["uses"]} == {
        "1058e84": {("desk/app.py", 12, "agents.tool.function_tool", "modified", "decorator")},
        "c510261": {("desk/app.py", 23, "agents.extensions.memory.redis_session.RedisSession.get_items", "modified",
                     "call")},
    }


# ------------------------------------------------------------------- rollups, notifications, model


def test_a_rollup_lists_the_changes_to_the_reader_s_code_first(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    out = tmp_path / "out"
    r = run_cli("rollup", "--since", DAY, "--until", DAY, "--repo", str(sdk.path), "--uses", str(app.path), "--tz",
                "UTC", "--lang", "en", "--format", "md,json", "--out", str(out), "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    label = f"{DAY}_{DAY}"
    md = (out / "rollups" / f"{label}.md").read_text(encoding="utf-8")
    yours = md.index("### 🧭 Changes to symbols your code uses")
    assert yours < md.index("### 📈 Commits per day") < md.index("### 🔴 Important changes")
    section = md[yours:md.index("### 📈 Commits per day")]
    assert section.count("\n- ") == 10 and "`legacy_helper()`" in section and "`ModelSettings()`" in section
    assert "agent runner strips" not in section  # touches nothing of the application
    data = json.loads((out / "rollups" / f"{label}.json").read_text(encoding="utf-8"))
    assert {h["subject"] for h in data["repos"][0]["yours"]} == set(EXPECTED)


def test_notifications_lead_with_the_changes_to_the_reader_s_code(make_repo):
    from commitdigest.notify.digest import Message, build_digest
    from commitdigest.notify.slack import Slack
    from commitdigest.notify.slack import build as slack_build
    from commitdigest.notify.text import markdown

    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    report = _generate(sdk.path, [app.path], "en")
    d = build_digest(report, "https://reports.example/2026-03-03.html")
    touching = {c.short_sha for c in report.repos[0].commits if c.uses}
    assert len(touching) == 10
    assert {i.short_sha for i in d.items[:10]} == touching and all(i.uses for i in d.items[:10])
    assert all(not i.uses for i in d.items[10:])
    assert d.lead == "🧭 Today 10 commits changed 10 symbols your code uses"
    text = markdown(d, d.items, 0)
    assert text.splitlines()[2:4] == [d.headline(), d.lead]
    assert "**Changes to what your code uses, and high-importance changes**" in text
    assert any(line.endswith("— legacy_helper()") for line in text.splitlines())
    request = slack_build(Slack(type="slack", url="https://hooks.slack.example/x"), Message(digest=d, document={}), {})
    blocks = json.dumps(request.payload["blocks"], ensure_ascii=False)
    assert d.lead in blocks and "🧭 refactor!: drop legacy_helper — legacy_helper()" in blocks


def test_the_model_is_told_the_affected_lines_and_its_record_states_them_first(make_repo):
    from commitdigest.analysis.llm import LLMAnalyzer
    from commitdigest.llm.settings import LLMSettings
    from tests.llm_server import FakeLLM, answer, completion

    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    flags = context.Flags(repos=(str(sdk.path),), tz="UTC", lang="en", no_cache=True, uses=(str(app.path),))
    said = "Replace `legacy_helper` at `app/legacy.py:6` with the doubled value before you upgrade"
    with FakeLLM(lambda req: completion(answer("en", recommendations=[said]))) as server, \
            context.opened(flags) as ctx:
        ctx.analyzer = LLMAnalyzer(LLMSettings(base_url=server.base_url, model="m", timeout=5, retries=1,
                                               concurrency=1))
        [report] = ctx.generate([Span(date.fromisoformat(DAY), date.fromisoformat(DAY))], ctx.open(), fail_fast=True)
        sent = {r.user_text: r for r in server.requests}
    told_model = [text for text in sent if "<reader_code" in text]
    assert len(told_model) == 10
    luna = next(text for text in told_model if "gpt-5.6-luna as the default model" in text)
    assert "- `app/main.py:16` calls `get_default_model()`: a value in it: `gpt-5.4-mini` → `gpt-5.6-luna`" in luna
    quiet = next(text for text in sent if "the agent runner strips its input" in text)
    assert "<reader_code" not in quiet
    removed = next(c for c in report.repos[0].commits if c.subject == "refactor!: drop legacy_helper").analysis
    assert not removed.fallback and removed.analyzer.startswith("llm")
    assert removed.risks[0].risk == "A symbol your code uses is gone"
    assert removed.recommendations[0].startswith("Change these places in your code before upgrading: `app/legacy.py:1`")
    # the model's own, after it (asked for although the commit is of a low tier): naming the
    # reader's lines is grounded in what it was shown
    assert removed.recommendations[1:] == [said]
    assert not {"identifier", "path"} & set(removed.items_dropped)


def test_the_html_page_shows_the_section_and_the_top_line(make_repo, tmp_path):
    sdk = build_sdk(make_repo)
    app = build_app(make_repo)
    out = tmp_path / "out"
    r = run_cli("report", "--repo", str(sdk.path), "--date", DAY, "--tz", "UTC", "--lang", "zh", "--out", str(out),
                "--format", "html", "--uses", str(app.path), "-q")
    assert r.returncode == 0, r.stderr
    page = (out / f"{DAY}.html").read_text(encoding="utf-8")
    assert "<p>🧭 本日 10 个提交改动了你的代码使用的 10 个符号</p>" in page
    assert page.count('<ul class="uses">') == 10
    assert "<li><code>app/legacy.py:6</code> 调用 <code>legacy_helper()</code>：已被删除</li>" in page
