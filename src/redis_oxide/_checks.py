"""Checks of option values, shared by every layer: each raises before anything is sent.

Rules: a wrong type is a ``TypeError``, a value out of range a ``ValueError``; ``bool`` is
never a number here (``True`` is not one second); messages name the option and the value.
"""

from __future__ import annotations

import math

from redis_oxide._retry import Retry

__all__ = [
    "check_credential_provider",
    "checked_client_name",
    "checked_count",
    "checked_host",
    "checked_port",
    "checked_retry",
    "checked_seconds",
]


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


def checked_port(value: object) -> int:
    """Return a TCP port (1 to 65535), or raise ``TypeError``/``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"port must be an int, not {type(value).__name__}")
    if not 1 <= value <= 65535:
        raise ValueError(f"port must be between 1 and 65535, not {value}")
    return value


def checked_host(value: object) -> str:
    """Return a host name or address (non-empty, no whitespace), or raise."""
    if not isinstance(value, str):
        raise TypeError(f"host must be a str (a host name or address), not {type(value).__name__}")
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"host must be a host name or address without spaces, not {value!r}")
    return value


def checked_client_name(value: object) -> str | None:
    """Return a connection name the server accepts (None: no name), or raise.

    ``CLIENT SETNAME`` refuses spaces, newlines and anything outside ``'!'`` to ``'~'``; a
    name refused there would make every connect fail.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"client_name must be a str (or None), not {type(value).__name__}")
    if not all("!" <= c <= "~" for c in value):
        raise ValueError(
            f"client_name {value!r} has characters the server refuses: use printable ASCII "
            "without spaces or newlines ('!' to '~'), e.g. 'billing-worker-1'"
        )
    return value


def checked_retry(name: str, value: object) -> Retry:
    """Return a ``Retry``, or raise ``TypeError`` saying what to pass instead."""
    if not isinstance(value, Retry):
        given = "None" if value is None else type(value).__name__
        raise TypeError(
            f"{name} must be a Retry, not {given}: pass Retry(attempts=1) for no retries, "
            "or leave it out for the default Retry()"
        )
    return value


def check_credential_provider(
    provider: object, username: object, password: object, prefix: str = ""
) -> None:
    """Refuse a credential provider that cannot be called or comes with a username or password.

    It replaces both; None passes. ``prefix`` names the options (``"sentinel_"``).
    """
    if provider is None:
        return
    if not callable(provider):
        given = type(provider).__name__
        raise TypeError(f"{prefix}credential_provider must be callable, not {given}")
    if username is not None or password is not None:
        raise ValueError(
            f"{prefix}credential_provider replaces {prefix}username and {prefix}password: "
            "give one or the other"
        )
