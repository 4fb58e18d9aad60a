"""Metadata for commands given as raw argument lists, and the facts read from their arguments.

Rules this module keeps:

- Every fact comes from the generated metadata table; nothing here lists commands by hand.
- A raw command gets the ``CommandMeta`` of its full name (``"CLIENT LIST"`` before
  ``"CLIENT"``). A command the table does not know (a module loaded at run time, a newer
  server) gets a synthetic meta, cached per name: no flags, so it is treated as a write that
  does not block (never retried once sent, always on the shared connection).
- ``command_meta`` refuses the commands the runtime owns (SELECT, MULTI, SUBSCRIBE …) with the
  API to use instead; ``lookup_meta`` does not, for the runtime's own use of them.
- Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from redis_oxide._command import ArgT, CommandFlag, CommandMeta
from redis_oxide._exceptions import InvalidUsageError
from redis_oxide._generated._meta import COMMANDS, RUNTIME_OWNED

__all__ = ["block_option", "blocks_with", "command_meta", "lookup_meta"]

# Unknown names seen so far; bounded so a stream of made-up names cannot grow it forever.
_SYNTHETIC: dict[str, CommandMeta] = {}
_SYNTHETIC_LIMIT: Final = 1024


def _token(arg: ArgT) -> str:
    if isinstance(arg, str):
        return arg.upper()
    if isinstance(arg, bytes | memoryview):
        return bytes(arg).decode("latin-1").upper()
    return str(arg)


def _full_name(args: Sequence[ArgT]) -> str:
    if not args:
        raise TypeError("a command needs at least its name")
    name = _token(args[0])
    if len(args) > 1:
        pair = f"{name} {_token(args[1])}"
        if pair in COMMANDS or pair in RUNTIME_OWNED:
            return pair
    return name


def lookup_meta(args: Sequence[ArgT]) -> CommandMeta:
    """Return the metadata of a raw command, synthetic when the table does not know it.

    Args:
        args: The raw command, name first.

    Returns:
        The command's metadata.

    Raises:
        TypeError: ``args`` is empty.
    """
    name = _full_name(args)
    meta = COMMANDS.get(name)
    if meta is not None:
        return meta
    meta = _SYNTHETIC.get(name)
    if meta is None:
        meta = CommandMeta(
            name=name,
            token_count=name.count(" ") + 1,
            arity=0,
            flags=CommandFlag.NONE,
            group="unknown",
            since="",
        )
        if len(_SYNTHETIC) < _SYNTHETIC_LIMIT:
            _SYNTHETIC[name] = meta
    return meta


def command_meta(args: Sequence[ArgT]) -> CommandMeta:
    """Return the metadata of a raw command a user sends; refuse runtime-owned commands.

    Args:
        args: The raw command, name first.

    Returns:
        The command's metadata (synthetic for a command the table does not know).

    Raises:
        TypeError: ``args`` is empty.
        InvalidUsageError: The command changes connection state and must not run as a
            plain call; the message says what to use instead.
    """
    name = _full_name(args)
    instead = RUNTIME_OWNED.get(name)
    if instead is not None:
        raise InvalidUsageError(
            f"{name} changes the state of the connection it runs on and cannot be sent as "
            f"a plain call: {instead}",
            command=name,
        )
    return lookup_meta(args)


def blocks_with(meta: CommandMeta, args: Sequence[ArgT]) -> bool:
    """Whether a command flagged blocking really blocks with these arguments.

    XREAD and XREADGROUP carry the blocking flag but only block with a BLOCK option (which
    comes before STREAMS); without it they are ordinary reads and stay on shared
    connections.

    Args:
        meta: The command's metadata.
        args: Its wire arguments.

    Returns:
        True when the command may hold its connection.
    """
    if not meta.is_blocking:
        return False
    if meta.name != "XREAD" and meta.name != "XREADGROUP":
        return True
    return block_option(args) is not None


def block_option(args: Sequence[ArgT]) -> int | None:
    """The index of XREAD/XREADGROUP's BLOCK token (options come before STREAMS), or None.

    Args:
        args: The command's wire arguments.

    Returns:
        The index of ``BLOCK``; its value follows it.
    """
    for index, arg in enumerate(args[1:], 1):
        if isinstance(arg, bytes | str):
            token = arg.upper() if isinstance(arg, str) else arg.decode("latin-1").upper()
            if token == "BLOCK":
                return index
            if token == "STREAMS":
                return None
    return None
