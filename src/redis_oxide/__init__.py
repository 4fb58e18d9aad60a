"""redis-oxide: a fully typed asyncio Redis client.

The command surface is generated from Redis's command spec; the runtime underneath is small and
handwritten. Everything users need is importable from here or from one of the public submodules:
``redis_oxide.types`` (every type a public signature names), ``redis_oxide.exceptions`` (the
error tree), ``redis_oxide.streams`` (stream workers) and ``redis_oxide.testing`` (the pytest
plugin with real-server fixtures).

PYTEST_DONT_REWRITE: library code, with no test assertions for pytest to rewrite. (pytest's
plugin autoload marks the whole distribution for assertion rewriting; this marker keeps an
application that imports redis_oxide before ``pytest.main()`` free of the "already imported"
warning.)
"""

import redis_oxide._generated._models as _models
from redis_oxide import exceptions, streams, types
from redis_oxide._cache_cluster import ClusterCache
from redis_oxide._cache_config import CacheConfig
from redis_oxide._cache_store import Cache
from redis_oxide._client import Redis
from redis_oxide._client_cluster import RedisCluster
from redis_oxide._client_cluster_view import ClusterStats, ClusterView
from redis_oxide._client_sentinel import Sentinel
from redis_oxide._client_url import from_url
from redis_oxide._cluster import ClusterMember
from redis_oxide._generated._models import *  # noqa: F403  (reply models: see __all__ below)
from redis_oxide._health import (
    ClusterHealth,
    HealthReport,
    NodeHealth,
    ReplicaLink,
    ReplicationState,
)
from redis_oxide._lock import Lock
from redis_oxide._monitor import Monitor, MonitorEntry
from redis_oxide._pipeline import Pipeline, PipelineResult
from redis_oxide._pool import PoolStats
from redis_oxide._pubsub import PubSub, SubscriptionState
from redis_oxide._pubsub_types import Message, Resubscribed
from redis_oxide._retry import Retry
from redis_oxide._scripting import Library, Script, ScriptRunner
from redis_oxide._sentinel_report import (
    MonitoredPrimary,
    ReplicaStatus,
    SentinelReport,
    SentinelStatus,
)
from redis_oxide._telemetry import Telemetry, configure_telemetry
from redis_oxide._transaction import Transaction, TransactionState, WatchBlock
from redis_oxide.streams import ConsumerStats, GroupConsumer, StreamEntry, StreamProducer

__version__ = "0.1.0"

__all__ = [
    "Cache",
    "CacheConfig",
    "ClusterCache",
    "ClusterHealth",
    "ClusterMember",
    "ClusterStats",
    "ClusterView",
    "ConsumerStats",
    "GroupConsumer",
    "HealthReport",
    "Library",
    "Lock",
    "Message",
    "Monitor",
    "MonitorEntry",
    "MonitoredPrimary",
    "NodeHealth",
    "Pipeline",
    "PipelineResult",
    "PoolStats",
    "PubSub",
    "Redis",
    "ReplicaLink",
    "RedisCluster",
    "ReplicaStatus",
    "ReplicationState",
    "Resubscribed",
    "Retry",
    "Script",
    "ScriptRunner",
    "Sentinel",
    "SentinelReport",
    "SentinelStatus",
    "StreamEntry",
    "StreamProducer",
    "SubscriptionState",
    "Telemetry",
    "Transaction",
    "TransactionState",
    "WatchBlock",
    "__version__",
    "configure_telemetry",
    "exceptions",
    "from_url",
    "streams",
    "types",
]
__all__ += _models.__all__

for _public in (
    Cache,
    CacheConfig,
    ClusterCache,
    ClusterHealth,
    HealthReport,
    ClusterMember,
    ClusterStats,
    ClusterView,
    Library,
    Lock,
    Message,
    Monitor,
    MonitorEntry,
    MonitoredPrimary,
    NodeHealth,
    Pipeline,
    PipelineResult,
    PoolStats,
    PubSub,
    Redis,
    ReplicaLink,
    RedisCluster,
    ReplicaStatus,
    ReplicationState,
    Resubscribed,
    Retry,
    Script,
    ScriptRunner,
    Sentinel,
    SentinelReport,
    SentinelStatus,
    SubscriptionState,
    Telemetry,
    Transaction,
    TransactionState,
    WatchBlock,
):
    _public.__module__ = "redis_oxide"
from_url.__module__ = "redis_oxide"
configure_telemetry.__module__ = "redis_oxide"
del _public
