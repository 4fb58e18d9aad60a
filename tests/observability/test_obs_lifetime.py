"""What telemetry keeps alive, against the Redis Stack fixture.

An application that builds its providers per test or per tenant gets them back: once its
clients are closed and dropped, neither a ``Telemetry`` setting nor the tracer and meter
providers it names are held by redis-oxide. A provider still in use keeps one set of
instruments, whose gauges keep their callbacks when a new setting names it again.
"""

from __future__ import annotations

import gc
import weakref

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import TracerProvider

from redis_oxide import Redis, Telemetry
from redis_oxide.testing import RedisServerInfo

pytestmark = pytest.mark.timeout(60)


async def test_closed_clients_leave_no_provider_alive(redis_stack: RedisServerInfo) -> None:
    providers: list[weakref.ref[object]] = []
    for _ in range(5):
        tracer_provider = TracerProvider()
        meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
        providers += [weakref.ref(tracer_provider), weakref.ref(meter_provider)]
        telemetry = Telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)
        async with Redis(redis_stack.host, redis_stack.port, telemetry=telemetry) as r:
            await r.get("otel:lifetime")
            async with r.pipeline() as pipe:
                pipe.get("otel:lifetime")
                pipe.get("otel:lifetime")
        tracer_provider.shutdown()
        meter_provider.shutdown()  # also drops the SDK's own exit hook
        del r, pipe, telemetry, tracer_provider, meter_provider
    gc.collect()
    assert [p for p in providers if p() is not None] == []


async def test_a_provider_in_use_keeps_its_gauges_for_a_new_setting(
    redis_stack: RedisServerInfo,
) -> None:
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    pool = f"{redis_stack.host}:{redis_stack.port}/0"
    for statement in ("off", "redacted"):  # a setting dropped, then another naming it
        telemetry = Telemetry(meter_provider=meter_provider, traces=False, statement=statement)
        async with Redis(redis_stack.host, redis_stack.port, telemetry=telemetry) as r:
            await r.get("otel:lifetime")
            data = reader.get_metrics_data()
            assert data is not None
            counts = [
                point.value
                for resource in data.resource_metrics
                for scope in resource.scope_metrics
                for metric in scope.metrics
                if metric.name == "db.client.connection.count"
                for point in metric.data.data_points
                if isinstance(point, NumberDataPoint)
                and (point.attributes or {}).get("db.client.connection.pool.name") == pool
            ]
            assert sum(counts) >= 1, statement
        del r, telemetry
        gc.collect()
    meter_provider.shutdown()
