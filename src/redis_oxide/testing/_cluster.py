"""A six-node Redis Cluster built with plain commands (no redis-cli).

Order of operations: start six empty cluster-enabled nodes in parallel;
give each primary a distinct config epoch and its slot range
(CLUSTER SET-CONFIG-EPOCH, CLUSTER ADDSLOTSRANGE); join everyone with
CLUSTER MEET; once every node knows every other, attach replicas with
CLUSTER REPLICATE; then poll until all nodes agree. "Agree" means every
node reports cluster_state:ok with all 16384 slots, sees the same three
primaries each with its replica and no failure flags, groups the nodes in
three shards of two in CLUSTER SHARDS (shard ids travel by gossip), and
every replica's link is up with its offset equal to its primary's. Polling uses real
commands at short intervals under one overall deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from redis_oxide.testing._binaries import redis_7_launcher, stack_launcher, stack_module_paths
from redis_oxide.testing._errors import RawReplyError, ServerStartError
from redis_oxide.testing._info import ClusterInfo, NodeInfo
from redis_oxide.testing._ports import free_port
from redis_oxide.testing._raw import parse_info, raw_command
from redis_oxide.testing._servers import ConfigItems, ServerProcess, start_all

__all__ = ["CLUSTER_NODE_TIMEOUT_MS", "start_cluster"]

SLOT_COUNT = 16384
PRIMARY_COUNT = 3
# Failover tests wait node-timeout plus an election; 2 s keeps them short
# while staying far above the scheduling hiccups of a loaded CI machine
# (Redis' default is 15 s).
CLUSTER_NODE_TIMEOUT_MS = 2000
_POLL_INTERVAL = 0.05


def _node_config(modules: bool) -> Callable[[int], ConfigItems]:
    def config(port: int) -> ConfigItems:
        items: list[tuple[str, ...]] = [
            ("cluster-enabled", "yes"),
            ("cluster-port", str(free_port())),
            ("cluster-config-file", "nodes.conf"),
            ("cluster-node-timeout", str(CLUSTER_NODE_TIMEOUT_MS)),
            # Keep the topology the tests set up: no automatic replica moves,
            # and a replica may always take over however stale it thinks it is.
            ("cluster-allow-replica-migration", "no"),
            ("cluster-replica-validity-factor", "0"),
            # Full syncs straight over the socket, without the default 5 s wait
            # for more replicas to join the transfer.
            ("repl-diskless-sync", "yes"),
            ("repl-diskless-sync-delay", "0"),
        ]
        if modules:
            items += [("loadmodule", str(path)) for path in stack_module_paths()]
        return items

    return config


def _slot_ranges() -> list[tuple[int, int]]:
    step = SLOT_COUNT // PRIMARY_COUNT
    bounds = [i * step for i in range(PRIMARY_COUNT)] + [SLOT_COUNT]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(PRIMARY_COUNT)]


def _cluster_nodes(process: ServerProcess) -> list[list[str]]:
    reply = raw_command(process.endpoint, "CLUSTER", "NODES")
    if not isinstance(reply, bytes):
        raise ServerStartError(f"CLUSTER NODES returned {reply!r}")
    return [line.split() for line in reply.decode().splitlines() if line]


def _wait(
    what: str, check: Callable[[], list[str]], deadline: float, nodes: list[ServerProcess]
) -> None:
    problems: list[str] = []
    while time.monotonic() < deadline:
        try:
            problems = check()
        except (OSError, RawReplyError) as exc:
            problems = [repr(exc)]
        if not problems:
            return
        time.sleep(_POLL_INTERVAL)
    tails = "\n".join(node.log_tail(8) for node in nodes)
    raise ServerStartError(f"cluster: {what} not reached in time: {problems[:6]}\n{tails}")


def _everyone_known(nodes: list[ServerProcess]) -> list[str]:
    problems: list[str] = []
    for node in nodes:
        table = _cluster_nodes(node)
        bad = [row[0] for row in table if {"handshake", "noaddr"} & set(row[2].split(","))]
        if len(table) != len(nodes) or bad:
            problems.append(f"{node.port} knows {len(table)} nodes, handshaking {bad}")
    return problems


def _converged(
    nodes: list[ServerProcess], ids: dict[int, str], pairs: list[tuple[int, int]]
) -> list[str]:
    problems: list[str] = []
    expected = {ids[replica]: ids[primary] for primary, replica in pairs}
    for node in nodes:
        info = parse_info(raw_command(node.endpoint, "CLUSTER", "INFO"))
        if info.get("cluster_state") != "ok" or info.get("cluster_slots_ok") != str(SLOT_COUNT):
            problems.append(
                f"{node.port}: {info.get('cluster_state')} {info.get('cluster_slots_ok')}"
            )
            continue
        for row in _cluster_nodes(node):
            flags = set(row[2].split(","))
            if flags & {"fail", "fail?", "handshake", "noaddr"}:
                problems.append(f"{node.port} sees {row[1]} as {row[2]}")
            elif row[0] in expected and ("slave" not in flags or row[3] != expected[row[0]]):
                problems.append(f"{node.port} sees {row[1]} as {row[2]} of {row[3]}")
    problems += [problem for node in nodes if (problem := _shards_grouped(node)) is not None]
    for primary, replica in pairs:
        primary_info = parse_info(raw_command(nodes[primary].endpoint, "INFO", "replication"))
        replica_info = parse_info(raw_command(nodes[replica].endpoint, "INFO", "replication"))
        if (
            replica_info.get("master_link_status") != "up"
            or replica_info.get("master_sync_in_progress") != "0"
            or replica_info.get("slave_repl_offset") != primary_info.get("master_repl_offset")
        ):
            problems.append(f"replica {nodes[replica].port} not in sync")
    return problems


def _shards_grouped(node: ServerProcess) -> str | None:
    # CLUSTER SHARDS groups nodes by shard id, which reaches the other nodes by gossip after
    # CLUSTER REPLICATE (Redis 7.2+): until then a replica shows as a shard of its own, with
    # no primary, to whoever reads the map that way.
    shards = raw_command(node.endpoint, "CLUSTER", "SHARDS")
    if not isinstance(shards, list):
        return f"{node.port}: CLUSTER SHARDS returned {shards!r}"
    sizes = sorted(len(_field(shard, "nodes")) for shard in shards)
    if sizes != [2] * PRIMARY_COUNT:
        return f"{node.port} groups the nodes in shards of {sizes}"
    return None


def _field(record: object, name: str) -> list[object]:
    # A field of a RESP2 record (flat name/value list) or a RESP3 map; [] when absent.
    if isinstance(record, dict):
        items = list(cast("dict[object, object]", record).items())
    elif isinstance(record, list):
        flat = cast("list[object]", record)
        items = list(zip(flat[0::2], flat[1::2], strict=False))
    else:
        return []
    for key, value in items:
        if key in (name, name.encode()) and isinstance(value, list):
            return cast("list[object]", value)
    return []


def start_cluster(
    *, kind: str = "stack", modules: bool = True, timeout: float = 20.0
) -> ClusterInfo:
    """Start three primaries with one replica each and wait until the cluster is stable.

    Args:
        kind: ``"stack"`` (Redis Stack 7.4) or ``"7"`` (Debian 7.0).
        modules: Load the Stack modules into every node (Stack only).
        timeout: Seconds allowed from the first spawn to a stable cluster.

    Returns:
        The cluster; stop it by closing every ``node.process``.

    Raises:
        ServerStartError: A node did not start or the cluster did not converge.
    """
    deadline = time.monotonic() + timeout
    launcher = stack_launcher() if kind == "stack" else redis_7_launcher()
    config = _node_config(modules and kind == "stack")
    nodes = [
        ServerProcess(launcher, name=f"cluster{i}", config=config) for i in range(2 * PRIMARY_COUNT)
    ]
    pairs = [(i, i + PRIMARY_COUNT) for i in range(PRIMARY_COUNT)]
    try:
        start_all(nodes, timeout)
        ids: dict[int, str] = {}
        for index, node in enumerate(nodes):
            node_id = raw_command(node.endpoint, "CLUSTER", "MYID")
            if not isinstance(node_id, bytes):
                raise ServerStartError(f"CLUSTER MYID returned {node_id!r}")
            ids[index] = node_id.decode()
        for index, (first, last) in enumerate(_slot_ranges()):
            raw_command(nodes[index].endpoint, "CLUSTER", "SET-CONFIG-EPOCH", index + 1)
            raw_command(nodes[index].endpoint, "CLUSTER", "ADDSLOTSRANGE", first, last)
        for node in nodes[1:]:
            bus_port = _cluster_nodes(node)[0][1].split("@")[1].split(",")[0]
            raw_command(nodes[0].endpoint, "CLUSTER", "MEET", node.host, node.port, bus_port)
        _wait("every node knows every other", lambda: _everyone_known(nodes), deadline, nodes)
        for primary, replica in pairs:
            raw_command(nodes[replica].endpoint, "CLUSTER", "REPLICATE", ids[primary])
        _wait("a stable cluster", lambda: _converged(nodes, ids, pairs), deadline, nodes)
    except BaseException:
        for node in nodes:
            node.close()
        raise
    infos = [
        NodeInfo(
            host=node.host,
            port=node.port,
            url=f"redis://{node.host}:{node.port}",
            unix_path=None,
            version=node.version,
            process=node,
            node_id=ids[index],
            role="primary" if index < PRIMARY_COUNT else "replica",
            primary_id=None if index < PRIMARY_COUNT else ids[index - PRIMARY_COUNT],
        )
        for index, node in enumerate(nodes)
    ]
    return ClusterInfo(
        nodes=tuple(infos),
        primaries=tuple(infos[:PRIMARY_COUNT]),
        replicas=tuple(infos[PRIMARY_COUNT:]),
        startup_url=infos[0].url,
    )
