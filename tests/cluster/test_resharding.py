"""Live resharding under load: 100 slots (with their keys) move while 50 tasks read and write.

The mover runs in a thread, the way an operator's tool would, with ``CLUSTER SETSLOT ...
IMPORTING/MIGRATING``, ``MIGRATE`` in batches and ``SETSLOT ... NODE``. Each task owns its
keys, so it knows the last value it wrote: every read must return it, no call may fail, and
the ASK path (keys already moved out of a migrating slot) must have been taken. Multi-key
calls on one slot meet TRYAGAIN while their slot is half moved, and are retried.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo
from tests.cluster._migrate import (
    begin_migration,
    finish_migration,
    migrate_keys,
    owner_of,
    slot_owners,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

TASKS = 50
SLOTS = 100
KEYS_PER_SLOT = 8


def _keys_for(slots: list[int], per_slot: int) -> dict[int, list[str]]:
    wanted = set(slots)
    found: dict[int, list[str]] = {slot: [] for slot in slots}
    index = 0
    while any(len(keys) < per_slot for keys in found.values()):
        key = f"reshard:{index}"
        index += 1
        slot = key_slot(key)
        if slot in wanted and len(found[slot]) < per_slot:
            found[slot].append(key)
    return found


def _tags_in(slots: list[int], count: int) -> list[str]:
    # Hash tags whose slot moves: multi-key calls on them meet the slot half moved.
    wanted = slots[:: max(1, len(slots) // count)]
    tags: list[str] = []
    index = 0
    while len(tags) < count:
        tag = f"t{index}"
        index += 1
        if key_slot(tag) in wanted:
            tags.append(tag)
    return tags


def _move(cluster: ClusterInfo, source: Any, target: Any, slots: list[int]) -> float:
    started = time.monotonic()
    for slot in slots:
        begin_migration(source, target, slot)
        # Small batches, so callers meet the slot half moved (ASK, TRYAGAIN) for a while.
        while migrate_keys(source, target, slot, limit=2):
            time.sleep(0.001)
        finish_migration(cluster, source, target, slot)
    return time.monotonic() - started


async def test_live_resharding_of_100_slots_under_load(
    own_cluster: ClusterInfo, figures: Any
) -> None:
    source = owner_of(own_cluster, 0)
    target = next(p for p in own_cluster.primaries if p.port != source.port)
    owners = slot_owners(own_cluster)
    slots = [s for s in range(16384) if owners[s] == source.port][:SLOTS]
    by_slot = _keys_for(slots, KEYS_PER_SLOT)
    all_keys = [key for keys in by_slot.values() for key in keys]
    # Each task owns keys spread over many slots, and one slot's keys for multi-key calls.
    owned = [all_keys[i::TASKS] for i in range(TASKS)]
    tags = _tags_in(slots, TASKS)
    seed = own_cluster.primaries[1]
    async with RedisCluster(seed.host, seed.port, command_timeout=10.0) as client:
        await client.mset(dict.fromkeys(all_keys, "0"))
        stop = asyncio.Event()
        counts = {"writes": 0, "reads": 0, "multi": 0}
        wrong: list[str] = []
        errors: list[BaseException] = []

        async def worker(index: int) -> None:
            mine = owned[index]
            last = dict.fromkeys(mine, 0)
            tagged = [f"{{{tags[index]}}}:{n}" for n in range(3)]
            generation = 0
            try:
                while not stop.is_set():
                    generation += 1
                    for key in mine:
                        value = last[key] + 1
                        await client.set(key, str(value))
                        last[key] = value
                        counts["writes"] += 1
                        got = await client.get(key)
                        counts["reads"] += 1
                        if got != str(value).encode():
                            wrong.append(f"{key}: wrote {value}, read {got!r}")
                    await client.mset(dict.fromkeys(tagged, str(generation)))
                    values = await client.mget(*tagged)
                    counts["multi"] += 1
                    if values != [str(generation).encode()] * 3:
                        wrong.append(f"{tagged}: wrote {generation}, read {values!r}")
            except BaseException as exc:
                errors.append(exc)
                raise

        workers = [asyncio.ensure_future(worker(i)) for i in range(TASKS)]
        await asyncio.sleep(0.3)  # load first
        took = await asyncio.to_thread(_move, own_cluster, source, target, slots)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*workers, return_exceptions=True)
        stats = client.stats()
        for key in all_keys:  # every key's final value is on the new owner, intact
            assert await client.get(key) is not None
        figures("slots moved", f"{len(slots)} ({len(all_keys)} keys) in {took:.2f} s")
        figures("calls during the move (and 0.3 s either side)", counts)
        figures(
            "ASK / MOVED / TRYAGAIN-and-other retries", (stats.asked, stats.moved, stats.retried)
        )
        figures("wrong reads / errors", (len(wrong), len(errors)))
    assert errors == []
    assert wrong == []
    assert stats.asked > 0
    assert stats.moved > 0
    assert owners != slot_owners(own_cluster)
    assert all(owner_of(own_cluster, slot).port == target.port for slot in slots)
