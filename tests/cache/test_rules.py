"""Which commands the cache keeps, its configuration, and the store's rules (no server).

The rule comes from the generated metadata; these tests pin what it gives for the 7.4 spec.
The store tests drive ``Cache`` with real futures, in the order a connection would: a read
noted when sent, an invalidation, the reply.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

# Private names: the store's rules are tested below the executor that wires them.
from redis_oxide import Cache, CacheConfig
from redis_oxide._cache_config import FLUSH, TRACKING_INFO, WRITE_KEYS, cacheable, command_plan
from redis_oxide._cache_tracking import apply_push
from redis_oxide._cache_values import key_bytes
from redis_oxide._generated._meta import COMMANDS

pytestmark = pytest.mark.timeout(10)

GET = ("GET", "k")


def _cacheable_names() -> set[str]:
    return {name for name, kind in command_plan(CacheConfig()).items() if kind >= 0}


def test_default_set_holds_the_single_key_reads_of_data() -> None:
    names = _cacheable_names()
    assert {"GET", "HGET", "HGETALL", "SMEMBERS", "ZRANGE", "LRANGE", "XRANGE"} <= names
    assert len(names) == 43


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("TTL", "nondeterministic_output tip"),
        ("PTTL", "nondeterministic_output tip"),
        ("HTTL", "tip added by tips.toml"),
        ("SRANDMEMBER", "random reply"),
        ("MGET", "several keys"),
        ("LCS", "two keys"),
        ("EVAL_RO", "key count"),
        ("SORT_RO", "two key specs"),
        ("LLEN", "RO without ACCESS: facts about the key, not its data"),
        ("MEMORY USAGE", "RO without ACCESS"),
        ("OBJECT FREQ", "RO without ACCESS and a tip"),
        ("XREAD", "blocking"),
        ("SET", "a write"),
        ("JSON.GET", "a module command"),
    ],
)
def test_commands_outside_the_rule_are_not_cached(name: str, why: str) -> None:
    assert name not in _cacheable_names(), why


def test_the_rule_reads_the_metadata() -> None:
    assert cacheable(COMMANDS["GET"]) == 1
    assert cacheable(COMMANDS["XINFO STREAM"]) == 2  # counted from the container name
    assert cacheable(COMMANDS["TTL"]) is None


def test_plan_kinds_for_writes_flushes_and_tracking_reports() -> None:
    plan = command_plan(CacheConfig())
    assert plan["SET"] == plan["EVAL"] == plan["DEL"] == WRITE_KEYS
    assert plan["FLUSHALL"] == plan["FLUSHDB"] == plan["SWAPDB"] == FLUSH
    assert plan["CLIENT TRACKINGINFO"] == TRACKING_INFO
    for passed in ("PING", "INFO", "TTL", "MGET"):
        assert passed not in plan


def test_configuration_is_validated() -> None:
    assert CacheConfig(commands=["get", "hgetall"]).commands == frozenset({"GET", "HGETALL"})
    assert set(command_plan(CacheConfig(commands={"GET"})).values()) >= {1}
    with pytest.raises(ValueError, match="MGET is not cacheable"):
        CacheConfig(commands={"MGET"})
    with pytest.raises(ValueError, match="unknown command 'NOPE'"):
        CacheConfig(commands={"nope"})
    with pytest.raises(TypeError, match="bare string"):
        CacheConfig(commands="GET")
    with pytest.raises(ValueError, match="max_entries"):
        CacheConfig(max_entries=0)
    with pytest.raises(ValueError, match="ttl"):
        CacheConfig(ttl=float("nan"))
    with pytest.raises(ValueError, match="only for mode='bcast'"):
        CacheConfig(prefixes=("user:",))
    assert CacheConfig(mode="bcast", prefixes=["a:", b"b:"]).prefixes == ("a:", b"b:")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_entries": 1.5}, TypeError, "max_entries must be an int, not float"),
        ({"max_entries": "10"}, TypeError, "max_entries must be an int, not str"),
        ({"max_entries": True}, TypeError, "max_entries must be an int, not bool"),
        ({"max_bytes": True}, TypeError, "max_bytes must be an int, not bool"),
        ({"max_bytes": 1.5}, TypeError, "max_bytes must be an int, not float"),
        ({"ttl": True}, TypeError, "ttl"),
        ({"ttl": "5"}, TypeError, "ttl"),
        ({"ttl": 0}, ValueError, "ttl"),
        ({"commands": {"GET", 1}}, TypeError, r"commands must hold strings, not int \(1\)"),
    ],
)
def test_option_types_are_checked_when_the_config_is_made(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        CacheConfig(**options)


def test_cache_objects_come_from_clients_only() -> None:
    with pytest.raises(TypeError, match=r"Redis\(cache=...\)"):
        Cache()


def test_key_bytes_follow_the_encoder() -> None:
    assert key_bytes("é") == "é".encode()
    assert key_bytes(memoryview(b"ab")) == b"ab"
    assert key_bytes(12) == b"12"
    assert key_bytes(0.5) == b"0.5"
    with pytest.raises(TypeError):
        key_bytes(True)


def _store(config: CacheConfig | None = None, encoding: str | None = None) -> Cache:
    return Cache._new(config or CacheConfig(), encoding=encoding)


def _read(cache: Cache, args: tuple[str, ...]) -> Callable[[object], object]:
    """A read sent now; call the result with the reply, as the connection does."""
    meta = COMMANDS[args[0]]
    return functools.partial(
        cache._fill, key_bytes(args[1]), args, None, cache._tick, cache._epoch, meta
    )


def _answer(read: Callable[[object], object], reply: object) -> None:
    assert read(reply) is reply  # the caller gets the reply whether or not it fills


def test_a_read_answered_after_an_invalidation_does_not_fill() -> None:
    cache = _store()
    read = _read(cache, GET)
    apply_push(cache, [b"invalidate", [b"k"]])
    _answer(read, b"old")
    assert len(cache) == 0
    # The next read, sent after the invalidation, fills.
    _answer(_read(cache, GET), b"new")
    assert cache._entries[GET][0] == b"new"


def test_an_invalidation_of_another_key_lets_the_read_fill() -> None:
    cache = _store()
    read = _read(cache, GET)
    cache._invalidate([b"other"])
    _answer(read, b"v")
    assert len(cache) == 1


def test_a_flush_refuses_every_read_in_flight() -> None:
    cache = _store()
    _answer(_read(cache, GET), b"v")
    reads = [_read(cache, ("GET", f"k{i}")) for i in range(3)]
    apply_push(cache, [b"invalidate", None])
    for read in reads:
        _answer(read, b"v")
    assert len(cache) == 0
    assert cache.flushes == 1


def test_values_are_copied_in_and_out() -> None:
    cache = _store()
    value = {"f": [b"a"]}
    _answer(_read(cache, ("HGETALL", "h")), value)
    value["f"].append(b"b")
    stored, _parser, _expires, copier, *_rest = cache._entries[("HGETALL", "h")]
    assert stored == {"f": [b"a"]}
    assert copier is not None
    handed = copier(stored)
    handed["f"].append(b"c")
    assert stored == {"f": [b"a"]}


def test_reply_models_are_not_kept() -> None:
    cache = _store()
    _answer(_read(cache, GET), object())
    assert len(cache) == 0


def test_bounds_evict_the_least_recently_used() -> None:
    cache = _store(CacheConfig(max_entries=2))
    for name in ("a", "b", "c"):
        _answer(_read(cache, ("GET", name)), b"v")
    assert list(cache._entries) == [("GET", "b"), ("GET", "c")]
    assert cache.evictions == 1
    small = _store(CacheConfig(max_bytes=400))
    _answer(_read(small, ("GET", "big")), b"x" * 1000)
    assert len(small) == 0  # one value over the whole bound is not kept


def test_decoded_invalidations_map_back_to_bytes() -> None:
    cache = _store(encoding="latin-1")
    _answer(_read(cache, ("GET", "é")), "v")
    apply_push(cache, ["invalidate", ["\xc3\xa9"]])  # UTF-8 bytes of "é" read as latin-1
    assert len(cache) == 0
    utf8 = _store(encoding="utf-8")
    _answer(_read(utf8, GET), "v")
    apply_push(utf8, ["invalidate", ["\ufffd"]])  # a key that did not decode: drop everything
    assert len(utf8) == 0
    assert utf8.flushes == 1


def assert_consistent(cache: Cache) -> None:
    """The store's own bookkeeping agrees with its entries (``_cache_store`` module rules).

    Each entry is keyed by its own argument tuple, indexed once under its key (one entry, or
    a tuple of several), queued for the eviction hand, and counted in ``bytes_used``; the
    queue stays within its compaction bound.
    """
    entries = cache._entries
    indexed: list[int] = []
    for rkey, same_key in cache._by_key.items():
        group = same_key if type(same_key) is tuple else (same_key,)
        assert len(group) == 1 or (type(same_key) is tuple and len(group) > 1)
        assert all(entry[4] == rkey for entry in group)
        indexed += [id(entry) for entry in group]
    assert sorted(indexed) == sorted(id(entry) for entry in entries.values())
    assert all(entry[6] is slot for slot, entry in entries.items())
    queued = {id(slot) for slot in cache._queue}
    assert all(id(entry[6]) in queued for entry in entries.values())
    assert cache.bytes_used == sum(entry[5] for entry in entries.values())
    assert len(cache._queue) <= 2 * len(entries) + 1024 + 1


def test_entries_of_one_key_are_indexed_together_and_dropped_alone() -> None:
    cache = _store(CacheConfig(max_entries=3))
    for field in ("a", "b", "c"):
        _answer(_read(cache, ("HGET", "h", field)), b"v")
    assert_consistent(cache)
    _answer(_read(cache, ("GET", "x")), b"v")  # the oldest entry of "h" is evicted
    assert list(cache._entries) == [("HGET", "h", "b"), ("HGET", "h", "c"), ("GET", "x")]
    assert_consistent(cache)
    _answer(_read(cache, ("GET", "y")), b"v")
    assert_consistent(cache)  # "h" is down to one entry
    apply_push(cache, [b"invalidate", [b"h"]])
    assert list(cache._entries) == [("GET", "x"), ("GET", "y")]
    assert cache.invalidations == 1
    assert_consistent(cache)


def test_a_refilled_entry_whose_slot_the_hand_passed_is_queued_again() -> None:
    # The hand passes the slot of an entry waiting for its refresh (not in the dict then):
    # the refresh's fill must queue it again, or the entry could never be evicted.
    cache = _store(CacheConfig(max_entries=2))
    _answer(_read(cache, ("GET", "a")), b"v")
    entry = cache._entries[("GET", "a")]
    entry[7] = True  # a hit
    hot: list[list[Any]] = []
    cache._invalidate([b"a"], hot)
    assert hot == [entry]
    refresh = functools.partial(
        cache._fill, b"a", ("GET", "a"), None, cache._tick, cache._epoch, COMMANDS["GET"]
    )
    for name in ("b", "c", "d"):  # the hand runs: "a"'s slot leaves the queue
        _answer(_read(cache, ("GET", name)), b"v")
    assert ("GET", "a") not in list(cache._queue)
    _answer(functools.partial(refresh, dropped=entry), b"w")
    assert cache._entries[("GET", "a")] is entry
    assert_consistent(cache)
    for name in ("e", "f"):  # and it is evicted in its turn
        _answer(_read(cache, ("GET", name)), b"v")
    assert list(cache._entries) == [("GET", "e"), ("GET", "f")]
    assert_consistent(cache)


def test_a_refilled_entry_still_queued_is_not_queued_twice() -> None:
    cache = _store()
    _answer(_read(cache, ("GET", "a")), b"v")
    entry = cache._entries[("GET", "a")]
    for version in range(100):
        entry[7] = True
        cache._invalidate([b"a"], [])
        refresh = functools.partial(
            cache._fill, b"a", ("GET", "a"), None, cache._tick, cache._epoch, COMMANDS["GET"]
        )
        _answer(functools.partial(refresh, dropped=entry), b"v%d" % version)
    assert list(cache._queue) == [("GET", "a")]
    assert_consistent(cache)
