"""Batches (one FIFO entry, one future for many commands) against a real server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from redis_oxide._connection import Connection
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import ServerError
from redis_oxide._generated import _meta as _m
from redis_oxide._protocol import encode_commands
from redis_oxide._raw_commands import lookup_meta
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _key() -> str:
    return f"batch-test:{uuid.uuid4().hex}"


async def _open(info: RedisServerInfo, **options: Any) -> Connection:
    return await open_connection(ConnectionConfig(host=info.host, port=info.port), **options)


def _batch(conn: Connection, commands: list[tuple[Any, ...]], parsers: list[Any]) -> Any:
    metas = [lookup_meta(command) for command in commands]
    return conn.send_batch(encode_commands(commands), parsers, metas)


async def test_slots_hold_values_server_errors_and_parser_failures_in_order(
    redis_stack: RedisServerInfo,
) -> None:
    conn = await _open(redis_stack)
    key, text = _key(), _key()
    try:
        commands: list[tuple[Any, ...]] = [
            ("SET", text, "abc"),
            ("INCR", text),  # a server error in the middle
            ("GET", text),
            ("GET", text),  # its parser fails
            ("INCR", key),
        ]
        replies = await _batch(conn, commands, [bool, None, bytes.decode, int, None])
        assert replies[0] is True
        assert isinstance(replies[1], ServerError)
        assert replies[1].code == "ERR"
        assert replies[1].command == "INCR"
        assert replies[1].address == conn.address
        assert replies[2] == "abc"
        assert isinstance(replies[3], ValueError)
        assert replies[4] == 1
        # The stream is still in step afterwards.
        assert await conn.send(("GET", key), None, _m.GET) == b"1"
    finally:
        await conn.aclose()


async def test_a_batch_spread_over_many_reads_counts_as_its_commands(
    redis_stack: RedisServerInfo,
) -> None:
    conn = await _open(redis_stack)
    key = _key()
    try:
        count = 20_000
        commands: list[tuple[Any, ...]] = [("RPUSH", key, b"x" * 50)] * count
        future = _batch(conn, commands, [None] * count)
        assert conn.pending_count == count
        single = conn.send(("LLEN", key), None, _m.LLEN)
        assert conn.pending_count == count + 1
        replies = await future
        assert replies == list(range(1, count + 1))
        assert await single == count
        assert conn.pending_count == 0
    finally:
        await conn.aclose()


async def test_push_frames_inside_a_batch_go_to_the_handler(
    redis_stack: RedisServerInfo,
) -> None:
    # The connection tracks the keys it reads, so its own SET invalidates one: the server's
    # push frame lands between the replies of the same batch.
    frames: list[Any] = []
    conn = await _open(redis_stack, push_handler=frames.append)
    key = _key()
    try:
        assert await conn.send(("CLIENT", "TRACKING", "ON"), None, _m.CLIENT_TRACKING) == b"OK"
        commands: list[tuple[Any, ...]] = []
        for index in range(50):
            commands += [("GET", key), ("SET", key, str(index))]
        replies = await _batch(conn, commands, [None] * len(commands))
        assert replies[0::2] == [None] + [str(i).encode() for i in range(49)]
        assert replies[1::2] == [b"OK"] * 50
        assert frames, "no invalidation arrived"
        assert all(frame[0] == b"invalidate" for frame in frames)
        assert await conn.send(("ECHO", "after"), None, _m.ECHO) == b"after"
    finally:
        await conn.aclose()


async def test_cancelled_batch_leaves_the_stream_in_step(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    key = _key()
    try:
        commands: list[tuple[Any, ...]] = [("INCR", key)] * 5_000
        future = _batch(conn, commands, [None] * len(commands))
        future.cancel()
        assert await conn.send(("GET", key), None, _m.GET) == b"5000"
        with pytest.raises(asyncio.CancelledError):
            await future
        assert not isinstance(await conn.send(("PING",), None, _m.PING), ServerError)
    finally:
        await conn.aclose()


async def test_batch_read_while_a_binary_reply_is_pending(redis_stack: RedisServerInfo) -> None:
    # A DUMP behind the batch switches the connection to its mixed reader (one decode flag
    # per reply) while the batch's replies are still coming: the batch entry must still
    # collect exactly its own replies, decoded, and the DUMP payload must stay bytes.
    conn = await open_connection(
        ConnectionConfig(host=redis_stack.host, port=redis_stack.port, encoding="utf-8")
    )
    key = _key()
    try:
        assert await conn.send(("SET", key, "v"), None, _m.SET) == "OK"
        count = 5_000
        commands: list[tuple[Any, ...]] = [("ECHO", str(i)) for i in range(count)]
        batch = _batch(conn, commands, [None] * count)
        dumped = conn.send(("DUMP", key), None, _m.DUMP)
        after = conn.send(("ECHO", "after"), None, _m.ECHO)
        assert await batch == [str(i) for i in range(count)]
        payload = await dumped
        assert isinstance(payload, bytes)
        assert await after == "after"
        assert conn.pending_count == 0
    finally:
        await conn.aclose()


@pytest.mark.parametrize("encoding", [None, "utf-8"])
async def test_binary_position_outside_the_batch_is_refused(
    redis_stack: RedisServerInfo, encoding: str | None
) -> None:
    conn = await open_connection(
        ConnectionConfig(host=redis_stack.host, port=redis_stack.port, encoding=encoding)
    )
    try:
        data = encode_commands([("ECHO", "a")])
        with pytest.raises(ValueError, match="outside the batch"):
            conn.send_batch(data, [None], [_m.ECHO], binary=[1])
        assert conn.pending_count == 0
        assert await conn.send(("ECHO", "b"), None, _m.ECHO) in (b"b", "b")
    finally:
        await conn.aclose()
