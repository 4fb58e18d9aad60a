"""Cancelling split commands and pipelines at random points never mismatches a reply.

Splits (MGET, DEL over many slots) and pipelines of whole commands are written straight to
the nodes' shared connections and their replies awaited in order; a caller cancelled before
the write, after it or while the replies come back leaves every connection in step: each
later reply still belongs to its own command, and no connection is reopened.
"""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING

import pytest

from redis_oxide import RedisCluster
from redis_oxide.testing import ClusterInfo
from tests.reliability._cancel import Tally, cancel_some

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

UNITS_PER_ROUND = 200
ROUNDS = 40
KEYS = 12  # per unit, over as many slots: every primary gets some


async def test_random_cancellations_of_splits_and_pipelines_never_mismatch(
    redis_cluster: ClusterInfo, figures: Figure
) -> None:
    seed = redis_cluster.primaries[0]
    run = uuid.uuid4().hex[:8]
    rng = random.Random(20261205)
    tally = Tally()
    async with RedisCluster(seed.host, seed.port, command_timeout=10.0) as cluster:
        await cluster.nodes()

        async def unit(i: int) -> bool:
            keys = [f"cancel:{run}:{i}:{k}" for k in range(KEYS)]
            tokens = [f"{i}:{k}".encode() for k in range(KEYS)]
            kind = i % 3
            if kind == 0:  # a pipeline of whole commands, then a split MGET reads them back
                async with cluster.pipeline() as pipe:
                    for key, token in zip(keys, tokens, strict=True):
                        pipe.set(key, token)
                return await cluster.mget(*keys) == tokens
            if kind == 1:  # a split MSET, then a mixed pipeline reads them back
                assert await cluster.mset(dict(zip(keys, tokens, strict=True)))
                async with cluster.pipeline() as pipe:
                    handles = [pipe.result(pipe.get(key)) for key in keys]
                    pipe.set(keys[0], tokens[0])
                return [h.value for h in handles] == tokens
            # a split DEL over keys of which half exist
            assert await cluster.mset(dict(zip(keys[::2], tokens[::2], strict=True)))
            return await cluster.delete(*keys) == len(keys[::2])

        for round_ in range(ROUNDS):
            base = round_ * UNITS_PER_ROUND
            # Cancel before the first step, after a write, and while replies come back.
            units = [unit(base + n) for n in range(UNITS_PER_ROUND)]
            await cancel_some(units, rng, 5, 5, tally)
        stats = cluster.stats()
        assert await cluster.echo(b"last") == b"last"
        names = [
            f"cancel:{run}:{i}:{k}" for i in range(ROUNDS * UNITS_PER_ROUND) for k in range(KEYS)
        ]
        for start in range(0, len(names), 4096):
            await cluster.delete(*names[start : start + 4096])

    total = UNITS_PER_ROUND * ROUNDS
    figures("units cancelled / completed", f"{tally.cancelled} / {tally.completed} of {total}")
    figures("mismatched replies", tally.mismatched)
    reconnects = sum(node.reconnects for node in stats.nodes.values())
    figures("reconnects", reconnects)
    assert tally.mismatched == 0
    assert tally.completed + tally.cancelled == total
    assert tally.cancelled >= total // 10
    assert reconnects == 0
    assert stats.down == ()
