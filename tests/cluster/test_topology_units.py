"""Sans-IO parts of the cluster client: slot maps, splits, reply combining, glob patterns.

The replies parsed here have the shapes Redis Stack 7.4.1 sends (taken from a six-node
cluster, one of them just after a failover, when CLUSTER SHARDS lists no slots for the
failed-over shard: redis/redis#13414).
"""

from __future__ import annotations

from typing import Any

import pytest

from redis_oxide._cluster._replies import SPECIAL, combine
from redis_oxide._cluster._router import can_split, reassemble, slot_of_keys, split_by_slot
from redis_oxide._cluster._scan import glob_matcher
from redis_oxide._cluster._slots import ClusterMember, SlotMap
from redis_oxide._command import CommandFlag, CommandMeta, KeySpec, RequestPolicy, ResponsePolicy
from redis_oxide._exceptions import CrossSlotError
from redis_oxide._generated import _meta as _m
from redis_oxide._generated._meta import COMMANDS
from redis_oxide._keys import command_keys, key_slot, single_key_index


def _node(port: int, role: bytes, health: bytes, ident: bytes = b"0" * 40) -> list[Any]:
    return [
        *(b"id", ident, b"port", port, b"ip", b"127.0.0.1", b"endpoint", b"127.0.0.1"),
        *(b"role", role, b"replication-offset", 0, b"health", health),
    ]


SHARDS_AFTER_FAILOVER = [
    [b"slots", [], b"nodes", [_node(7000, b"master", b"fail"), _node(7003, b"master", b"online")]],
    [b"slots", [5461, 10921], b"nodes",
     [_node(7001, b"master", b"online"), _node(7004, b"replica", b"loading")]],
    [b"slots", [10922, 16383], b"nodes",
     [_node(7002, b"master", b"online"), _node(7005, b"replica", b"online")]],
]  # fmt: skip
SLOTS_AFTER_FAILOVER = [
    [0, 5460, [b"127.0.0.1", 7003, b"a" * 40, []]],
    [5461, 10921, [b"127.0.0.1", 7001, b"b" * 40, []]],
    [10922, 16383, [b"127.0.0.1", 7002, b"c" * 40, []], [b"127.0.0.1", 7005, b"d" * 40, []]],
]


def test_cluster_shards_reply_builds_the_map() -> None:
    shards = [
        {"slots": [0, 100, 200, 16383], "nodes": [
            {"id": "x" * 40, "port": 7000, "ip": "10.0.0.1", "endpoint": "10.0.0.1",
             "role": "master", "replication-offset": 5, "health": "online"},
            {"id": "y" * 40, "port": 7001, "ip": "10.0.0.2", "endpoint": "10.0.0.2",
             "role": "replica", "replication-offset": 5, "health": "online"},
            {"id": "z" * 40, "port": 7002, "ip": "10.0.0.3", "endpoint": "10.0.0.3",
             "role": "replica", "replication-offset": 5, "health": "failed"},
        ]},
        {"slots": [101, 199], "nodes": [
            {"id": "w" * 40, "port": 7003, "ip": "", "endpoint": "",
             "role": "master", "replication-offset": 5, "health": "online"},
        ]},
    ]  # fmt: skip
    found = SlotMap.from_shards(shards, "10.9.9.9")
    assert found.covered == 16384
    first = found.shard_of(0)
    assert first is not None
    assert first.primary == ClusterMember("10.0.0.1", 7000, "x" * 40)
    assert [r.address for r in first.replicas] == ["10.0.0.2:7001"]  # the failed one is left out
    middle = found.shard_of(150)
    assert middle is not None
    assert middle.primary.address == "10.9.9.9:7003"
    assert [n.address for n in found.primaries()] == ["10.0.0.1:7000", "10.9.9.9:7003"]


def test_a_failed_over_shard_shows_no_slots_in_cluster_shards_but_does_in_cluster_slots() -> None:
    shards = SlotMap.from_shards(SHARDS_AFTER_FAILOVER, "127.0.0.1")
    assert shards.covered == 16384 - 5461  # the hole the topology cross-checks
    # Of the two "masters" listed, the one still online is the primary.
    assert shards.shards[-1].primary.port == 7003
    slots = SlotMap.from_slots(SLOTS_AFTER_FAILOVER, "127.0.0.1")
    assert slots.covered == 16384
    owner = slots.shard_of(0)
    assert owner is not None
    assert owner.primary.port == 7003
    last = slots.shard_of(16383)
    assert last is not None
    assert [r.port for r in last.replicas] == [7005]


def test_a_failed_primary_without_slots_is_left_out() -> None:
    # Redis 7.0 after a failover: the dead primary is a shard of its own, without slots.
    shards = [
        [b"slots", [], b"nodes", [_node(7000, b"master", b"fail")]],
        [b"slots", [0, 5460], b"nodes", [_node(7003, b"master", b"online")]],
        [b"slots", [5461, 16383], b"nodes", [_node(7001, b"master", b"online")]],
    ]  # fmt: skip
    found = SlotMap.from_shards(shards, "127.0.0.1")
    assert [n.port for n in found.nodes()] == [7003, 7001]  # what "all nodes" commands reach
    # Not failed over yet: a failed primary that still has its slots stays (callers wait).
    waiting = [[b"slots", [0, 16383], b"nodes", [_node(7000, b"master", b"fail")]]]
    assert [n.port for n in SlotMap.from_shards(waiting, "h").nodes()] == [7000]


def test_a_map_with_the_same_owners_is_the_same() -> None:
    one = SlotMap.from_slots(SLOTS_AFTER_FAILOVER, "127.0.0.1")
    two = SlotMap.from_slots(list(reversed(SLOTS_AFTER_FAILOVER)), "127.0.0.1")
    assert one.same_owners(two)
    moved = [[0, 5460, [b"127.0.0.1", 7001, b"b" * 40]], *SLOTS_AFTER_FAILOVER[1:]]
    assert not one.same_owners(SlotMap.from_slots(moved, "127.0.0.1"))


def test_multi_shard_commands_split_per_slot_and_reassemble_in_key_order() -> None:
    keys = [f"key:{i}" for i in range(20)]
    assert slot_of_keys(_m.MGET, keys) is None
    parts = split_by_slot(_m.MGET, ("MGET", *keys))
    assert sorted(p for _, _, positions in parts for p in positions) == list(range(20))
    for slot, args, positions in parts:
        assert args[0] == "MGET"
        assert all(key_slot(k) == slot for k in args[1:])
        assert list(args[1:]) == [keys[p] for p in positions]
    replies = [[f"v{p}" for p in positions] for _, _, positions in parts]
    assert reassemble(parts, replies) == [f"v{i}" for i in range(20)]
    pairs = split_by_slot(_m.MSET, ("MSET", "a", 1, "b", 2, "{a}c", 3))
    assert sorted(args for _, args, _ in pairs) == sorted(
        [("MSET", "a", 1, "{a}c", 3), ("MSET", "b", 2)]
    )


def test_the_split_keeps_the_arguments_around_and_between_the_keys() -> None:
    # JSON.MGET: keys, then a path every part needs (a range ending before the last argument).
    mget = split_by_slot(_m.JSON_MGET, ("JSON.MGET", "a", "b", "{a}c", "$.x"))
    assert [(args, positions) for _, args, positions in mget] == [
        (("JSON.MGET", "a", "{a}c", "$.x"), [0, 2]),
        (("JSON.MGET", "b", "$.x"), [1]),
    ]
    # JSON.MSET and TS.MADD: each key with the two arguments after it.
    mset = split_by_slot(_m.JSON_MSET, ("JSON.MSET", "a", "$", "1", "b", "$.n", "2"))
    assert [args for _, args, _ in mset] == [
        ("JSON.MSET", "a", "$", "1"),
        ("JSON.MSET", "b", "$.n", "2"),
    ]
    madd = split_by_slot(_m.TS_MADD, ("TS.MADD", "b", 1, 1.5, "a", 2, 2.5, "{b}", 3, 3.5))
    assert [(args, positions) for _, args, positions in madd] == [
        (("TS.MADD", "b", 1, 1.5, "{b}", 3, 3.5), [0, 2]),
        (("TS.MADD", "a", 2, 2.5), [1]),
    ]
    assert reassemble(madd, [[10, 30], [20]]) == [10, 20, 30]


def test_a_key_count_in_front_of_the_keys_is_rewritten_per_part() -> None:
    # Redis 8's MSETEX: numkeys, key-value pairs, then options every part needs.
    msetex = CommandMeta(
        "MSETEX",
        1,
        -4,
        CommandFlag.WRITE,
        "string",
        "8.4.0",
        (KeySpec(begin_index=1, last_key=None, keynum_index=0, first_key=1, step=2),),
        request_policy=RequestPolicy.MULTI_SHARD,
        response_policy=ResponsePolicy.ALL_SUCCEEDED,
    )
    assert can_split(msetex)
    parts = split_by_slot(msetex, ("MSETEX", 3, "a", 1, "b", 2, "{a}z", 3, "NX", "EX", 10))
    assert [(args, positions) for _, args, positions in parts] == [
        (("MSETEX", 2, "a", 1, "{a}z", 3, "NX", "EX", 10), [0, 2]),
        (("MSETEX", 1, "b", 2, "NX", "EX", 10), [1]),
    ]
    with pytest.raises(CrossSlotError):  # the count is not a number: nothing to split by
        split_by_slot(msetex, ("MSETEX", "three", "a", 1, "b", 2))
    assert not can_split(_m.SUNION)  # no multi_shard tip
    assert not can_split(_m.CMS_MERGE)  # no tip, and two key specs


def test_keys_in_one_slot_need_no_split() -> None:
    assert slot_of_keys(_m.MGET, ["{u1}a", "{u1}b"]) == key_slot("u1")


def test_other_multi_key_commands_spanning_slots_are_refused_before_sending() -> None:
    with pytest.raises(CrossSlotError) as caught:
        slot_of_keys(_m.SUNION, ["a", "b"])
    message = str(caught.value)
    assert str(key_slot("a")) in message
    assert str(key_slot("b")) in message
    assert "hash tag" in message
    assert caught.value.command == "SUNION"


def test_replies_combine_by_response_policy() -> None:
    assert combine(_m.DBSIZE, [1, 2, 3], ["a", "b", "c"]) == 6
    assert combine(_m.WAIT, [2, 1, 3], ["a", "b", "c"]) == 1
    assert combine(_m.SCRIPT_EXISTS, [[1, 0], [1, 1]], ["a", "b"]) == [1, 0]
    assert combine(_m.KEYS, [[b"a"], [b"b", b"c"]], ["a", "b"]) == [b"a", b"b", b"c"]
    assert combine(_m.FLUSHALL, [b"OK", b"OK"], ["a", "b"]) == b"OK"
    error = RuntimeError("node down")
    with pytest.raises(RuntimeError):
        combine(_m.DBSIZE, [1, error], ["a", "b"])
    assert combine(_m.SCRIPT_KILL, [error, b"OK"], ["a", "b"]) == b"OK"
    with pytest.raises(RuntimeError):
        combine(_m.SCRIPT_KILL, [error, error], ["a", "b"])
    summed = combine(
        _m.MEMORY_STATS, [[b"keys.count", 2, b"ratio", b"1.5"], {b"keys.count": 3}], "ab"
    )
    assert summed[b"keys.count"] == 5


def test_every_special_response_policy_of_the_spec_has_a_rule() -> None:
    special = {n for n, m in COMMANDS.items() if m.response_policy is ResponsePolicy.SPECIAL}
    assert special <= set(SPECIAL), special - set(SPECIAL)


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("user:*", "user:1", True),
        ("user:*", "users", False),
        ("h?llo", b"hallo", True),
        ("h[ae]llo", "hello", True),
        ("h[^e]llo", "hello", False),
        ("h[a-c]llo", "hbllo", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("*", "", True),
        ("x.y", "xzy", False),
    ],
)
def test_glob_matcher_follows_redis_glob_rules(pattern: str, key: Any, expected: bool) -> None:
    assert glob_matcher(pattern)(key) is expected


def test_the_precomputed_key_index_agrees_with_the_key_extractor() -> None:
    with_index = 0
    for name, meta in COMMANDS.items():
        assert meta.key_index == single_key_index(meta), name
        if meta.key_index is not None:
            with_index += 1
            args = (*name.split(" "), *[f"a{i}" for i in range(8)])
            assert command_keys(meta, args) == ((args[meta.key_index],), True), name
    assert with_index > 120  # most keyed commands have one key at a fixed place
