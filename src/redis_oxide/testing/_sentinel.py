"""Sentinel groups: primaries with replicas, watched by three sentinels.

Order of operations: start every primary; start the replicas with REPLICAOF
and wait until each link is up (so the sentinels find them in their very
first INFO of the primary); start the three sentinels in parallel; then
poll each sentinel until, for every monitored name, it names the primary,
lists the replicas and knows the two other sentinels. Sentinels find each
other through hello messages on the primaries every 2 s, so a group is
typically ready in 2-5 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from redis_oxide.testing._binaries import redis_7_launcher, sentinel_launcher
from redis_oxide.testing._errors import RawReplyError, ServerStartError
from redis_oxide.testing._info import MonitoredGroup, RedisServerInfo, SentinelInfo
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
_SYNC_FAST = (("repl-diskless-sync", "yes"), ("repl-diskless-sync-delay", "0"))


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


class _Group:
    """The processes of one monitored name."""

    def __init__(self, name: str, replicas: int) -> None:
        launcher = redis_7_launcher()
        self.name = name
        self.primary = ServerProcess(
            launcher, name=f"sentinel-primary-{name}", config=lambda port: _SYNC_FAST
        )
        self.replicas = [
            ServerProcess(
                launcher,
                name=f"sentinel-replica{i}-{name}",
                config=lambda port: [
                    *_SYNC_FAST,
                    ("replicaof", self.primary.host, str(self.primary.port)),
                ],
            )
            for i in range(replicas)
        ]

    def monitor(self) -> list[tuple[str, ...]]:
        name, primary = self.name, self.primary
        return [
            ("sentinel", "monitor", name, primary.host, str(primary.port), str(QUORUM)),
            ("sentinel", "down-after-milliseconds", name, str(DOWN_AFTER_MS)),
            ("sentinel", "failover-timeout", name, str(FAILOVER_TIMEOUT_MS)),
            ("sentinel", "parallel-syncs", name, "1"),
        ]

    def info(self) -> MonitoredGroup:
        return MonitoredGroup(
            name=self.name,
            primary=RedisServerInfo.from_process(self.primary),
            replicas=tuple(RedisServerInfo.from_process(r) for r in self.replicas),
        )


def _sentinel_problems(sentinels: list[ServerProcess], groups: list[_Group]) -> list[str]:
    problems: list[str] = []
    for sentinel in sentinels:
        endpoint = sentinel.endpoint
        for group in groups:
            name, primary = group.name, group.primary
            address = raw_command(endpoint, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
            if address != [primary.host.encode(), str(primary.port).encode()]:
                problems.append(f"sentinel {sentinel.port} names {address!r} for {name}")
            replicas = _pairs(raw_command(endpoint, "SENTINEL", "REPLICAS", name))
            seen = sorted((r["port"], r["flags"]) for r in replicas)
            if seen != sorted((str(r.port), "slave") for r in group.replicas):
                problems.append(f"sentinel {sentinel.port} replicas of {name}: {replicas!r}")
            peers = _pairs(raw_command(endpoint, "SENTINEL", "SENTINELS", name))
            healthy = [p for p in peers if p["flags"] == "sentinel"]
            if len(healthy) != SENTINEL_COUNT - 1:
                problems.append(f"sentinel {sentinel.port} knows {len(healthy)} peers of {name}")
    return problems


def _replica_problems(replicas: list[ServerProcess]) -> list[str]:
    problems: list[str] = []
    for replica in replicas:
        info = parse_info(raw_command(replica.endpoint, "INFO", "replication"))
        if info.get("master_link_status") != "up" or info.get("master_sync_in_progress") != "0":
            problems.append(f"replica {replica.port} link {info.get('master_link_status')}")
    return problems


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


def start_sentinel_group(
    *, names: Sequence[str] = (MASTER_NAME,), replicas: int = 1, timeout: float = 20.0
) -> SentinelInfo:
    """Start a primary with replicas per name, and three sentinels; wait until all agree.

    Args:
        names: The names the sentinels monitor, one primary each; the first is
            ``SentinelInfo.master_name``.
        replicas: Replicas per primary (at least 1).
        timeout: Seconds allowed for the whole group.

    Returns:
        The group; stop it by closing every process of ``SentinelInfo.processes()``.

    Raises:
        ValueError: No name, a repeated name, or fewer than one replica.
        ServerStartError: A process did not start or the sentinels did not agree.
    """
    if not names or len(set(names)) != len(names) or replicas < 1:
        raise ValueError("start_sentinel_group needs distinct names and at least one replica")
    deadline = time.monotonic() + timeout
    groups = [_Group(name, replicas) for name in names]

    def sentinel_config(port: int) -> list[tuple[str, ...]]:
        return [item for group in groups for item in group.monitor()]

    sentinel_binary = sentinel_launcher()
    sentinels = [
        ServerProcess(sentinel_binary, name=f"sentinel{i}", config=sentinel_config, sentinel=True)
        for i in range(SENTINEL_COUNT)
    ]
    all_replicas = [r for group in groups for r in group.replicas]
    everything = [*(g.primary for g in groups), *all_replicas, *sentinels]
    try:
        start_all([g.primary for g in groups], timeout)
        start_all(all_replicas, max(0.1, deadline - time.monotonic()))
        _poll("replicas in sync", lambda: _replica_problems(all_replicas), deadline, everything)
        start_all(sentinels, max(0.1, deadline - time.monotonic()))
        _poll(
            "sentinel agreement",
            lambda: _sentinel_problems(sentinels, groups),
            deadline,
            everything,
        )
    except BaseException:
        for process in everything:
            process.close()
        raise
    first = groups[0].info()
    return SentinelInfo(
        master_name=first.name,
        primary=first.primary,
        replica=first.replicas[0],
        sentinels=tuple(RedisServerInfo.from_process(s) for s in sentinels),
        quorum=QUORUM,
        down_after_ms=DOWN_AFTER_MS,
        failover_timeout_ms=FAILOVER_TIMEOUT_MS,
        groups=(first, *(g.info() for g in groups[1:])),
    )
