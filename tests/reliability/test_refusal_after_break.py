"""A command offered to a connection that broke is refused as lost, not as closed.

``ConnectionClosedError`` is kept for a connection the user closed (``aclose()``); a
connection whose server went away, or that redis-oxide gave up, refuses later commands with
``ConnectionLostError`` chained from what broke it, and nothing was sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import ConnectionClosedError, ConnectionLostError
from redis_oxide.testing import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_watch_block_on_a_killed_connection_gets_connection_lost(
    redis_7: RedisServerInfo, strategy: Any
) -> None:
    key = f"refusal:{strategy}"
    async with (
        Redis(redis_7.host, redis_7.port, strategy=strategy, command_timeout=5.0) as client,
        Redis(redis_7.host, redis_7.port, command_timeout=5.0) as admin,
    ):

        async def read_after_kill() -> None:
            async with client.watch(key) as tx:
                connection_id = await tx.client_id()
                assert await admin.execute_command("CLIENT", "KILL", "ID", connection_id) == 1
                await asyncio.sleep(0.3)  # the connection reads the close meanwhile
                await tx.get(key)

        with pytest.raises(ConnectionLostError) as caught:
            await read_after_kill()
        error = caught.value
        assert not isinstance(error, ConnectionClosedError)
        assert error.may_have_executed is False
        assert isinstance(error.__cause__, ConnectionError)
        assert error.address == f"{redis_7.host}:{redis_7.port}"
        assert "refuses new commands" in str(error)
        # The client goes on with a new connection.
        assert await client.set(key, "after") is True
        assert await client.get(key) == b"after"


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_watch_block_after_aclose_stays_connection_closed(
    redis_7: RedisServerInfo, strategy: Any
) -> None:
    client = Redis(redis_7.host, redis_7.port, strategy=strategy, command_timeout=5.0)
    key = f"refusal:closed:{strategy}"

    async def read_after_aclose() -> None:
        async with client.watch(key) as tx:
            await tx.get(key)
            await client.aclose()
            await tx.get(key)

    with pytest.raises(ConnectionClosedError) as caught:
        await read_after_aclose()
    assert caught.value.may_have_executed is False
    assert caught.value.__cause__ is None
