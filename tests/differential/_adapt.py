"""Building blocks of the documented per-command adapters (``differences.py``).

Rules: an adapter maps one client's value, for one documented difference, to the form the
other client's value takes, so that everything else in the reply is still compared. Each
function here is one such mapping, named for what it does; none of them is applied unless a
difference in ``differences.py`` names it. ``plain`` is the one for reply models: it is how a
redis-oxide model (fields, snake_case) and a redis-py dict (the server's keys) meet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel

# The models' own key-to-field rule; applied to both sides alike, it cannot hide a value.
from redis_oxide._replies import snake

__all__ = [
    "decoded",
    "float_or_none",
    "grouped",
    "is_ok",
    "model",
    "plain",
    "timestamp",
    "text",
]


def text(value: Any) -> Any:
    """Return ``value`` with ``bytes`` decoded as UTF-8 and every other scalar unchanged."""
    return value.decode() if isinstance(value, bytes) else value


def decoded(value: Any) -> Any:
    """``text`` applied through lists, tuples, sets and dicts (keys and values)."""
    if isinstance(value, Mapping):
        return {decoded(k): decoded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decoded(item) for item in value]
    if isinstance(value, set | frozenset):
        return {decoded(item) for item in value}
    return text(value)


def model(value: Any) -> Any:
    """A reply model as a dict of its fields (undeclared ones too), through containers."""
    if isinstance(value, BaseModel):
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        fields.update(value.model_extra or {})
        return {name: model(item) for name, item in fields.items()}
    if isinstance(value, Mapping):
        return {k: model(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [model(item) for item in value]
    return value


def plain(value: Any, *, drop_none: bool = True) -> Any:
    """Models as dicts, dict keys as snake_case text, text decoded; fields that are None left out.

    The meeting form of a reply model and the dict redis-py builds from the same reply. Text
    is decoded on both sides because a model holds server vocabulary (names, flags, states)
    as ``str`` on every client; the conformance suite checks each field's type, and this
    comparison checks the values. ``None`` fields are dropped because a model declares every
    field a server version may send, while redis-py's dict has only the keys this server sent.
    """
    value = model(value)
    if isinstance(value, Mapping):
        return {
            snake(k): plain(v, drop_none=drop_none)
            for k, v in value.items()
            if not (drop_none and v is None)
        }
    if isinstance(value, list | tuple):
        return [plain(item, drop_none=drop_none) for item in value]
    if isinstance(value, set | frozenset):
        return {plain(item, drop_none=drop_none) for item in value}
    return text(value)


def grouped(flat: Any, convert: Callable[[Any], Any] = lambda value: value) -> list[Any]:
    """``[m1, s1, m2, s2]`` as ``[(m1, convert(s1)), (m2, convert(s2))]``."""
    items = list(flat)
    return [(items[i], convert(items[i + 1])) for i in range(0, len(items), 2)]


def is_ok(value: Any) -> Any:
    """The ``OK`` status as ``True``; anything else unchanged."""
    return True if text(value) == "OK" else value


def float_or_none(value: Any) -> float | None:
    """A score or distance sent as text, as the float it spells."""
    return None if value is None else float(text(value))


def timestamp(value: datetime) -> int:
    """A ``datetime`` redis-py made from UNIX seconds, as those seconds."""
    return int(value.timestamp())
