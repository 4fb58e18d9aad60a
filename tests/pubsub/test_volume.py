"""100,000 messages on 10 channels: each arrives exactly once, in publish order per channel."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide import Redis
from redis_oxide.testing import RedisServerInfo

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

TOTAL = 100_000
CHANNELS = 10
CHUNK = 10_000  # PUBLISH commands per pipeline


async def _publish(info: RedisServerInfo, channels: list[str]) -> None:
    async with Redis(info.host, info.port) as publisher:
        for start in range(0, TOTAL, CHUNK):
            async with publisher.pipeline() as pipe:
                for i in range(start, start + CHUNK):
                    pipe.publish(channels[i % CHANNELS], str(i))


@pytest.mark.parametrize(
    ("protocol", "decode"),
    [
        pytest.param(2, False, id="resp2-bytes"),
        pytest.param(2, True, id="resp2-str"),
        pytest.param(3, False, id="resp3-bytes"),
        pytest.param(3, True, id="resp3-str"),
    ],
)
async def test_every_message_arrives_once_in_publish_order(
    redis_stack: RedisServerInfo, protocol: Any, decode: bool, figures: Figure
) -> None:
    tag = uuid.uuid4().hex[:8]
    channels = [f"volume:{tag}:{n}" for n in range(CHANNELS)]
    received: dict[Any, list[int]] = {}
    client: Redis[Any] = (
        Redis(redis_stack.host, redis_stack.port, protocol=protocol, decode_responses=True)
        if decode
        else Redis(redis_stack.host, redis_stack.port, protocol=protocol)
    )
    async with client, client.pubsub() as p:
        await p.subscribe(*channels)
        started = time.monotonic()
        publishing = asyncio.ensure_future(_publish(redis_stack, channels))
        count = 0
        async with asyncio.timeout(45):
            async for message in p:
                received.setdefault(message.channel, []).append(int(message.data))
                count += 1
                if count == TOTAL:
                    break
        elapsed = time.monotonic() - started
        await publishing
        # Nothing more may come: a duplicate would show up here.
        extra = await p.get_message(timeout=0.2)
        reconnects = p.reconnects

    assert extra is None
    assert reconnects == 0
    keys: list[Any] = channels if decode else [c.encode() for c in channels]
    assert set(received) == set(keys)
    for index, key in enumerate(keys):
        assert received[key] == list(range(index, TOTAL, CHANNELS))
    figures("messages received", count)
    figures("seconds, publish and receive", round(elapsed, 2))
