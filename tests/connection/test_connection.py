"""One connection against real servers: handshake, FIFO, coalescing, errors, states."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from redis_oxide._connection import Connection, ConnectionState
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionClosedError,
    ConnectionLostError,
    ConnectTimeoutError,
    ProtocolError,
    WrongTypeError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._protocol import make_decoder
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _key() -> str:
    return f"conn-test:{uuid.uuid4().hex}"


async def _open(info: Any, **options: Any) -> Connection:
    return await open_connection(ConnectionConfig(host=info.host, port=info.port, **options))


async def test_resp3_handshake_reports_protocol_and_library(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack, client_name="oxide-conn")
    try:
        assert conn.state is ConnectionState.READY
        assert conn.server_info[b"proto"] == 3
        info = await conn.send(["CLIENT", "INFO"], None, _m.CLIENT_INFO)
        assert b"lib-name=redis-oxide" in info
        assert b"name=oxide-conn" in info
        assert b"resp=3" in info
    finally:
        await conn.aclose()
    assert conn.is_closed()
    assert "CLOSED" in repr(conn)


async def test_resp2_handshake_selects_db_and_names_client(redis_7: RedisServerInfo) -> None:
    # 7.0 has no CLIENT SETINFO: its error must be ignored.
    conn = await _open(redis_7, protocol=2, db=3, client_name="oxide-resp2")
    try:
        info = await conn.send(["CLIENT", "INFO"], None, _m.CLIENT_INFO)
        assert b" db=3 " in info
        assert b"name=oxide-resp2" in info
        assert b"resp=2" in info
        assert conn.server_info is None
    finally:
        await conn.aclose()


async def test_replies_match_commands_in_order(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    try:
        futures = [conn.send(["ECHO", str(i)], None, _m.ECHO) for i in range(500)]
        assert await asyncio.gather(*futures) == [str(i).encode() for i in range(500)]
    finally:
        await conn.aclose()


async def test_commands_of_one_loop_turn_are_flushed_together(
    redis_stack: RedisServerInfo,
) -> None:
    conn = await _open(redis_stack)
    try:
        futures = [conn.send(["PING"], None, _m.PING) for _ in range(50)]
        assert "unsent=50" in repr(conn)
        await asyncio.sleep(0)
        assert "unsent=0" in repr(conn)
        assert await asyncio.gather(*futures) == [b"PONG"] * 50
    finally:
        await conn.aclose()


async def test_bad_argument_raises_before_anything_is_queued(
    redis_stack: RedisServerInfo,
) -> None:
    conn = await _open(redis_stack)
    try:
        with pytest.raises(TypeError):
            conn.send(["SET", _key(), None], None, _m.SET)  # type: ignore[list-item]
        assert conn.pending_count == 0
        assert await conn.send(["PING"], None, _m.PING) == b"PONG"
    finally:
        await conn.aclose()


async def test_parser_is_applied_and_a_parser_bug_fails_only_its_caller(
    redis_stack: RedisServerInfo,
) -> None:
    def broken(reply: Any) -> Any:
        raise ValueError("parser bug")

    conn = await _open(redis_stack)
    try:
        ok = conn.send(["ECHO", "12"], int, _m.ECHO)
        bad = conn.send(["PING"], broken, _m.PING)
        after = conn.send(["ECHO", "x"], None, _m.ECHO)
        assert await ok == 12
        with pytest.raises(ValueError, match="parser bug"):
            await bad
        assert await after == b"x"
        assert conn.state is ConnectionState.READY
    finally:
        await conn.aclose()


async def test_cancelled_caller_leaves_the_stream_in_sync(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    try:
        blocked = conn.send(["BLPOP", _key(), "0.2"], None, _m.BLPOP)
        after = conn.send(["ECHO", "mine"], None, _m.ECHO)
        blocked.cancel()
        # The late BLPOP reply is read and dropped; ECHO still gets its own reply.
        assert await after == b"mine"
        assert conn.state is ConnectionState.READY
        assert conn.pending_count == 0
    finally:
        await conn.aclose()


async def test_server_error_carries_command_address_and_code(
    redis_stack: RedisServerInfo,
) -> None:
    conn = await _open(redis_stack)
    key = _key()
    try:
        await conn.send(["LPUSH", key, "a"], None, _m.LPUSH)
        with pytest.raises(WrongTypeError) as caught:
            await conn.send(["GET", key], None, _m.GET)
        assert caught.value.command == "GET"
        assert caught.value.address == f"{redis_stack.host}:{redis_stack.port}"
        assert caught.value.code == "WRONGTYPE"
        assert conn.state is ConnectionState.READY
    finally:
        await conn.aclose()


async def test_push_frames_go_to_the_handler_never_to_callers(
    redis_stack: RedisServerInfo,
) -> None:
    frames: list[Any] = []
    key = _key()
    tracked = await open_connection(
        ConnectionConfig(host=redis_stack.host, port=redis_stack.port),
        push_handler=frames.append,
    )
    writer = await _open(redis_stack)
    try:
        assert await tracked.send(["CLIENT", "TRACKING", "ON"], None, _m.CLIENT_TRACKING) == b"OK"
        await tracked.send(["GET", key], None, _m.GET)
        await writer.send(["SET", key, "v"], None, _m.SET)
        # Each reply below must be its own, whatever push frames arrive in between.
        for i in range(20):
            assert await tracked.send(["ECHO", str(i)], None, _m.ECHO) == str(i).encode()
            if frames:
                break
            await asyncio.sleep(0.01)
        assert frames
        assert frames[0][0] == b"invalidate"
        assert frames[0][1] == [key.encode()]
    finally:
        await tracked.aclose()
        await writer.aclose()


async def test_server_killing_the_connection_fails_pending_and_breaks(
    redis_stack: RedisServerInfo,
) -> None:
    conn = await _open(redis_stack)
    admin = await _open(redis_stack)
    try:
        client_id = await conn.send(["CLIENT", "ID"], None, _m.CLIENT_ID)
        blocked = conn.send(["BLPOP", _key(), "5"], None, _m.BLPOP)
        await asyncio.sleep(0.05)
        await admin.send(["CLIENT", "KILL", "ID", client_id], None, _m.CLIENT_KILL)
        with pytest.raises(ConnectionLostError) as caught:
            await blocked
        assert caught.value.may_have_executed is True
        assert caught.value.command == "BLPOP"
        await conn.wait_closed()
        assert conn.state is ConnectionState.BROKEN
        # Broken, not closed on purpose: a refusal says the connection was lost.
        with pytest.raises(ConnectionLostError, match="broken") as refused:
            conn.send(["PING"], None, _m.PING)
        assert refused.value.may_have_executed is False
        assert isinstance(refused.value.__cause__, ConnectionError)
    finally:
        await conn.aclose()
        await admin.aclose()


async def test_garbage_from_the_server_breaks_the_connection() -> None:
    async def garbage_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"@not resp\r\n")
        await writer.drain()
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(garbage_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    conn = Connection(address=f"127.0.0.1:{port}", decoder=make_decoder(), loop=loop)
    try:
        await loop.create_connection(lambda: conn, "127.0.0.1", port)
        conn.begin_handshake()
        conn.mark_ready()
        first = conn.send(["PING"], None, _m.PING)
        second = conn.send(["PING"], None, _m.PING)
        for fut in (first, second):
            with pytest.raises(ConnectionLostError) as caught:
                await fut
            assert isinstance(caught.value.__cause__, ProtocolError)
        assert conn.state is ConnectionState.BROKEN
        with pytest.raises(ConnectionLostError, match="broken") as refused:
            conn.send(["PING"], None, _m.PING)
        assert isinstance(refused.value.__cause__, ProtocolError)
        assert refused.value.may_have_executed is False
    finally:
        await conn.aclose()
        server.close()
        await server.wait_closed()


async def test_per_command_timeout_fails_that_call_alone(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(redis_stack)
    conn = await _open(proxy)
    try:
        proxy.stall()
        short = conn.send(["ECHO", "short"], None, _m.ECHO, timeout=0.2)
        patient = conn.send(["ECHO", "patient"], None, _m.ECHO, timeout=10)
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError) as caught:
            await short
        assert 0.15 < time.monotonic() - started < 1.0
        assert caught.value.command == "ECHO"
        assert isinstance(caught.value, TimeoutError)
        proxy.resume()
        assert await patient == b"patient"
        assert await conn.send(["ECHO", "next"], None, _m.ECHO, timeout=1) == b"next"
        assert conn.state is ConnectionState.READY
    finally:
        await conn.aclose()


async def test_graceful_close_drains_replies_in_flight(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    futures = [conn.send(["ECHO", str(i)], None, _m.ECHO) for i in range(100)]
    await conn.aclose()
    assert conn.state is ConnectionState.CLOSED
    assert [f.result() for f in futures] == [str(i).encode() for i in range(100)]
    with pytest.raises(ConnectionClosedError):
        conn.send(["PING"], None, _m.PING)


async def test_abort_fails_pending_commands(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    blocked = conn.send(["BLPOP", _key(), "5"], None, _m.BLPOP)
    await asyncio.sleep(0.02)
    conn.abort()
    with pytest.raises(ConnectionClosedError):
        await blocked
    await conn.wait_closed()
    assert conn.state is ConnectionState.CLOSED


async def test_illegal_transition_is_refused(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    await conn.aclose()
    with pytest.raises(RuntimeError, match="illegal connection transition CLOSED -> READY"):
        conn.mark_ready()


async def test_unix_socket(redis_stack: RedisServerInfo) -> None:
    assert redis_stack.unix_path is not None
    conn = await open_connection(ConnectionConfig(unix_path=redis_stack.unix_path))
    try:
        assert conn.address == redis_stack.unix_path
        assert await conn.send(["PING"], None, _m.PING) == b"PONG"
    finally:
        await conn.aclose()


async def test_refused_connection_raises_connect_failed() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectFailedError) as caught:
        await open_connection(ConnectionConfig(port=port))
    assert caught.value.address == f"127.0.0.1:{port}"


async def test_silent_server_raises_connect_timeout(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(redis_stack)
    proxy.stall()
    started = time.monotonic()
    with pytest.raises(ConnectTimeoutError):
        await _open(proxy, connect_timeout=0.3)
    assert time.monotonic() - started < 2.0
    proxy.resume()


async def test_decoded_connection_returns_str(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack, encoding="utf-8")
    try:
        assert await conn.send(["ECHO", "héllo"], None, _m.ECHO) == "héllo"
    finally:
        await conn.aclose()


async def test_paused_reading_holds_replies_until_resumed(redis_stack: RedisServerInfo) -> None:
    conn = await _open(redis_stack)
    try:
        assert conn.is_reading()
        conn.pause_reading()
        conn.pause_reading()  # idempotent
        assert not conn.is_reading()
        reply = conn.send(["ECHO", "held"], None, _m.ECHO)
        await asyncio.sleep(0.1)  # the reply is in the socket buffer, not read
        assert not reply.done()
        conn.resume_reading()
        conn.resume_reading()
        assert conn.is_reading()
        assert await asyncio.wait_for(reply, 5) == b"held"
    finally:
        await conn.aclose()
    conn.resume_reading()  # a closed connection ignores it
    assert not conn.is_reading()
