"""Where a connection's replies go: batch collectors, the undecoded marker, text decoding.

Rules this module keeps:

- A batch (pipelines) holds one FIFO entry per command but one future for the whole batch.
  Server and parser errors are slot values; the errors a connection raises about itself
  (lost, closed, timed out) fail the batch as a whole, once.
- A pending entry whose parser is an ``Undecoded`` is read with ``next_reply(False)``: its
  text stays ``bytes`` on a decoding connection (DUMP payloads are not text). The marker is
  itself a valid parser, so a reader that does not look for it still gets a correct value,
  only decoded.
- The errors a caller gets instead of a reply are built here, each with the command name
  and the address, chained ``from`` the cause.
- ``decode_text`` turns a reply read undecoded into what the decoder would have returned
  with its encoding; it is used for push frames read while a binary reply was expected and
  for the slots of an undecoded EXEC reply that are not binary.
- A pending ``Entry`` carries a ``LostHook`` and the wire arguments only for the failure
  path: ``offer_lost`` hands a lost command to its hook (the client re-runs retryable
  commands so) and a failing hook never keeps the other callers from their errors.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol, cast

from redis_oxide._command import ArgT
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ConnectionClosedError,
    ConnectionLostError,
    RedisError,
)
from redis_oxide._protocol import PushMessage

__all__ = [
    "BatchReplies",
    "BatchTail",
    "Entry",
    "LostHook",
    "ReplySink",
    "Undecoded",
    "decode_text",
    "future_factory",
    "offer_lost",
    "refusal_error",
    "unanswered_error",
]

logger = logging.getLogger("redis_oxide.connection")

_CONNECTION_FAILURES: Final = (ConnectionLostError, ConnectionClosedError, CommandTimeoutError)


class ReplySink(Protocol):
    """Where one reply goes: a future, or the shared collector of a batch."""

    def done(self) -> bool: ...
    def set_result(self, result: Any, /) -> None: ...
    def set_exception(self, exception: BaseException, /) -> None: ...


class LostHook(Protocol):
    """Offered a command whose connection was lost before its reply arrived.

    Returns True when it took the future over (it will resolve it, e.g. by re-running the
    command on another connection); False leaves the error to the connection.
    """

    def __call__(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        name: str,
        binary: bool,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool: ...


# One pending entry: (future or batch sink, parser or None, command name, absolute deadline or
# None, lost hook or None, wire arguments or None). A plain tuple is the cheapest record
# CPython can build on the hot path; the last two only matter when the connection is lost.
Entry = tuple[
    ReplySink,
    Callable[[Any], Any] | None,
    str,
    float | None,
    LostHook | None,
    Sequence[ArgT] | None,
]


def future_factory(loop: asyncio.AbstractEventLoop) -> Callable[[], asyncio.Future[Any]]:
    """Return the cheapest way to make a future bound to ``loop``.

    asyncio's ``create_future`` is a Python method around the C ``Future``; calling the
    class through a ``functools.partial`` skips that frame (one per command). Other loops
    (uvloop) keep their own ``create_future``, already C.

    Args:
        loop: The loop the futures belong to.

    Returns:
        A no-argument callable returning a new future.
    """
    if type(loop).create_future is asyncio.BaseEventLoop.create_future:
        return functools.partial(asyncio.Future, loop=loop)
    return loop.create_future


class BatchReplies:
    """Stands in for a future in the FIFO for every command of a batch but the last.

    Replies arrive in order, so appending is enough to put each in its slot; ``done`` and
    ``set_result`` are the C methods of the batch's future and list, so a reply costs no
    Python call.
    """

    __slots__ = ("_future", "_replies", "done", "set_result")

    def __init__(self, future: asyncio.Future[list[Any]], replies: list[Any]) -> None:
        self._future = future
        self._replies = replies
        self.done = future.done
        self.set_result = replies.append

    def set_exception(self, exception: BaseException, /) -> None:
        if isinstance(exception, _CONNECTION_FAILURES):
            self._future.set_exception(exception)
        else:
            self._replies.append(exception)


class BatchTail:
    """The FIFO stand-in for the last command of a batch: its reply resolves the batch."""

    __slots__ = ("_future", "_replies", "done")

    def __init__(self, future: asyncio.Future[list[Any]], replies: list[Any]) -> None:
        self._future = future
        self._replies = replies
        self.done = future.done

    def set_result(self, result: Any, /) -> None:
        self._replies.append(result)
        self._future.set_result(self._replies)

    def set_exception(self, exception: BaseException, /) -> None:
        if isinstance(exception, _CONNECTION_FAILURES):
            self._future.set_exception(exception)
        else:
            self.set_result(exception)


class Undecoded:
    """Marks a pending entry whose reply must be read without text decoding.

    Args:
        parser: The command's own parser, applied to the undecoded reply; None keeps it.
    """

    __slots__ = ("parser",)

    def __init__(self, parser: Callable[[Any], Any] | None) -> None:
        self.parser = parser

    def __call__(self, reply: Any) -> Any:
        parser = self.parser
        return reply if parser is None else parser(reply)


def decode_text(value: Any, encoding: str, errors: str) -> Any:
    """Decode every ``bytes`` inside a reply that was read undecoded.

    Args:
        value: The reply, as ``next_reply(False)`` returned it.
        encoding: The codec the connection's decoder uses.
        errors: The codec error handler.

    Returns:
        The reply as the decoder would have returned it with ``encoding``; a push frame
        stays a ``PushMessage``.

    Raises:
        UnicodeDecodeError: Text did not decode under ``errors="strict"``.
    """
    kind = type(value)
    if kind is bytes:
        return value.decode(encoding, errors)
    if kind is list or kind is PushMessage:
        items = [decode_text(item, encoding, errors) for item in value]
        return items if kind is list else PushMessage(items)
    if kind is dict:
        return {
            decode_text(key, encoding, errors): decode_text(item, encoding, errors)
            for key, item in value.items()
        }
    return value


def refusal_error(address: str, state: str) -> RedisError:
    """Return the error for a command offered to a connection that no longer takes any.

    Args:
        address: The connection's server address.
        state: How the connection is, for the message (``"closing"``, ``"broken (...)"``).

    Returns:
        A ``ConnectionClosedError`` carrying ``address``.
    """
    err = ConnectionClosedError(f"connection to {address} is {state}; it refuses new commands")
    err.address = address
    return err


def unanswered_error(
    name: str,
    address: str,
    may_have_executed: bool,
    cause: BaseException | None,
    *,
    on_purpose: bool,
) -> RedisError:
    """Return the error for a command whose reply will never come.

    Args:
        name: The command name.
        address: The connection's server address.
        may_have_executed: Whether the command's bytes had been written.
        cause: Why the connection ended; None when it was closed on purpose.
        on_purpose: The connection was closed by ``aclose``/``abort``, not lost.

    Returns:
        ``ConnectionClosedError`` for a deliberate close, else ``ConnectionLostError``.
    """
    if on_purpose:
        err: RedisError = ConnectionClosedError(
            f"{name} was not answered: the connection to {address} was closed"
        )
    else:
        err = ConnectionLostError(
            f"{name} was not answered: connection to {address} lost ({cause!r})",
            may_have_executed=may_have_executed,
        )
        err.__cause__ = cause
    err.command = name
    err.address = address
    return err


def offer_lost(
    on_lost: LostHook,
    fut: ReplySink,
    args: Sequence[ArgT],
    parser: Callable[[Any], Any] | None,
    name: str,
    deadline: float | None,
    err: RedisError,
) -> bool:
    """Offer a command whose reply will never come to its ``LostHook``.

    Args:
        on_lost: The hook the command was sent with.
        fut: The command's future.
        args: Its wire arguments.
        parser: Its parser, possibly wrapped in ``Undecoded`` (unwrapped for the hook).
        name: The command name.
        deadline: Its absolute deadline on the loop's clock, or None.
        err: The error the caller gets unless the hook takes the future over.

    Returns:
        True when the hook took the future over.
    """
    binary = type(parser) is Undecoded
    if binary:
        parser = cast(Undecoded, parser).parser
    try:
        return on_lost(cast("asyncio.Future[Any]", fut), args, parser, name, binary, deadline, err)
    except Exception:  # a faulty hook must not keep the other callers from their errors
        logger.exception("lost-command hook failed for %s", name)
        return False
