"""RediSearch replies holding nulls: documents whose key is gone, null row and field values.

A document stays in an index until its key's deletion reaches RediSearch; a search in between
gets a null in place of its fields (RESP2 a nil, RESP3 ``extra_attributes: null``). With active
expiry off, an expired key is exactly that: indexed, but gone when the search loads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest

from redis_oxide._client import Redis
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.types import (
    FtAggregateGroupby,
    FtAggregateGroupbyReduce,
    FtAggregateSortby,
    FtCreateField,
    FtCreateFieldSortable,
    FtCreateNumeric,
    FtCreateTag,
    FtCreateText,
)

pytestmark = pytest.mark.timeout(60)

PROTOCOLS: tuple[Literal[2, 3], ...] = (2, 3)

#: Every option that changes the layout of a RESP2 FT.SEARCH document.
LAYOUTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "nocontent": {"nocontent": True},
    "withscores": {"withscores": True},
    "withpayloads": {"withpayloads": True},
    "withsortkeys": {"withsortkeys": True, "sortby": "n"},
    "return_0": {"return_fields": []},
    "return_1": {"return_fields": ["title"]},
    "all": {"withscores": True, "withpayloads": True, "withsortkeys": True, "sortby": "n"},
    "all_nocontent": {
        "nocontent": True,
        "withscores": True,
        "withpayloads": True,
        "withsortkeys": True,
        "sortby": "n",
    },
    "explainscore": {"withscores": True, "explainscore": True},
}


def client(server: RedisServerInfo, protocol: Literal[2, 3], decode: bool) -> Redis[Any]:
    return Redis(server.host, server.port, protocol=protocol, decode_responses=decode)


@pytest.fixture
async def expired_document(flushed_stack: RedisServerInfo) -> AsyncIterator[RedisServerInfo]:
    """Index ``e:0`` .. ``e:3``, then let ``e:1`` expire where only a read would notice."""
    async with Redis(flushed_stack.host, flushed_stack.port) as r:
        await r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        try:
            await r.ft.create(
                "idx",
                [
                    FtCreateField(field_name="title", field_type=FtCreateText()),
                    FtCreateField(
                        field_name="n",
                        field_type=FtCreateNumeric(),
                        sortable=FtCreateFieldSortable(),
                    ),
                ],
                prefix=["e:"],
                payload_attribute="pl",
            )
            for i in range(4):
                await r.hset(f"e:{i}", {"title": "hello", "n": i, "pl": f"p{i}"})
            await r.pexpire("e:1", 1)
            await asyncio.sleep(0.05)
            yield flushed_stack
        finally:
            await r.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("decode", [False, True])
async def test_search_gives_a_gone_document_no_fields_on_both_protocols(
    expired_document: RedisServerInfo, layout: str, decode: bool
) -> None:
    options = LAYOUTS[layout]
    found = {}
    for protocol in PROTOCOLS:
        async with client(expired_document, protocol, decode) as r:
            found[protocol] = await r.ft.search("idx", "hello", **options)
    assert found[2] == found[3]
    result = found[2]
    assert result.total == 4
    ids = [d.id.decode() if isinstance(d.id, bytes) else d.id for d in result.documents]
    assert sorted(ids) == ["e:0", "e:1", "e:2", "e:3"]
    for name, document in zip(ids, result.documents, strict=True):
        if name == "e:1" or options.get("nocontent") or options.get("return_fields") == []:
            assert document.fields is None
        else:
            assert document.fields is not None
            assert len(document.fields) >= 1
        assert (document.score is not None) == bool(options.get("withscores"))
        assert (document.payload is not None) == bool(options.get("withpayloads"))
        assert (document.sortkey is not None) == bool(options.get("withsortkeys"))


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_search_reads_the_documents_after_a_gone_one(
    expired_document: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with client(expired_document, protocol, True) as r:
        result = await r.ft.search("idx", "hello", sortby="n", withpayloads=True)
    assert [d.id for d in result.documents] == ["e:0", "e:1", "e:2", "e:3"]
    assert [d.payload for d in result.documents] == ["p0", "p1", "p2", "p3"]
    assert [d.fields for d in result.documents] == [
        {"n": "0", "title": "hello"},
        None,
        {"n": "2", "title": "hello"},
        {"n": "3", "title": "hello"},
    ]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_profile_counts_a_gone_document(
    expired_document: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with client(expired_document, protocol, False) as r:
        profiled = await r.ft.profile("idx", "SEARCH", "hello")
    assert profiled.total == 4


@pytest.fixture
async def sparse_index(flushed_stack: RedisServerInfo) -> RedisServerInfo:
    """A hash index where only ``d:2`` has ``opt``, and a JSON index with a null value."""
    async with Redis(flushed_stack.host, flushed_stack.port) as r:
        await r.ft.create(
            "idx",
            [
                FtCreateField(field_name="title", field_type=FtCreateText()),
                FtCreateField(field_name="tags", field_type=FtCreateTag()),
                FtCreateField(field_name="opt", field_type=FtCreateNumeric()),
            ],
            prefix=["d:"],
        )
        await r.hset("d:1", {"title": "a", "tags": "x"})
        await r.hset("d:2", {"title": "b", "tags": "x", "opt": 7})
        await r.hset("d:3", {"title": "c", "tags": "y"})
        await r.ft.create(
            "jidx",
            [FtCreateField(field_name="$.t", alias="t", field_type=FtCreateText())],
            data_type="JSON",
            prefix=["j:"],
        )
        await r.json.set("j:1", "$", {"t": "hello", "n": None})
        for _ in range(100):  # the documents are indexed in the background
            if (await r.ft.search("idx", "*")).total == 3 and (
                await r.ft.search("jidx", "*")
            ).total == 1:
                break
            await asyncio.sleep(0.01)
    return flushed_stack


FIRST_OPT = [
    FtAggregateGroupby(
        property=["@tags"],
        reduce=[FtAggregateGroupbyReduce(function="FIRST_VALUE", arg=["@opt"], name="fo")],
    )
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_aggregate_row_value_may_be_null(
    sparse_index: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with client(sparse_index, protocol, True) as r:
        grouped = await r.ft.aggregate(
            "idx",
            "@tags:{y}",
            groupby=FIRST_OPT,
        )
        loaded = await r.ft.aggregate("jidx", "*", load=["$.n"])
    assert grouped.rows == [{"tags": "y", "fo": None}]
    assert loaded.rows == [{"$.n": None}]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_cursor_read_row_value_may_be_null(
    sparse_index: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with client(sparse_index, protocol, False) as r:
        first, cursor = await r.ft.aggregate(
            "idx",
            "*",
            groupby=FIRST_OPT,
            sortby=FtAggregateSortby(fields=[("@tags", "ASC")]),
            withcursor=True,
            read_size=1,
        )
        rest, _ = await r.ft.cursor_read("idx", cursor)
    rows = first.rows + rest.rows
    assert [row[b"tags"] for row in rows] == [b"x", b"y"]
    assert rows[0][b"fo"] in (None, b"7")  # d:1 or d:2 comes first
    assert rows[1][b"fo"] is None


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_search_field_value_may_be_null(
    sparse_index: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with client(sparse_index, protocol, True) as r:
        result = await r.ft.search("jidx", "*", return_fields=["$.n"])
    assert [d.fields for d in result.documents] == [{"$.n": None}]
