"""A Sentinel group: one primary, one replica, three sentinels.

Order of operations: start the primary; start the replica with REPLICAOF
and wait until its link is up (so the sentinels find it in their very
first INFO of the primary); start the three sentinels in parallel; then
poll each sentinel until it names the primary, lists the replica and
knows the two other sentinels. Sentinels find each other through hello
messages on the primary every 2 s, so a group is typically ready in 2-5 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis_oxide.testing._binaries import redis_7_launcher, sentinel_launcher
from redis_oxide.testing._errors import RawReplyError, ServerStartError
from redis_oxide.testing._info import RedisServerInfo, SentinelInfo
from redis_oxide.testing._raw import RawValue, parse_info, raw_command
from redis_oxide.testing._servers import ServerProcess, start_all

__all__ = ["MASTER_NAME", "start_sentinel_group"]

MASTER_NAME = "oxide-primary"
SENTINEL_COUNT = 3
QUORUM = 2
# Small so failover tests finish in seconds; Sentinel's defaults are 30 s and
# 180 s. One second is still far above the latency of a loopback PING.
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
_POLL_INTERVAL = 0.05


def _pairs(reply: RawValue) -> list[dict[str, str]]:
    """Turn SENTINEL REPLICAS/SENTINELS (a list of flat field lists) into dicts."""
    if not isinstance(reply, list):
        raise ServerStartError(f"unexpected sentinel reply {reply!r}")
    entries: list[dict[str, str]] = []
    for item in reply:
        if not isinstance(item, list):
            raise ServerStartError(f"unexpected sentinel entry {item!r}")
        words = [w.decode() if isinstance(w, bytes) else str(w) for w in item]
        entries.append(dict(zip(words[::2], words[1::2], strict=True)))
    return entries


def _sentinel_problems(
    sentinels: list[ServerProcess], primary: ServerProcess, replica: ServerProcess
) -> list[str]:
    problems: list[str] = []
    for sentinel in sentinels:
        endpoint = sentinel.endpoint
        address = raw_command(endpoint, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        if address != [primary.host.encode(), str(primary.port).encode()]:
            problems.append(f"sentinel {sentinel.port} names {address!r}")
        replicas = _pairs(raw_command(endpoint, "SENTINEL", "REPLICAS", MASTER_NAME))
        if [(r["port"], r["flags"]) for r in replicas] != [(str(replica.port), "slave")]:
            problems.append(f"sentinel {sentinel.port} replicas {replicas!r}")
        peers = _pairs(raw_command(endpoint, "SENTINEL", "SENTINELS", MASTER_NAME))
        healthy = [p for p in peers if p["flags"] == "sentinel"]
        if len(healthy) != SENTINEL_COUNT - 1:
            problems.append(f"sentinel {sentinel.port} knows {len(healthy)} peers")
    return problems


def _replica_problems(replica: ServerProcess) -> list[str]:
    info = parse_info(raw_command(replica.endpoint, "INFO", "replication"))
    if info.get("master_link_status") == "up" and info.get("master_sync_in_progress") == "0":
        return []
    return [f"replica link {info.get('master_link_status')}"]


def _poll(
    what: str, check: Callable[[], list[str]], deadline: float, processes: list[ServerProcess]
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
    tails = "\n".join(process.log_tail(8) for process in processes)
    raise ServerStartError(f"sentinel group: {what} not reached in time: {problems}\n{tails}")


def start_sentinel_group(*, timeout: float = 20.0) -> SentinelInfo:
    """Start a primary, a replica and three sentinels, and wait until all agree.

    Args:
        timeout: Seconds allowed for the whole group.

    Returns:
        The group; stop it by closing every process it names.

    Raises:
        ServerStartError: A process did not start or the sentinels did not agree.
    """
    deadline = time.monotonic() + timeout
    launcher = redis_7_launcher()
    sync_fast = [("repl-diskless-sync", "yes"), ("repl-diskless-sync-delay", "0")]
    primary = ServerProcess(launcher, name="sentinel-primary", config=lambda port: sync_fast)
    replica = ServerProcess(
        launcher,
        name="sentinel-replica",
        config=lambda port: [*sync_fast, ("replicaof", primary.host, str(primary.port))],
    )

    def sentinel_config(port: int) -> list[tuple[str, ...]]:
        return [
            ("sentinel", "monitor", MASTER_NAME, primary.host, str(primary.port), str(QUORUM)),
            ("sentinel", "down-after-milliseconds", MASTER_NAME, str(DOWN_AFTER_MS)),
            ("sentinel", "failover-timeout", MASTER_NAME, str(FAILOVER_TIMEOUT_MS)),
            ("sentinel", "parallel-syncs", MASTER_NAME, "1"),
        ]

    sentinel_binary = sentinel_launcher()
    sentinels = [
        ServerProcess(sentinel_binary, name=f"sentinel{i}", config=sentinel_config, sentinel=True)
        for i in range(SENTINEL_COUNT)
    ]
    everything = [primary, replica, *sentinels]
    try:
        primary.start(timeout)
        replica.start(max(0.1, deadline - time.monotonic()))
        _poll("replica in sync", lambda: _replica_problems(replica), deadline, everything)
        start_all(sentinels, max(0.1, deadline - time.monotonic()))
        _poll(
            "sentinel agreement",
            lambda: _sentinel_problems(sentinels, primary, replica),
            deadline,
            everything,
        )
    except BaseException:
        for process in everything:
            process.close()
        raise
    return SentinelInfo(
        master_name=MASTER_NAME,
        primary=RedisServerInfo.from_process(primary),
        replica=RedisServerInfo.from_process(replica),
        sentinels=tuple(RedisServerInfo.from_process(s) for s in sentinels),
        quorum=QUORUM,
        down_after_ms=DOWN_AFTER_MS,
        failover_timeout_ms=FAILOVER_TIMEOUT_MS,
    )
