"""Binary replies (DUMP, FUNCTION DUMP) stay bytes on a decoding client, alone and batched."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any, Literal

import pytest

from redis_oxide._client import Redis
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._generated import _meta as _m
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

# Not UTF-8 (0xff never starts a character): decoding the DUMP of this value as text fails.
PAYLOAD = b"\xff\xfe binary \x00\x80 payload"

Protocol = Literal[2, 3]
PROTOCOLS: list[Protocol] = [2, 3]


def _key() -> str:
    return f"binary-test:{uuid.uuid4().hex}"


async def _seed(info: RedisServerInfo, key: str, value: bytes) -> None:
    async with Redis(info.host, info.port) as raw:
        await raw.set(key, value)


async def _raw_value(info: RedisServerInfo, key: str) -> bytes | None:
    async with Redis(info.host, info.port) as raw:
        return await raw.get(key)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_dump_returns_bytes_and_restore_round_trips_on_a_str_client(
    redis_stack: RedisServerInfo, protocol: Protocol, strategy: Literal["multiplexed", "pooled"]
) -> None:
    key, copy = _key(), _key()
    await _seed(redis_stack, key, PAYLOAD)
    async with Redis(
        redis_stack.host,
        redis_stack.port,
        decode_responses=True,
        protocol=protocol,
        strategy=strategy,
    ) as client:
        dumped = await client.dump(key)
        assert isinstance(dumped, bytes)
        with pytest.raises(UnicodeDecodeError):
            dumped.decode("utf-8")
        assert await client.restore(copy, 0, dumped) is True
        # The raw call is classified from the same metadata, so it is read undecoded too.
        assert await client.execute_command("DUMP", key) == dumped
        assert await client.dump(_key()) is None
        # The connection still decodes everything else.
        assert await client.echo("héllo") == "héllo"
    assert await _raw_value(redis_stack, copy) == PAYLOAD


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_binary_replies_interleave_with_decoded_ones(
    redis_stack: RedisServerInfo, protocol: Protocol
) -> None:
    key = _key()
    big = os.urandom(300_000) + b"\xff"  # arrives over many reads
    await _seed(redis_stack, key, big)
    async with Redis(redis_stack.host, redis_stack.port) as raw:
        await raw.hset(key + ":h", {"fïeld": "välue"})
    async with Redis(
        redis_stack.host, redis_stack.port, decode_responses=True, protocol=protocol
    ) as client:
        results = await asyncio.gather(
            client.echo("before"),
            client.dump(key),
            client.hgetall(key + ":h"),
            client.dump(key),
            client.echo("after"),
        )
        assert results[0] == "before"
        assert isinstance(results[1], bytes)
        assert results[1] == results[3]
        assert results[2] == {"fïeld": "välue"}
        assert results[4] == "after"
        copy = _key()
        assert await client.restore(copy, 0, results[1])
        assert await client.strlen(copy) == len(big)
    assert await _raw_value(redis_stack, copy) == big


@pytest.mark.parametrize("decoder", ["hiredis", "python"])
async def test_connection_reads_only_binary_entries_undecoded(
    redis_stack: RedisServerInfo, decoder: Literal["hiredis", "python"]
) -> None:
    key = _key()
    await _seed(redis_stack, key, PAYLOAD)
    conn = await open_connection(
        ConnectionConfig(
            host=redis_stack.host, port=redis_stack.port, encoding="utf-8", decoder=decoder
        )
    )
    try:
        futures = [
            conn.send(["ECHO", "a"], None, _m.ECHO),
            conn.send(["DUMP", key], None, _m.DUMP),
            conn.send(["ECHO", "b"], None, _m.ECHO),
        ]
        batch = conn.send_batch(
            b"".join([b"*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n", b"*2\r\n$4\r\nDUMP\r\n" + _bulk(key)]),
            [None, None],
            [_m.ECHO, _m.DUMP],
            binary=[1],
        )
        echo_a, dumped, echo_b = await asyncio.gather(*futures)
        echo_c, dumped_again = await batch
        assert (echo_a, echo_b, echo_c) == ("a", "b", "c")
        assert isinstance(dumped, bytes)
        assert dumped == dumped_again
        assert "pending=0" in repr(conn)
        assert await conn.send(["ECHO", "d"], None, _m.ECHO) == "d"
    finally:
        await conn.aclose()


def _bulk(text: str) -> bytes:
    data = text.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("transaction", [False, True])
async def test_pipeline_keeps_binary_slots_bytes_and_decodes_the_rest(
    redis_stack: RedisServerInfo, protocol: Protocol, transaction: bool
) -> None:
    key, copy, text_key = _key(), _key(), _key()
    await _seed(redis_stack, key, PAYLOAD)
    async with Redis(
        redis_stack.host, redis_stack.port, decode_responses=True, protocol=protocol
    ) as client:
        async with client.pipeline(transaction=transaction) as pipe:
            pipe.set(text_key, "tëxt")
            dumped = pipe.result(pipe.dump(key))
            raw = pipe.execute_command("DUMP", key)
            pipe.hset(text_key + ":h", {"f": "välue"})
            fields = pipe.result(pipe.hgetall(text_key + ":h"))
            text = pipe.result(pipe.get(text_key))
        assert isinstance(dumped.value, bytes)
        assert raw.value == dumped.value
        assert fields.value == {"f": "välue"}
        assert text.value == "tëxt"
        async with client.pipeline(transaction=transaction) as pipe:
            restored = pipe.result(pipe.restore(copy, 0, dumped.value))
        assert restored.value is True
    assert await _raw_value(redis_stack, copy) == PAYLOAD


async def test_function_dump_is_bytes_and_restores(redis_stack: RedisServerInfo) -> None:
    name = f"binlib_{uuid.uuid4().hex[:12]}"
    code = (
        f"#!lua name={name}\n-- \xff marks a comment that is not UTF-8 once sent as latin-1\n"
        f"redis.register_function('{name}_f', function() return 1 end)\n"
    ).encode("latin-1")
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as client:
        try:
            assert await client.function_load(code) == name
            dumped = await client.function_dump()
            assert isinstance(dumped, bytes)
            assert b"\xff" in dumped
            await client.function_delete(name)
            assert await client.function_restore(dumped, policy="REPLACE") is True
            listed: Any = await client.execute_command("FUNCTION", "LIST", "LIBRARYNAME", name)
            assert len(listed) == 1
        finally:
            await client.execute_command("FUNCTION", "DELETE", name)
