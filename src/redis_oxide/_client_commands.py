"""What the client needs to know about a raw command: its full name, and whether it is
read-only, may block, has a binary reply, or is owned by the runtime.

Every fact comes from the generated metadata table; nothing here lists commands by hand.
A command the table does not know (a module loaded at run time, a newer server) is treated
as a write that does not block: never retried once sent, always on the shared connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from redis_oxide._command import ArgT
from redis_oxide._exceptions import InvalidUsageError
from redis_oxide._generated._meta import COMMANDS, RUNTIME_OWNED

__all__ = ["RawCommand", "command_info"]


class RawCommand(NamedTuple):
    """How the runtime treats one raw command."""

    #: Upper case, with the subcommand for container commands (``"CLIENT LIST"``).
    name: str
    readonly: bool
    blocking: bool
    #: The reply is binary data (DUMP): read undecoded on a decoding client.
    binary: bool


def _token(arg: ArgT) -> str:
    if isinstance(arg, str):
        return arg.upper()
    if isinstance(arg, bytes | memoryview):
        return bytes(arg).decode("latin-1").upper()
    return str(arg)


def command_info(args: Sequence[ArgT]) -> RawCommand:
    """Name a raw command and classify it.

    Args:
        args: The raw command, name first.

    Returns:
        The command's full name and flags.

    Raises:
        InvalidUsageError: The command changes connection state and must not run as a
            plain call; the message says what to use instead.
    """
    name = _token(args[0])
    if len(args) > 1:
        pair = f"{name} {_token(args[1])}"
        if pair in COMMANDS or pair in RUNTIME_OWNED:
            name = pair
    instead = RUNTIME_OWNED.get(name)
    if instead is not None:
        raise InvalidUsageError(
            f"{name} changes the state of the connection it runs on and cannot be sent as "
            f"a plain call: {instead}",
            command=name,
        )
    meta = COMMANDS.get(name)
    if meta is None:
        return RawCommand(name, False, False, False)
    return RawCommand(name, meta.is_readonly, meta.is_blocking, meta.binary_reply)
