"""How a subscriber connection ended, as a ``Resubscribed`` notice tells it.

- A proxy closing the connection is an end of stream, like CLIENT KILL
  (``tests/pubsub/test_notices.py`` covers that and the reset).
- A stream that is not RESP gives up the connection; the notice's ``__cause__`` is the
  ``ProtocolError``, which names the server like every other error.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Message, Redis, Resubscribed
from redis_oxide._exceptions import ProtocolError
from redis_oxide.testing.plugin import ServerFactory
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from redis_oxide.testing._proxy import ProxyFactory, TcpProxy

pytestmark = pytest.mark.timeout(60)


async def _notice_after(
    redis_server_factory: ServerFactory, tcp_proxy: ProxyFactory, how: str
) -> tuple[Resubscribed, TcpProxy]:
    info = redis_server_factory("7")
    proxy = await tcp_proxy(info)
    notices: list[Resubscribed] = []
    async with (
        Redis(proxy.host, proxy.port, decode_responses=True) as r,
        Redis(info.host, info.port, decode_responses=True) as admin,
        r.pubsub(on_reconnect=notices.append) as p,
    ):
        await p.subscribe("feed")
        if how == "proxy close":
            proxy.cut()  # the proxy closes the client's side: an end of stream
        else:
            # The message's payload becomes bytes that are not RESP.
            proxy.rewrite_reply(b"$6\r\nmarker\r\n", b"@garbage\r\n")
            assert await admin.publish("feed", "marker") == 1
        await until(lambda: p.reconnects == 1, 5, "the restore")
        await admin.publish("feed", "after")
        async with asyncio.timeout(5):
            message = await p.get_message(timeout=None)  # the reader's loop goes on
        assert message == Message("message", "feed", "after")
    assert len(notices) == 1
    return notices[0], proxy


async def test_a_proxy_closing_the_connection_is_an_end_of_stream(
    redis_server_factory: ServerFactory, tcp_proxy: ProxyFactory
) -> None:
    notice, proxy = await _notice_after(redis_server_factory, tcp_proxy, "proxy close")
    address = f"{proxy.host}:{proxy.port}"
    assert str(notice.cause).startswith(
        f"the server or the network closed subscriber connection to {address} (end of stream"
    )
    assert notice.cause.__cause__ is None


async def test_a_stream_that_is_not_resp_names_its_server(
    redis_server_factory: ServerFactory, tcp_proxy: ProxyFactory
) -> None:
    notice, proxy = await _notice_after(redis_server_factory, tcp_proxy, "garbage")
    address = f"{proxy.host}:{proxy.port}"
    cause = notice.cause
    assert cause.address == address
    assert str(cause).startswith(f"subscriber connection to {address} was given up (Protocol")
    error = cause.__cause__
    assert isinstance(error, ProtocolError)
    assert error.address == address
    assert str(error).endswith(f"[address={address}]")
