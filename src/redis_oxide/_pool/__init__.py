"""Connection strategies: multiplexed (shared connections) and pooled (leased connections).

Both satisfy ``ConnectionStrategy``; both hand out dedicated ``Lease`` objects for blocking
commands, transactions and pub/sub.
"""

from redis_oxide._pool._interfaces import (
    ConnectionStrategy,
    PoolConnection,
    PoolObserver,
    PoolStats,
)
from redis_oxide._pool._lease import Lease
from redis_oxide._pool._multiplexed import MultiplexedPool
from redis_oxide._pool._pooled import ConnectionPool

__all__ = [
    "ConnectionPool",
    "ConnectionStrategy",
    "Lease",
    "MultiplexedPool",
    "PoolConnection",
    "PoolObserver",
    "PoolStats",
]
