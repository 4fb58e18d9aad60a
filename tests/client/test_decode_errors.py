"""A reply whose text does not decode fails only the command that read it."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest

from redis_oxide._client import Redis
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import ReplyDecodeError
from redis_oxide._generated import _meta as _m
from redis_oxide._transaction import Transaction
from redis_oxide.testing import parse_info, raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._raw import Endpoint

pytestmark = pytest.mark.timeout(30)

BAD = b"\xff\xfe not utf-8"


def _get_calls(info: RedisServerInfo) -> int:
    stats = parse_info(raw_command(Endpoint(info.host, info.port), "INFO", "commandstats"))
    line = str(stats.get("cmdstat_get", "calls=0"))
    return int(line.split("calls=")[1].split(",")[0])


@pytest.mark.parametrize("protocol", [2, 3])
async def test_undecodable_value_fails_its_command_and_nobody_else(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "bad", BAD)
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "good", "fine")
    async with Redis(
        flushed_stack.host, flushed_stack.port, decode_responses=True, protocol=protocol
    ) as client:
        await client.ping()
        before = _get_calls(flushed_stack)
        results = await asyncio.gather(
            client.get("good"),
            client.get("bad"),
            client.get("good"),
            return_exceptions=True,
        )
        assert results[0] == results[2] == "fine"
        error = results[1]
        assert isinstance(error, ReplyDecodeError)
        assert isinstance(error, ValueError)
        assert isinstance(error.__cause__, UnicodeDecodeError)
        assert "'bad'" in str(error)
        assert error.command == "GET"
        assert _get_calls(flushed_stack) - before == 3  # read once: never retried
        assert client.stats().reconnects == 0
        assert await client.get("good") == "fine"  # the same connection goes on


async def test_undecodable_value_fills_only_its_pipeline_slot(
    flushed_stack: RedisServerInfo,
) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "bad", BAD)
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        await client.set("good", "fine")
        pipe = client.pipeline(raise_on_error=False)
        pipe.get("good")
        pipe.get("bad")
        pipe.get("good")
        results = await pipe.execute()
        assert results[0] == results[2] == "fine"
        assert isinstance(results[1], ReplyDecodeError)
        assert results[1].position == 1
        tx = client.pipeline(transaction=True, raise_on_error=False)
        tx.dump("good")  # a binary reply: the EXEC reply is read undecoded, then decoded
        tx.get("bad")
        tx.get("good")
        dumped, bad, good = await tx.execute()
        assert isinstance(dumped, bytes)
        assert isinstance(bad, ReplyDecodeError)
        assert good == "fine"
        # Without a binary reply among them, too (the EXEC reply was decoded whole, and one
        # bad slot broke every slot with a TypeError).
        for raise_on_error in (False, True):
            tx = client.pipeline(transaction=True, raise_on_error=raise_on_error)
            bad_read, good_read = tx.get("bad"), tx.get("good")
            if raise_on_error:
                with pytest.raises(ReplyDecodeError, match="the reply to GET"):
                    await tx.execute()
            else:
                await tx.execute()
            with pytest.raises(ReplyDecodeError):
                await bad_read
            assert await good_read == "fine"

        async def read_both(t: Transaction[str]) -> list[str | None]:
            t.multi()
            t.get("good")
            t.get("bad")
            return []

        with pytest.raises(ReplyDecodeError):
            await client.transaction(read_both)
        assert client.stats().reconnects == 0


@pytest.mark.parametrize("errors", ["replace", "surrogateescape"])
async def test_other_error_handlers_return_text(
    flushed_stack: RedisServerInfo, errors: str
) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "bad", BAD)
    async with Redis(
        flushed_stack.host, flushed_stack.port, decode_responses=True, encoding_errors=errors
    ) as client:
        value = await client.get("bad")
        assert value == BAD.decode("utf-8", errors)


@pytest.mark.parametrize("decoder", ["hiredis", "python"])
async def test_both_decoders_keep_the_stream_in_step(
    flushed_stack: RedisServerInfo, decoder: Literal["hiredis", "python"]
) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "bad", BAD)
    config = ConnectionConfig(
        host=flushed_stack.host, port=flushed_stack.port, encoding="utf-8", decoder=decoder
    )
    conn = await open_connection(config)
    try:
        first = conn.send(("GET", "bad"), None, _m.GET)
        second = conn.send(("ECHO", "after"), None, _m.ECHO)
        with pytest.raises(ReplyDecodeError):
            await first
        assert await second == "after"
        assert conn.is_available()
    finally:
        await conn.aclose()


async def test_the_error_names_the_first_key_as_the_key_specs_find_it(
    flushed_stack: RedisServerInfo,
) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "bad", BAD)
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        with pytest.raises(ReplyDecodeError, match=r"EVAL of key 'mykey'"):
            await client.eval("return string.char(255)", key=["mykey"])
        with pytest.raises(ReplyDecodeError, match=r"the reply to EVAL is not"):
            await client.eval("return string.char(255)")  # no key: none named
        script = client.register_script("return redis.call('GET', KEYS[1])")
        with pytest.raises(ReplyDecodeError, match=r"EVALSHA of key 'bad'"):
            await script(["bad"])
        with pytest.raises(ReplyDecodeError, match=r"MGET of key 'good'"):
            await client.mget("good", "bad")
