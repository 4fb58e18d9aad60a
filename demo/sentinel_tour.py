"""The Sentinel part of the tour: clients that follow a primary through failovers.

Runs against the sentinels named by ``REDIS_SENTINELS`` (``host:port,host:port``) and the name
in ``REDIS_SENTINEL_NAME`` (default ``mymaster``); without them it starts a local group
(Debian's ``redis-server`` and ``redis-sentinel``: a primary, a replica, three sentinels),
kills its primary while a client keeps writing, and stops the group afterwards.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis_oxide
from redis_oxide.exceptions import ConnectionLostError


def show(label: str, value: object) -> None:
    print(f"  {label:<44} {value!r}")


@dataclass
class Group:
    """Where the sentinels are, and how to kill the primary when the group is ours."""

    sentinels: list[tuple[str, int]]
    name: str
    kill_primary: Callable[[], None] | None = None


@contextmanager
def sentinel_group() -> Iterator[Group]:
    configured = os.environ.get("REDIS_SENTINELS")
    if configured:
        sentinels = []
        for entry in configured.split(","):
            host, _, port = entry.strip().rpartition(":")
            sentinels.append((host, int(port)))
        print(f"Using REDIS_SENTINELS ({configured})")
        yield Group(sentinels, os.environ.get("REDIS_SENTINEL_NAME", "mymaster"))
        return
    from redis_oxide.testing import start_sentinel_group

    started = time.perf_counter()
    info = start_sentinel_group()
    print(
        f"Started a local Sentinel group ({info.master_name}: primary :{info.primary.port}, "
        f"replica :{info.replica.port}, sentinels "
        f"{', '.join(str(s.port) for s in info.sentinels)}) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    try:
        yield Group(
            [(s.host, s.port) for s in info.sentinels],
            info.master_name,
            info.primary.process.kill if info.primary.process else None,
        )
    finally:
        for process in info.processes():
            process.close()
        print("Stopped the local Sentinel group.")


async def failover(primary: redis_oxide.Redis[str], group: Group) -> None:
    if group.kill_primary is None:
        return
    print("A failover: the local primary is killed (SIGKILL) while one task keeps writing")
    killed = 0.0
    resumed: list[float] = []
    written = failed = 0
    done = asyncio.Event()

    async def writer() -> None:
        nonlocal written, failed
        while not done.is_set():
            started = time.perf_counter()
            try:
                await primary.incr("tour:sentinel:writes")
            except ConnectionLostError as error:  # only a write in flight at the crash fails
                failed += 1
                show(type(error).__name__, f"may_have_executed={error.may_have_executed}")
                continue
            written += 1
            if killed and started > killed:  # sent after the crash: the new primary answered
                resumed.append(time.perf_counter() - killed)
                done.set()

    task = asyncio.ensure_future(writer())
    await asyncio.sleep(0.2)
    killed = time.perf_counter()
    group.kill_primary()
    await asyncio.wait_for(task, 15)
    show("first write on the new primary, s after the kill", round(resumed[0], 2))
    show("writes acknowledged / failed", (written, failed))
    show("the client now writes to", repr(primary).split()[1])


async def sentinel_tour() -> None:
    asked: list[str] = []

    def sentinel_credentials() -> tuple[str | None, str | None]:
        # Asked at each connect to a sentinel (a coroutine function works too): rotate
        # secrets here. These sentinels have no password, so they take any.
        asked.append("sentinel")
        return None, "tour-secret"

    with sentinel_group() as group:
        async with redis_oxide.Sentinel(
            group.sentinels, sentinel_credential_provider=sentinel_credentials, command_timeout=5.0
        ) as sentinel:
            print("Sentinel: clients for whatever primary the sentinels name")
            for monitored in await sentinel.primaries():
                show(f"primaries() -> {monitored.name}", monitored.address)
            report = await sentinel.check(group.name)
            show("check(name).quorum_reached -> bool", report.quorum_reached)
            show("check(name).healthy_replicas", [r.address for r in report.healthy_replicas])
            show("sentinel_credential_provider() calls", len(asked))
            primary = sentinel.primary_for(group.name, decode_responses=True)
            replica = sentinel.replica_for(group.name, decode_responses=True)
            show("primary_for(name).set(...) -> bool", await primary.set("tour:sentinel", "hi"))
            await primary.wait(1, 1000)
            show("replica_for(name).get(...) -> str | None", await replica.get("tour:sentinel"))
            await failover(primary, group)
            await primary.delete("tour:sentinel", "tour:sentinel:writes")
