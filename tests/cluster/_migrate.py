"""Moving slots between primaries with plain commands, as an operator's tool would.

``CLUSTER SETSLOT <slot> IMPORTING`` on the target, ``MIGRATING`` on the source, ``MIGRATE``
of the slot's keys in batches, then ``SETSLOT <slot> NODE <target>`` on the target, the source
and every other node that is a primary now. Blocking raw calls: the test's event loop is busy
only for the few milliseconds each takes on a local cluster.

A source that gives away its last slot becomes a replica of the target (Redis 7, with the
default ``cluster-allow-replica-migration yes``) as soon as it hears of the move over the
cluster bus, often before its own ``SETSLOT ... NODE`` comes, which it then refuses ("only
with masters"; about half the runs of such a move failed so). That refusal is accepted once the
source says (``ROLE``) that it replicates the target, within ``_DEMOTED_WITHIN``; anything
else fails the move, naming the node and what it said. The other primaries are asked for
their role at the time: a node of the fixture's list may have become a replica since (a
failover, an emptied primary) and refuse ``SETSLOT`` too, and one that does not answer (a
stopped node) learns the owner over the bus when it is back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from redis_oxide.testing import ClusterInfo, NodeInfo, RawReplyError, new_server, raw_command

__all__ = [
    "add_node",
    "begin_migration",
    "finish_migration",
    "migrate_keys",
    "move_slot",
    "elsewhere",
    "owner_of",
    "slot_owners",
]

_BATCH = 100
# A source that refused SETSLOT as a replica must say it replicates the target within this
# long (it turns replica when it hears of the move, which it already has when it refuses).
_DEMOTED_WITHIN = 5.0


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
    """Give ``slot`` to ``target`` on the target, the source and every other primary.

    Raises:
        AssertionError: The source refused as a replica but does not replicate the target.
    """
    raw_command(target.endpoint, "CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
    try:
        raw_command(source.endpoint, "CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
    except RawReplyError as exc:
        if "only with masters" not in str(exc):
            raise
        _wait_demoted(source, target, slot, exc)  # it gave away its last slot (module rules)
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


def _wait_demoted(source: NodeInfo, target: NodeInfo, slot: int, refusal: RawReplyError) -> None:
    deadline = time.monotonic() + _DEMOTED_WITHIN
    while True:
        role = _role(source)
        if role[:1] == [b"slave"] and len(role) > 2 and role[2] == target.port:
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"moving slot {slot} to {target.port}: the source {source.port} refused "
                f"SETSLOT NODE ({refusal}) but does not replicate the target after "
                f"{_DEMOTED_WITHIN} s: ROLE is {role!r}"
            )
        time.sleep(0.05)


def _role(node: NodeInfo) -> list[object]:
    reply = raw_command(node.endpoint, "ROLE")
    assert isinstance(reply, list), f"ROLE on {node.port} returned {reply!r}"
    return list(reply)


def _primaries(cluster: ClusterInfo, exclude: Iterable[NodeInfo]) -> list[NodeInfo]:
    # The nodes that are primaries now (module rules); one that does not answer is skipped.
    skip = {node.port for node in exclude}
    primaries: list[NodeInfo] = []
    for node in cluster.nodes:
        if node.port in skip:
            continue
        try:
            role = _role(node)
        except OSError:
            continue
        if role[:1] == [b"master"]:
            primaries.append(node)
    return primaries


def add_node(cluster: ClusterInfo, name: str) -> NodeInfo:
    """Start a seventh cluster-enabled 7.0 server and introduce it to every node (CLUSTER MEET).

    It serves no slot and replicates nothing yet; the caller waits for what it needs (the node
    known everywhere, or a CLUSTER REPLICATE taking hold) and closes ``node.process``.
    """
    process = new_server(
        "7",
        config=(
            ("cluster-enabled", "yes"),
            ("cluster-config-file", "nodes.conf"),
            ("cluster-node-timeout", "2000"),
        ),
        name=name,
    )
    try:
        process.start()
        node_id = raw_command(process.endpoint, "CLUSTER", "MYID")
        assert isinstance(node_id, bytes)
        node = NodeInfo(
            host=process.host,
            port=process.port,
            url=f"redis://{process.host}:{process.port}",
            unix_path=process.unix_path,
            version=process.version,
            process=process,
            node_id=node_id.decode(),
        )
        lines = raw_command(node.endpoint, "CLUSTER", "NODES")
        assert isinstance(lines, bytes)
        myself = next(line for line in lines.decode().splitlines() if "myself" in line)
        bus = myself.split()[1].split("@")[1].split(",")[0]
        for other in cluster.nodes:
            raw_command(other.endpoint, "CLUSTER", "MEET", node.host, node.port, bus)
    except BaseException:
        process.close()
        raise
    return node
