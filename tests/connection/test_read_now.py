"""``Connection.read_now``: what the socket holds, read before the loop's next turn.

It reads only a plain stream socket, feeds ``data_received`` as the loop would, and leaves
an end of stream to the transport, so the connection ends as it would have.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import time
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Redis
from redis_oxide._connection import Connection, ConnectionState
from redis_oxide._connection_io import IoCounters, count_io
from redis_oxide._connection_setup import ConnectionConfig, build_ssl_context, open_connection
from redis_oxide._exceptions import ConnectionLostError
from redis_oxide._generated import _meta as _m
from redis_oxide.exceptions import ConnectionClosedByPeer
from redis_oxide.testing._info import RedisServerInfo, TLSServerInfo

if TYPE_CHECKING:
    from redis_oxide.testing._proxy import ProxyFactory

pytestmark = pytest.mark.timeout(30)

# Long enough for a loopback server to answer, short of asyncio's slow-callback warning.
_ANSWERED = 0.05


def _hold_the_loop() -> None:
    # Time for the server's bytes to arrive while the loop reads nothing.
    time.sleep(_ANSWERED)


def _answered_meanwhile(conn: Connection) -> asyncio.Future[object]:
    # A PING written now, and time for its reply to arrive without the loop running.
    future = conn.send(["PING"], None, _m.PING)
    conn.flush()
    _hold_the_loop()
    return future


async def test_read_now_delivers_a_reply_the_loop_has_not_read(redis_7: RedisServerInfo) -> None:
    conn = await open_connection(ConnectionConfig(host=redis_7.host, port=redis_7.port))
    try:
        future = _answered_meanwhile(conn)
        assert not future.done()
        assert conn.read_now() is True
        assert future.done()
        assert future.result() == b"PONG"
        assert conn.read_now() is False  # nothing more to read
        assert await conn.send(["PING"], None, _m.PING) == b"PONG"  # the stream is in step
    finally:
        await conn.aclose()


async def test_read_now_leaves_an_end_of_stream_to_the_transport(
    redis_7: RedisServerInfo,
) -> None:
    conn = await open_connection(ConnectionConfig(host=redis_7.host, port=redis_7.port))
    try:
        async with Redis(redis_7.host, redis_7.port) as admin:
            killed = await admin.execute_command(
                "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"
            )
        assert killed == 1
        _hold_the_loop()  # the end of stream is in the socket
        assert conn.read_now() is False
        async with asyncio.timeout(5):
            await conn.wait_closed()
        assert conn.state is ConnectionState.BROKEN
        assert isinstance(conn.cause, ConnectionClosedByPeer)
        assert conn.read_now() is False
    finally:
        await conn.aclose()


async def test_read_now_fails_the_connection_on_a_reset(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    conn = await open_connection(ConnectionConfig(host=proxy.host, port=proxy.port))
    try:
        blocked = conn.send(["BLPOP", "read-now-reset", "10"], None, _m.BLPOP)
        await asyncio.sleep(0.1)  # BLPOP is in the server's hands
        proxy.reset()  # a TCP RST to the client, from the proxy's socket closed next turn
        await asyncio.sleep(0)  # that turn: this task runs before the loop reads the RST
        _hold_the_loop()
        assert conn.read_now() is False
        assert conn.state is ConnectionState.BROKEN  # at once, as the transport would have
        cause = conn.cause
        assert type(cause) is ConnectionResetError
        assert cause.errno == errno.ECONNRESET
        with pytest.raises(ConnectionLostError) as lost:
            await blocked
        assert lost.value.__cause__ is cause
    finally:
        await conn.aclose()


async def test_read_now_does_not_read_a_tls_socket(redis_tls: TLSServerInfo) -> None:
    context: ssl.SSLContext = build_ssl_context(
        ca_certs=str(redis_tls.ca_cert),
        certfile=str(redis_tls.client_cert),
        keyfile=str(redis_tls.client_key),
    )
    config = ConnectionConfig(host=redis_tls.host, port=redis_tls.port, ssl_context=context)
    conn = await open_connection(config)
    try:
        future = _answered_meanwhile(conn)
        assert conn.read_now() is False  # ciphertext: only the transport reads it
        assert not future.done()
        assert await future == b"PONG"
    finally:
        await conn.aclose()


async def test_read_now_does_not_read_past_counted_bytes(redis_7: RedisServerInfo) -> None:
    conn = await open_connection(ConnectionConfig(host=redis_7.host, port=redis_7.port))
    io = IoCounters()
    count_io(conn, io)
    try:
        future = _answered_meanwhile(conn)
        assert conn.read_now() is False  # the counting protocol reads it, and counts it
        assert await future == b"PONG"
        assert io.read == len(b"+PONG\r\n")
    finally:
        await conn.aclose()
