"""JSON values of RedisJSON commands: the types, and how they cross the wire.

Rules:

- A value going out (``JSON.SET``, ``JSON.ARRAPPEND`` ...) is any JSON-serialisable Python
  value (``JsonInput``: a scalar, a sequence or a string-keyed mapping), sent as compact JSON
  text. ``bytes`` are sent as they are: they are
  already-encoded JSON (what ``orjson.dumps`` returns), so a caller who encodes with a faster
  library does not pay twice. A ``str`` is a JSON string, never JSON text to be parsed.
- Encoding fails with ``TypeError`` (an unserialisable value) or ``ValueError`` (NaN or an
  infinity, which JSON cannot spell, or a circular value) before anything is sent.
- A value coming back (``JSON.GET``) is JSON text decoded with the standard ``json`` module
  into a ``JsonValue``: objects are ``dict``, arrays ``list``, and strings ``str`` on a bytes
  client too, since JSON text is UTF-8 by definition.
- Path replies take RESP2's form on both protocols: one value for a legacy path (``.a``, or
  no path), a list with one value or nil per match for a JSONPath (``$...``). RESP3 wraps
  JSON.TYPE's reply in one more array and answers the JSON.NUM*BY commands with numbers
  where RESP2 sends JSON text; only the path tells a legacy ``[9]`` from a JSONPath ``[9]``,
  so those reshapes take it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from typing_extensions import TypeAliasType

__all__ = [
    "JsonInput",
    "JsonValue",
    "decode",
    "encode",
    "is_jsonpath",
    "number_reply",
    "toggle_reply",
    "type_reply",
]

#: A decoded JSON value.
JsonValue = TypeAliasType(
    "JsonValue", "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"
)
#: A Python value that can be sent as JSON; ``bytes`` are already-encoded JSON text. Containers
#: hold ``object``: mypy infers ``dict[str, object]`` for a literal mixing value types, which a
#: recursive alias would refuse; what JSON cannot hold is refused when the call is made.
JsonInput: TypeAlias = (
    bool | int | float | str | bytes | Sequence[object] | Mapping[str, object] | None
)

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_decode = json.JSONDecoder().decode


def encode(command: str, name: str, value: object) -> str | bytes:
    """Return ``value`` as JSON text for the wire.

    Args:
        command: The command, for the error message.
        name: The argument, for the error message.
        value: A JSON-serialisable value, or ``bytes`` holding JSON text already.

    Returns:
        The JSON text (``bytes`` given are returned unchanged).

    Raises:
        TypeError: The value cannot be expressed in JSON.
        ValueError: The value holds NaN or an infinity, or refers to itself.
    """
    if isinstance(value, bytes):
        return value
    try:
        return _ENCODER.encode(value)
    except TypeError as exc:
        raise TypeError(f"{command}: {name} is not JSON-serialisable: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{command}: {name} cannot be sent as JSON: {exc}") from None


def decode(reply: Any) -> JsonValue:
    """Return the value of JSON text from a reply (``bytes`` or ``str``)."""
    text = reply.decode() if isinstance(reply, bytes) else reply
    value: JsonValue = _decode(text)
    return value


def is_jsonpath(path: object) -> bool:
    """Whether a path argument is a JSONPath (``$...``) rather than a legacy path."""
    if isinstance(path, str):
        return path.startswith("$")
    if isinstance(path, bytes | bytearray):
        return path[:1] == b"$"
    if isinstance(path, memoryview):
        return path[:1].tobytes() == b"$"
    return False


def type_reply(path: object, reply: Any) -> Any:
    """JSON.TYPE: unwrap the array RESP3 adds around the RESP2 reply."""
    if reply.__class__ is not list:
        return reply  # RESP2, legacy path or missing key
    if is_jsonpath(path):
        # RESP3 gives [[types...]] or [nil]; RESP2 [types...] (types are never nil).
        return reply[0] if reply and (reply[0] is None or reply[0].__class__ is list) else reply
    return reply[0]


def number_reply(path: object, reply: Any) -> Any:
    """JSON.NUMINCRBY/NUMMULTBY/NUMPOWBY: the new numbers, as RESP2's JSON text says them."""
    if reply.__class__ is not list:
        return decode(reply)  # RESP2 sends JSON text: a number, or an array for a JSONPath
    return reply if is_jsonpath(path) else reply[0]


def toggle_reply(reply: Any) -> Any:
    """JSON.TOGGLE: a legacy path answers JSON text (``true``), a JSONPath 1/0 per match."""
    if reply.__class__ is list:
        return [None if v is None else bool(v) for v in reply]
    return None if reply is None else decode(reply)
