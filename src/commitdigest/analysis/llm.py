"""The LLM analyzer: each commit's facts and the part of its diff that fits the budget go to an
OpenAI-compatible model; its JSON answer is validated against the report's vocabularies and
grounded in the commit's paths. Whatever goes wrong for a commit — network, deadline, output that
stays invalid after one repair — the offline analysis stands in, marked ``fallback``, so a report
is always complete.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any

import jinja2
from pydantic import BaseModel, ValidationError

from commitdigest.analysis import budget
from commitdigest.analysis.base import Progress
from commitdigest.analysis import importance as scoring_module
from commitdigest.analysis.grounding import ground
from commitdigest.analysis.importance import Scoring
from commitdigest.analysis.redact import Redactor
from commitdigest.llm.client import ContextOverflow, FormatState, LLMCallError, LLMClient, Meter, response_format
from commitdigest.llm.schema import answer_model, answer_schema, to_analysis
from commitdigest.llm.settings import LLMSettings, ResponseFormat
from commitdigest.models import ChangeType, Commit, CommitAnalysis, Coverage, Importance, Usage

log = logging.getLogger("commitdigest.llm")

#: Bump whenever the prompts or the answer schema change: it is part of the cache key.
PROMPT_VERSION = "2"
SCHEMA_NAME = "commit_analysis"

LANGUAGE_NAMES = {"zh": "Simplified Chinese (简体中文)", "en": "English"}
_LIST_SHARE = 0.2  # of the budget, at most, for the file list
_HINTS_CHARS = 1500
_MESSAGE_CHARS = 4000
_REPAIR_ANSWER_CHARS = 3000


@dataclasses.dataclass
class Prompt:
    """What is sent for one commit, and what it covers."""

    messages: list[dict[str, str]]
    coverage: Coverage
    redactions: int
    tokens: int  # estimated, schema included


class AnswerInvalid(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(reason)
        self.reason = reason  # short, for the report
        self.detail = detail  # for the model, in the repair turn


class LLMAnalyzer:
    def __init__(self, settings: LLMSettings, min_importance: Importance | str | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None, scoring: Scoring | None = None):
        if not settings.configured:
            raise ValueError("LLM settings need a base URL and a model")
        self.settings = settings
        self.min_importance = Importance(min_importance) if min_importance else None
        self.name = f"llm:{settings.model}"
        self.scoring = scoring or scoring_module.DEFAULT_SCORING
        self._state = FormatState(mode=settings.response_format)
        self._meter = Meter()
        self._fallbacks = 0
        self._offline: Any = None
        self._sleep = sleep or asyncio.sleep  # tests record the backoff instead of waiting
        # Lowered for the rest of the run when the server says a prompt overflowed its context.
        self._budget = settings.budget

    # ------------------------------------------------------------------------ Analyzer protocol

    def fingerprint(self, language: str, scoring: Scoring | None = None) -> str:
        scoring = scoring or self.scoring
        parts = [self.name, f"p{PROMPT_VERSION}", language, f"b{self.settings.budget}",
                 f"s{scoring.fingerprint}" + ("-model" if scoring.source == "model" else "")]
        if not self.settings.redact:
            parts.append("noredact")
        if self.min_importance:
            parts.append(f"triage-{self.min_importance.value}")
        return "|".join(parts)

    def usage(self) -> Usage:
        m = self._meter
        cost = None
        price = self.settings.price()
        if price is not None:
            cost = round(m.prompt_tokens * price.prompt / 1e6 + m.completion_tokens * price.completion / 1e6, 6)
        return Usage(llm_calls=m.calls, prompt_tokens=m.prompt_tokens, completion_tokens=m.completion_tokens,
                     fallbacks=self._fallbacks, cost=cost)

    @property
    def retries(self) -> int:
        return self._meter.retries

    @property
    def response_format(self) -> ResponseFormat:
        """The structured-output mode in force (after any downgrade this run)."""
        return self._state.mode

    def analyze_batch(self, commits: Sequence[Commit], language: str,
                      progress: Progress | None = None, scoring: Scoring | None = None) -> list[CommitAnalysis]:
        if not commits:
            return []
        coro_args = (list(commits), language, progress, scoring or self.scoring)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._run(*coro_args))
        # Called from inside an event loop (a server, an async test): run on a thread of our own.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, self._run(*coro_args)).result()

    # ------------------------------------------------------------------------------- prompts

    def render_prompt(self, commit: Commit, language: str) -> list[dict[str, str]]:
        """The messages that would be sent for ``commit`` (redacted, budgeted)."""
        score = scoring_module.score(commit, self.scoring)
        return self._prompt(commit, language, self._state.mode, score=score).messages

    def request_preview(self, commit: Commit, language: str) -> dict[str, Any]:
        """The whole request body that would be sent: model, parameters, response_format and
        messages. Headers are left out: they may carry credentials."""
        mode = self._state.mode
        score = scoring_module.score(commit, self.scoring)
        depth, rate = self._shape(score, self.scoring)
        body: dict[str, Any] = {
            "model": self.settings.model, "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
        }
        fmt = response_format(mode, answer_schema(language, depth, rate), SCHEMA_NAME)
        if fmt is not None:
            body["response_format"] = fmt
        body["messages"] = self._prompt(commit, language, mode, score=score, rate=rate).messages
        return body

    @staticmethod
    def _shape(score: scoring_module.Score, scoring: Scoring) -> tuple[str, bool]:
        """(the depth to ask for, whether the model rates the commit itself). A model that
        re-rates is asked for everything: its tier is not known before it answers."""
        rate = scoring.source == "model"
        return ("high" if rate else score.tier.value), rate

    def _prompt(self, commit: Commit, language: str, mode: ResponseFormat, reserve: int = 0, *,
                score: scoring_module.Score, rate: bool = False) -> Prompt:
        """Messages within ``budget - reserve`` estimated tokens. The diff gets what the fixed
        parts leave; should the estimate still overshoot, the diff shrinks until it fits.
        The system prompt states the commit's tier and asks for that tier's depth."""
        redactor = Redactor(enabled=self.settings.redact)
        depth = "high" if rate else score.tier.value
        schema_text = json.dumps(answer_schema(language, depth, rate), ensure_ascii=False, separators=(",", ":"))
        system = _render("system.j2", language=language, language_name=LANGUAGE_NAMES[language],
                         change_types=", ".join(t.value for t in ChangeType),
                         schema=schema_text if mode == "prompt" else "", depth=depth, rate=rate,
                         tier=score.tier.value, score_reason=scoring_module.reason(score, "en"))
        # Servers inject the schema into the prompt in some form in every structured mode.
        fixed = budget.estimate_tokens(system) + (budget.estimate_tokens(schema_text) if mode != "prompt" else 0)
        limit = self._budget - reserve
        list_tokens = int(self._budget * _LIST_SHARE)
        facts = _facts(commit, redactor)
        files = _CleanFiles(redactor)
        base_user = _user(commit, facts, budget.select(commit, 0, list_tokens, files))
        diff_tokens = max(limit - fixed - budget.estimate_tokens(base_user) - 16, 0)
        for _ in range(4):
            selection = budget.select(commit, diff_tokens, list_tokens, files)
            user = _user(commit, facts, selection)
            total = fixed + budget.estimate_tokens(user) + 16
            if total <= limit or diff_tokens == 0:
                break
            diff_tokens = max(diff_tokens - (total - limit) - 32, 0)
        # A last pass over the final text, by shape only, catches secrets in anything the rules
        # above did not treat as a file (paths, hints).
        final = Redactor(enabled=self.settings.redact)
        user = final.text(user)
        redactions = redactor.count + files.count(selection) + final.count
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return Prompt(messages=messages, coverage=selection.coverage, redactions=redactions,
                      tokens=fixed + budget.estimate_tokens(user))

    # ----------------------------------------------------------------------------- the run

    async def _run(self, commits: list[Commit], language: str,
                   progress: Progress | None, scoring: Scoring) -> list[CommitAnalysis]:
        client = LLMClient(self.settings, self._state, self._meter, sleep=self._sleep)
        gate = asyncio.Semaphore(self.settings.concurrency)

        async def one(commit: Commit) -> CommitAnalysis:
            try:
                async with gate:
                    return await self._analyze(client, commit, language, scoring)
            finally:
                if progress:
                    progress(1)

        tasks = [asyncio.create_task(one(c)) for c in commits]
        try:
            done, pending = await asyncio.wait(tasks, timeout=self.settings.deadline)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        except asyncio.CancelledError:
            # Ctrl-C: settle every call before the client closes under them, so the interrupt
            # ends the run quietly instead of in a shower of "client has been closed" reports.
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            await client.aclose()
        out = []
        for commit, task in zip(commits, tasks, strict=True):
            if task in done and not task.cancelled() and task.exception() is None:
                out.append(task.result())
            elif task in done and task.exception() is not None:
                exc = task.exception()
                log.warning("analysis of %s failed: %s", commit.short_sha, type(exc).__name__)
                out.append(self._fallback(commit, language, f"internal error ({type(exc).__name__})", scoring))
            else:
                out.append(self._fallback(commit, language, f"deadline of {self.settings.deadline:g}s reached",
                                          scoring))
        return out

    def _shrink_budget(self, window: int | None) -> bool:
        """Fit the prompt budget under the model's context window (leaving room for the answer),
        or halve it when the window is not known. False when there is nothing left to cut."""
        floor = 1_000
        target = window - self.settings.max_tokens - 128 if window else self._budget // 2
        target = max(floor, min(target, self._budget - 1))
        if target >= self._budget or self._budget <= floor:
            return False
        self._budget = target
        return True

    async def _analyze(self, client: LLMClient, commit: Commit, language: str, scoring: Scoring) -> CommitAnalysis:
        score = scoring_module.score(commit, scoring)
        if self.min_importance is not None and score.tier.rank < self.min_importance.rank:
            return self._offline_analysis(commit, language, scoring)  # triage: the score says it is enough
        depth, rate = self._shape(score, scoring)
        model = answer_model(language, depth, rate)
        schema = answer_schema(language, depth, rate)
        used: dict[str, Prompt] = {}

        def build(mode: ResponseFormat, reserve: int = 0, extra: list[dict[str, str]] | None = None):
            prompt = self._prompt(commit, language, mode, reserve, score=score, rate=rate)
            used["prompt"] = prompt
            return prompt.messages + (extra or [])

        started = time.monotonic()
        try:
            try:
                completion = await client.complete(build, schema, SCHEMA_NAME)
            except ContextOverflow as overflow:
                if not self._shrink_budget(overflow.limit):
                    raise
                log.info("prompt for %s overflowed the context; budget now %d tokens", commit.short_sha, self._budget)
                completion = await client.complete(build, schema, SCHEMA_NAME)
            try:
                answer = _parse(model, completion.content, completion.finish_reason)
            except AnswerInvalid as first:
                log.info("answer for %s invalid (%s); asking for a repair", commit.short_sha, first.reason)
                bad = completion.content[:_REPAIR_ANSWER_CHARS]
                repair = [
                    {"role": "assistant", "content": bad},
                    {"role": "user", "content": (
                        "That answer is not valid: " + first.detail + "\nAnswer again with only the "
                        "corrected JSON object, keeping to the schema and the allowed values.")},
                ]
                reserve = budget.estimate_tokens(repair[0]["content"] + repair[1]["content"]) + 32
                completion = await client.complete(lambda mode: build(mode, reserve, repair), schema, SCHEMA_NAME)
                answer = _parse(model, completion.content, completion.finish_reason)
        except LLMCallError as exc:
            return self._fallback(commit, language, exc.reason, scoring)
        except AnswerInvalid as exc:
            return self._fallback(commit, language, f"invalid answer after repair: {exc.reason}", scoring)
        prompt = used["prompt"]
        record = to_analysis(answer, self.name, score.tier, scoring_module.reason(score, language)).model_copy(update={
            "coverage": prompt.coverage, "redactions": prompt.redactions,
            "importance_score": score.record(), "importance_source": "model" if rate else "score",
        })
        log.debug("analysed %s in %.1fs", commit.short_sha, time.monotonic() - started)
        record = ground(record, commit)
        if not record.impact_scope and commit.files:
            # The model named no (real) paths: the changed modules are facts, not analysis.
            if depth != "low":
                record = record.model_copy(update={
                    "impact_scope": self._offline_analysis(commit, language, scoring).impact_scope})
        return record

    # ----------------------------------------------------------------------------- offline

    def _offline_analysis(self, commit: Commit, language: str, scoring: Scoring | None = None) -> CommitAnalysis:
        if self._offline is None:
            from commitdigest.analysis.heuristic import HeuristicAnalyzer

            self._offline = HeuristicAnalyzer(self.scoring)
        return self._offline.analyze(commit, language, scoring)

    def _fallback(self, commit: Commit, language: str, reason: str, scoring: Scoring | None = None) -> CommitAnalysis:
        self._fallbacks += 1
        record = self._offline_analysis(commit, language, scoring)
        return record.model_copy(update={"fallback": True, "fallback_reason": reason[:120]})


# --------------------------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commitdigest", "analysis/prompts"),
        undefined=jinja2.StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _render(name: str, **values: Any) -> str:
    return _env().get_template(name).render(**values).strip() + "\n"


class _CleanFiles:
    """Redacts each file's patch once per prompt, however often the budget loop measures it,
    and counts only the redactions in files whose diff is actually shown."""

    def __init__(self, redactor: Redactor):
        self._enabled = redactor.enabled
        self._done: dict[str, tuple[str, int]] = {}

    def __call__(self, path: str, text: str) -> str:
        if path not in self._done:
            r = Redactor(enabled=self._enabled)
            self._done[path] = (r.file(path, text), r.count)
        return self._done[path][0]

    def count(self, selection: budget.Selection) -> int:
        return sum(self._done.get(v.change.path, ("", 0))[1] for v in selection.shown)


@dataclasses.dataclass
class _Facts:
    message: str
    author: str
    hints: str


def _facts(commit: Commit, redactor: Redactor) -> _Facts:
    message = commit.message
    if len(message) > _MESSAGE_CHARS:
        message = message[:_MESSAGE_CHARS] + f"\n… [message clipped: {len(commit.message):,} characters in all]"
    return _Facts(message=redactor.text(message), author=redactor.text(commit.author),
                  hints=redactor.text(_hints(commit)))


def _hints(commit: Commit) -> str:
    """The offline analyzer's evidence as compact JSON; empty when it offers none."""
    from commitdigest.analysis.heuristic import signals

    record = signals(commit)
    if isinstance(record, BaseModel):
        data: Any = record.model_dump(mode="json")
    elif dataclasses.is_dataclass(record) and not isinstance(record, type):
        data = dataclasses.asdict(record)
    else:
        data = record
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return text if len(text) <= _HINTS_CHARS else text[:_HINTS_CHARS] + "…"


def _user(commit: Commit, facts: _Facts, selection: budget.Selection) -> str:
    listed = selection.files[:selection.listed]
    return _render(
        "user.j2", sha=commit.sha, author=facts.author, date=commit.author_time.isoformat(),
        parents=len(commit.parents), message=facts.message,
        files_total=len(commit.files), insertions=commit.insertions, deletions=commit.deletions,
        file_lines=[budget.file_line(v) for v in listed],
        unlisted=len(selection.files) - selection.listed,
        unlisted_dirs=", ".join(f"{d}/ ({n})" for d, n in selection.unlisted_dirs),
        hints=facts.hints, shown=selection.shown, shown_files=len(selection.shown),
        truncated=selection.coverage.truncated,
    )


_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n\s*```\s*$", re.S)


def _parse(model: type[BaseModel], content: str, finish_reason: str | None) -> BaseModel:
    text = content.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("{"):
        # Plain-prompt mode: some models put a sentence before the object.
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            text = text[start:end + 1]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the answer was cut off at the token limit)" if finish_reason == "length" else ""
        raise AnswerInvalid("not JSON" + cut, f"it is not valid JSON ({exc.msg} at character {exc.pos}){cut}.") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        described = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in errors[:8])
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise AnswerInvalid(f"schema violation at {where}", f"it does not match the schema: {described}.") from None
