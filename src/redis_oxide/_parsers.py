"""Pure reply parsers named by the generated command surface.

Each parser turns a decoded reply, RESP2 or RESP3 shaped, into the one Python value the
command's annotation promises. Rules:

- Parsers are pure, synchronous and never fail on a valid reply; a server error never
  reaches them (the executor raises it first).
- Replies that already decode to the promised value get no parser at all: the generated
  code passes ``None`` and the executor skips the call.
- Decoding of strings (``bytes`` or ``str``) is the connection's business; parsers keep
  whatever string type they are given, so one parser serves ``Redis[bytes]`` and
  ``Redis[str]``. That is why container parsers are typed loosely (``Any`` inside) while the
  generated method signatures stay precise.
"""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = [
    "Reply",
    "parse_bool",
    "parse_bool_list",
    "parse_double",
    "parse_double_list",
    "parse_geopos",
    "parse_hscan",
    "parse_map",
    "parse_ok",
    "parse_optional_double",
    "parse_optional_double_list",
    "parse_optional_keyed_scored",
    "parse_optional_pair",
    "parse_optional_pop",
    "parse_optional_scored",
    "parse_optional_zpop",
    "parse_scan",
    "parse_scored_list",
    "parse_set",
    "parse_zscan",
]

#: A reply whose shape redis-oxide does not describe yet: any decoded RESP value.
Reply: TypeAlias = (
    "str | bytes | int | float | bool | list[Reply] | dict[Reply, Reply] | set[Reply] | None"
)

_INFINITIES = {b"inf": float("inf"), b"+inf": float("inf"), b"-inf": float("-inf")}


def parse_ok(reply: Any) -> bool:
    """Return True for an OK status, False for nil (a condition was not met)."""
    return reply is not None


def parse_bool(reply: Any) -> bool:
    """Return an integer 0/1 reply (RESP3 may send a boolean) as a bool."""
    return bool(reply)


def parse_bool_list(reply: Any) -> list[bool]:
    """Return a list of 0/1 integers as a list of bools."""
    return [bool(item) for item in reply]


def parse_double(reply: Any) -> float:
    """Return a double reply: a RESP3 double, or a RESP2 bulk string such as ``b"1.5"``."""
    if isinstance(reply, float):
        return reply
    if isinstance(reply, int):
        return float(reply)
    raw = reply.encode() if isinstance(reply, str) else bytes(reply)
    special = _INFINITIES.get(raw.lower())
    return special if special is not None else float(raw)


def parse_optional_double(reply: Any) -> float | None:
    """Return a double reply, or None for nil."""
    return None if reply is None else parse_double(reply)


def parse_double_list(reply: Any) -> list[float]:
    """Return a list of double replies."""
    return [parse_double(item) for item in reply]


def parse_optional_double_list(reply: Any) -> list[float | None]:
    """Return a list of double-or-nil replies."""
    return [parse_optional_double(item) for item in reply]


def parse_set(reply: Any) -> set[Any]:
    """Return a set reply: a RESP3 set, or a RESP2 array."""
    return reply if isinstance(reply, set) else set(reply)


def parse_map(reply: Any) -> dict[Any, Any]:
    """Return a map reply: a RESP3 map, or a RESP2 flat array of alternating keys and values."""
    if isinstance(reply, dict):
        return reply
    it = iter(reply)
    return dict(zip(it, it, strict=True))


def parse_scored_list(reply: Any) -> list[tuple[Any, float]]:
    """Return members with scores: RESP3 pairs, or a RESP2 flat member/score array."""
    if reply and isinstance(reply[0], list):
        return [(member, parse_double(score)) for member, score in reply]
    it = iter(reply)
    return [(member, parse_double(score)) for member, score in zip(it, it, strict=True)]


def parse_optional_pair(reply: Any) -> tuple[Any, Any] | None:
    """Return a two-element array as a tuple, or None for nil."""
    return None if reply is None else (reply[0], reply[1])


def parse_optional_scored(reply: Any) -> tuple[Any, float] | None:
    """Return a member/score pair, or None for nil."""
    return None if reply is None else (reply[0], parse_double(reply[1]))


def parse_optional_keyed_scored(reply: Any) -> tuple[Any, Any, float] | None:
    """Return a key/member/score triple, or None for nil."""
    return None if reply is None else (reply[0], reply[1], parse_double(reply[2]))


def parse_scan(reply: Any) -> tuple[int, list[Any]]:
    """Return a SCAN-style reply as (next cursor, items)."""
    return int(reply[0]), list(reply[1])


def parse_hscan(reply: Any) -> tuple[int, dict[Any, Any]]:
    """Return an HSCAN reply as (next cursor, field -> value)."""
    return int(reply[0]), parse_map(reply[1])


def parse_zscan(reply: Any) -> tuple[int, list[tuple[Any, float]]]:
    """Return a ZSCAN reply as (next cursor, members with scores)."""
    return int(reply[0]), parse_scored_list(reply[1])


def parse_optional_pop(reply: Any) -> tuple[Any, list[Any]] | None:
    """Return an LMPOP-style reply as (key, elements), or None for nil."""
    return None if reply is None else (reply[0], list(reply[1]))


def parse_optional_zpop(reply: Any) -> tuple[Any, list[tuple[Any, float]]] | None:
    """Return a ZMPOP-style reply as (key, members with scores), or None for nil."""
    return None if reply is None else (reply[0], parse_scored_list(reply[1]))


def parse_geopos(reply: Any) -> list[tuple[float, float] | None]:
    """Return GEOPOS positions as (longitude, latitude) pairs, None for missing members."""
    return [
        None if item is None else (parse_double(item[0]), parse_double(item[1])) for item in reply
    ]
