"""Health reports: what ``client.health()`` finds out about the servers a client uses.

Rules this module keeps:

- A check never raises for an unhealthy target: an unreachable server, a refused command,
  a timeout or a lost quorum become ``problems`` (plain sentences) in a typed report. Only
  a cancelled caller, or a bad argument, raises.
- A check is bounded by its ``check_timeout``; what did not answer in time is reported as such.
- Reports are frozen dataclasses; the round trip is a ``PING`` through the client's own
  connections (so it includes queueing behind the client's other commands, as callers see
  it), the replication state comes from ``INFO replication``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Protocol

from redis_oxide._exceptions import RedisError
from redis_oxide._executor import Rerunner
from redis_oxide._generated import _meta as _m
from redis_oxide._pool import ConnectionStrategy
from redis_oxide._sentinel_report import SentinelReport

__all__ = [
    "DEFAULT_HEALTH_TIMEOUT",
    "CheckedExecutor",
    "ClusterHealth",
    "HealthReport",
    "NodeHealth",
    "ReplicaLink",
    "ReplicationState",
    "check_node",
    "describe_error",
    "parse_replication",
    "sentinel_problems",
    "server_report",
]

#: Seconds ``health()`` waits by default: long enough for a loaded server, short enough for
#: a liveness probe (Kubernetes' default probe timeout is 1 s, its period 10 s).
DEFAULT_HEALTH_TIMEOUT = 2.0

_ROLES = {"master": "primary", "slave": "replica"}


class CheckedExecutor(Rerunner, Protocol):
    """What a check runs its commands through: a server's executor (or the cache in front
    of one), which names its strategy for the address."""

    @property
    def strategy(self) -> ConnectionStrategy:
        """The strategy whose connections the executor uses."""
        ...


@dataclass(frozen=True, slots=True)
class ReplicaLink:
    """A replica as its primary sees it (``INFO replication``, ``slaveN`` lines).

    Attributes:
        address: ``host:port`` of the replica.
        state: Its replication state (``online``, ``wait_bgsave``, ``send_bulk`` …).
        offset: The replication offset it acknowledged.
        lag: Seconds since its last acknowledgement.
    """

    address: str
    state: str
    offset: int
    lag: int


@dataclass(frozen=True, slots=True)
class ReplicationState:
    """A server's replication, from ``INFO replication``.

    Attributes:
        role: ``"primary"`` or ``"replica"`` (Redis says ``master``/``slave``).
        primary: For a replica, ``host:port`` of its primary; None for a primary.
        link_up: For a replica, whether its link to the primary is up; None for a primary.
        offset: Its replication offset.
        replicas: For a primary, the replicas connected to it.
    """

    role: str
    primary: str | None
    link_up: bool | None
    offset: int
    replicas: tuple[ReplicaLink, ...]


@dataclass(frozen=True, slots=True)
class NodeHealth:
    """One server's health.

    Attributes:
        address: ``host:port`` (or socket path) of the server.
        reachable: Whether it answered ``PING``.
        latency: The ``PING`` round trip in seconds, None when it did not answer.
        role: ``"primary"`` or ``"replica"``; None when unknown.
        replication: Its replication state; None when unknown (unreachable, or ``INFO``
            refused by an ACL).
        problems: What is wrong with it, in plain sentences; empty when healthy.
    """

    address: str
    reachable: bool
    latency: float | None
    role: str | None
    replication: ReplicationState | None
    problems: tuple[str, ...]

    @property
    def healthy(self) -> bool:
        """Whether nothing is wrong with it."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    """A cluster's slot coverage and its own view of itself.

    Attributes:
        state: ``cluster_state`` from ``CLUSTER INFO`` on a reachable node (``"ok"`` or
            ``"fail"``), or ``"unknown"`` when no node answered.
        slots_covered: Slots whose primary answered the check (16,384 when all is well).
        uncovered: Ranges of slots ``(first, last)`` with no reachable primary.
        primaries: Primaries in the client's slot map.
        replicas: Replicas in the client's slot map.
    """

    state: str
    slots_covered: int
    uncovered: tuple[tuple[int, int], ...]
    primaries: int
    replicas: int


@dataclass(frozen=True, slots=True)
class HealthReport:
    """What ``health()`` found out about the servers a client uses.

    Attributes:
        healthy: Whether nothing is wrong.
        problems: Everything wrong, in plain sentences (each node's, then the topology's).
        nodes: The servers checked: the one server of a standalone or Sentinel client,
            every node of a cluster.
        elapsed: Seconds the check took.
        sentinel: For a Sentinel client, what the sentinels report (quorum, replicas,
            sentinels); None otherwise, or when no sentinel answered in time.
        cluster: For a cluster client, slot coverage and the cluster's own view; None
            otherwise.
    """

    healthy: bool
    problems: tuple[str, ...]
    nodes: tuple[NodeHealth, ...]
    elapsed: float
    sentinel: SentinelReport | None = None
    cluster: ClusterHealth | None = None


def describe_error(error: BaseException) -> str:
    """A short, secret-free account of why a check failed.

    Args:
        error: What the check raised.

    Returns:
        The error's class, its server code and message (server messages hold no secret:
        credentials are never echoed by Redis), or "no answer in time".
    """
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, RedisError):
        return f"{type(error).__name__}: {error.message}"
    return f"{type(error).__name__}: {error}"


def parse_replication(info: str) -> ReplicationState:
    """Read the ``INFO replication`` section.

    Args:
        info: Its text.

    Returns:
        The replication state; fields the text lacks take neutral values.
    """
    fields: dict[str, str] = {}
    for line in info.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    role = _ROLES.get(fields.get("role", ""), fields.get("role", "unknown"))
    replicas: list[ReplicaLink] = []
    for key, value in fields.items():
        if key.startswith("slave") and key[5:].isdigit():
            entry: dict[str, str] = {}
            for part in value.split(","):
                name, _, text = part.partition("=")
                entry[name] = text
            host, port = entry.get("ip", ""), entry.get("port", "0")
            replicas.append(
                ReplicaLink(
                    address=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                    state=entry.get("state", ""),
                    offset=_int(entry.get("offset")),
                    lag=_int(entry.get("lag")),
                )
            )
    if role == "replica":
        host, port = fields.get("master_host", ""), fields.get("master_port", "0")
        return ReplicationState(
            role=role,
            primary=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            link_up=fields.get("master_link_status") == "up",
            offset=_int(fields.get("slave_repl_offset")),
            replicas=tuple(replicas),
        )
    return ReplicationState(
        role=role,
        primary=None,
        link_up=None,
        offset=_int(fields.get("master_repl_offset")),
        replicas=tuple(replicas),
    )


async def check_node(
    executor: CheckedExecutor, check_timeout: float, *, expected_role: str | None = None
) -> NodeHealth:
    """Check one server through ``executor``'s connections within ``check_timeout``.

    Args:
        executor: The server's executor (a client's, a cluster node's).
        check_timeout: Longest wait for both answers, in seconds.
        expected_role: ``"primary"`` or ``"replica"`` when the client needs that role.

    Returns:
        The server's health; never raises for an unhealthy server.
    """
    address = executor.strategy.address
    problems: list[str] = []
    latency: float | None = None
    replication: ReplicationState | None = None
    started = perf_counter()
    try:
        async with asyncio.timeout(check_timeout):
            await executor.rerun(_m.PING, ("PING",), None, None)
            latency = perf_counter() - started
            address = executor.strategy.address  # a Sentinel client connected just now
            info: object = await executor.rerun(_m.INFO, ("INFO", "replication"), None, None)
            text = info.decode("utf-8", "replace") if isinstance(info, bytes) else str(info)
            replication = parse_replication(text)
    except (RedisError, OSError, TimeoutError) as exc:
        if latency is None:
            problems.append(f"{address} did not answer PING: {describe_error(exc)}")
        else:
            problems.append(f"{address}: INFO replication failed: {describe_error(exc)}")
    role = replication.role if replication is not None else None
    if replication is not None:
        if expected_role is not None and role != expected_role:
            problems.append(f"{address} is a {role}, not the {expected_role} the client needs")
        if replication.link_up is False:
            problems.append(f"{address}: the link to its primary {replication.primary} is down")
    return NodeHealth(
        address=address,
        reachable=latency is not None,
        latency=latency,
        role=role,
        replication=replication,
        problems=tuple(problems),
    )


def sentinel_problems(report: SentinelReport) -> list[str]:
    """What is wrong in a Sentinel report: the quorum, the primary, replicas, sentinels.

    Args:
        report: The sentinels' report on one monitored name.

    Returns:
        Plain sentences; empty when all is well.
    """
    problems: list[str] = []
    if not report.quorum_reached:
        problems.append(
            f"sentinel quorum for {report.name!r} not reachable: {report.quorum_detail}"
        )
    primary = report.primary
    if primary.is_down:
        how = (
            "objectively down (o_down: a quorum of sentinels agrees)"
            if "o_down" in primary.flags
            else "subjectively down (s_down: it has not answered for down-after-milliseconds)"
        )
        problems.append(f"sentinel {report.asked} flags primary {primary.address} as {how}")
    if report.primary.failover_in_progress:
        problems.append(f"a failover of {report.name!r} is in progress")
    problems += [
        f"replica {r.address} is not usable (flags {','.join(sorted(r.flags))}, "
        f"link {'up' if r.link_ok else 'down'})"
        for r in report.replicas
        if not r.healthy
    ]
    problems += [f"sentinel {s.address} is down" for s in report.sentinels if not s.healthy]
    return problems


async def server_report(
    executor: CheckedExecutor,
    check_timeout: float,
    *,
    expected_role: str | None = None,
    sentinel: Callable[[], Awaitable[SentinelReport]] | None = None,
) -> HealthReport:
    """The health report of a standalone or Sentinel client, within ``check_timeout``.

    Args:
        executor: The client's executor.
        check_timeout: Longest time the whole check may take, in seconds.
        expected_role: The role the client needs of its server, when it needs one.
        sentinel: Asks the sentinels for their report (Sentinel clients).

    Returns:
        The report; never raises for an unhealthy target.

    Raises:
        ValueError: ``check_timeout`` is not positive.
    """
    if check_timeout <= 0:
        raise ValueError(f"check_timeout must be > 0, got {check_timeout!r}")
    started = perf_counter()
    sentinel_report: SentinelReport | None = None
    problems: list[str] = []

    async def ask_sentinels() -> None:
        nonlocal sentinel_report
        if sentinel is None:
            return
        try:
            async with asyncio.timeout(check_timeout):
                sentinel_report = await sentinel()
        except (RedisError, OSError, TimeoutError) as exc:
            problems.append(f"the sentinels did not report: {describe_error(exc)}")

    node, _ = await asyncio.gather(
        check_node(executor, check_timeout, expected_role=expected_role), ask_sentinels()
    )
    if sentinel_report is not None:
        problems += sentinel_problems(sentinel_report)
    every = (*node.problems, *problems)
    return HealthReport(
        healthy=not every,
        problems=every,
        nodes=(node,),
        elapsed=perf_counter() - started,
        sentinel=sentinel_report,
    )


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return 0
