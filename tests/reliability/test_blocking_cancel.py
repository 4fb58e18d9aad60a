"""A cancelled blocking command takes nothing pushed after its caller got control back.

The caller of ``BLPOP key 0`` is cancelled (a timeout around it), then another client pushes
an element at once. The blocked connection must be gone on the server by then: if the server
still served the cancelled BLPOP, the element would be popped into a dead connection and lost.
Run on asyncio's loop and on uvloop, whose transports close their sockets differently.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

import pytest
import uvloop

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

ROUNDS = 20
Strategy = Literal["multiplexed", "pooled"]


async def _lost(info: RedisServerInfo, strategy: Strategy, command: str) -> int:
    """Elements lost to ROUNDS cancelled waits, each followed at once by a push."""
    async with (
        Redis(info.host, info.port, strategy=strategy) as client,
        Redis(info.host, info.port) as pusher,
    ):

        async def wait_for(key: str) -> None:
            if command == "blpop":
                await client.blpop([key], 0)
            else:
                async with client.pipeline() as pipe:
                    pipe.blpop([key], 0)

        lost = 0
        for index in range(ROUNDS):
            key = f"queue:{command}:{index}"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(wait_for(key), 0.05)
            await pusher.rpush(key, "element")  # at once, as the caller's next step
            await asyncio.sleep(0.02)
            if await pusher.lrange(key, 0, -1) != [b"element"]:
                lost += 1
            await pusher.delete(key)
        return lost


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize("command", ["blpop", "pipeline"])
async def test_nothing_pushed_after_a_cancelled_blpop_is_lost(
    flushed_stack: RedisServerInfo, strategy: Strategy, command: str, figures: Figure
) -> None:
    lost = await _lost(flushed_stack, strategy, command)
    figures(f"elements lost after a cancelled {command} ({strategy})", f"{lost} of {ROUNDS}")
    assert lost == 0


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
def test_nothing_is_lost_on_uvloop_either(
    flushed_stack: RedisServerInfo, strategy: Strategy, figures: Figure
) -> None:
    lost = uvloop.run(_lost(flushed_stack, strategy, "blpop"))
    figures(f"elements lost after a cancelled blpop on uvloop ({strategy})", f"{lost} of {ROUNDS}")
    assert lost == 0
