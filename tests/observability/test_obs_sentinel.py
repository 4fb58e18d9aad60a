"""Telemetry and health of Sentinel clients, against the sentinel group fixture.

- A Sentinel client learns its primary's address on its first connect: the first command's
  span and duration point name that address and port (never the name the client was given),
  on both strategies, and the pool's wait and connect histograms carry the same pool name
  as its gauges (``host:port/db``).
- A health report's "down" is the sentinels' ``s_down`` or ``o_down``: a primary the
  answering sentinel only flags ``disconnected`` (its own link, re-made for a while after a
  failover) is no problem, and the sentence says which kind of down it is.
"""

from __future__ import annotations

import uuid
from typing import Literal, cast

import pytest

from redis_oxide import Sentinel
from redis_oxide._health import sentinel_problems
from redis_oxide._sentinel_report import build_report
from redis_oxide.testing import SentinelInfo, raw_command
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_a_sentinel_clients_first_command_names_the_primary_it_ran_on(
    redis_sentinel: SentinelInfo, otel: Recorded, strategy: Literal["multiplexed", "pooled"]
) -> None:
    key = f"otel:sentinel:{uuid.uuid4().hex}"
    primary = redis_sentinel.primary
    sentinels = [(s.host, s.port) for s in redis_sentinel.sentinels]
    async with Sentinel(sentinels, telemetry=otel.telemetry) as sentinel:
        client = sentinel.primary_for(redis_sentinel.master_name, strategy=strategy)
        await client.set(key, "v")  # issued before the primary is known
        assert await client.get(key) == b"v"
        await client.delete(key)
        points = otel.points()

    where = {"server.address": primary.host, "server.port": primary.port}
    for span in otel.spans():
        attributes = dict(span.attributes or {})
        assert {k: attributes.get(k) for k in where} == where, (span.name, attributes)
    durations = points["db.client.operation.duration"]
    assert {a["db.operation.name"] for a, _ in durations} == {"SET", "GET", "DEL"}
    for attributes, _ in durations:
        assert {k: attributes.get(k) for k in where} == where, attributes

    pool = f"{primary.host}:{primary.port}/0"
    for name in ("db.client.connection.create_time", "db.client.connection.count"):
        assert {a["db.client.connection.pool.name"] for a, _ in points[name]} == {pool}, name
    waits = points.get("db.client.connection.wait_time", [])
    assert {a["db.client.connection.pool.name"] for a, _ in waits} <= {pool}


def _list(reply: object) -> list[object]:
    assert isinstance(reply, list)
    return cast("list[object]", reply)


def _record(reply: object) -> dict[str, str]:
    assert isinstance(reply, list)
    words = [w.decode() if isinstance(w, bytes) else str(w) for w in reply]
    return dict(zip(words[::2], words[1::2], strict=True))


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        ("master,disconnected", None),
        ("master,s_down", "as subjectively down (s_down"),
        ("master,s_down,o_down", "as objectively down (o_down"),
    ],
)
def test_only_s_down_or_o_down_make_a_sentinel_primary_a_problem(
    redis_sentinel: SentinelInfo, flags: str, problem: str | None
) -> None:
    asked = redis_sentinel.sentinels[0]
    name = redis_sentinel.master_name
    # The sentinel's own record of the primary, with the flags it has at such a moment.
    primary = _record(raw_command(asked.endpoint, "SENTINEL", "MASTER", name)) | {"flags": flags}
    endpoint = asked.endpoint
    replicas = [_record(r) for r in _list(raw_command(endpoint, "SENTINEL", "REPLICAS", name))]
    peers = [_record(p) for p in _list(raw_command(endpoint, "SENTINEL", "SENTINELS", name))]
    answer = raw_command(endpoint, "SENTINEL", "CKQUORUM", name)
    quorum = answer.decode() if isinstance(answer, bytes) else answer
    report = build_report(name, (asked.host, asked.port), primary, replicas, peers, quorum)

    about_primary = [p for p in sentinel_problems(report) if "flags primary" in p]
    assert report.primary.is_down is (problem is not None)
    if problem is None:
        assert about_primary == []
    else:
        address = f"{redis_sentinel.primary.host}:{redis_sentinel.primary.port}"
        (sentence,) = about_primary
        assert sentence.startswith(f"sentinel {asked.host}:{asked.port} flags primary {address} ")
        assert f"flags primary {address} {problem}" in sentence
