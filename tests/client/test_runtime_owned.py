"""Commands the runtime owns are refused as raw calls, and the advice names a real API."""

from __future__ import annotations

import re

import pytest

import redis_oxide
from redis_oxide._client import Redis
from redis_oxide._exceptions import InvalidUsageError
from redis_oxide._generated._meta import RUNTIME_OWNED
from redis_oxide.testing._info import RedisServerInfo

# ``name(`` in the advice: ``client.x`` is a method of the client; a bare name is a method of
# the client or of what its methods return (pipeline, transaction, pub/sub), or a class of
# redis_oxide.
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_.]*)\(")
_SURFACES = (Redis, redis_oxide.Pipeline, redis_oxide.Transaction, redis_oxide.PubSub, redis_oxide)


@pytest.mark.parametrize("command", sorted(RUNTIME_OWNED))
def test_advice_names_an_api_that_exists(command: str) -> None:
    named = _CALL.findall(RUNTIME_OWNED[command])
    for name in named:
        owner, _, attribute = name.rpartition(".")
        if owner == "client":
            assert hasattr(Redis, attribute), f"{command}: {name}()"
        else:
            assert owner == "", f"{command}: {name}()"
            assert any(hasattr(surface, name) for surface in _SURFACES), f"{command}: {name}()"


@pytest.mark.parametrize("command", ["SELECT 1", "WATCH k", "MULTI", "SUBSCRIBE ch", "QUIT"])
async def test_raw_call_is_refused_with_the_advice(
    redis_stack: RedisServerInfo, command: str
) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as client:
        with pytest.raises(InvalidUsageError) as caught:
            await client.execute_command(*command.split())
        assert RUNTIME_OWNED[command.split()[0]] in str(caught.value)
        pipe = client.pipeline()
        with pytest.raises(InvalidUsageError):
            pipe.execute_command(*command.split())
