"""Helpers the generated reply parsers are built from, and the ``Reply`` alias.

Each generated parser (``_generated/_reply_parsers.py``) turns a decoded reply, RESP2 or RESP3
shaped, into the one Python value its command's annotation promises, by composing these
helpers. Rules:

- Helpers are pure, synchronous and never fail on a valid reply; a server error never
  reaches them (the executor raises it first).
- Replies that already decode to the promised value get no parser at all: the generated
  code passes ``None`` and the executor skips the call.
- Decoding of strings (``bytes`` or ``str``) is the connection's business; helpers keep
  whatever string type they are given, so one parser serves ``Redis[bytes]`` and
  ``Redis[str]``. Only ``text``, ``info`` and ``props`` decode, because they stand for
  server vocabulary that is text on every client (``scalar`` too). That is why helpers take ``Any``
  while the generated method signatures stay precise.
- The shape differences handled here: RESP2 sends doubles as bulk strings and maps as flat
  arrays, and member/score pairs flat where RESP3 nests them; hiredis returns RESP3 sets as
  lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

__all__ = [
    "Reply",
    "info",
    "lines",
    "map_items",
    "props",
    "scalar",
    "text",
    "to_dict",
    "to_set",
]

#: A reply that is arbitrary by nature (a script's result): any decoded RESP value.
Reply: TypeAlias = (
    "str | bytes | int | float | bool | list[Reply] | dict[Reply, Reply] | set[Reply] | None"
)


def text(reply: Any) -> str:
    """Return server vocabulary as ``str`` whatever the client decodes."""
    if isinstance(reply, str):
        return reply
    if isinstance(reply, bytes | bytearray | memoryview):
        return bytes(reply).decode("utf-8", "surrogateescape")
    return str(reply)


def scalar(reply: Any) -> str | int | float:
    """Return a plain value: numbers as they are, strings as text."""
    return reply if isinstance(reply, int | float) else text(reply)


def to_set(reply: Any) -> set[Any]:
    """Return a set reply: a RESP3 set, or an array (RESP2, and hiredis for RESP3 sets)."""
    return reply if isinstance(reply, set) else set(reply)


def map_items(reply: Any) -> Iterable[tuple[Any, Any]]:
    """Return the pairs of a map reply.

    A RESP3 map, a RESP2 array of alternating keys and values, or an array of key/value
    pairs (RESP2 XREAD, XPENDING consumers): keys are never arrays, so a first item that is
    an array means pairs.
    """
    if isinstance(reply, dict):
        return reply.items()
    if reply and isinstance(reply[0], list | tuple):
        return ((key, value) for key, value in reply)
    it = iter(reply)
    return zip(it, it, strict=True)


def to_dict(reply: Any) -> dict[Any, Any]:
    """Return a map reply as a dict: a RESP3 map as is, a RESP2 flat array paired up."""
    return reply if isinstance(reply, dict) else dict(map_items(reply))


def lines(reply: Any) -> list[Any]:
    """Return the non-empty lines of a text reply, in the reply's string type."""
    newline = b"\n" if isinstance(reply, bytes) else "\n"
    cr = b"\r" if isinstance(reply, bytes) else "\r"
    return [line.rstrip(cr) for line in reply.split(newline) if line.strip()]


def _number(value: str) -> str | int | float:
    try:
        return int(value)
    except ValueError:
        pass
    # Only plain decimals: "nan", "inf" or "1e5" in INFO text are names, not numbers.
    if value.replace(".", "", 1).removeprefix("-").isdigit():
        return float(value)
    return value


def props(reply: Any) -> dict[str, str | int | float]:
    """Return ``name:value`` lines (CLUSTER INFO, one INFO section) as a dict.

    Values that are integers or plain decimals become numbers; everything else stays text.
    """
    found: dict[str, str | int | float] = {}
    for line in lines(text(reply)):
        if line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if sep:
            found[name.strip()] = _number(value.strip())
    return found


def info(reply: Any) -> dict[str, dict[str, str | int | float]]:
    """Return INFO text as sections: lower-case section name -> ``props`` of its lines.

    Lines before any ``# Section`` header go to the section ``""``.
    """
    sections: dict[str, dict[str, str | int | float]] = {}
    current: dict[str, str | int | float] | None = None
    for line in lines(text(reply)):
        if line.startswith("#"):
            current = sections.setdefault(line.lstrip("#").strip().lower(), {})
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if current is None:
            current = sections.setdefault("", {})
        current[name.strip()] = _number(value.strip())
    return sections
