"""The Redis client against real servers: options, strategies, errors, lifecycle."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, cast

import pytest

from redis_oxide._client import Redis
from redis_oxide._client_cluster import RedisCluster
from redis_oxide._client_url import from_url
from redis_oxide._command import CommandFlag, CommandMeta
from redis_oxide._connection import Connection
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ConnectionClosedError,
    ConnectionLostError,
    InvalidUsageError,
    NoPermError,
    WrongPassError,
    WrongTypeError,
)
from redis_oxide.testing._info import ACLServerInfo, RedisServerInfo, TLSServerInfo

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(30)

GET = CommandMeta(
    name="GET",
    token_count=1,
    arity=2,
    flags=CommandFlag.READONLY | CommandFlag.FAST,
    group="string",
    since="1.0.0",
    is_readonly=True,
)
SET = CommandMeta(
    name="SET", token_count=1, arity=-3, flags=CommandFlag.WRITE, group="string", since="1.0.0"
)
BLPOP = CommandMeta(
    name="BLPOP",
    token_count=1,
    arity=-3,
    flags=CommandFlag.WRITE | CommandFlag.BLOCKING,
    group="list",
    since="2.0.0",
    is_blocking=True,
)


def _key() -> str:
    return f"client-test:{uuid.uuid4().hex}"


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_round_trip_for_each_protocol_and_strategy(
    redis_stack: RedisServerInfo, protocol: Any, strategy: Any
) -> None:
    key = _key()
    async with Redis(
        redis_stack.host, redis_stack.port, protocol=protocol, strategy=strategy
    ) as client:
        assert await client.execute_command("SET", key, "v") == b"OK"
        assert await client.execute_command("GET", key) == b"v"
        assert await client.execute_command("INCRBY", key + ":n", 5) == 5
        assert await client.execute_command("DEL", key, key + ":n") == 2
        assert client.stats().strategy == strategy


async def test_redis_7_with_decoded_responses(redis_7: RedisServerInfo) -> None:
    async with Redis(redis_7.host, redis_7.port, decode_responses=True) as client:
        assert await client.execute_command("ECHO", "ünïcode") == "ünïcode"


async def test_generated_seam_applies_parser_and_meta(redis_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(redis_stack.host, redis_stack.port) as client:
        assert await client._execute(SET, ("SET", key, "41"), None) == b"OK"
        assert await client._execute(GET, ("GET", key), int) == 41


async def test_server_error_fields(redis_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(redis_stack.host, redis_stack.port) as client:
        await client.execute_command("LPUSH", key, "x")
        with pytest.raises(WrongTypeError) as caught:
            await client.execute_command("GET", key)
    assert caught.value.command == "GET"
    assert caught.value.address == f"{redis_stack.host}:{redis_stack.port}"
    assert caught.value.code == "WRONGTYPE"
    assert "command=GET" in str(caught.value)


@pytest.mark.parametrize(
    ("args", "advice"),
    [
        (("SELECT", 1), "Redis(db=...)"),
        (("multi",), "pipeline(transaction=True)"),
        (("SUBSCRIBE", "ch"), "pubsub()"),
        (("CLIENT", "TRACKING", "ON"), "CLIENT TRACKING changes"),
    ],
)
async def test_runtime_owned_commands_are_refused_with_advice(
    redis_stack: RedisServerInfo, args: tuple[Any, ...], advice: str
) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as client:
        with pytest.raises(InvalidUsageError, match="cannot be sent as a plain call") as caught:
            await client.execute_command(*args)
        assert advice in str(caught.value)
        assert client.stats().connections == 0  # nothing was sent


async def test_bad_argument_type_raises_type_error(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as client:
        with pytest.raises(TypeError):
            await client.execute_command("SET", _key(), True)
        with pytest.raises(TypeError):
            await client.execute_command()


async def test_with_options_overrides_timeout_and_shares_connections(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(redis_stack)
    async with Redis(proxy.host, proxy.port) as client:
        quick = client.with_options(command_timeout=0.2)
        assert quick.command_timeout == 0.2
        assert client.command_timeout is None
        await client.execute_command("PING")
        proxy.stall()
        patient = asyncio.ensure_future(client.execute_command("ECHO", "patient"))
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            await quick.execute_command("ECHO", "quick")
        assert time.monotonic() - started < 1.0
        proxy.resume()
        assert await patient == b"patient"
        assert await quick.execute_command("PING") == b"PONG"
        await quick.aclose()  # a view closes nothing
        assert await client.execute_command("PING") == b"PONG"
        assert client.stats().connections == 1
        assert " view" in repr(quick)


async def test_with_options_timeout_bounds_a_pipeline_alone(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(redis_stack)
    async with Redis(proxy.host, proxy.port) as client:
        quick = client.with_options(command_timeout=0.2)
        await client.execute_command("PING")
        proxy.stall()
        patient = asyncio.ensure_future(client.execute_command("ECHO", "patient"))
        pipe = quick.pipeline()
        handle = pipe.result(pipe.echo("quick"))
        started = time.monotonic()
        with pytest.raises(CommandTimeoutError):
            await pipe.execute()
        assert time.monotonic() - started < 1.0
        with pytest.raises(CommandTimeoutError):
            _ = handle.value
        proxy.resume()
        assert await patient == b"patient"
        assert client.stats().reconnects == 0
        async with quick.pipeline() as again:
            echoed = again.result(again.echo("again"))
        assert echoed.value == b"again"


async def test_from_url_variants(
    redis_stack: RedisServerInfo,
    redis_tls: TLSServerInfo,
    redis_acl: ACLServerInfo,
) -> None:
    async with from_url(f"{redis_stack.url}/2?protocol=2&client_name=u1") as c1:
        info = await c1.execute_command("CLIENT", "INFO")
        assert isinstance(info, bytes)
        assert b" db=2 " in info
        assert b"name=u1" in info
        assert b"resp=2" in info
    async with from_url(redis_stack.url, decode_responses=True) as c2:
        assert await c2.execute_command("PING") == "PONG"
    async with Redis.from_url(f"{redis_stack.url}?decode_responses=true") as c3:
        assert await c3.execute_command("PING") == "PONG"
    assert redis_stack.unix_path is not None
    async with from_url(f"unix://{redis_stack.unix_path}?db=1") as c4:
        info = await c4.execute_command("CLIENT", "INFO")
        assert isinstance(info, bytes)
        assert b" db=1 " in info
    tls_url = (
        f"{redis_tls.url}?ssl_ca_certs={redis_tls.ca_cert}&ssl_certfile={redis_tls.client_cert}"
        f"&ssl_keyfile={redis_tls.client_key}"
    )
    async with from_url(tls_url) as c5:
        assert await c5.execute_command("PING") == b"PONG"
    acl_url = f"redis://{redis_acl.username}:{redis_acl.password}@{redis_acl.host}:{redis_acl.port}"
    async with from_url(acl_url, strategy="pooled") as c6:
        info = await c6.execute_command("CLIENT", "INFO")
        assert isinstance(info, bytes)
        assert f" user={redis_acl.username} ".encode() in info


async def test_tls_client_with_and_without_client_certificate(
    redis_tls: TLSServerInfo, redis_tls_no_client_cert: TLSServerInfo
) -> None:
    async with Redis(
        redis_tls.host,
        redis_tls.port,
        ssl=True,
        ssl_ca_certs=str(redis_tls.ca_cert),
        ssl_certfile=str(redis_tls.client_cert),
        ssl_keyfile=str(redis_tls.client_key),
    ) as mtls:
        assert await mtls.execute_command("PING") == b"PONG"
    plain = redis_tls_no_client_cert
    context = plain.ssl_context(client_cert=False)
    async with Redis(plain.host, plain.port, ssl=context, strategy="pooled") as tls:
        assert await tls.execute_command("PING") == b"PONG"


async def test_acl_user_noperm_is_refused_with_fields(redis_acl: ACLServerInfo) -> None:
    async with Redis(
        redis_acl.host, redis_acl.port, username=redis_acl.username, password=redis_acl.password
    ) as client:
        assert await client.execute_command("SET", _key(), "1") == b"OK"
        with pytest.raises(NoPermError) as caught:
            await client.execute_command("CONFIG", "GET", "maxmemory")
    assert caught.value.code == "NOPERM"
    assert caught.value.command == "CONFIG GET"
    assert caught.value.address == f"{redis_acl.host}:{redis_acl.port}"


async def test_secrets_never_appear_in_repr_errors_or_logs(
    redis_acl: ACLServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    password = redis_acl.password
    wrong = "wrong-" + password
    outputs: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="redis_oxide"):
        async with Redis(
            redis_acl.host, redis_acl.port, username=redis_acl.username, password=password
        ) as client:
            await client.execute_command("PING")
            outputs += [repr(client), str(client), repr(client._config)]
            with pytest.raises(NoPermError) as denied:
                await client.execute_command("FLUSHALL")
            outputs += [str(denied.value), repr(denied.value)]
        url = f"redis://{redis_acl.username}:{wrong}@{redis_acl.host}:{redis_acl.port}"
        async with from_url(url) as bad:
            outputs.append(repr(bad))
            with pytest.raises(WrongPassError) as refused:
                await bad.execute_command("PING")
            outputs += [str(refused.value), repr(refused.value)]
    outputs.append(caplog.text)
    assert caplog.records  # the connection layer did log
    for text in outputs:
        assert password not in text
        assert wrong not in text


async def test_readonly_command_is_retried_but_a_sent_write_is_not(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    key = _key()
    proxy = await tcp_proxy(redis_stack)
    async with Redis(proxy.host, proxy.port) as client:
        await client._execute(SET, ("SET", key, "1"), None)
        proxy.stall()
        read: asyncio.Future[Any] = asyncio.ensure_future(client._execute(GET, ("GET", key), None))
        write: asyncio.Future[Any] = asyncio.ensure_future(
            client._execute(SET, ("SET", key, "2"), None)
        )
        await asyncio.sleep(0.05)  # both are written and held by the proxy
        proxy.cut()
        proxy.resume()
        assert await read == b"1"
        with pytest.raises(ConnectionLostError) as caught:
            await write
        assert caught.value.may_have_executed is True
        assert caught.value.command == "SET"
        assert client.stats().reconnects == 1


async def test_write_issued_as_the_connection_dies_is_rerun_unsent(
    redis_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    # A write still in the client's write buffer when the connection is lost never reached
    # the server: it is re-run on the new connection, and its caller never sees the loss.
    key = _key()
    proxy = await tcp_proxy(redis_stack)
    async with Redis(proxy.host, proxy.port) as client:
        await client._execute(SET, ("SET", key, "1"), None)
        proxy.stall()
        # Written at once, held by the proxy.
        read: Awaitable[bytes | None] = client._execute(GET, ("GET", key), None)
        await asyncio.sleep(0.05)
        conn = cast(Connection | None, client._server.strategy.sole)
        assert conn is not None
        assert conn.pending_count == 1
        transport = conn._transport
        assert transport is not None
        transport.abort()  # the socket dies; asyncio reports the loss in the next loop turn
        write: Awaitable[bytes] = client._execute(SET, ("SET", key, "2"), None)  # queued
        assert "unsent=1" in repr(conn)
        proxy.resume()
        assert await write == b"OK"
        assert await read in (b"1", b"2")  # re-run too: a read is retried whether sent or not
        assert await client._execute(GET, ("GET", key), None) == b"2"
        assert client.stats().reconnects == 1
        assert client._server.strategy.sole is not conn


async def test_blocking_command_does_not_delay_others(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    key = _key()
    async with Redis(redis_stack.host, redis_stack.port) as client:
        await client.execute_command("PING")
        blpop: asyncio.Future[Any] = asyncio.ensure_future(
            client._execute(BLPOP, ("BLPOP", key, 2), None)
        )
        await asyncio.sleep(0.05)
        started = time.monotonic()
        results = await asyncio.gather(*(client.execute_command("GET", key) for _ in range(1000)))
        elapsed = time.monotonic() - started
        assert results == [None] * 1000
        figures("1,000 GETs during a 2 s BLPOP took (s)", round(elapsed, 3))
        assert not blpop.done()
        assert elapsed < 1.0
        assert client.stats().leased == 1
        assert await blpop is None
        # a raw BLPOP is recognised as blocking too
        raw = asyncio.ensure_future(client.execute_command("BLPOP", key, 0.3))
        await asyncio.sleep(0.05)
        assert client.stats().leased == 1
        assert await raw is None


async def test_pooled_client_serves_a_thousand_callers_with_ten_connections(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    async with Redis(
        redis_stack.host, redis_stack.port, strategy="pooled", max_connections=10
    ) as client:
        results = await asyncio.gather(
            *(client.execute_command("ECHO", str(i)) for i in range(1000))
        )
        assert results == [str(i).encode() for i in range(1000)]
        stats = client.stats()
        figures("callers completed", len(results))
        figures("connections used", stats.connections)
        assert stats.connections <= 10
        assert (stats.waiting, stats.leased) == (0, 0)


async def test_aclose_leaves_no_task_and_refuses_new_commands(
    redis_stack: RedisServerInfo,
) -> None:
    before = asyncio.all_tasks()
    client = Redis(redis_stack.host, redis_stack.port)
    in_flight = [asyncio.ensure_future(client.execute_command("ECHO", "x")) for _ in range(10)]
    await asyncio.sleep(0)
    blocked = asyncio.ensure_future(client.execute_command("BLPOP", _key(), 5))
    await asyncio.sleep(0.05)
    await client.aclose()
    assert [await f for f in in_flight] == [b"x"] * 10
    with pytest.raises(ConnectionClosedError):
        await blocked
    with pytest.raises(ConnectionClosedError):
        await client.execute_command("PING")
    await client.aclose()  # idempotent
    assert asyncio.all_tasks() - before == set()
    assert "closed" in repr(client)
    gc.collect()  # an unclosed transport would warn here, and warnings are errors


def test_unknown_option_and_bad_values_are_rejected() -> None:
    with pytest.raises(TypeError, match="unknown options: colour"):
        Redis(colour="red")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="protocol"):
        Redis(protocol=4)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="strategy"):
        Redis(strategy="lottery")  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"command_timeout": 0}, ValueError, "command_timeout must be more than 0"),
        ({"command_timeout": -1}, ValueError, "command_timeout must be more than 0"),
        ({"command_timeout": float("nan")}, ValueError, "command_timeout must be more than 0"),
        ({"command_timeout": "5"}, TypeError, "command_timeout must be a number"),
        ({"connect_timeout": 0}, ValueError, "connect_timeout must be more than 0"),
        ({"pool_timeout": True}, TypeError, "pool_timeout must be a number"),
        ({"max_connections": "5"}, TypeError, "max_connections must be an int"),
        ({"max_connections": 0}, ValueError, "max_connections must be at least 1"),
        ({"multiplexed_connections": 1.5}, TypeError, "multiplexed_connections must be an int"),
        ({"db": -1}, ValueError, "db must be at least 0"),
        ({"encoding": "bogus"}, ValueError, "encoding 'bogus' is not a codec"),
        ({"encoding_errors": "bogus"}, ValueError, "encoding_errors 'bogus' is not an error"),
    ],
)
def test_option_values_are_checked_when_the_client_is_made(
    options: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Redis(**options)  # type: ignore[call-overload]
    cluster_match = "db must be 0" if "db" in options else match
    with pytest.raises(error, match=cluster_match):
        RedisCluster("127.0.0.1", 7000, **options)  # type: ignore[call-overload]


def test_a_views_timeout_is_checked_too() -> None:
    for client in (Redis(), RedisCluster("127.0.0.1", 7000)):
        with pytest.raises(ValueError, match="command_timeout must be more than 0"):
            client.with_options(command_timeout=-1)
        with pytest.raises(TypeError, match="command_timeout must be a number"):
            client.with_options(command_timeout="1")  # type: ignore[arg-type]
        assert client.with_options(command_timeout=None).command_timeout is None
