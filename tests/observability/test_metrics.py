"""Metric points, read from the SDK's in-memory reader after real commands.

Every metric in ``redis_oxide._telemetry.METRICS`` (the list the docs print) is produced
here by something a client really does: commands, batches, errors, timeouts, waits for a
pooled connection, a reconnect. Attributes follow the database conventions.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from redis_oxide import Redis, Retry
from redis_oxide._telemetry import METRICS
from redis_oxide.exceptions import CommandTimeoutError, PoolTimeoutError, WrongTypeError
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing._proxy import ProxyFactory
from redis_oxide.testing.plugin import ServerFactory
from tests.conftest import Figure
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)


def _pool(server: RedisServerInfo) -> str:
    return f"{server.host}:{server.port}/0"


async def test_commands_and_batches_record_durations_by_operation_and_outcome(
    redis_stack: RedisServerInfo, otel: Recorded, figures: Figure
) -> None:
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.set(key, "v")
        await r.get(key)
        async with r.pipeline() as pipe:
            for i in range(10):
                pipe.set(f"{key}:{i}", "v")
        async with r.pipeline(transaction=True) as tx:
            tx.incr(f"{key}:n")
            tx.get(key)
        with pytest.raises(WrongTypeError):
            await r.hget(key, "f")
        await r.delete(key, f"{key}:n", *(f"{key}:{i}" for i in range(10)))
        points = otel.points()
        durations = {
            attrs["db.operation.name"]: (attrs, p)
            for attrs, p in points["db.client.operation.duration"]
        }
        assert set(durations) == {"SET", "GET", "PIPELINE SET", "MULTI", "HGET", "DEL"}
        attrs, point = durations["GET"]
        assert attrs == {
            "db.system.name": "redis",
            "db.operation.name": "GET",
            "db.namespace": "0",
            "server.address": redis_stack.host,
            "server.port": redis_stack.port,
        }
        assert point.count == 1
        assert 0 < point.sum < 5
        assert durations["HGET"][0]["error.type"] == "WRONGTYPE"
        assert durations["HGET"][0]["db.response.status_code"] == "WRONGTYPE"
        errors = points["redis.client.errors"]
        assert [(a["db.operation.name"], a["error.type"], p.value) for a, p in errors] == [
            ("HGET", "WRONGTYPE", 1)
        ]
        # Gauges observed from the client's own counts.
        pool = _pool(redis_stack)
        states = {
            a["db.client.connection.state"]: p.value
            for a, p in points["db.client.connection.count"]
            if a["db.client.connection.pool.name"] == pool
        }
        assert states == {"idle": 0, "used": 1}  # the one shared connection
        io = {
            a["network.io.direction"]: p.value
            for a, p in points["redis.client.network.io"]
            if a["db.client.connection.pool.name"] == pool
        }
        stats = r.stats()
        assert io == {"transmit": stats.bytes_written, "receive": stats.bytes_read}
        assert stats.bytes_written > 10 * len(f"{key}:0")
        for name in ("redis.client.commands.in_flight", "db.client.connection.max"):
            assert [a["db.client.connection.pool.name"] for a, _ in points[name]] == [pool]
        figures("metrics with points", len(points))
        figures("bytes written / read", f"{stats.bytes_written} / {stats.bytes_read}")


async def test_timeouts_pool_waits_and_reconnects_are_counted(
    redis_stack: RedisServerInfo, otel: Recorded, tcp_proxy: ProxyFactory, figures: Figure
) -> None:
    proxy = await tcp_proxy(redis_stack)
    # A command timeout: the proxy holds the reply back.
    async with Redis(
        proxy.host, proxy.port, command_timeout=5, retry=Retry(attempts=1), telemetry=otel.telemetry
    ) as r:
        await r.ping()
        proxy.stall()
        with pytest.raises(CommandTimeoutError):
            await r.with_options(command_timeout=0.2).get("otel:stalled")
        proxy.resume()
        # A reconnect: the connection is cut, the next command connects again.
        await r.ping()
        proxy.cut()
        for _ in range(50):
            try:
                await r.ping()
                break
            except Exception:
                await asyncio.sleep(0.02)
        assert r.stats().reconnects == 1
    # Pool waits and a pool timeout: one pooled connection, two callers.
    async with Redis(
        redis_stack.host,
        redis_stack.port,
        strategy="pooled",
        max_connections=1,
        pool_timeout=0.2,
        telemetry=otel.telemetry,
    ) as pooled:
        await asyncio.gather(pooled.ping(), pooled.ping(), pooled.ping())
        blocker = asyncio.ensure_future(pooled.blpop(["otel:never"], timeout=1))
        await asyncio.sleep(0.05)
        with pytest.raises(PoolTimeoutError):
            await pooled.ping()
        await blocker
        points = otel.points()
    timeouts = points["redis.client.operation.timeouts"]
    assert [(a["db.operation.name"], p.value) for a, p in timeouts] == [("GET", 1)]
    get = [a for a, _ in points["db.client.operation.duration"] if a["db.operation.name"] == "GET"]
    assert get[0]["error.type"] == "CommandTimeoutError"
    reconnects = {
        a["db.client.connection.pool.name"]: p.value for a, p in points["redis.client.reconnects"]
    }
    assert reconnects[f"{proxy.host}:{proxy.port}/0"] == 1
    pool = _pool(redis_stack)
    waits = [
        p
        for a, p in points["db.client.connection.wait_time"]
        if a["db.client.connection.pool.name"] == pool
    ]
    assert waits
    assert waits[0].count >= 2
    pool_timeouts = [
        p.value
        for a, p in points["db.client.connection.timeouts"]
        if a["db.client.connection.pool.name"] == pool
    ]
    assert pool_timeouts == [1]
    created = [
        p.count
        for a, p in points["db.client.connection.create_time"]
        if a["db.client.connection.pool.name"] == pool
    ]
    assert created == [1]
    figures("pool wait points", waits[0].count)


async def test_every_listed_metric_is_created_with_its_unit(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.ping()
        data = otel.reader.get_metrics_data()
    assert data is not None
    units = {
        metric.name: metric.unit
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    # Counters without an event yet have no point; the observed ones always do.
    observed = {m.name for m in METRICS if m.kind in ("gauge", "observable_counter")}
    assert observed <= set(units)
    for spec in METRICS:
        if spec.name in units:
            assert units[spec.name] == spec.unit


async def test_every_pooled_acquisition_records_one_wait(
    redis_server_factory: ServerFactory, otel: Recorded
) -> None:
    # The conventions' wait_time is the time to obtain a connection, once per acquisition:
    # an idle connection (about 0 s) and a new one (its connect) count as much as a wait.
    server = redis_server_factory("7")
    async with Redis(
        server.host, server.port, strategy="pooled", telemetry=otel.telemetry
    ) as pooled:
        for _ in range(9):
            await pooled.ping()
        points = otel.points()
    waits = [
        p
        for a, p in points["db.client.connection.wait_time"]
        if a["db.client.connection.pool.name"] == _pool(server)
    ]
    assert [p.count for p in waits] == [9]
    created = [
        p.count
        for a, p in points["db.client.connection.create_time"]
        if a["db.client.connection.pool.name"] == _pool(server)
    ]
    assert created == [1]
