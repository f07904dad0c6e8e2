"""The records of the reader's code as it meets a followed repository: where one of the
repository's changed symbols is used (``Use``), and what a report says it looked at
(``UsesSummary``).

A ``Use`` is a fact like a ``SymbolChange``: a line of the reader's code that resolves to a
symbol a commit changed, and what happened to that symbol. The JSON twin carries them per commit
under ``uses`` (README, "The JSON twin"), the report shows them in each commit's "Your code"
section, and both analyzers see them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

#: what happened to the symbol the reader's code uses, most serious first
UseChange = Literal["removed", "renamed", "moved", "signature", "default", "value", "modified"]
#: how the reader's line uses it
UseHow = Literal["call", "reference", "subclass", "override", "import", "decorator"]

#: the order a commit's uses are listed in, and the worst of them decides its risk
CHANGE_ORDER: dict[str, int] = {"removed": 0, "renamed": 1, "moved": 2, "signature": 3, "default": 4, "value": 5,
                                "modified": 6}
#: uses kept per commit, most serious first; the rest are counted in ``Commit.uses_omitted``
USES_CAP = 500


class Use(BaseModel):
    """One line of the reader's code that uses a symbol the commit changed."""

    #: the changed symbol as the followed repository names it: ``agents.agent.Agent.as_tool`` for
    #: Python (its module and qualified name), the semantic facts' name for the other languages
    symbol: str
    #: its name as the semantic facts write it (``Agent.as_tool``), and its kind (``method``)
    qualname: str = ""
    kind: str = "function"
    change: UseChange
    #: where, in the reader's code: the file relative to its folder, and the 1-based line
    path: str
    line: int
    how: UseHow = "reference"
    #: the folder of the reader's code it is in (its name), when more than one is named
    root: str | None = None
    #: the parameter whose default changed (``change == "default"``)
    name: str | None = None
    #: before and after: the declaration (``signature``), the value (``default``, ``value``),
    #: the name (``renamed``) or the file (``moved``)
    before: str | None = None
    after: str | None = None
    #: the file of the followed repository that holds the symbol
    upstream_path: str = ""
    #: the language of the reader's file; Python uses are resolved through imports, aliases and
    #: re-exports, the other languages' are imported names matched by name (README, "Your code")
    language: str = "python"
    #: the line no longer resolves after the commit (a symbol moved without a re-export at the
    #: old place, removed or renamed)
    broken: bool = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


class UsesSummary(BaseModel):
    """What a section's "your code" check looked at: the folders (by name), how many of their
    files use the followed repository, and any folder it could not read (with why)."""

    roots: list[str] = Field(default_factory=list)
    files: int | None = None  # None: not indexed (no commit of the section needed it)
    problems: list[str] = Field(default_factory=list)
