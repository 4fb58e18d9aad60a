"""redis-py calls for the conformance entries of the ``scripting`` and ``pubsub`` groups."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import scripting_pubsub
from tests.conformance.tables.scripting_pubsub import _LIBRARY, _SCRIPT

from .._case import cases

_NESTED = "return {1, 'two', {3, {false, 'x'}}, redis.status_reply('fine'), 4.7}"
_MAP = "redis.setresp(3); return redis.call('HGETALL', KEYS[1])"
_DOUBLE = "redis.setresp(3); return redis.call('ZSCORE', KEYS[1], 'a')"
_SETS = "redis.setresp(3); return redis.call('SMEMBERS', KEYS[1])"
_TRUE = "return true"

EXTRA = [
    (E("eval", lambda r: r.eval(_NESTED), variant="nested"), lambda p: p.eval(_NESTED, 0)),
    (E("eval", lambda r: r.eval(_TRUE), variant="true"), lambda p: p.eval(_TRUE, 0)),
    (
        E(
            "eval",
            lambda r: r.eval(_MAP, key=["eval:h"]),
            [("HSET", "eval:h", "f", "v")],
            variant="resp3-map",
        ),
        lambda p: p.eval(_MAP, 1, "eval:h"),
    ),
    (
        E(
            "eval",
            lambda r: r.eval(_DOUBLE, key=["eval:z"]),
            [("ZADD", "eval:z", "2.5", "a")],
            variant="resp3-double",
        ),
        lambda p: p.eval(_DOUBLE, 1, "eval:z"),
    ),
    (
        E(
            "eval_ro",
            lambda r: r.eval_ro(_SETS, key=["eval:s"]),
            [("SADD", "eval:s", "a")],
            variant="resp3-set",
        ),
        lambda p: p.eval_ro(_SETS, 1, "eval:s"),
    ),
    (E("function_list", lambda r: r.function_list(), variant="none"), lambda p: p.function_list()),
    (
        E("script_exists", lambda r: r.script_exists("0" * 40), variant="missing"),
        lambda p: p.script_exists("0" * 40),
    ),
    (
        E("pubsub_channels", lambda r: r.pubsub_channels(), variant="all"),
        lambda p: p.pubsub_channels(),
    ),
    (E("pubsub_numsub", lambda r: r.pubsub_numsub(), variant="none"), lambda p: p.pubsub_numsub()),
    (
        E(
            "pubsub_shardnumsub",
            lambda r: r.pubsub_shardnumsub(shardchannel=["a", "b"]),
            variant="two",
        ),
        lambda p: p.pubsub_shardnumsub("a", "b"),
    ),
]

CASES = cases(
    scripting_pubsub.ENTRIES,
    {
        "eval": lambda p: p.eval(_SCRIPT, 1, "eval:k", "a"),
        "eval_ro": lambda p: p.eval_ro("return redis.call('GET', KEYS[1])", 1, "evalro:k"),
        "evalsha": lambda p: p.evalsha(p.context["sha"], 1, "evalsha:k", 1),
        "evalsha_ro": lambda p: p.evalsha_ro(p.context["sha"], 1, "evalsharo:k", 1),
        "fcall": lambda p: p.fcall("oxecho", 1, "fcall:k", "a"),
        "fcall_ro": lambda p: p.fcall_ro("oxro", 1, "fcallro:k"),
        "function_delete": lambda p: p.function_delete("oxlib"),
        "function_dump": lambda p: p.function_dump(),
        "function_flush": lambda p: p.function_flush("SYNC"),
        "function_help": lambda p: p.execute_command("FUNCTION HELP"),
        "function_list": lambda p: p.function_list(),
        "function_list-withcode": lambda p: p.function_list("ox*", withcode=True),
        "function_load": lambda p: p.function_load(_LIBRARY, replace=True),
        "function_restore": lambda p: p.function_restore(p.context["dump"], "REPLACE"),
        "function_stats": lambda p: p.function_stats(),
        "script_exists": lambda p: p.script_exists(p.context["sha"], "0" * 40),
        "script_flush": lambda p: p.script_flush("SYNC"),
        "script_help": lambda p: p.execute_command("SCRIPT HELP"),
        "script_load": lambda p: p.script_load("return 1"),
        "publish": lambda p: p.publish("publish:ch", "hello"),
        "pubsub_channels": lambda p: p.pubsub_channels("pubsub-none:*"),
        "pubsub_help": lambda p: p.execute_command("PUBSUB HELP"),
        "pubsub_numpat": lambda p: p.pubsub_numpat(),
        "pubsub_numsub": lambda p: p.pubsub_numsub("numsub:a", "numsub:b"),
        "pubsub_shardchannels": lambda p: p.pubsub_shardchannels("pubsub-none:*"),
        "pubsub_shardnumsub": lambda p: p.pubsub_shardnumsub("shardnumsub:a"),
        "spublish": lambda p: p.spublish("spublish:ch", "hello"),
    },
    {"script_debug": "redis-py refuses SCRIPT DEBUG (NotImplementedError) by design"},
    extra=EXTRA,
)
