"""The cluster topology: slot map, routing, fan-out, redirects (see ``_executor``)."""

from redis_oxide._cluster._executor import ClusterCounters, ClusterExecutor
from redis_oxide._cluster._nodes import ExecutorFactory, NodeConnector
from redis_oxide._cluster._replies import combines
from redis_oxide._cluster._slots import ClusterMember, SlotMap
from redis_oxide._cluster._topology import ReadFrom

__all__ = [
    "ClusterCounters",
    "ClusterExecutor",
    "ClusterMember",
    "ExecutorFactory",
    "NodeConnector",
    "ReadFrom",
    "SlotMap",
    "combines",
]
