"""Conformance entries for the RedisTimeSeries commands (``client.ts``).

Timestamps are explicit: ``*`` (the server clock) would make RESP2 and RESP3 differ.
"""

from __future__ import annotations

from redis_oxide._generated._types import TsMrangeAggregation, TsRangeAggregation

from .._entry import Entry

E = Entry


def _series(key: str, room: str = "a") -> list[tuple[str, ...]]:
    return [
        ("TS.CREATE", key, "LABELS", "kind", "temp", "room", room),
        ("TS.ADD", key, "1000", "1.5"),
        ("TS.ADD", key, "2000", "2.5"),
        ("TS.ADD", key, "3000", "4"),
    ]


def _two(prefix: str) -> list[tuple[str, ...]]:
    return [*_series(f"{prefix}:a", "a"), *_series(f"{prefix}:b", "b")]


ENTRIES = [
    E("ts.add", lambda r: r.ts.add("tsa:s", 1000, 1.5)),
    E(
        "ts.add",
        lambda r: r.ts.add(
            "tsa:s",
            2000,
            3,
            retention=100000,
            encoding="COMPRESSED",
            chunk_size=128,
            duplicate_policy="LAST",
            on_duplicate="SUM",
            ignore=(0, 0.0),
            labels={"kind": "temp"},
        ),
        variant="options",
    ),
    E(
        "ts.alter",
        lambda r: r.ts.alter("tsl:s", retention=5000, labels={"x": "y"}),
        _series("tsl:s"),
    ),
    E(
        "ts.create",
        lambda r: r.ts.create(
            "tsc:s", retention=0, encoding="UNCOMPRESSED", duplicate_policy="MAX", ignore=(10, 0.5)
        ),
    ),
    E(
        "ts.createrule",
        lambda r: r.ts.createrule("{tr}src", "{tr}dst", "AVG", 1000, align_timestamp=0),
        [("TS.CREATE", "{tr}src"), ("TS.CREATE", "{tr}dst")],
    ),
    E("ts.decrby", lambda r: r.ts.decrby("tsd:s", 2, timestamp=5000), _series("tsd:s")),
    E("ts.delete", lambda r: r.ts.delete("tsx:s", 0, 1500), _series("tsx:s")),
    E(
        "ts.deleterule",
        lambda r: r.ts.deleterule("{tr}src", "{tr}dst"),
        [
            ("TS.CREATE", "{tr}src"),
            ("TS.CREATE", "{tr}dst"),
            ("TS.CREATERULE", "{tr}src", "{tr}dst", "AGGREGATION", "sum", "10"),
        ],
    ),
    E("ts.get", lambda r: r.ts.get("tsg:s"), _series("tsg:s")),
    E(
        "ts.get",
        lambda r: r.ts.get("tsg:s", latest=True),
        [("TS.CREATE", "tsg:s")],
        variant="empty",
    ),
    E(
        "ts.incrby",
        lambda r: r.ts.incrby("tsi:s", 2.5, timestamp=1000, labels={"k": "v"}, chunk_size=256),
    ),
    E("ts.info", lambda r: r.ts.info("tsn:s"), _series("tsn:s")),
    E(
        "ts.info",
        lambda r: r.ts.info("{tn}s", debug=True),
        [
            *_series("{tn}s"),
            ("TS.CREATE", "{tn}d"),
            ("TS.CREATERULE", "{tn}s", "{tn}d", "AGGREGATION", "max", "60"),
        ],
        variant="debug-rules",
    ),
    E(
        "ts.madd",
        lambda r: r.ts.madd([("tsm:a", 1000, 1.0), ("tsm:b", 1000, 2)]),
        [("TS.CREATE", "tsm:a"), ("TS.CREATE", "tsm:b")],
    ),
    E("ts.mget", lambda r: r.ts.mget("kind=temp"), _two("tmg")),
    E(
        "ts.mget",
        lambda r: r.ts.mget("kind=temp", "room=(a,b)", withlabels=True, latest=True),
        [*_two("tmg"), ("TS.CREATE", "tmg:empty", "LABELS", "kind", "temp", "room", "a")],
        variant="withlabels",
    ),
    E(
        "ts.mget",
        lambda r: r.ts.mget("kind=temp", selected_labels=["room", "none"]),
        _two("tmg"),
        variant="selected",
    ),
    E("ts.mrange", lambda r: r.ts.mrange("-", "+", "kind=temp"), _two("tmr")),
    E(
        "ts.mrange",
        lambda r: r.ts.mrange(
            0,
            5000,
            "kind=temp",
            withlabels=True,
            filter_by_ts=[1000, 2000, 3000],
            filter_by_value=(1, 10),
            count=10,
            aggregation=TsMrangeAggregation(
                aggregator="MAX", bucket_duration=2000, align="start", empty=True
            ),
        ),
        _two("tmr"),
        variant="aggregation",
    ),
    E(
        "ts.mrange",
        lambda r: r.ts.mrange("-", "+", "kind=temp", withlabels=True, groupby=("kind", "SUM")),
        _two("tmr"),
        variant="groupby",
    ),
    E(
        "ts.mrange",
        lambda r: r.ts.mrange("-", "+", "kind=temp", groupby=("room", "MAX")),
        _two("tmr"),
        variant="groupby-nolabels",
    ),
    E(
        "ts.mrevrange",
        lambda r: r.ts.mrevrange("-", "+", "kind=temp", selected_labels=["room"], count=1),
        _two("tmv"),
    ),
    E("ts.queryindex", lambda r: r.ts.queryindex("kind=temp", "room!=b"), _two("tq")),
    E("ts.range", lambda r: r.ts.range("tsr:s", "-", "+"), _series("tsr:s")),
    E(
        "ts.range",
        lambda r: r.ts.range(
            "tsr:s",
            0,
            "+",
            count=2,
            aggregation=TsRangeAggregation(
                aggregator="AVG", bucket_duration=1000, buckettimestamp="mid"
            ),
        ),
        _series("tsr:s"),
        variant="aggregation",
    ),
    E(
        "ts.revrange",
        lambda r: r.ts.revrange("tsv:s", "-", "+", filter_by_value=(2, 5)),
        _series("tsv:s"),
    ),
]
