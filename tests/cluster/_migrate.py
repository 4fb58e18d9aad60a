"""Moving slots between primaries with plain commands, as an operator's tool would.

``CLUSTER SETSLOT <slot> IMPORTING`` on the target, ``MIGRATING`` on the source, ``MIGRATE``
of the slot's keys in batches, then ``SETSLOT <slot> NODE <target>`` on the target, the source
and every other primary. Blocking raw calls: the test's event loop is busy only for the few
milliseconds each takes on a local cluster.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command

__all__ = [
    "begin_migration",
    "finish_migration",
    "migrate_keys",
    "move_slot",
    "elsewhere",
    "owner_of",
    "slot_owners",
]

_BATCH = 100


def owner_of(cluster: ClusterInfo, slot: int, asked: NodeInfo | None = None) -> NodeInfo:
    """The primary serving ``slot`` as ``asked`` (default: the first node) sees it."""
    reply = raw_command((asked or cluster.nodes[0]).endpoint, "CLUSTER", "SLOTS")
    assert isinstance(reply, list)
    for entry in reply:
        assert isinstance(entry, list)
        first, last, primary = entry[0], entry[1], entry[2]
        assert isinstance(first, int)
        assert isinstance(last, int)
        assert isinstance(primary, list)
        if first <= slot <= last:
            return next(n for n in cluster.nodes if n.port == primary[1])
    raise AssertionError(f"no node serves slot {slot}")


def elsewhere(cluster: ClusterInfo, slot: int) -> tuple[NodeInfo, NodeInfo]:
    """The primary serving ``slot``, and another primary to move it to."""
    source = owner_of(cluster, slot)
    target = next(p for p in cluster.primaries if p.port != source.port)
    return source, target


def slot_owners(cluster: ClusterInfo) -> list[int]:
    """Per slot, the port of the primary serving it (as the first node sees it)."""
    owners = [0] * 16384
    reply = raw_command(cluster.nodes[0].endpoint, "CLUSTER", "SLOTS")
    assert isinstance(reply, list)
    for entry in reply:
        assert isinstance(entry, list)
        first, last, primary = entry[0], entry[1], entry[2]
        assert isinstance(first, int)
        assert isinstance(last, int)
        assert isinstance(primary, list)
        port = primary[1]
        assert isinstance(port, int)
        owners[first : last + 1] = [port] * (last + 1 - first)
    return owners


def begin_migration(source: NodeInfo, target: NodeInfo, slot: int) -> None:
    """Mark ``slot`` importing on ``target`` and migrating on ``source``."""
    raw_command(target.endpoint, "CLUSTER", "SETSLOT", slot, "IMPORTING", source.node_id)
    raw_command(source.endpoint, "CLUSTER", "SETSLOT", slot, "MIGRATING", target.node_id)


def migrate_keys(source: NodeInfo, target: NodeInfo, slot: int, limit: int | None = None) -> int:
    """MIGRATE the keys of ``slot`` (at most ``limit``) from ``source`` to ``target``.

    Returns:
        How many keys moved.
    """
    moved = 0
    while limit is None or moved < limit:
        count = _BATCH if limit is None else min(_BATCH, limit - moved)
        found = raw_command(source.endpoint, "CLUSTER", "GETKEYSINSLOT", slot, count)
        assert isinstance(found, list)
        keys = [key for key in found if isinstance(key, bytes)]
        if not keys:
            break
        raw_command(
            source.endpoint, "MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", *keys
        )
        moved += len(keys)
    return moved


def finish_migration(cluster: ClusterInfo, source: NodeInfo, target: NodeInfo, slot: int) -> None:
    """Give ``slot`` to ``target`` on the target, the source and every other primary."""
    raw_command(target.endpoint, "CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
    raw_command(source.endpoint, "CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
    for node in _primaries(cluster, exclude=(source, target)):
        raw_command(node.endpoint, "CLUSTER", "SETSLOT", slot, "NODE", target.node_id)


def move_slot(cluster: ClusterInfo, source: NodeInfo, target: NodeInfo, slot: int) -> int:
    """Move ``slot`` with all its keys from ``source`` to ``target``.

    Returns:
        How many keys moved.
    """
    begin_migration(source, target, slot)
    moved = migrate_keys(source, target, slot)
    finish_migration(cluster, source, target, slot)
    return moved


def _primaries(cluster: ClusterInfo, exclude: Iterable[NodeInfo]) -> list[NodeInfo]:
    skip = {node.port for node in exclude}
    return [node for node in cluster.primaries if node.port not in skip]
