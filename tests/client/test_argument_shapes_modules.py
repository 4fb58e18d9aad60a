"""Module commands check structured and "one or more" arguments before sending.

The same rules as the core commands (``test_argument_shapes``): a tuple of the wrong length, a
value where a block's dataclass goes and an empty collection the command requires raise
``TypeError``/``ValueError`` naming the command and the parameter, and nothing is sent.
"""

from __future__ import annotations

import pytest

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo
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
