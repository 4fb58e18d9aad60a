"""Telemetry of a cluster client on the six-node cluster, in the SDK's in-memory exporters.

- After a MOVED, the command's duration point names the node it ran on (the new owner), as
  its span does; a command that then fails there keeps that node in its span and point.
- A split MGET's child on a node that serves one of its slots is that node's ``MGET``
  (no batch size); a node serving several slots gets ``PIPELINE MGET`` with the size.
- With ``Telemetry(statement="redacted")`` the span of a call over several nodes (a split
  command, a fan-out, a pipeline) carries ``db.query.text`` like the nodes' spans.
- A cluster pipeline whose ``execute()`` raises a command's error ends its span with it.
"""

from __future__ import annotations

import dataclasses
import uuid
from itertools import count

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import WrongTypeError
from redis_oxide.testing import ClusterInfo
from tests.cluster._migrate import elsewhere, move_slot, owner_of
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)


def _port(span: ReadableSpan) -> object:
    return (span.attributes or {}).get("server.port")


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


@pytest.mark.parametrize("fails", [False, True])
async def test_after_a_moved_the_duration_point_names_the_node_it_ran_on(
    redis_cluster: ClusterInfo, otel: Recorded, fails: bool
) -> None:
    key = f"otel:moved:{uuid.uuid4().hex}"
    slot = key_slot(key)
    source, target = elsewhere(redis_cluster, slot)
    async with RedisCluster(
        source.host, source.port, telemetry=otel.telemetry, topology_refresh_interval=None
    ) as cluster:
        if fails:
            await cluster.rpush(key, "a")  # GET on a list: WRONGTYPE where it runs
        else:
            await cluster.set(key, "v")
        move_slot(redis_cluster, source, target, slot)
        try:
            otel.spans_exporter.clear()
            if fails:
                with pytest.raises(WrongTypeError):
                    await cluster.get(key)  # MOVED, then the new owner refuses it
            else:
                assert await cluster.get(key) == b"v"  # MOVED, then the new owner
            points = otel.points()
            await cluster.delete(key)
        finally:
            move_slot(redis_cluster, target, source, slot)

    get = otel.span("GET")
    assert _port(get) == target.port
    assert [e.name for e in get.events] == ["redis.rerun"]
    if fails:
        assert get.status.status_code is StatusCode.ERROR
        assert (get.attributes or {})["error.type"] == "WRONGTYPE"
    durations = [a for a, _ in points["db.client.operation.duration"]]
    gets = [a for a in durations if a["db.operation.name"] == "GET"]
    assert [(a["server.address"], a["server.port"]) for a in gets] == [(target.host, target.port)]
    assert gets[0].get("error.type") == ("WRONGTYPE" if fails else None)


def _keys_for_split(cluster: ClusterInfo) -> tuple[list[str], int, int]:
    # Two slots on one primary and one slot on another: the first node's part is a batch of
    # two MGETs, the second's a single MGET.
    tag = uuid.uuid4().hex
    by_port: dict[int, dict[int, str]] = {}
    for i in count():
        key = f"otel:split:{tag}:{i}"
        by_port.setdefault(owner_of(cluster, key_slot(key)).port, {}).setdefault(key_slot(key), key)
        several = [p for p, slots in by_port.items() if len(slots) >= 2]
        if several and len(by_port) >= 2:
            two = several[0]
            one = next(p for p in by_port if p != two)
            keys = list(by_port[two].values())[:2] + list(by_port[one].values())[:1]
            return keys, two, one
    raise AssertionError("unreachable")


async def test_split_children_and_call_spans_are_named_and_texted_like_node_spans(
    redis_cluster: ClusterInfo, otel: Recorded
) -> None:
    keys, two, one = _keys_for_split(redis_cluster)
    telemetry = dataclasses.replace(otel.telemetry, statement="redacted")
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, telemetry=telemetry) as cluster:
        await cluster.mset(dict.fromkeys(keys, "v"))
        otel.spans_exporter.clear()
        assert await cluster.mget(*keys) == [b"v"] * 3
        async with cluster.pipeline() as pipe:
            for key in keys:
                pipe.set(key, "w")
        await cluster.dbsize()
        spans = otel.spans()
        await cluster.delete(*keys)

    (mget,) = [s for s in spans if s.name == "MGET" and s.parent is None]
    assert (mget.attributes or {})["db.query.text"] == " ".join(["MGET", *keys])
    parts = {_port(s): s for s in _children(spans, mget)}
    assert set(parts) == {two, one}
    assert parts[one].name == "MGET"
    assert "db.operation.batch.size" not in (parts[one].attributes or {})
    assert parts[two].name == "PIPELINE MGET"
    assert (parts[two].attributes or {})["db.operation.batch.size"] == 2

    (pipeline,) = [s for s in spans if s.name == "PIPELINE SET" and s.parent is None]
    assert (pipeline.attributes or {})["db.query.text"] == "\n".join(f"SET {k} ?" for k in keys)
    (dbsize,) = [s for s in spans if s.name == "DBSIZE" and s.parent is None]
    assert (dbsize.attributes or {})["db.query.text"] == "DBSIZE"
    assert _children(spans, dbsize)


async def test_a_cluster_pipeline_whose_execute_raises_ends_its_span_with_the_error(
    redis_cluster: ClusterInfo, otel: Recorded
) -> None:
    tag = uuid.uuid4().hex
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, telemetry=otel.telemetry) as cluster:
        await cluster.rpush(f"otel:{tag}:list", "a")
        otel.spans_exporter.clear()
        pipe = cluster.pipeline()
        pipe.incr(f"otel:{tag}:list")  # WRONGTYPE
        pipe.set(f"otel:{tag}:other", "v")
        with pytest.raises(WrongTypeError):
            await pipe.execute()
        spans = otel.spans()
        await cluster.delete(f"otel:{tag}:list", f"otel:{tag}:other")

    (call,) = [s for s in spans if s.name == "PIPELINE" and s.parent is None]
    assert call.status.status_code is StatusCode.ERROR
    assert (call.attributes or {})["error.type"] == "WRONGTYPE"


async def test_the_slot_map_load_is_not_a_span_of_the_caller(
    redis_cluster: ClusterInfo, otel: Recorded
) -> None:
    # The topology query is the client's own business, like the handshake: no span, no point.
    first = redis_cluster.primaries[0]
    async with RedisCluster(first.host, first.port, telemetry=otel.telemetry) as cluster:
        await cluster.get(f"otel:shards:{uuid.uuid4().hex}")
        names = [s.name for s in otel.spans()]
        points = otel.points()
    assert names == ["GET"]
    operations = {a["db.operation.name"] for a, _ in points["db.client.operation.duration"]}
    assert operations == {"GET"}
