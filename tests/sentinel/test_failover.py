"""Failovers under load, on disposable sentinel groups (down-after-milliseconds 1000).

One task loops ``SET``/``GET`` with ``command_timeout=5`` while the test kills (SIGKILL) or
freezes (SIGSTOP) the primary. An independent listener records when each sentinel publishes
``+switch-master``; the figures compare the client's first successful write on the new
primary with the first notice. Each failover runs three times, each on a fresh group.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

import pytest

from redis_oxide import Retry, Sentinel
from redis_oxide._sentinel import SentinelConnector
from redis_oxide.exceptions import (
    CommandTimeoutError,
    ConnectionLostError,
    FailoverError,
    PrimaryNotFoundError,
    SentinelError,
)
from redis_oxide.testing import RedisServerInfo, SentinelInfo, raw_command
from redis_oxide.testing.plugin import SentinelFactory
from tests.sentinel._failover import SetGetLoop, eventually, looping, switch_log

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

COMMAND_TIMEOUT = 5.0
# What a busy two-core machine may add to a deadline.
SLACK = 0.25


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


def _server(client: Any) -> tuple[str, int] | None:
    connector = client._executor.strategy._connector  # white box: where it connected last
    assert isinstance(connector, SentinelConnector)
    return connector.server


def _on(server: RedisServerInfo) -> tuple[str, int]:
    return (server.host, server.port)


RUNS = [
    *((disrupt, "multiplexed", run) for disrupt in ("kill", "sigstop") for run in (1, 2, 3)),
    ("kill", "pooled", 1),
    ("sigstop", "pooled", 1),
]


@pytest.mark.parametrize(("disrupt", "strategy", "run"), RUNS)
async def test_failover_switches_at_the_notice_and_reads_nothing_wrong(
    redis_sentinel_factory: SentinelFactory,
    figures: Any,
    disrupt: Literal["kill", "sigstop"],
    strategy: Literal["multiplexed", "pooled"],
    run: int,
) -> None:
    group = redis_sentinel_factory()
    old, new = group.primary, group.replica
    assert old.process is not None
    async with Sentinel(_sentinels(group)) as sentinel, switch_log(group.sentinels) as switches:
        client = sentinel.primary_for(
            group.master_name, command_timeout=COMMAND_TIMEOUT, strategy=strategy
        )
        loop = SetGetLoop(client, "failover:k")
        async with looping(loop):
            await asyncio.sleep(0.3)
            assert loop.calls
            assert not loop.failures()
            disrupted = time.monotonic()
            if disrupt == "kill":
                old.process.kill()
            else:
                old.process.suspend()
            switched = await switches.wait_first(group.master_name, 20)
            await asyncio.sleep(0.3)
        assert _server(client) == _on(new)
    first_write = loop.first_write_after(disrupted)
    assert first_write is not None
    failed = loop.failures(disrupted)
    started = ", ".join(f"{c.op} sent at {c.started - disrupted:+.3f} s" for c in failed)
    figures(
        f"{disrupt} {strategy} run {run}",
        f"+switch-master at +{switched - disrupted:.3f} s, first write on the new primary "
        f"at +{first_write - disrupted:.3f} s ({(first_write - switched) * 1000:+.1f} ms after "
        f"the notice), failed calls: {len(failed)} ({loop.describe_failures(disrupted)}"
        f"{'; ' + started if started else ''}), "
        f"wrong values: {len(loop.wrong)}, longest call {loop.longest():.3f} s, "
        f"{len(loop.calls)} calls",
    )
    assert first_write - switched < (0.1 if disrupt == "kill" else 0.5)
    assert loop.wrong == []
    assert loop.longest() < COMMAND_TIMEOUT + SLACK
    # Only the call in flight when the primary went away may fail, saying whether it ran:
    # the one written before the client could see the connection die (or, SIGSTOP, the one
    # the frozen primary never answered). Every later call waited for the new primary.
    assert len(failed) <= 1
    for call in failed:
        assert isinstance(call.error, ConnectionLostError)
        assert call.started < switched
        if disrupt == "sigstop":
            assert isinstance(call.error.__cause__, FailoverError)
    assert raw_command(new.endpoint, "GET", "failover:k") == str(loop.acked).encode()


def _set_stats(server: RedisServerInfo) -> dict[str, int]:
    line = raw_command(server.endpoint, "INFO", "commandstats")
    assert isinstance(line, bytes)
    for row in line.decode().splitlines():
        if row.startswith("cmdstat_set:"):
            pairs = (item.split("=") for item in row.split(":", 1)[1].split(","))
            return {k: int(float(v)) for k, v in pairs if k in ("calls", "rejected_calls")}
    return {"calls": 0, "rejected_calls": 0}


def _role(server: RedisServerInfo) -> tuple[str, str]:
    info = raw_command(server.endpoint, "INFO", "replication")
    assert isinstance(info, bytes)
    fields = dict(row.split(":", 1) for row in info.decode().splitlines() if ":" in row)
    return fields.get("role", ""), fields.get("master_link_status", "")


async def test_old_primary_back_as_a_replica_never_gets_a_write(
    redis_sentinel_factory: SentinelFactory, figures: Any
) -> None:
    group = redis_sentinel_factory()
    old, new = group.primary, group.replica
    assert old.process is not None
    async with Sentinel(_sentinels(group)) as sentinel, switch_log(group.sentinels) as switches:
        client = sentinel.primary_for(
            group.master_name, command_timeout=COMMAND_TIMEOUT, client_name="oxide-loop"
        )
        loop = SetGetLoop(client, "failover:k")
        async with looping(loop):
            await asyncio.sleep(0.3)
            old.process.kill()
            await switches.wait_first(group.master_name, 20)
            await asyncio.sleep(0.2)
            await asyncio.to_thread(old.process.restart)
            restarted = time.monotonic()
            before = await asyncio.to_thread(_set_stats, old)
            # Back with its old configuration, it claims to be a primary until the sentinels
            # turn it into a replica (their INFO period is 10 s): the dangerous window.
            as_primary = before

            async def converted_yet() -> bool:
                nonlocal as_primary
                if await asyncio.to_thread(_role, old) == ("slave", "up"):
                    return True
                as_primary = await asyncio.to_thread(_set_stats, old)
                return False

            await eventually(converted_yet, 30, step=0.05)
            converted = time.monotonic()
            await asyncio.sleep(0.5)  # writes go on, and reach it only by replication
            loop.paused.set()
            await asyncio.sleep(0.05)
            assert raw_command(new.endpoint, "WAIT", 1, 2000) == 1
            after = await asyncio.to_thread(_set_stats, old)
            names = raw_command(old.endpoint, "CLIENT", "LIST")
    assert isinstance(names, bytes)
    figures(
        "old primary back",
        f"replica again {converted - restarted:.1f} s after its restart; its cmdstat_set "
        f"calls/rejected: {before['calls']}/{before['rejected_calls']} at restart, "
        f"{as_primary['calls']}/{as_primary['rejected_calls']} while it claimed to be "
        f"primary, {after['calls']}/{after['rejected_calls']} at the end (replicated); "
        f"wrong values: {len(loop.wrong)}, failed calls: {len(loop.failures())}",
    )
    assert before == as_primary == {"calls": 0, "rejected_calls": 0}
    assert after["rejected_calls"] == 0
    assert b"name=oxide-loop" not in names
    assert loop.wrong == []


async def test_lost_sentinels_do_not_disturb_and_all_down_is_a_clear_error(
    redis_sentinel_factory: SentinelFactory, figures: Any
) -> None:
    group = redis_sentinel_factory()
    by_port = {s.port: s for s in group.sentinels}
    async with Sentinel(_sentinels(group), sentinel_connect_timeout=0.5) as sentinel:
        topology = sentinel._topology  # white box: which subscriptions are up
        client = sentinel.primary_for(group.master_name, command_timeout=COMMAND_TIMEOUT)
        loop = SetGetLoop(client, "sentinels:k")
        async with looping(loop):
            await eventually(lambda: len(topology.subscriptions) == 3, 5)
            first, *others = group.sentinels
            assert first.process is not None
            first.process.kill()
            await eventually(lambda: len(topology.subscriptions) == 2, 5)
            await asyncio.sleep(0.3)
            assert loop.failures() == []
            # Every sentinel down: the connected client goes on; a new one gets a clear error.
            for other in others:
                assert other.process is not None
                other.process.kill()
            fresh = sentinel.primary_for(group.master_name, command_timeout=COMMAND_TIMEOUT)
            asked = time.monotonic()
            with pytest.raises(SentinelError) as caught:
                await fresh.ping()
            refused_after = time.monotonic() - asked
            assert type(caught.value) is SentinelError
            assert all(f":{port}: ConnectFailedError" in caught.value.message for port in by_port)
            await asyncio.sleep(0.3)
            assert loop.failures() == []
            assert topology.subscriptions == []
            # One sentinel back: the new client works, and its notices are followed again.
            await asyncio.to_thread(first.process.restart)
            back = time.monotonic()
            assert await fresh.ping()
            recovered_after = time.monotonic() - back
            await eventually(lambda: topology.subscriptions == [(first.host, first.port)], 10)
            resubscribed = time.monotonic() - back
    figures(
        "sentinels lost",
        f"one sentinel killed: 0 failed calls; all down: SentinelError after "
        f"{refused_after * 1000:.0f} ms; one back: first command ok "
        f"{recovered_after * 1000:.0f} ms later, subscribed again after "
        f"{resubscribed * 1000:.0f} ms; loop calls {len(loop.calls)}, failed "
        f"{len(loop.failures())}",
    )
    assert loop.failures() == []


async def test_with_no_primary_reachable_callers_wait_within_their_own_timeout(
    redis_sentinel_factory: SentinelFactory, figures: Any
) -> None:
    group = redis_sentinel_factory()
    # Primary and replica gone: the sentinels keep naming the dead primary, no failover.
    for server in (group.primary, group.replica):
        assert server.process is not None
        server.process.kill()
    resolve_timeout = 1.5
    async with Sentinel(_sentinels(group), resolve_timeout=resolve_timeout) as sentinel:
        quick = sentinel.primary_for(group.master_name, command_timeout=0.4)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            await quick.ping()
        quick_waited = time.monotonic() - started
        # No command_timeout; no strategy-level retries or long pauses, to see the connector's.
        patient = sentinel.primary_for(
            group.master_name, retry=Retry(attempts=1, backoff_base=0.05, backoff_cap=0.1)
        )
        started = time.monotonic()
        with pytest.raises(PrimaryNotFoundError, match=r"resolve_timeout=1\.5") as caught:
            await patient.ping()
        patient_waited = time.monotonic() - started
        # The outage is over its budget now: the next call fails after a single round of tries.
        started = time.monotonic()
        with pytest.raises(PrimaryNotFoundError):
            await patient.ping()
        then_waited = time.monotonic() - started
    figures(
        "no primary reachable",
        f"command_timeout=0.4 caller waited {quick_waited:.2f} s (CommandTimeoutError); "
        f"caller without one waited {patient_waited:.2f} s (PrimaryNotFoundError, "
        f"resolve_timeout={resolve_timeout}); next call failed after {then_waited:.2f} s",
    )
    assert "ConnectFailedError" in caught.value.message
    assert 0.4 <= quick_waited < 0.4 + SLACK
    assert resolve_timeout <= patient_waited < resolve_timeout + 1.0
    assert then_waited < 0.5
