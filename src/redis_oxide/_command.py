"""The seam between the generated command surface and the runtime.

Generated methods build a wire argument tuple, pick a reply parser and hand both, with the
command's static metadata, to ``CommandExecutor._execute``. The client, the cluster
client, the pipeline and the transaction implement that one method; nothing else in the
runtime knows about individual commands. Everything here is immutable and cheap to share.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, TypeVar

__all__ = [
    "ArgT",
    "CommandExecutor",
    "CommandFlag",
    "CommandMeta",
    "KeySpec",
    "KeyT",
    "ReplyParser",
    "ValueT",
]

#: A key as a caller may give it; str is encoded as UTF-8.
KeyT: TypeAlias = str | bytes | memoryview
#: A value as a caller may give it; numbers are sent in their shortest exact text form.
ValueT: TypeAlias = str | bytes | memoryview | int | float
#: One element of the wire argument list.
ArgT: TypeAlias = str | bytes | memoryview | int | float

T = TypeVar("T")

#: Turns a decoded reply into the command's Python value. Parsers are pure and synchronous.
ReplyParser: TypeAlias = Callable[[Any], T]


class CommandFlag(enum.Flag):
    """Command flags from the spec that the runtime acts on."""

    NONE = 0
    READONLY = enum.auto()
    WRITE = enum.auto()
    BLOCKING = enum.auto()
    PUBSUB = enum.auto()
    NOSCRIPT = enum.auto()
    LOADING = enum.auto()
    STALE = enum.auto()
    FAST = enum.auto()
    ADMIN = enum.auto()
    DENYOOM = enum.auto()
    NO_MULTI = enum.auto()
    MOVABLEKEYS = enum.auto()


@dataclass(frozen=True, slots=True)
class KeySpec:
    """Where a command's keys sit in its argument list (Redis key-spec model).

    ``begin_search`` is either an index (``begin_index``, counted from the command name at 0,
    for subcommands from the container name) or a keyword search (``begin_keyword`` scanned
    from ``begin_keyword_start``, negative meaning from the end). ``find_keys`` is either a
    range (``last_key``, ``step``, ``limit``) or a key count (``keynum_index``,
    ``first_key``, ``step``), relative to where the search began.
    """

    begin_index: int | None = None
    begin_keyword: str | None = None
    begin_keyword_start: int = 0
    last_key: int | None = 0
    step: int = 1
    limit: int = 0
    keynum_index: int | None = None
    first_key: int = 1
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CommandMeta:
    """Static facts about one command, generated from the spec.

    ``name`` is the full command as Redis spells it (``"GET"``, ``"CLIENT LIST"``);
    ``token_count`` is how many wire tokens the name takes (1, or 2 for a subcommand).
    ``binary_reply`` marks a reply that holds binary data (DUMP, FUNCTION DUMP): the runtime
    reads it undecoded (``next_reply(False)``) even on a client that decodes responses.
    """

    name: str
    token_count: int
    arity: int
    flags: CommandFlag
    group: str
    since: str
    key_specs: tuple[KeySpec, ...] = ()
    request_policy: str | None = None
    response_policy: str | None = None
    module: str | None = None
    # Precomputed for the hot path: the executor reads these instead of testing flags.
    is_readonly: bool = False
    is_blocking: bool = False
    binary_reply: bool = False


class CommandExecutor(Protocol):
    """What the generated command mixin needs from whatever runs it.

    The method is private so that the public ``execute_command(*args)`` stays free for the
    raw, untyped call redis-py users know.
    """

    def _execute(
        self,
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: ReplyParser[T] | None,
    ) -> Awaitable[T]:
        """Send (or queue, or fan out) ``args`` and resolve to ``parser(reply)``.

        ``parser`` is None when the decoded reply already is the command's value; the
        executor then resolves to the reply itself without a call.
        """
        ...
