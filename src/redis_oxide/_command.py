"""The seam between the generated command surface and the runtime.

Generated methods build a wire argument tuple, pick a reply parser and hand both, with the
command's static metadata, to ``CommandExecutor._execute``. The client, the cluster
client, the pipeline and the transaction implement that one method; nothing else in the
runtime knows about individual commands. Everything here is immutable and cheap to share.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, TypeVar

__all__ = [
    "ArgT",
    "CommandExecutor",
    "CommandFlag",
    "CommandMeta",
    "KeySpec",
    "KeySpecFlag",
    "KeyT",
    "ReplyParser",
    "RequestPolicy",
    "ResponsePolicy",
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
    #: Keys may be absent (EVAL with numkeys 0): a key count of zero is valid, not a mistake.
    NO_MANDATORY_KEYS = enum.auto()
    #: From the ``nondeterministic_output`` tip: the reply may differ between two calls on the
    #: same data (random members, remaining TTLs, cursors), so a client-side cache never
    #: keeps it. ``nondeterministic_output_order`` (HGETALL, SMEMBERS) is not carried: any
    #: order is a valid reply.
    NONDETERMINISTIC_OUTPUT = enum.auto()
    #: From the ``dont_cache`` tip (Redis 8's module commands): the reply depends on more than
    #: the keys the key specs name (a search over an index), so it is never cached.
    DONT_CACHE = enum.auto()


class RequestPolicy(enum.Enum):
    """Where a cluster client sends a keyless command (the ``request_policy`` tip).

    Without a tip, a command goes to the node of its keys' slot, or anywhere when keyless.
    """

    ALL_NODES = "all_nodes"
    ALL_SHARDS = "all_shards"
    MULTI_SHARD = "multi_shard"
    SPECIAL = "special"


class ResponsePolicy(enum.Enum):
    """How a cluster client merges the replies of a fanned-out command (``response_policy``)."""

    ONE_SUCCEEDED = "one_succeeded"
    ALL_SUCCEEDED = "all_succeeded"
    AGG_LOGICAL_AND = "agg_logical_and"
    AGG_LOGICAL_OR = "agg_logical_or"
    AGG_MIN = "agg_min"
    AGG_MAX = "agg_max"
    AGG_SUM = "agg_sum"
    SPECIAL = "special"


class KeySpecFlag(enum.Flag):
    """Flags of a key specification, as Redis names them (``RW``, ``access`` ...).

    ``NOT_KEY`` marks an argument that is routed like a key but is not one (shard channels);
    ``INCOMPLETE`` a spec that may miss keys, so the server's own key finder must decide;
    ``VARIABLE_FLAGS`` a spec whose access flags depend on the arguments.
    """

    NONE = 0
    RO = enum.auto()
    RW = enum.auto()
    OW = enum.auto()
    RM = enum.auto()
    ACCESS = enum.auto()
    UPDATE = enum.auto()
    INSERT = enum.auto()
    DELETE = enum.auto()
    NOT_KEY = enum.auto()
    INCOMPLETE = enum.auto()
    VARIABLE_FLAGS = enum.auto()


@dataclass(frozen=True, slots=True)
class KeySpec:
    """Where a command's keys sit in its argument list (Redis key-spec model).

    ``begin_search`` is either an index (``begin_index``, counted from the command name at 0,
    for subcommands from the container name) or a keyword search (``begin_keyword`` scanned
    from ``begin_keyword_start``, negative meaning from the end). ``find_keys`` is either a
    range (``last_key``, ``step``, ``limit``) or a key count (``keynum_index``,
    ``first_key``, ``step``), relative to where the search began. A spec the grammar cannot
    describe (Redis's ``unknown`` type) has neither a begin index nor a keyword, or neither a
    last key nor a key-count index; ``redis_oxide._keys`` then leaves the answer to the server.
    """

    begin_index: int | None = None
    begin_keyword: str | None = None
    begin_keyword_start: int = 0
    last_key: int | None = 0
    step: int = 1
    limit: int = 0
    keynum_index: int | None = None
    first_key: int = 1
    flags: KeySpecFlag = KeySpecFlag.NONE


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
    request_policy: RequestPolicy | None = None
    response_policy: ResponsePolicy | None = None
    module: str | None = None
    # Precomputed for the hot path: the executor reads these instead of testing flags.
    is_readonly: bool = False
    is_blocking: bool = False
    binary_reply: bool = False
    #: The index of the command's one key when its key specs fix exactly one key at one
    #: index (GET, SET, HSET ...), else None; derived from ``key_specs`` here, equal to
    #: ``_keys.single_key_index`` (a test checks every generated command). A cluster client
    #: reads it instead of running the key extractor.
    key_index: int | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        specs = [s for s in self.key_specs if not s.flags & KeySpecFlag.NOT_KEY]
        index = None
        if len(specs) == 1:
            spec = specs[0]
            if spec.last_key == 0 and not spec.flags & KeySpecFlag.INCOMPLETE:
                index = spec.begin_index
        object.__setattr__(self, "key_index", index)


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
