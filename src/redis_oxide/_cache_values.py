"""Which reply values a cache may keep, what they weigh, and how a hit copies them.

Rules this module keeps:

- ``bytes``, ``str``, numbers and ``None`` are shared: nothing in them can change.
- Lists, tuples, sets, frozensets and dicts of such values (nested or not) are kept; a hit
  gets a copy of each mutable container (one C ``copy`` call when flat, a walk when nested).
- Any other type (a reply model, a custom object) is not kept: the cache cannot tell whether
  a caller could change it.
- Sizes are ``sys.getsizeof`` summed over the value: an approximation of the memory an entry
  pins, enough to bound it.
- Keys are indexed by their wire bytes (``key_bytes``), which the server's invalidations name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from redis_oxide._command import ArgT

__all__ = ["Copier", "examine", "key_bytes"]

#: Makes the copy of a cached value that a hit hands out; None for immutable values.
Copier: TypeAlias = Callable[[Any], Any] | None

_SCALARS: Final = frozenset({bytes, str, int, float, bool, type(None)})
_getsizeof = sys.getsizeof


def examine(value: Any) -> tuple[int, Copier] | None:
    """Return (size, copier) for a value the cache may keep, or None for one it must not."""
    kind: type[object] = value.__class__
    if kind in _SCALARS:
        return _getsizeof(value), None
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        size = _getsizeof(value)
        deep = False
        for item in value:
            found = examine(item)
            if found is None:
                return None
            size += found[0]
            deep = deep or found[1] is not None
        if deep:
            return size, _deep_copy
        return size, _FLAT_COPIES[kind]
    if kind is dict:
        size = _getsizeof(value)
        deep = False
        for key, item in value.items():
            found = examine(item)
            if type(key) not in _SCALARS or found is None:
                return None
            size += _getsizeof(key) + found[0]
            deep = deep or found[1] is not None
        return size, _deep_copy if deep else _COPY_DICT
    return None


# The C methods that copy a flat container.
_COPY_DICT: Final[Copier] = dict[Any, Any].copy
_FLAT_COPIES: Final[dict[type[object], Copier]] = {
    list: list[Any].copy,
    set: set[Any].copy,
    tuple: None,
    frozenset: None,
}


def _deep_copy(value: Any) -> Any:
    """Copy the mutable containers of a nested value; strings and numbers are shared."""
    kind: type[object] = value.__class__
    if kind is list:
        return [_deep_copy(item) for item in value]
    if kind is dict:
        return {key: _deep_copy(item) for key, item in value.items()}
    if kind is tuple:
        return tuple(_deep_copy(item) for item in value)
    if kind is set:
        return set(value)
    return value


def key_bytes(key: ArgT) -> bytes:
    """Return a key as the wire carries it: ``str`` as UTF-8, numbers as their text.

    Raises:
        TypeError: ``key`` is a ``bool`` (the encoder refuses it too).
    """
    if isinstance(key, str):
        return str.encode(key)
    if isinstance(key, bytes):
        return key if type(key) is bytes else bytes(key)
    if isinstance(key, memoryview):
        return key.tobytes()
    if isinstance(key, bool):
        raise TypeError("a key cannot be a bool")
    if isinstance(key, int):
        return int.__repr__(key).encode()
    return float.__repr__(key).encode()
