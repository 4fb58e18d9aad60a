"""Reply types: the compact notation of ``specs/replies.toml`` turned into annotation + parser.

Notation: ``name[<arg, ...>][?]`` where name is one of ``bulk`` (a string reply, ``StrT``),
``status``, ``int``, ``double``, ``bool`` (0/1 meant as a truth value), ``ok`` (a status
reply that can only be OK), ``reply`` (not yet described: the recursive ``Reply``), or the
containers ``array<T>``, ``set<T>``, ``map<K,V>``, ``pair<A,B>``, ``tuple<A,...>``; a trailing
``?`` admits a nil reply. A type whose RESP2 and RESP3 shapes already decode to the same
Python value needs no parser (``None``); every other type must name a parser that
``redis_oxide._parsers`` provides, listed in ``PARSERS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codegen.ir import ReplyType

__all__ = ["PARSERS", "PROVISIONAL", "ReplyNotationError", "reply_type"]

#: The reply type of commands the replies file does not describe yet.
PROVISIONAL = "reply"

_SCALARS = {
    "bulk": "StrT",
    "status": "StrT",
    "int": "int",
    "double": "float",
    "bool": "bool",
    "ok": "bool",
    "reply": "Reply",
}
_CONTAINERS = {"array": 1, "set": 1, "map": 2, "pair": 2, "tuple": -1}
# Parts of a type that decode differently under RESP2 and RESP3, or need conversion.
_NEEDS_WORK = {"double", "bool", "ok", "map", "set", "pair", "tuple"}

#: Notation (spaces removed) -> parser function in ``redis_oxide._parsers``.
PARSERS = {
    "ok": "parse_ok",
    "ok?": "parse_ok",
    "bool": "parse_bool",
    "double": "parse_double",
    "double?": "parse_optional_double",
    "array<bool>": "parse_bool_list",
    "array<double>": "parse_double_list",
    "array<double?>": "parse_optional_double_list",
    "set<bulk>": "parse_set",
    "map<bulk,bulk>": "parse_map",
    "map<bulk,int>": "parse_map",
    "map<bulk,reply>": "parse_map",
    "map<bulk,array<bulk>>": "parse_map",
    "array<pair<bulk,double>>": "parse_scored_list",
    "pair<bulk,bulk>?": "parse_optional_pair",
    "pair<bulk,double>?": "parse_optional_scored",
    "tuple<bulk,bulk,double>?": "parse_optional_keyed_scored",
    "pair<int,array<bulk>>": "parse_scan",
    "pair<int,map<bulk,bulk>>": "parse_hscan",
    "pair<int,array<pair<bulk,double>>>": "parse_zscan",
    "pair<bulk,array<bulk>>?": "parse_optional_pop",
    "pair<bulk,array<pair<bulk,double>>>?": "parse_optional_zpop",
    "array<array<pair<double,double>?>>": "parse_geopos",
    "array<pair<double,double>?>": "parse_geopos",
}


class ReplyNotationError(ValueError):
    """The notation is malformed or names a type with no parser."""


@dataclass(frozen=True, slots=True)
class _Node:
    name: str
    args: tuple[_Node, ...]
    nullable: bool

    def annotation(self) -> str:
        if self.name in _SCALARS:
            text = _SCALARS[self.name]
        else:
            inner = [a.annotation() for a in self.args]
            python = {"array": "list", "set": "set", "map": "dict"}.get(self.name, "tuple")
            text = f"{python}[{', '.join(inner)}]"
        # A nil OK means "condition not met", which parse_ok reports as False.
        plain = text in ("Reply", "bool") and self.name in ("reply", "ok")
        return f"{text} | None" if self.nullable and not plain else text

    def needs_work(self) -> bool:
        return self.name in _NEEDS_WORK or any(a.needs_work() for a in self.args)


_TOKEN = re.compile(r"\s*([a-z]+|[<>,?])")


def _parse(text: str) -> _Node:
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise ReplyNotationError(f"unreadable reply type {text!r}")
    pos = 0

    def node() -> _Node:
        nonlocal pos
        if pos >= len(tokens):
            raise ReplyNotationError(f"reply type {text!r} ends early")
        name = tokens[pos]
        pos += 1
        args: list[_Node] = []
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
        elif name not in _SCALARS:
            raise ReplyNotationError(f"unknown reply type {name!r} in {text!r}")
        nullable = pos < len(tokens) and tokens[pos] == "?"
        if nullable:
            pos += 1
        return _Node(name, tuple(args), nullable)

    root = node()
    if pos != len(tokens):
        raise ReplyNotationError(f"trailing text in reply type {text!r}")
    return root


def reply_type(notation: str) -> ReplyType:
    """Return the annotation and parser for a reply type written in the notation.

    Args:
        notation: For example ``bulk?`` or ``array<pair<bulk,double>>``.

    Returns:
        The IR reply type; its ``parser`` is ``None`` or ``_parsers.<name>`` as source text.

    Raises:
        ReplyNotationError: The notation is malformed or has no parser.
    """
    compact = re.sub(r"\s+", "", notation)
    root = _parse(compact)
    if not root.needs_work():
        parser = "None"
    elif compact in PARSERS:
        parser = f"_parsers.{PARSERS[compact]}"
    else:
        raise ReplyNotationError(f"no parser for reply type {compact!r}")
    return ReplyType(compact, root.annotation(), parser)
