"""A typed tour of redis-oxide.

Runs against the server named by ``REDIS_URL``; without it, starts an embedded Redis Stack
server on a free loopback port and stops it afterwards. Then the Sentinel part
(``sentinel_tour.py``): against ``REDIS_SENTINELS``, or a local group it starts, fails over
and stops; and the Redis Cluster part (``cluster_tour.py``): against ``REDIS_CLUSTER_URL``, or
a local six-node cluster it starts and stops. Every value printed below has a precise
static type (the comments name it), which ``mypy --strict`` checks as part of ``make test``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cluster_tour import cluster_tour
from sentinel_tour import sentinel_tour

import redis_oxide
from redis_oxide.exceptions import LockNotOwnedError, NoPermError, RedisError
from redis_oxide.streams import GroupConsumer, StreamEntry, StreamProducer
from redis_oxide.types import (
    BitfieldGetBlock,
    BitfieldIncrbyBlock,
    BitfieldOperation,
    BitfieldWrite,
    FtCreateField,
    FtCreateFieldSortable,
    FtCreateNumeric,
    FtCreateText,
    TsRangeAggregation,
)

# The modules of Redis Stack the module tour needs.
MODULES = frozenset({"ReJSON", "search", "bf", "timeseries"})


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
    # Arguments of several forms are typed too: each BITFIELD operation is a dataclass.
    counters: list[BitfieldOperation] = [
        BitfieldWrite(
            overflow_block="SAT",
            write_operation=BitfieldIncrbyBlock(encoding="u8", offset=0, increment=300),
        ),
        BitfieldGetBlock(encoding="u8", offset=0),
    ]
    show(
        "bitfield(..., [INCRBY u8 SAT, GET u8]) -> list",
        await r.bitfield("tour:bits", operation=counters),
    )


async def hashes(r: redis_oxide.Redis[str]) -> None:
    print("Hashes")
    fields = {"name": "Ada", "lang": "python", "since": "2026"}
    show("hset('tour:user', {...}) -> int", await r.hset("tour:user", fields))
    user: dict[str, str] = await r.hgetall("tour:user")
    show("hgetall('tour:user') -> dict[str, str]", user)
    show("hincrby('tour:user', 'logins', 1) -> int", await r.hincrby("tour:user", "logins", 1))
    # The SCAN family as async iterators: the cursor loop is the client's.
    named = [field async for field, _ in r.hscan_iter("tour:user", "l*")]
    show("[f async for f, _ in hscan_iter('tour:user', 'l*')] -> str", sorted(named))
    keys = sorted([key async for key in r.scan_iter("tour:*", count=100)])
    show("[k async for k in scan_iter('tour:*')] -> str", keys)


async def sorted_sets(r: redis_oxide.Redis[str]) -> None:
    print("Sorted sets")
    show("zadd('tour:board', {...}) -> int", await r.zadd("tour:board", {"ada": 3, "bob": 1.5}))
    top: list[tuple[str, float]] = await r.zrange("tour:board", 0, -1, withscores=True)
    show("zrange(..., withscores=True) -> list[(str, float)]", top)
    show("zincrby('tour:board', 0.5, 'bob') -> float", await r.zincrby("tour:board", 0.5, "bob"))
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

    def queue_only(t: redis_oxide.Transaction[str]) -> str:  # a plain function, as in redis-py
        t.multi()
        t.incr("tour:a")
        return "queued"

    show("transaction(queue_only, 'tour:a') -> str", await r.transaction(queue_only, "tour:a"))


async def scripts(r: redis_oxide.Redis[str]) -> None:
    print("Scripts: EVALSHA, loaded on NOSCRIPT")
    script = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    show("script(keys=['tour:n'], args=[5])", await script(keys=["tour:n"], args=[5]))
    await r.script_flush()
    show("after SCRIPT FLUSH, same call", await script(keys=["tour:n"], args=[5]))


async def locks(r: redis_oxide.Redis[str]) -> None:
    print("A lock: SET NX PX with a random token; only its holder can release or extend it")
    done: list[int] = []

    async def job() -> None:
        async with r.lock("tour:lock", timeout=10):
            seen = len(done)
            await asyncio.sleep(0.001)  # the other tasks wait meanwhile
            done.append(seen)

    await asyncio.gather(*(job() for _ in range(5)))
    show("5 tasks through one lock; what each found done before it", done)
    lock = r.lock("tour:lock", timeout=0.05)
    await lock.acquire()
    await asyncio.sleep(0.1)  # its lease runs out; another holder takes the lock
    other = r.lock("tour:lock", timeout=10)
    show(
        "after expiry, another acquire(blocking=False) -> bool", await other.acquire(blocking=False)
    )
    try:
        await lock.release()
    except LockNotOwnedError as exc:
        show("the first holder's release -> LockNotOwnedError", exc.message)
    show("the new holder still owns it -> bool", await other.owned())
    await other.release()


async def monitoring(r: redis_oxide.Redis[str]) -> None:
    print("MONITOR on a connection of its own: every command the server runs, typed")
    async with r.monitor() as monitor:
        await r.set("tour:watched", "line\nbreak")
        async with asyncio.timeout(5):
            async for entry in monitor:  # other clients of a shared server show up too
                if entry.args[:1] == ["tour:watched"]:
                    break
    show("entry.command, entry.args -> str, list[str]", (entry.command, entry.args))
    show("entry.db, entry.client -> int, str", (entry.db, entry.client))


async def pubsub(r: redis_oxide.Redis[str]) -> None:
    print("Pub/sub: subscribe() returns once confirmed; messages are typed")
    async with r.pubsub() as p:
        await p.subscribe("tour:news")
        await p.psubscribe("tour:sport.*")
        await r.publish("tour:news", "hello")
        await r.publish("tour:sport.chess", "check")
        for _ in range(2):
            message: redis_oxide.Message[str] | None = await p.get_message(timeout=1.0)
            show("get_message() -> Message[str] | None", message)

    print("Keyspace notifications: a __keyevent@<db>__:expired subscription")
    db = (await r.client_info()).db
    previous = (await r.config_get("notify-keyspace-events")).get("notify-keyspace-events", "")
    await r.config_set({"notify-keyspace-events": "Ex"})
    try:
        async with r.pubsub() as p:
            await p.subscribe(f"__keyevent@{db}__:expired")
            await r.set("tour:session", "x", milliseconds=100)
            async with asyncio.timeout(5):
                async for event in p:  # one loop; a reconnect would not interrupt it
                    show(f"{event.channel}", event.data)
                    break
    finally:
        await r.config_set({"notify-keyspace-events": previous})


async def stream_worker(r: redis_oxide.Redis[str]) -> None:
    print("A stream worker: acknowledges what it handled, dead-letters what keeps failing")
    producer = StreamProducer(r, "tour:orders", maxlen=1_000)  # XADD ... MAXLEN ~ 1000
    for item in ("book", "pen", "poison"):
        await producer.add({"item": item})
    worker = GroupConsumer(
        r, "tour:orders", "billing", "worker-1", group_start="0",
        min_idle=0.2, max_deliveries=2, block_timeout=0.1,
    )  # fmt: skip
    handled: list[str] = []

    async def handle(entry: StreamEntry[str]) -> None:
        if entry.fields["item"] == "poison":
            raise ValueError("cannot bill this")  # left pending, retried after min_idle
        handled.append(entry.fields["item"])

    running = asyncio.ensure_future(worker.run(handle))
    for _ in range(200):  # up to 10 s: two failed deliveries, min_idle apart
        if await r.xlen("tour:orders:dead-letter"):
            break
        await asyncio.sleep(0.05)
    worker.stop()
    await running
    show("handled and acknowledged", handled)
    dead = await r.xrange("tour:orders:dead-letter", "-", "+")
    show("dead letter (max_deliveries=2)", dead[0][1])
    show("worker.stats", worker.stats)


async def json_documents(r: redis_oxide.Redis[str]) -> None:
    print("RedisJSON (client.json): Python values in, parsed JSON out")
    doc = {"name": "Ada", "langs": ["python", "c"], "age": 36}
    show("json.set('tour:doc', '$', {...}) -> bool", await r.json.set("tour:doc", "$", doc))
    show("json.get('tour:doc') -> JsonValue", await r.json.get("tour:doc"))
    show("json.get('tour:doc', '$.langs[0]')", await r.json.get("tour:doc", "$.langs[0]"))
    show(
        "json.arrappend(..., '$.langs', 'rust')",
        await r.json.arrappend("tour:doc", "$.langs", "rust"),
    )
    show("json.numincrby(..., '.age', 1)", await r.json.numincrby("tour:doc", ".age", 1))


async def search(r: redis_oxide.Redis[str]) -> None:
    print("RediSearch (client.ft): an index over hashes, a search, an aggregation")
    schema = [
        FtCreateField(field_name="name", field_type=FtCreateText(weight=2.0)),
        FtCreateField(
            field_name="age", field_type=FtCreateNumeric(), sortable=FtCreateFieldSortable()
        ),
    ]
    await r.ft.create("tour:people", schema, prefix=["tour:person:"])
    await r.hset("tour:person:1", {"name": "Ada Lovelace", "age": 36})
    await r.hset("tour:person:2", {"name": "Alan Turing", "age": 41})
    found = await r.ft.search("tour:people", "@age:[30 40]", withscores=True)
    show("ft.search(...).total -> int", found.total)
    show("ft.search(...).documents[0].fields", found.documents[0].fields)
    rows = await r.ft.aggregate("tour:people", "*", load=["@name"], limit=(0, 5))
    show("ft.aggregate(...).rows -> list[dict]", rows.rows)
    await r.ft.dropindex("tour:people")


async def probabilistic(r: redis_oxide.Redis[str]) -> None:
    print("RedisBloom (client.bf, cf, cms, topk, tdigest): sketches with plain Python replies")
    show("bf.madd('tour:seen', 'a', 'b') -> list[bool]", await r.bf.madd("tour:seen", "a", "b"))
    show("bf.mexists(..., 'a', 'z') -> list[bool]", await r.bf.mexists("tour:seen", "a", "z"))
    await r.topk.reserve("tour:top", 2)
    await r.topk.incrby("tour:top", {"python": 5, "c": 3, "rust": 4})
    show(
        "topk.list_items(..., withcount=True)", await r.topk.list_items("tour:top", withcount=True)
    )
    await r.tdigest.create("tour:latency")
    await r.tdigest.add("tour:latency", 12.5, 14.0, 15.5, 120.0)
    show("tdigest.quantile(..., 0.5) -> list[float]", await r.tdigest.quantile("tour:latency", 0.5))


async def time_series(r: redis_oxide.Redis[str]) -> None:
    print("RedisTimeSeries (client.ts): samples as (timestamp, value), labels as a dict")
    await r.ts.create("tour:temp:a", labels={"kind": "temp", "room": "a"})
    await r.ts.create("tour:temp:b", labels={"kind": "temp", "room": "b"})
    await r.ts.madd(
        [("tour:temp:a", 1000, 20.5), ("tour:temp:a", 2000, 21), ("tour:temp:b", 1000, 18)]
    )
    show("ts.range('tour:temp:a', '-', '+')", await r.ts.range("tour:temp:a", "-", "+"))
    by_hour = TsRangeAggregation(aggregator="AVG", bucket_duration=3_600_000)
    show(
        "ts.range(..., aggregation=AVG per hour)",
        await r.ts.range("tour:temp:a", 0, "+", aggregation=by_hour),
    )
    latest = await r.ts.mget("kind=temp", withlabels=True)
    show("ts.mget('kind=temp') -> {key: latest}", {k: v.sample for k, v in latest.items()})


async def modules(r: redis_oxide.Redis[str]) -> None:
    loaded = {module.name for module in await r.module_list()}
    if not loaded >= MODULES:
        print(f"Modules: skipped, the server lacks {sorted(MODULES - loaded)}")
        return
    await json_documents(r)
    await search(r)
    await probabilistic(r)
    await time_series(r)


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
    try:
        await r.zadd("tour:board", {"nobody": float("nan")})  # Redis would refuse it too
    except ValueError as error:
        show("ValueError before anything is sent", str(error)[:60])
    try:  # redis-py's xreadgroup(group, streams): the (group, consumer) pair is one argument
        untyped: Any = r  # an untyped caller: the type checkers refuse this call
        await untyped.xreadgroup("tour:group", {"tour:stream": ">"})
    except TypeError as error:
        show("a structured argument's shape is checked", str(error)[:60])
    pipe = r.pipeline()
    pipe.set("tour:n2", "1")
    pipe.lpush("tour:greeting", "x")  # the second queued command: a WRONGTYPE error
    try:
        await pipe.execute()
    except RedisError as error:
        show("a pipeline error says where it was", f"{error.code} at position={error.position}")
    await r.set("tour:raw", b"\xff\xfe")  # not UTF-8: this client decodes replies
    try:
        await r.get("tour:raw")
    except RedisError as error:
        cause = type(error.__cause__).__name__
        show(type(error).__name__ + ", only that call fails", f"{error.command} (from {cause})")
    show("the connection goes on: get('tour:n2')", await r.get("tour:n2"))


async def access(r: redis_oxide.Redis[str], url: str) -> None:
    print("Authentication: a user by name, and passwords that rotate")
    if "@" in url:
        show("skipped", "REDIS_URL carries credentials of its own")
        return
    try:
        await r.acl_setuser("tour-app", rule=["on", ">first", "~tour:*", "+@all"])
        await r.acl_setuser("tour-guest", rule=["on", "nopass", "~tour:*", "+@read", "+acl|whoami"])
    except NoPermError:
        show("skipped", "this connection may not create ACL users")
        return
    try:
        secret = ["first"]

        def credentials() -> tuple[str, str]:  # asked at every connect (may be async)
            return "tour-app", secret[0]

        async with redis_oxide.from_url(
            url, decode_responses=True, credential_provider=credentials
        ) as app:
            show("credential_provider: acl_whoami() -> str", await app.acl_whoami())
            secret[0] = "second"  # rotate: the server and the provider change together
            await r.acl_setuser("tour-app", rule=["resetpass", ">second"])
            await r.execute_command("CLIENT", "KILL", "USER", "tour-app")
            await asyncio.sleep(0.05)  # the client sees its connection end
            value = await app.get("tour:greeting")
            show("after rotation and a reconnect: get()", value)
            show("stats().reconnects", app.stats().reconnects)
        async with redis_oxide.from_url(url, decode_responses=True, username="tour-guest") as guest:
            show("username= alone (a nopass user): whoami", await guest.acl_whoami())
            try:
                await guest.set("tour:guest", "x")
            except NoPermError as error:
                show("its rights hold: set() ->", f"{type(error).__name__} {error.code}")
    finally:
        await r.acl_deluser("tour-app", "tour-guest")


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
        for _ in range(100):  # the invalidation arrives as a push frame; the entry had been
            if cache.refreshes:  # read, so the cache reads it again at once (a refresh)
                break
            await asyncio.sleep(0.01)
        show("get after another client's SET (refreshed: a hit)", await r.get("tour:hot:0"))
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

        before = cache.hits, cache.misses + cache.coalesced
        cached = await workload(r)
        uncached = await workload(r.with_options(cache=False))
        # A read that waited for the same read in flight (coalesced) counts as a miss here.
        hits, misses = cache.hits - before[0], cache.misses + cache.coalesced - before[1]
        show("hot keys: cache hit rate", f"{hits / (hits + misses):.1%} of {hits + misses:,}")
        show("hot keys: reads/s cached / uncached", f"{cached:,.0f} / {uncached:,.0f}")
        show("counters", cache)

        # Ten hot keys written in one transaction by the other client: their invalidations
        # arrive together, and one MGET reads them all again.
        async def mget_calls() -> int:
            stat = (await other.info(section=["commandstats"]))["commandstats"].get("cmdstat_mget")
            return 0 if stat is None else int(str(stat).split(",")[0].removeprefix("calls="))

        burst = [f"tour:hot:{i}" for i in range(10)]
        for key in burst + burst:  # a miss, then a hit: entries in use are refreshed
            await r.get(key)
        mgets, refreshed = await mget_calls(), cache.refreshes
        async with other.pipeline(transaction=True) as tx:
            for key in burst:
                tx.set(key, "9")
        for _ in range(100):
            if cache.refreshes >= refreshed + len(burst):
                break
            await asyncio.sleep(0.01)
        show("10 keys written in one MULTI: MGETs that refreshed them", await mget_calls() - mgets)
        show("their reads now (hits)", [await r.get(key) for key in burst[:3]])
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
        await locks(r)
        await monitoring(r)
        await pubsub(r)
        await stream_worker(r)
        await modules(r)
        await errors(r)
        await access(r, url)
        await caching(url)
        await r.delete(*await r.keys("tour:*"))
        print(f"Client: {r!r}")


def main() -> int:
    # The tour's poison entry fails on purpose; its logged traceback would only be noise.
    logging.getLogger("redis_oxide.streams").disabled = True
    with server_url() as url:
        asyncio.run(tour(url))
    asyncio.run(sentinel_tour())
    cluster_tour()
    return 0


if __name__ == "__main__":
    sys.exit(main())
