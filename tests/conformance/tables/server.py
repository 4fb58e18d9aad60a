"""Conformance entries for the ``server`` group.

Entries that change server-wide state (persistence, replication, modules, ACL files, latency
events, statistics) run on a disposable server started for each run, never on the shared one.
"""

from __future__ import annotations

import asyncio

from .._entry import Entry, Recorder

E = Entry
_TMP_USER = ("ACL", "SETUSER", "oxide-tmp", "on", ">pw", "~k:*", "+get")
_DROP_USER = ("ACL", "DELUSER", "oxide-tmp")
_LATENCY = [("CONFIG", "SET", "latency-monitor-threshold", "1"), ("DEBUG", "SLEEP", "0.005")]


async def _persistence_idle(r: Recorder) -> None:
    """Wait until no background save or rewrite runs, so the next one may start."""
    for _ in range(200):
        info = await r.raw("INFO", "persistence")
        text = info.decode() if isinstance(info, bytes) else info
        if "rdb_bgsave_in_progress:0" in text and "aof_rewrite_in_progress:0" in text:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("a background save did not finish within 2 s")


ENTRIES = [
    E("acl_cat", lambda r: r.acl_cat()),
    E("acl_cat", lambda r: r.acl_cat(category="string"), variant="category"),
    E("acl_deluser", lambda r: r.acl_deluser("oxide-tmp", "oxide-none"), [_TMP_USER]),
    E(
        "acl_dryrun",
        lambda r: r.acl_dryrun("oxide-tmp", "GET", arg=["k:1"]),
        [_TMP_USER],
        cleanup=[_DROP_USER],
    ),
    E("acl_genpass", lambda r: r.acl_genpass(bits=64)),
    E("acl_getuser", lambda r: r.acl_getuser("oxide-tmp"), [_TMP_USER], cleanup=[_DROP_USER]),
    E("acl_getuser", lambda r: r.acl_getuser("oxide-none"), variant="missing"),
    E("acl_help", lambda r: r.acl_help()),
    E("acl_list", lambda r: r.acl_list()),
    E(
        "acl_load",
        lambda r: r.acl_load(),
        server="factory",
        extra_config=(("aclfile", "{aclfile}"),),
    ),
    E("acl_log", lambda r: r.acl_log(count=5)),
    E("acl_log", lambda r: r.acl_log(reset=True), variant="reset"),
    E(
        "acl_save",
        lambda r: r.acl_save(),
        server="factory",
        extra_config=(("aclfile", "{aclfile}"),),
    ),
    E(
        "acl_setuser",
        lambda r: r.acl_setuser("oxide-tmp", rule=["on", "~x:*", "+get"]),
        cleanup=[_DROP_USER],
    ),
    E("acl_users", lambda r: r.acl_users()),
    E("acl_whoami", lambda r: r.acl_whoami()),
    E("bgrewriteaof", lambda r: r.bgrewriteaof(), server="factory", prepare=_persistence_idle),
    E("bgsave", lambda r: r.bgsave(), server="factory", prepare=_persistence_idle),
    E("command_count", lambda r: r.command_count()),
    E("command_docs", lambda r: r.command_docs(command_name=["GET", "CLIENT|KILL"])),
    E("command_getkeys", lambda r: r.command_getkeys("MSET", arg=["a", "1", "b", "2"])),
    E(
        "command_getkeysandflags",
        lambda r: r.command_getkeysandflags("LMOVE", arg=["a", "b", "LEFT", "RIGHT"]),
    ),
    E("command_help", lambda r: r.command_help()),
    E("command_info", lambda r: r.command_info(command_name=["GET", "nosuchcommand"])),
    E("command_list", lambda r: r.command_list(pattern="xa*")),
    E("config_get", lambda r: r.config_get("maxmemory", "appendonly")),
    E("config_help", lambda r: r.config_help()),
    E("config_resetstat", lambda r: r.config_resetstat(), server="factory"),
    E("config_rewrite", lambda r: r.config_rewrite(), server="factory"),
    E("config_set", lambda r: r.config_set({"maxmemory-policy": "noeviction"})),
    E("dbsize", lambda r: r.dbsize(), [("SET", "dbsize:k", "v")]),
    E("flushall", lambda r: r.flushall(flush_type="SYNC")),
    E("flushdb", lambda r: r.flushdb()),
    E("info", lambda r: r.info(section=["keyspace"])),
    E("lastsave", lambda r: r.lastsave()),
    E("latency_doctor", lambda r: r.latency_doctor(), _LATENCY, server="factory"),
    E("latency_graph", lambda r: r.latency_graph("command"), _LATENCY, server="factory"),
    E("latency_help", lambda r: r.latency_help()),
    E("latency_histogram", lambda r: r.latency_histogram(command=["set", "get"])),
    E("latency_history", lambda r: r.latency_history("command"), _LATENCY, server="factory"),
    E("latency_latest", lambda r: r.latency_latest(), _LATENCY, server="factory"),
    E("latency_reset", lambda r: r.latency_reset(event=["command"]), _LATENCY, server="factory"),
    E("lolwut", lambda r: r.lolwut(version=5)),
    E("memory_doctor", lambda r: r.memory_doctor()),
    E("memory_help", lambda r: r.memory_help()),
    E("memory_malloc_stats", lambda r: r.memory_malloc_stats()),
    E("memory_purge", lambda r: r.memory_purge()),
    E("memory_stats", lambda r: r.memory_stats()),
    E(
        "memory_usage",
        lambda r: r.memory_usage("memusage:k", samples=0),
        [("SET", "memusage:k", "v")],
    ),
    E("memory_usage", lambda r: r.memory_usage("memusage:missing"), variant="missing"),
    E("module_help", lambda r: r.module_help()),
    E("module_list", lambda r: r.module_list()),
    E(
        "module_load",
        lambda r: r.module_load(r.context["module_path"]),
        server="factory",
        extra_config=(("enable-module-command", "yes"),),
    ),
    E(
        "module_loadex",
        lambda r: r.module_loadex(r.context["module_path"]),
        server="factory",
        extra_config=(("enable-module-command", "yes"),),
    ),
    E("replicaof", lambda r: r.replicaof(no_one=True), server="factory"),
    E(
        "restore_asking",
        lambda r: r.restore_asking("restoreask:dst", 0, r.context["payload"], replace=True),
        [("SET", "restoreask:src", "v")],
        prepare=lambda r: _dump(r, "restoreask:src"),
        binary=True,
    ),
    E("role", lambda r: r.role()),
    E("save", lambda r: r.save(), server="factory", prepare=_persistence_idle),
    E("slaveof", lambda r: r.slaveof(no_one=True), server="factory"),
    E("slowlog_get", lambda r: r.slowlog_get(count=2)),
    E("slowlog_help", lambda r: r.slowlog_help()),
    E("slowlog_len", lambda r: r.slowlog_len()),
    E("slowlog_reset", lambda r: r.slowlog_reset()),
    E("swapdb", lambda r: r.swapdb(1, 2)),
    E("time", lambda r: r.time()),
]


async def _dump(r: Recorder, key: str) -> None:
    r.context["payload"] = await r.raw("DUMP", key)
