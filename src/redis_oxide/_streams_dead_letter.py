"""Moving an entry a stream worker gave up on to the dead-letter stream: ``DeadLetters``.

Rules this module keeps:

- An entry is never lost: it is appended to the dead-letter stream first and acknowledged
  only after the append succeeded. Redis does not undo the writes a script made before it
  failed, so the append is the script's first write; an append that fails (the dead-letter
  key holds another type, memory is full) leaves the entry pending, and is logged.
- It is moved once even when two workers race for it: the script checks that the entry is
  still pending, and appends and acknowledges it in one step. An entry too large for one
  script (Lua's ``unpack`` stops near 8,000 values) is appended by the worker, then
  acknowledged by a script that removes the copy again if another worker finished the entry
  meanwhile.
- On a cluster the stream and its dead-letter stream share a slot (the script touches both):
  the default name takes the stream's name as its hash tag there, and a given name in another
  slot is refused when the worker is made.
"""

from __future__ import annotations

import logging
from typing import Final, Generic

from redis_oxide._cluster._executor import ClusterExecutor
from redis_oxide._command import KeyT, ValueT
from redis_oxide._exceptions import LoadingError, NoGroupError, ServerError
from redis_oxide._generated import Commands, StrT
from redis_oxide._keys import key_slot
from redis_oxide._streams_entries import ConsumerStats

__all__ = ["DeadLetters"]

logger = logging.getLogger("redis_oxide.streams")

# Appends the entry (its fields after the ones saying where it came from) to KEYS[2], then
# acknowledges it: the append is the first write, so an append that fails changes nothing.
# An entry no longer pending (another worker finished or moved it) is not moved.
_MOVE: Final = """
if not redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1] then return 0 end
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
local fields = {'dead-letter-stream', KEYS[1], 'dead-letter-id', ARGV[2],
                'dead-letter-group', ARGV[1], 'dead-letter-deliveries', ARGV[3]}
if entry[1] then for _, v in ipairs(entry[1][2]) do fields[#fields + 1] = v end end
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
# After the worker appended the copy ARGV[3] itself: acknowledge the entry, or, when another
# worker finished it meanwhile, remove the copy.
_ACK_OR_UNDO: Final = """
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 1 then return 1 end
redis.call('XDEL', KEYS[2], ARGV[3])
return 0
"""
# Field-value pairs one script appends: Lua's unpack() fails near 8,000 values (3,996 pairs
# with the four dead-letter-* ones); bigger entries take the two-step path.
_SCRIPT_PAIRS: Final = 3_500
_HEADER: Final = ("dead-letter-stream", "dead-letter-id", "dead-letter-group")


def _name(key: KeyT) -> str | bytes:
    return bytes(key) if isinstance(key, memoryview) else key


def dead_letter_key(client: object, stream: KeyT, dead_letter: KeyT | None) -> KeyT:
    """Return the dead-letter stream's key, or raise before anything is sent.

    ``<stream>:dead-letter`` by default; on a cluster ``{<stream>}:dead-letter`` when that
    name would hash to another slot than the stream.

    Raises:
        ValueError: On a cluster, ``dead_letter`` hashes to another slot than ``stream``.
    """
    cluster = isinstance(getattr(client, "_executor", None), ClusterExecutor)
    if dead_letter is None:
        name = _name(stream)
        dead_letter = name + b":dead-letter" if isinstance(name, bytes) else f"{name}:dead-letter"
        if cluster and key_slot(dead_letter) != key_slot(stream):
            tagged = (
                b"{" + name + b"}:dead-letter"
                if isinstance(name, bytes)
                else f"{{{name}}}:dead-letter"
            )
            if key_slot(tagged) == key_slot(stream):
                return tagged
    if cluster and key_slot(dead_letter) != key_slot(stream):
        raise ValueError(
            f"GroupConsumer dead_letter {_name(dead_letter)!r} hashes to slot "
            f"{key_slot(dead_letter)} and stream {_name(stream)!r} to slot {key_slot(stream)}: "
            "on a cluster one script moves entries between them, so they must share a slot; "
            "give both the same hash tag, e.g. '{orders}' and '{orders}:dead-letter'"
        )
    return dead_letter


class DeadLetters(Generic[StrT]):
    """Moves entries of one stream and group to the dead-letter stream, each exactly once.

    Args:
        client: The worker's client.
        stream: The stream's key.
        group: The consumer group.
        dead_letter: The dead-letter stream's key (``dead_letter_key``).
        stats: The worker's counters; ``dead_lettered`` counts the entries moved.
    """

    def __init__(
        self,
        client: Commands[StrT],
        stream: KeyT,
        group: str | bytes,
        dead_letter: KeyT,
        stats: ConsumerStats,
    ) -> None:
        self._client: Commands[StrT] = client
        self._stream = stream
        self._group = group
        self.key = dead_letter
        self._stats = stats

    async def move(self, id: StrT, fields: dict[StrT, StrT], deliveries: int) -> None:
        """Move one pending entry, unless another worker finished it meanwhile.

        A server error (the dead-letter key holds another type, memory is full, a permission
        is missing) is logged and leaves the entry pending: the next sweep after
        ``min_idle`` tries again, and the worker goes on with other entries.

        Raises:
            NoGroupError: The group is gone (the worker creates it again).
            LoadingError: The server is loading its data (the worker waits it out).
            ConnectionError, TimeoutError: The server is away (the worker waits it out).
        """
        moved: object
        try:
            if len(fields) <= _SCRIPT_PAIRS:
                moved = await self._client.eval(
                    _MOVE, key=[self._stream, self.key], arg=[self._group, id, deliveries]
                )
            else:
                moved = await self._append_then_ack(id, fields, deliveries)
        except (NoGroupError, LoadingError):
            raise
        except ServerError as error:
            logger.error(
                "stream %r: moving entry %r (delivered %d times) to %r failed (%s: %s); it "
                "stays pending and is tried again after min_idle",
                self._stream,
                id,
                deliveries,
                self.key,
                type(error).__name__,
                error,
            )
            return
        if moved:
            self._stats.dead_lettered += 1
            logger.warning(
                "stream %r: entry %r delivered %d times, moved to %r",
                self._stream,
                id,
                deliveries,
                self.key,
            )

    async def _append_then_ack(self, id: StrT, fields: dict[StrT, StrT], deliveries: int) -> object:
        copy: dict[str | bytes, ValueT] = dict(
            zip(_HEADER, (_name(self._stream), id, self._group), strict=True)
        )
        copy["dead-letter-deliveries"] = deliveries
        for field, value in fields.items():
            copy[field] = value
        copy_id = await self._client.xadd(self.key, copy)
        return await self._client.eval(
            _ACK_OR_UNDO, key=[self._stream, self.key], arg=[self._group, id, copy_id]
        )
