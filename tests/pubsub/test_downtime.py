"""``Resubscribed.downtime`` covers the time in which messages may have been missed.

A reader that falls ``max_pending`` messages behind pauses reading; the server buffers what
follows and drops the subscriber once its output buffer passes ``client-output-buffer-limit
pubsub``, without a word. The client reads that close only after the backlog its socket
still held, so the loss dates from the pause, not from when the close was read. Once the
reader has caught up, a later loss dates from its own end again.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Redis, Resubscribed
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

PAYLOAD = "x" * 1000


async def _subscribers(info: RedisServerInfo) -> int:
    async with Redis(info.host, info.port, decode_responses=True) as admin:
        listing = await admin.execute_command("CLIENT", "LIST", "TYPE", "pubsub")
        assert isinstance(listing, str)
        return len(listing.splitlines())


async def _publish(r: Redis[str], first: int, count: int) -> None:
    async with r.pipeline() as pipe:
        for i in range(first, first + count):
            pipe.publish("feed", f"{i}:{PAYLOAD}")


async def test_a_subscriber_dropped_while_reading_was_paused_reports_the_time_since_the_pause(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    total, stalled = 20_000, 1.5
    got: list[int] = []
    notices: list[tuple[float, Resubscribed]] = []
    async with Redis(info.host, info.port, decode_responses=True) as r:
        await r.config_set({"client-output-buffer-limit": "pubsub 64kb 32kb 1"})
        p = r.pubsub(max_pending=100, on_reconnect=lambda n: notices.append((time.monotonic(), n)))
        await p.subscribe("feed")
        started = time.monotonic()
        await _publish(r, 0, total)
        assert p.is_reading_paused()
        await until(lambda: _no_subscriber(info), 10, "the server dropping the subscriber")
        assert p.is_reading_paused()  # the client has not read the close yet
        await asyncio.sleep(stalled)  # the reader is busy elsewhere
        async with asyncio.timeout(30):
            while not notices:  # the notice comes to the reader in stream order
                message = await p.get_message(timeout=0.2)
                if message is not None:
                    got.append(int(message.data.split(":")[0]))
        await p.aclose()

    noticed_at, notice = notices[0]
    figures("messages published / received before the gap", (total, len(got)))
    figures("seconds from the first publish to the notice", round(noticed_at - started, 3))
    figures("reported downtime (s)", round(notice.downtime, 3))
    figures("reported cause", str(notice.cause))
    assert got == list(range(len(got)))
    assert len(got) < total
    # Reading paused during the publishing, before the server dropped the subscriber: the
    # downtime covers at least the stall, and no more than the whole run.
    assert stalled <= notice.downtime <= noticed_at - started
    assert "while reading was paused" in str(notice.cause)
    assert "client-output-buffer-limit pubsub" in str(notice.cause)


async def test_a_subscriber_that_caught_up_dates_a_later_loss_from_its_end(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    total = 2_000
    got: list[int] = []
    notices: list[Resubscribed] = []
    async with Redis(info.host, info.port, decode_responses=True) as r:
        # The health check looks four times per interval whether the backlog is read.
        p = r.pubsub(max_pending=100, on_reconnect=notices.append, health_check_interval=1.0)
        await p.subscribe("feed")
        await _publish(r, 0, total)
        assert p.is_reading_paused()  # behind, then caught up below
        async with asyncio.timeout(10):
            while len(got) < total:
                message = await p.get_message(timeout=5)
                assert message is not None
                got.append(int(message.data.split(":")[0]))
        await asyncio.sleep(1.0)  # caught up, and quiet for four ticks
        killed = await r.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed == 1
        async with asyncio.timeout(10):
            while not notices:
                assert await p.get_message(timeout=0.2) is None
        await p.aclose()

    figures("reported downtime after the reader caught up (s)", round(notices[0].downtime, 3))
    figures("reported cause", str(notices[0].cause))
    assert got == list(range(total))
    assert notices[0].downtime < 0.5  # the quiet second before the loss is not counted
    assert "the server or the network closed" in str(notices[0].cause)


async def _no_subscriber(info: RedisServerInfo) -> bool:
    return await _subscribers(info) == 0
