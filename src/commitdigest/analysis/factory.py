"""Choosing an analyzer: the offline one, an LLM, ``auto`` (the LLM when one is configured), or
one an installed package adds.

``llm_options`` gives every command that analyses commits the same flags; ``analyzer_from_options``
turns them (plus environment and config file) into an analyzer, so commands stay thin.

An analyzer kind is an :class:`AnalyzerType`: a name and a ``build`` that makes the analyzer from
the run's :class:`AnalyzerOptions`. The two built-in kinds are below; a package adds one with one
line in its ``pyproject.toml``::

    [project.entry-points."commitdigest.analyzers"]
    terse = "commitdigest_terse:ANALYZER"     # ANALYZER = AnalyzerType("terse", build=...)

and ``--analyzer terse`` or ``analyzer = "terse"`` then picks it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import click

from commitdigest.errors import InputError, LLMConfigError
from commitdigest.kinds import AnalyzerKind

if TYPE_CHECKING:  # the flags are declared at CLI start-up: `--help` must not load the models
    from commitdigest.analysis.base import Analyzer
    from commitdigest.analysis.importance import Scoring
    from commitdigest.llm.settings import LLMSettings

# The tiers for --llm-min-importance, lowest first (models.Importance; a test keeps them equal).
TIERS = ("low", "medium", "high")

KINDS = tuple(k.value for k in AnalyzerKind)  # the built-in names, "auto" first


# NamedTuples rather than dataclasses: this module declares the flags, so `--help` imports it.
class AnalyzerOptions(NamedTuple):
    """What a run gives an analyzer it builds: the importance scoring (the config's
    ``[importance]``, ``--importance-source``), the ``[llm]`` settings (flags > environment >
    file; None when the kind needs none), and the triage tier of ``--llm-min-importance``."""

    scoring: Scoring | None = None
    llm: LLMSettings | None = None
    min_importance: str | None = None


class AnalyzerType(NamedTuple):
    name: str
    #: the run's options → the analyzer (an ``analysis.base.Analyzer``)
    build: Callable[[AnalyzerOptions], Analyzer]


def _plugins() -> dict[str, AnalyzerType]:
    from commitdigest import plugins

    return {t.name: t for _ep, t in plugins.load(plugins.ANALYZERS, AnalyzerType) if t.name not in KINDS}


def kinds() -> tuple[str, ...]:
    """Every analyzer name: the built-in ones, then those installed packages add."""
    return KINDS + tuple(_plugins())


def check_kind(name: str) -> str:
    """``name`` when an analyzer is known by it (installed packages are asked only for a name
    that is not built in)."""
    if name in KINDS or name in _plugins():
        return name
    raise InputError(f"unknown analyzer '{name}': use {', '.join(kinds())}")

F = TypeVar("F", bound=Callable[..., Any])

# option name → LLMSettings field (the options whose value goes straight into the settings)
_SETTING_OPTIONS = {
    "llm_base_url": "base_url", "llm_model": "model", "llm_api_key": "api_key",
    "llm_timeout": "timeout", "llm_deadline": "deadline", "llm_concurrency": "concurrency",
    "llm_temperature": "temperature", "llm_budget": "budget", "llm_response_format": "response_format",
}
_OTHER_OPTIONS = ("analyzer", "llm_header", "llm_min_importance", "no_redact", "importance_source")


def build_analyzer(kind: str, settings: LLMSettings | None, min_importance: str | None = None,
                   scoring: Scoring | None = None) -> Analyzer:
    from commitdigest.analysis.heuristic import HeuristicAnalyzer

    if kind not in KINDS:
        found = _plugins().get(kind)
        if found is None:
            raise LLMConfigError(f"unknown analyzer '{kind}': use {', '.join(kinds())}")
        return found.build(AnalyzerOptions(scoring=scoring, llm=settings, min_importance=min_importance))
    configured = settings is not None and settings.configured
    if kind == AnalyzerKind.heuristic or (kind == AnalyzerKind.auto and not configured):
        return HeuristicAnalyzer(scoring)
    if not configured:
        missing = [name for name, value in (("base URL", settings and settings.base_url),
                                            ("model", settings and settings.model)) if not value]
        raise LLMConfigError(
            f"--analyzer llm needs an LLM {' and '.join(missing)}: set COMMITDIGEST_LLM_BASE_URL and "
            "COMMITDIGEST_LLM_MODEL (or --llm-base-url / --llm-model)")
    from commitdigest.analysis.llm import LLMAnalyzer
    from commitdigest.models import Importance

    assert settings is not None
    return LLMAnalyzer(settings, min_importance=Importance(min_importance) if min_importance else None,
                       scoring=scoring)


def llm_options(f: F) -> F:
    """Adds the analyzer and LLM flags. Every LLM flag defaults to None, meaning "not given":
    the environment and the config file then decide."""
    options = [
        click.option("--analyzer", metavar="auto|heuristic|llm|NAME",
                     help="heuristic: offline rules; llm: an OpenAI-compatible model; auto: the model "
                          "when one is configured, else offline; or an analyzer an installed package adds "
                          "[env COMMITDIGEST_ANALYZER; config analyzer; default auto]."),
        click.option("--llm-base-url", metavar="URL",
                     help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 "
                          "[env COMMITDIGEST_LLM_BASE_URL, OPENAI_BASE_URL]."),
        click.option("--llm-model", metavar="NAME", help="Model name [env COMMITDIGEST_LLM_MODEL]."),
        click.option("--llm-api-key", metavar="KEY",
                     help="API key; prefer the environment, a flag shows in process lists "
                          "[env COMMITDIGEST_LLM_API_KEY, OPENAI_API_KEY]."),
        click.option("--llm-timeout", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                     help="Timeout of one call [default 120]."),
        click.option("--llm-deadline", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
                     help="Deadline for all calls of a run; commits not done by then get the offline "
                          "analysis [default 1800]."),
        click.option("--llm-concurrency", type=click.IntRange(1, 256), metavar="N",
                     help="Calls in flight at once, at most: fewer when the server publishes fewer slots, "
                          "or while its queue makes calls time out [default 8]."),
        click.option("--llm-temperature", type=click.FloatRange(0, 2), metavar="T", help="Sampling temperature [default 0.2]."),
        click.option("--llm-budget", type=click.IntRange(min=1000), metavar="TOKENS",
                     help="Prompt tokens per commit; the diff is cut to fit [default 12000]."),
        click.option("--llm-header", multiple=True, metavar="KEY=VALUE", help="Extra HTTP header; repeatable."),
        click.option("--llm-response-format", type=click.Choice(["json_schema", "json_object", "prompt"]),
                     help="Structured-output mode to start with; weaker ones are tried automatically "
                          "when the server rejects it [default json_schema]."),
        click.option("--llm-min-importance", type=click.Choice(TIERS),
                     help="Triage: commits whose importance score is below this tier keep the offline "
                          "analysis and cost no call."),
        click.option("--importance-source", type=click.Choice(["score", "model"]),
                     help="score: the tier is the weighted importance score for every analyzer; model: "
                          "the LLM re-rates each commit [default: [importance] source, else score]."),
        click.option("--no-redact", is_flag=True, default=False,
                     help="Send diffs without redacting secrets (keys, tokens, passwords)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def analyzer_from_options(kwargs: dict[str, Any], env: Mapping[str, str] | None = None,
                          file_values: Mapping[str, Any] | None = None,
                          importance: Mapping[str, Any] | None = None, default: str = "auto") -> Analyzer:
    """Pops the ``llm_options`` keys from a command's ``kwargs`` and builds the analyzer.
    ``file_values`` is the config file's ``[llm]`` table and ``importance`` its ``[importance]``
    table, when there is one; ``default`` the analyzer when ``--analyzer`` is not given."""
    from commitdigest.analysis.importance import scoring_from_table
    from commitdigest.llm.settings import LLMSettings, parse_headers

    scoring = scoring_from_table(importance)
    source = kwargs.pop("importance_source", None)
    if source:
        scoring = scoring.model_copy(update={"source": source})
    overrides = {field: kwargs.pop(opt, None) for opt, field in _SETTING_OPTIONS.items()}
    kind = kwargs.pop("analyzer", None) or default
    headers = kwargs.pop("llm_header", None) or ()
    min_importance = kwargs.pop("llm_min_importance", None)
    no_redact = kwargs.pop("no_redact", False)
    if headers:
        try:
            overrides["headers"] = {**dict((file_values or {}).get("headers") or {}), **parse_headers(list(headers))}
        except ValueError as exc:
            raise LLMConfigError(f"--llm-header: {exc}") from None
    if no_redact:
        overrides["redact"] = False
    if kind == AnalyzerKind.heuristic:
        return build_analyzer(kind, None, None, scoring)
    check_kind(kind)
    settings = LLMSettings.from_sources(overrides, env=os.environ if env is None else env,
                                        file_values=file_values)
    return build_analyzer(kind, settings, min_importance, scoring)
