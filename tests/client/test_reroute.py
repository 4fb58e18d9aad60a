"""The executor's reroute hook: a redirect is followed when its error reply arrives.

A proxy forges one ``-MOVED`` reply from server A; the executor's ``Reroute`` re-runs the
command on server B, which the redirect names. The connection to A is never lost.

The same hook is offered a lost connection (for a command that may run again), a failed
connect, and, for notice only, a command timeout: a cluster re-runs such commands where the
topology puts their slot next, and learns that a node hangs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import pytest

from redis_oxide._client import Redis
from redis_oxide._client_config import build_config
from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection import Connection
from redis_oxide._connection_setup import FixedConnector
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionLostError,
    MovedError,
    RedisError,
    ServerError,
)
from redis_oxide._retry import Retry
from redis_oxide.testing import raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._ports import free_port
from redis_oxide.testing._proxy import TcpProxy
from redis_oxide.testing._raw import Endpoint

pytestmark = pytest.mark.timeout(30)


class FollowMoved:
    """A minimal reroute: run a MOVED command on the node the redirect names."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.nodes: dict[tuple[str, int], Redis[bytes]] = {}

    def __call__(
        self,
        error: ServerError,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any] | None:
        if not isinstance(error, MovedError):
            return None
        self.calls.append((meta.name, error.slot, error.port))
        node = self.nodes.setdefault((error.host, error.port), Redis(error.host, error.port))
        return node._execute(meta, tuple(args), parser)

    async def aclose(self) -> None:
        for node in self.nodes.values():
            await node.aclose()


def _client(proxy: TcpProxy, reroute: FollowMoved) -> Redis[bytes]:
    config = build_config(proxy.host, proxy.port, decode_responses=False, options={})
    return cast(Redis[bytes], Redis._over(config, FixedConnector(config.connection), reroute))


async def test_moved_reply_is_rerouted_without_losing_the_connection(
    redis_7: RedisServerInfo, flushed_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    raw_command(Endpoint(redis_7.host, redis_7.port), "SET", "rr:k", "from-a")
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "rr:k", "from-b")
    moved = b"-MOVED 1234 %s:%d\r\n" % (flushed_stack.host.encode(), flushed_stack.port)
    proxy = await tcp_proxy(redis_7)
    reroute = FollowMoved()
    client = _client(proxy, reroute)
    try:
        # The first command connects (slow path); the forged reply arrives on it.
        proxy.rewrite_reply(b"$6\r\nfrom-a\r\n", moved)
        assert await client.get("rr:k") == b"from-b"
        conn = cast(Connection, client._server.strategy.sole)
        # Now on the fast path: the hook takes the caller's future over.
        proxy.rewrite_reply(b"$6\r\nfrom-a\r\n", moved)
        assert await client.get("rr:k") == b"from-b"
        assert proxy.pending_rewrites == 0
        assert reroute.calls == [("GET", 1234, flushed_stack.port)] * 2
        assert client._server.strategy.sole is conn
        assert conn.is_available()
        assert client.stats().reconnects == 0
        assert await client.get("rr:k") == b"from-a"  # unforged replies come from A
    finally:
        await client.aclose()
        await reroute.aclose()


async def test_without_a_reroute_the_caller_gets_the_redirect(
    redis_7: RedisServerInfo, tcp_proxy: Any
) -> None:
    raw_command(Endpoint(redis_7.host, redis_7.port), "SET", "rr:k", "from-a")
    proxy = await tcp_proxy(redis_7)
    async with Redis(proxy.host, proxy.port) as client:
        await client.ping()
        proxy.rewrite_reply(b"$6\r\nfrom-a\r\n", b"-MOVED 1234 127.0.0.1:1\r\n")
        with pytest.raises(MovedError) as caught:
            await client.get("rr:k")
        assert (caught.value.slot, caught.value.port) == (1234, 1)
        assert await client.get("rr:k") == b"from-a"


class RunElsewhere:
    """A reroute that re-runs every command it is offered on another server, and records it."""

    def __init__(self, other: RedisServerInfo) -> None:
        self.other = Redis(other.host, other.port)
        self.seen: list[tuple[str, type[BaseException]]] = []

    def __call__(
        self,
        error: RedisError,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any] | None:
        self.seen.append((meta.name, type(error)))
        if isinstance(error, CommandTimeoutError):
            return None
        return self.other._execute(meta, tuple(args), parser)


def _over(host: str, port: int, reroute: Any, **options: Any) -> Redis[bytes]:
    config = build_config(host, port, decode_responses=False, options=options)
    return cast(Redis[bytes], Redis._over(config, FixedConnector(config.connection), reroute))


async def test_a_lost_connection_is_offered_to_the_reroute_for_a_read(
    redis_7: RedisServerInfo, flushed_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "rr:lost", "from-b")
    proxy = await tcp_proxy(redis_7)
    reroute = RunElsewhere(flushed_stack)
    client = _over(proxy.host, proxy.port, reroute)
    try:
        await client.ping()
        proxy.stall()
        pending = asyncio.ensure_future(client.get("rr:lost"))
        await asyncio.sleep(0.05)  # the GET is written and held by the proxy
        proxy.cut()
        assert await pending == b"from-b"
        assert reroute.seen == [("GET", ConnectionLostError)]
    finally:
        proxy.resume()
        await client.aclose()
        await reroute.other.aclose()


async def test_a_write_that_may_have_run_is_not_offered_to_the_reroute(
    redis_7: RedisServerInfo, flushed_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(redis_7)
    reroute = RunElsewhere(flushed_stack)
    client = _over(proxy.host, proxy.port, reroute)
    try:
        await client.ping()
        proxy.stall()
        pending = asyncio.ensure_future(client.set("rr:write", "v"))
        await asyncio.sleep(0.05)
        proxy.cut()
        with pytest.raises(ConnectionLostError) as caught:
            await pending
        assert caught.value.may_have_executed
        assert reroute.seen == []
    finally:
        proxy.resume()
        await client.aclose()
        await reroute.other.aclose()


async def test_a_failed_connect_is_offered_to_the_reroute(flushed_stack: RedisServerInfo) -> None:
    raw_command(Endpoint(flushed_stack.host, flushed_stack.port), "SET", "rr:connect", "from-b")
    reroute = RunElsewhere(flushed_stack)
    # A port nobody listens on: the connect is refused, nothing was sent.
    client = _over("127.0.0.1", free_port(), reroute, retry=Retry(attempts=1))
    try:
        assert await client.set("rr:connect", "written-on-b")
        assert await client.get("rr:connect") == b"written-on-b"
        assert [kind for _, kind in reroute.seen] == [ConnectFailedError, ConnectFailedError]
    finally:
        await client.aclose()
        await reroute.other.aclose()


async def test_a_timeout_is_shown_to_the_reroute_and_still_raised(
    redis_7: RedisServerInfo, flushed_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(redis_7)
    reroute = RunElsewhere(flushed_stack)
    client = _over(proxy.host, proxy.port, reroute, command_timeout=0.2)
    try:
        await client.ping()
        proxy.stall()
        with pytest.raises(CommandTimeoutError):
            await client.get("rr:slow")
        assert reroute.seen == [("GET", CommandTimeoutError)]
    finally:
        proxy.resume()
        await client.aclose()
        await reroute.other.aclose()
