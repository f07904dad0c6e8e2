"""What a user of the code meets, read off a source file's two blobs: the environment
variables it reads, the command-line options it declares, the configuration keys it reads, and
the error types it defines.

Each kind is a name set per side, found by the idioms of each language (``os.getenv("X")``,
``std::env::var("X")``, ``os.Getenv("X")``, ``process.env.X``, ``getenv("X")``; argparse, click,
typer, clap, Go's flag and cobra, commander, gflags; Go struct tags and ``config.get("key")``
reads): a name on the new side only is added, on the old side only removed. Being a difference
of two whole files, a read merely moved within the file is neither. Names are what the source
writes; nothing is inferred.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

_NAME = r"""\s*\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
# (literal, pattern matched where the literal starts): the literal is found with str.find, which
# is far faster than letting an alternation try every position of a large file.
_ENV: list[tuple[str, re.Pattern[str]]] = [
    (word, re.compile(re.escape(word) + _NAME)) for word in
    ("getenv", "Getenv", "LookupEnv", "environ.get", "environ.setdefault", "environ.pop", "env::var",
     "env::var_os", "env!", "option_env!", "Deno.env.get", "Env.get")
] + [
    ("environ", re.compile(r"""environ\s*\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]""")),
    ("process.env", re.compile(r"""process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\s*\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\])""")),
    ("import.meta.env.", re.compile(r"""import\.meta\.env\.([A-Za-z_][A-Za-z0-9_]*)""")),
]
_OPTION_CALLS = [(word, re.compile(re.escape(word) + r"""\s*\(([^()]*)""")) for word in
                 ("add_argument", ".option", "Option", "add_option")]
_DASHED = re.compile(r"""["'`](--[A-Za-z0-9][\w-]*)""")
_CLAP = re.compile(r"""#\[\s*(?:arg|clap|structopt)\s*\(([^\]]*)\)\s*\]\s*(?:pub(?:\([^)]*\))?\s+)?([a-z_][a-z0-9_]*)\s*:""")
_CLAP_LONG_NAME = re.compile(r"""\blong\s*=\s*"([\w-]+)\"""")
_GO_FLAG = re.compile(r"""(?:flag|pflag|Flags\(\)|PersistentFlags\(\))\.(?:String|Int|Int64|Uint|Uint64|Bool|Duration|"""
                      r"""Float64|StringSlice|StringArray|IntSlice|Var|TextVar|Func)(?:Var)?(?:P)?\s*\(\s*(?:&?[\w.\[\]]+\s*,\s*)?"([\w-]+)\"""")
_GFLAGS = re.compile(r"""DEFINE_(?:string|int32|int64|uint32|uint64|bool|double)\s*\(\s*(\w+)""")
_TAGS = [(word, re.compile(re.escape(word) + r"""\s*:\s*\\?"([\w.-]+)""")) for word in
         ("yaml", "toml", "mapstructure", "koanf", "hcl")]
_CONFIG_READS = [(word, re.compile(re.escape(word) + r"""\s*(?:\.get(?:String|Int|Bool|Duration|::<[^>]*>)?\s*\(|\[)\s*["']([\w.-]+)["']"""))
                 for word in ("config", "cfg", "conf", "settings", "options", "viper")]


def _scan(text: str, word: str, rx: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """Matches of ``rx`` at each occurrence of ``word`` in ``text``."""
    at = text.find(word)
    while at >= 0:
        if (m := rx.match(text, at)) is not None:
            yield m
        at = text.find(word, at + 1)


def _env(text: str) -> set[str]:
    return {m.group(m.lastindex or 1) for word, rx in _ENV for m in _scan(text, word, rx)}


def _options(text: str) -> set[str]:
    found = {d.group(1) for word, rx in _OPTION_CALLS for m in _scan(text, word, rx)
             for d in _DASHED.finditer(m.group(1))}
    for m in _scan(text, "#[", _CLAP):
        args = m.group(1)
        if re.search(r"\blong\b", args):
            named = _CLAP_LONG_NAME.search(args)
            found.add("--" + (named.group(1) if named else m.group(2).replace("_", "-")))
    for word in ("flag.", "pflag.", "Flags()."):
        found.update("--" + m.group(1) for m in _scan(text, word, _GO_FLAG))
    found.update("--" + m.group(1) for m in _scan(text, "DEFINE_", _GFLAGS))
    return found


def _config(text: str) -> set[str]:
    return {m.group(1) for word, rx in (*_TAGS, *_CONFIG_READS) for m in _scan(text, word, rx) if m.group(1) != "-"}


READERS: dict[str, Callable[[str], set[str]]] = {"env_var": _env, "cli_option": _options, "config_key": _config}


def names(text: str) -> dict[str, set[str]]:
    """Every kind's names in one file's text."""
    return {kind: read(text) for kind, read in READERS.items()}


def first_offset(text: str, kind: str, name: str) -> int | None:
    """Where ``name`` of ``kind`` first appears in ``text`` (to name the definition it is in)."""
    needle = name if kind != "cli_option" else name
    at = text.find(needle)
    if at < 0 and kind == "cli_option":
        at = text.find(name.removeprefix("--"))
    return at if at >= 0 else None
