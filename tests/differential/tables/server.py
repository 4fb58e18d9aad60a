"""redis-py calls for the conformance entries of the ``server`` group."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import server

from .._case import cases

_DISPOSABLE = "changes server-wide state, so it runs on a disposable server in conformance only"


EXTRA = [
    (
        E(
            "info",
            lambda r: r.info(section=["keyspace"]),
            # No key with a TTL: ``avg_ttl`` is the server's running estimate, set by its
            # expire cycle (10 times a second), so each side would read 0 or ~100,000 by chance.
            [("SET", "info:a", "1"), ("SET", "info:b", "2")],
            variant="keys",
        ),
        lambda p: p.info("keyspace"),
    ),
    (
        E("info", lambda r: r.info(section=["modules"]), variant="modules"),
        lambda p: p.info("modules"),
    ),
    (E("info", lambda r: r.info(), variant="default"), lambda p: p.info()),
    (
        E("info", lambda r: r.info(section=["everything"]), variant="everything"),
        lambda p: p.info("everything"),
    ),
    (
        E("memory_stats", lambda r: r.memory_stats(), [("SET", "memstats:k", "v")], variant="keys"),
        lambda p: p.memory_stats(),
    ),
    (
        E("config_get", lambda r: r.config_get("maxmemory*"), variant="glob"),
        lambda p: p.config_get("maxmemory*"),
    ),
    (
        E(
            "dbsize",
            lambda r: r.dbsize(),
            [("MSET", "dbsize:a", "1", "dbsize:b", "2")],
            variant="keys",
        ),
        lambda p: p.dbsize(),
    ),
    (
        E(
            "command_getkeys",
            lambda r: r.command_getkeys("EVAL", arg=["return 1", "2", "a", "b", "c"]),
            variant="eval",
        ),
        lambda p: p.command_getkeys("EVAL", "return 1", "2", "a", "b", "c"),
    ),
    (E("acl_cat", lambda r: r.acl_cat(category="geo"), variant="geo"), lambda p: p.acl_cat("geo")),
]

CASES = cases(
    server.ENTRIES,
    {
        "acl_cat": lambda p: p.acl_cat(),
        "acl_cat-category": lambda p: p.acl_cat("string"),
        "acl_deluser": lambda p: p.acl_deluser("oxide-tmp", "oxide-none"),
        "acl_dryrun": lambda p: p.acl_dryrun("oxide-tmp", "GET", "k:1"),
        "acl_genpass": lambda p: p.acl_genpass(64),
        "acl_getuser": lambda p: p.acl_getuser("oxide-tmp"),
        "acl_getuser-missing": lambda p: p.acl_getuser("oxide-none"),
        "acl_help": lambda p: p.execute_command("ACL HELP"),
        "acl_list": lambda p: p.acl_list(),
        "acl_log": lambda p: p.acl_log(5),
        "acl_log-reset": lambda p: p.acl_log_reset(),
        "acl_setuser": lambda p: p.acl_setuser(
            "oxide-tmp", enabled=True, keys=["x:*"], commands=["+get"]
        ),
        "acl_users": lambda p: p.acl_users(),
        "acl_whoami": lambda p: p.acl_whoami(),
        "command_count": lambda p: p.command_count(),
        "command_docs": lambda p: p.execute_command("COMMAND DOCS", "GET", "CLIENT|KILL"),
        "command_getkeys": lambda p: p.command_getkeys("MSET", "a", "1", "b", "2"),
        "command_getkeysandflags": lambda p: p.command_getkeysandflags(
            "LMOVE", "a", "b", "LEFT", "RIGHT"
        ),
        "command_help": lambda p: p.execute_command("COMMAND HELP"),
        "command_info": lambda p: p.execute_command("COMMAND INFO", "GET", "nosuchcommand"),
        "command_list": lambda p: p.command_list(pattern="xa*"),
        "config_get": lambda p: p.config_get("maxmemory", "appendonly"),
        "config_help": lambda p: p.execute_command("CONFIG HELP"),
        "config_set": lambda p: p.config_set("maxmemory-policy", "noeviction"),
        "dbsize": lambda p: p.dbsize(),
        "flushall": lambda p: p.flushall(),
        "flushdb": lambda p: p.flushdb(),
        "info": lambda p: p.info("keyspace"),
        "lastsave": lambda p: p.lastsave(),
        "latency_help": lambda p: p.execute_command("LATENCY HELP"),
        "latency_histogram": lambda p: p.execute_command("LATENCY HISTOGRAM", "set", "get"),
        "lolwut": lambda p: p.lolwut(5),
        "memory_doctor": lambda p: p.execute_command("MEMORY DOCTOR"),
        "memory_help": lambda p: p.execute_command("MEMORY HELP"),
        "memory_malloc_stats": lambda p: p.memory_malloc_stats(),
        "memory_purge": lambda p: p.memory_purge(),
        "memory_stats": lambda p: p.memory_stats(),
        "memory_usage": lambda p: p.memory_usage("memusage:k", samples=0),
        "memory_usage-missing": lambda p: p.memory_usage("memusage:missing"),
        "module_help": lambda p: p.execute_command("MODULE HELP"),
        "module_list": lambda p: p.module_list(),
        "restore_asking": lambda p: p.execute_command(
            "RESTORE-ASKING", "restoreask:dst", 0, p.context["payload"], "REPLACE"
        ),
        "role": lambda p: p.role(),
        "slowlog_get": lambda p: p.slowlog_get(2),
        "slowlog_help": lambda p: p.execute_command("SLOWLOG HELP"),
        "slowlog_len": lambda p: p.slowlog_len(),
        "slowlog_reset": lambda p: p.slowlog_reset(),
        "swapdb": lambda p: p.swapdb(1, 2),
        "time": lambda p: p.time(),
    },
    {entry.id: _DISPOSABLE for entry in server.ENTRIES if entry.server == "factory"},
    extra=EXTRA,
)
