"""Typed usage of pipelines, transactions and scripts, checked by ``mypy --strict``.

``assert_type`` lines are the contract: queued commands keep their command's return type
(as ``Awaitable[T]`` from the shared command surface, ``PipelineResult[T]`` through
``result()``), script and function calls follow their parser, a lock's steps and the scan
iterators have plain types. The ``examples`` coroutines are only type-checked; the test
functions run without a server (nothing is sent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import assert_type

from redis_oxide import Lock, Monitor, MonitorEntry
from redis_oxide._client import Redis
from redis_oxide._parsers import Reply
from redis_oxide._pipeline import Pipeline, PipelineResult
from redis_oxide._scripting import Library, Script
from redis_oxide._transaction import Transaction


def test_queued_commands_carry_their_return_types() -> None:
    raw = Redis()
    text = Redis(decode_responses=True)
    pipe = raw.pipeline()
    assert_type(pipe, Pipeline[bytes])
    assert_type(text.pipeline(transaction=True), Pipeline[str])
    value = pipe.get("k")
    assert_type(value, Awaitable[bytes | None])
    assert_type(pipe.result(value), PipelineResult[bytes | None])
    assert_type(pipe.result(pipe.incr("n")), PipelineResult[int])
    handle = PipelineResult.of(text.pipeline().get("k"))
    assert_type(handle, PipelineResult[str | None])
    assert_type(pipe.execute_command("PING"), PipelineResult[Reply])
    assert_type(pipe.execute_command("PING", parser=bytes), PipelineResult[bytes])
    pipe.reset()


async def examples(client: Redis[str], script: Script, lib: Library) -> None:
    async with client.pipeline() as pipe:
        counter = pipe.incr("n")
        name = pipe.get("name")
        by_script = pipe.run_script(script, ["k"], [1], parser=int)
    assert_type(await counter, int)
    assert_type(await name, str | None)
    assert_type(pipe.result(counter).value, int)
    assert_type(by_script.value, int)
    assert_type(await pipe.execute(), list[object])

    assert_type(await script(["k"]), Reply)
    assert_type(await script(["k"], [1], parser=float), float)
    assert_type(await script(["k"], pipeline=pipe), Reply)
    assert_type(await lib.call("fn", ["k"]), Reply)
    assert_type(await lib.call("fn", args=[1], parser=int, read_only=True), int)
    assert_type(lib.call("fn", ["k"], pipeline=pipe), Awaitable[Reply])
    # A client is no pipeline: called without one, a script or function runs on its client.
    await script(["k"], pipeline=client)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    await lib.call("fn", pipeline=client)  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]
    assert_type(client.register_script("return 1"), Script)
    assert_type(client.library("#!lua name=x\n"), Library)

    lock = client.lock("job", timeout=30, blocking_timeout=5)
    assert_type(lock, Lock)
    assert_type(await lock.acquire(blocking=False, token=b"me"), bool)
    assert_type(lock.token, bytes | None)
    assert_type(await lock.extend(1.5, replace_ttl=True), None)
    assert_type(await lock.owned(), bool)
    async with lock as held:
        assert_type(held, Lock)

    async with client.monitor(max_pending=100) as monitor:
        assert_type(monitor, Monitor[str])
        async for entry in monitor:
            assert_type(entry, MonitorEntry[str])
            assert_type(entry.args, list[str])
            assert_type((entry.time, entry.db, entry.client), tuple[float, int, str])

    assert_type(client.scan_iter("user:*", count=100, type="hash"), AsyncIterator[str])
    assert_type(client.hscan_iter("h"), AsyncIterator[tuple[str, str]])
    assert_type(client.hscan_iter("h", novalues=True), AsyncIterator[str])
    either = bool(len("x"))
    assert_type(
        client.hscan_iter("h", novalues=either),
        AsyncIterator[tuple[str, str]] | AsyncIterator[str],
    )
    assert_type(client.sscan_iter("s", b"m:*"), AsyncIterator[str])
    assert_type(client.zscan_iter("z", count=10), AsyncIterator[tuple[str, float]])

    async def attempt(tx: Transaction[str]) -> int:
        assert_type(await tx.get("k"), str | None)
        tx.multi()
        assert_type(tx.result(tx.incr("n")), PipelineResult[int])
        return 1

    assert_type(await client.transaction(attempt, "k", retries=3), int)

    def queue_only(tx: Transaction[str]) -> str:
        tx.multi()
        tx.incr("n")
        return "queued"

    assert_type(await client.transaction(queue_only, "k"), str)
    assert_type(await client.transaction(lambda tx: tx.multi(), "k"), None)
    async with client.watch("k") as tx:
        assert_type(tx, Transaction[str])
