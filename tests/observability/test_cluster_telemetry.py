"""Telemetry of a cluster client on the six-node cluster, in the SDK's in-memory exporters.

- A GET has one span naming the node that served it (``server.address``/``server.port``).
- A pipeline of 10 and a transaction have a span for the call (``db.operation.batch.size``,
  no ``server.*``: several nodes) and one child span per node's sub-batch, naming the node.
- A cluster MGET over several slots has a span for the call and a child span per slot's
  sub-command, each naming its node.
- A real MOVED (a slot moved behind the client's back) is counted in
  ``redis.client.redirects`` (``redis.redirect.type`` MOVED, the new owner) and the GET's
  span names the new owner, with a ``redis.rerun`` event. A real ASK (the key migrated out
  of a slot still migrating) is counted alike, as ``ASK`` on the node that answered.
- A ``with_options`` view is traced like its client: a span per call, on the node that
  served it, and redirects in the client's counters.
- A split MGET whose node stops answering (``DEBUG SLEEP``) past the view's timeout fails
  its span with ``error.type`` ``CommandTimeoutError``, and of its sub-spans only that node's.
- Durations and pool gauges are recorded per node; no span, metric attribute or
  ``redis_oxide.cluster`` log record holds the password or a value.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from redis_oxide import RedisCluster
from redis_oxide._cluster import ClusterExecutor
from redis_oxide._cluster._executor import ClusterCounters
from redis_oxide._executor import ServerExecutor
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command
from tests.cluster._asleep import asleep, key_on
from tests.cluster._migrate import (
    begin_migration,
    elsewhere,
    finish_migration,
    migrate_keys,
    move_slot,
    owner_of,
)
from tests.conftest import Figure
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)

SECRET = "s3cr3t-value-" + uuid.uuid4().hex
PASSWORD = "pw-" + uuid.uuid4().hex
USER = "oxide-otel"


@pytest.fixture
def cluster_user(redis_cluster: ClusterInfo) -> Iterator[str]:
    """An ACL user with a password on every node, removed afterwards."""
    for node in redis_cluster.nodes:
        raw_command(node.endpoint, "ACL", "SETUSER", USER, "on", f">{PASSWORD}", "~*", "+@all")
    try:
        yield USER
    finally:
        for node in redis_cluster.nodes:
            raw_command(node.endpoint, "ACL", "DELUSER", USER)


def _everything(span: ReadableSpan) -> str:
    parts = [span.name, str(dict(span.attributes or {})), str(span.status.description)]
    parts += [f"{e.name} {dict(e.attributes or {})}" for e in span.events]
    return " ".join(parts)


def _node(cluster: ClusterInfo, key: str) -> tuple[str, int]:
    owner = owner_of(cluster, key_slot(key))
    return owner.host, owner.port


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_command_batch_and_split_spans_name_their_nodes(
    redis_cluster: ClusterInfo,
    otel: Recorded,
    cluster_user: str,
    caplog: pytest.LogCaptureFixture,
    figures: Figure,
) -> None:
    caplog.set_level(logging.DEBUG, logger="redis_oxide")
    seed = redis_cluster.primaries[0]
    tag = uuid.uuid4().hex
    key = f"otel:{tag}:get"
    keys = [f"otel:{tag}:{i}" for i in range(10)]
    nodes = {(n.host, n.port) for n in redis_cluster.nodes}
    async with RedisCluster(
        seed.host, seed.port, username=cluster_user, password=PASSWORD, telemetry=otel.telemetry
    ) as cluster:
        await cluster.set(key, SECRET)
        otel.spans_exporter.clear()
        assert await cluster.get(key) == SECRET.encode()
        async with cluster.pipeline() as pipe:
            for name in keys:
                pipe.set(name, SECRET)
        async with cluster.pipeline(transaction=True) as tx:
            tx.incr(f"{{{tag}}}:n")
            tx.get(f"{{{tag}}}:v")
        assert await cluster.mget(*keys) == [SECRET.encode()] * 10
        points = otel.points()
        await cluster.delete(key, *keys, f"{{{tag}}}:n")

    spans = otel.spans()
    assert all(s.kind is SpanKind.CLIENT for s in spans)
    host, port = _node(redis_cluster, key)
    get = otel.span("GET")
    assert dict(get.attributes or {}) == {
        "db.system.name": "redis",
        "db.operation.name": "GET",
        "server.address": host,
        "server.port": port,
    }
    assert get.parent is None

    (pipeline,) = [s for s in spans if s.name == "PIPELINE SET" and s.parent is None]
    assert dict(pipeline.attributes or {}) == {
        "db.system.name": "redis",
        "db.operation.name": "PIPELINE SET",
        "db.operation.batch.size": 10,
    }
    parts = _children(spans, pipeline)
    assert len(parts) == len({_node(redis_cluster, k) for k in keys}) > 1
    assert sum(int((p.attributes or {}).get("db.operation.batch.size", 1)) for p in parts) == 10
    for part in parts:
        attributes = part.attributes or {}
        assert part.name == "PIPELINE SET"
        assert (attributes["server.address"], attributes["server.port"]) in nodes

    (multi,) = [s for s in spans if s.name == "MULTI" and s.parent is None]
    assert dict(multi.attributes or {})["db.operation.batch.size"] == 2
    assert "server.address" not in (multi.attributes or {})
    (on_node,) = _children(spans, multi)
    tx_host, tx_port = _node(redis_cluster, f"{{{tag}}}:n")
    assert (on_node.attributes or {})["server.address"] == tx_host
    assert (on_node.attributes or {})["server.port"] == tx_port

    (mget,) = [s for s in spans if s.name == "MGET" and s.parent is None]
    assert "server.address" not in (mget.attributes or {})
    # One pipeline of per-slot MGETs per node, each naming its node.
    sub = _children(spans, mget)
    assert len(sub) == len({_node(redis_cluster, k) for k in keys}) > 1
    sizes = [int((p.attributes or {}).get("db.operation.batch.size", 1)) for p in sub]
    assert sum(sizes) == len({key_slot(k) for k in keys})
    for part in sub:
        attributes = part.attributes or {}
        assert part.name == ("PIPELINE MGET" if "db.operation.batch.size" in attributes else "MGET")
        assert (attributes["server.address"], attributes["server.port"]) in nodes

    durations = points["db.client.operation.duration"]
    by_operation = {(a["db.operation.name"], a["server.port"]) for a, _ in durations}
    assert ("GET", port) in by_operation
    assert ("MULTI", tx_port) in by_operation
    assert {name for name, _ in by_operation} >= {"SET", "GET", "PIPELINE SET", "MULTI"}
    assert {name for name, _ in by_operation} & {"MGET", "PIPELINE MGET"}
    assert all("db.namespace" not in a for a, _ in durations)
    pools = {a["db.client.connection.pool.name"] for a, _ in points["db.client.connection.count"]}
    assert f"{host}:{port}" in pools

    texts = [_everything(s) for s in spans] + [str(a) for m in points.values() for a, _ in m]
    texts += [r.getMessage() + str(r.__dict__) for r in caplog.records]
    assert not [t for t in texts if SECRET in t or PASSWORD in t]
    figures("cluster spans for GET, pipeline, MULTI, MGET", len(spans))


def _one_redirect_to(
    target: NodeInfo, kind: str, points: dict[str, list[tuple[dict[str, Any], Any]]], otel: Recorded
) -> None:
    """One redirect of ``kind`` was counted, on ``target``; the GET span re-ran there."""
    (redirect,) = points["redis.client.redirects"]
    attributes, point = redirect
    assert attributes == {
        "db.system.name": "redis",
        "redis.redirect.type": kind,
        "server.address": target.host,
        "server.port": target.port,
    }
    assert point.value == 1
    get = otel.span("GET")
    assert (get.attributes or {})["server.port"] == target.port
    assert [(e.name, dict(e.attributes or {})) for e in get.events] == [
        ("redis.rerun", {"error.type": kind})
    ]


async def test_a_real_moved_is_counted_and_moves_the_span(
    redis_cluster: ClusterInfo, otel: Recorded, caplog: pytest.LogCaptureFixture, figures: Figure
) -> None:
    caplog.set_level(logging.DEBUG, logger="redis_oxide.cluster")
    key = f"otel:moved:{uuid.uuid4().hex}"
    slot = key_slot(key)
    source, target = elsewhere(redis_cluster, slot)
    async with RedisCluster(
        source.host, source.port, telemetry=otel.telemetry, topology_refresh_interval=None
    ) as cluster:
        await cluster.set(key, SECRET)
        move_slot(redis_cluster, source, target, slot)
        try:
            otel.spans_exporter.clear()
            assert await cluster.get(key) == SECRET.encode()  # MOVED, then the new owner
            points = otel.points()
            assert cluster.stats().moved == 1
            await cluster.delete(key)
        finally:
            move_slot(redis_cluster, target, source, slot)

    _one_redirect_to(target, "MOVED", points, otel)
    records = [r for r in caplog.records if r.name == "redis_oxide.cluster"]
    assert records
    assert all("redis.event" in r.__dict__ for r in records)
    assert not [r for r in records if SECRET in r.getMessage() + str(r.__dict__)]
    figures("cluster log events", sorted({str(r.__dict__["redis.event"]) for r in records}))


async def test_telemetry_off_binds_the_untraced_executors(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, telemetry=False) as cluster:
        await cluster.get("otel:off")
        executor = cluster._executor
        assert cluster._execute.__func__ is ClusterExecutor._execute  # type: ignore[attr-defined]  # a bound method
        assert "run_batch" not in vars(executor)
        assert "_split" not in vars(executor)
        assert type(executor.counters) is ClusterCounters
        assert {type(e) for _, e in executor.registry.items()} == {ServerExecutor}


async def test_a_cached_cluster_traces_what_reaches_the_nodes(
    redis_cluster: ClusterInfo, otel: Recorded
) -> None:
    seed = redis_cluster.primaries[0]
    key = f"otel:cached:{uuid.uuid4().hex}"
    async with RedisCluster(seed.host, seed.port, cache=True, telemetry=otel.telemetry) as cluster:
        await cluster.set(key, SECRET)
        otel.spans_exporter.clear()
        assert await cluster.get(key) == SECRET.encode()  # a miss: the node answers
        assert await cluster.get(key) == SECRET.encode()  # a hit: no call, no span
        assert cluster.cache is not None
        assert cluster.cache.hits == 1
        await cluster.delete(key)
    host, port = _node(redis_cluster, key)
    get = otel.span("GET")
    assert (get.attributes or {})["server.address"] == host
    assert (get.attributes or {})["server.port"] == port
    assert [s.name for s in otel.spans()] == ["GET", "DEL"]


async def test_a_views_calls_are_traced_once_on_the_node_that_served_them(
    redis_cluster: ClusterInfo, otel: Recorded
) -> None:
    seed = redis_cluster.primaries[0]
    key = f"otel:view:{uuid.uuid4().hex}"
    async with RedisCluster(seed.host, seed.port, cache=True, telemetry=otel.telemetry) as cluster:
        await cluster.set(key, SECRET)
        view = cluster.with_options(command_timeout=2.0, cache=False)
        otel.spans_exporter.clear()
        assert await view.get(key) == SECRET.encode()  # past the cache: the node answers
        assert await view.get(key) == SECRET.encode()
        async with view.pipeline(transaction=False) as pipe:
            pipe.get(key)
            pipe.get(key)
        assert cluster.cache is not None
        assert (cluster.cache.hits, cluster.cache.misses) == (0, 0)
        # The view shares the client's redirect counters, reported once.
        assert view._executor.counters is cluster._executor.counters
        await cluster.delete(key)
    host, port = _node(redis_cluster, key)
    names = [s.name for s in otel.spans()]
    assert names.count("GET") == 2
    assert "PIPELINE GET" in names
    for span in otel.spans():
        if span.name == "GET":
            assert (span.attributes or {})["server.address"] == host
            assert (span.attributes or {})["server.port"] == port


async def test_a_real_ask_is_counted_with_the_node_that_answered(
    redis_cluster: ClusterInfo, otel: Recorded, figures: Figure
) -> None:
    key = f"otel:ask:{uuid.uuid4().hex}"
    slot = key_slot(key)
    source, target = elsewhere(redis_cluster, slot)
    async with RedisCluster(
        source.host, source.port, telemetry=otel.telemetry, topology_refresh_interval=None
    ) as cluster:
        await cluster.set(key, SECRET)
        begin_migration(source, target, slot)
        try:
            assert migrate_keys(source, target, slot) >= 1  # the key now lives on the target
            otel.spans_exporter.clear()
            assert await cluster.get(key) == SECRET.encode()  # ASK, then ASKING on the target
            points = otel.points()
            assert (cluster.stats().asked, cluster.stats().moved) == (1, 0)
        finally:
            finish_migration(redis_cluster, source, target, slot)
            move_slot(redis_cluster, target, source, slot)
        await cluster.delete(key)

    _one_redirect_to(target, "ASK", points, otel)
    figures("ASK followed, counted on", f"{target.host}:{target.port}")


async def test_a_split_mget_with_a_node_asleep_fails_that_nodes_span_only(
    redis_cluster: ClusterInfo, otel: Recorded, figures: Figure
) -> None:
    seed = redis_cluster.primaries[0]
    sleepy = redis_cluster.primaries[1]
    keys = [key_on(redis_cluster, node, "otel:asleep") for node in redis_cluster.primaries]
    async with RedisCluster(
        seed.host, seed.port, command_timeout=5.0, telemetry=otel.telemetry
    ) as cluster:
        assert await cluster.mset({key: SECRET for key in keys})
        quick = cluster.with_options(command_timeout=0.15)
        otel.spans_exporter.clear()
        sleeper = await asleep(sleepy, 0.6)
        with pytest.raises(CommandTimeoutError):
            await quick.mget(*keys)
        await sleeper
        assert await quick.mget(*keys) == [SECRET.encode()] * len(keys)  # the node is back
        await cluster.delete(*keys)

    spans = otel.spans()
    failed, answered = [s for s in spans if s.name == "MGET" and s.parent is None]
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == "CommandTimeoutError"
    assert answered.status.status_code is StatusCode.UNSET
    parts = _children(spans, failed)
    by_port = {int((p.attributes or {})["server.port"]): p for p in parts}
    assert sorted(by_port) == sorted(n.port for n in redis_cluster.primaries)
    assert by_port[sleepy.port].status.status_code is StatusCode.ERROR
    assert (by_port[sleepy.port].attributes or {})["error.type"] == "CommandTimeoutError"
    others = [p for port, p in by_port.items() if port != sleepy.port]
    assert all(p.status.status_code is StatusCode.UNSET for p in others)
    assert all("error.type" not in (p.attributes or {}) for p in others)
    assert not [s for s in spans if SECRET in _everything(s)]
    figures(
        "split MGET, one node asleep: sub-spans failed / answered",
        f"{len(parts) - len(others)} / {len(others)}",
    )
