"""Reply models against real servers: module docs, replies that do not fit a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import pytest
from pydantic import ValidationError

from redis_oxide._client import Redis
from redis_oxide._exceptions import RedisError, ReplyDecodeError
from redis_oxide._generated import _meta as _m
from redis_oxide._generated import _reply_parsers as _rp
from redis_oxide.testing import raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._raw import Endpoint

pytestmark = pytest.mark.timeout(30)

#: CLIENT INFO text whose ``id`` is not a number: it cannot become a ``ClientInfo``.
NOT_CLIENT_INFO = "id=abc addr=127.0.0.1:1 name= db=0"


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
async def test_command_docs_reads_module_commands_without_summary(
    redis_stack: RedisServerInfo, protocol: Literal[2, 3], decode: bool
) -> None:
    async with Redis(
        redis_stack.host, redis_stack.port, protocol=protocol, decode_responses=decode
    ) as client:
        docs = await client.command_docs(command_name=["get", "ft.search", "ts.add"])
        by_name = {k.decode() if isinstance(k, bytes) else k: v for k, v in docs.items()}
        assert by_name["get"].summary is not None
        assert by_name["get"].since == "1.0.0"
        assert by_name["FT.SEARCH"].summary is None
        assert by_name["FT.SEARCH"].module == "search"
        assert {k.lower() for k in by_name} == {"get", "ft.search", "ts.add"}
        everything = await client.command_docs()
        assert len(everything) > 300


@pytest.mark.parametrize("protocol", [2, 3])
async def test_reply_not_fitting_its_model_is_a_reply_decode_error_naming_the_command(
    redis_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with Redis(redis_stack.host, redis_stack.port, protocol=protocol) as client:
        with pytest.raises(ReplyDecodeError) as caught:
            await client._execute(_m.ECHO, ("ECHO", NOT_CLIENT_INFO), _rp.reply_client_info)
        assert caught.value.command == "CLIENT INFO"
        assert "CLIENT INFO" in str(caught.value)
        assert "id" in str(caught.value)
        assert isinstance(caught.value.__cause__, ValidationError)
        assert await client.ping() == b"PONG"  # the connection goes on


async def test_reply_not_fitting_its_model_fills_only_its_pipeline_slot(
    redis_stack: RedisServerInfo,
) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as client:
        pipe = client.pipeline(raise_on_error=False)
        pipe.ping()
        pipe.execute_command("ECHO", NOT_CLIENT_INFO, parser=_rp.reply_client_info)
        pipe.ping()
        first, bad, last = await pipe.execute()
        assert first == b"PONG"
        assert last == b"PONG"
        assert isinstance(bad, ReplyDecodeError)
        assert bad.command == "CLIENT INFO"
        assert bad.position == 1

        pipe = client.pipeline()
        pipe.execute_command("ECHO", NOT_CLIENT_INFO, parser=_rp.reply_client_info)
        with pytest.raises(RedisError) as caught:
            await pipe.execute()
        assert isinstance(caught.value, ReplyDecodeError)
        assert caught.value.position == 0


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
async def test_slowlog_stays_readable_when_logged_arguments_are_not_utf8(
    redis_server_factory: Callable[..., RedisServerInfo], protocol: Literal[2, 3], decode: bool
) -> None:
    server = redis_server_factory(config=(("slowlog-log-slower-than", "0"),))
    endpoint = Endpoint(server.host, server.port)
    raw_command(endpoint, "SET", "binary", b"\xff\xfe")
    # Redis keeps 128 bytes of an argument: the cut falls inside the 65th "é".
    raw_command(endpoint, "SET", "text", "a" + "é" * 100)
    async with Redis(
        server.host, server.port, protocol=protocol, decode_responses=decode
    ) as client:
        entries = await client.slowlog_get(count=10)
    logged = {entry.args[1]: entry.args for entry in entries if entry.args[0] == "SET"}
    assert logged["binary"][2] == "\\xff\\xfe"
    assert logged["text"][2].startswith("a" + "é" * 63 + "\\xc3... (")
    assert all(isinstance(e.client_address, str) for e in entries)
