"""Checks of option values, shared by every layer: each raises before anything is sent.

Rules: a wrong type is a ``TypeError``, a value out of range a ``ValueError``; ``bool`` is
never a number here (``True`` is not one second); messages name the option and the value.
"""

from __future__ import annotations

import math

__all__ = ["checked_count", "checked_seconds"]


def checked_seconds(
    name: str, value: object, *, zero: bool = False, finite: bool = False, none: bool = True
) -> float | None:
    """Return a number of seconds (None stays None where allowed: no limit), or raise.

    Args:
        name: The option, for the message.
        value: What was given.
        zero: Allow 0 (otherwise the value must be above it).
        finite: Refuse infinity (a value that becomes milliseconds on the wire).
        none: Allow None.

    Raises:
        TypeError: It is not a number (or None where not allowed).
        ValueError: It is out of range, or NaN.
    """
    if value is None and none:
        return None
    or_none = " (or None)" if none else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds{or_none}, not {type(value).__name__}")
    in_range = value >= 0 if zero else value > 0
    if math.isnan(value) or not in_range or (finite and math.isinf(value)):
        bound = "0 or more" if zero else "more than 0"
        also = " and finite" if finite else ""
        raise ValueError(f"{name} must be {bound} seconds{also}{or_none}, not {value!r}")
    return value


def checked_count(name: str, value: object, least: int) -> int:
    """Return an integer option of at least ``least``, or raise ``TypeError``/``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")
    return value
