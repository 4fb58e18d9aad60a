"""Conformance entries for the ``cluster`` group.

Read-only commands run on a primary of the shared cluster; commands that change the slot map
or the node's configuration run on a disposable, cluster-enabled node started for each run.
"""

from __future__ import annotations

from .._entry import Entry, Recorder

E = Entry


async def _myid(r: Recorder) -> None:
    myid = await r.raw("CLUSTER", "MYID")
    r.context["myid"] = myid.decode() if isinstance(myid, bytes) else myid


ENTRIES = [
    E("asking", lambda r: r.asking(), server="cluster"),
    E(
        "cluster_count_failure_reports",
        lambda r: r.cluster_count_failure_reports(r.context["myid"]),
        server="cluster",
        prepare=_myid,
    ),
    E("cluster_countkeysinslot", lambda r: r.cluster_countkeysinslot(7), server="cluster"),
    E("cluster_getkeysinslot", lambda r: r.cluster_getkeysinslot(7, 10), server="cluster"),
    E("cluster_help", lambda r: r.cluster_help(), server="cluster"),
    E("cluster_info", lambda r: r.cluster_info(), server="cluster"),
    E("cluster_keyslot", lambda r: r.cluster_keyslot("somekey"), server="cluster"),
    E("cluster_links", lambda r: r.cluster_links(), server="cluster"),
    E("cluster_myid", lambda r: r.cluster_myid(), server="cluster"),
    E("cluster_myshardid", lambda r: r.cluster_myshardid(), server="cluster"),
    E("cluster_nodes", lambda r: r.cluster_nodes(), server="cluster"),
    E(
        "cluster_replicas",
        lambda r: r.cluster_replicas(r.context["myid"]),
        server="cluster",
        prepare=_myid,
    ),
    E(
        "cluster_slaves",
        lambda r: r.cluster_slaves(r.context["myid"]),
        server="cluster",
        prepare=_myid,
    ),
    E("cluster_shards", lambda r: r.cluster_shards(), server="cluster"),
    E("cluster_slots", lambda r: r.cluster_slots(), server="cluster"),
    E("cluster_addslots", lambda r: r.cluster_addslots(1, 2, 3), server="cluster_factory"),
    E(
        "cluster_addslotsrange",
        lambda r: r.cluster_addslotsrange([(1, 5), (10, 12)]),
        server="cluster_factory",
    ),
    E("cluster_bumpepoch", lambda r: r.cluster_bumpepoch(), server="cluster_factory"),
    E(
        "cluster_delslots",
        lambda r: r.cluster_delslots(1, 2),
        [("CLUSTER", "ADDSLOTS", "1", "2")],
        server="cluster_factory",
    ),
    E(
        "cluster_delslotsrange",
        lambda r: r.cluster_delslotsrange([(1, 5)]),
        [("CLUSTER", "ADDSLOTSRANGE", "1", "5")],
        server="cluster_factory",
    ),
    E(
        "cluster_flushslots",
        lambda r: r.cluster_flushslots(),
        [("CLUSTER", "ADDSLOTS", "1")],
        server="cluster_factory",
    ),
    E(
        "cluster_meet",
        lambda r: r.cluster_meet("127.0.0.1", r.context["peer_port"]),
        server="cluster_factory",
    ),
    E("cluster_reset", lambda r: r.cluster_reset(reset_type="SOFT"), server="cluster_factory"),
    E("cluster_saveconfig", lambda r: r.cluster_saveconfig(), server="cluster_factory"),
    E(
        "cluster_set_config_epoch",
        lambda r: r.cluster_set_config_epoch(5),
        server="cluster_factory",
    ),
    E(
        "cluster_setslot",
        lambda r: r.cluster_setslot(9, node=r.context["myid"]),
        [("CLUSTER", "ADDSLOTS", "9")],
        server="cluster_factory",
        prepare=_myid,
    ),
    E(
        "cluster_setslot",
        lambda r: r.cluster_setslot(9, stable=True),
        server="cluster_factory",
        variant="stable",
    ),
]
