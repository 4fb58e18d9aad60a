"""Smoke tests: the fault proxy forwards, cuts, stalls and resets connections."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from redis_oxide.testing import ProxyState, RedisServerInfo, TcpProxy, encode_command
from redis_oxide.testing.plugin import ProxyFactory

pytestmark = pytest.mark.timeout(30)


async def _connect(proxy: TcpProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(proxy.host, proxy.port)


async def _ping(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(encode_command("PING"))
    await writer.drain()
    return await asyncio.wait_for(reader.readline(), 5)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    # The proxy may already have reset or cut this connection.
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def test_proxy_forwards_commands(redis_7: RedisServerInfo, tcp_proxy: ProxyFactory) -> None:
    proxy = await tcp_proxy(redis_7)
    assert proxy.url == f"redis://127.0.0.1:{proxy.port}"
    reader, writer = await _connect(proxy)
    assert await _ping(reader, writer) == b"+PONG\r\n"
    assert proxy.connection_count == 1
    await _close(writer)


async def test_cut_closes_open_connections_but_accepts_new_ones(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    reader, writer = await _connect(proxy)
    assert await _ping(reader, writer) == b"+PONG\r\n"
    proxy.cut()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    await _close(writer)
    reader, writer = await _connect(proxy)
    assert await _ping(reader, writer) == b"+PONG\r\n"
    await _close(writer)


async def test_stall_holds_bytes_until_resume(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    reader, writer = await _connect(proxy)
    assert await _ping(reader, writer) == b"+PONG\r\n"
    proxy.stall()
    assert proxy.state is ProxyState.STALLED
    writer.write(encode_command("ECHO", "held"))
    await writer.drain()
    pending = asyncio.ensure_future(reader.readline())
    done, _ = await asyncio.wait([pending], timeout=0.3)
    assert not done, "a stalled proxy delivered a reply"
    proxy.resume()
    assert await asyncio.wait_for(pending, 5) == b"$4\r\n"
    assert await asyncio.wait_for(reader.readline(), 5) == b"held\r\n"
    await _close(writer)


async def test_reset_aborts_connections_with_rst(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    reader, writer = await _connect(proxy)
    assert await _ping(reader, writer) == b"+PONG\r\n"
    proxy.reset()
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(), 5)
    await _close(writer)


async def test_closed_proxy_refuses_connections(
    redis_7: RedisServerInfo, tcp_proxy: ProxyFactory
) -> None:
    proxy = await tcp_proxy(redis_7)
    reader, writer = await _connect(proxy)
    assert await _ping(reader, writer) == b"+PONG\r\n"
    await proxy.aclose()
    assert proxy.connection_count == 0
    assert await asyncio.wait_for(reader.read(), 5) == b""
    await _close(writer)
    with pytest.raises(ConnectionRefusedError):
        await _connect(proxy)
