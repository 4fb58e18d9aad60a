"""The executor's reroute hook: a redirect is followed when its error reply arrives.

A proxy forges one ``-MOVED`` reply from server A; the executor's ``Reroute`` re-runs the
command on server B, which the redirect names. The connection to A is never lost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import pytest

from redis_oxide._client import Redis
from redis_oxide._client_config import build_config
from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection import Connection
from redis_oxide._connection_setup import FixedConnector
from redis_oxide._exceptions import MovedError, ServerError
from redis_oxide.testing import raw_command
from redis_oxide.testing._info import RedisServerInfo
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
