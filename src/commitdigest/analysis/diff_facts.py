"""Facts read off a diff without understanding it: definitions added and removed, dependency
versions bumped. Pure functions over patch text; the offline analyzer turns them into summary
bullets, and they cost nothing when a commit has no patch.

Every fact must be checkable in the diff it came from: each definition named is on a ``+`` or
``-`` line of its file's patch, each dependency name and version on a changed line of a manifest
or lock file. Lines are matched one at a time, so nothing can run from a changed line into the
unchanged context after it. The texts produced hold no ``&``, ``<`` or ``>``: they go into
Markdown, whose renderer would have to turn them into entities.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from commitdigest.paths import area

if TYPE_CHECKING:
    from commitdigest.models import Commit

# ------------------------------------------------------------------------------ definitions

_WS = r"[ \t]+"
# One pattern per family of languages; each captures the defined name. Only public ones:
# Rust `pub` (not `pub(crate)`), JS/TS `export`, Java/C#/Kotlin `public`, Go capitalised names;
# in Python and Ruby every name not starting with "_".
_RUST = re.compile(rf"^[ \t]*pub{_WS}(?:(?:async|const|unsafe|extern(?:{_WS}\"[^\"]*\")?){_WS})*"
                   rf"(?:fn|struct|enum|trait|type|union|mod){_WS}([A-Za-z]\w*)")
_PY = re.compile(rf"^[ \t]*(?:async{_WS})?(?:def|class){_WS}([A-Za-z]\w*)")
_RB = re.compile(rf"^[ \t]*(?:def|class|module){_WS}(?:self\.)?([A-Za-z]\w*)")
_GO = re.compile(rf"^(?:func(?:[ \t]*\([^)]*\))?[ \t]*([A-Z]\w*)|type{_WS}([A-Z]\w*)\b(?![ \t]*\())")
_JS = re.compile(rf"^[ \t]*export{_WS}(?:default{_WS})?(?:declare{_WS})?(?:async{_WS})?(?:abstract{_WS})?"
                 rf"(?:function\*?|class|const|let|var|interface|type|enum){_WS}([A-Za-z$][\w$]*)")
_JVM = re.compile(rf"^[ \t]*public{_WS}(?:(?:static|final|abstract|sealed|virtual|override|async|readonly|"
                  rf"partial|data|open|suspend){_WS})*(?:(?:class|interface|enum|record|struct|object|fun){_WS}|"
                  rf"[\w<>\[\],.?]+{_WS})([A-Za-z]\w*)")
# Kotlin and Scala: public unless marked otherwise (a private/protected/internal modifier fails the match)
_KT = re.compile(rf"^[ \t]*(?:(?:public|open|abstract|sealed|data|enum|inline|value|annotation|suspend|override|"
                 rf"final|operator|infix|case|implicit){_WS})*(?:fun|def|class|interface|object|trait){_WS}"
                 rf"(?:<[^>]*>[ \t]*)?(?:[\w.]+\.)?([A-Za-z]\w*)")
# C++ classes and structs; a forward declaration ("class Foo;") defines nothing
_CPP = re.compile(rf"^[ \t]*(?:template[ \t]*<[^>]*>[ \t]*)?(?:class|struct){_WS}(?:[A-Z][A-Z0-9_]*{_WS})?"
                  rf"([A-Za-z]\w*)\b(?![ \t]*;)")
_BY_SUFFIX: dict[str, tuple[re.Pattern[str], ...]] = {
    ".rs": (_RUST,), ".py": (_PY,), ".pyi": (_PY,), ".rb": (_RB,), ".go": (_GO,),
    ".js": (_JS,), ".jsx": (_JS,), ".mjs": (_JS,), ".cjs": (_JS,), ".ts": (_JS,), ".tsx": (_JS,),
    ".mts": (_JS,), ".cts": (_JS,),
    ".java": (_JVM,), ".cs": (_JVM,), ".kt": (_KT,), ".kts": (_KT,), ".scala": (_KT,), ".php": (_JVM,),
    ".swift": (_JVM,), ".dart": (_JVM,),
    ".h": (_CPP,), ".hh": (_CPP,), ".hpp": (_CPP,), ".hxx": (_CPP,), ".cc": (_CPP,), ".cpp": (_CPP,), ".cxx": (_CPP,),
}
_ANY = (_RUST, _PY, _GO, _JS, _JVM)  # a patch whose file is unknown
# A word each pattern cannot match without: a line (or a whole patch) holding none of its
# pattern's words defines nothing, and is passed over without trying the pattern. A patch of a
# year's report is mostly lines that define nothing; this keeps the regexes to the few that might.
_WORDS: dict[re.Pattern[str], tuple[str, ...]] = {
    _RUST: ("pub",), _PY: ("def", "class"), _RB: ("def", "class", "module"), _GO: ("func", "type"),
    _JS: ("export",), _JVM: ("public",), _KT: ("fun", "def", "class", "interface", "object", "trait"),
    _CPP: ("class", "struct"),
}
_FILE_HEADER = re.compile(r"^(?:\+\+\+ b/|--- a/)(.+?)\t?$")


class Definitions(BaseModel):
    added: list[str]  # new names, in order of appearance
    removed: list[str]  # deleted and not re-added: a changed signature or a move is not a removal


def _patterns(path: str | None) -> tuple[re.Pattern[str], ...]:
    if path is None:
        return _ANY
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return _BY_SUFFIX.get(name[dot:].lower(), ()) if dot > 0 else ()


_CHANGED = re.compile(r"^[+-].*", re.M)


def changed_lines(patch: str) -> list[tuple[str, str]]:
    """(sign, text) of every ``+``/``-`` line of a patch, its file header lines left out."""
    # "--- a/…", "+++ b/…", "index …" come before the first hunk: start at its "@@" line
    start = 0 if patch.startswith("@@") else patch.find("\n@@") + 1
    if start == 0 and not patch.startswith("@@"):
        return []
    return [(line[0], line[1:]) for line in _CHANGED.findall(patch, start)]


def patch_path(patch: str) -> str | None:
    """The file a patch is for, from its ``+++ b/…`` (or ``--- a/…`` for a deletion) line."""
    for line in patch.split("\n", 8)[:8]:
        if line.startswith("@@"):
            break
        m = _FILE_HEADER.match(line)
        if m and m.group(1) != "/dev/null":
            return m.group(1).strip('"')
    return None


def definitions_in(path: str | None, patch: str) -> list[tuple[str, str]]:
    """(sign, name) of the public definitions on the changed lines of one file's patch."""
    patterns = _patterns(path if path is not None else patch_path(patch))
    if not patterns:
        return []
    words = tuple(w for rx in patterns for w in _WORDS[rx])
    if not any(w in patch for w in words):
        return []
    out = []
    for sign, text in changed_lines(patch):
        if not any(w in text for w in words):
            continue
        for rx in patterns:
            m = rx.match(text)
            if m:
                out.append((sign, next(g for g in m.groups() if g)))
                break
    return out


_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def clipped(patch: str) -> bool:
    """Whether a patch stops before the end of a hunk: fewer lines than its header announces, as
    when the reader of the log kept only the first part of a huge file's diff."""
    want_old = want_new = 0
    for line in patch.split("\n"):
        first = line[:1]  # one look at the first character; the header regex only for "@" lines
        if first == " ":
            want_old, want_new = want_old - 1, want_new - 1
        elif first == "-":
            if want_old > 0:
                want_old -= 1
        elif first == "+":
            if want_new > 0:
                want_new -= 1
        elif first == "@":
            m = _HUNK_HEADER.match(line)
            if m:
                if want_old > 0 or want_new > 0:
                    return True
                want_old = int(m.group(1)) if m.group(1) is not None else 1
                want_new = int(m.group(2)) if m.group(2) is not None else 1
        elif line == "" and (want_old > 0 or want_new > 0):
            want_old, want_new = want_old - 1, want_new - 1  # an empty context line, its space stripped
    return want_old > 0 or want_new > 0


def definitions(patches: Iterable[object]) -> Definitions:
    """Public definitions added and removed across one commit's patches. A name both removed and
    added in the commit (a changed signature, a definition moved between files) is neither.

    ``patches`` are patch texts, or file changes with ``patch`` and ``patch_clipped``. When part
    of the diff was not read (a clipped patch, or a changed file without one), nothing is called
    removed: the same name may be added in the part unseen.
    """
    plus: dict[str, None] = {}
    minus: dict[str, None] = {}
    complete = True
    for item in patches:
        patch = item if isinstance(item, str) else getattr(item, "patch", "") or ""
        if not isinstance(item, str) and (getattr(item, "patch_clipped", False)
                                          or (not patch and getattr(item, "lines", 0))):
            complete = False
        if patch and clipped(patch):
            complete = False
        for sign, name in definitions_in(None, patch):
            (plus if sign == "+" else minus)[name] = None
    removed = [n for n in minus if n not in plus] if complete else []
    return Definitions(added=[n for n in plus if n not in minus], removed=removed)


# ------------------------------------------------------------------------------ dependencies


class Bump(BaseModel):
    name: str
    old: str | None  # None: newly added dependency
    new: str | None  # None: dependency removed


_VERSION = r"[\w.+!~^<>=*-]*\d[\w.+!~^<>=*-]*"
_REQUIREMENT = re.compile(rf"^([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*(?:===|==|>=|~=|<=)\s*({_VERSION})")
_GO_REQUIRE = re.compile(rf"^(?:require\s+)?([\w.-]+\.[\w./-]+)\s+(v{_VERSION})")
_JSON_PAIR = re.compile(rf'^(\s*)"(@?[\w./-]+)":\s*"([\^~]?{_VERSION})"')
_JSON_OPEN = re.compile(r'^(\s*)"([^"]+)":\s*\{')
_JSON_CLOSE = re.compile(r"^(\s*)\}")
_TOML_PAIR = re.compile(rf'^([A-Za-z][\w.-]*)\s*=\s*(?:"([\^~=<>]*{_VERSION})"|\{{[^}}]*\bversion\s*=\s*"([^"]+)")')
_TOML_STRING = re.compile(rf'^"([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*(?:===|==|>=|~=)\s*({_VERSION})')
_TOML_TABLE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_DEP_TABLES = {"dependencies", "dev-dependencies", "build-dependencies", "dev_dependencies", "build_dependencies"}
_JSON_DEP_SECTIONS = {"dependencies", "devDependencies", "peerDependencies", "optionalDependencies",
                      "bundledDependencies", "resolutions", "overrides"}
# Keys of a manifest's own metadata: never dependencies, even when the table is not in sight.
_METADATA_KEYS = {
    "version", "requires-python", "python", "python_requires", "python-requires", "edition", "rust-version",
    "name", "description", "license", "readme", "target-version", "required-version", "minversion",
    "min_version", "opt-level", "debug", "lto", "codegen-units", "resolver", "node", "npm", "yarn", "pnpm",
    "bun", "deno", "vscode",
}


def _toml_table_kind(table: str | None) -> tuple[str, str | None]:
    """What a TOML table holds: ("deps", None), ("dep", name) for [dependencies.serde],
    ("other", None), or ("unknown", None) when no table header was in sight."""
    if table is None:
        return "unknown", None
    parts = [p.strip().strip("'\"") for p in re.split(r"\.(?=(?:[^'\"]*['\"][^'\"]*['\"])*[^'\"]*$)", table)]
    if parts[-1] in _DEP_TABLES:
        return "deps", None
    if len(parts) >= 2 and parts[-2] in _DEP_TABLES:
        return "dep", parts[-1]
    return "other", None


def _clean(version: str) -> str:
    """A version as the diff writes it, without comparison operators (no '<', '>' in the text)."""
    version = version.strip().lstrip("<>=! ")
    return re.split(r"[<>,;\s]", version, maxsplit=1)[0]


def _manifest_bumps(path: str, patch: str) -> list[tuple[str, str, str]]:
    """(sign, name, version) from the changed lines of a manifest, per its format, read with the
    table or object each line is in: the two sides of a hunk each keep their own."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    out: list[tuple[str, str, str]] = []
    if re.search(r"^(requirements|constraints)[^/]*\.(txt|in)$", lower):
        for sign, text in changed_lines(patch):
            m = _REQUIREMENT.match(text.strip())
            if m:
                out.append((sign, m.group(1), _clean(m.group(2))))
        return out
    toml = name in ("Cargo.toml", "pyproject.toml")
    json = name == "package.json"
    gomod = name == "go.mod"
    if not (toml or json or gomod):
        return out
    table: dict[str, str | None] = {"+": None, "-": None}  # TOML table / go.mod block per side
    opens: dict[str, list[tuple[int, str]]] = {"+": [], "-": []}  # package.json open objects per side
    for line in patch.split("\n"):
        if line.startswith("@@"):
            table = {"+": None, "-": None}
            opens = {"+": [], "-": []}
            continue
        sign, text = line[:1], line[1:]
        if sign not in (" ", "+", "-") or line.startswith(("+++ ", "--- ")):
            continue
        sides = ("+", "-") if sign == " " else (sign,)
        body = text.strip()
        if toml and (m := _TOML_TABLE.match(text)) and not body.startswith(("[\"", "['")):
            for s in sides:
                table[s] = m.group(1)
            continue
        if gomod:
            if re.match(r"^(require|replace|exclude|retract)\s*\($", body):
                for s in sides:
                    table[s] = body.split()[0].rstrip("(")
                continue
            if body == ")":
                for s in sides:
                    table[s] = None
                continue
        if json:
            if (m := _JSON_OPEN.match(text)):
                for s in sides:
                    opens[s].append((len(m.group(1).expandtabs()), m.group(2)))
                continue
            if (m := _JSON_CLOSE.match(text)):
                indent = len(m.group(1).expandtabs())
                for s in sides:
                    while opens[s] and opens[s][-1][0] >= indent:
                        opens[s].pop()
                continue
        if sign == " ":
            continue
        if gomod:
            m = _GO_REQUIRE.match(body)
            if m and "=>" not in body and table[sign] in (None, "require") and not body.startswith(("replace", "exclude")):
                out.append((sign, m.group(1), m.group(2)))
        elif json:
            m = _JSON_PAIR.match(text)
            if not m:
                continue
            indent, key = len(m.group(1).expandtabs()), m.group(2)
            inside = [sec for ind, sec in opens[sign] if ind < indent]
            if inside:
                if inside[-1] not in _JSON_DEP_SECTIONS and inside[0] not in _JSON_DEP_SECTIONS:
                    continue
            elif key in _METADATA_KEYS:
                continue  # the package's own "version", engines' "node": no section in sight
            out.append((sign, key, _clean(m.group(3))))
        else:
            kind, dep = _toml_table_kind(table[sign])
            if (m := _TOML_STRING.match(body)):
                # PEP 508 strings: dependencies, optional-dependencies, dependency-groups, build requires
                if name == "pyproject.toml":
                    out.append((sign, m.group(1), _clean(m.group(2))))
                continue
            m = _TOML_PAIR.match(body)
            if not m:
                continue
            key, version = m.group(1), _clean(next(g for g in m.groups()[1:] if g))
            if kind == "dep" and key == "version" and dep:
                out.append((sign, dep, version))
            elif kind == "deps" and key not in ("python",) or kind == "unknown" and key not in _METADATA_KEYS and "." not in key:
                out.append((sign, key, version))
    return out


_LOCK_NAME = re.compile(r'^name = "([^"]+)"')
_LOCK_VERSION = re.compile(r'^version = "([^"]+)"')


def _lock_bumps(path: str, patch: str) -> list[tuple[str, str, str]]:
    """Cargo.lock / poetry.lock / uv.lock: ``name = "x"`` then ``-version``/``+version`` lines.

    The project's own packages are not dependencies: uv marks them ``editable``/``virtual``/
    ``path`` sources, Cargo lists workspace members with dependencies but no registry source.
    """
    cargo = path.endswith("Cargo.lock")
    out: list[tuple[str, str, str]] = []
    names: dict[str, str | None] = {"+": None, "-": None}
    entries: list[tuple[str, str, str]] = []
    own = False  # the block is the project itself or one of its workspace members
    sourced = False

    def flush() -> None:
        nonlocal entries, own, sourced
        if not own:
            out.extend(entries)
        entries, own, sourced = [], False, False

    for line in patch.split("\n"):
        sign, body = line[:1], line[1:]
        if line.startswith(("@@", "+++ ", "--- ")) or sign not in (" ", "+", "-"):
            if line.startswith("@@"):
                flush()
                names = {"+": None, "-": None}
            continue
        sides = ("+", "-") if sign == " " else (sign,)
        if not body.strip() or body.startswith("[[package]]"):
            flush()
            names = {"+": None, "-": None}
        elif (m := _LOCK_NAME.match(body)):
            if sign == " " or not entries:
                flush()
            for s in sides:
                names[s] = m.group(1)
        elif (m := _LOCK_VERSION.match(body)) and sign in ("+", "-"):
            if (name := names[sign]):
                entries.append((sign, name, m.group(1)))
        elif body.startswith("source = "):
            sourced = True
            if re.search(r"\b(?:editable|virtual|path)\s*=", body):
                own = True
        elif cargo and body.startswith("dependencies = [") and not sourced:
            own = True  # a registry or git crate names its source before its dependencies
    flush()
    return out


def _own_names(files: list[tuple[str, str]]) -> set[str]:
    """The project's own package names, as its manifests' diffs show them ([package] / [project]
    name in Cargo.toml and pyproject.toml, the top-level "name" of package.json)."""
    names: set[str] = set()
    for path, patch in files:
        base = path.rsplit("/", 1)[-1]
        if base in ("Cargo.toml", "pyproject.toml"):
            table = None
            for line in patch.split("\n"):
                text = line[1:]
                if (m := _TOML_TABLE.match(text)):
                    table = m.group(1).strip()
                elif table in ("package", "project", "tool.poetry") and (m := re.match(r'^name\s*=\s*"([^"]+)"', text.strip())):
                    names.add(m.group(1))
        elif base == "package.json":
            for line in patch.split("\n"):
                if (m := re.match(r'^[ +\-]( {2}|\t)"name":\s*"([^"]+)"', line)):
                    names.add(m.group(2))
    return names


def dependency_bumps(files: Iterable[tuple[str, str]]) -> list[Bump]:
    """Version changes read from manifest and lock-file diffs; ``files`` is (path, patch).

    Not dependency changes: the package's own version (``version`` of [package]/[project],
    package.json's top-level ``version``), its metadata (``requires-python``, ``edition``,
    engines), and a version that is the same on both sides."""
    files = [(path, patch) for path, patch in files if patch]
    own = _own_names(files)
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for path, patch in files:
        if re.search(r"(^|/)(Cargo|poetry|uv)\.lock$", path):
            found = _lock_bumps(path, patch)
        else:
            found = _manifest_bumps(path, patch)
        for sign, name, version in found:
            if name not in own and version:
                (new if sign == "+" else old).setdefault(name, version)
    bumps = []
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before != after:
            bumps.append(Bump(name=name, old=before, new=after))
    return bumps


# ---------------------------------------------------------------------------------- a commit's


def commit_definitions(commit: Commit, only: Callable[[str], bool] | None = None) -> Definitions:
    """The public definitions a commit's source files add and remove (what the summary and the
    rollups state), of the files ``only`` accepts when it is given."""
    return definitions(f for f in commit.files if area(f.path) == "source" and (only is None or only(f.path)))


def commit_bumps(commit: Commit) -> list[Bump]:
    """The dependency versions a commit's manifests, lockfiles and build files change."""
    return dependency_bumps((f.path, f.patch) for f in commit.files if area(f.path) in ("deps", "build", "config"))
