"""client.monitor() on real servers: entries byte for byte, scripts, back-pressure, loss."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Literal

import pytest

from redis_oxide import Monitor, MonitorEntry, Redis
from redis_oxide._monitor import parse_monitor_line
from redis_oxide.exceptions import ConnectionLostError, InvalidUsageError, ProtocolError
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(30)

AWKWARD = b'line\nbreak "quoted" back\\slash \x00\xff\xe2\x82\xac tab\t'


async def _entries_until(monitor: Monitor[bytes], marker: bytes) -> list[MonitorEntry[bytes]]:
    """Entries up to the ECHO of ``marker`` (excluded), bounded in time."""
    seen: list[MonitorEntry[bytes]] = []
    async with asyncio.timeout(10):
        async for entry in monitor:
            if entry.command.upper() == "ECHO" and entry.args == [marker]:
                return seen
            seen.append(entry)
    raise AssertionError("the monitor ended before the marker")


@pytest.mark.parametrize("protocol", [2, 3])
async def test_entries_carry_the_commands_of_other_clients_byte_for_byte(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as client,
        Redis(flushed_stack.host, flushed_stack.port, db=3) as other,
    ):
        peer = (await other.client_info()).addr  # both connected (handshakes done) first
        await client.ping()
        async with client.monitor() as monitor:
            await other.set(b"key \xff", AWKWARD)
            await other.hset("h", {"f": "v"})
            await client.echo(b"done")
            entries = await _entries_until(monitor, b"done")
    first, second = entries
    assert (first.command.upper(), first.args) == ("SET", [b"key \xff", AWKWARD])
    assert (second.command.upper(), second.args) == ("HSET", [b"h", b"f", b"v"])
    assert (first.db, first.client) == (3, peer)
    assert abs(first.time - time.time()) < 60


async def test_a_client_on_ipv6_shows_with_its_bracketed_address(
    redis_server_factory: ServerFactory,
) -> None:
    # Debian's default "bind 127.0.0.1 -::1": a client reaching the server through ::1 shows
    # as "[::1]:<port>", brackets inside the bracketed client field of the MONITOR line.
    info = redis_server_factory("7", config=[("bind", "127.0.0.1 ::1")])
    async with (
        Redis(info.host, info.port) as client,
        Redis("::1", info.port) as other,
    ):
        peer = (await other.client_info()).addr
        assert peer.startswith("[::1]:")
        await client.ping()
        async with client.monitor() as monitor:
            await other.set("over-ipv6", "1")
            await client.echo(b"done")
            entries = await _entries_until(monitor, b"done")
    assert [(e.command.upper(), e.args, e.client) for e in entries] == [
        ("SET", [b"over-ipv6", b"1"], peer)
    ]


async def test_a_decoding_client_gets_text_and_scripts_show_as_lua(
    flushed_stack: RedisServerInfo,
) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client,
        client.monitor() as monitor,
    ):
        script = client.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
        await script(["scripted"], ["välue"])
        await client.echo("done")
        entries: list[MonitorEntry[str]] = []
        async with asyncio.timeout(10):
            async for entry in monitor:
                if entry.command.upper() == "ECHO":
                    break
                entries.append(entry)
        by_lua = [entry for entry in entries if entry.client == "lua"]
        assert [(e.command.upper(), e.args) for e in by_lua] == [("SET", ["scripted", "välue"])]
        assert any(entry.command.upper() == "EVALSHA" for entry in entries)


async def test_a_slow_reader_loses_nothing(flushed_stack: RedisServerInfo, figures: Figure) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port) as client,
        client.monitor(max_pending=100) as monitor,
    ):
        count = 20_000
        async with client.pipeline() as pipe:
            for index in range(count):
                pipe.set("n", index)
        await client.echo(b"done")
        await asyncio.sleep(0.2)  # the reader is idle while the stream arrives
        assert len(monitor._lines) <= 100 + 1000  # one socket read past the bound at most
        entries = await _entries_until(monitor, b"done")
        values = [int(entry.args[1]) for entry in entries if entry.command.upper() == "SET"]
        figures("MONITOR entries read by a reader 0.2 s late, 100 pending at most", len(values))
        assert values == list(range(count))


async def test_a_lost_connection_ends_the_iteration_with_an_error(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    async with Redis(info.host, info.port) as client:
        monitor = await client.monitor().start()
        await client.set("before", "1")
        await asyncio.to_thread(info.process.kill)
        received: list[str] = []

        async def read_all() -> None:
            async with asyncio.timeout(10):
                async for entry in monitor:
                    received.append(entry.command.upper())

        with pytest.raises(ConnectionLostError, match="MONITOR connection"):
            await read_all()
        assert received == ["SET"]  # what came before the loss is delivered first
        await monitor.aclose()


async def test_closing_ends_the_iteration_and_the_server_side_monitor(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.ping()  # its own handshake is not monitored
        monitor = client.monitor()
        async with monitor:
            reader = asyncio.create_task(anext(monitor, None))
            await asyncio.sleep(0.05)
            assert "O" in "".join(c.flags for c in await client.client_list())
        assert await asyncio.wait_for(reader, 5) is None  # StopAsyncIteration: ended
        async with asyncio.timeout(5):
            while "O" in "".join(c.flags for c in await client.client_list()):  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # the server notices the closed socket
        with pytest.raises(InvalidUsageError, match="started already"):
            await monitor.start()
        with pytest.raises(InvalidUsageError, match=r"client\.monitor\(\)"):
            await client.execute_command("MONITOR")
        with pytest.raises(ValueError, match="max_pending"):
            client.monitor(max_pending=1)


async def test_a_monitor_not_started_says_so(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        monitor = client.monitor()  # `async for` without `async with` first
        with pytest.raises(InvalidUsageError, match="not started"):
            await anext(monitor)


async def test_text_that_does_not_decode_shows_and_the_next_entry_follows(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        await client.ping()
        async with client.monitor() as monitor:
            await client.set("bin", b"\xff\x00bin")
            await client.set("after", "ok")
            async with asyncio.timeout(5):
                first, second = await anext(monitor), await anext(monitor)
    assert first.args == ["bin", "\ufffd\x00bin"]
    assert second.args == ["after", "ok"]


def test_lines_parse_back_to_the_bytes_sent() -> None:
    line = r'1700000000.123456 [12 unix:/tmp/r.sock] "SET" "a\"b" "\\\x00\xff\n" ""'
    assert parse_monitor_line(line) == (
        1700000000.123456,
        12,
        "unix:/tmp/r.sock",
        [b"SET", b'a"b', b"\\\x00\xff\n", b""],
    )
    for bad in ("garbage", '1.0 [0 lua] "unterminated', "1.0 [0 lua] ", r'1.0 [0 lua] "\q"'):
        with pytest.raises(ProtocolError, match="MONITOR line"):
            parse_monitor_line(bad)
