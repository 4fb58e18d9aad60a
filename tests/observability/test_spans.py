"""Spans of commands, pipelines and transactions, checked in the SDK's in-memory exporter.

Names and attributes are OpenTelemetry's database conventions for Redis: the span name is
``db.operation.name``, ``db.system.name`` is ``redis``, ``db.namespace`` the database index,
``server.address``/``server.port`` where the command went; batches are ``PIPELINE``/``MULTI``
(followed by the command when all are the same) with ``db.operation.batch.size``; failures
set ``error.type`` and ``db.response.status_code``. No span holds a value or a password.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from redis_oxide import Redis, Telemetry, Transaction, configure_telemetry
from redis_oxide.exceptions import WrongTypeError
from redis_oxide.testing import ACLServerInfo, RedisServerInfo
from redis_oxide.testing._proxy import ProxyFactory
from redis_oxide.types import StrategyName
from tests.conftest import Figure
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)

SECRET = "s3cr3t-value-" + uuid.uuid4().hex


def _everything(span: ReadableSpan) -> str:
    # Every text a span carries: name, attributes, events, status.
    parts = [span.name, str(dict(span.attributes or {})), str(span.status.description)]
    parts += [f"{e.name} {dict(e.attributes or {})}" for e in span.events]
    return " ".join(parts)


def _base(server: RedisServerInfo, name: str) -> dict[str, object]:
    return {
        "db.system.name": "redis",
        "db.operation.name": name,
        "db.namespace": "0",
        "server.address": server.host,
        "server.port": server.port,
    }


async def test_get_pipeline_and_transaction_spans_follow_the_conventions(
    redis_stack: RedisServerInfo, otel: Recorded, figures: Figure
) -> None:
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.set(key, SECRET)
        assert await r.get(key) == SECRET.encode()
        async with r.pipeline() as pipe:
            for i in range(10):
                pipe.set(f"{key}:{i}", SECRET)
        async with r.pipeline(transaction=True) as tx:
            tx.incr(f"{key}:n")
            tx.get(key)
        await r.delete(key, f"{key}:n", *(f"{key}:{i}" for i in range(10)))

    get = otel.span("GET")
    assert get.kind is SpanKind.CLIENT
    assert dict(get.attributes or {}) == _base(redis_stack, "GET")
    assert get.status.status_code is StatusCode.UNSET
    pipeline = otel.span("PIPELINE SET")
    assert dict(pipeline.attributes or {}) == {
        **_base(redis_stack, "PIPELINE SET"),
        "db.operation.batch.size": 10,
    }
    transaction = otel.span("MULTI")
    assert dict(transaction.attributes or {}) == {
        **_base(redis_stack, "MULTI"),
        "db.operation.batch.size": 2,
    }
    spans = otel.spans()
    assert [s.name for s in spans] == ["SET", "GET", "PIPELINE SET", "MULTI", "DEL"]
    assert not [s.name for s in spans if SECRET in _everything(s)]
    figures("spans", len(spans))


async def test_a_server_error_sets_error_type_and_status_but_no_message(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.set(key, SECRET)
        with pytest.raises(WrongTypeError):
            await r.hget(key, "field")
        with pytest.raises(Exception, match="unknown command"):
            await r.execute_command("NO-SUCH-COMMAND", SECRET)
        await r.delete(key)
    hget = otel.span("HGET")
    assert hget.status.status_code is StatusCode.ERROR
    assert hget.status.description is None
    assert dict(hget.attributes or {}) == {
        **_base(redis_stack, "HGET"),
        "error.type": "WRONGTYPE",
        "db.response.status_code": "WRONGTYPE",
    }
    # Redis echoes the arguments of an unknown command in its message: none reaches a span.
    unknown = otel.span("NO-SUCH-COMMAND")
    assert (unknown.attributes or {})["error.type"] == "ERR"
    assert not [s.name for s in otel.spans() if SECRET in _everything(s)]


async def test_a_span_is_a_child_of_the_callers_span_through_the_multiplexer(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    tracer = otel.tracer_provider.get_tracer("test")
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.ping()  # connected: the GETs below share one connection and one write

        async def request(n: int) -> None:
            with tracer.start_as_current_span(f"request {n}"):
                await r.get(key)

        await asyncio.gather(*(request(n) for n in range(20)))
    requests = {s.context.span_id: s for s in otel.spans() if s.name.startswith("request")}
    gets = [s for s in otel.spans() if s.name == "GET"]
    assert len(requests) == len(gets) == 20
    parents = {g.parent.span_id for g in gets if g.parent is not None}
    assert parents == set(requests), "each GET has its own caller's span as parent"
    for get in gets:
        assert get.parent is not None
        assert get.context.trace_id == requests[get.parent.span_id].context.trace_id


async def test_the_statement_is_recorded_only_when_asked_and_redacted_by_default(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:{uuid.uuid4().hex}"
    settings = {
        "off": otel.telemetry,
        "redacted": dataclasses.replace(otel.telemetry, statement="redacted"),
        "full": dataclasses.replace(otel.telemetry, statement="full"),
    }
    for mode, telemetry in settings.items():
        async with Redis(redis_stack.host, redis_stack.port, telemetry=telemetry) as r:
            await r.set(key, SECRET, seconds=60)
            async with r.pipeline() as pipe:
                pipe.hset(key + ":h", {"field": SECRET})
                pipe.get(key)
            await r.delete(key, key + ":h")
        texts = [(s.attributes or {}).get("db.query.text") for s in otel.spans()]
        otel.spans_exporter.clear()
        if mode == "off":
            assert texts == [None, None, None]
        elif mode == "redacted":
            assert texts == [
                f"SET {key} ? ? ?",
                f"HSET {key}:h ? ?\nGET {key}",
                f"DEL {key} {key}:h",
            ]
        else:
            assert texts[0] == f"SET {key} {SECRET} EX 60"


async def test_credentials_never_reach_a_span_even_with_the_full_statement(
    redis_acl: ACLServerInfo, otel: Recorded
) -> None:
    telemetry = dataclasses.replace(otel.telemetry, statement="full")
    async with Redis(
        redis_acl.host,
        redis_acl.port,
        username=redis_acl.username,
        password=redis_acl.password,
        telemetry=telemetry,
    ) as r:
        await r.ping()
        # A command carrying a password (MIGRATE ... AUTH): refused here, traced all the same.
        with pytest.raises(Exception):  # noqa: B017, PT011 (NOPERM or IOERR, either will do)
            await r.execute_command(
                "MIGRATE", "127.0.0.1", 1, "", 0, 100, "AUTH", redis_acl.password, "KEYS", "k"
            )
    # The handshake (HELLO with AUTH) is no command of the caller's: it has no span.
    assert [s.name for s in otel.spans()] == ["PING", "MIGRATE"]
    migrate = otel.span("MIGRATE")
    assert (migrate.attributes or {})[
        "db.query.text"
    ] == "MIGRATE ? ?  ? ? ? ? ? k"  # the empty key stays
    assert not [s.name for s in otel.spans() if redis_acl.password in _everything(s)]


async def test_telemetry_off_binds_the_plain_executor(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as r:
        assert r._execute == r._server._execute
    async with Redis(redis_stack.host, redis_stack.port, telemetry=Telemetry()) as r:
        assert r._execute != r._server._execute
        await r.ping()  # the global (no-op) providers: nothing recorded, nothing fails


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_a_command_re_run_after_a_lost_connection_keeps_its_span(
    redis_stack: RedisServerInfo, otel: Recorded, tcp_proxy: ProxyFactory, strategy: StrategyName
) -> None:
    proxy = await tcp_proxy(redis_stack)
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(proxy.host, proxy.port, telemetry=otel.telemetry, strategy=strategy) as r:
        await r.set(key, "v")
        proxy.stall()
        read = asyncio.ensure_future(r.get(key))
        await asyncio.sleep(0.05)
        proxy.cut()  # lost before its reply: a read is re-run on a new connection
        await asyncio.sleep(0.05)
        proxy.resume()
        assert await asyncio.wait_for(read, 5) == b"v"
        await r.delete(key)
    get = otel.span("GET")
    assert get.status.status_code is StatusCode.UNSET
    assert [(e.name, dict(e.attributes or {})) for e in get.events] == [
        ("redis.rerun", {"error.type": "ConnectionLostError"})
    ]


async def test_configure_telemetry_sets_the_default_of_clients_built_afterwards(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    configure_telemetry(otel.telemetry)
    try:
        on = Redis(redis_stack.host, redis_stack.port)
        off = Redis(redis_stack.host, redis_stack.port, telemetry=False)
    finally:
        configure_telemetry(None)
    later = Redis(redis_stack.host, redis_stack.port)
    for client in (on, off, later):
        async with client:
            await client.echo("which")
    assert [s.name for s in otel.spans()] == ["ECHO"]
    with pytest.raises(TypeError, match="telemetry must be"):
        Redis(redis_stack.host, redis_stack.port, telemetry="yes")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="statement must be"):
        Telemetry(statement="all")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="traces must be True or False"):
        Telemetry(traces="no")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tracer_provider must be an OpenTelemetry provider"):
        Telemetry(tracer_provider=42)  # type: ignore[arg-type]
    assert Telemetry(tracer_provider=otel.tracer_provider).traces


async def test_a_watch_transaction_reports_each_exec_as_a_batch(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, telemetry=otel.telemetry) as r:
        await r.set(key, "1")
        attempts = 0

        async def bump(tx: Transaction[bytes]) -> None:
            nonlocal attempts
            attempts += 1
            value = await tx.get(key)
            if attempts == 1:
                await r.set(key, "5")  # the watched key moves: this EXEC is refused
            tx.multi()
            tx.set(key, int(value or 0) + 1)
            tx.get(key)

        await r.transaction(bump, key)
        await r.delete(key)
    execs = [s for s in otel.spans() if s.name == "MULTI"]
    assert len(execs) == attempts == 2
    assert (execs[0].attributes or {})["error.type"] == "WatchError"
    assert execs[1].status.status_code is StatusCode.UNSET
    assert (execs[1].attributes or {})["db.operation.batch.size"] == 2


async def test_telemetry_wraps_a_cached_client(
    redis_stack: RedisServerInfo, otel: Recorded
) -> None:
    key = f"otel:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, cache=True, telemetry=otel.telemetry) as r:
        await r.set(key, "v")
        assert await r.get(key) == b"v"  # a miss, kept
        assert await r.get(key) == b"v"  # a hit, from memory: no span
        assert r.cache is not None
        assert r.cache.hits == 1
        await r.delete(key)
    assert [s.name for s in otel.spans()] == ["SET", "GET", "DEL"]
