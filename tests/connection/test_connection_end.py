"""How a connection ends, and what its callers are told: closed, reset, or unreadable.

- An end of stream (CLIENT KILL, a proxy closing the connection) is recorded as
  ``ConnectionClosedByPeer`` (still a ``ConnectionResetError``), a TCP reset as the socket's
  own ``ConnectionResetError``; ``Connection.cause`` shows it and the callers' messages say
  which it was.
- A ``ProtocolError`` names the server and the command whose reply was being read, like
  every other error.
"""

from __future__ import annotations

import asyncio
import errno
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide import Redis
from redis_oxide._connection import Connection, ConnectionState
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import ConnectFailedError, ConnectionLostError, ProtocolError
from redis_oxide._generated import _meta as _m
from redis_oxide._protocol import encode_commands
from redis_oxide.exceptions import ConnectionClosedByPeer
from redis_oxide.testing._info import RedisServerInfo, TLSServerInfo

if TYPE_CHECKING:
    from redis_oxide.testing._proxy import ProxyFactory, TcpProxy

pytestmark = pytest.mark.timeout(30)


async def _open_through(proxy: TcpProxy) -> Connection:
    return await open_connection(ConnectionConfig(host=proxy.host, port=proxy.port))


async def _blocked_then_ended(
    conn: Connection, end: Any, key: str
) -> tuple[ConnectionLostError, ConnectionLostError]:
    blocked = conn.send(["BLPOP", key, "10"], None, _m.BLPOP)
    await asyncio.sleep(0.1)  # BLPOP is in the server's hands
    await end()
    async with asyncio.timeout(5):
        with pytest.raises(ConnectionLostError) as lost:
            await blocked
        await conn.wait_closed()
    assert conn.state is ConnectionState.BROKEN
    with pytest.raises(ConnectionLostError) as refused:
        conn.send(["PING"], None, _m.PING)
    return lost.value, refused.value


@pytest.mark.parametrize("how", ["client kill", "proxy close"])
async def test_a_connection_the_peer_closed_says_end_of_stream(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory, how: str
) -> None:
    proxy = await tcp_proxy(redis_7)
    conn = await _open_through(proxy)
    address = f"{proxy.host}:{proxy.port}"

    async def end() -> None:
        if how == "proxy close":
            proxy.cut()  # the proxy closes both sides: a FIN to the client
            return
        async with Redis(redis_7.host, redis_7.port) as admin:
            killed = await admin.execute_command(
                "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"
            )
            assert killed == 1

    try:
        lost, refused = await _blocked_then_ended(conn, end, "end-of-stream")
    finally:
        await conn.aclose()
    assert str(lost).startswith(
        f"BLPOP was not answered: the server or the network closed the connection to {address} "
        "(end of stream: CLIENT KILL"
    )
    assert lost.may_have_executed is True
    cause = lost.__cause__
    assert isinstance(cause, ConnectionClosedByPeer)
    assert isinstance(cause, ConnectionResetError)  # ``except ConnectionResetError`` still works
    assert cause.errno is None
    assert conn.cause is cause
    assert refused.__cause__ is cause
    assert "ConnectionClosedByPeer('end of stream" in str(refused)


async def test_a_reset_connection_says_reset(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    conn = await _open_through(proxy)
    address = f"{proxy.host}:{proxy.port}"

    async def end() -> None:
        proxy.reset()  # a TCP RST to the client

    try:
        lost, refused = await _blocked_then_ended(conn, end, "reset")
    finally:
        await conn.aclose()
    assert str(lost).startswith(
        f"BLPOP was not answered: the server or the network reset the connection to {address} "
        "([Errno 104]"
    )
    cause = lost.__cause__
    assert type(cause) is ConnectionResetError
    assert cause.errno == errno.ECONNRESET
    assert conn.cause is cause
    assert refused.__cause__ is cause


async def test_a_connection_closed_on_purpose_has_no_cause(redis_7: RedisServerInfo) -> None:
    conn = await open_connection(ConnectionConfig(host=redis_7.host, port=redis_7.port))
    assert conn.cause is None
    await conn.aclose()
    assert conn.cause is None


async def test_bytes_that_are_not_resp_name_the_server_and_the_command(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    conn = await _open_through(proxy)
    address = f"{proxy.host}:{proxy.port}"
    try:
        proxy.rewrite_reply(b"$6\r\nmarker\r\n", b"@garbage\r\n")
        answered = conn.send(["PING"], None, _m.PING)
        read = conn.send(["ECHO", "marker"], None, _m.ECHO)
        behind = conn.send(["PING"], None, _m.PING)
        async with asyncio.timeout(5):
            assert await answered == b"PONG"
            with pytest.raises(ConnectionLostError) as lost:
                await read
            with pytest.raises(ConnectionLostError) as lost_behind:
                await behind
    finally:
        await conn.aclose()
    error = lost.value.__cause__
    assert isinstance(error, ProtocolError)
    assert (error.command, error.address) == ("ECHO", address)
    assert str(error).endswith(f"[command=ECHO address={address}]")
    assert conn.cause is error
    assert lost_behind.value.__cause__ is error
    assert str(lost_behind.value).startswith(
        f"PING was not answered: what {address} sent could not be read, so the connection "
        "was closed (Protocol error"
    )


async def test_bytes_that_are_not_resp_in_a_batch_name_the_command_of_their_slot(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    conn = await _open_through(proxy)
    try:
        proxy.rewrite_reply(b"$6\r\nmarker\r\n", b"@garbage\r\n")
        commands = [("PING",), ("ECHO", "marker"), ("PING",)]
        batch = conn.send_batch(encode_commands(commands), [None] * 3, [_m.PING, _m.ECHO, _m.PING])
        async with asyncio.timeout(5):
            with pytest.raises(ConnectionLostError) as lost:
                await batch
    finally:
        await conn.aclose()
    error = lost.value.__cause__
    assert isinstance(error, ProtocolError)
    assert (error.command, error.address) == ("ECHO", f"{proxy.host}:{proxy.port}")


async def test_a_reply_nobody_waits_for_names_the_server(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    conn = await _open_through(proxy)
    address = f"{proxy.host}:{proxy.port}"
    try:
        proxy.rewrite_reply(b"+PONG\r\n", b"+PONG\r\n+PONG\r\n")
        async with asyncio.timeout(5):
            assert await conn.send(["PING"], None, _m.PING) == b"PONG"
            await conn.wait_closed()
    finally:
        await conn.aclose()
    error = conn.cause
    assert isinstance(error, ProtocolError)
    assert (error.command, error.address) == (None, address)


async def test_a_handshake_answered_with_bytes_that_are_not_resp_says_so() -> None:
    async def web_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        await reader.read(100)
        writer.close()

    server = await asyncio.start_server(web_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    address = f"127.0.0.1:{port}"
    try:
        async with asyncio.timeout(5):
            with pytest.raises(ConnectFailedError) as failed:
                await open_connection(ConnectionConfig(host="127.0.0.1", port=port))
    finally:
        server.close()
        await server.wait_closed()
    assert str(failed.value).startswith(
        f"cannot connect to {address}: during the handshake, what {address} sent could not be "
        "read, so the connection was closed (Protocol error"
    )
    assert f": is {address} a Redis server? [address={address}]" in str(failed.value)
    lost = failed.value.__cause__
    assert isinstance(lost, ConnectionLostError)
    error = lost.__cause__
    assert isinstance(error, ProtocolError)
    assert (error.command, error.address) == ("HELLO", address)


async def test_a_plain_handshake_with_a_tls_server_suggests_tls(
    redis_tls: TLSServerInfo,
) -> None:
    address = f"{redis_tls.host}:{redis_tls.port}"
    async with asyncio.timeout(10):
        with pytest.raises(ConnectFailedError) as failed:
            await open_connection(ConnectionConfig(host=redis_tls.host, port=redis_tls.port))
    message = str(failed.value)
    # Redis drops a client that does not speak TLS: a reset, or a close if it read it all.
    assert message.startswith(f"cannot connect to {address}: during the handshake, the server")
    assert message.endswith(
        f": if the server requires TLS, pass ssl=True or use a rediss:// URL [address={address}]"
    )


async def test_on_unavailable_is_called_once_as_the_connection_stops_taking_commands(
    redis_7: RedisServerInfo,
) -> None:
    conn = await open_connection(ConnectionConfig(host=redis_7.host, port=redis_7.port))
    calls: list[tuple[ConnectionState, bool]] = []
    conn.on_unavailable = lambda: calls.append((conn.state, conn.available))
    try:
        assert await conn.send(["PING"], None, _m.PING) == b"PONG"
        assert calls == []
        conn.fail(ConnectionResetError("gone"))
        assert calls == [(ConnectionState.BROKEN, False)]  # at once, in the call
        conn.abort()
        await conn.wait_closed()
        assert calls == [(ConnectionState.BROKEN, False)]  # not again
    finally:
        await conn.aclose()
