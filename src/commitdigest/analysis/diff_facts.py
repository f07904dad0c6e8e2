"""Facts read off a diff without understanding it: definitions added and removed, dependency
versions bumped. Pure functions over patch text; the offline analyzer turns them into summary
bullets, and they cost nothing when a commit has no patch."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel

# A public definition: Rust `pub fn`/`struct`/…, Python `def`/`class`, Go `func`, JS/TS `export`,
# Java/C# `public`. Names starting with "_" are private by convention and never count.
_DEF = re.compile(r"^([-+])\s*(?:pub(?:\([^)]*\))?\s+(?:async\s+)?(?:fn|struct|enum|trait)|(?:async\s+)?def|class|"
                  r"func(?:\s*\([^)]*\))?|export\s+(?:default\s+)?(?:async\s+)?(?:function|class|const)|"
                  r"public\s+(?:static\s+)?(?:[\w<>\[\]]+\s+)?)\s+([A-Za-z]\w*)", re.M)


class Definitions(BaseModel):
    added: list[str]  # new names, in order of appearance
    removed: list[str]  # deleted and not re-added: a changed signature is not a removal


def definitions(patches: Iterable[str]) -> Definitions:
    plus: dict[str, None] = {}
    minus: dict[str, None] = {}
    for patch in patches:
        for sign, name in _DEF.findall(patch):
            (plus if sign == "+" else minus)[name] = None
    return Definitions(added=[n for n in plus if n not in minus], removed=[n for n in minus if n not in plus])


class Bump(BaseModel):
    name: str
    old: str | None  # None: newly added dependency
    new: str | None  # None: dependency removed


# One dependency and its version on a diff line, per manifest format.
_VERSION = r"[\w.+!~^<>=*-]*\d[\w.+!~^<>=*-]*"
_LINE_FORMATS = [
    # requirements*.txt, constraints: pkg==1.2.3 (also >=, ~=)
    (re.compile(r"requirements[^/]*\.txt$|constraints[^/]*\.txt$"),
     re.compile(rf"^([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*(?:==|>=|~=|<=)\s*({_VERSION})")),
    # go.mod: module/path v1.2.3 (inside require blocks or single-line require)
    (re.compile(r"(^|/)go\.mod$"), re.compile(rf"^(?:require\s+)?([\w.-]+\.[\w./-]+)\s+(v{_VERSION})")),
    # package.json dependencies: "name": "^1.2.3"
    (re.compile(r"(^|/)package\.json$"), re.compile(rf'^"(@?[\w./-]+)":\s*"([\^~]?{_VERSION})"')),
    # Cargo.toml / pyproject.toml (poetry) tables: name = "1.2" or name = {{ version = "1.2", … }}
    (re.compile(r"(^|/)(Cargo|pyproject)\.toml$"),
     re.compile(rf'^([A-Za-z][\w-]*)\s*=\s*(?:"([\^~=<>]*{_VERSION})"|\{{[^}}]*version\s*=\s*"([^"]+)")')),
    # pyproject [project] dependencies arrays: "pkg==1.2.3",
    (re.compile(r"(^|/)pyproject\.toml$"), re.compile(rf'^"([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*(?:==|>=|~=)\s*({_VERSION})')),
]
# Lock files name the package on a line of its own, before its version.
_LOCK_NAME = re.compile(r'^name = "([^"]+)"')
_LOCK_VERSION = re.compile(r'^version = "([^"]+)"')


def _lock_bumps(patch: str) -> list[tuple[str, str, str]]:
    """Cargo.lock / poetry.lock / uv.lock: ``name = "x"`` then ``-version``/``+version`` lines."""
    out, name = [], None
    for line in patch.splitlines():
        body, sign = line[1:], line[:1]
        if sign in (" ", "+", "-") and (m := _LOCK_NAME.match(body)):
            name = m.group(1)
        elif name and (m := _LOCK_VERSION.match(body)) and sign in "+-":
            out.append((sign, name, m.group(1)))
        elif not body.strip():
            name = None
    return out


def dependency_bumps(files: Iterable[tuple[str, str]]) -> list[Bump]:
    """Version changes read from manifest and lock-file diffs; ``files`` is (path, patch)."""
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for path, patch in files:
        if not patch:
            continue
        if re.search(r"(^|/)(Cargo|poetry|uv)\.lock$", path):
            for sign, name, version in _lock_bumps(patch):
                (new if sign == "+" else old).setdefault(name, version)
            continue
        for path_rx, line_rx in _LINE_FORMATS:
            if not path_rx.search(path):
                continue
            for line in patch.splitlines():
                if line[:1] not in "+-" or line.startswith(("+++", "---")):
                    continue
                m = line_rx.match(line[1:].strip())
                if m:
                    version = next(g for g in m.groups()[1:] if g)
                    (new if line[0] == "+" else old).setdefault(m.group(1), version)
    bumps = []
    for name in dict.fromkeys([*old, *new]):
        before, after = old.get(name), new.get(name)
        if before != after:
            bumps.append(Bump(name=name, old=before, new=after))
    return bumps
