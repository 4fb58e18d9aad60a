"""A reply that does not fit its model fails its own pipeline slot, as a server error does.

The other commands of the batch keep their results: in the list ``execute()`` returns with
``raise_on_error=False``, and in their handles when ``execute()`` raises the first error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import AggregateResult, RedisCluster
from redis_oxide._client import Redis
from redis_oxide._generated import _reply_parsers as _rp
from redis_oxide.exceptions import ReplyDecodeError, WrongTypeError
from redis_oxide.testing import ClusterInfo
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.types import (
    FtAggregateGroupby,
    FtAggregateGroupbyReduce,
    FtCreateField,
    FtCreateNumeric,
    FtCreateTag,
)

pytestmark = pytest.mark.timeout(60)

#: CLIENT INFO text whose ``id`` is not a number: it cannot become a ``ClientInfo``.
NOT_CLIENT_INFO = "id=abc addr=127.0.0.1:1 name= db=0"


@pytest.mark.parametrize("transaction", [False, True])
async def test_model_failure_raised_by_execute_leaves_the_other_handles_their_values(
    flushed_stack: RedisServerInfo, transaction: bool
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        pipe = r.pipeline(transaction=transaction)
        wrote = pipe.set("k", "v")
        bad = pipe.execute_command("ECHO", NOT_CLIENT_INFO, parser=_rp.reply_client_info)
        failed = pipe.execute_command("LPUSH", "k", "x")  # a server error in the same run
        read = pipe.get("k")
        with pytest.raises(ReplyDecodeError) as caught:
            await pipe.execute()
        assert caught.value.position == 1
        assert await wrote is True
        assert await read == "v"
        with pytest.raises(ReplyDecodeError):
            await bad
        with pytest.raises(WrongTypeError):
            await failed

        pipe = r.pipeline(transaction=transaction, raise_on_error=False)
        pipe.execute_command("ECHO", NOT_CLIENT_INFO, parser=_rp.reply_client_info)
        pipe.get("k")
        bad_slot, value = await pipe.execute()
        assert isinstance(bad_slot, ReplyDecodeError)
        assert value == "v"


async def test_aggregate_with_a_null_row_value_runs_in_a_pipeline(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.ft.create(
            "idx",
            [
                FtCreateField(field_name="tags", field_type=FtCreateTag()),
                FtCreateField(field_name="opt", field_type=FtCreateNumeric()),
            ],
            prefix=["d:"],
        )
        await r.hset("d:1", {"tags": "x"})
        reduce = FtAggregateGroupbyReduce(function="FIRST_VALUE", arg=["@opt"], name="fo")
        groupby = [FtAggregateGroupby(property=["@tags"], reduce=[reduce])]
        for _ in range(100):  # indexed in the background
            if (await r.ft.search("idx", "*")).total == 1:
                break
            await asyncio.sleep(0.01)
        pipe = r.pipeline()
        pipe.set("k", "v")
        pipe.ft.aggregate("idx", "*", groupby=groupby)
        pipe.get("k")
        wrote, aggregated, read = await pipe.execute()
    assert wrote is True
    assert read == "v"
    assert isinstance(aggregated, AggregateResult)
    assert aggregated.rows == [{"tags": "x", "fo": None}]


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[Any]]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as client:
        yield client


async def test_cluster_pipeline_model_failure_fills_only_its_slot(
    cluster: RedisCluster[Any],
) -> None:
    keys = [f"model:{i}" for i in range(12)]  # spread over the three primaries
    await cluster.set("model:bad", NOT_CLIENT_INFO)
    async with cluster.pipeline() as pipe:
        for key in keys:
            pipe.set(key, key)
    pipe = cluster.pipeline(raise_on_error=False)
    reads = [pipe.get(key) for key in keys]
    pipe.execute_command("GET", "model:bad", parser=_rp.reply_client_info)
    results = await pipe.execute()
    assert results[:-1] == keys
    assert isinstance(results[-1], ReplyDecodeError)
    assert [await read for read in reads] == keys

    pipe = cluster.pipeline()
    reads = [pipe.get(key) for key in keys]
    pipe.execute_command("GET", "model:bad", parser=_rp.reply_client_info)
    with pytest.raises(ReplyDecodeError) as caught:
        await pipe.execute()
    assert caught.value.position == len(keys)
    assert [await read for read in reads] == keys
