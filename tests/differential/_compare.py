"""Compare a redis-oxide value with redis-py's after normalising container shapes only.

Rules (the whole normaliser; anything not listed here is a difference):

- ``tuple`` and ``list`` are the same container: compared item by item, in order.
- A ``set`` (or ``frozenset``) equals a set, list or tuple holding the same items in any order.
- A ``dict`` equals a list or tuple of ``(key, value)`` pairs with the same items, in any order.
- ``True``/``False`` equal the integers ``1``/``0``: Redis's integer replies that mean yes/no
  are spelled either way.
- Every other value is compared by type and value: ``1.0`` is not ``1``, ``b"1"`` is not
  ``"1"`` and ``"1.5"`` is not ``1.5``. Values are never converted.

``shape=True`` compares types only (for replies that differ between two calls by nature:
clocks, ids, counters); containers still must be of matching kinds, dict keys must match,
and every item of one sequence must have the shape of some item of the other.
"""

from __future__ import annotations

from typing import Any

__all__ = ["difference"]

_SEQUENCES = (list, tuple)
_SETS = (set, frozenset)


def _scalar(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _is_pairs(value: Any) -> bool:
    return isinstance(value, _SEQUENCES) and all(
        isinstance(item, _SEQUENCES) and len(item) == 2 for item in value
    )


def _key(value: Any) -> str:
    """An order for items of unordered containers: the repr of their type and value."""
    return f"{type(_scalar(value)).__name__}:{value!r}"


def _unordered(a: Any, b: Any, shape: bool, path: str) -> str | None:
    left, right = list(a), list(b)
    if shape:
        return _sequences(left, right, shape, path)
    if len(left) != len(right):
        return f"{path}: {len(left)} items against {len(right)}"
    for x, y in zip(sorted(left, key=_key), sorted(right, key=_key), strict=True):
        found = difference(x, y, shape, path + "[*]")
        if found is not None:
            return found
    return None


def _sequences(a: Any, b: Any, shape: bool, path: str) -> str | None:
    if shape:
        for i, x in enumerate(a):
            if b and all(difference(x, y, shape) is not None for y in b):
                return f"{path}[{i}]: {x!r} has the shape of no item of {b!r}"
        return None
    if len(a) != len(b):
        return f"{path}: {len(a)} items against {len(b)}"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        found = difference(x, y, shape, f"{path}[{i}]")
        if found is not None:
            return found
    return None


def _dicts(a: dict[Any, Any], b: dict[Any, Any], shape: bool, path: str) -> str | None:
    left = {_key(k): (k, v) for k, v in a.items()}
    right = {_key(k): (k, v) for k, v in b.items()}
    if left.keys() != right.keys():
        only_a = sorted(left.keys() - right.keys())
        only_b = sorted(right.keys() - left.keys())
        return f"{path}: keys only in redis-oxide {only_a}, only in redis-py {only_b}"
    for key, (k, v) in left.items():
        found = difference(v, right[key][1], shape, f"{path}[{k!r}]")
        if found is not None:
            return found
    return None


def difference(oxide: Any, py: Any, shape: bool = False, path: str = "") -> str | None:
    """Say where ``oxide`` and ``py`` differ beyond container shapes, or None when they agree.

    Args:
        oxide: redis-oxide's value (after any documented adapter).
        py: redis-py's value (after any documented adapter).
        shape: Compare types only, for replies that vary between calls.
        path: Where in the enclosing value this pair sits, for the message.

    Returns:
        None, or the path of the first difference and what differs there.
    """
    where = path or "value"
    if isinstance(oxide, dict) and isinstance(py, dict):
        return _dicts(oxide, py, shape, where)
    if isinstance(oxide, dict) and _is_pairs(py):
        return _dicts(oxide, dict(py), shape, where)
    if isinstance(py, dict) and _is_pairs(oxide):
        return _dicts(dict(oxide), py, shape, where)
    if isinstance(oxide, _SETS) and isinstance(py, _SETS + _SEQUENCES):
        return _unordered(oxide, py, shape, where)
    if isinstance(py, _SETS) and isinstance(oxide, _SEQUENCES):
        return _unordered(oxide, py, shape, where)
    if isinstance(oxide, _SEQUENCES) and isinstance(py, _SEQUENCES):
        return _sequences(oxide, py, shape, where)
    a, b = _scalar(oxide), _scalar(py)
    if isinstance(a, dict | set | frozenset | list | tuple) or isinstance(
        b, dict | set | frozenset | list | tuple
    ):
        return f"{where}: {oxide!r} against {py!r}"
    if type(a) is not type(b) or (not shape and a != b):
        return f"{where}: {oxide!r} against {py!r}"
    return None
