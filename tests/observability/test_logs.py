"""Logs: ``redis_oxide.<layer>`` loggers, structured fields, and never a secret or a value.

Every record of a busy session (password handshakes, a refused password, values written and
read, a lost connection and its reconnect, timeouts, a graceful close) is captured at DEBUG:
each carries ``redis.event``, and none (message, arguments or fields) holds the password or
a value.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from redis_oxide import Redis, Retry
from redis_oxide._client_options import StrategyName
from redis_oxide.exceptions import CommandTimeoutError, WrongPassError
from redis_oxide.testing import ACLServerInfo, RedisServerInfo
from redis_oxide.testing._proxy import ProxyFactory
from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

SECRET = "value-" + uuid.uuid4().hex
_STANDARD = set(vars(logging.makeLogRecord({})))


def _texts(record: logging.LogRecord) -> list[str]:
    fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
    return [record.getMessage(), repr(record.args), repr(fields)]


async def test_logs_are_structured_and_hold_no_secret(
    redis_acl: ACLServerInfo,
    tcp_proxy: ProxyFactory,
    caplog: pytest.LogCaptureFixture,
    figures: Figure,
) -> None:
    proxy = await tcp_proxy(redis_acl)
    caplog.set_level(logging.DEBUG, logger="redis_oxide")
    key = f"logs:{uuid.uuid4().hex}"
    async with Redis(
        proxy.host,
        proxy.port,
        username=redis_acl.username,
        password=redis_acl.password,
        retry=Retry(attempts=3),
        command_timeout=2,
    ) as r:
        await r.set(key, SECRET)
        assert await r.get(key) == SECRET.encode()
        proxy.cut()  # lost: the read is retried on a new connection, after a logged reconnect
        for _ in range(50):
            try:
                assert await r.get(key) == SECRET.encode()
                break
            except ConnectionError:
                await asyncio.sleep(0.02)
        proxy.stall()
        with pytest.raises(CommandTimeoutError):
            await r.with_options(command_timeout=0.2).set(key, SECRET)
        proxy.resume()
        await r.delete(key)
    wrong = Redis(redis_acl.host, redis_acl.port, username="default", password=SECRET)
    with pytest.raises(WrongPassError):
        await wrong.ping()
    await wrong.aclose()
    pooled = Redis(
        redis_acl.host,
        redis_acl.port,
        username=redis_acl.username,
        password=redis_acl.password,
        strategy="pooled",
    )
    await pooled.set(key, SECRET)
    await pooled.delete(key)
    await pooled.aclose()

    records = [r for r in caplog.records if r.name.startswith("redis_oxide")]
    layers = {r.name for r in records}
    events = sorted({str(getattr(r, "redis.event", None)) for r in records})
    assert {"redis_oxide.connection", "redis_oxide.pool"} <= layers
    assert all(hasattr(r, "redis.event") for r in records), [
        r.getMessage() for r in records if not hasattr(r, "redis.event")
    ]
    assert {"connected", "connection_lost", "reconnected", "state"} <= set(events)
    leaks = [
        text for r in records for text in _texts(r) if redis_acl.password in text or SECRET in text
    ]
    assert leaks == []
    figures("log records checked", len(records))
    figures("events", ", ".join(events))


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_a_read_run_again_after_a_lost_connection_is_logged(
    redis_7: RedisServerInfo,
    tcp_proxy: ProxyFactory,
    caplog: pytest.LogCaptureFixture,
    strategy: StrategyName,
) -> None:
    proxy = await tcp_proxy(redis_7)
    caplog.set_level(logging.DEBUG, logger="redis_oxide")
    async with Redis(proxy.host, proxy.port, strategy=strategy) as r:
        await r.set("logs:rerun", "v")
        proxy.stall()
        read = asyncio.ensure_future(r.get("logs:rerun"))
        await asyncio.sleep(0.1)  # written, its reply held back
        proxy.cut()
        proxy.resume()
        assert await asyncio.wait_for(read, 5) == b"v"
    retries = [r for r in caplog.records if getattr(r, "redis.event", None) == "retry"]
    assert [r.getMessage() for r in retries] == ["GET: connection lost, retrying"]


async def test_one_connect_is_one_connected_event(
    redis_7: RedisServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="redis_oxide")
    async with Redis(redis_7.host, redis_7.port, strategy="pooled") as r:
        await r.ping()
    connected = [r for r in caplog.records if getattr(r, "redis.event", None) == "connected"]
    assert len(connected) == 1, [r.getMessage() for r in connected]
