"""An answer's claims held against the commit's semantic facts (``Commit.semantic``).

Small models read a diff backwards: a removed line described as the new behaviour, a fix
described inverted, a function "added" that the commit deletes. Where the facts say what
happened to a name, an item that says otherwise is dropped (cause ``fact``), like an echo.

Only what the facts decide is judged, and only claims stated plainly:
- a definition, environment variable, option or key named in the item (as a code span or a
  whole word) together with a verb of adding or removing in the same clause: the facts must not
  say the opposite (added where the item says removed, or the other way round);
- a value said to go from one thing to another ("from 30 to 60", "从 30 改为 60", "30 → 60"):
  when the facts have that value, the direction must be theirs.
A claim about a name the facts do not mention, or a verb of changing ("updates `load`"), is
left alone: absence from the facts is not proof.
"""

from __future__ import annotations

import re

from commitdigest.semantic.records import Semantic

_ADDED = re.compile(r"\b(add(s|ed|ing)?|introduc(e|es|ed|ing)|new(ly)?|creat(e|es|ed|ing))\b|新增|添加|增加|引入|加入|新建",
                    re.I)
_REMOVED = re.compile(r"\b(remov(e|es|ed|ing)|delet(e|es|ed|ing)|drop(s|ped|ping)?|eliminat(e|es|ed|ing))\b"
                      r"|删除|移除|去掉|删掉|去除|废弃", re.I)
_CLAUSE = re.compile(r"[;；。，,!?！？]\s*|\.\s+|\s+(?:and|but|while|whereas)\s+|而|但|并且|同时")
_SPAN = re.compile(r"`([^`]+)`")
_FROM_TO = re.compile(
    r"\bfrom\s+(?P<a>`[^`]+`|\S+)\s+to\s+(?P<b>`[^`]+`|\S+)"
    r"|从\s*(?P<c>`[^`]+`|[^\s，。；]+?)\s*(?:改为|改成|变为|变成|调整为|调整到|提高到|提升到|降低到|降至|升至|更新为|更新到|升级到|升级为|替换为|换成)"
    r"\s*(?P<d>`[^`]+`|[^\s，。；]+)"
    r"|(?P<e>`[^`]+`|[^\s，。；]+)\s*(?:→|->|=>)\s*(?P<f>`[^`]+`|[^\s，。；]+)", re.I)


def _norm(value: str) -> str:
    value = value.strip().strip("`'\"“”‘’.,;:()（），。；：")
    return value.lower()


class Facts:
    """What the facts say happened to each name, and the values' before → after."""

    def __init__(self, semantic: Semantic):
        self.changes: dict[str, set[str]] = {}
        for s in semantic.symbols:
            for name in _names(s.name):
                self.changes.setdefault(name, set()).add(s.change)
            if s.change == "renamed" and s.old_name:
                for name in _names(s.old_name):
                    self.changes.setdefault(name, set()).add("renamed_from")
        for u in semantic.surface:
            self.changes.setdefault(u.name.lower(), set()).add(u.change)
        self.values = [(_norm(v.before), _norm(v.after)) for v in semantic.values]

    def contradiction(self, text: str) -> bool:
        for clause in _CLAUSE.split(text):
            if not clause:
                continue
            added, removed = bool(_ADDED.search(clause)), bool(_REMOVED.search(clause))
            if added == removed:
                continue  # no verb, or both: not a plain claim
            for name in self._named(clause):
                kinds = self.changes[name]
                if added and kinds <= {"removed", "renamed_from"}:
                    return True
                if removed and kinds == {"added"}:
                    return True
        return self._inverted(text)

    def _named(self, clause: str) -> list[str]:
        found = [n for span in _SPAN.findall(clause) for n in _names(span) if n in self.changes]
        lowered = clause.lower()
        found += [n for n in self.changes if len(n) >= 4 and re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", lowered)]
        return list(dict.fromkeys(found))

    def _inverted(self, text: str) -> bool:
        """A value said to go the opposite way of the facts (``after`` → ``before``)."""
        if not self.values:
            return False
        for m in _FROM_TO.finditer(text):
            a, b = (g for g in m.groups() if g is not None)
            a, b = _norm(a), _norm(b)
            if not a or not b or a == b:
                continue
            if any(_same(a, after) and _same(b, before) for before, after in self.values) and \
                    not any(_same(a, before) and _same(b, after) for before, after in self.values):
                return True
        return False


def _same(said: str, fact: str) -> bool:
    return said == fact or (len(said) >= 2 and said.strip("'\"") == fact.strip("'\""))


def _names(name: str) -> list[str]:
    """A definition's full name and its last part (``Client.load`` → ``client.load``, ``load``);
    a call's parentheses are not part of the name."""
    name = name.strip().removesuffix("()").lower()
    parts = re.split(r"::|\.", name)
    return list(dict.fromkeys([name, parts[-1]])) if parts[-1] else [name]
