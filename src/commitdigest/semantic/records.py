"""What a commit changed in the code's own terms: the records of the semantic diff stage.

They are facts, like ``Commit`` and ``FileChange``: each one is read off the syntax trees of a
changed file's two blobs (``semantic.engine``), never guessed, and each can be checked in the
diff — a symbol named as modified has a changed line inside it, a value's ``before`` is on a
removed line and its ``after`` on an added one. The JSON twin carries them per commit under
``semantic`` (README, "The JSON twin"); the analyzers write from them and the LLM is shown them
as a fact sheet.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: kinds of definition, as the languages call them (a Rust ``impl`` block is not one: its
#: functions are methods of the type it is for)
SymbolKind = Literal["function", "method", "class", "struct", "enum", "trait", "interface", "type", "union",
                     "namespace", "module", "constant"]
SymbolChangeKind = Literal["added", "removed", "modified", "renamed", "moved"]


class SymbolChange(BaseModel):
    """A definition added, removed, modified (its own code changed: not its comments, docstrings
    or layout), renamed (the same code under another name in the same scope) or moved (removed
    from one file, added to another under the same name: ``old_path`` is where it was). A
    method's change does not make its class modified."""

    path: str
    name: str  # as the language writes it: Class.method, Type::method, Type.Method, ns::Class::method
    kind: SymbolKind
    change: SymbolChangeKind
    public: bool = True  # as the language says it: no leading "_", `pub`, capitalised, `export`
    #: the declaration line(s) before and after, whitespace folded, when they differ
    signature_before: str | None = None
    signature_after: str | None = None
    old_name: str | None = None  # a rename's former name
    old_path: str | None = None  # set when the symbol's file was renamed or the symbol moved
    line: int | None = None  # 1-based line of the definition in the new blob (the old one when removed)


ValueKind = Literal["default", "constant", "literal", "version"]


class ValueChange(BaseModel):
    """A constant, default argument, string or number that changed on otherwise equal code:
    ``get_default_model``: ``"gpt-5.4-mini"`` → ``"gpt-5.6-luna"``."""

    path: str
    symbol: str  # the enclosing definition, or the constant's own name
    name: str | None = None  # the parameter or field the value belongs to, when it has one
    kind: ValueKind = "literal"
    before: str
    after: str
    line: int | None = None  # in the new blob


BehaviourKind = Literal["raises_added", "raises_removed", "guard_added", "guard_removed", "returns_changed"]


class BehaviourChange(BaseModel):
    """Behaviour a reader must know of, inside one definition: an exception newly raised or no
    longer raised, a guard (a condition that returns or raises early) added or removed, a return
    value changed (``return None`` where there was a value)."""

    path: str
    symbol: str
    kind: BehaviourKind
    detail: str  # the exception type, the guard's condition, or "before → after" of a return
    exit: str | None = None  # a guard's exit: the return or raise it ends in
    line: int | None = None


SurfaceKind = Literal["env_var", "cli_option", "config_key", "deprecation", "error_type"]


class SurfaceChange(BaseModel):
    """What a user of the code meets: an environment variable read, a command-line option, a
    configuration key, a deprecation marker, a new error type — added or removed."""

    path: str
    kind: SurfaceKind
    name: str
    change: Literal["added", "removed"]
    symbol: str | None = None  # where it is read or declared


class TestChange(BaseModel):
    """A test function added, changed or removed, and the changed symbols of the same commit it
    names."""

    __test__ = False  # not a pytest class, whatever its name says

    path: str
    name: str
    change: Literal["added", "modified", "removed"]
    covers: list[str] = Field(default_factory=list)


SkipReason = Literal["syntax_error", "unsupported_language", "generated", "vendored", "too_large", "binary",
                     "unreadable", "over_limit", "failed"]


class SkippedFile(BaseModel):
    """A changed source file the stage did not read, or read only in part (``syntax_error``:
    definitions inside the part that does not parse are left out): it keeps its line facts."""

    path: str
    reason: SkipReason


#: entries kept per list and commit; the rest are counted in ``omitted``
LIST_CAP = 500


class Semantic(BaseModel):
    """A commit's semantic facts. Every list is complete up to ``LIST_CAP`` entries; ``omitted``
    counts what was left out past it, per list."""

    symbols: list[SymbolChange] = Field(default_factory=list)
    values: list[ValueChange] = Field(default_factory=list)
    behaviour: list[BehaviourChange] = Field(default_factory=list)
    surface: list[SurfaceChange] = Field(default_factory=list)
    tests: list[TestChange] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    files_parsed: int = 0  # changed source files whose two sides were compared
    omitted: dict[str, int] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.symbols or self.values or self.behaviour or self.surface or self.tests)

    def public_symbols(self) -> list[SymbolChange]:
        return [s for s in self.symbols if s.public]

    def capped(self) -> Semantic:
        """A copy with each list cut at ``LIST_CAP``, the rest counted."""
        update: dict[str, object] = {}
        omitted = dict(self.omitted)
        for name in ("symbols", "values", "behaviour", "surface", "tests", "skipped"):
            items = getattr(self, name)
            if len(items) > LIST_CAP:
                update[name] = items[:LIST_CAP]
                omitted[name] = omitted.get(name, 0) + len(items) - LIST_CAP
        if not update:
            return self
        update["omitted"] = omitted
        return self.model_copy(update=update)
