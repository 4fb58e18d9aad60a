"""redis-oxide: a fully typed asyncio Redis client.

The command surface is generated from Redis's command spec; the runtime underneath is small and
handwritten. Everything users need is importable from here or from one of the public submodules:
``redis_oxide.types`` (every type a public signature names), ``redis_oxide.exceptions`` (the
error tree) and ``redis_oxide.testing`` (the pytest plugin with real-server fixtures).
"""

import redis_oxide._generated._models as _models
from redis_oxide import exceptions, types
from redis_oxide._client import Redis, from_url
from redis_oxide._client_cluster import RedisCluster
from redis_oxide._client_cluster_view import ClusterStats, ClusterView
from redis_oxide._cluster import ClusterMember
from redis_oxide._generated._models import *  # noqa: F403  (reply models: see __all__ below)
from redis_oxide._pipeline import Pipeline, PipelineResult
from redis_oxide._pool import PoolStats
from redis_oxide._retry import Retry
from redis_oxide._scripting import Library, Script, ScriptRunner
from redis_oxide._transaction import Transaction, TransactionState, WatchBlock

__version__ = "0.1.0"

__all__ = [
    "ClusterMember",
    "ClusterStats",
    "ClusterView",
    "Library",
    "Pipeline",
    "PipelineResult",
    "PoolStats",
    "Redis",
    "RedisCluster",
    "Retry",
    "Script",
    "ScriptRunner",
    "Transaction",
    "TransactionState",
    "WatchBlock",
    "__version__",
    "exceptions",
    "from_url",
    "types",
]
__all__ += _models.__all__

for _public in (
    ClusterMember,
    ClusterStats,
    ClusterView,
    Library,
    Pipeline,
    PipelineResult,
    PoolStats,
    Redis,
    RedisCluster,
    Retry,
    Script,
    ScriptRunner,
    Transaction,
    TransactionState,
    WatchBlock,
):
    _public.__module__ = "redis_oxide"
from_url.__module__ = "redis_oxide"
del _public
