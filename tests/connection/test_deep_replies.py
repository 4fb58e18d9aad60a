"""A reply nested deeper than the decoder reads fails its own command, with a clear error.

Redis sends such replies (a Lua table converts up to about 8,000 levels deep); the decoders
read ``MAX_NESTING`` (hiredis' limit) and no more. The command gets a ``ProtocolError``
saying so, not a lost connection that a retry would run into again; the stream cannot be
resynchronised, so the connection closes and the commands behind it fail as on any lost
connection (reads run again on a new one).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Literal

import pytest

from redis_oxide import Redis
from redis_oxide._connection import ConnectionState
from redis_oxide._connection_setup import ConnectionConfig, open_connection
from redis_oxide._exceptions import ConnectionLostError, ProtocolError
from redis_oxide._generated import _meta as _m
from redis_oxide._protocol import MAX_NESTING, TOO_DEEP
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

# Returns a table nested ARGV[1] levels deep around the number 1.
_NESTED = """
local t = {1}
for _ = 2, tonumber(ARGV[1]) do t = {t} end
return t
"""


def _depth(reply: object) -> int:
    depth = 0
    while isinstance(reply, list):
        assert len(reply) == 1
        reply, depth = reply[0], depth + 1
    assert reply == 1
    return depth


async def test_a_too_deep_reply_fails_its_command_alone(redis_7: RedisServerInfo) -> None:
    key = f"deep:{uuid.uuid4().hex}"
    address = f"{redis_7.host}:{redis_7.port}"
    async with Redis(
        redis_7.host, redis_7.port, decode_responses=True, multiplexed_connections=1
    ) as r:
        await r.set(key, "value")
        assert _depth(await r.eval(_NESTED, arg=[MAX_NESTING])) == MAX_NESTING
        # One write: the GET waits behind the deep reply on the same connection.
        deep = asyncio.ensure_future(r.eval(_NESTED, arg=[2000]))
        read = asyncio.ensure_future(r.get(key))
        async with asyncio.timeout(10):
            with pytest.raises(ProtocolError) as caught:
                await deep
            assert await read == "value"  # a read behind it runs again on a new connection
            assert await r.ping() == "PONG"
    error = caught.value
    assert (error.command, error.address) == ("EVAL", address)
    assert error.message.startswith(
        f"the reply to EVAL nests arrays or maps more than {MAX_NESTING} levels deep"
    )
    assert "cjson.encode(value)" in error.message
    assert str(error).endswith(f"[command=EVAL address={address}]")
    assert isinstance(error.__cause__, ProtocolError)
    assert error.__cause__.message == TOO_DEEP


async def test_a_too_deep_reply_in_a_pipeline_fails_the_pipeline_with_that_error(
    redis_7: RedisServerInfo,
) -> None:
    async with Redis(redis_7.host, redis_7.port, decode_responses=True) as r:
        pipe = r.pipeline()
        pipe.ping()
        pipe.eval(_NESTED, arg=[2000])
        pipe.ping()
        async with asyncio.timeout(10):
            with pytest.raises(ProtocolError) as caught:
                await pipe.execute()
            assert await r.ping() == "PONG"
    assert caught.value.command == "EVAL"
    assert "more than 1024 levels deep" in caught.value.message


@pytest.mark.parametrize("decoder", ["hiredis", "python"])
async def test_the_connection_closes_with_the_deep_reply_as_its_cause(
    redis_7: RedisServerInfo, decoder: Literal["hiredis", "python"]
) -> None:
    address = f"{redis_7.host}:{redis_7.port}"
    conn = await open_connection(
        ConnectionConfig(host=redis_7.host, port=redis_7.port, decoder=decoder)
    )
    try:
        deep = conn.send(["EVAL", _NESTED, 0, MAX_NESTING + 1], None, _m.EVAL)
        behind = conn.send(["ECHO", "behind"], None, _m.ECHO)
        async with asyncio.timeout(10):
            with pytest.raises(ProtocolError) as caught:
                await deep
            with pytest.raises(ConnectionLostError) as lost:
                await behind
            await conn.wait_closed()
    finally:
        await conn.aclose()
    assert conn.state is ConnectionState.BROKEN
    assert conn.cause is caught.value
    assert lost.value.__cause__ is caught.value
    assert lost.value.may_have_executed is True
    assert str(lost.value).startswith(
        f"ECHO was not answered: what {address} sent could not be read, so the connection was "
        f"closed (the reply to EVAL nests arrays or maps more than {MAX_NESTING} levels deep"
    )
