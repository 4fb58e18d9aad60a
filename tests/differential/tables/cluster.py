"""redis-py calls for the read-only conformance entries of the ``cluster`` group.

They run on a primary of the shared cluster, through redis-py's plain client (``cluster()``
sends ``CLUSTER <subcommand>`` and applies redis-py's callbacks), as the conformance entries
run through redis-oxide's plain client.
"""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import cluster

from .._case import cases

_DISPOSABLE = "changes the slot map or the node; runs on a disposable node in conformance only"


EXTRA = [
    (
        E(
            "cluster_keyslot",
            lambda r: r.cluster_keyslot("{user1000}.following"),
            server="cluster",
            variant="hashtag",
        ),
        lambda p: p.cluster("KEYSLOT", "{user1000}.following"),
    ),
    (
        E(
            "cluster_countkeysinslot",
            lambda r: r.cluster_countkeysinslot(16000),
            server="cluster",
            variant="other",
        ),
        lambda p: p.cluster("COUNTKEYSINSLOT", 16000),
    ),
]

CASES = cases(
    cluster.ENTRIES,
    {
        "asking": lambda p: p.execute_command("ASKING"),
        "cluster_count_failure_reports": lambda p: p.cluster(
            "COUNT-FAILURE-REPORTS", p.context["myid"]
        ),
        "cluster_countkeysinslot": lambda p: p.cluster("COUNTKEYSINSLOT", 7),
        "cluster_getkeysinslot": lambda p: p.cluster("GETKEYSINSLOT", 7, 10),
        "cluster_help": lambda p: p.cluster("HELP"),
        "cluster_info": lambda p: p.cluster("INFO"),
        "cluster_keyslot": lambda p: p.cluster("KEYSLOT", "somekey"),
        "cluster_links": lambda p: p.cluster("LINKS"),
        "cluster_myid": lambda p: p.cluster("MYID"),
        "cluster_myshardid": lambda p: p.cluster("MYSHARDID"),
        "cluster_nodes": lambda p: p.cluster("NODES"),
        "cluster_replicas": lambda p: p.cluster("REPLICAS", p.context["myid"]),
        "cluster_slaves": lambda p: p.cluster("SLAVES", p.context["myid"]),
        "cluster_shards": lambda p: p.cluster("SHARDS"),
        "cluster_slots": lambda p: p.cluster("SLOTS"),
    },
    {entry.id: _DISPOSABLE for entry in cluster.ENTRIES if entry.server == "cluster_factory"},
    extra=EXTRA,
)
