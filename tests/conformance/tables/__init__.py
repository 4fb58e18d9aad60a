"""Every conformance entry, the commands that cannot run in a test, and the replies that vary.

Rules:

- ``ENTRIES`` holds at least one entry per generated method that can run; ``CANNOT_RUN``
  holds each one that cannot, with the reason. A method in neither fails the coverage test.
- ``VARYING`` lists the commands whose replies legitimately differ between two runs (clocks,
  ids, counters, random choices, the connection's own protocol); for those RESP2 and RESP3
  are compared by shape (the types, recursively), not by value.
"""

from __future__ import annotations

from .._entry import Entry
from . import (
    bitmap_hll,
    cluster,
    connection,
    generic,
    geo,
    hashes,
    lists,
    module_bloom,
    module_json,
    module_search,
    module_timeseries,
    scripting_pubsub,
    server,
    sets,
    sorted_set,
    stream,
    strings,
)

__all__ = ["CANNOT_RUN", "ENTRIES", "VARYING"]

ENTRIES: tuple[Entry, ...] = tuple(
    entry
    for module in (
        bitmap_hll,
        cluster,
        connection,
        generic,
        geo,
        hashes,
        lists,
        module_bloom,
        module_json,
        module_search,
        module_timeseries,
        scripting_pubsub,
        server,
        sets,
        sorted_set,
        stream,
        strings,
    )
    for entry in module.ENTRIES
)

#: Generated methods no test may call, and why.
CANNOT_RUN: dict[str, str] = {
    "shutdown": "stops the server; the reply is the closed connection, not a value",
    "failover": "needs a replica to hand over to and leaves the server a replica",
    "cluster_failover": "promotes a replica of the shared cluster (and refuses on a primary)",
    "cluster_forget": "needs a second node that stays known for the call to succeed; the "
    "handshake with a new node completes asynchronously and would make the test timing-bound",
    "cluster_replicate": "turns the node into a replica of a live primary of another cluster",
    "script_kill": "needs a script busy past busy-reply-threshold on another connection; "
    "replies with NOTBUSY otherwise",
    "function_kill": "needs a function busy past busy-reply-threshold on another connection; "
    "replies with NOTBUSY otherwise",
    "module_unload": "every Stack module registers data types, and Redis refuses to unload those",
    "debug": "the method sends a bare DEBUG, which the server rejects; its subcommands "
    "(SLEEP, SEGFAULT, RELOAD) are test-infrastructure tools, not client API",
}

#: Commands whose reply differs between runs, compared by shape only, and why.
VARYING: dict[str, str] = {
    "TIME": "the server clock",
    "LASTSAVE": "a timestamp",
    "CLIENT ID": "each connection has its own id",
    "CLIENT INFO": "the connection's id, address, age and resp=2/resp=3",
    "CLIENT LIST": "ids, addresses, ages and resp= of the current connections",
    "INFO": "counters and uptime",
    "ACL GENPASS": "random",
    "ACL LOG": "entries carry ages and client descriptions",
    "LOLWUT": "a random drawing",
    "MEMORY STATS": "allocator figures",
    "MEMORY MALLOC-STATS": "allocator figures",
    "MEMORY USAGE": "allocator figures",
    "MEMORY DOCTOR": "its advice follows the allocator's live fragmentation",
    "LATENCY HISTOGRAM": "counts of commands run so far",
    "LATENCY LATEST": "event timestamps and durations",
    "LATENCY HISTORY": "event timestamps and durations",
    "LATENCY GRAPH": "drawn from event timestamps",
    "LATENCY DOCTOR": "reports measured event durations",
    "SLOWLOG GET": "entries carry ids, timestamps, durations and client addresses",
    "SLOWLOG LEN": "counts commands slowed by the earlier runs",
    "OBJECT IDLETIME": "the clock",
    "OBJECT FREQ": "the LFU counter decays with time",
    "CLUSTER INFO": "message counters",
    "CLUSTER LINKS": "link ages and buffer sizes",
    "CLUSTER NODES": "ping/pong timestamps",
    "CLUSTER REPLICAS": "ping/pong timestamps",
    "CLUSTER SLAVES": "ping/pong timestamps",
    "CLUSTER SHARDS": "replication offsets",
    "XINFO CONSUMERS": "idle times",
    "XINFO STREAM": "the FULL form carries delivery times",
    "XPENDING": "the extended form carries idle times",
    "FUNCTION STATS": "running-script and engine counters",
    "SRANDMEMBER": "random choice",
    "SPOP": "random choice",
    "FT.INFO": "indexing time and the number of uses grow with each run",
    "FT.PROFILE": "timings",
}
