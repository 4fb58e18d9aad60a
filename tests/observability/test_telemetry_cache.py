"""Telemetry of a client with a cache: the calls that reach the server, and no more.

A cache hit is answered from memory: it has no span and no duration point. Misses (with the
tracking connection up or not), writes, batches and views past the cache keep theirs, with
the server's address and the database.
"""

from __future__ import annotations

import uuid

import pytest

from redis_oxide import Redis, Telemetry
from redis_oxide.exceptions import CommandError
from redis_oxide.testing._info import RedisServerInfo
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(30)


def _get_points(otel: Recorded) -> int:
    points = otel.points().get("db.client.operation.duration", [])
    return sum(
        point.count for attributes, point in points if attributes.get("db.operation.name") == "GET"
    )


async def test_a_cache_hit_has_no_span_and_no_duration(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:cache:{uuid.uuid4().hex}"
    other = f"otel:cache:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, cache=True, telemetry=otel.telemetry) as r:
        await r.set(key, "v")
        await r.set(other, "w")
        otel.spans_exporter.clear()
        assert await r.get(key) == b"v"  # a miss: the tracking connection is made
        assert await r.get(other) == b"w"  # a miss on the tracking connection, up now
        for _ in range(20):
            assert await r.get(key) == b"v"  # hits
        assert r.cache is not None
        assert (r.cache.hits, r.cache.misses) == (20, 2)
        assert await r.with_options(cache=False).get(key) == b"v"  # past the cache
        await r.delete(key, other)
    names = [s.name for s in otel.spans()]
    assert names == ["GET", "GET", "GET", "DEL"]
    assert _get_points(otel) == 3
    for span in otel.spans():
        attributes = span.attributes or {}
        assert attributes["server.port"] == redis_stack.port
        assert attributes["db.namespace"] == "0"


async def test_a_cached_client_keeps_its_batch_and_view_spans(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:cache:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, cache=True, telemetry=otel.telemetry) as r:
        await r.set(key, "v")
        assert await r.get(key) == b"v"
        otel.spans_exporter.clear()
        view = r.with_options(command_timeout=2.0)
        assert await view.get(key) == b"v"  # a hit through the view: no span
        async with view.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.set(key, "w")
        assert await view.get(key) == b"w"  # the pipeline's write dropped the entry: a miss
        await r.delete(key)
    assert [s.name for s in otel.spans()] == ["PIPELINE", "GET", "DEL"]


async def test_statement_text_redacts_sentinel_credentials(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    telemetry = Telemetry(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider, statement="full"
    )
    async with Redis(redis_stack.host, redis_stack.port, telemetry=telemetry) as r:
        for args in (
            ("SENTINEL", "SET", "m", "auth-pass", "s3cretPW"),
            ("SENTINEL", "SET", "m", "auth-user", "s3cretUSER"),
            ("SENTINEL", "CONFIG", "SET", "sentinel-pass", "s3cretPW"),
            ("SENTINEL", "CONFIG", "SET", "sentinel-user", "s3cretUSER"),
        ):
            with pytest.raises(CommandError, match="unknown command"):  # not a sentinel
                await r.execute_command(*args)
    texts = [str((s.attributes or {}).get("db.query.text")) for s in otel.spans()]
    assert len(texts) == 4
    assert all("s3cret" not in text for text in texts), texts
    assert all(text.startswith("SENTINEL") for text in texts), texts
