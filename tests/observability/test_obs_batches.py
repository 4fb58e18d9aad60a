"""Spans of batches on a standalone client, against the Redis Stack fixture.

- A pipeline of one command is that command's span (``GET``, no batch size), as the
  OpenTelemetry conventions model a batch of one operation; a transaction stays ``MULTI``.
- A pipeline or a transaction whose ``execute()`` raises a command's error ends its span
  with status ``ERROR`` and that error's ``error.type`` and ``db.response.status_code``, and
  so does its duration point; a batch whose commands all succeed stays unset.
"""

from __future__ import annotations

import uuid

import pytest
from opentelemetry.trace import StatusCode

from redis_oxide import Redis
from redis_oxide.exceptions import WrongTypeError
from redis_oxide.testing import RedisServerInfo
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)


async def test_a_pipeline_of_one_command_is_a_single_operation(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:one:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        otel.spans_exporter.clear()
        async with r.pipeline() as pipe:
            pipe.get(key)
        async with r.pipeline(transaction=True) as tx:
            tx.get(key)
        points = otel.points()

    assert [s.name for s in otel.spans()] == ["GET", "MULTI GET"]
    get = otel.span("GET")
    assert (get.attributes or {})["db.operation.name"] == "GET"
    assert "db.operation.batch.size" not in (get.attributes or {})
    names = {a["db.operation.name"] for a, _ in points["db.client.operation.duration"]}
    assert names == {"GET", "MULTI GET"}


@pytest.mark.parametrize("transaction", [False, True])
async def test_a_batch_whose_execute_raises_ends_its_span_with_the_error(
    redis_stack: RedisServerInfo, otel: Recorded, transaction: bool
) -> None:
    key = f"otel:fails:{uuid.uuid4().hex}"
    name = "MULTI" if transaction else "PIPELINE"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.rpush(key, "a")
        otel.spans_exporter.clear()
        pipe = r.pipeline(transaction=transaction)
        pipe.incr(key)  # WRONGTYPE: the key holds a list
        pipe.lrange(key, 0, -1)
        with pytest.raises(WrongTypeError):
            await pipe.execute()
        async with r.pipeline(transaction=transaction) as fine:
            fine.llen(key)
            fine.lrange(key, 0, -1)
        points = otel.points()
        await r.delete(key)

    failed, ok = [s for s in otel.spans() if s.name == name]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description is None
    attributes = dict(failed.attributes or {})
    assert attributes["error.type"] == "WRONGTYPE"
    assert attributes["db.response.status_code"] == "WRONGTYPE"
    assert attributes["db.operation.batch.size"] == 2
    assert ok.status.status_code is StatusCode.UNSET
    assert "error.type" not in (ok.attributes or {})

    durations = [a for a, _ in points["db.client.operation.duration"]]
    assert [a.get("error.type") for a in durations if a["db.operation.name"] == name] in (
        ["WRONGTYPE", None],
        [None, "WRONGTYPE"],
    )
    errors = [a for a, _ in points["redis.client.errors"]]
    # The failed command is counted once, by its own name (not again as the batch).
    assert [(a["db.operation.name"], a["error.type"]) for a in errors] == [("INCR", "WRONGTYPE")]
