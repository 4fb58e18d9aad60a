"""Commands whose spec leaves out or misnames arguments: DEBUG and RESTORE.

DEBUG's spec lists no arguments although its arity needs a subcommand; redis-oxide gives the
method the grammar the server reads. RESTORE's ``IDLETIME`` argument is named ``seconds`` in
the spec, which reads like a TTL; its parameter is ``idletime``.
"""

from __future__ import annotations

import inspect
import uuid
from datetime import timedelta

import pytest

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _key() -> str:
    return f"spec-gap-test:{uuid.uuid4().hex}"


async def test_debug_takes_its_subcommand_and_arguments(flushed_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        assert await r.debug("SLEEP", 0) == "OK"
        await r.set(key, "v")
        described = await r.debug("OBJECT", key)
        assert isinstance(described, str)
        assert "encoding:" in described
    assert list(inspect.signature(Redis.debug).parameters) == ["self", "subcommand", "arguments"]


async def test_restore_sends_idletime_by_its_name(flushed_stack: RedisServerInfo) -> None:
    source, copy = _key(), _key()
    async with Redis(flushed_stack.host, flushed_stack.port) as r:
        await r.rpush(source, "a", "b")
        dumped = await r.dump(source)
        assert dumped is not None
        # The slow log records every command with its arguments at a threshold of 0.
        await r.config_set({"slowlog-log-slower-than": 0})
        try:
            await r.slowlog_reset()
            assert await r.restore(copy, 0, dumped, idletime=timedelta(seconds=600)) is True
            logged = await r.slowlog_get(count=5)
        finally:
            await r.config_set({"slowlog-log-slower-than": 10000})
        restores = [e for e in logged if e.args[0].upper() == "RESTORE"]
        assert restores[0].args[-2:] == ["IDLETIME", "600"]
        assert await r.ttl(copy) == -1  # an idle time, not a time to live
        with pytest.raises(TypeError, match=r"^RESTORE: idletime must be"):
            await r.restore(copy, 0, dumped, replace=True, idletime=1.5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    assert "seconds" not in inspect.signature(Redis.restore).parameters
