"""The semantic stage on real git repositories: each test commits a file's old version, then its
new one, reads the second commit as a report does and checks what the stage says changed.
Snippets are written the way real projects write them, one language after another."""

from __future__ import annotations

import json
import weakref

import pytest

from commitdigest.git import log as gitlog
from commitdigest.git.repo import open_repo
from commitdigest.semantic import stage
from commitdigest.semantic.records import Semantic
from tests.conftest import run_cli


def change(make_repo, files_before: dict, files_after: dict, message: str = "change") -> Semantic:
    repo = make_repo()
    repo.commit("before", files_before, when="2026-03-02T10:00:00+00:00")
    sha = repo.commit(message, files_after, when="2026-03-03T10:00:00+00:00")
    r = open_repo(repo.path, None, None)
    commit = gitlog.read_commits(r, [sha])[0]
    stage.attach(r.read_dir, [commit])
    assert commit.semantic is not None
    return commit.semantic


def symbols(sem: Semantic) -> set[tuple[str, str]]:
    return {(s.name, s.change) for s in sem.symbols}


# ------------------------------------------------------------------------------------- Python

DEFAULT_MODELS = '''\
import os

OPENAI_DEFAULT_MODEL_ENV_VARIABLE_NAME = "OPENAI_DEFAULT_MODEL"


def gpt_5_reasoning_settings_required(model_name: str) -> bool:
    """Whether the model needs reasoning settings."""
    return model_name.startswith("gpt-5")


def get_default_model() -> str:
    """Returns the default model name."""
    return os.getenv(OPENAI_DEFAULT_MODEL_ENV_VARIABLE_NAME, "{model}").lower()
'''


def test_python_changed_default_is_a_value_of_its_function(make_repo):
    sem = change(make_repo, {"src/agents/models/default_models.py": DEFAULT_MODELS.format(model="gpt-5.4-mini")},
                 {"src/agents/models/default_models.py": DEFAULT_MODELS.format(model="gpt-5.6-luna")})
    assert symbols(sem) == {("get_default_model", "modified")}
    [value] = sem.values
    assert (value.symbol, value.before, value.after) == ("get_default_model", '"gpt-5.4-mini"', '"gpt-5.6-luna"')
    assert value.path == "src/agents/models/default_models.py" and value.line == 13
    # the only return changed by that value alone: told once, as the value
    assert sem.behaviour == []


PROVIDER = '''\
class UserError(Exception):
    pass


class OpenAIProvider:
    def __init__(self, *, api_key: str | None = None, base_url: str | None = None, client=None,
                 timeout: float = {timeout}) -> None:
{guard}        self._client = client
        self._timeout = timeout

    @property
    def client(self):
        return self._client

    @client.setter
    def client(self, value):
        self._client = value

    def _legacy(self):
        return None
'''


def test_python_guard_raise_signature_and_default(make_repo):
    guard = ("        if client is not None and (api_key is not None or base_url is not None):\n"
             "            raise UserError(\"Don't provide api_key or base_url if you provide openai_client\")\n")
    sem = change(make_repo, {"src/provider.py": PROVIDER.format(timeout="30.0", guard="")},
                 {"src/provider.py": PROVIDER.format(timeout="60.0", guard=guard)})
    assert symbols(sem) == {("OpenAIProvider.__init__", "modified")}
    [sym] = sem.symbols
    assert sym.kind == "method" and sym.public
    assert "timeout: float = 30.0" in sym.signature_before and "timeout: float = 60.0" in sym.signature_after
    [value] = sem.values
    assert (value.kind, value.name, value.before, value.after) == ("default", "timeout", "30.0", "60.0")
    kinds = {(b.kind, b.detail, b.exit) for b in sem.behaviour}
    assert ("raises_added", "UserError", None) in kinds
    assert ("guard_added", "client is not None and (api_key is not None or base_url is not None)",
            "raise UserError(…)") in kinds


def test_python_layout_comments_and_docstrings_are_not_changes(make_repo):
    before = '''\
def build(items, *, strict=False):
    """Build it."""
    out = [item for item in items if item]  # keep the truthy ones
    return compute(out, strict)
'''
    after = '''\
def build(items, *, strict=False):
    """Build it, the truthy items only.

    Nothing else changes.
    """
    # keep the truthy ones
    out = [
        item
        for item in items
        if item
    ]
    return compute(
        (out),
        strict,
    )
'''
    sem = change(make_repo, {"lib/build.py": before}, {"lib/build.py": after})
    assert sem.symbols == [] and sem.values == [] and sem.files_parsed == 1


def test_python_indentation_is_code(make_repo):
    before = "def step(x):\n    if x:\n        a()\n        b()\n    return x\n"
    after = "def step(x):\n    if x:\n        a()\n    b()\n    return x\n"
    sem = change(make_repo, {"lib/step.py": before}, {"lib/step.py": after})
    assert symbols(sem) == {("step", "modified")}


def test_python_method_change_is_not_its_class(make_repo):
    before = "class Agent:\n    name: str = 'a'\n\n    def run(self):\n        return 1\n\n    def stop(self):\n        pass\n"
    after = ("class Agent:\n    name: str = 'a'\n\n    def run(self):\n        return 2\n\n"
             "    def as_tool(self, name):\n        return name\n")
    sem = change(make_repo, {"src/agent.py": before}, {"src/agent.py": after})
    assert symbols(sem) == {("Agent.run", "modified"), ("Agent.as_tool", "added"), ("Agent.stop", "removed")}
    assert [v.after for v in sem.values] == ["2"]


def test_python_rename_and_move(make_repo):
    body = "    total = 0\n    for x in xs:\n        total += x * 2\n    return total\n"
    sem = change(make_repo, {"src/a.py": f"def double_sum(xs):\n{body}", "src/b.py": "def helper():\n    return 1\n"},
                 {"src/a.py": f"def doubled_total(xs):\n{body}", "src/b.py": None,
                  "src/c.py": "def helper():\n    return 1\n"})
    renamed = [s for s in sem.symbols if s.change == "renamed"]
    assert [(s.old_name, s.name) for s in renamed] == [("double_sum", "doubled_total")]
    moved = [s for s in sem.symbols if s.change == "moved"]
    assert [(s.name, s.old_path, s.path) for s in moved] == [("helper", "src/b.py", "src/c.py")]


def test_python_property_getter_and_setter_are_one_symbol(make_repo):
    before = PROVIDER.format(timeout="30.0", guard="")
    after = before.replace("        self._client = value\n", "        self._client = value or self._client\n")
    sem = change(make_repo, {"src/provider.py": before}, {"src/provider.py": after})
    assert symbols(sem) == {("OpenAIProvider.client", "modified")}


def test_python_decorator_change_modifies(make_repo):
    before = "import functools\n\n\ndef load(path):\n    return open(path).read()\n"
    after = "import functools\n\n\n@functools.cache\ndef load(path):\n    return open(path).read()\n"
    sem = change(make_repo, {"src/io.py": before}, {"src/io.py": after})
    assert symbols(sem) == {("load", "modified")}


def test_python_private_names_and_modules(make_repo):
    sem = change(make_repo, {"src/pkg/_impl.py": "def run():\n    return 1\n", "src/pkg/api.py": "x = 1\n"},
                 {"src/pkg/_impl.py": "def run():\n    return 2\n",
                  "src/pkg/api.py": "x = 1\n\n\ndef _helper():\n    pass\n\n\ndef __getattr__(name):\n    pass\n"})
    public = {s.name: s.public for s in sem.symbols}
    assert public == {"run": False, "_helper": False, "__getattr__": True}


def test_python_surface_env_options_errors_and_deprecation(make_repo):
    before = '''\
import argparse
import os


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    return parser


def old_api():
    return 1
'''
    after = '''\
import argparse
import os
import warnings


class QuotaExceededError(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model")
    parser.add_argument(
        "-t",
        "--timeout",
        type=float,
    )
    token = os.environ.get("AGENTS_API_TOKEN")
    return parser, token


def old_api():
    warnings.warn("old_api is deprecated", DeprecationWarning)
    return 1
'''
    sem = change(make_repo, {"src/cli.py": before}, {"src/cli.py": after})
    found = {(u.kind, u.name, u.change, u.symbol) for u in sem.surface}
    assert found == {("cli_option", "--timeout", "added", "main"), ("env_var", "AGENTS_API_TOKEN", "added", "main"),
                     ("error_type", "QuotaExceededError", "added", "QuotaExceededError"),
                     ("deprecation", "old_api", "added", "old_api")}


def test_python_tests_and_the_symbols_they_name(make_repo):
    sem = change(make_repo, {"src/agents/run.py": "def run(x):\n    return x\n",
                             "tests/test_run.py": "from agents.run import run\n\n\ndef test_old():\n    assert run(1)\n"},
                 {"src/agents/run.py": "def run(x):\n    return x + 1\n",
                  "tests/test_run.py": "from agents.run import run\n\n\ndef test_increments():\n    assert run(1) == 2\n\n\n"
                                       "def helper_fixture():\n    return 3\n"})
    assert symbols(sem) == {("run", "modified")}  # test files give tests, not symbols
    assert {(t.name, t.change, tuple(t.covers)) for t in sem.tests} == {("test_increments", "added", ("run",)),
                                                                        ("test_old", "removed", ("run",))}


def test_python_syntax_error_reads_only_what_parses(make_repo):
    before = "def kept():\n    return 1\n\n\ndef broken():\n    return 2\n\n\ndef gone():\n    return 3\n"
    after = "def kept():\n    return 10\n\n\ndef broken(:\n    return 2 +\n\n\ndef fresh():\n    return 4\n"
    sem = change(make_repo, {"src/m.py": before}, {"src/m.py": after})
    assert [(s.path, s.reason) for s in sem.skipped] == [("src/m.py", "syntax_error")]
    found = symbols(sem)
    assert ("kept", "modified") in found
    # "broken" is still written in the part that does not parse: it is not called removed
    assert not any(name == "broken" for name, _ in found)


def test_large_and_generated_files_are_marked_not_read(make_repo):
    tables = "".join(f"def message_{i}(buf):\n    return buf[{i}:{i + 1}]\n\n" for i in range(25_000))
    generated = "# Code generated by protoc. DO NOT EDIT.\n" + tables
    assert len(generated) > 1_000_000
    sem = change(make_repo, {"src/pb/messages_pb.py": "x = 1\n", "src/tables.py": "x = 1\n",
                             "src/app.py": "def a():\n    return 1\n"},
                 {"src/pb/messages_pb.py": generated, "src/tables.py": tables, "src/app.py": "def a():\n    return 2\n"})
    assert {(s.path, s.reason) for s in sem.skipped} == {("src/pb/messages_pb.py", "generated"),
                                                         ("src/tables.py", "too_large")}
    assert symbols(sem) == {("a", "modified")}
    smaller = "# @generated by a tool\n" + "def f():\n    pass\n" * 100
    sem = change(make_repo, {"gen/api.py": "x = 1\n"}, {"gen/api.py": smaller})
    assert [(s.path, s.reason) for s in sem.skipped] == [("gen/api.py", "generated")] and sem.symbols == []


def test_unsupported_and_odd_files_are_marked_and_never_fail(make_repo):
    sem = change(make_repo, {"src/Main.java": "class Main {}\n", "src/app.py": b"def a():\n    return '\xff'\n"},
                 {"src/Main.java": "class Main { void run() {} }\n", "src/app.py": b"def a():\n    return '\xfe\xff'\n"})
    assert ("src/Main.java", "unsupported_language") in {(s.path, s.reason) for s in sem.skipped}
    assert symbols(sem) == {("a", "modified")}


# --------------------------------------------------------------------------------------- Rust

RUST = '''\
use std::time::Duration;

pub const DEFAULT_PAGE_SIZE: u32 = {page};

/// A client of the model cache.
#[derive(Debug, Clone)]
pub struct Client {{
    config: ClientConfig,
}}

impl Client {{
    pub fn new(config: ClientConfig) -> Self {{
        Self {{ config }}
    }}

    pub fn get_cache_config(&self) -> Option<&CacheConfig> {{
        self.config.cache.as_ref()
    }}
{extra}
    fn retry_delay(&self) -> Duration {{
        Duration::from_secs({delay})
    }}
}}

impl std::fmt::Display for Client {{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
        write!(f, "client")
    }}
}}

mod transport {{
    pub mod grpc {{
        impl super::super::Client {{
            pub fn channel(&self) -> u8 {{
                {channel}
            }}
        }}
    }}
}}

#[cfg(test)]
mod tests {{
    use super::*;

    fn fixture() -> Client {{
        todo!()
    }}

    #[test]
    fn page_size_is_positive() {{
        assert!(DEFAULT_PAGE_SIZE > 0);
    }}
}}
'''


def test_rust_impls_traits_nested_modules_and_tests(make_repo):
    extra = '''
    pub fn clear_all_cached_models(&self) -> Result<(), Error> {
        if self.config.read_only {
            return Err(Error::ReadOnly);
        }
        Ok(())
    }
'''
    sem = change(make_repo, {"client/src/lib.rs": RUST.format(page="1024", extra=extra, delay="1", channel="1")},
                 {"client/src/lib.rs": RUST.format(page="512", extra="", delay="5", channel="2")})
    found = symbols(sem)
    assert found == {("DEFAULT_PAGE_SIZE", "modified"), ("Client::clear_all_cached_models", "removed"),
                     ("Client::retry_delay", "modified"), ("transport::grpc::Client::channel", "modified")}
    by_name = {s.name: s for s in sem.symbols}
    assert by_name["Client::clear_all_cached_models"].public
    assert by_name["Client::clear_all_cached_models"].signature_before == \
        "pub fn clear_all_cached_models(&self) -> Result<(), Error>"
    assert not by_name["Client::retry_delay"].public
    values = {(v.symbol, v.before, v.after) for v in sem.values}
    assert values == {("DEFAULT_PAGE_SIZE", "1024", "512"), ("Client::retry_delay", "1", "5"),
                      ("transport::grpc::Client::channel", "1", "2")}
    assert [v.kind for v in sem.values if v.symbol == "DEFAULT_PAGE_SIZE"] == ["constant"]
    # the test module's helper is part of the tests, not a symbol; the test itself is unchanged
    assert sem.tests == []


def test_rust_test_functions_in_source_files(make_repo):
    before = RUST.format(page="1", extra="", delay="1", channel="1")
    after = before.replace("    #[test]\n    fn page_size_is_positive()",
                           "    #[test]\n    fn page_size_is_small() {\n        assert!(DEFAULT_PAGE_SIZE < 4096);\n    }\n\n"
                           "    #[test]\n    fn page_size_is_positive()")
    sem = change(make_repo, {"src/lib.rs": before}, {"src/lib.rs": after})
    assert sem.symbols == []
    assert [(t.name, t.change) for t in sem.tests] == [("tests::page_size_is_small", "added")]


# ----------------------------------------------------------------------------------------- Go

GO = '''\
package gateway

import (
	"errors"
	"flag"
	"os"
)

var ErrNoBackend = errors.New("no backend")

// Config is the gateway's configuration file.
type Config struct {
	Listen  string `yaml:"listen"`
	Timeout int    `yaml:"timeout"`
%s}

type Router interface {
	Route(name string) (string, error)
}

var port = flag.Int("port", 1975, "listen port")

func (s *Server[T]) Handle(name string) (string, error) {
	if name == "" {
		return "", ErrNoBackend
	}
	if err := s.check(); err != nil {
		return "", err
	}
	return %s, nil
}

func newServer() *Server[int] {
	return &Server[int]{}
}
'''


def test_go_receivers_exports_tags_and_guards(make_repo):
    before = GO % ("", "name")
    after = (GO % ("\tRetries int    `yaml:\"retries\"`\n", "os.Getenv(\"GATEWAY_BACKEND\")")).replace(
        'var port = flag.Int("port", 1975, "listen port")',
        'var port = flag.Int("port", 1975, "listen port")\nvar debug = flag.Bool("debug", false, "debug")')
    sem = change(make_repo, {"internal/gateway/server.go": before}, {"internal/gateway/server.go": after})
    found = symbols(sem)
    assert ("Config", "modified") in found and ("Server.Handle", "modified") in found
    assert ("debug", "added") in found
    surface = {(u.kind, u.name, u.change) for u in sem.surface}
    assert {("config_key", "retries", "added"), ("env_var", "GATEWAY_BACKEND", "added"),
            ("cli_option", "--debug", "added")} <= surface
    # the internal/ package keeps everything private to its module
    assert not any(s.public for s in sem.symbols)
    # "if err != nil { return err }" is error propagation, not a guard: nothing said about it
    assert not any("err != nil" in b.detail for b in sem.behaviour)


def test_go_exported_names_and_tests(make_repo):
    sem = change(make_repo, {"pkg/api/api.go": "package api\n\nfunc Serve() {}\n\nfunc helper() {}\n",
                             "pkg/api/api_test.go": "package api\n\nimport \"testing\"\n\nfunc TestServe(t *testing.T) {}\n"},
                 {"pkg/api/api.go": "package api\n\nfunc Serve() { helper() }\n\nfunc helper() {}\n\nfunc Stop() {}\n",
                  "pkg/api/api_test.go": "package api\n\nimport \"testing\"\n\nfunc TestServe(t *testing.T) { Serve() }\n"})
    assert {(s.name, s.change, s.public) for s in sem.symbols} == {("Serve", "modified", True), ("Stop", "added", True)}
    assert [(t.name, t.change, t.covers) for t in sem.tests] == [("TestServe", "modified", ["Serve"])]


# --------------------------------------------------------------------------------- TypeScript

TS = '''\
export interface RouteOptions {
  timeoutMs: number;
}

export function route(name: string): string;
export function route(name: string, options: RouteOptions): string;
export function route(name: string, options?: RouteOptions): string {
  return name;
}

export class Gateway<T> extends Base {
  private cache = new Map<string, T>();

  constructor(private readonly url: string = "%s") {
    super();
  }

  public forward(req: Request): Promise<Response> {
    if (!req.ok) throw new GatewayError("bad request");
    return fetch(this.url);
  }

  #secret(): void {}
}

class Hidden {
  run() {}
}

export enum Mode { Fast, Safe }

export const handler = (event: Event) => event;
'''


def test_typescript_overloads_classes_exports_and_defaults(make_repo):
    before = TS % "http://localhost:1975"
    after = (TS % "http://localhost:8080").replace(
        "export function route(name: string, options?: RouteOptions): string {\n  return name;",
        "export function route(name: string, options?: RouteOptions): string {\n  return options ? name : \"\";").replace(
        "  #secret(): void {}", "  #secret(): void { return; }").replace("  run() {}", "  run() { return 1; }")
    sem = change(make_repo, {"src/gateway.ts": before}, {"src/gateway.ts": after})
    by_name = {s.name: s for s in sem.symbols}
    assert set(by_name) == {"route", "Gateway.constructor", "Gateway.#secret", "Hidden.run"}
    assert by_name["route"].public and by_name["Gateway.constructor"].public
    assert not by_name["Gateway.#secret"].public and not by_name["Hidden.run"].public
    [value] = [v for v in sem.values if v.symbol == "Gateway.constructor"]
    assert (value.kind, value.name, value.before, value.after) == (
        "default", "url", '"http://localhost:1975"', '"http://localhost:8080"')


def test_typescript_tests_are_it_calls(make_repo):
    before = 'describe("gateway", () => {\n  it("routes", () => {\n    expect(route("a")).toBe("a");\n  });\n});\n'
    after = before.replace("});\n});", "});\n  it(\"times out\", () => {\n    expect(route(\"b\")).toBe(\"\");\n  });\n});")
    sem = change(make_repo, {"src/route.ts": "export function route(n: string) { return n; }\n",
                             "src/route.test.ts": before},
                 {"src/route.ts": "export function route(n: string) { return n || \"\"; }\n",
                  "src/route.test.ts": after})
    assert [(t.name, t.change, t.covers) for t in sem.tests] == [("times out", "added", ["route"])]


# ---------------------------------------------------------------------------------------- C++

CPP = '''\
#include <stdexcept>

namespace mx {
namespace detail {
int clamp(int v);
}

class Loader : public Base {
 public:
  explicit Loader(int retries = %s);
  int load(const std::string& name);
  int load(const std::string& name, int flags);

 private:
  int fetch(int id);
  int retries_;
};

int Loader::load(const std::string& name) {
  if (name.empty()) throw std::invalid_argument("name");
  return fetch(1);
}

int Loader::load(const std::string& name, int flags) { return fetch(flags); }

int Loader::fetch(int id) { return %s; }

namespace {
int local_helper() { return 1; }
}
}  // namespace mx
'''


def test_cpp_namespaces_out_of_line_methods_overloads_and_access(make_repo):
    sem = change(make_repo, {"src/loader.cc": CPP % ("3", "id")}, {"src/loader.cc": CPP % ("5", "id + retries_")})
    by_name = {s.name: s for s in sem.symbols}
    assert set(by_name) == {"mx::Loader::Loader", "mx::Loader::fetch"}
    assert by_name["mx::Loader::Loader"].public and not by_name["mx::Loader::fetch"].public
    assert by_name["mx::Loader::Loader"].signature_before == "explicit Loader(int retries = 3)"
    [value] = sem.values
    assert (value.kind, value.name, value.before, value.after) == ("default", "retries", "3", "5")


def test_cpp_overload_added_and_anonymous_namespace(make_repo):
    after = (CPP % ("3", "id")).replace("int local_helper() { return 1; }", "int local_helper() { return 2; }")
    after = after.replace("  int fetch(int id);", "  int fetch(int id);\n  int fetch(long id);")
    sem = change(make_repo, {"src/loader.cc": CPP % ("3", "id")}, {"src/loader.cc": after})
    by_name = {s.name: s for s in sem.symbols}
    assert set(by_name) == {"mx::Loader::fetch", "mx::(anonymous namespace)::local_helper"}
    assert not by_name["mx::(anonymous namespace)::local_helper"].public


# ------------------------------------------------------------------------------- the pipeline


def test_every_language_s_queries_compile():
    from commitdigest.semantic.languages import SPECS

    for spec in SPECS.values():
        assert spec.definitions.pattern_count > 0 and spec.behaviour_query.pattern_count > 0, spec.name


def new_default_model(make_repo):
    """A repository whose 2026-03-03 commit changes the default model's name."""
    repo = make_repo()
    repo.commit("feat: base", {"src/agents/models/default_models.py": DEFAULT_MODELS.format(model="gpt-5.4-mini")},
                when="2026-03-02T10:00:00+00:00")
    repo.commit("feat: use GPT-5.6 Luna as the default model", {
        "src/agents/models/default_models.py": DEFAULT_MODELS.format(model="gpt-5.6-luna")},
        when="2026-03-03T10:00:00+00:00")
    return repo


def test_the_json_twin_carries_the_facts(make_repo, tmp_path):
    repo = new_default_model(make_repo)
    out = tmp_path / "out"
    done = run_cli("report", "--repo", str(repo.path), "--date", "2026-03-03", "--tz", "UTC", "--out", str(out),
                   "--format", "md,json,html", "-q")
    assert done.returncode == 0, done.stderr
    # the offline report says it in the code's own terms, in Markdown and in HTML
    md = (out / "2026-03-03.md").read_text()
    assert "- `get_default_model()` 中的值：`gpt-5.4-mini` → `gpt-5.6-luna`\n" in md
    html = (out / "2026-03-03.html").read_text()
    assert "<li><code>get_default_model()</code> 中的值：<code>gpt-5.4-mini</code> → <code>gpt-5.6-luna</code></li>" in html
    twin = json.loads((out / "2026-03-03.json").read_text())
    sem = twin["repos"][0]["commits"][0]["semantic"]
    assert sem["symbols"] == [{"path": "src/agents/models/default_models.py", "name": "get_default_model",
                               "kind": "function", "change": "modified", "public": True, "signature_before": None,
                               "signature_after": None, "old_name": None, "old_path": None, "line": 11}]
    assert sem["values"] == [{"path": "src/agents/models/default_models.py", "symbol": "get_default_model",
                              "name": None, "kind": "literal", "before": '"gpt-5.4-mini"', "after": '"gpt-5.6-luna"',
                              "line": 13}]
    assert sem["files_parsed"] == 1 and sem["omitted"] == {}


def test_facts_are_cached_by_sha(make_repo, tmp_path, monkeypatch):
    from commitdigest import pipeline
    from commitdigest.store import Store

    repo = make_repo()
    repo.commit("base", {"a.py": "def f():\n    return 1\n"}, when="2026-03-02T10:00:00+00:00")
    sha = repo.commit("change", {"a.py": "def f():\n    return 2\n"}, when="2026-03-03T10:00:00+00:00")
    r = open_repo(repo.path, None, None)
    store = Store(tmp_path / "cache")
    first = gitlog.read_commits(r, [sha])
    pipeline.attach_semantic(first, r, store)
    calls = []
    monkeypatch.setattr(stage, "attach", lambda *a, **k: calls.append(a))
    again = gitlog.read_commits(r, [sha])
    pipeline.attach_semantic(again, r, store)
    store.close()
    assert calls == [] and again[0].semantic == first[0].semantic and again[0].semantic.symbols


def test_an_analysis_is_made_again_when_the_stage_finds_facts_anew(make_repo, tmp_path, monkeypatch):
    """An analysis tells the semantic facts it was made from: one cached under an earlier
    version of the stage is not served once the stage finds its facts anew."""
    from datetime import date

    from commitdigest import pipeline
    from commitdigest.analysis.heuristic import HeuristicAnalyzer
    from commitdigest.store import Store
    from commitdigest.window import parse_zone

    class Counting(HeuristicAnalyzer):
        calls = 0

        def analyze(self, commit, language, scoring=None):
            Counting.calls += 1
            return super().analyze(commit, language, scoring)

    repo = make_repo()
    repo.commit("base", {"a.py": LONG_RETURN.format(middle="commits=commits, analyses=analyses")},
                when="2026-03-02T10:00:00+00:00")
    repo.commit("refactor: entries", {"a.py": LONG_RETURN.format(middle="entries=entries")},
                when="2026-03-03T10:00:00+00:00")
    day = pipeline.Span(date(2026, 3, 3), date(2026, 3, 3))
    tracked = [pipeline.Tracked.of(open_repo(repo.path, None, None))]

    def calls_of_a_run() -> int:
        before = Counting.calls
        store = Store(tmp_path / "cache")
        try:
            pipeline.generate([day], tracked, Counting(), store, zone=parse_zone("UTC"), language="en")
        finally:
            store.close()
        return Counting.calls - before

    assert calls_of_a_run() == 1 and calls_of_a_run() == 0  # cached
    monkeypatch.setattr(stage, "ENGINE_VERSION", "next")
    assert calls_of_a_run() == 1 and calls_of_a_run() == 0


def test_a_git_failure_costs_the_facts_not_the_report(make_repo, tmp_path):
    repo = make_repo()
    repo.commit("base", {"a.py": "def f():\n    return 1\n"}, when="2026-03-02T10:00:00+00:00")
    sha = repo.commit("change", {"a.py": "def f():\n    return 2\n"}, when="2026-03-03T10:00:00+00:00")
    r = open_repo(repo.path, None, None)
    commit = gitlog.read_commits(r, [sha])[0]
    gone = tmp_path / "not-a-repository"  # where git then fails to read any blob
    gone.mkdir()
    stage.attach(gone, [commit])
    assert commit.semantic is None


def test_an_abandoned_parse_marks_the_file(make_repo, monkeypatch):
    monkeypatch.setattr(stage, "PARSE_SECONDS", -1.0)  # every parse is past its deadline at once
    sem = change(make_repo, {"a.py": "def f():\n    return 1\n" * 50}, {"a.py": "def f():\n    return 2\n" * 50})
    assert {s.reason for s in sem.skipped} == {"over_limit"} and sem.symbols == []


@pytest.mark.parametrize("capacity", [0, 1, 2, 48])
def test_schedule_keeps_at_most_its_capacity_and_reads_each_miss(capacity):
    pairs = [(("py", "a"), ("py", "b")), (("py", "b"), ("py", "c")), (("py", "x"), ("py", "y")),
             (("py", "c"), ("py", "d")), (None, ("py", "a")), (("py", "d"), None)]
    steps = stage._schedule(pairs, capacity)
    kept: set = set()
    for step in steps:
        assert not step.hit or step.key in kept
        kept.discard(step.key)
        kept -= set(step.drop)
        if step.keep:
            kept.add(step.key)
        assert len(kept) <= capacity
    assert len(steps) == 10
    # one kept parse saves reading b, c and d twice; two also keep "a" for its second use
    assert sum(s.hit for s in steps) == {0: 0, 1: 3, 2: 4, 48: 4}[capacity]


def test_raised_types_are_told_in_the_code_s_order(make_repo):
    """Not in a set's order, which changes from one process to the next: the same commit gives
    the same report every time."""
    before = "def run(x):\n    return x\n"
    after = ("def run(x):\n    if x < 0:\n        raise ZetaError(x)\n    if x > 9:\n        raise AlphaError(x)\n"
             "    if x == 5:\n        raise MidError(x)\n    return x\n")
    sem = change(make_repo, {"a.py": before}, {"a.py": after})
    assert [b.detail for b in sem.behaviour if b.kind == "raises_added"] == ["ZetaError", "AlphaError", "MidError"]


def _history(make_repo, versions: int):
    """One file changed by ``versions - 1`` commits, read as a report reads them (newest first)."""
    repo = make_repo()
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(300))
    shas = []
    for v in range(versions):
        shas.append(repo.commit(f"v{v}", {"src/m.py": body.replace("return x + 7\n", f"return x + 7 * {v}\n")},
                                when=f"2026-03-{v + 2:02d}T10:00:00+00:00"))
    r = open_repo(repo.path, None, None)
    return r, gitlog.read_commits(r, shas[1:][::-1])


@pytest.mark.parametrize("newest_first", [True, False])
def test_a_file_s_parses_are_carried_to_the_next_batch(make_repo, monkeypatch, newest_first):
    """The next batch's change of a file starts where the last one read ended (its old side when
    batches come newest first, its new side when oldest first), so that side is not parsed
    again, and what is found is the same."""
    r, commits = _history(make_repo, 4)
    if not newest_first:
        commits = commits[::-1]
    made: list[bool] = []
    real = stage.parse

    def counting(spec, source, **kw):
        made.append(kw.get("neighbour") is not None)
        return real(spec, source, **kw)

    monkeypatch.setattr(stage, "parse", counting)
    monkeypatch.setattr(stage, "_carried", type(stage._carried)())
    found = []
    for n, commit in enumerate(commits):  # one commit a batch, in this process
        plans = [p for f in commit.files if isinstance(p := stage._plan(0, commit, f), stage._Plan)]
        made.clear()
        [(_, part)] = stage._run(r.read_dir, plans, 60.0, 5.0, 0 if newest_first else 1)
        found.append(part.record())
        # the first batch parses both sides (one from the other); each later one only the other side
        assert made == ([False, True] if n == 0 else [True])
    monkeypatch.setattr(stage, "_carried", type(stage._carried)())
    for commit, carried in zip(commits, found, strict=True):
        fresh = gitlog.read_commits(r, [commit.sha])[0]
        stage.attach(r.read_dir, [fresh])
        assert fresh.semantic == carried
        assert [v.after for v in carried.values] == [commit.subject.removeprefix("v")]  # the number times 7


def test_carried_parses_are_bounded(monkeypatch):
    from commitdigest.semantic.languages import SPECS
    from commitdigest.semantic.syntax import parse

    monkeypatch.setattr(stage, "_CARRY_FILES", 3)
    monkeypatch.setattr(stage, "_CARRY_BYTES", 100)
    small = parse(SPECS["python"], b"x = 1\n")
    big = parse(SPECS["python"], b"y = 2\n" * 30)
    carry = stage._Carry()
    for i in range(5):
        carry.put(f"f{i}.py", ("python", f"b{i}"), small)
    assert list(carry.items) == ["f2.py", "f3.py", "f4.py"] and carry.size == 3 * len(small.source)
    carry.put("g.py", ("python", "g"), big)  # over the bound on its own
    assert "g.py" not in carry.items
    carry.put("f3.py", ("python", "f3-newer"), small)  # a later parse of f3 replaces it, as the latest
    assert list(carry.items) == ["f2.py", "f4.py", "f3.py"] and carry.items["f3.py"][0] == ("python", "f3-newer")
    assert carry.take("f2.py") is not None and carry.take("f2.py") is None and carry.size == 2 * len(small.source)


def test_a_batch_lets_go_of_parses_it_is_done_with(make_repo, monkeypatch):
    """However many files a batch reads, what it holds for the next one stays within the bound,
    and is slimmed to source and tree."""
    repo = make_repo()
    files = {f"pkg/m{i:02d}.py": f"# module {i:02d}\n" + "".join(f"def f{j}(x):\n    return x + {j}\n\n" for j in range(20))
             for i in range(12)}
    repo.commit("base", files, when="2026-03-01T10:00:00+00:00")
    sha = repo.commit("change all", {p: body.replace("x + 3\n", "x + 33\n") for p, body in files.items()},
                      when="2026-03-02T10:00:00+00:00")
    r = open_repo(repo.path, None, None)
    [commit] = gitlog.read_commits(r, [sha])
    plans = [p for f in commit.files if isinstance(p := stage._plan(0, commit, f), stage._Plan)]
    size = len(files["pkg/m00.py"].encode())
    monkeypatch.setattr(stage, "_carried", stage._Carry())
    monkeypatch.setattr(stage, "_CARRY_BYTES", 3 * size)
    made: list[weakref.ref] = []
    alive: list[int] = []
    real_parse, real_one = stage.parse, stage._one

    def parse(*a, **kw):
        parsed = real_parse(*a, **kw)
        made.append(weakref.ref(parsed))
        return parsed

    def one(*a):
        alive.append(sum(ref() is not None for ref in made))
        return real_one(*a)

    monkeypatch.setattr(stage, "parse", parse)
    monkeypatch.setattr(stage, "_one", one)
    [_, *_] = stage._run(r.read_dir, plans, 60.0, 5.0)
    assert len(plans) == 12, [f.path for f in commit.files]
    assert len(made) == 24 and max(alive) <= 3 + 2  # the three gathered, and the pair compared
    assert len(stage._carried.items) == 3 and stage._carried.size == 3 * size
    assert all(parsed._all is None for _, parsed in stage._carried.items.values())
    # the three kept are the last read, by path: the files read first were let go
    assert list(stage._carried.items) == sorted(files)[-3:]


def test_a_path_goes_to_the_worker_that_read_it_last_unless_that_one_is_full(monkeypatch):
    from commitdigest.models import FileChange

    monkeypatch.setattr(stage, "_homes", {})

    def plans(paths):
        return [stage._Plan(commit=0, change=FileChange(path=p, status="M", insertions=5, deletions=5),
                            spec=None, old_id="a", new_id="b") for p in paths]  # type: ignore[arg-type]

    first = stage._shards(plans(["a.py", "b.py", "c.py", "d.py"]), 2)
    homes = dict(stage._homes)
    assert sorted(i for _, shard in first for i in shard) == [0, 1, 2, 3] and len(first) == 2
    # the same files in another order, and one new: each old one goes where it went before
    batch = ["d.py", "c.py", "b.py", "a.py", "e.py"]
    again = stage._shards(plans(batch), 2)
    for slot, shard in again:
        for i in shard:
            assert batch[i] == "e.py" or homes[batch[i]] == slot
    # a batch of files all read by worker 0 before is still shared out
    stage._homes.update({p: 0 for p in ("a.py", "b.py", "c.py", "d.py")})
    shared = stage._shards(plans(["a.py", "b.py", "c.py", "d.py"]), 2)
    assert len(shared) == 2


@pytest.mark.parametrize("edit", ["insert_first", "delete_last", "middle", "no_newline_at_end", "many_hunks"])
def test_incremental_reparse_gives_the_tree_a_full_parse_gives(make_repo, edit):
    """The tree reparsed from the other side's tree and the diff's hunks, both ways, is the one a
    full parse gives: the hunks are turned into tree-sitter edits exactly."""
    from commitdigest.semantic.compare import hunks
    from commitdigest.semantic.languages import SPECS
    from commitdigest.semantic.syntax import parse

    lines = [f"def f{i}(x):\n    return x + {i}\n" for i in range(40)]
    before = "".join(lines)
    after = {
        "insert_first": "import os\n" + before,
        "delete_last": "".join(lines[:-1]),
        "middle": before.replace("return x + 20\n", "y = x * 2\n    return y + 20\n"),
        "no_newline_at_end": before.rstrip("\n"),
        "many_hunks": "".join(line.replace("x +", "x -") if i % 7 == 0 else line for i, line in enumerate(lines)),
    }[edit]
    repo = make_repo()
    repo.commit("before", {"m.py": before})
    sha = repo.commit("after", {"m.py": after})
    commit = gitlog.read_commits(open_repo(repo.path, None, None), [sha])[0]
    [f] = commit.files
    spec = SPECS["python"]
    old, new = parse(spec, before.encode()), parse(spec, after.encode())
    forward = hunks(f.patch)
    assert forward
    backward = [(c, d, a, b) for a, b, c, d in forward]
    assert str(parse(spec, after.encode(), neighbour=(old, forward)).tree.root_node) == str(new.tree.root_node)
    assert str(parse(spec, before.encode(), neighbour=(new, backward)).tree.root_node) == str(old.tree.root_node)


def test_blobs_come_in_the_order_asked_missing_and_large_ones_marked(make_repo):
    from commitdigest.git.blobs import BlobTooLarge, read_blobs

    repo = make_repo()
    repo.commit("one", {"a.txt": "alpha\n", "b.txt": "x" * 5000})
    a = repo.git("rev-parse", "HEAD:a.txt")
    b = repo.git("rev-parse", "HEAD:b.txt")
    missing = "0123456789abcdef0123456789abcdef01234567"
    got = list(read_blobs(repo.path, [b, a, missing, a], limit=1000))
    assert [g[0] for g in got] == [b, a, missing, a]
    assert isinstance(got[0][1], BlobTooLarge) and got[0][1].size == 5000
    assert got[1][1] == b"alpha\n" and got[2][1] is None and got[3][1] == b"alpha\n"


def test_a_worker_that_dies_costs_its_files_not_the_report(make_repo, monkeypatch):
    """A grammar is native code: should one crash, only its worker dies. The files it held are
    marked failed, the rest of the report is made, and the next batch gets a new pool."""
    import os
    import signal
    import threading
    import time

    from commitdigest.semantic import workers

    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(6000))
    repo = make_repo()
    repo.commit("base", {f"src/m{n}.py": body for n in range(12)}, when="2026-03-02T10:00:00+00:00")
    sha = repo.commit("change", {f"src/m{n}.py": body.replace("    return x + 7\n", "    return x - 7\n") for n in range(12)},
                      when="2026-03-03T10:00:00+00:00")
    r = open_repo(repo.path, None, None)
    commit = gitlog.read_commits(r, [sha])[0]
    workers.shutdown()
    monkeypatch.setenv("COMMITDIGEST_SEMANTIC_WORKERS", "1")
    done = threading.Thread(target=stage.attach, args=(r.read_dir, [commit]))
    done.start()
    killed = False
    for _ in range(2000):
        pool = workers._pools.get(0)
        procs = list(getattr(pool, "_processes", None) or {}) if pool is not None else []
        if procs:
            os.kill(procs[0], signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    done.join(timeout=600)
    assert killed and not done.is_alive()
    assert commit.semantic is not None
    assert {s.reason for s in commit.semantic.skipped} == {"failed"} and len(commit.semantic.skipped) == 12
    # the next batch is read by a new pool
    again = gitlog.read_commits(r, [sha])[0]
    stage.attach(r.read_dir, [again])
    assert again.semantic is not None and len(again.semantic.symbols) == 12
    workers.shutdown()


def test_an_analysis_made_while_git_could_not_give_the_blobs_is_not_cached(make_repo, tmp_path, monkeypatch):
    """When git cannot give a batch's blobs its commits have no semantic facts, and their
    analyses say less than they will once it can: they are not cached, so the next run reads the
    code and says what changed in it."""
    from datetime import date

    from commitdigest import pipeline
    from commitdigest.analysis.heuristic import HeuristicAnalyzer
    from commitdigest.errors import GitError
    from commitdigest.semantic import workers
    from commitdigest.window import parse_zone

    repo = make_repo()
    repo.commit("feat: add limit", {"pkg/limits.py": "def limit():\n    return 10\n"}, when="2026-01-12T10:00:00+00:00")
    repo.commit("feat: raise limit", {"pkg/limits.py": "def limit():\n    return 20\n"},
                when="2026-01-13T10:00:00+00:00")

    def report() -> pipeline.Report:
        req = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                     until=date(2026, 1, 13), zone=parse_zone("UTC"), language="en",
                                     cache_dir=tmp_path / "cache")
        return pipeline.generate_report(req, analyzer=HeuristicAnalyzer())

    with monkeypatch.context() as m:  # the worker's git fails: it says so, as a worker does
        m.setattr(workers, "run", lambda fn, jobs, slots=None: [GitError("cat-file: object store unreadable")
                                                               for _ in jobs])
        down = report()
    [commit] = down.repos[0].commits
    assert commit.semantic is None and "20" not in " ".join(commit.analysis.summary)
    up = report()
    [commit] = up.repos[0].commits
    assert up.usage.cache_hits == 0  # analysed again, not served the analysis made without the code
    assert [(v.symbol, v.before, v.after) for v in commit.semantic.values] == [("limit", "10", "20")]
    assert "20" in " ".join(commit.analysis.summary)
    assert report().usage.cache_hits == 1  # and this one is kept


def test_workers_are_started_while_git_reads_only_when_some_commit_needs_them(make_repo, tmp_path, monkeypatch):
    """``warm`` starts every worker in the background, and the stage then runs in those very
    processes; a report starts them early only when the cache lacks some commit's facts."""
    import os
    import time
    from datetime import date

    from commitdigest import pipeline
    from commitdigest.analysis.heuristic import HeuristicAnalyzer
    from commitdigest.semantic import workers
    from commitdigest.window import parse_zone

    workers.shutdown()
    monkeypatch.setenv("COMMITDIGEST_SEMANTIC_WORKERS", "2")
    workers.warm()
    for _ in range(3000):
        started = [list(getattr(workers._pools.get(s), "_processes", None) or {}) for s in (0, 1)]
        if all(started):
            break
        time.sleep(0.01)
    assert all(started), "warm() started no worker"
    assert sorted(workers.run(os.getpid, [(), ()])) == sorted(p for ps in started for p in ps)
    workers.shutdown()

    repo = make_repo()
    repo.commit("feat: add limit", {"pkg/limits.py": "def limit():\n    return 10\n"}, when="2026-01-13T10:00:00+00:00")
    calls: list[int] = []
    real = workers.warm
    monkeypatch.setattr(workers, "warm", lambda: (calls.append(1), real()))
    req = pipeline.ReportRequest(repos=[pipeline.RepoSpec(path=str(repo.path))], since=date(2026, 1, 13),
                                 until=date(2026, 1, 13), zone=parse_zone("UTC"), language="en",
                                 cache_dir=tmp_path / "cache")
    first = pipeline.generate_report(req, analyzer=HeuristicAnalyzer())
    again = pipeline.generate_report(req, analyzer=HeuristicAnalyzer())
    assert calls == [1]  # the second report finds every commit's facts in the cache
    assert first.repos[0].commits[0].semantic == again.repos[0].commits[0].semantic is not None
    workers.shutdown()


LONG_RETURN = '''def result(repo, links, entries, uses):
    return RepoResult(name=repo.name, branch=repo.branch, url=links.base if links else None,
                      commit_url=links.commit if links else None, pr_base=links.pr_base if links else None,
                      {middle}, uses=uses.summary() if uses is not None else None)
'''


def test_a_long_return_is_told_where_it_changed(make_repo, tmp_path):
    repo = make_repo()
    repo.commit("base", {"src/pipeline.py": LONG_RETURN.format(middle="commits=commits, analyses=analyses")},
                when="2026-03-02T10:00:00+00:00")
    repo.commit("refactor: entries instead of commits", {"src/pipeline.py": LONG_RETURN.format(middle="entries=entries")},
                when="2026-03-03T10:00:00+00:00")
    out = tmp_path / "out"
    done = run_cli("report", "--repo", str(repo.path), "--date", "2026-03-03", "--tz", "UTC", "--out", str(out),
                   "--format", "md,json", "-q", "--lang", "en")
    assert done.returncode == 0, done.stderr
    md = (out / "2026-03-03.md").read_text()
    assert ("- `result()` returns `return RepoResult(… entries=entries …` where it returned "
            "`return RepoResult(… commits=commits, analyses=analyses …`\n") in md
    # the twin keeps both statements whole
    [told] = json.loads((out / "2026-03-03.json").read_text())["repos"][0]["commits"][0]["semantic"]["behaviour"]
    assert told["detail"].startswith("return RepoResult(name=repo.name, branch=repo.branch, url=links.base")
    assert "commits=commits, analyses=analyses, uses=" in told["detail"] and "entries=entries, uses=" in told["detail"]


def test_narrowed_statements_are_the_code_s_own_text():
    from commitdigest.analysis.semantic_text import WHOLE, narrowed

    short = ("return f(a)", "return f(b)")
    assert narrowed(*short) == short
    call = "return pipeline.generate(windows, tracked, self.analyzer, self.store, zone=self.zone, language=self.language, "
    before, after = call + "fail_fast=fail_fast, facts=facts)", call + "fail_fast=fail_fast, facts=facts, prepare=p(x))"
    assert len(before) > WHOLE
    # one side adds an argument: the argument before it says where
    assert narrowed(before, after) == ("return pipeline.generate(… facts=facts)",
                                       "return pipeline.generate(… facts=facts, prepare=p(x))")
    # inside a long chain: the call the difference is in, by its last name
    chain = ('return clean(_environment().get_template("templates/commit.md.j2").render(c=entry, depth={}, '
             'L=w.report, IMP=w.importance, lang=x))')
    assert narrowed(chain.format('"high"'), chain.format("depth")) == ('… .render(… depth="high" …', "… .render(… depth=depth …")
    # a difference outside any call: both shown, cut at the same length, from a little before it
    expr = "return " + "x" * 150 + " {} " + "y" * 20
    assert narrowed(expr.format("+"), expr.format("-")) == ("… " + expr.format("+")[118:], "… " + expr.format("-")[118:])
    far = "return " + " and ".join(f"flag_{i}" for i in range(40)) + " {} z"
    b, a = narrowed(far.format("or"), far.format("and"))
    assert b.startswith("… ") and b.endswith("flag_39 or z") and a.endswith("flag_39 and z")
    # a trailing comma stays where the code has it: the pieces are the code's text, not tidied
    args = "return ApplyPatchOperation( type=cast(OperationType, raw_type), path=raw_path, diff=raw_diff, ctx=cast(Any, raw_ctx), {})"
    assert narrowed(args.format(""), args.format("move_to=raw_move_to, ")) == (
        "return ApplyPatchOperation(… ctx=cast(Any, raw_ctx), )",
        "return ApplyPatchOperation(… ctx=cast(Any, raw_ctx), move_to=raw_move_to, )")
    for x, y in [(before, after), (chain.format("1"), chain.format("2")), (far.format("or"), far.format("and")),
                 (args.format(""), args.format("move_to=raw_move_to, "))]:
        for shown, whole in zip(narrowed(x, y), (x, y), strict=True):
            assert all(piece.strip() in whole for piece in shown.split("…") if piece.strip())


def test_a_return_holding_an_arrow_is_not_told_as_two_wrong_halves(make_repo):
    sem = change(make_repo, {"a.py": 'def label(x):\n    return f"{x} → done"\n'},
                 {"a.py": 'def label(x):\n    return f"{x} → finished" if x else None\n'})
    assert not [b for b in sem.behaviour if b.kind == "returns_changed"]


def test_workers_that_cannot_start_cost_the_facts_of_this_run_only(make_repo, tmp_path):
    """No worker process can start (here: the working directory is gone, which the process
    start needs): one warning, the report written with its line facts and no traceback, and
    nothing of it cached, so the next run tells the code's facts."""
    import os
    import subprocess
    import sys

    repo = new_default_model(make_repo)
    gone, out, env = tmp_path / "gone", tmp_path / "out", {**os.environ, "COMMITDIGEST_CACHE_DIR": str(tmp_path / "c")}
    gone.mkdir()
    argv = [sys.executable, "-m", "commitdigest", "report", "--repo", str(repo.path), "--date", "2026-03-03",
            "--tz", "UTC", "--lang", "en", "--out", str(out)]
    done = subprocess.run(["sh", "-c", 'cd "$0" && rmdir "$0" && exec "$@"', str(gone), *argv],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert [ln for ln in done.stderr.splitlines() if "warning" in ln] == [
        "commitdigest: warning: the workers reading the code could not start ([Errno 2] No such file or directory): "
        "the code is not read this time"]
    md = (out / "2026-03-03.md").read_text()
    assert "#### feat: use GPT-5.6 Luna as the default model" in md and "gpt-5.6-luna" not in md
    again = run_cli(*argv[3:], env={"COMMITDIGEST_CACHE_DIR": str(tmp_path / "c")})
    assert again.returncode == 0, again.stderr
    assert "- value in `get_default_model()`: `gpt-5.4-mini` → `gpt-5.6-luna`\n" in (out / "2026-03-03.md").read_text()
