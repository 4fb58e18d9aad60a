"""Module commands check structured and "one or more" arguments before sending.

The same rules as the core commands (``test_argument_shapes``): a tuple of the wrong length, a
value where a block's dataclass goes and an empty collection the command requires raise
``TypeError``/``ValueError`` naming the command and the parameter, and nothing is sent. So do
values the module always refuses (checked against Redis Stack 7.4.1), and NaN.
"""

from __future__ import annotations

import math

import pytest

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.types import (
    TsMrangeAggregation,
    TsMrevrangeAggregation,
    TsRangeAggregation,
    TsRevrangeAggregation,
)
from tests.client._refusals import Call, refused

pytestmark = pytest.mark.timeout(60)

CASES: list[tuple[str, Call, type[Exception], str, str]] = [
    (
        "json.mset pair",
        lambda r: r.json.mset([("k", "$")]),
        ValueError,
        r"^JSON.MSET: triplet item must be a \(key, path, value\) tuple of 3 items, not 2$",
        "json.mset",
    ),
    (
        "ft.search limit of one",
        lambda r: r.ft.search("i", "*", limit=(10,)),
        ValueError,
        r"^FT.SEARCH: limit must be a \(offset, num\) tuple of 2 items, not 1$",
        "ft.search",
    ),
    (
        "ft.search filter pair",
        lambda r: r.ft.search("i", "*", filter=[("p", 1)]),
        ValueError,
        r"^FT.SEARCH: filter item must be a \(numeric_field, min, max\) tuple of 3 items, not 2$",
        "ft.search",
    ),
    (
        "ft.aggregate apply of one",
        lambda r: r.ft.aggregate("i", "*", apply=[("@p*2",)]),
        ValueError,
        r"^FT.AGGREGATE: apply item must be a \(expression, name\) tuple of 2 items, not 1$",
        "ft.aggregate",
    ),
    (
        "ft.aggregate groupby str",
        lambda r: r.ft.aggregate("i", "*", groupby=["@p"]),
        TypeError,
        r"^FT.AGGREGATE: groupby item must be a FtAggregateGroupby, not str$",
        "ft.aggregate",
    ),
    (
        "ft.create field str",
        lambda r: r.ft.create("i", ["title"]),
        TypeError,
        r"^FT.CREATE: field item must be a FtCreateField, not str$",
        "ft.create",
    ),
    (
        "topk.reserve params pair",
        lambda r: r.topk.reserve("t", 3, params=(8, 7)),
        ValueError,
        r"^TOPK.RESERVE: params must be a \(width, depth, decay\) tuple of 3 items, not 2$",
        "topk.reserve",
    ),
    (
        "ts.madd pair",
        lambda r: r.ts.madd([("t", 1)]),
        ValueError,
        r"^TS.MADD: samples item must be a \(key, timestamp, value\) tuple of 3 items, not 2$",
        "ts.madd",
    ),
    (
        "ts.range filter_by_value of one",
        lambda r: r.ts.range("t", "-", "+", filter_by_value=(1,)),
        ValueError,
        r"^TS.RANGE: filter_by_value must be a \(min, max\) tuple of 2 items, not 1$",
        "ts.range",
    ),
    (
        "ts.mrange groupby of one",
        lambda r: r.ts.mrange("-", "+", "a=b", groupby=("room",)),
        ValueError,
        r"^TS.MRANGE: groupby must be a \(label, reducer\) tuple of 2 items, not 1$",
        "ts.mrange",
    ),
    (
        "ts.create ignore of one",
        lambda r: r.ts.create("t", ignore=(1,)),
        ValueError,
        r"^TS.CREATE: ignore must be a \(ignore_max_time_diff, ignore_max_val_diff\) tuple",
        "ts.create",
    ),
    # Empty collections the command requires.
    (
        "json.mget no keys",
        lambda r: r.json.mget([], "$"),
        ValueError,
        "^JSON.MGET: keys must not be empty$",
        "json.mget",
    ),
    (
        "json.mset nothing",
        lambda r: r.json.mset([]),
        ValueError,
        "^JSON.MSET: triplet must not be empty$",
        "json.mset",
    ),
    (
        "ft.create no fields",
        lambda r: r.ft.create("i", []),
        ValueError,
        "^FT.CREATE: field must not be empty$",
        "ft.create",
    ),
    (
        "ts.madd nothing",
        lambda r: r.ts.madd([]),
        ValueError,
        "^TS.MADD: samples must not be empty$",
        "ts.madd",
    ),
    (
        "cms.merge no sources",
        lambda r: r.cms.merge("dst"),
        TypeError,
        "^CMS.MERGE takes at least one sources$",
        "cms.merge",
    ),
    (
        "tdigest.merge no sources",
        lambda r: r.tdigest.merge("dst"),
        TypeError,
        "^TDIGEST.MERGE takes at least one source-keys$",
        "tdigest.merge",
    ),
    (
        "ft.search empty params",
        lambda r: r.ft.search("i", "*", params={}),
        ValueError,
        "^FT.SEARCH: params must not be empty$",
        "ft.search",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message", "command"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_malformed_module_arguments_are_refused_before_sending(
    flushed_stack: RedisServerInfo,
    call: Call,
    error: type[Exception],
    message: str,
    command: str,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await refused(r, call, error, message, command)


async def test_a_count_of_zero_in_an_option_is_still_sent(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        # Hashes written after FT.CREATE are indexed as they are written.
        schema = ("SCHEMA", "t", "TEXT")
        await r.execute_command("FT.CREATE", "zero-idx", "PREFIX", "1", "doc:", *schema)
        await r.hset("doc:1", {"t": "hello"})
        # RETURN 0 asks for no fields: the documents come back without content.
        result = await r.ft.search("zero-idx", "*", return_fields=[])
        assert result.total == 1
        assert [(d.id, d.fields) for d in result.documents] == [("doc:1", None)]


NAN = float("nan")
NAN_MESSAGE = "must be a number, not NaN; check the computation that produced it$"
QUANTILE = r"^TDIGEST.QUANTILE: each quantile must be between 0 and 1 \(0.5 is the median\)$"
BUCKET = "aggregation.bucket_duration must be more than 0 milliseconds$"
LIMIT = r"limit takes an offset and a count of 0 or more, e.g. limit=\(0, 10\)"
CUT = r"must be between 0 and 1 \(0\.[19] leaves out the (lowest|highest) tenth\)$"
CUT_ORDER = "low_cut_quantile must be below high_cut_quantile, e.g. 0.1 and 0.9 for the middle 80%$"
ERROR_RATE = "must be above 0 and below 1, e.g. 0.01 for one false positive in a hundred$"
RATE = f"error_rate {ERROR_RATE}"

#: (id, call, message, command): each reached the module before, which refused it (or, for
#: NaN in a search filter, read it as a filter that matches nothing or everything).
REFUSED_VALUES: list[tuple[str, Call, str, str]] = [
    # RedisBloom: "T-Digest: quantile should be in [0,1]".
    (
        "quantile above 1",
        lambda r: r.tdigest.quantile("td", 0.5, 1.5),
        QUANTILE,
        "tdigest.quantile",
    ),
    ("quantile below 0", lambda r: r.tdigest.quantile("td", -0.1), QUANTILE, "tdigest.quantile"),
    ("quantile inf", lambda r: r.tdigest.quantile("td", "inf"), QUANTILE, "tdigest.quantile"),
    # RedisBloom: "T-Digest: low_cut_percentile and high_cut_percentile should be in [0,1]",
    # "T-Digest: low_cut_percentile should be lower than high_cut_percentile".
    (
        "trimmed_mean low below 0",
        lambda r: r.tdigest.trimmed_mean("td", -0.1, 0.5),
        rf"^TDIGEST.TRIMMED_MEAN: low_cut_quantile {CUT}",
        "tdigest.trimmed_mean",
    ),
    (
        "trimmed_mean high above 1",
        lambda r: r.tdigest.trimmed_mean("td", 0.1, 1.1),
        rf"^TDIGEST.TRIMMED_MEAN: high_cut_quantile {CUT}",
        "tdigest.trimmed_mean",
    ),
    (
        "trimmed_mean low inf",
        lambda r: r.tdigest.trimmed_mean("td", math.inf, 1),
        rf"^TDIGEST.TRIMMED_MEAN: low_cut_quantile {CUT}",
        "tdigest.trimmed_mean",
    ),
    (
        "trimmed_mean equal cuts",
        lambda r: r.tdigest.trimmed_mean("td", 0.5, 0.5),
        f"^TDIGEST.TRIMMED_MEAN: {CUT_ORDER}",
        "tdigest.trimmed_mean",
    ),
    (
        "trimmed_mean cuts swapped",
        lambda r: r.tdigest.trimmed_mean("td", 0.9, 0.1),
        f"^TDIGEST.TRIMMED_MEAN: {CUT_ORDER}",
        "tdigest.trimmed_mean",
    ),
    # RedisBloom: "(0 < error rate range < 1)"; BF.INSERT: "Bad argument received", also for
    # an existing filter and with NOCREATE.
    ("bf.reserve 0", lambda r: r.bf.reserve("b", 0, 100), f"^BF.RESERVE: {RATE}", "bf.reserve"),
    ("bf.reserve 1", lambda r: r.bf.reserve("b", 1, 100), f"^BF.RESERVE: {RATE}", "bf.reserve"),
    (
        "bf.reserve negative",
        lambda r: r.bf.reserve("b", -0.01, 100),
        f"^BF.RESERVE: {RATE}",
        "bf.reserve",
    ),
    (
        "bf.insert error 0",
        lambda r: r.bf.insert("bf", "a", error=0),
        f"^BF.INSERT: error {ERROR_RATE}",
        "bf.insert",
    ),
    (
        "bf.insert error 1.5",
        lambda r: r.bf.insert("bf", "a", error=1.5, nocreate=True),
        f"^BF.INSERT: error {ERROR_RATE}",
        "bf.insert",
    ),
    # RedisBloom: "(capacity should be larger than 0)", "expansion should be greater or equal
    # to 1"; BF.INSERT: "Bad argument received" for both.
    (
        "bf.reserve capacity 0",
        lambda r: r.bf.reserve("b", 0.01, 0),
        "^BF.RESERVE: capacity must be at least 1",
        "bf.reserve",
    ),
    (
        "bf.reserve capacity -1",
        lambda r: r.bf.reserve("b", 0.01, -1),
        "^BF.RESERVE: capacity must be at least 1",
        "bf.reserve",
    ),
    (
        "bf.reserve expansion 0",
        lambda r: r.bf.reserve("b", 0.01, 10, expansion=0),
        "^BF.RESERVE: expansion must be at least 1",
        "bf.reserve",
    ),
    (
        "bf.insert capacity 0",
        lambda r: r.bf.insert("b", "a", capacity=0),
        "^BF.INSERT: capacity must be at least 1",
        "bf.insert",
    ),
    (
        "bf.insert expansion -1",
        lambda r: r.bf.insert("bf", "a", expansion=-1, nocreate=True),
        "^BF.INSERT: expansion must be at least 1",
        "bf.insert",
    ),
    # RedisBloom: "Capacity must be at least (BucketSize * 2)", "BUCKETSIZE: value must be an
    # integer between 1 and 255, inclusive", and the same for MAXITERATIONS and EXPANSION.
    (
        "cf.reserve capacity 1",
        lambda r: r.cf.reserve("c", 1),
        "^CF.RESERVE: capacity must be at least twice",
        "cf.reserve",
    ),
    (
        "cf.reserve bucketsize 0",
        lambda r: r.cf.reserve("c", 100, bucketsize=0),
        "^CF.RESERVE: bucketsize must be between 1 and 255",
        "cf.reserve",
    ),
    (
        "cf.reserve bucketsize 256",
        lambda r: r.cf.reserve("c", 1000, bucketsize=256),
        "^CF.RESERVE: bucketsize must be between 1 and 255",
        "cf.reserve",
    ),
    (
        "cf.reserve maxiterations 0",
        lambda r: r.cf.reserve("c", 100, maxiterations=0),
        "^CF.RESERVE: maxiterations must be between 1 and 65535",
        "cf.reserve",
    ),
    (
        "cf.reserve maxiterations 65536",
        lambda r: r.cf.reserve("c", 100, maxiterations=65536),
        "^CF.RESERVE: maxiterations must be between",
        "cf.reserve",
    ),
    (
        "cf.reserve expansion -1",
        lambda r: r.cf.reserve("c", 100, expansion=-1),
        "^CF.RESERVE: expansion must be between 0 and 32768",
        "cf.reserve",
    ),
    (
        "cf.reserve expansion 32769",
        lambda r: r.cf.reserve("c", 100, expansion=32769),
        "^CF.RESERVE: expansion must be between",
        "cf.reserve",
    ),
    (
        "cf.insert capacity 3",
        lambda r: r.cf.insert("c", "a", capacity=3),
        "^CF.INSERT: capacity must be at least 4",
        "cf.insert",
    ),
    (
        "cf.insertnx capacity 0",
        lambda r: r.cf.insertnx("c", "a", capacity=0, nocreate=True),
        "^CF.INSERTNX: capacity must be at least 4",
        "cf.insertnx",
    ),
    # RedisTimeSeries: "TSDB: bucketDuration must be greater than zero".
    (
        "ts.range bucket 0",
        lambda r: r.ts.range(
            "ts", "-", "+", aggregation=TsRangeAggregation(aggregator="AVG", bucket_duration=0)
        ),
        f"^TS.RANGE: {BUCKET}",
        "ts.range",
    ),
    (
        "ts.revrange bucket -5",
        lambda r: r.ts.revrange(
            "ts", "-", "+", aggregation=TsRevrangeAggregation(aggregator="AVG", bucket_duration=-5)
        ),
        f"^TS.REVRANGE: {BUCKET}",
        "ts.revrange",
    ),
    (
        "ts.mrange bucket 0",
        lambda r: r.ts.mrange(
            "-", "+", "a=b", aggregation=TsMrangeAggregation(aggregator="AVG", bucket_duration=0)
        ),
        f"^TS.MRANGE: {BUCKET}",
        "ts.mrange",
    ),
    (
        "ts.mrevrange bucket -1",
        lambda r: r.ts.mrevrange(
            "-",
            "+",
            "a=b",
            aggregation=TsMrevrangeAggregation(aggregator="AVG", bucket_duration=-1),
        ),
        f"^TS.MREVRANGE: {BUCKET}",
        "ts.mrevrange",
    ),
    (
        "ts.createrule bucket 0",
        lambda r: r.ts.createrule("ts", "ts2", "AVG", 0),
        "^TS.CREATERULE: bucket_duration must be more than 0 milliseconds$",
        "ts.createrule",
    ),
    # RediSearch: "LIMIT needs two numeric arguments".
    (
        "ft.search offset -1",
        lambda r: r.ft.search("idx", "*", limit=(-1, 10)),
        f"^FT.SEARCH: {LIMIT}",
        "ft.search",
    ),
    (
        "ft.search num -1",
        lambda r: r.ft.search("idx", "*", limit=[0, -1]),
        f"^FT.SEARCH: {LIMIT}",
        "ft.search",
    ),
    (
        "ft.aggregate offset -1",
        lambda r: r.ft.aggregate("idx", "*", limit=(-1, 10)),
        f"^FT.AGGREGATE: {LIMIT}",
        "ft.aggregate",
    ),
    # NaN: "T-Digest: error parsing quantile", "TSDB: invalid value", "ERR bad error rate";
    # FT.SEARCH took it and matched nothing (FILTER) or everything (GEOFILTER radius).
    (
        "quantile nan",
        lambda r: r.tdigest.quantile("td", NAN),
        f"^TDIGEST.QUANTILE: quantiles {NAN_MESSAGE}",
        "tdigest.quantile",
    ),
    (
        "tdigest.add nan",
        lambda r: r.tdigest.add("td", 1.0, NAN),
        f"^TDIGEST.ADD: values {NAN_MESSAGE}",
        "tdigest.add",
    ),
    ("ts.add nan", lambda r: r.ts.add("ts", 1, NAN), f"^TS.ADD: value {NAN_MESSAGE}", "ts.add"),
    (
        "bf.reserve nan",
        lambda r: r.bf.reserve("bf", NAN, 100),
        f"^BF.RESERVE: error_rate {NAN_MESSAGE}",
        "bf.reserve",
    ),
    (
        "ft.search filter nan",
        lambda r: r.ft.search("idx", "*", filter=[("n", NAN, 5)]),
        f"^FT.SEARCH: min {NAN_MESSAGE}",
        "ft.search",
    ),
    (
        "ft.search geofilter nan",
        lambda r: r.ft.search("idx", "*", geo_filter=[("g", 1.0, 1.0, NAN, "km")]),
        f"^FT.SEARCH: radius {NAN_MESSAGE}",
        "ft.search",
    ),
]


#: What a check reads is type-tested first: a wrong type is still the usual TypeError.
WRONG_TYPES: list[tuple[str, Call, str, str]] = [
    (
        "ft.search limit str",
        lambda r: r.ft.search("idx", "*", limit=("0", 10)),
        "^FT.SEARCH: offset must be an int, not str$",
        "ft.search",
    ),
    (
        "ts.range aggregation dict",
        lambda r: r.ts.range("ts", "-", "+", aggregation={"bucket_duration": 0}),
        "^TS.RANGE: aggregation must be a TsRangeAggregation, not dict$",
        "ts.range",
    ),
    (
        "ts.range bucket str",
        lambda r: r.ts.range(
            "ts", "-", "+", aggregation=TsRangeAggregation(aggregator="AVG", bucket_duration="0")
        ),
        "^TS.RANGE: bucket_duration must be an int, not str$",
        "ts.range",
    ),
    (
        "quantile str",
        lambda r: r.tdigest.quantile("td", "0.5"),
        "^TDIGEST.QUANTILE: quantiles must be a float, not str$",
        "tdigest.quantile",
    ),
]


@pytest.mark.parametrize(
    ("call", "message", "command"),
    [case[1:] for case in WRONG_TYPES],
    ids=[case[0] for case in WRONG_TYPES],
)
async def test_checked_module_values_of_the_wrong_type_are_type_errors(
    flushed_stack: RedisServerInfo, call: Call, message: str, command: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await refused(r, call, TypeError, message, command)


async def _module_data(r: Redis[str]) -> None:
    await r.tdigest.create("td")
    await r.tdigest.add("td", 1.0, 2.0, 3.0)
    await r.bf.reserve("bf", 0.01, 100)
    await r.ts.create("ts", labels={"a": "b"})
    await r.ts.create("ts2")
    await r.ts.add("ts", 1000, 1.0)
    await r.execute_command(
        "FT.CREATE", "idx", "PREFIX", "1", "d:", "SCHEMA", "n", "NUMERIC", "g", "GEO"
    )
    await r.hset("d:1", {"n": "3", "g": "1,1"})


@pytest.mark.parametrize(
    ("call", "message", "command"),
    [case[1:] for case in REFUSED_VALUES],
    ids=[case[0] for case in REFUSED_VALUES],
)
async def test_module_values_the_server_refuses_are_refused_before_sending(
    flushed_stack: RedisServerInfo, call: Call, message: str, command: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await _module_data(r)
        await refused(r, call, ValueError, message, command)


async def test_module_values_at_the_edge_are_still_sent(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await _module_data(r)
        assert await r.tdigest.quantile("td", 0, 1) == [1.0, 3.0]
        assert await r.tdigest.trimmed_mean("td", 0, 1) == 2.0
        assert await r.bf.reserve("nearly-always", 0.999, 100)
        assert await r.bf.insert("bf", "a", error=0.5) == [True]
        assert await r.bf.reserve("smallest", 0.01, 1, expansion=1)
        assert await r.bf.insert("small", "a", capacity=1, expansion=1) == [True]
        assert await r.cf.reserve("cf4", 4)
        assert await r.cf.reserve("cf510", 510, bucketsize=255, maxiterations=65535)
        assert await r.cf.reserve("cf-fixed", 100, bucketsize=1, maxiterations=1, expansion=0)
        assert await r.cf.reserve("cf-wide", 100, expansion=32768)
        assert await r.cf.insert("cfi", "a", capacity=4) == [True]
        by_second = TsRangeAggregation(aggregator="AVG", bucket_duration=1)
        assert await r.ts.range("ts", "-", "+", aggregation=by_second) == [(1000, 1.0)]
        assert await r.ts.createrule("ts", "ts2", "AVG", 1)
        assert (await r.ft.search("idx", "*", limit=(0, 0))).total == 1
        assert (await r.ft.search("idx", "*", filter=[("n", -math.inf, "+inf")])).total == 1
