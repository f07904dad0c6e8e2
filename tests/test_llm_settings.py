"""LLM settings: sources and precedence, the key kept secret, the analyzer choice."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from commitdigest.analysis.factory import analyzer_from_options, build_analyzer, llm_options
from commitdigest.errors import LLMConfigError
from commitdigest.llm.settings import LLMSettings

KEY = "sk-test-0123456789abcdefghijklmnop"


def test_defaults():
    s = LLMSettings.from_sources({}, env={})
    assert (s.base_url, s.model, s.api_key) == (None, None, None)
    assert s.concurrency == 8 and s.budget == 12_000 and s.redact and s.response_format == "json_schema"
    assert not s.configured


def test_precedence_file_env_cli():
    file_values = {"base_url": "http://file/v1", "model": "file-model", "timeout": 5, "concurrency": 2}
    env = {"COMMITDIGEST_LLM_MODEL": "env-model", "COMMITDIGEST_LLM_TIMEOUT": "7"}
    s = LLMSettings.from_sources({"timeout": 9.5, "model": None}, env=env, file_values=file_values)
    assert s.base_url == "http://file/v1"  # only the file sets it
    assert s.model == "env-model"  # env beats file; a None flag means "not given"
    assert s.timeout == 9.5  # the flag beats both
    assert s.concurrency == 2


def test_openai_fallback_names():
    env = {"OPENAI_BASE_URL": "http://openai/v1", "OPENAI_API_KEY": KEY, "COMMITDIGEST_LLM_MODEL": "m"}
    s = LLMSettings.from_sources({}, env=env)
    assert s.base_url == "http://openai/v1" and s.api_key_value() == KEY and s.configured
    env["COMMITDIGEST_LLM_BASE_URL"] = "http://ours/v1"
    assert LLMSettings.from_sources({}, env=env).base_url == "http://ours/v1"


def test_key_never_shown():
    s = LLMSettings.from_sources({"api_key": KEY, "headers": {"Authorization": "Bearer hdr-secret"}},
                                 env={}, file_values={})
    for text in (repr(s), str(s), s.model_dump_json(), str(s.model_dump())):
        assert KEY not in text
    # Extra headers may carry credentials too: never in the printable forms.
    assert "hdr-secret" not in repr(s) and "hdr-secret" not in str(s)


def test_invalid_values_give_one_line_without_the_key():
    with pytest.raises(LLMConfigError) as err:
        LLMSettings.from_sources({"api_key": KEY, "concurrency": 0, "base_url": "ftp://x"}, env={})
    msg = err.value.message
    assert "concurrency" in msg and "base_url" in msg and "\n" not in msg and KEY not in msg


def test_headers_and_prices():
    s = LLMSettings.from_sources({}, env={"COMMITDIGEST_LLM_HEADERS": "X-A=1, X-B=two"},
                                 file_values={"prices": {"m": {"prompt": 1.0, "completion": 2.0}}, "model": "m"})
    assert s.headers == {"X-A": "1", "X-B": "two"}
    assert s.price().completion == 2.0


def test_build_analyzer_kinds():
    from commitdigest.analysis.heuristic import HeuristicAnalyzer
    from commitdigest.analysis.llm import LLMAnalyzer

    assert isinstance(build_analyzer("auto", LLMSettings()), HeuristicAnalyzer)
    assert isinstance(build_analyzer("heuristic", None), HeuristicAnalyzer)
    llm = build_analyzer("auto", LLMSettings(base_url="http://127.0.0.1:9/v1", model="qwen"))
    assert isinstance(llm, LLMAnalyzer) and llm.name == "llm:qwen"
    with pytest.raises(LLMConfigError) as err:
        build_analyzer("llm", LLMSettings(model="qwen"))
    assert "base URL" in err.value.message and "COMMITDIGEST_LLM_BASE_URL" in err.value.message
    assert err.value.exit_code == 6


def test_fingerprint_names_what_changes_the_output():
    from commitdigest.analysis.llm import PROMPT_VERSION, LLMAnalyzer

    base = dict(base_url="http://127.0.0.1:9/v1", model="qwen")
    a = LLMAnalyzer(LLMSettings(**base))
    fp = a.fingerprint("zh")
    assert "qwen" in fp and f"p{PROMPT_VERSION}" in fp and "zh" in fp and "12000" in fp
    assert fp != a.fingerprint("en")
    assert fp != LLMAnalyzer(LLMSettings(**base, budget=4000)).fingerprint("zh")
    assert fp != LLMAnalyzer(LLMSettings(**base), min_importance="medium").fingerprint("zh")
    assert fp == LLMAnalyzer(LLMSettings(**base, concurrency=2, timeout=3)).fingerprint("zh")


def _command():
    seen = {}

    @click.command()
    @llm_options
    def cmd(**kwargs):
        seen["analyzer"] = analyzer_from_options(kwargs, env={"COMMITDIGEST_LLM_MODEL": "env-model"})
        seen["left"] = kwargs

    return cmd, seen


def test_llm_options_decorator_and_helper():
    cmd, seen = _command()
    result = CliRunner().invoke(cmd, ["--analyzer", "llm", "--llm-base-url", "http://127.0.0.1:9/v1",
                                      "--llm-header", "X-Team=core", "--llm-min-importance", "medium",
                                      "--llm-budget", "4000", "--no-redact"])
    assert result.exit_code == 0, result.output
    a = seen["analyzer"]
    assert a.name == "llm:env-model"
    assert a.settings.headers == {"X-Team": "core"} and a.settings.budget == 4000 and not a.settings.redact
    assert a.min_importance.value == "medium"
    assert seen["left"] == {}  # every option key was consumed


def test_llm_options_reject_bad_header_and_missing_url():
    cmd, _ = _command()
    result = CliRunner().invoke(cmd, ["--analyzer", "llm", "--llm-base-url", "http://x/v1", "--llm-header", "nope"])
    assert isinstance(result.exception, LLMConfigError) and "KEY=VALUE" in result.exception.message
    result = CliRunner().invoke(cmd, ["--analyzer", "llm"])
    assert isinstance(result.exception, LLMConfigError)
