"""The errors a caller gets from a connection instead of a reply.

Rules this module keeps:

- Each error carries the address and, when a command is known, its name.
- ``ConnectionClosedError`` means the connection was closed on purpose (``aclose``/``abort``,
  a closed client); a connection that broke (lost, or given up because its server no longer
  serves as asked) gives ``ConnectionLostError`` chained ``from`` what broke it.
- ``may_have_executed`` is True only for a command whose bytes were written; a command a
  connection refused was never sent.
- An end of stream (the peer closed the connection in order: CLIENT KILL, a shutdown, a
  proxy) is recorded as ``ConnectionClosedByPeer``, a ``ConnectionResetError`` of its own, so
  ``except ConnectionResetError`` still catches it and ``isinstance`` tells it from a reset
  read from the socket. Messages say which of the two ended the connection.
"""

from __future__ import annotations

from typing import Final

from redis_oxide._exceptions import (
    ConnectionClosedByPeer,
    ConnectionClosedError,
    ConnectionLostError,
    ProtocolError,
    RedisError,
)

__all__ = ["END_OF_STREAM", "ConnectionClosedByPeer", "ending", "refusal_error", "unanswered_error"]

#: The text of the ``ConnectionClosedByPeer`` a connection records for an end of stream.
END_OF_STREAM: Final = "end of stream: the server, or a proxy in between, closed the connection"


def ending(address: str, cause: BaseException | None) -> str:
    """Say how the connection to ``address`` ended, for messages.

    Args:
        address: The connection's server address.
        cause: What the connection recorded as its end.

    Returns:
        A clause telling an end of stream from a reset, from a stream that could not be
        read, and from any other failure.
    """
    if isinstance(cause, ConnectionClosedByPeer):
        return (
            f"the server or the network closed the connection to {address} (end of stream: "
            "CLIENT KILL, a server shutdown, restart or idle timeout, or a proxy closing it)"
        )
    if isinstance(cause, ConnectionResetError):
        return f"the server or the network reset the connection to {address} ({cause})"
    if isinstance(cause, ProtocolError):
        return f"what {address} sent could not be read, so the connection was closed ({cause})"
    return f"connection to {address} lost ({cause!r})"


def refusal_error(address: str, state: str, cause: BaseException | None = None) -> RedisError:
    """Return the error for a command offered to a connection that no longer takes any.

    Args:
        address: The connection's server address.
        state: How the connection is, for the message (``"closing"``, ``"broken (...)"``).
        cause: What broke the connection; None when it was closed on purpose.

    Returns:
        A ``ConnectionLostError`` chained from ``cause`` when the connection broke, else a
        ``ConnectionClosedError``; either carries ``address`` and ``may_have_executed=False``
        (nothing was sent).
    """
    message = f"connection to {address} is {state}; it refuses new commands"
    if cause is None:
        err: RedisError = ConnectionClosedError(message, may_have_executed=False)
    else:
        err = ConnectionLostError(
            f"{message} (nothing was sent: run it again on a new connection)",
            may_have_executed=False,
        )
        err.__cause__ = cause
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
        ``ConnectionClosedError`` for a deliberate close, else ``ConnectionLostError``; both
        carry ``may_have_executed``.
    """
    if on_purpose:
        outcome = "it may have run" if may_have_executed else "it was not sent"
        err: RedisError = ConnectionClosedError(
            f"{name} was not answered: the connection to {address} was closed ({outcome})",
            may_have_executed=may_have_executed,
        )
    else:
        err = ConnectionLostError(
            f"{name} was not answered: {ending(address, cause)}",
            may_have_executed=may_have_executed,
        )
        err.__cause__ = cause
    err.command = name
    err.address = address
    return err
