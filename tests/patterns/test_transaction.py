"""Transactions on real servers: MULTI/EXEC batches, WATCH retries, aborts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ExecAbortError,
    InvalidUsageError,
    WatchError,
)
from redis_oxide._transaction import Transaction, TransactionState
from redis_oxide.testing import raw_command
from redis_oxide.testing._info import RedisServerInfo

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(30)


async def test_concurrent_transactions_retry_until_the_counter_is_exact(
    flushed_stack: RedisServerInfo, figures: Figure
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, max_connections=10) as client:
        attempts = 0

        async def increment(tx: Transaction[bytes]) -> int:
            nonlocal attempts
            attempts += 1
            current = int(await tx.get("counter") or 0)
            await asyncio.sleep(0)  # let the other transactions read the same value
            tx.multi()
            tx.set("counter", current + 1)
            return current + 1

        values = await asyncio.gather(
            *(client.transaction(increment, "counter", retries=200) for _ in range(50))
        )
        final = await client.get("counter")
        figures("counter after 50 transactions", final)
        figures("attempts", attempts)
        assert final == b"50"
        assert sorted(values) == list(range(1, 51))
        assert attempts > 50  # the races really happened and were retried
        assert client.stats().leased == 0


async def test_watch_error_after_retries_are_exhausted(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        calls = 0

        async def always_raced(tx: Transaction[bytes]) -> None:
            nonlocal calls
            calls += 1
            await tx.get("k")
            await client.execute_command("INCR", "k")  # another writer, on another connection
            tx.multi()
            tx.set("k", "mine")

        with pytest.raises(WatchError):
            await client.transaction(always_raced, "k", retries=2)
        assert calls == 3
        assert await client.get("k") == b"3"
        assert client.stats().leased == 0


async def test_watch_by_hand_commits_on_clean_exit(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        await client.execute_command("SET", "balance", "10")
        async with client.watch("balance") as tx:
            balance = int(await tx.get("balance") or 0)
            tx.multi()
            new = tx.decrby("balance", 3)
            with pytest.raises(InvalidUsageError):
                tx.multi()
        assert await new == balance - 3 == 7
        assert tx.state is TransactionState.DONE
        with pytest.raises(InvalidUsageError, match="after the transaction ran"):
            tx.get("balance")


async def test_watch_by_hand_raises_watch_error_when_the_key_changed(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:

        async def raced() -> None:
            async with client.watch("k") as tx:
                await client.execute_command("SET", "k", "other")
                tx.multi()
                tx.set("k", "mine")

        with pytest.raises(WatchError):
            await raced()
        assert await client.get("k") == b"other"
        assert client.stats().leased == 0


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_exec_abort_surfaces_the_queued_error(
    flushed_stack: RedisServerInfo, strategy: Any
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, strategy=strategy) as client:
        tx = client.pipeline(transaction=True)
        fine = tx.set("k", "v")
        broken = tx.execute_command("SET", "k")  # wrong arity: refused while queuing
        with pytest.raises(ExecAbortError, match="SET") as info:
            await tx.execute()
        assert info.value.__cause__ is not None
        with pytest.raises(ExecAbortError):
            await fine
        with pytest.raises(Exception, match="wrong number of arguments"):
            await broken
        assert await client.get("k") is None
        # The shared connection is still usable afterwards (no MULTI state left behind).
        assert await client.incr("after") == 1


async def test_runtime_error_inside_exec_stays_in_its_slot(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.execute_command("SET", "s", "text")
        tx = client.pipeline(transaction=True, raise_on_error=False)
        tx.incr("s")
        tx.incr("n")
        results = await tx.execute()
        assert isinstance(results[0], Exception)
        assert results[1] == 1


async def test_fifty_concurrent_increments_commit_with_default_settings(
    flushed_stack: RedisServerInfo, figures: Figure
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        attempts = 0

        async def increment(tx: Transaction[bytes]) -> None:
            nonlocal attempts
            attempts += 1
            current = int(await tx.get("hot") or 0)
            await asyncio.sleep(0)  # every contender reads the same value first
            tx.multi()
            tx.set("hot", current + 1)

        await asyncio.gather(*(client.transaction(increment, "hot") for _ in range(50)))
        figures("attempts for 50 increments with default retries", attempts)
        assert await client.get("hot") == b"50"


async def test_transaction_retries_a_watch_error_from_an_execute_the_callable_awaits(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        attempts = 0

        async def increment(tx: Transaction[bytes]) -> list[object]:
            nonlocal attempts
            attempts += 1
            current = int(await tx.get("balance") or 0)
            if attempts == 1:
                await client.set("balance", 100)  # another writer wins the race once
            tx.multi()
            tx.set("balance", current + 1)
            return await tx.execute()  # raises WatchError in the first attempt

        assert await client.transaction(increment, "balance") == [True]
        assert attempts == 2
        assert await client.get("balance") == b"101"


async def test_a_plain_function_queues_and_is_retried_like_a_coroutine_one(
    flushed_stack: RedisServerInfo,
) -> None:
    # redis-py's transaction() takes a plain function that only queues; ported code keeps it.
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        attempts = 0

        def queue(tx: Transaction[bytes]) -> str:
            nonlocal attempts
            attempts += 1
            if attempts == 1:
                # Another client writes the watched key after WATCH: this EXEC must fail.
                raw_command(flushed_stack.endpoint, "SET", "counter", "10")
            tx.multi()
            tx.incr("counter")
            tx.rpush("log", attempts)
            return "queued"

        assert await client.transaction(queue, "counter") == "queued"
        assert attempts == 2
        assert await client.get("counter") == b"11"
        assert await client.lrange("log", 0, -1) == [b"2"]


async def test_raw_commands_follow_the_transaction_state(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.set("k", "before")
        async with client.watch("k") as tx:
            # While watching, a raw command runs at once and returns its reply.
            assert await tx.execute_command("GET", "k") == b"before"
            tx.multi()
            queued = tx.execute_command("SET", "k", "after")
            assert await client.get("k") == b"before"  # queued, not run
        assert await queued == b"OK"
        assert await client.get("k") == b"after"
        with pytest.raises(InvalidUsageError, match="after the transaction ran"):
            tx.execute_command("GET", "k")
        with pytest.raises(InvalidUsageError, match="WATCH"):
            tx.execute_command("WATCH", "k")


async def test_watch_without_keys_is_refused_at_the_call(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        with pytest.raises(ValueError, match="at least one key"):
            client.watch()


async def test_a_transaction_that_times_out_names_exec(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, command_timeout=0.2) as client:

        async def slow(tx: Transaction[bytes]) -> None:
            tx.multi()
            tx.execute_command("DEBUG", "SLEEP", "0.5")

        with pytest.raises(CommandTimeoutError, match=r"transaction \(MULTI \.\.\. EXEC\)") as got:
            await client.transaction(slow)
        assert got.value.command == "EXEC"
        await asyncio.sleep(0.4)  # the server finishes its sleep
        assert await client.ping()


async def test_handles_of_a_transaction_that_never_ran_say_why(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        queued: list[Any] = []

        async def failing(tx: Transaction[bytes]) -> None:
            tx.multi()
            queued.append(tx.set("k", "1"))
            raise KeyError("boom")

        with pytest.raises(KeyError):
            await client.transaction(failing, "k")
        with pytest.raises(InvalidUsageError, match=r"did not run: its function raised KeyError"):
            await queued[0]

        async def use_block() -> None:
            async with client.watch("k") as tx:
                tx.multi()
                queued.append(tx.set("k", "2"))
                raise LookupError("in the block")

        with pytest.raises(LookupError):
            await use_block()
        with pytest.raises(InvalidUsageError, match=r"did not run: its block raised LookupError"):
            await queued[1]
        assert await client.get("k") is None
