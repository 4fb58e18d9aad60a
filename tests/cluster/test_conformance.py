"""The conformance table against the six-node cluster, through ``RedisCluster``.

Every entry the shared standalone server runs is run again on the cluster (RESP2 and RESP3,
bytes and decoded): the reply must have the type the method declares, exactly as on a single
server, and RESP2 and RESP3 must agree. Keys spread over every shard (the entries' own keys,
unchanged). The entries a cluster cannot run are listed with the reason, and a test keeps
that list honest: each of them really fails on a cluster.
"""

from __future__ import annotations

from typing import Any

import pytest

from redis_oxide._generated._meta import COMMANDS
from redis_oxide.testing import ClusterInfo
from tests.conformance._entry import Entry
from tests.conformance._runner import command_of, run_entry, run_in_new_loop
from tests.conformance.tables import ENTRIES

pytestmark = pytest.mark.timeout(60)

#: Entries of the shared-server table a cluster cannot run, and why.
NOT_ON_A_CLUSTER: dict[str, str] = {
    "copy-db": "a cluster has database 0 only (COPY ... DB 1: ERR DB index is out of range)",
    "move": "MOVE is not allowed in cluster mode",
    "swapdb": "SWAPDB is not allowed in cluster mode",
    "sort": "SORT ... BY/GET patterns are refused in cluster mode (their keys may be anywhere)",
}

#: Entries that name something of one node (a connection id) while their command goes to any
#: primary: they pass only when the random choice meets that node.
NODE_BOUND: dict[str, str] = {
    "client_kill": "CLIENT KILL ID names a connection of the startup node; it goes to any primary",
}

#: Module commands that see one node's data only on an OSS cluster (no search coordinator): an
#: index lives on the node serving the slot of its name and indexes that node's documents
#: only, while the entries' documents spread over every shard; a label query (keyless, any
#: primary) sees that node's series. They are run per node with ``cluster.on(node)``, or with
#: documents that share the index name's hash tag; here they would pass only when the
#: entries' keys happen to meet.
NODE_LOCAL_MODULES = frozenset({"search"})
NODE_LOCAL_COMMANDS = frozenset({"TS.MGET", "TS.MRANGE", "TS.MREVRANGE", "TS.QUERYINDEX"})


def _node_local(entry: Entry) -> bool:
    meta = COMMANDS[command_of(entry.method)]
    return meta.module in NODE_LOCAL_MODULES or meta.name in NODE_LOCAL_COMMANDS


#: Replies that depend on which node answers: a keyless command without a policy goes to any
#: primary, and nodes order such replies their own way (hash table order) or report their own
#: state; the RESP2 and RESP3 runs may meet different nodes, so they are compared by shape.
CLUSTER_VARYING: dict[str, str] = {
    "ACL CAT": "each node's order of the category's commands",
    "COMMAND LIST": "each node's order of its commands",
    "FUNCTION LIST": "each node's order of a library's functions",
    "MODULE LIST": "each node's order of its modules",
    "ROLE": "the node's own replication offset and replica",
    "MEMORY DOCTOR": "three nodes' reports, each on its own memory history (peaks, RSS)",
    "LATENCY DOCTOR": "three nodes' reports, each on its own latency history",
}


def _entries(runnable: bool) -> list[Any]:
    return [
        pytest.param(e, id=e.id)
        for e in ENTRIES
        if e.server == "stack"
        and e.id not in NODE_BOUND
        and not _node_local(e)
        and (e.id not in NOT_ON_A_CLUSTER) == runnable
    ]


@pytest.mark.parametrize("entry", _entries(True))
def test_reply_conforms_on_the_cluster(entry: Entry, redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]

    async def endpoint() -> tuple[str, int]:
        return seed.host, seed.port

    run = run_entry(entry, endpoint, flush=True, context={}, cluster=True, varying=CLUSTER_VARYING)
    problems = run_in_new_loop(run)
    if problems:
        pytest.fail(f"{entry.id}:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.mark.parametrize("entry", _entries(False))
def test_what_a_cluster_cannot_run_fails_there(entry: Entry, redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]

    async def endpoint() -> tuple[str, int]:
        return seed.host, seed.port

    run = run_entry(entry, endpoint, flush=True, context={}, cluster=True)
    assert run_in_new_loop(run) != [], f"{entry.id} runs on a cluster: take it off the list"
