"""``health()``: a typed report within its timeout, never an exception for an unhealthy target.

Healthy targets (a standalone server, a Sentinel primary and replica) and broken ones (a
server that is gone, one that hangs, a closed client, a Sentinel group that lost its
quorum) each give the report they should, in time.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from redis_oxide import HealthReport, Redis, Retry, Sentinel
from redis_oxide.testing import RedisServerInfo, SentinelInfo
from redis_oxide.testing._ports import free_port
from redis_oxide.testing.plugin import SentinelFactory, ServerFactory
from tests.conftest import Figure

pytestmark = pytest.mark.timeout(90)


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


async def test_a_healthy_server_reports_its_latency_and_role(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as r:
        report = await r.health()
    assert isinstance(report, HealthReport)
    assert report.healthy
    assert report.problems == ()
    (node,) = report.nodes
    assert node.address == f"{redis_stack.host}:{redis_stack.port}"
    assert node.reachable
    assert node.latency is not None
    assert 0 < node.latency < 1
    assert node.role == "primary"
    assert node.replication is not None
    assert node.replication.primary is None
    assert report.sentinel is None
    assert report.cluster is None
    figures("standalone health latency", f"{node.latency * 1e6:.0f} us")


async def test_a_server_that_is_gone_is_reported_not_raised(figures: Figure) -> None:
    r = Redis("127.0.0.1", free_port(), retry=Retry(attempts=1), connect_timeout=0.5)
    started = time.monotonic()
    report = await r.health(check_timeout=1.0)
    took = time.monotonic() - started
    assert not report.healthy
    (node,) = report.nodes
    assert not node.reachable
    assert node.latency is None
    assert node.role is None
    assert "did not answer PING: ConnectFailedError" in report.problems[0]
    assert took < 1.5
    await r.aclose()
    figures("unreachable server reported in", f"{took:.3f} s")


async def test_a_hung_server_is_reported_within_the_timeout(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    server = redis_server_factory()
    assert server.process is not None
    async with Redis(server.host, server.port) as r:
        await r.ping()
        server.process.suspend()
        try:
            started = time.monotonic()
            report = await r.health(check_timeout=0.5)
            took = time.monotonic() - started
        finally:
            server.process.resume()
    assert not report.healthy
    assert report.problems == (
        f"{server.host}:{server.port} did not answer PING: no answer in time",
    )
    assert 0.45 < took < 1.0
    figures("hung server reported in", f"{took:.3f} s")


async def test_a_closed_client_reports_it_is_closed(redis_stack: RedisServerInfo) -> None:
    r = Redis(redis_stack.host, redis_stack.port)
    await r.ping()
    await r.aclose()
    report = await r.health()
    assert not report.healthy
    assert "aclose() was called" in report.problems[0]


async def test_sentinel_clients_report_the_quorum_and_the_replicas(
    redis_sentinel: SentinelInfo, figures: Figure
) -> None:
    async with Sentinel(_sentinels(redis_sentinel)) as sentinel:
        primary = sentinel.primary_for(redis_sentinel.master_name)
        replica = sentinel.replica_for(redis_sentinel.master_name)
        on_primary = await primary.health()
        on_replica = await replica.health()
    assert on_primary.healthy, on_primary.problems
    assert on_primary.nodes[0].role == "primary"
    assert (
        on_primary.nodes[0].address
        == f"{redis_sentinel.primary.host}:{redis_sentinel.primary.port}"
    )
    report = on_primary.sentinel
    assert report is not None
    assert report.quorum_reached
    assert report.quorum_detail.startswith("OK 3 usable Sentinels")
    assert [r.address for r in report.healthy_replicas] == [
        f"{redis_sentinel.replica.host}:{redis_sentinel.replica.port}"
    ]
    replication = on_primary.nodes[0].replication
    assert replication is not None
    assert len(replication.replicas) == 1
    assert on_replica.healthy, on_replica.problems
    assert on_replica.nodes[0].role == "replica"
    assert on_replica.nodes[0].replication is not None
    assert on_replica.nodes[0].replication.link_up is True
    figures("sentinel health took", f"{on_primary.elapsed:.3f} s")


async def test_a_lost_sentinel_quorum_is_reported(
    redis_sentinel_factory: SentinelFactory, figures: Figure
) -> None:
    group = redis_sentinel_factory()
    async with Sentinel(_sentinels(group)) as sentinel:
        client = sentinel.primary_for(group.master_name)
        assert (await client.health()).healthy
        for dead in group.sentinels[1:]:
            assert dead.process is not None
            dead.process.kill()
        # The survivor needs down-after-milliseconds (1 s) to flag the others as down.
        deadline = time.monotonic() + 10
        report = await client.health(check_timeout=1.0)
        while report.sentinel is None or report.sentinel.quorum_reached:
            assert time.monotonic() < deadline, report
            await asyncio.sleep(0.25)
            report = await client.health(check_timeout=1.0)
    assert not report.healthy
    assert report.elapsed < 1.0
    assert report.nodes[0].healthy  # the primary itself is fine
    assert report.problems[0].startswith(f"sentinel quorum for {group.master_name!r} not reachable")
    down = [p for p in report.problems if p.startswith("sentinel ") and p.endswith(" is down")]
    assert len(down) == 2
    figures("quorum lost reported", "; ".join(report.problems))
