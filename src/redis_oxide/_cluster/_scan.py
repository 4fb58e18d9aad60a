"""Walking the whole keyspace of a cluster: ``SCAN`` cursors across shards, and ``scan_iter``.

Rules this module keeps:

- ``scan_step`` is ``SCAN``'s ``special`` request rule: one call scans one shard, and the
  cursor it returns carries both the shard (the lowest slot it serves, in the low 14 bits) and
  that shard's own cursor (the bits above). Shards are walked in slot order; 0 starts and ends
  the walk, as on a single server. A cursor names a shard by a slot, so a failover (same
  slots, new primary) does not lose the walk; a reshard between calls may.
- ``scan_iter`` guarantees more: every key that stays in the cluster for the whole iteration
  is yielded, even when slots move or a primary fails over meanwhile. Keys may be yielded
  twice (documented). It scans every primary in turn, then compares a fingerprint of the
  cluster taken before and after (the owner of each slot, each primary's config epoch, and
  the slots each primary reports migrating or importing in its own ``CLUSTER NODES`` line).
  The keys of every slot whose fingerprint differs, or that was in transit, or whose node's
  scan failed, are read again from their owner (``CLUSTER GETKEYSINSLOT``; a migrating slot
  from its source, then its target, since keys only move that way), and the check repeats
  until a round finds nothing new. A node that owns many such slots is scanned again whole.
- Keys read that way are filtered like SCAN filters: ``match`` with Redis's glob rules, ``type``
  with ``TYPE``.
"""

# pyright: reportPrivateUsage=false
# (Node executors are called through the executor seam, ``_execute``.)

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from redis_oxide._cluster._nodes import RAW
from redis_oxide._command import ArgT
from redis_oxide._exceptions import ConnectionError as RedisConnectionError
from redis_oxide._exceptions import RedisError
from redis_oxide._exceptions import TimeoutError as RedisTimeoutError
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import SLOT_COUNT
from redis_oxide._parsers import lines, text

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["glob_matcher", "scan_iter", "scan_step"]

_SLOT_BITS = 14
_SLOT_MASK = (1 << _SLOT_BITS) - 1
# Above this many slots to read again on one node, scanning it whole is cheaper.
_WHOLE_NODE = 64
# Rounds of "read the unsettled slots again" before giving up on a cluster that keeps moving.
_ROUNDS = 20
_FAILURES = (RedisConnectionError, RedisTimeoutError)


async def scan_step(cluster: ClusterExecutor, args: tuple[ArgT, ...], parser: Any) -> Any:
    """Run one ``SCAN`` call on a cluster; see the module rules.

    Args:
        cluster: The cluster executor.
        args: ``("SCAN", cursor, ...options)`` with the cluster cursor.
        parser: SCAN's reply parser.

    Returns:
        The parsed ``(cursor, keys)`` reply, with a cluster cursor.
    """
    current = cluster.topology.map
    shards = [] if current is None else [s for s in current.shards if s.ranges]
    if not shards:
        raise RedisConnectionError("the cluster's slot map lists no shard")
    cursor = int(args[1])
    lowest = [shard.ranges[0][0] for shard in shards]
    index, own = 0, 0
    if cursor:
        own, slot = cursor >> _SLOT_BITS, cursor & _SLOT_MASK
        if slot in lowest:
            index = lowest.index(slot)
        else:  # the shards changed since: continue with the shard serving that slot now
            owner = current.shard_of(slot) if current is not None else None
            index = shards.index(owner) if owner in shards else 0
    executor = cluster.registry.of(shards[index].primary)
    reply: Any = await executor._execute(_m.SCAN, ("SCAN", own, *args[2:]), None)
    following = int(reply[0])
    if following:
        cursor = (following << _SLOT_BITS) | lowest[index]
    else:
        cursor = lowest[index + 1] if index + 1 < len(shards) else 0
    text_cursor = str(cursor)
    raw = [text_cursor.encode() if isinstance(reply[0], bytes) else text_cursor, reply[1]]
    return raw if parser is None else parser(raw)


def glob_matcher(pattern: str | bytes) -> Callable[[Any], bool]:
    """A test of keys against a Redis glob pattern (``*``, ``?``, ``[a-z]``, ``[^a]``, ``\\x``).

    Args:
        pattern: The ``MATCH`` pattern.

    Returns:
        A function of a ``str`` or ``bytes`` key.
    """
    source = pattern.encode() if isinstance(pattern, str) else bytes(pattern)
    out: list[bytes] = []
    i = 0
    while i < len(source):
        char = source[i : i + 1]
        if char == b"\\" and i + 1 < len(source):
            out.append(re.escape(source[i + 1 : i + 2]))
            i += 2
            continue
        if char == b"*":
            out.append(b".*")
        elif char == b"?":
            out.append(b".")
        elif char == b"[":
            end = source.find(b"]", i + 2)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = source[i + 1 : end]
                negate = body.startswith(b"^")
                body = body[1:] if negate else body
                escaped = re.sub(rb"([\\\]\[^])", rb"\\\1", body)
                out.append(b"[" + (b"^" if negate else b"") + escaped + b"]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    compiled = re.compile(b"".join(out), re.DOTALL)

    def matches(key: Any) -> bool:
        data = key.encode() if isinstance(key, str) else bytes(key)
        return compiled.fullmatch(data) is not None

    return matches


class _Fingerprint:
    """What must not change under a scan: slot owners, primaries' epochs, slots in transit."""

    def __init__(self, owners: list[str | None], epochs: dict[str, int], moving: set[int]):
        self.owners = owners
        self.epochs = epochs
        self.moving = moving
        #: Per migrating slot, the address of the node importing it.
        self.targets: dict[int, str] = {}

    def unsettled(self, other: _Fingerprint) -> set[int]:
        slots = {s for s in range(SLOT_COUNT) if self.owners[s] != other.owners[s]}
        slots |= self.moving | other.moving
        for address, epoch in self.epochs.items():
            if other.epochs.get(address, epoch) != epoch:
                slots |= {s for s in range(SLOT_COUNT) if self.owners[s] == address}
        return slots


async def _fingerprint(cluster: ClusterExecutor) -> _Fingerprint:
    await cluster.topology.refresh()
    current = cluster.topology.map
    owners: list[str | None] = [None] * SLOT_COUNT
    primaries = [] if current is None else current.primaries()
    for slot in range(SLOT_COUNT):
        shard = None if current is None else current.shard_of(slot)
        owners[slot] = None if shard is None else shard.primary.address
    ids = {} if current is None else {n.node_id: n.address for n in current.nodes()}
    replies = await asyncio.gather(
        *(
            cluster.registry.of(p)._execute(_m.CLUSTER_NODES, ("CLUSTER", "NODES"), RAW)
            for p in primaries
        ),
        return_exceptions=True,
    )
    epochs: dict[str, int] = {}
    moving: set[int] = set()
    fingerprint = _Fingerprint(owners, epochs, moving)
    for primary, reply in zip(primaries, replies, strict=True):
        if isinstance(reply, BaseException):
            moving |= {s for s in range(SLOT_COUNT) if owners[s] == primary.address}
            continue
        for line in lines(text(reply)):
            fields = line.split()
            if len(fields) < 8 or "myself" not in fields[2].split(","):
                continue
            epochs[primary.address] = int(fields[6])
            for token in fields[8:]:
                if token.startswith("[") and "-" in token:
                    slot_text, arrow, peer = token.strip("[]").partition("->-")
                    if not arrow:
                        slot_text, _, peer = token.strip("[]").partition("-<-")
                    moving.add(int(slot_text))
                    if arrow and peer in ids:
                        fingerprint.targets[int(slot_text)] = ids[peer]
    return fingerprint


async def scan_iter(
    cluster: ClusterExecutor,
    *,
    match: str | bytes | None,
    count: int | None,
    type_: str | None,
    give_up_after: float,
) -> AsyncIterator[list[Any]]:
    """Yield batches of keys until every key that stayed in the cluster was seen.

    Args:
        cluster: The cluster executor.
        match: ``MATCH`` pattern, or None.
        count: ``COUNT`` hint per SCAN call, or None.
        type_: ``TYPE`` filter, or None.
        give_up_after: Seconds a round may keep failing (a node down, no failover yet).

    Yields:
        Keys, in batches as the server returns them; duplicates are possible.

    Raises:
        ConnectionError: A node stayed unreachable for ``give_up_after`` seconds.
    """
    options: list[ArgT] = []
    if match is not None:
        options += ["MATCH", match]
    if count is not None:
        options += ["COUNT", count]
    if type_ is not None:
        options += ["TYPE", type_]
    before = await _fingerprint(cluster)
    failed: set[int] = set()
    for address in dict.fromkeys(a for a in before.owners if a is not None):
        try:
            async for keys in _scan_node(cluster, address, options):
                yield keys
        except _FAILURES:
            failed |= {s for s in range(SLOT_COUNT) if before.owners[s] == address}
    started = time.monotonic()
    for _ in range(_ROUNDS):
        after = await _fingerprint(cluster)
        todo = before.unsettled(after) | failed
        if not todo:
            return
        failed = set()
        try:
            async for keys in _read_again(cluster, after, before, todo, options, match, type_):
                yield keys
        except _FAILURES:
            if time.monotonic() - started > give_up_after:
                raise
            failed = todo
            await asyncio.sleep(0.2)
        before = after


async def _scan_node(
    cluster: ClusterExecutor, address: str, options: Sequence[ArgT]
) -> AsyncIterator[list[Any]]:
    host, _, port = address.rpartition(":")
    executor = cluster.registry.get(host.strip("[]"), int(port))
    cursor: int = 0
    while True:
        reply: Any = await executor._execute(_m.SCAN, ("SCAN", cursor, *options), None)
        cursor = int(reply[0])
        if reply[1]:
            yield list(reply[1])
        if cursor == 0:
            return


async def _read_again(
    cluster: ClusterExecutor,
    now: _Fingerprint,
    then: _Fingerprint,
    slots: set[int],
    options: Sequence[ArgT],
    match: str | bytes | None,
    type_: str | None,
) -> AsyncIterator[list[Any]]:
    by_owner: dict[str, list[int]] = {}
    for slot in sorted(slots):
        owner = now.owners[slot]
        if owner is not None:
            by_owner.setdefault(owner, []).append(slot)
    matches = glob_matcher(match) if match is not None else None
    for owner, owned in by_owner.items():
        if len(owned) > _WHOLE_NODE:
            async for keys in _scan_node(cluster, owner, options):
                yield keys
            continue
        for slot in owned:
            sources = [owner]
            target = now.targets.get(slot) or then.targets.get(slot)
            if target is not None and target != owner:
                sources.append(target)  # source first: keys only move source -> target
            for source in sources:
                keys = await _slot_keys(cluster, source, slot)
                keys = [k for k in keys if matches is None or matches(k)]
                if type_ is not None and keys:
                    keys = await _of_type(cluster, source, keys, type_)
                if keys:
                    yield keys


async def _slot_keys(cluster: ClusterExecutor, address: str, slot: int) -> list[Any]:
    host, _, port = address.rpartition(":")
    executor = cluster.registry.get(host.strip("[]"), int(port))
    total: Any = await executor._execute(
        _m.CLUSTER_COUNTKEYSINSLOT, ("CLUSTER", "COUNTKEYSINSLOT", slot), None
    )
    if not total:
        return []
    # A margin for keys written between the two calls; keys added meanwhile are not promised.
    wanted = int(total) + 1024
    keys: Any = await executor._execute(
        _m.CLUSTER_GETKEYSINSLOT, ("CLUSTER", "GETKEYSINSLOT", slot, wanted), None
    )
    return list(keys)


async def _of_type(
    cluster: ClusterExecutor, address: str, keys: list[Any], type_: str
) -> list[Any]:
    host, _, port = address.rpartition(":")
    executor = cluster.registry.get(host.strip("[]"), int(port))
    types = await asyncio.gather(
        *(executor._execute(_m.TYPE, ("TYPE", key), RAW) for key in keys), return_exceptions=True
    )
    wanted = type_.lower()
    return [
        key
        for key, kind in zip(keys, types, strict=True)
        if not isinstance(kind, RedisError | BaseException) and text(kind).lower() == wanted
    ]
