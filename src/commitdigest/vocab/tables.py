"""The shape of a language's vocabulary: one TypedDict per surface, so mypy checks every
``words["key"]`` lookup and that ``zh.py`` and ``en.py`` fill the same keys.

A surface is one table: the report (Markdown, HTML, PR line), the HTML site and feed, the
rollups, the importance score's reason, the offline analyzer's sentences and the model's
prompt words. A new surface (the notifications, say) is one more TypedDict here, one more
field of ``Vocabulary`` and one more table in each language file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from commitdigest.models import ChangeType, Importance, Language

#: Tier words and change-type words, keyed by the records' own enums.
TierWords = Mapping[Importance, str]
ChangeTypeWords = Mapping[ChangeType, str]
#: Keyed by ``Period.kind`` ("week", "month", "period"), which arrives as a plain string.
PeriodWords = Mapping[str, str]

#: A risk the offline analyzer can name: (title, detail, recommendation).
RiskWords = tuple[str, str, str]


class DropCauseWords(TypedDict):
    """Why a model's item was dropped (``CommitAnalysis.items_dropped``)."""

    language: str
    echo: str
    duplicate: str
    subject: str
    identifier: str
    path: str
    placeholder: str
    malformed: str
    over_limit: str
    fact: str
    cut: str


class ReportWords(TypedDict):
    """Every fixed string of the report (Markdown and HTML); templates read it as ``L``."""

    title_day: str
    title_period: str
    col_time: str
    col_author: str
    col_message: str
    stats: str
    stats_commits_day: str
    stats_commits_period: str
    stats_files: str
    toc: str
    repo_toc: str
    repo_col_repo: str
    repo_col_commits: str
    repo_unreadable: str
    tier: str
    empty_day: str
    empty_period: str
    repo_error: str
    sha: str
    view_commit: str
    files_count: str
    change_type: str
    importance: str
    summary: str
    short_summary: str
    impact: str
    insights: str
    architecture: str
    performance: str
    security: str
    risks: str
    risk_col_risk: str
    risk_col_detail: str
    risk_col_severity: str
    no_risks: str
    recommendations: str
    conclusion: str
    colon: str
    coverage: str
    first_seen: str
    cov_files: str
    cov_lines: str
    cov_truncated: str
    cov_unreadable: str
    cov_fallback: str
    cov_dropped: str
    cov_redacted: str
    cov_items: str
    footer_format: str
    footer_switch: str
    footer_model: str
    footer_warning: str
    sep: str
    footer: str
    footer_cost: str
    offline: str
    pr: str
    pr_linked: str
    pr_milestone: str
    pr_coverage: str
    #: one dropped-item cause with its count, and what separates two of them: word order is
    #: the language's ("复述提示 1" / "1 prompt echo")
    drop_item: str
    drop_sep: str
    drop_causes: DropCauseWords


class HtmlWords(TypedDict):
    """Words the HTML pages, the site index and the feed have and the Markdown has not."""

    filter: str
    index: str
    files: str
    feed: str
    shown: str
    repos: str
    commits: str
    reports: str
    quiet: str
    index_title: str
    #: the site index's section of weekly and monthly rollups
    rollups: str
    #: the page's ``<html lang>``
    html_lang: str


class RollupWords(TypedDict):
    """The weekly, monthly and free-period rollups (Markdown and HTML); templates read ``W``."""

    title: PeriodWords
    this: PeriodWords
    prev: PeriodWords
    summary: str
    versus: str
    no_previous: str
    days: str
    col_day: str
    col_total: str
    highlights: str
    no_highlights: str
    more: str
    daily: str
    areas: str
    col_area: str
    col_commits: str
    col_lines: str
    types: str
    col_type: str
    people: str
    col_author: str
    empty: str
    error: str
    chart_days: str
    chart_areas: str
    chart_types: str
    lines: str
    commits_word: str
    definitions: str
    defs_added: str
    defs_removed: str
    defs_changed: str
    defs_more: str
    sep: str
    dependencies: str
    col_dependency: str
    col_before: str
    col_after: str
    col_commit: str
    deps_more: str
    footer: str


class ScoreWords(TypedDict):
    """The importance score's reason ("feat 8 + 核心代码 2 + …"): file classes and signals."""

    core: str
    config: str
    test: str
    doc: str
    size: str
    files: str
    other: str
    breaking: str
    security: str
    revert: str
    dependency: str


class AreaWords(TypedDict):
    """The path classifier's areas (``paths.area``) as the offline analyzer names them."""

    source: str
    test: str
    ci: str
    docs: str
    asset: str
    deps: str
    build: str
    example: str
    config: str


class SemanticWords(TypedDict):
    """The offline analyzer's sentences about a commit's semantic facts (``semantic``). Every
    slot receives text already set as code (``analysis.semantic_text.code``) or a list of it."""

    v_literal: str
    v_named: str
    v_default: str
    v_constant: str
    v_version: str
    s_removed: str
    s_added: str
    s_modified: str
    s_internal: str
    s_renamed: str
    s_moved: str
    sig_params_added: str
    sig_params_removed: str
    sig_params: str
    sig_changed: str
    b_guard_added: str
    b_guard_removed: str
    b_raises_added: str
    b_raises_removed: str
    b_returns: str
    u_env_var_added: str
    u_env_var_removed: str
    u_cli_option_added: str
    u_cli_option_removed: str
    u_config_key_added: str
    u_config_key_removed: str
    u_deprecation_added: str
    u_error_type_added: str
    u_error_type_removed: str
    t_tests: str
    t_added: str
    t_modified: str
    t_removed: str
    t_naming: str
    not_read: str
    #: impact: the public API of a module touched, and what happened to each name
    impact_api: str
    impact_item: str
    impact_change: Mapping[str, str]
    #: architecture insight: the shape of the public API change
    a_types: str
    a_counts: str
    a_count_added: str
    a_count_modified: str
    a_count_removed: str
    a_signatures: str
    a_behaviour: str
    #: evidence risks: (title, detail, recommendation)
    r_api: RiskWords
    r_signature: RiskWords
    r_moved: RiskWords
    r_values: RiskWords
    r_raises: RiskWords
    r_surface_added: RiskWords
    r_surface_removed: RiskWords
    r_untested: RiskWords


class OfflineWords(TypedDict):
    """The offline analyzer's sentences: the evidence its conclusion cites, and the templates of
    its summaries, risks and insights."""

    breaking: str
    api: str
    core: str
    security: str
    large: str
    docs: str
    peripheral: str
    small: str
    tests_only: str
    r_defaults: RiskWords
    r_migration: RiskWords
    defs_added: str
    defs_removed: str
    more_names: str
    bumps: str
    bump: str
    bump_added: str
    bump_removed: str
    top_files: str
    list_sep: str
    deps: str
    facts: str
    binary: str
    submodule: str
    empty: str
    merge: str
    unread: str
    module: str
    areas: AreaWords
    r_notest: RiskWords
    r_deps: RiskWords
    r_api: RiskWords
    r_large: RiskWords
    r_security: RiskWords
    r_unread: RiskWords
    r_ci: RiskWords
    arch: str
    sec: str
    perfi: str
    arch_new: str
    part_sep: str
    arch_api: str
    conclusion: str
    #: the tier as it reads inside the conclusion's sentence
    imp: TierWords
    #: what joins the pieces of evidence in the conclusion
    evidence_sep: str
    #: the change type as it reads inside the conclusion's sentence
    conclusion_types: ChangeTypeWords
    #: sentences about the commit's semantic facts
    sem: SemanticWords


class UsesWords(TypedDict):
    """"Your code": where the reader's code uses what a commit changed (``uses``). Slots receive
    text already set as code (``analysis.semantic_text.code``)."""

    #: the commit's section
    section: str
    #: how a line uses the symbol: call, reference, subclass, override, import, decorator
    how: Mapping[str, str]
    #: one line of the section: where, how, the symbol, what happened to it
    line: str
    #: marks a use matched by imported name (Go, Rust, TypeScript), not resolved
    by_name: str
    more: str
    #: what happened to the symbol, by ``Use.change`` (``moved_broken``: the old import fails)
    removed: str
    renamed: str
    moved: str
    moved_broken: str
    signature: str
    default: str
    value: str
    modified: str
    #: the line at the top of a report, and its counts
    commits: str
    symbols: str
    top_day: str
    top_period: str
    none_day: str
    none_period: str
    problems: str
    #: marks a commit that touches the reader's code in the contents
    mark: str
    #: the risk of its own: (title, detail, recommendation), and one symbol in its detail
    risk_item: str
    r_broken: RiskWords
    r_signature: RiskWords
    r_changed: RiskWords
    #: the title of a notification's list when it leads with the commits that touch the reader's code
    notify_items: str
    #: a rollup's list of the period's commits that touch the reader's code
    rollup: str
    rollup_none: str


class NotifyWords(TypedDict):
    """Chat and e-mail messages: the headline, the list of high-importance changes, the link.
    A rollup's "previous period" is the rollup table's ``prev``."""

    total: str
    high: str
    more: str
    link: str
    failed: str
    none: str
    none_rollup: str
    versus: str
    #: the locale Feishu's interactive cards are written in
    feishu_locale: str


class ModelWords(TypedDict):
    """What the model is told about the language, and the punctuation its answers are finished
    with."""

    language_name: str
    #: said in the language itself after the prompt's English instruction to write in it
    language_note: str
    #: added to a prose point that does not already end a sentence
    full_stop: str
    #: any one of these characters already ends a sentence
    sentence_ends: str
    #: joins an insight's points into one paragraph
    point_joiner: str


@dataclass(frozen=True)
class Vocabulary:
    """Every word of one language, by surface."""

    language: Language
    report: ReportWords
    importance: TierWords
    change_type: ChangeTypeWords
    score: ScoreWords
    offline: OfflineWords
    html: HtmlWords
    rollup: RollupWords
    model: ModelWords
    notify: NotifyWords
    uses: UsesWords
