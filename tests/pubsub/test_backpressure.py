"""A reader that falls behind: the queue stays bounded and the overflow policy is what happens.

``on_overflow="block"`` (the default) pauses reading from the socket once ``max_pending``
messages wait; the server then buffers, and its ``client-output-buffer-limit`` decides what
happens to a subscriber that never catches up. ``"error"`` ends the subscription with
``SlowConsumerError`` after the messages that fit. RSS is read from ``/proc/self/status``.
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Redis, Resubscribed
from redis_oxide._exceptions import SlowConsumerError
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(90)

MAX_PENDING = 1_000
CHUNK = 10_000  # PUBLISH commands per pipeline
# The queue may hold what one socket read brought in past the bound: asyncio reads at most
# 256 KiB, and the smallest message frame here is over 30 bytes.
ONE_READ = 256 * 1024 // 30


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


async def _publish(info: RedisServerInfo, channel: str, first: int, count: int) -> None:
    async with Redis(info.host, info.port) as publisher:
        for start in range(first, first + count, CHUNK):
            async with publisher.pipeline() as pipe:
                for i in range(start, min(start + CHUNK, first + count)):
                    pipe.publish(channel, f"message-{i:07d}")


async def _no_subscribers(info: RedisServerInfo) -> bool:
    return not await _subscribers(info)


async def _subscribers(info: RedisServerInfo) -> list[str]:
    async with Redis(info.host, info.port, decode_responses=True) as admin:
        listing = await admin.execute_command("CLIENT", "LIST", "TYPE", "pubsub")
        assert isinstance(listing, str)
        return listing.splitlines()


@pytest.mark.slow
async def test_a_reader_that_never_reads_keeps_memory_bounded_while_the_server_buffers(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    total = 1_000_000
    # A server that lets a subscriber's output buffer grow: it keeps the whole backlog, so
    # the reader can still get every message once it reads.
    info = redis_server_factory(
        "7", config=(("client-output-buffer-limit", "pubsub", "0", "0", "0"),)
    )
    async with Redis(info.host, info.port) as r, r.pubsub(max_pending=MAX_PENDING) as p:
        await p.subscribe("flood")
        gc.collect()
        baseline = peak = _rss_mib()
        publishing = asyncio.ensure_future(_publish(info, "flood", 0, total))
        started = time.monotonic()
        while not publishing.done():
            peak = max(peak, _rss_mib())
            await asyncio.sleep(0.02)
        await publishing
        published_in = time.monotonic() - started
        peak = max(peak, _rss_mib())
        held = p.pending
        assert p.is_reading_paused()
        listing = await _subscribers(info)
        server_buffer = int(listing[0].split(" omem=")[1].split()[0])

        # Reading again gets every message, in order: the pause lost nothing.
        started = time.monotonic()
        expected = 0
        async with asyncio.timeout(60):
            async for message in p:
                assert message.data == b"message-%07d" % expected
                expected += 1
                if expected % 100_000 == 0:
                    peak = max(peak, _rss_mib())
                if expected == total:
                    break
        drained_in = time.monotonic() - started
        assert p.reconnects == 0

    growth = peak - baseline
    figures("messages published while the reader did not read", total)
    figures("messages held by the client (max_pending=1000)", held)
    figures("server output buffer for the subscriber (MiB)", round(server_buffer / 2**20, 1))
    figures("client RSS growth, peak (MiB)", round(growth, 1))
    figures("seconds to publish / to drain", (round(published_in, 1), round(drained_in, 1)))
    assert MAX_PENDING <= held <= MAX_PENDING + ONE_READ
    assert server_buffer > 10 * 2**20  # the backlog sits on the server, not in the client
    assert growth < 25, f"client RSS grew by {growth:.1f} MiB"


@pytest.mark.slow
async def test_the_servers_output_limit_cuts_a_stuck_reader_and_the_gap_is_reported(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    total = 300_000
    info = redis_server_factory(
        "7", config=(("client-output-buffer-limit", "pubsub", "4mb", "1mb", "1"),)
    )
    got: list[bytes] = []
    gaps: list[tuple[int, Resubscribed]] = []  # (messages read before the gap, notice)

    async with Redis(info.host, info.port) as r:
        p = r.pubsub(
            max_pending=MAX_PENDING, on_reconnect=lambda notice: gaps.append((len(got), notice))
        )
        await p.subscribe("flood")
        await _publish(info, "flood", 0, total)
        # The server drops the subscriber over its limit.
        await until(lambda: _no_subscribers(info), 10, "the server cutting the subscriber")
        assert p.is_reading_paused()

        async def read() -> None:
            async for message in p:
                got.append(message.data)

        reader = asyncio.ensure_future(read())
        # Catching up, the client reads what its socket still held, finds the connection
        # closed, subscribes again and says so in stream order.
        await until(lambda: bool(gaps), 20, "the gap notice")
        await _publish(info, "flood", total, 3)
        await until(lambda: len(got) == gaps[0][0] + 3, 10, "the messages after the gap")
        reader.cancel()
        await p.aclose()

    before, notice = gaps[0]
    assert got[:before] == [b"message-%07d" % i for i in range(before)]  # no gap inside
    assert got[before:] == [b"message-%07d" % i for i in range(total, total + 3)]
    figures("messages published", total)
    figures("messages received before the server cut the subscriber", before)
    figures("reported downtime (s)", round(notice.downtime, 3))
    assert MAX_PENDING <= before < total
    assert len(gaps) == 1
    assert p.reconnects == 1


async def test_error_policy_raises_after_the_messages_that_fit(
    redis_stack: RedisServerInfo,
) -> None:
    async with Redis(redis_stack.host, redis_stack.port, strategy="pooled") as r:
        p = r.pubsub(max_pending=100, on_overflow="error")
        await p.subscribe("slow-reader")
        await _publish(redis_stack, "slow-reader", 0, 1_000)
        # The overflow closes the connection.
        await until(lambda: p.pending == 100 and not r.stats().leased, 5, "the overflow")
        got = [await p.get_message() for _ in range(100)]
        assert [m.data for m in got if m is not None] == [b"message-%07d" % i for i in range(100)]
        with pytest.raises(SlowConsumerError) as overflow:
            await p.get_message(timeout=1)
        assert overflow.value.max_pending == 100
        with pytest.raises(SlowConsumerError):
            await p.subscribe("again")
        await p.aclose()
        assert await r.pubsub_numsub(channel=["slow-reader"]) == {b"slow-reader": 0}
