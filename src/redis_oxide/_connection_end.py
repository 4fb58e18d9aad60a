"""How a connection ends when it cannot close the usual way.

Rules this module keeps:

- ``hang_up`` shuts the socket down at once, ahead of an ``abort()`` (which closes it only on
  the loop's next turn), so the server sees the end before the caller gets control back.
- A connection serves the event loop it was opened on. Once that loop is closed (the client
  outlived its ``asyncio.run()``), a command is refused before anything is queued or written
  (``wrong_loop_error``), and closing the connection only hangs up: nothing can run on the
  dead loop any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket

from redis_oxide._exceptions import InvalidUsageError

__all__ = ["hang_up", "wrong_loop_error"]


def hang_up(transport: asyncio.BaseTransport) -> None:
    """Shut the transport's socket down now, ahead of an ``abort()``.

    The transport only closes its socket on the loop's next turn; the server must see the end
    at once. A blocking command cancelled by the abort (BLPOP) would otherwise still take an
    element pushed right after its caller got control back, into a dead connection.
    """
    sock = transport.get_extra_info("socket")
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return
    # Through a duplicate of the descriptor: uvloop's transport sockets refuse shutdown().
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as duplicate:
        duplicate.shutdown(socket.SHUT_RDWR)


def wrong_loop_error(address: str, command: str | None) -> InvalidUsageError:
    """Return the error for a command issued after the connection's event loop was closed.

    Args:
        address: The connection's server address.
        command: The command refused, when known.

    Returns:
        An ``InvalidUsageError`` carrying ``address`` and ``command``; nothing was sent.
    """
    return InvalidUsageError(
        f"{command or 'a command'} was not sent: the client's connection to {address} belongs "
        "to the event loop it was opened on, which is closed (the client outlived its "
        "asyncio.run() or test). A client serves one event loop: make one per loop and "
        "aclose() it before that loop ends",
        command=command,
        address=address,
    )
