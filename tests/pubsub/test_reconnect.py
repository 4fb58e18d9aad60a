"""A subscription outlives its connection: server restarts, silent links, giving up."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide import Message, Redis, Resubscribed, Retry
from redis_oxide._exceptions import ConnectFailedError, ConnectionError
from redis_oxide._pubsub_types import LinkState
from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from redis_oxide.testing._proxy import ProxyFactory
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("protocol", [2, 3])
async def test_subscription_is_restored_after_a_server_restart(
    redis_server_factory: ServerFactory, protocol: Any, figures: Figure
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    tag = uuid.uuid4().hex[:6]
    channels = [f"ch{n}:{tag}" for n in range(5)]
    patterns = [f"pa:{tag}:*", f"pb:{tag}:*"]
    notices: list[Resubscribed] = []
    received: list[Message[str]] = []
    async with (
        Redis(info.host, info.port, protocol=protocol, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as publisher,
        r.pubsub(on_reconnect=notices.append) as p,
    ):
        await p.subscribe(*channels)
        await p.psubscribe(*patterns)

        async def read() -> None:  # the application: one loop, nothing else
            async for message in p:
                received.append(message)

        reader = asyncio.ensure_future(read())
        await publisher.publish(channels[0], "before")
        await until(lambda: len(received) == 1, 5, "the first message")

        await asyncio.to_thread(info.process.kill)
        await asyncio.sleep(0.3)  # the subscriber retries against a dead port meanwhile
        restarting = time.monotonic()
        await asyncio.to_thread(info.process.restart)
        ready = time.monotonic()  # the server accepted connections at most this long ago

        async def restored() -> bool:
            try:
                counts = await publisher.pubsub_numsub(channel=channels)
                return all(n == 1 for n in counts.values()) and await publisher.pubsub_numpat() == 2
            except ConnectionError:
                return False

        await until(restored, 5, "re-subscription")
        restored_at = time.monotonic()
        after_ready = restored_at - ready
        after_restart_call = restored_at - restarting
        for channel in channels:
            await publisher.publish(channel, "after")
        await publisher.publish(f"pa:{tag}:x", "after")
        await publisher.publish(f"pb:{tag}:y", "after")
        await until(lambda: len(received) == 8, 5, "the messages after the restart")
        reader.cancel()

    assert [m.data for m in received] == ["before"] + ["after"] * 7
    assert [m.channel for m in received[1:6]] == channels
    assert [m.pattern for m in received[6:]] == patterns
    assert p.reconnects == 1
    assert len(notices) == 1
    assert notices[0].reconnects == 1
    assert notices[0].cause.address == f"{info.host}:{info.port}"
    figures("restored after the server was ready (s)", round(after_ready, 3))
    figures("restored after restart() was called (s)", round(after_restart_call, 3))
    figures("downtime reported by on_reconnect (s)", round(notices[0].downtime, 3))
    assert after_ready < 1.0


async def test_a_silent_link_is_found_by_ping_and_replaced(
    redis_stack: RedisServerInfo, tcp_proxy: ProxyFactory, figures: Figure
) -> None:
    proxy = await tcp_proxy(redis_stack)
    channel = f"silent:{uuid.uuid4().hex[:6]}"
    interval = 1.0
    async with (
        Redis(proxy.host, proxy.port, connect_timeout=0.5) as r,
        Redis(redis_stack.host, redis_stack.port) as publisher,
        r.pubsub(health_check_interval=interval) as p,
    ):
        await p.subscribe(channel)
        await asyncio.sleep(interval)  # idle but healthy: PINGs are answered
        assert p._links[0].state is LinkState.ACTIVE
        proxy.stall()
        detected = await until(
            lambda: p._links[0].state is not LinkState.ACTIVE, 5, "the dead link"
        )
        proxy.resume()
        await until(lambda: p._links[0].state is LinkState.ACTIVE, 10, "a new link")
        await publisher.publish(channel, "through")
        message = await p.get_message(timeout=5)
        assert message is not None
        assert message.data == b"through"
        assert p.reconnects == 1
    figures("silent link detected after (s)", round(detected, 3))
    # Silent for one interval means dead; the check runs four times per interval.
    assert interval <= detected < interval * 1.25 + 0.5


async def test_shard_subscriptions_are_restored_too(redis_server_factory: ServerFactory) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    async with (
        Redis(info.host, info.port) as r,
        Redis(info.host, info.port) as publisher,
        r.pubsub() as p,
    ):
        await p.ssubscribe("orders")
        await asyncio.to_thread(info.process.kill)
        await asyncio.to_thread(info.process.restart)

        async def resubscribed() -> bool:
            try:
                return await publisher.pubsub_shardnumsub(shardchannel=["orders"]) == {b"orders": 1}
            except ConnectionError:
                return False

        await until(resubscribed, 5, "shard re-subscription")
        await publisher.spublish("orders", "42")
        message = await p.get_message(timeout=5)
        assert message == Message("smessage", b"orders", b"42")


async def test_reconnecting_gives_up_after_the_retry_budget(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    retry = Retry(attempts=3, backoff_base=0.01, backoff_cap=0.02)
    async with Redis(info.host, info.port, connect_timeout=1) as r:
        p = r.pubsub(reconnect_retry=retry)
        await p.subscribe("gone")
        await asyncio.to_thread(info.process.kill)
        with pytest.raises(ConnectFailedError):
            await asyncio.wait_for(p.get_message(timeout=None), 10)
        with pytest.raises(ConnectFailedError):
            await p.subscribe("again")  # the failure sticks
        await p.aclose()
        assert r.stats().leased == 0


async def test_subscribing_while_reconnecting_waits_for_the_new_connection(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    async with Redis(info.host, info.port) as r, Redis(info.host, info.port) as publisher:
        p = r.pubsub()
        await p.subscribe("first")
        await asyncio.to_thread(info.process.kill)
        await until(lambda: p._links[0].state is LinkState.CONNECTING, 5, "the loss")
        late = asyncio.ensure_future(p.subscribe("late"))
        await asyncio.sleep(0.1)
        assert not late.done()  # nothing confirms it while the server is down
        await asyncio.to_thread(info.process.restart)
        await asyncio.wait_for(late, 5)
        for channel in ("first", "late"):
            await publisher.publish(channel, channel)
            message = await p.get_message(timeout=5)
            assert message is not None
            assert message.channel == channel.encode()
        await p.aclose()


async def test_a_loss_is_warned_of_and_a_closed_client_is_not(
    redis_server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    caplog.set_level("INFO", logger="redis_oxide.pubsub")

    def warnings() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "redis_oxide.pubsub" and r.levelname == "WARNING"
        ]

    async with Redis(info.host, info.port, decode_responses=True) as r, r.pubsub() as p:
        await p.subscribe("a")
        await asyncio.to_thread(info.process.kill)
        await until(lambda: len(warnings()) >= 1, 5, "the loss warning")
        await asyncio.to_thread(info.process.restart)
        await until(lambda: p.reconnects == 1, 10, "the subscription restored")
    assert "lost; reconnecting" in warnings()[0]
    caplog.clear()

    r = Redis(info.host, info.port, decode_responses=True)
    p = r.pubsub()
    await p.subscribe("b")
    await r.aclose()  # the subscriber's connection ends with its client: no loss
    await asyncio.sleep(0.2)
    await p.aclose()
    assert warnings() == []


async def test_a_link_lost_right_after_each_restore_backs_off(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    # A server that closes the subscriber again as soon as it is restored (a slow consumer
    # over its output buffer limit, a CLIENT KILL loop) must not be hammered with connects:
    # a link lost soon after its restore counts towards the backoff like a failed reconnect,
    # and one that stood for a while starts the backoff over.
    info = redis_server_factory("7")
    retry = Retry(attempts=3, backoff_base=0.1, backoff_cap=0.8, jitter=False)
    async with (
        Redis(info.host, info.port, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as admin,
        r.pubsub(reconnect_retry=retry) as p,
    ):
        await p.subscribe("feed")
        link = p._links[0]
        gaps: list[float] = []
        for reconnects in range(1, 7):
            killed = time.monotonic()
            assert await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 1
            await until(lambda n=reconnects: p.reconnects == n, 10, f"restore {reconnects}")
            await until(lambda: link.state is LinkState.ACTIVE, 10, "the link active")
            gaps.append(time.monotonic() - killed)
        # Each loss came within a second of a restore (the first of the subscribe's): 0.1,
        # 0.2, 0.4, 0.8, 0.8, 0.8 s; and the give-up budget (3 failed reconnects) is untouched.
        assert sum(gaps) >= 3.1
        assert gaps[-1] >= 0.8
        await asyncio.sleep(1.2)  # the link stands: the next loss is a first one again
        killed = time.monotonic()
        assert await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 1
        await until(lambda: p.reconnects == 7, 10, "restore 7")
        after_standing = time.monotonic() - killed
        assert after_standing < 0.8
        await admin.publish("feed", "still here")
        async with asyncio.timeout(5):
            assert (await p.get_message(timeout=None)).data == "still here"
    figures(
        "restore after each of 6 losses right after a restore (s)",
        " / ".join(f"{gap:.3f}" for gap in gaps),
    )
    figures("restore after a loss once the link stood 1.2 s (s)", f"{after_standing:.3f}")
