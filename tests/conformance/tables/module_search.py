"""Conformance entries for the RediSearch commands (``client.ft``).

Each entry builds its own index over hashes (``idx:<name>``, prefix ``<name>:``) before adding
documents, so they are indexed at once rather than by the background scan.
"""

from __future__ import annotations

from typing import Any

from redis_oxide._generated._types import (
    FtAggregateGroupby,
    FtAggregateGroupbyReduce,
    FtAggregateSortby,
    FtCreateField,
    FtCreateFieldSortable,
    FtCreateNumeric,
    FtCreateTag,
    FtCreateText,
    FtCreateVector,
    FtSearchHighlight,
    FtSearchSummarize,
    FtSpellcheckTerms,
)

from .._entry import Entry, Recorder

E = Entry
SCHEMA = (
    "SCHEMA",
    *("title", "TEXT", "SORTABLE"),
    *("body", "TEXT"),
    *("n", "NUMERIC", "SORTABLE"),
    *("tag", "TAG"),
    *("loc", "GEO"),
)


def _index(name: str, *options: str) -> list[tuple[str, ...]]:
    """An index ``idx:<name>`` over the hashes ``<name>:*`` and two documents in it."""
    return [
        ("FT.CREATE", f"idx:{name}", "PREFIX", "1", f"{name}:", *options, *SCHEMA),
        ("HSET", f"{name}:1", "title", "hello world", "body", "first", "n", "5", "tag", "a"),
        ("HSET", f"{name}:2", "title", "hello there", "body", "second", "n", "7", "tag", "b"),
    ]


async def _cursor(r: Recorder) -> None:
    reply = await r.raw(
        "FT.AGGREGATE", "idx:cur", "*", "LOAD", "1", "@n", "WITHCURSOR", "COUNT", "1"
    )
    r.context["cursor"] = reply[1]


def _search(r: Any, **options: Any) -> Any:
    return r.ft.search("idx:s", "hello", **options)


ENTRIES = [
    E(
        "ft.add",
        lambda r: r.ft.add("idx:add", "add:9", 1.0, {"title": "hi", "n": 3}, language="english"),
        _index("add"),
    ),
    E("ft.aggregate", lambda r: r.ft.aggregate("idx:ag", "*", load=["@title", "@n"]), _index("ag")),
    E(
        "ft.aggregate",
        lambda r: r.ft.aggregate(
            "idx:ag",
            "@title:hello",
            groupby=[
                FtAggregateGroupby(
                    property=["@tag"],
                    reduce=[
                        FtAggregateGroupbyReduce(function="COUNT", arg=[], name="count"),
                        FtAggregateGroupbyReduce(function="TOLIST", arg=["@n"], name="ns"),
                    ],
                )
            ],
            sortby=FtAggregateSortby(fields=[("@count", "DESC")], max=10),
            apply=[("upper(@tag)", "big")],
            limit=(0, 10),
            filter="@count > 0",
            params={"unused": "1"},
            dialect=2,
        ),
        _index("ag"),
        variant="pipeline",
    ),
    E(
        "ft.aggregate",
        lambda r: r.ft.aggregate("idx:ag", "*", load=["@n"], withcursor=True, read_size=1),
        _index("ag"),
        variant="withcursor",
    ),
    E("ft.aliasadd", lambda r: r.ft.aliasadd("al:add", "idx:aa"), _index("aa")),
    E(
        "ft.aliasdel",
        lambda r: r.ft.aliasdel("al:del"),
        [*_index("ad"), ("FT.ALIASADD", "al:del", "idx:ad")],
    ),
    E("ft.aliasupdate", lambda r: r.ft.aliasupdate("al:up", "idx:au"), _index("au")),
    E("ft.alter", lambda r: r.ft.alter("idx:alt", "extra", "TEXT", "NOSTEM"), _index("alt")),
    E("ft.config_get", lambda r: r.ft.config_get("TIMEOUT")),
    E("ft.config_help", lambda r: r.ft.config_help("TIMEOUT")),
    E(
        "ft.config_set",
        lambda r: r.ft.config_set("TIMEOUT", 600),
        cleanup=[("FT.CONFIG", "SET", "TIMEOUT", "500")],
    ),
    E(
        "ft.create",
        lambda r: r.ft.create(
            "idx:cr",
            [
                FtCreateField(field_name="title", field_type=FtCreateText(weight=2)),
                FtCreateField(
                    field_name="n", field_type=FtCreateNumeric(), sortable=FtCreateFieldSortable()
                ),
                FtCreateField(
                    field_name="$.tag", alias="tag", field_type=FtCreateTag(separator=";")
                ),
                FtCreateField(
                    field_name="$.v",
                    alias="v",
                    field_type=FtCreateVector(
                        algorithm="FLAT",
                        attributes={"TYPE": "FLOAT32", "DIM": 2, "DISTANCE_METRIC": "L2"},
                    ),
                ),
            ],
            data_type="JSON",
            prefix=["cr:"],
            stopwords=["a", "the"],
            default_score=0.5,
        ),
    ),
    E(
        "ft.cursor_del",
        lambda r: r.ft.cursor_del("idx:cur", r.context["cursor"]),
        _index("cur"),
        prepare=_cursor,
    ),
    E(
        "ft.cursor_read",
        lambda r: r.ft.cursor_read("idx:cur", r.context["cursor"], read_size=5),
        _index("cur"),
        prepare=_cursor,
    ),
    E("ft.delete", lambda r: r.ft.delete("idx:del", "del:1"), _index("del")),
    E("ft.dictadd", lambda r: r.ft.dictadd("dict:add", "alpha", "beta")),
    E(
        "ft.dictdel",
        lambda r: r.ft.dictdel("dict:del", "alpha"),
        [("FT.DICTADD", "dict:del", "alpha")],
    ),
    E(
        "ft.dictdump",
        lambda r: r.ft.dictdump("dict:dump"),
        [("FT.DICTADD", "dict:dump", "alpha", "beta")],
    ),
    E("ft.drop", lambda r: r.ft.drop("idx:drop", keepdocs=True), _index("drop")),
    E("ft.dropindex", lambda r: r.ft.dropindex("idx:dropi", dd=True), _index("dropi")),
    E("ft.explain", lambda r: r.ft.explain("idx:ex", "hello @n:[1 5]", dialect=2), _index("ex")),
    E("ft.explaincli", lambda r: r.ft.explaincli("idx:ex", "hello world"), _index("ex")),
    E("ft.get", lambda r: r.ft.get("idx:get", "get:1"), _index("get")),
    E("ft.get", lambda r: r.ft.get("idx:get", "get:9"), _index("get"), variant="missing"),
    E("ft.info", lambda r: r.ft.info("idx:info"), _index("info")),
    E(
        "ft.info",
        lambda r: r.ft.info("idx:infoj"),
        [
            (
                "FT.CREATE",
                "idx:infoj",
                "ON",
                "JSON",
                "PREFIX",
                "1",
                "infoj:",
                "FILTER",
                "@n > 0",
                "SCHEMA",
                "$.t",
                "AS",
                "t",
                "TEXT",
                "NOSTEM",
                "WEIGHT",
                "2",
                "$.g",
                "AS",
                "g",
                "TAG",
                "SEPARATOR",
                ";",
                "CASESENSITIVE",
                "$.v",
                "AS",
                "v",
                "VECTOR",
                "FLAT",
                "6",
                "TYPE",
                "FLOAT32",
                "DIM",
                "2",
                "DISTANCE_METRIC",
                "L2",
                "$.n",
                "AS",
                "n",
                "NUMERIC",
                "SORTABLE",
                "UNF",
            ),
        ],
        variant="json",
    ),
    E("ft.list_indexes", lambda r: r.ft.list_indexes(), _index("list")),
    E("ft.mget", lambda r: r.ft.mget("idx:mg", "mg:1", "mg:9"), _index("mg")),
    E(
        "ft.profile",
        lambda r: r.ft.profile("idx:pr", "SEARCH", "hello", arguments=["LIMIT", "0", "1"]),
        _index("pr"),
    ),
    E(
        "ft.profile",
        lambda r: r.ft.profile("idx:pr", "AGGREGATE", "@title:hello", limited=True),
        _index("pr"),
        variant="aggregate",
    ),
    E(
        "ft.safeadd",
        lambda r: r.ft.safeadd("idx:sa", "sa:9", 0.5, {"title": "safe"}, replace=True),
        _index("sa"),
    ),
    E("ft.search", lambda r: _search(r), _index("s")),
    E("ft.search", lambda r: _search(r, nocontent=True), _index("s"), variant="nocontent"),
    E(
        "ft.search",
        lambda r: _search(r, withscores=True, withpayloads=True, withsortkeys=True, sortby="n"),
        _index("s"),
        variant="with-everything",
    ),
    E(
        "ft.search",
        lambda r: _search(r, nocontent=True, withscores=True, explainscore=True),
        _index("s"),
        variant="explainscore",
    ),
    E(
        "ft.search",
        lambda r: _search(r, return_fields=["title", "n"], sortby="n", order="DESC", limit=(0, 1)),
        _index("s"),
        variant="return",
    ),
    E("ft.search", lambda r: _search(r, return_fields=[]), _index("s"), variant="return-none"),
    E(
        "ft.search",
        lambda r: r.ft.search(
            "idx:s",
            "@n:[$low +inf] @tag:{a|b}",
            params={"low": 3},
            dialect=2,
            filter=[("n", "(4", "+inf")],
            in_fields=["title"],
            in_keys=["s:1", "s:2"],
            summarize=FtSearchSummarize(fields=["body"], frags=1, len=5),
            highlight=FtSearchHighlight(fields=["title"], tags=("<b>", "</b>")),
            verbatim=True,
            nostopwords=True,
            slop=1,
            timeout=1000,
            inorder=True,
            language="english",
            scorer="BM25",
        ),
        _index("s"),
        variant="options",
    ),
    E(
        "ft.search",
        lambda r: r.ft.search(
            "idx:s", "@loc:[2 48 100 km]", geo_filter=[("loc", 2.3, 48.8, 50, "km")]
        ),
        [*_index("s"), ("HSET", "s:3", "title", "paris", "loc", "2.35,48.85")],
        variant="geo",
    ),
    E("ft.search", lambda r: r.ft.search("idx:s", "nothing"), _index("s"), variant="empty"),
    E("ft.spellcheck", lambda r: r.ft.spellcheck("idx:sp", "helo wrld", distance=1), _index("sp")),
    E(
        "ft.spellcheck",
        lambda r: r.ft.spellcheck(
            "idx:sp", "wrld", terms=[FtSpellcheckTerms(inclusion="INCLUDE", dictionary="dict:sp")]
        ),
        [*_index("sp"), ("FT.DICTADD", "dict:sp", "world2")],
        variant="terms",
    ),
    E("ft.sugadd", lambda r: r.ft.sugadd("sug:add", "hello", 1.0, incr=True, payload="p")),
    E(
        "ft.sugdel",
        lambda r: r.ft.sugdel("sug:del", "hello"),
        [("FT.SUGADD", "sug:del", "hello", "1")],
    ),
    E(
        "ft.sugget",
        lambda r: r.ft.sugget("sug:get", "he"),
        [("FT.SUGADD", "sug:get", "hello", "1")],
    ),
    E(
        "ft.sugget",
        lambda r: r.ft.sugget("sug:get", "he", withscores=True, fuzzy=True, max=3),
        [("FT.SUGADD", "sug:get", "hello", "1")],
        variant="withscores",
    ),
    E(
        "ft.sugget",
        lambda r: r.ft.sugget("sug:get", "he", withpayloads=True),
        [("FT.SUGADD", "sug:get", "hello", "1", "PAYLOAD", "pl")],
        variant="withpayloads",
    ),
    E(
        "ft.sugget",
        lambda r: r.ft.sugget("sug:get", "he", withscores=True, withpayloads=True),
        [
            ("FT.SUGADD", "sug:get", "hello", "1"),
            ("FT.SUGADD", "sug:get", "help", "2", "PAYLOAD", "x"),
        ],
        variant="both",
    ),
    E("ft.suglen", lambda r: r.ft.suglen("sug:len"), [("FT.SUGADD", "sug:len", "hello", "1")]),
    E(
        "ft.syndump",
        lambda r: r.ft.syndump("idx:syn"),
        [*_index("syn"), ("FT.SYNUPDATE", "idx:syn", "g1", "hello", "hi")],
    ),
    E("ft.synupdate", lambda r: r.ft.synupdate("idx:syn", "g1", "hello", "hi"), _index("syn")),
    E("ft.tagvals", lambda r: r.ft.tagvals("idx:tag", "tag"), _index("tag")),
]
