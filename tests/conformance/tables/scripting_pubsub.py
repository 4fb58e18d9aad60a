"""Conformance entries for the ``scripting`` and ``pubsub`` groups."""

from __future__ import annotations

from .._entry import Entry, Recorder

E = Entry

_SCRIPT = "return {KEYS[1], ARGV[1], 7, redis.call('GET', KEYS[1])}"
_LIBRARY = (
    "#!lua name=oxlib\n"
    "redis.register_function('oxecho', function(keys, args) return {keys[1], args[1]} end)\n"
    "redis.register_function{function_name='oxro', callback=function(keys, args) return 1 end,"
    " flags={'no-writes'}}"
)
_LOAD = ("FUNCTION", "LOAD", "REPLACE", _LIBRARY)
_FLUSH = ("FUNCTION", "FLUSH", "SYNC")


async def _sha(r: Recorder) -> None:
    r.context["sha"] = await r.raw("SCRIPT", "LOAD", _SCRIPT)


async def _function_dump(r: Recorder) -> None:
    r.context["dump"] = await r.raw("FUNCTION", "DUMP")


ENTRIES = [
    E("eval", lambda r: r.eval(_SCRIPT, key=["eval:k"], arg=["a"]), [("SET", "eval:k", "v")]),
    E(
        "eval_ro",
        lambda r: r.eval_ro("return redis.call('GET', KEYS[1])", key=["evalro:k"]),
        [("SET", "evalro:k", "v")],
    ),
    E("evalsha", lambda r: r.evalsha(r.context["sha"], key=["evalsha:k"], arg=[1]), prepare=_sha),
    E(
        "evalsha_ro",
        lambda r: r.evalsha_ro(r.context["sha"], key=["evalsharo:k"], arg=[1]),
        prepare=_sha,
    ),
    E("fcall", lambda r: r.fcall("oxecho", key=["fcall:k"], arg=["a"]), [_LOAD], cleanup=[_FLUSH]),
    E("fcall_ro", lambda r: r.fcall_ro("oxro", key=["fcallro:k"]), [_LOAD], cleanup=[_FLUSH]),
    E("function_delete", lambda r: r.function_delete("oxlib"), [_LOAD], cleanup=[_FLUSH]),
    E("function_dump", lambda r: r.function_dump(), [_LOAD], cleanup=[_FLUSH]),
    E("function_flush", lambda r: r.function_flush(flush_type="SYNC"), [_LOAD]),
    E("function_help", lambda r: r.function_help()),
    E("function_list", lambda r: r.function_list(), [_LOAD], cleanup=[_FLUSH]),
    E(
        "function_list",
        lambda r: r.function_list(library_name_pattern="ox*", withcode=True),
        [_LOAD],
        cleanup=[_FLUSH],
        variant="withcode",
    ),
    E("function_load", lambda r: r.function_load(_LIBRARY, replace=True), cleanup=[_FLUSH]),
    E(
        "function_restore",
        lambda r: r.function_restore(r.context["dump"], policy="REPLACE"),
        [_LOAD],
        prepare=_function_dump,
        cleanup=[_FLUSH],
        binary=True,
    ),
    E("function_stats", lambda r: r.function_stats(), [_LOAD], cleanup=[_FLUSH]),
    E("script_debug", lambda r: r.script_debug("NO")),
    E("script_exists", lambda r: r.script_exists(r.context["sha"], "0" * 40), prepare=_sha),
    E("script_flush", lambda r: r.script_flush(flush_type="SYNC")),
    E("script_help", lambda r: r.script_help()),
    E("script_load", lambda r: r.script_load("return 1")),
    E("publish", lambda r: r.publish("publish:ch", "hello")),
    E("pubsub_channels", lambda r: r.pubsub_channels(pattern="pubsub-none:*")),
    E("pubsub_help", lambda r: r.pubsub_help()),
    E("pubsub_numpat", lambda r: r.pubsub_numpat()),
    E("pubsub_numsub", lambda r: r.pubsub_numsub(channel=["numsub:a", "numsub:b"])),
    E("pubsub_shardchannels", lambda r: r.pubsub_shardchannels(pattern="pubsub-none:*")),
    E("pubsub_shardnumsub", lambda r: r.pubsub_shardnumsub(shardchannel=["shardnumsub:a"])),
    E("spublish", lambda r: r.spublish("spublish:ch", "hello")),
]
