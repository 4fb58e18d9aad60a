"""``Resubscribed`` notices: not messages, in stream order, and saying how a connection ended.

- A notice is not a message: it never counts in ``pending`` or against ``max_pending``, so
  reconnects alone neither fail an ``on_overflow="error"`` subscription nor pause reading.
- Restores with no message between them come as one notice, where the reader meets them.
- ``notice.cause`` tells a connection the server closed (CLIENT KILL: an end of stream) from
  one that was reset (a TCP RST, whose ``ConnectionResetError`` is the ``__cause__``); the
  reader's loop goes on after either.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Message, PubSub, Redis, Resubscribed, SubscriptionState
from redis_oxide.testing.plugin import ServerFactory
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from redis_oxide.testing._proxy import ProxyFactory

pytestmark = pytest.mark.timeout(60)


async def _kill_subscribers(admin: Redis[str]) -> None:
    killed = await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    assert killed == 1


async def test_reconnect_notices_do_not_fail_an_error_policy_subscription(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    notices: list[Resubscribed] = []
    async with (
        Redis(info.host, info.port, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as admin,
        r.pubsub(max_pending=2, on_overflow="error", on_reconnect=notices.append) as p,
    ):
        await p.subscribe("feed")
        await _restore_three_times(p, admin)  # more restores than max_pending, nobody reading
        await admin.publish("feed", "first")
        await admin.publish("feed", "second")  # max_pending messages: they fit
        async with asyncio.timeout(5):
            got = [await p.get_message(timeout=None), await p.get_message(timeout=None)]
        assert got == [Message("message", "feed", "first"), Message("message", "feed", "second")]
        assert p.state is SubscriptionState.OPEN
        assert [n.reconnects for n in notices] == [3]  # three restores at one place: one notice


async def test_reconnect_notices_do_not_count_in_pending_nor_pause_reading(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    notices: list[Resubscribed] = []
    async with (
        Redis(info.host, info.port, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as admin,
        r.pubsub(max_pending=2, on_reconnect=notices.append) as p,  # on_overflow="block"
    ):
        await p.subscribe("feed")
        await _restore_three_times(p, admin)
        assert p.pending == 0
        await admin.publish("feed", "first")
        await until(lambda: p.pending == 1, 5, "the message queued")
        assert not p.is_reading_paused()  # one message of two: not full
        async with asyncio.timeout(5):
            assert await p.get_message(timeout=None) == Message("message", "feed", "first")
        assert [n.reconnects for n in notices] == [3]


async def _restore_three_times(p: PubSub[str], admin: Redis[str]) -> None:
    for restored in range(1, 4):
        await _kill_subscribers(admin)
        await until(lambda n=restored: p.reconnects == n, 5, f"restore {restored}")


async def test_notices_keep_their_place_among_the_messages(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory("7")
    seen: list[str] = []
    async with (
        Redis(info.host, info.port, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as admin,
        r.pubsub(on_reconnect=lambda n: seen.append(f"restored {n.reconnects}")) as p,
    ):
        await p.subscribe("feed")
        await admin.publish("feed", "1")
        for restored in (1, 2):  # two restores with no message between
            await _kill_subscribers(admin)
            await until(lambda n=restored: p.reconnects == n, 5, f"restore {restored}")
        await admin.publish("feed", "2")
        await _kill_subscribers(admin)
        await until(lambda: p.reconnects == 3, 5, "restore 3")
        await admin.publish("feed", "3")
        async with asyncio.timeout(5):
            while len(seen) < 5:
                message = await p.get_message(timeout=None)
                assert message is not None
                seen.append(message.data)
    assert seen == ["1", "restored 2", "2", "restored 3", "3"]


@pytest.mark.parametrize("how", ["client kill", "reset"])
async def test_a_notice_tells_a_server_close_from_a_reset(
    redis_server_factory: ServerFactory, tcp_proxy: ProxyFactory, how: str
) -> None:
    info = redis_server_factory("7")
    proxy = await tcp_proxy(info)
    notices: list[Resubscribed] = []
    async with (
        Redis(proxy.host, proxy.port, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as admin,
        r.pubsub(on_reconnect=notices.append) as p,
    ):
        await p.subscribe("feed")
        if how == "client kill":
            await _kill_subscribers(admin)  # the server closes: an end of stream
        else:
            proxy.reset()  # a TCP RST to the client
        await until(lambda: p.reconnects == 1, 5, "the restore")
        await admin.publish("feed", "after")
        async with asyncio.timeout(5):
            message = await p.get_message(timeout=None)  # the reader's loop goes on
        assert message == Message("message", "feed", "after")
    assert len(notices) == 1
    cause = notices[0].cause
    address = f"{proxy.host}:{proxy.port}"
    assert cause.address == address
    if how == "client kill":
        assert str(cause).startswith(
            f"the server or the network closed subscriber connection to {address} (end of "
            "stream: CLIENT KILL"
        )
        assert cause.__cause__ is None
    else:
        assert str(cause).startswith(
            f"the server or the network reset subscriber connection to {address} ("
        )
        assert isinstance(cause.__cause__, ConnectionResetError)
