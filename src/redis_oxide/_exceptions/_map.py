"""Translating foreign exceptions (``OSError``, ``ssl.SSLError``, timeouts) at a layer boundary.

Nothing here imports asyncio, socket or ssl: foreign exceptions are matched by their builtin
base classes.
"""

from __future__ import annotations

from types import TracebackType

from redis_oxide._exceptions._base import RedisError

__all__ = [
    "map_exceptions",
]

# --- translating foreign exceptions ----------------------------------------------------------


# Lower-case because it reads like a function at the call site: ``with map_exceptions(...)``.
class map_exceptions:
    """Context manager translating foreign exceptions into redis-oxide ones.

    The most specific mapped class in the raised exception's MRO wins, so
    ``map_exceptions((OSError, ConnectionLostError), (TimeoutError, CommandTimeoutError))``
    maps a builtin timeout (an ``OSError`` too) to the timeout error whatever the order of
    the pairs. The original exception is
    chained as ``__cause__``. redis-oxide's own errors and ``BaseException``\\ s that are not
    ``Exception`` (cancellation) pass through untouched.

    Args:
        *pairs: ``(foreign exception class, redis-oxide class)`` pairs.
        command: Command name to record on the new error.
        address: Node address to record on the new error.

    Raises:
        RedisError: The translated exception, on leaving the block.
    """

    __slots__ = ("_address", "_command", "_mapping")

    def __init__(
        self,
        *pairs: tuple[type[Exception], type[RedisError]],
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        self._mapping: dict[type, type[RedisError]] = dict(pairs)
        self._command = command
        self._address = address

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None or not issubclass(exc_type, Exception):
            return
        if issubclass(exc_type, RedisError):
            return
        for base in exc_type.__mro__:
            if base in self._mapping:
                target = self._mapping[base]
                message = str(exc) or exc_type.__name__
                raise target(message, command=self._command, address=self._address) from exc
