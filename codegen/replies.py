"""Reply types: the compact notation of ``specs/replies.toml`` read into a typed tree.

Notation: ``name[<arg, ...>][?]``. Scalars: ``bulk`` (a string reply, ``StrT``), ``status``
(``StrT``), ``str`` (server vocabulary, always ``str``), ``bytes`` (binary data that stays
``bytes`` on every client), ``logged`` (other clients' arguments as the server logged them,
SLOWLOG's: always ``str``, bytes that are not UTF-8 shown as ``\\xNN`` escapes, so the
reply is read undecoded like one with ``bytes``), ``int``, ``numstr`` (an integer sent as a
string, such as a SCAN cursor), ``double`` (``float``, RESP2 sends text), ``bool`` (0/1
meant as a truth value), ``ok`` (a status that can only be OK, as ``bool``), ``reply`` (any
value, for replies that are arbitrary by nature such as script results), ``info`` (INFO text
as sections; a name repeated in a section holds the list of its values), ``props``
(``name:value`` lines) and ``scalar`` (a number or server vocabulary: ``str | int | float``).
Containers: ``array<T>``, ``set<T>``, ``map<K,V>``, ``pair<A,B>``, ``tuple<A,...>`` and
``lines<T>`` (text, one ``T`` per line). A name starting with a capital letter is a model
from ``specs/reply_models.toml``. A trailing ``?`` admits nil.

For module replies: ``json`` (JSON text, decoded to a ``JsonValue``), ``number`` (``int |
float`` as decoded), ``one`` (``bool``: whether the value is 1, where RESP2 answers 1 or -1
and RESP3 a boolean), ``path<T>`` (a RedisJSON path reply: one ``T`` for a legacy path, a list
with a ``T`` or nil per match for a JSONPath, nil for a missing key; told apart by shape, so a
``T`` that needs conversion may not itself be a list), ``only<T>`` (the one value of a
one-element array or map), ``union<A,B>`` (either type, as decoded: neither may need
conversion, since nothing would tell which applies) and ``err<T>`` (a ``T`` or the error the
server put in its place, kept as a ``ServerError`` value: an item of an array that a module
stops filling at the first failure, such as BF.MADD's), and ``empty<T>`` (a list, set or map
``T`` where the server answers nil for a missing key: nil is read as an empty ``T``).

Rules kept here: a type whose RESP2 and RESP3 shapes decode to the same Python value needs no
parser; ``bytes`` may only appear in a reply with no ``StrT`` part, because the runtime reads
such a reply undecoded as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from codegen.overloads import union

__all__ = [
    "EMPTY",
    "PROVISIONAL",
    "ReplyNode",
    "ReplyNotationError",
    "mangle",
    "parse_notation",
]

#: The reply type of commands the replies file does not describe (module commands only).
PROVISIONAL = "reply"

_SCALARS = {
    "bulk": "StrT",
    "status": "StrT",
    "str": "str",
    "bytes": "bytes",
    "logged": "str",
    "int": "int",
    "numstr": "int",
    "double": "float",
    "bool": "bool",
    "ok": "bool",
    "reply": "Reply",
    "info": "dict[str, dict[str, InfoValue]]",
    "props": "dict[str, str | int | float]",
    "scalar": "str | int | float",
    "json": "JsonValue",
    "number": "int | float",
    "one": "bool",
}
_CONTAINERS = {
    "array": 1,
    "set": 1,
    "map": 2,
    "pair": 2,
    "tuple": -1,
    "lines": 1,
    "path": 1,
    "only": 1,
    "union": 2,
    "err": 1,
    "empty": 1,
}
#: Scalar -> (singular, plural) noun for docstrings.
_NOUNS = {
    "bulk": ("string", "strings"),
    "status": ("string", "strings"),
    "str": ("string", "strings"),
    "bytes": ("binary string", "binary strings"),
    "logged": ("string", "strings"),
    "int": ("integer", "integers"),
    "numstr": ("integer", "integers"),
    "double": ("float", "floats"),
    "bool": ("boolean", "booleans"),
    "ok": ("``True`` (OK)", "``True`` values (OK)"),
    "reply": ("reply value", "reply values"),
    "info": ("dict of INFO sections", "dicts of INFO sections"),
    "props": ("dict of properties", "dicts of properties"),
    "scalar": ("number or string", "numbers or strings"),
    "json": ("JSON value", "JSON values"),
    "number": ("number", "numbers"),
    "one": ("boolean (whether 1)", "booleans (whether 1)"),
}
# Scalars that decode differently under RESP2 and RESP3, or need a conversion.
_SCALAR_WORK = {
    "double",
    "numstr",
    "bool",
    "ok",
    "str",
    "logged",
    "info",
    "props",
    "scalar",
    "json",
    "one",
}
_STRT = {"bulk", "status"}
#: What ``empty<T>`` reads nil as, by the kind of ``T``.
EMPTY = {"array": "[]", "lines": "[]", "set": "set()", "map": "{}"}
_EMPTY = EMPTY


class ReplyNotationError(ValueError):
    """The notation is malformed or names an unknown type."""


@dataclass(frozen=True, slots=True)
class ReplyNode:
    """One node of a reply type: a scalar, a container of nodes, or a model reference.

    ``generic`` is only meaningful for a model: whether the model is generic in ``StrT``.
    """

    name: str
    args: tuple[ReplyNode, ...]
    nullable: bool
    generic: bool = False

    @property
    def is_model(self) -> bool:
        """Whether the node names a generated model."""
        return self.name[:1].isupper()

    def annotation(self, strt: str = "StrT", prefix: str = "") -> str:
        """Return the Python annotation.

        Args:
            strt: What strings that follow the client are spelled as.
            prefix: Put before model names (a module alias).

        Returns:
            The annotation source text.
        """
        if self.is_model:
            text = f"{prefix}{self.name}[{strt}]" if self.generic else prefix + self.name
        elif self.name in _STRT:
            text = strt
        elif self.name in _SCALARS:
            text = _SCALARS[self.name]
        elif self.name in ("only", "empty"):
            text = self.args[0].annotation(strt, prefix)
        elif self.name == "err":
            text = union(self.args[0].annotation(strt, prefix), "ServerError")
        elif self.name in ("path", "union"):
            inner = [a.annotation(strt, prefix) for a in self.args]
            if self.name == "path":
                inner = [inner[0], f"list[{union(inner[0], 'None')}]", "None"]
            text = union(*inner)
        else:
            inner = [a.annotation(strt, prefix) for a in self.args]
            python = {"array": "list", "lines": "list", "set": "set", "map": "dict"}
            text = f"{python.get(self.name, 'tuple')}[{', '.join(inner)}]"
        # A nil OK means "condition not met", which the parser reports as False.
        plain = self.name in ("reply", "ok")
        return union(text, "None") if self.nullable and not plain else text

    def describe(self, plural: bool = False) -> str:
        """Return the type in words, as a noun phrase without article (``list of strings``).

        Args:
            plural: Whether to return the plural (``lists of strings``).

        Returns:
            Plain text for a docstring (model names in double backquotes).
        """
        if self.is_model:
            text = f"``{self.name}``" + (" models" if plural else "")
        elif self.name in _NOUNS:
            text = _NOUNS[self.name][plural]
        else:
            text = self._describe_container(plural)
        if not self.nullable or self.name == "reply":
            return text
        if self.name == "ok":
            return "``True`` on OK, ``False`` on a nil reply"
        return f"optional {text}" if plural else f"{text} or ``None``"

    def _describe_container(self, plural: bool) -> str:
        if self.name in ("only", "empty"):
            return self.args[0].describe(plural)
        if self.name == "err":
            errors = "per-item errors" if plural else "a per-item error"
            return f"{self.args[0].describe(plural)} or {errors} (``ServerError``)"
        if self.name == "union":
            return " or ".join(a.describe(plural) for a in self.args)
        if self.name == "path":
            one, many = self.args[0].describe(), self.args[0].describe(plural=True)
            listed = f"a list of {many} (``None`` where a JSONPath match has none)"
            return f"{one} for a legacy path, {listed}"
        if self.name in ("pair", "tuple"):
            inner = ", ".join(a.describe() for a in self.args)
            return f"({inner}) {self.name}" + ("s" if plural else "")
        if self.name == "map":
            key, value = (a.describe(plural=True) for a in self.args)
            return ("dicts" if plural else "dict") + f" of {key} to {value}"
        noun = {"array": "list", "lines": "list", "set": "set"}[self.name]
        return f"{noun}{'s' if plural else ''} of {self.args[0].describe(plural=True)}"

    def needs_work(self) -> bool:
        """Whether decoding alone does not give the promised value."""
        if self.is_model or self.name in _SCALAR_WORK:
            return True
        if self.name in ("set", "map", "pair", "tuple", "lines", "only", "empty"):
            return True
        return any(a.needs_work() for a in self.args)

    def walk(self) -> list[ReplyNode]:
        """Return this node and every node below it, depth first."""
        found: list[ReplyNode] = [self]
        for arg in self.args:
            found += arg.walk()
        return found

    def uses_strt(self) -> bool:
        """Whether the annotation mentions ``StrT``."""
        return any(n.name in _STRT or (n.is_model and n.generic) for n in self.walk())

    def is_binary(self) -> bool:
        """Whether the reply must be read undecoded (it holds ``bytes`` or ``logged`` parts)."""
        return any(n.name in ("bytes", "logged") for n in self.walk())

    def models(self) -> set[str]:
        """Names of the models the type refers to."""
        return {n.name for n in self.walk() if n.is_model}


def mangle(node: ReplyNode) -> str:
    """Return an identifier naming the type (prefix notation with arities, so unambiguous)."""
    name = node.name
    if node.is_model:
        name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", node.name).lower()
    elif node.name == "tuple":
        name = f"tuple{len(node.args)}"
    parts = [name, *(mangle(a) for a in node.args)]
    text = "_".join(parts)
    return f"opt_{text}" if node.nullable else text


_TOKEN = re.compile(r"\s*([A-Za-z][A-Za-z0-9]*|[<>,?])")


def parse_notation(text: str, models: Mapping[str, bool]) -> ReplyNode:
    """Read a reply type written in the notation.

    Args:
        text: For example ``bulk?`` or ``array<pair<bulk,double>>``.
        models: Known model name -> whether the model is generic in ``StrT``.

    Returns:
        The root node.

    Raises:
        ReplyNotationError: The notation is malformed or names an unknown type.
    """
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise ReplyNotationError(f"unreadable reply type {text!r}")
    pos = 0

    def node() -> ReplyNode:
        nonlocal pos
        if pos >= len(tokens):
            raise ReplyNotationError(f"reply type {text!r} ends early")
        name = tokens[pos]
        pos += 1
        args: list[ReplyNode] = []
        if name in _CONTAINERS:
            if pos >= len(tokens) or tokens[pos] != "<":
                raise ReplyNotationError(f"{name} needs <...> in {text!r}")
            pos += 1
            args.append(node())
            while pos < len(tokens) and tokens[pos] == ",":
                pos += 1
                args.append(node())
            if pos >= len(tokens) or tokens[pos] != ">":
                raise ReplyNotationError(f"unclosed {name}<...> in {text!r}")
            pos += 1
            want = _CONTAINERS[name]
            if want > 0 and len(args) != want:
                raise ReplyNotationError(f"{name} takes {want} types in {text!r}")
        elif name[:1].isupper():
            if name not in models:
                raise ReplyNotationError(f"unknown model {name!r} in {text!r}")
        elif name not in _SCALARS:
            raise ReplyNotationError(f"unknown reply type {name!r} in {text!r}")
        nullable = pos < len(tokens) and tokens[pos] == "?"
        if nullable:
            pos += 1
        return ReplyNode(name, tuple(args), nullable, models.get(name, False))

    root = node()
    if pos != len(tokens):
        raise ReplyNotationError(f"trailing text in reply type {text!r}")
    for found in root.walk():
        if found.name == "union" and any(a.needs_work() for a in found.args):
            raise ReplyNotationError(f"union<...> members may not need conversion in {text!r}")
        if found.name == "empty" and found.args[0].name not in _EMPTY:
            raise ReplyNotationError(f"empty<T> of a T that is not a list, set or map in {text!r}")
        inner = found.args[0] if found.name == "path" else None
        if inner is not None and inner.needs_work() and inner.name in _CONTAINERS:
            raise ReplyNotationError(f"path<T> with a converted container T in {text!r}")
    if root.is_binary() and root.uses_strt():
        raise ReplyNotationError(f"{text!r} mixes bytes with strings that follow the client")
    return root
