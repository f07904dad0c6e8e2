"""The tree-sitter queries the reader's code is read with, compiled once per process."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter


@cache
def _query(language: str, text: str) -> tree_sitter.Query:
    import tree_sitter

    from commitdigest.semantic.languages import SPECS

    return tree_sitter.Query(SPECS[language].language, text)


def python_names() -> tree_sitter.Query:
    """Every identifier (``@name``), and those a file binds itself (``@bound``): what a star
    import may have brought is the difference."""
    return _query("python", """
(identifier) @name
(function_definition name: (identifier) @bound)
(class_definition name: (identifier) @bound)
(assignment left: (identifier) @bound)
(assignment left: (pattern_list (identifier) @bound))
(for_statement left: (identifier) @bound)
(parameters (identifier) @bound)
(default_parameter name: (identifier) @bound)
(typed_parameter . (identifier) @bound)
(typed_default_parameter name: (identifier) @bound)
(aliased_import alias: (identifier) @bound)
(import_from_statement name: (dotted_name . (identifier) @bound))
(import_statement name: (dotted_name . (identifier) @bound))
(as_pattern_target (identifier) @bound)
""")


def go_imports() -> tree_sitter.Query:
    return _query("go", "(import_spec) @import")


def rust_uses() -> tree_sitter.Query:
    return _query("rust", "(use_declaration argument: (_) @use)")


def ecma_imports(language: str) -> tree_sitter.Query:
    return _query(language, "(import_statement) @import")
