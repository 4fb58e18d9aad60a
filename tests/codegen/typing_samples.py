"""Calls ``mypy --strict`` must accept (or refuse) on the generated surface; never executed.

``test_typing_samples`` type-checks this file. The Mapping parameters take ordinary ``dict``
variables whatever their key type among str, bytes, int and float; a refused call carries a
``type: ignore`` with its error code, which ``warn_unused_ignores`` proves is still needed.
"""

from __future__ import annotations

from typing import assert_type

from redis_oxide import Redis


async def mapping_parameters_take_plain_dicts(r: Redis[str]) -> None:
    fields: dict[str, str] = {"f": "v"}
    byte_fields: dict[bytes, int] = {b"f": 1}
    numbers: dict[int, float] = {1: 2.5}
    mixed: dict[str | bytes, str] = {"a": "b", b"c": "d"}
    assert_type(await r.hset("h", fields), int)
    assert_type(await r.hset("h", byte_fields), int)
    assert_type(await r.hset("h", numbers), int)
    assert_type(await r.hset("h", mixed), int)
    assert_type(await r.mset(fields), bool)
    assert_type(await r.msetnx(byte_fields), bool)
    assert_type(await r.xadd("s", fields), str)
    assert_type(await r.xadd("s", byte_fields, id="1-1"), str)
    scores: dict[str, float] = {"m": 1.0}
    int_scores: dict[bytes, int] = {b"m": 1}
    assert_type(await r.zadd("z", scores), int)
    assert_type(await r.zadd("z", int_scores, increment=True), float | None)
    offsets: dict[str, str] = {"s": "0"}
    assert_type(await r.xread(offsets), dict[str, list[tuple[str, dict[str, str]]]] | None)


async def wrong_types_are_refused(r: Redis[bytes]) -> None:
    lists: dict[str, list[int]] = {"f": [1]}
    await r.hset("h", lists)  # type: ignore[arg-type]
    int_keys: dict[int, str] = {1: "v"}
    await r.mset(int_keys)  # type: ignore[type-var]
    text_scores: dict[str, str] = {"m": "1"}
    await r.zadd("z", text_scores)  # type: ignore[arg-type]
    await r.expire("k", "soon")  # type: ignore[arg-type]
    await r.xadd("s", {"f": "v"}, auto_id=True)  # type: ignore[call-overload]


async def score_bounds_take_text(r: Redis[str]) -> None:
    assert_type(await r.zcount("z", "(1", "+inf"), int)
    assert_type(await r.zremrangebyscore("z", "-inf", 2.5), int)
    assert_type(await r.zunionstore("d", "a", "b", weight=[0.5, 2]), int)


async def numbers_take_what_redis_parses(r: Redis[str]) -> None:
    assert_type(await r.zincrby("z", 1.5, "m"), float)
    assert_type(await r.zincrby("z", 2, "m"), float)
    assert_type(await r.bitfield_ro("b", get_block=[("u8", "#1"), ("u8", 0)]), list[int])
    await r.lrange("l", 0.5, 1)  # type: ignore[arg-type]
