"""``assert_type`` examples of the module namespaces for ``Redis[str]``.

Checked by ``mypy --strict`` (see ``test_generated_types.py``); the functions are never called.
``typed_modules_bytes.py`` mirrors this file for ``Redis[bytes]``. Strings that follow the
client are ``str`` here; JSON values and server vocabulary are ``str`` on both clients.
"""

from __future__ import annotations

from typing import assert_type

from redis_oxide import (
    AggregateResult,
    BloomInfo,
    ConfigOptionHelp,
    CountMinInfo,
    CuckooInfo,
    IndexInfo,
    Redis,
    SearchProfile,
    SearchResult,
    TDigestInfo,
    TimeSeriesInfo,
    TimeSeriesLatest,
    TimeSeriesRange,
    TopKInfo,
)
from redis_oxide.exceptions import ServerError
from redis_oxide.types import (
    FtAggregateGroupby,
    FtAggregateGroupbyReduce,
    FtCreateField,
    FtCreateFieldType,
    FtCreateNumeric,
    FtCreateTag,
    FtCreateText,
    FtCreateVector,
    JsonValue,
    TsRangeAggregation,
)

Ints = int | list[int | None] | None
Sample = tuple[int, float]


async def json(r: Redis[str]) -> None:
    assert_type(await r.json.set("doc", "$", {"a": [1, 2.5, None, True]}), bool)
    assert_type(await r.json.set("doc", "$.a", b'"raw"', condition="XX"), bool)
    assert_type(await r.json.get("doc"), JsonValue | None)
    assert_type(await r.json.get("doc", "$.a", ".b", indent="  "), JsonValue | None)
    assert_type(await r.json.mget(["a", "b"], "$"), list[JsonValue | None])
    assert_type(await r.json.mset([("a", "$", 1), ("b", "$", {"x": "y"})]), bool)
    assert_type(await r.json.merge("doc", "$", {"a": None}), bool)
    assert_type(await r.json.delete("doc", path="$.a"), int)
    assert_type(await r.json.forget("doc"), int)
    assert_type(await r.json.clear("doc"), int)
    assert_type(await r.json.type("doc", path="$..a"), str | list[str | None] | None)
    assert_type(await r.json.arrappend("doc", "$.a", 1, "two"), Ints)
    assert_type(await r.json.arrindex("doc", "$.a", 2, start=0, stop=-1), Ints)
    assert_type(await r.json.arrinsert("doc", "$.a", 0, [1]), Ints)
    assert_type(await r.json.arrlen("doc", path="$.a"), Ints)
    assert_type(
        await r.json.arrpop("doc", path="$.a", index=-1), JsonValue | list[JsonValue | None] | None
    )
    assert_type(await r.json.arrtrim("doc", "$.a", 0, 1), Ints)
    assert_type(
        await r.json.numincrby("doc", "$.n", 1.5),
        int | float | list[int | float | None] | None,
    )
    assert_type(
        await r.json.numpowby("doc", ".n", 2), int | float | list[int | float | None] | None
    )
    assert_type(await r.json.strappend("doc", "tail", path="$.s"), Ints)
    assert_type(await r.json.strlen("doc", path="$.s"), Ints)
    assert_type(await r.json.toggle("doc", "$.t"), bool | list[bool | None] | None)
    assert_type(await r.json.objkeys("doc"), list[str] | list[list[str] | None] | None)
    assert_type(await r.json.objlen("doc"), Ints)
    assert_type(await r.json.debug_memory("doc"), Ints)
    assert_type(await r.json.debug_help(), list[str])


async def search(r: Redis[str]) -> None:
    schema = [
        FtCreateField(field_name="title", field_type=FtCreateText(weight=2.0, nostem=True)),
        FtCreateField(field_name="tags", field_type=FtCreateTag(separator=";")),
        FtCreateField(
            field_name="v",
            field_type=FtCreateVector(algorithm="HNSW", attributes={"TYPE": "FLOAT32", "DIM": 4}),
        ),
    ]
    kind: FtCreateFieldType = FtCreateNumeric()
    assert_type(FtCreateField(field_name="n", field_type=kind).field_type, FtCreateFieldType)
    assert_type(await r.ft.create("idx", schema, prefix=["doc:"]), bool)
    assert_type(await r.ft.alter("idx", "n", "NUMERIC"), bool)
    assert_type(await r.ft.search("idx", "hello"), SearchResult[str])
    assert_type(
        await r.ft.search("idx", "*", withscores=True, return_fields=["t"], limit=(0, 5)),
        SearchResult[str],
    )
    assert_type(await r.ft.aggregate("idx", "*", load=["@t"]), AggregateResult[str])
    assert_type(
        await r.ft.aggregate("idx", "*", withcursor=True, read_size=10),
        tuple[AggregateResult[str], int],
    )
    step = FtAggregateGroupby(
        property=["@t"], reduce=[FtAggregateGroupbyReduce(function="COUNT", arg=[])]
    )
    assert_type(await r.ft.aggregate("idx", "*", groupby=[step]), AggregateResult[str])
    assert_type(await r.ft.cursor_read("idx", 42), tuple[AggregateResult[str], int])
    assert_type(await r.ft.cursor_del("idx", 42), bool)
    assert_type(await r.ft.info("idx"), IndexInfo[str])
    assert_type(await r.ft.profile("idx", "SEARCH", "hello"), SearchProfile[str])
    assert_type(await r.ft.explain("idx", "hello"), str)
    assert_type(await r.ft.explaincli("idx", "hello"), list[str])
    assert_type(await r.ft.spellcheck("idx", "helo"), dict[str, list[tuple[str, float]]])
    assert_type(await r.ft.dictadd("d", "a", "b"), int)
    assert_type(await r.ft.dictdump("d"), list[str])
    assert_type(await r.ft.sugadd("s", "hello", 1.0, payload="p"), int)
    assert_type(await r.ft.sugget("s", "he"), list[str])
    assert_type(await r.ft.sugget("s", "he", withscores=True), list[tuple[str, float]])
    assert_type(await r.ft.sugget("s", "he", withpayloads=True), list[tuple[str, str | None]])
    assert_type(
        await r.ft.sugget("s", "he", withscores=True, withpayloads=True),
        list[tuple[str, float, str | None]],
    )
    assert_type(await r.ft.suglen("s"), int)
    assert_type(await r.ft.sugdel("s", "hello"), bool)
    assert_type(await r.ft.syndump("idx"), dict[str, list[str]])
    assert_type(await r.ft.synupdate("idx", "g", "a", "b"), bool)
    assert_type(await r.ft.tagvals("idx", "tag"), list[str])
    assert_type(await r.ft.aliasadd("alias", "idx"), bool)
    assert_type(await r.ft.config_get("TIMEOUT"), dict[str, str | None])
    assert_type(await r.ft.config_help("TIMEOUT"), dict[str, ConfigOptionHelp[str]])
    assert_type(await r.ft.list_indexes(), list[str])
    assert_type(await r.ft.dropindex("idx", dd=True), bool)


async def bloom(r: Redis[str]) -> None:
    assert_type(await r.bf.reserve("bf", 0.01, 1000), bool)
    assert_type(await r.bf.add("bf", "x"), bool)
    assert_type(await r.bf.madd("bf", "x", "y"), list[bool | ServerError])
    assert_type(await r.bf.exists("bf", "x"), bool)
    assert_type(await r.bf.mexists("bf", "x", "y"), list[bool])
    assert_type(await r.bf.insert("bf", "x", capacity=10, nocreate=False), list[bool | ServerError])
    assert_type(await r.bf.info("bf"), BloomInfo)
    assert_type(await r.bf.info("bf", single_value="CAPACITY"), int | None)
    assert_type(await r.bf.card("bf"), int)
    assert_type(await r.bf.scandump("bf", 0), tuple[int, bytes])
    assert_type(await r.cf.reserve("cf", 1000, bucketsize=4), bool)
    assert_type(await r.cf.add("cf", "x"), bool)
    assert_type(await r.cf.insert("cf", "x", "y"), list[bool])
    assert_type(await r.cf.insertnx("cf", "x"), list[int])
    assert_type(await r.cf.count("cf", "x"), int)
    assert_type(await r.cf.delete("cf", "x"), bool)
    assert_type(await r.cf.info("cf"), CuckooInfo)
    assert_type(await r.cms.initbydim("cms", 100, 5), bool)
    assert_type(await r.cms.incrby("cms", {"a": 1, "b": 2}), list[int])
    assert_type(await r.cms.query("cms", "a", "b"), list[int])
    assert_type(await r.cms.merge("dst", "s1", "s2", weights=[1, 2]), bool)
    assert_type(await r.cms.info("cms"), CountMinInfo)
    assert_type(await r.topk.reserve("tk", 10, params=(50, 4, 0.9)), bool)
    assert_type(await r.topk.add("tk", "a", "b"), list[str | None])
    assert_type(await r.topk.incrby("tk", {"a": 3}), list[str | None])
    assert_type(await r.topk.query("tk", "a"), list[bool])
    assert_type(await r.topk.list_items("tk"), list[str])
    assert_type(await r.topk.list_items("tk", withcount=True), list[tuple[str, int]])
    assert_type(await r.topk.info("tk"), TopKInfo)
    assert_type(await r.tdigest.create("td", compression=100), bool)
    assert_type(await r.tdigest.add("td", 1.0, 2.5), bool)
    assert_type(await r.tdigest.quantile("td", 0.5, 0.99), list[float])
    assert_type(await r.tdigest.cdf("td", 2.0), list[float])
    assert_type(await r.tdigest.rank("td", 2.0), list[int])
    assert_type(await r.tdigest.byrank("td", 0, 1), list[float])
    assert_type(await r.tdigest.min("td"), float)
    assert_type(await r.tdigest.trimmed_mean("td", 0.1, 0.9), float)
    assert_type(await r.tdigest.info("td"), TDigestInfo)


async def timeseries(r: Redis[str]) -> None:
    assert_type(await r.ts.create("ts", retention=60_000, labels={"kind": "temp"}), bool)
    assert_type(await r.ts.add("ts", "*", 21.5, duplicate_policy="LAST"), int)
    assert_type(await r.ts.madd([("ts", 1000, 1.0), ("ts2", 1000, 2)]), list[int | ServerError])
    assert_type(await r.ts.incrby("ts", 1, timestamp=2000), int)
    assert_type(await r.ts.get("ts"), Sample | None)
    assert_type(await r.ts.range("ts", "-", "+"), list[Sample])
    by_minute = TsRangeAggregation(aggregator="AVG", bucket_duration=60_000)
    assert_type(await r.ts.range("ts", 0, "+", aggregation=by_minute, count=10), list[Sample])
    assert_type(await r.ts.revrange("ts", "-", "+", filter_by_value=(0, 5)), list[Sample])
    assert_type(await r.ts.mget("kind=temp", withlabels=True), dict[str, TimeSeriesLatest[str]])
    assert_type(
        await r.ts.mrange("-", "+", "kind=temp", groupby=("room", "MAX")),
        dict[str, TimeSeriesRange[str]],
    )
    assert_type(await r.ts.queryindex("kind=temp"), list[str])
    assert_type(await r.ts.info("ts"), TimeSeriesInfo[str])
    assert_type(await r.ts.createrule("ts", "ts:avg", "AVG", 60_000), bool)
    assert_type(await r.ts.delete("ts", 0, 1000), int)


async def pipelined(r: Redis[str]) -> None:
    async with r.pipeline() as pipe:
        got = pipe.json.get("doc")
        added = pipe.bf.add("bf", "x")
    assert_type(await got, JsonValue | None)
    assert_type(await added, bool)
