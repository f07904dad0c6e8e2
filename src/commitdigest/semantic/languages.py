"""The languages the semantic stage reads: one table row each, with its grammar, its queries
(``queries/<name>.scm`` for definitions, ``<behaviour>-behaviour.scm`` for what happens inside
one) and the few facts about its syntax the queries cannot say: how scopes name what is inside
them, which tokens are literal values, what "public" means.

Grammars are the tree-sitter project's own per-language packages (``tree-sitter-python`` …),
each a small abi3 wheel with no dependency but the ``tree-sitter`` bindings: seven grammars and
the bindings are under 2 MB installed, where a bundle of every grammar would be fifty times
that. They are imported on first use, so a report with no source change loads none.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tree_sitter


@dataclass(frozen=True)
class Spec:
    """What the stage knows of one language."""

    name: str
    module: str  # the grammar package
    function: str  # its function returning the language pointer
    queries: str  # queries/<queries>.scm
    behaviour: str  # queries/<behaviour>-behaviour.scm
    separator: str  # between a scope's name and a member's: "." or "::"
    #: node types that name what is defined inside them, with the field holding the name
    scopes: dict[str, str] = field(default_factory=dict)
    #: leaf node types that are literal values (a changed one is a ``values`` entry)
    literals: frozenset[str] = frozenset()
    #: node types read as one token: strings with their parts; the literal ones among them are
    #: those without interpolation
    atoms: frozenset[str] = frozenset()
    comments: frozenset[str] = frozenset({"comment"})
    #: node types holding a definition's body: the signature is what comes before it
    bodies: frozenset[str] = frozenset()
    #: nodes that wrap a definition and belong to it (decorators, ``export``, ``template<…>``)
    wrappers: frozenset[str] = frozenset()
    #: sibling nodes before a definition that belong to it (attributes, doc comments)
    leading: frozenset[str] = frozenset()
    #: names of an interpolation node inside a string: a string holding one is not a literal
    interpolations: frozenset[str] = frozenset()
    #: whether indentation is syntax (Python): kept when texts are compared
    indented: bool = False
    #: how deep below the root a top-level definition can start (module > ``if`` > block >
    #: definition), and below a container (class, impl, namespace) one of its members can
    #: (class > body > decorator > method): the definitions query looks that deep and no deeper,
    #: then again inside each container found, so function bodies are never walked
    top_depth: int = 3
    member_depth: int = 3

    @property
    def language(self) -> tree_sitter.Language:
        return _language(self.module, self.function)

    @property
    def definitions(self) -> tree_sitter.Query:
        return _query(self.module, self.function, self.queries)

    @property
    def behaviour_query(self) -> tree_sitter.Query:
        return _query(self.module, self.function, f"{self.behaviour}-behaviour")

    @property
    def around_query(self) -> tree_sitter.Query:
        """What belongs to a definition from outside its own node: wrappers (decorators,
        ``export``, ``template<…>``), attributes and comments above it."""
        return _around(self.module, self.function, tuple(sorted(self.wrappers | self.leading | self.comments)))


_STRINGS_ECMA = frozenset({"string", "template_string"})
_ECMA = dict(
    separator=".",
    scopes={"class_declaration": "name", "abstract_class_declaration": "name", "internal_module": "name",
            "class": "name", "interface_declaration": "name"},
    literals=frozenset({"string", "template_string", "number", "true", "false", "null", "undefined"}),
    atoms=_STRINGS_ECMA | frozenset({"regex"}),
    bodies=frozenset({"statement_block", "class_body", "interface_body", "object_type", "enum_body"}),
    wrappers=frozenset({"export_statement"}),
    interpolations=frozenset({"template_substitution"}),
    behaviour="ecmascript",
    top_depth=3,
)
_C_FAMILY = dict(
    literals=frozenset({"string_literal", "raw_string_literal", "char_literal", "number_literal", "true", "false",
                        "null", "nullptr", "concatenated_string"}),
    atoms=frozenset({"string_literal", "raw_string_literal", "char_literal", "concatenated_string"}),
    bodies=frozenset({"compound_statement", "field_declaration_list", "enumerator_list", "declaration_list"}),
)

SPECS: dict[str, Spec] = {
    "python": Spec(
        name="python", module="tree_sitter_python", function="language", queries="python", behaviour="python",
        separator=".", scopes={"class_definition": "name"},
        literals=frozenset({"string", "concatenated_string", "integer", "float", "true", "false", "none"}),
        atoms=frozenset({"string", "concatenated_string"}),
        bodies=frozenset({"block"}), wrappers=frozenset({"decorated_definition"}),
        interpolations=frozenset({"interpolation"}), indented=True, member_depth=5,
    ),
    "rust": Spec(
        name="rust", module="tree_sitter_rust", function="language", queries="rust", behaviour="rust",
        separator="::", scopes={"impl_item": "type", "trait_item": "name", "mod_item": "name"},
        literals=frozenset({"string_literal", "raw_string_literal", "char_literal", "integer_literal",
                            "float_literal", "boolean_literal"}),
        atoms=frozenset({"string_literal", "raw_string_literal", "char_literal"}),
        comments=frozenset({"line_comment", "block_comment"}),
        bodies=frozenset({"block", "field_declaration_list", "enum_variant_list", "declaration_list"}),
        leading=frozenset({"attribute_item"}), top_depth=1, member_depth=2,
    ),
    "go": Spec(
        name="go", module="tree_sitter_go", function="language", queries="go", behaviour="go", separator=".",
        literals=frozenset({"interpreted_string_literal", "raw_string_literal", "rune_literal", "int_literal",
                            "float_literal", "imaginary_literal", "true", "false", "nil", "iota"}),
        top_depth=2,
        atoms=frozenset({"interpreted_string_literal", "raw_string_literal", "rune_literal"}),
        bodies=frozenset({"block", "field_declaration_list"}),
    ),
    "typescript": Spec(name="typescript", module="tree_sitter_typescript", function="language_typescript",
                       queries="typescript", **_ECMA),  # type: ignore[arg-type]
    "tsx": Spec(name="tsx", module="tree_sitter_typescript", function="language_tsx", queries="typescript",
                **_ECMA),  # type: ignore[arg-type]
    "javascript": Spec(name="javascript", module="tree_sitter_javascript", function="language",
                       queries="javascript", **_ECMA),  # type: ignore[arg-type]
    "c": Spec(name="c", module="tree_sitter_c", function="language", queries="c", behaviour="c", separator="::",
              **_C_FAMILY),  # type: ignore[arg-type]
    "cpp": Spec(name="cpp", module="tree_sitter_cpp", function="language", queries="cpp", behaviour="cpp",
                separator="::",
                scopes={"namespace_definition": "name", "class_specifier": "name", "struct_specifier": "name",
                        "union_specifier": "name"},
                wrappers=frozenset({"template_declaration"}), **_C_FAMILY),  # type: ignore[arg-type]
}

#: file suffix → the language its blobs are read as
SUFFIXES = {
    ".py": "python", ".pyi": "python",
    ".rs": "rust",
    ".go": "go",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".c": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".h": "cpp",  # C and C++ share headers; the C++ grammar reads C declarations too
    ".cu": "cpp", ".cuh": "cpp",
}

#: source suffixes of languages the stage does not read: such a changed file is marked
#: ``unsupported_language`` instead of passing in silence
OTHER_CODE = frozenset({".java", ".kt", ".kts", ".scala", ".swift", ".rb", ".php", ".cs", ".dart", ".m", ".mm",
                        ".lua", ".zig", ".ex", ".exs", ".erl", ".hs", ".ml", ".clj", ".jl", ".r", ".pl",
                        ".sh", ".vue", ".svelte"})

_SUFFIX = re.compile(r"(\.[A-Za-z0-9+]+)$")


def spec_for(path: str) -> Spec | None:
    """The language of ``path`` by its suffix, or None when the stage does not read it."""
    m = _SUFFIX.search(path.rsplit("/", 1)[-1])
    return SPECS[SUFFIXES[m.group(1).lower()]] if m and m.group(1).lower() in SUFFIXES else None


def other_code(path: str) -> bool:
    """Source code of a language the stage does not read."""
    m = _SUFFIX.search(path.rsplit("/", 1)[-1])
    return bool(m) and m.group(1).lower() in OTHER_CODE  # type: ignore[union-attr]


@cache
def _language(module: str, function: str) -> tree_sitter.Language:
    import tree_sitter

    return tree_sitter.Language(getattr(importlib.import_module(module), function)())


@cache
def _query(module: str, function: str, name: str) -> tree_sitter.Query:
    import tree_sitter

    text = resources.files("commitdigest.semantic").joinpath("queries", f"{name}.scm").read_text("utf-8")
    return tree_sitter.Query(_language(module, function), text)


@cache
def _around(module: str, function: str, types: tuple[str, ...]) -> tree_sitter.Query:
    import tree_sitter

    return tree_sitter.Query(_language(module, function), "[" + " ".join(f"({t})" for t in types) + "] @around")


@cache
def parser(name: str) -> tree_sitter.Parser:
    """One parser per language for the process: they are reused, file after file."""
    import tree_sitter

    return tree_sitter.Parser(SPECS[name].language)
