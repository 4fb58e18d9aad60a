"""A typed tour of redis-oxide.

Runs against the server named by ``REDIS_URL``; without it, starts an embedded Redis Stack
server on a free loopback port and stops it afterwards. Every value printed below has a precise
static type (the comments name it), which ``mypy --strict`` checks as part of ``make test``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis_oxide
from redis_oxide.exceptions import RedisError


def show(label: str, value: object) -> None:
    print(f"  {label:<44} {value!r}")


@contextmanager
def server_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        print(f"Using REDIS_URL ({url.split('@')[-1]})")
        yield url
        return
    from redis_oxide.testing import start_stack_server

    started = time.perf_counter()
    with start_stack_server() as server:
        print(
            f"Started an embedded Redis Stack on {server.host}:{server.port} "
            f"in {time.perf_counter() - started:.2f} s"
        )
        yield server.url
    print("Stopped the embedded server.")


async def strings(r: redis_oxide.Redis[str]) -> None:
    print("Strings")
    show("set('tour:greeting', 'hello') -> bool", await r.set("tour:greeting", "hello"))
    greeting: str | None = await r.get("tour:greeting")
    show("get('tour:greeting') -> str | None", greeting)
    show("incr('tour:visits') -> int", await r.incr("tour:visits"))
    show("incrbyfloat('tour:score', 1.5) -> float", await r.incrbyfloat("tour:score", 1.5))
    show("mget(...) -> list[str | None]", await r.mget("tour:greeting", "tour:missing"))
    show("expire('tour:greeting', 60) -> bool", await r.expire("tour:greeting", 60))
    show("ttl('tour:greeting') -> int", await r.ttl("tour:greeting"))


async def hashes(r: redis_oxide.Redis[str]) -> None:
    print("Hashes")
    fields = {"name": "Ada", "lang": "python", "since": "2026"}
    show("hset('tour:user', {...}) -> int", await r.hset("tour:user", fields))
    user: dict[str, str] = await r.hgetall("tour:user")
    show("hgetall('tour:user') -> dict[str, str]", user)
    show("hincrby('tour:user', 'logins', 1) -> int", await r.hincrby("tour:user", "logins", 1))


async def sorted_sets(r: redis_oxide.Redis[str]) -> None:
    print("Sorted sets")
    show("zadd('tour:board', {...}) -> int", await r.zadd("tour:board", {"ada": 3, "bob": 1.5}))
    top: list[tuple[str, float]] = await r.zrange("tour:board", 0, -1, withscores=True)
    show("zrange(..., withscores=True) -> list[(str, float)]", top)
    show("zscore('tour:board', 'ada') -> float | None", await r.zscore("tour:board", "ada"))


async def streams(r: redis_oxide.Redis[str]) -> None:
    print("Streams")
    first = await r.xadd("tour:events", {"kind": "login", "user": "ada"})
    show("xadd('tour:events', {...}) -> entry id", first)
    show("xlen('tour:events') -> int", await r.xlen("tour:events"))
    show("xrange('tour:events', '-', '+')", await r.xrange("tour:events", "-", "+"))


async def pipelines(r: redis_oxide.Redis[str]) -> None:
    print("A pipeline: queued calls return typed handles, sent in one write")
    async with r.pipeline() as p:
        hits = p.incr("tour:hits")
        name = p.hget("tour:user", "name")
        board = p.zrange("tour:board", 0, -1, withscores=True)
    show("await hits -> int", await hits)
    show("await name -> str | None", await name)
    show("await board -> list[(str, float)]", await board)

    print("A transaction: MULTI/EXEC, and an optimistic WATCH loop")
    async with r.pipeline(transaction=True) as tx:
        tx.set("tour:a", "1")
        moved = tx.incrby("tour:a", 41)
    show("MULTI; SET; INCRBY; EXEC -> int", await moved)

    async def double(t: redis_oxide.Transaction[str]) -> int:
        current = int(await t.get("tour:a") or 0)
        t.multi()
        t.set("tour:a", str(current * 2))
        return current * 2

    show("transaction(double, 'tour:a') -> int", await r.transaction(double, "tour:a"))


async def scripts(r: redis_oxide.Redis[str]) -> None:
    print("Scripts: EVALSHA, loaded on NOSCRIPT")
    script = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    show("script(keys=['tour:n'], args=[5])", await script(keys=["tour:n"], args=[5]))
    await r.script_flush()
    show("after SCRIPT FLUSH, same call", await script(keys=["tour:n"], args=[5]))


async def errors(r: redis_oxide.Redis[str]) -> None:
    print("Errors carry the command, the node and the server's code")
    try:
        await r.incr("tour:greeting")
    except RedisError as error:
        show(type(error).__name__, f"command={error.command} code={error.code}")
    try:
        await r.set("tour:flag", True)  # Redis has no booleans: refused locally
    except TypeError as error:
        show("TypeError before anything is sent", str(error)[:60])


async def caching(url: str) -> None:
    print("Client-side caching: RESP3 tracking keeps the cache coherent")
    config = redis_oxide.CacheConfig(max_entries=1_000)
    async with (
        redis_oxide.from_url(url, decode_responses=True, cache=config) as r,
        redis_oxide.from_url(url, decode_responses=True) as other,
    ):
        cache = r.cache
        assert cache is not None
        await other.mset({f"tour:hot:{i}": "0" for i in range(50)})
        show("get twice -> str | None (hit the second time)", await r.get("tour:hot:0"))
        await r.get("tour:hot:0")
        show("cache after one miss and one hit", cache)
        await other.set("tour:hot:0", "1")  # another client writes: the server invalidates
        for _ in range(100):  # the invalidation arrives as a push frame on the next reads
            if not len(cache):
                break
            await asyncio.sleep(0.01)
        show("get after another client's SET", await r.get("tour:hot:0"))
        await r.set("tour:hot:0", "2")  # this client's own write invalidates at once
        show("get after our own SET", await r.get("tour:hot:0"))

        # A hot-key workload: 20 tasks, 2,000 reads each over 50 keys, while the other client
        # writes one operation in twenty; then the same through a view that skips the cache.
        async def workload(client: redis_oxide.Redis[str]) -> float:
            async def reader(seed: int) -> None:
                for n in range(2_000):
                    key = f"tour:hot:{(seed * 7 + n * 13) % 50}"
                    await (other.incr(key) if n % 20 == 19 else client.get(key))

            started = time.perf_counter()
            await asyncio.gather(*(reader(seed) for seed in range(20)))
            return 20 * 1_900 / (time.perf_counter() - started)

        before = cache.hits, cache.misses
        cached = await workload(r)
        uncached = await workload(r.with_options(cache=False))
        hits, misses = cache.hits - before[0], cache.misses - before[1]
        show("hot keys: cache hit rate", f"{hits / (hits + misses):.1%} of {hits + misses:,}")
        show("hot keys: reads/s cached / uncached", f"{cached:,.0f} / {uncached:,.0f}")
        show("counters", cache)
        show("client_trackinginfo().flags", sorted((await r.client_trackinginfo()).flags))


async def tour(url: str) -> None:
    async with redis_oxide.from_url(url, decode_responses=True) as r:
        keys = await r.keys("tour:*")
        if keys:
            await r.delete(*keys)
        await strings(r)
        await hashes(r)
        await sorted_sets(r)
        await streams(r)
        await pipelines(r)
        await scripts(r)
        await errors(r)
        await caching(url)
        await r.delete(*await r.keys("tour:*"))
        print(f"Client: {r!r}")


def main() -> int:
    with server_url() as url:
        asyncio.run(tour(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
