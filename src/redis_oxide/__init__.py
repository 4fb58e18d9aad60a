"""redis-oxide: a fully typed asyncio Redis client.

The command surface is generated from Redis's command spec; the runtime underneath is small and
handwritten. Everything users need is importable from here; ``redis_oxide.exceptions`` holds
the error tree and ``redis_oxide.testing`` the pytest plugin with real-server fixtures.
"""

from redis_oxide import exceptions
from redis_oxide._client import Redis, from_url
from redis_oxide._pool import PoolStats
from redis_oxide._retry import Retry

__version__ = "0.1.0"

__all__ = [
    "PoolStats",
    "Redis",
    "Retry",
    "__version__",
    "exceptions",
    "from_url",
]

for _public in (Redis, Retry, PoolStats):
    _public.__module__ = "redis_oxide"
from_url.__module__ = "redis_oxide"
del _public
