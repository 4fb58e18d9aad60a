"""The types of the factory fixtures, importable without pytest.

``redis_server_factory`` and ``redis_sentinel_factory`` provide callables of these types;
``redis_oxide.testing`` and ``redis_oxide.testing.plugin`` both export them for annotations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from redis_oxide.testing._info import RedisServerInfo, SentinelInfo
from redis_oxide.testing._sentinel import MASTER_NAME
from redis_oxide.testing._servers import ConfigItems
from redis_oxide.testing._standalone import ServerKind

__all__ = ["SentinelFactory", "ServerFactory"]


class SentinelFactory(Protocol):
    """The callable ``redis_sentinel_factory`` provides."""

    def __call__(self, *, names: Sequence[str] = (MASTER_NAME,), replicas: int = 1) -> SentinelInfo:
        """Start a disposable sentinel group (stopped at the end of the test).

        Args:
            names: The monitored names, one primary each (default ``oxide-primary``).
            replicas: Replicas per primary.

        Returns:
            The running group, with its process handles.
        """
        ...


class ServerFactory(Protocol):
    """The callable ``redis_server_factory`` provides."""

    def __call__(
        self, kind: ServerKind = "7", *, modules: bool = False, config: ConfigItems = ()
    ) -> RedisServerInfo:
        """Start a disposable standalone server (stopped at the end of the test).

        Args:
            kind: ``"7"`` (Debian 7.0) or ``"stack"`` (Redis Stack 7.4).
            modules: Load the Stack modules (Stack only).
            config: Extra config directives, one tuple per directive.

        Returns:
            The running server, with its process handle.
        """
        ...
