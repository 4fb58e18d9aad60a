"""Cancellation at random points never desynchronises the shared connection."""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING

import pytest

from redis_oxide._client import Redis
from redis_oxide.testing.plugin import ServerFactory
from tests.reliability._cancel import Tally, cancel_some

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

UNITS_PER_BATCH = 700
BATCHES = 110


async def test_random_cancellations_never_mismatch_replies(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    run = uuid.uuid4().hex[:8]
    rng = random.Random(20240601)
    issued = 0
    tally = Tally()

    async with Redis(info.host, info.port) as client:

        async def unit(i: int) -> bool:
            nonlocal issued
            token = f"{run}:{i}".encode()
            if i % 2:
                issued += 1
                return bool(await client.execute_command("ECHO", token) == token)
            key = b"stress:" + token
            issued += 1
            await client.execute_command("SET", key, token)
            issued += 1
            return bool(await client.execute_command("GET", key) == token)

        for batch in range(BATCHES):
            base = batch * UNITS_PER_BATCH
            # Cancel before the first step, after the send, and while awaiting replies.
            units = [unit(base + n) for n in range(UNITS_PER_BATCH)]
            await cancel_some(units, rng, 8, 4, tally)
        stats = client.stats()
        assert await client.execute_command("ECHO", b"last") == b"last"

    total_units = UNITS_PER_BATCH * BATCHES
    figures("commands issued", issued)
    figures("units cancelled", f"{tally.cancelled} of {total_units}")
    figures("mismatched replies", tally.mismatched)
    figures("reconnects", stats.reconnects)
    assert issued >= 100_000
    assert tally.mismatched == 0
    assert tally.cancelled >= total_units // 10
    assert tally.completed + tally.cancelled == total_units
    assert stats.reconnects == 0
    assert stats.connections == 1
