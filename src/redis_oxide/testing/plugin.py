"""The pytest plugin by its package name, and the types its factory fixtures provide.

The plugin itself is the top-level module ``redis_oxide_pytest``, which the ``pytest11`` entry
point loads (plugin name ``redis_oxide``) without importing this package, so projects that
never use a fixture do not pay for importing the client. A project that turns plugin autoload
off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) names this module in ``pytest_plugins`` (or passes
``-p redis_oxide``); registering it registers ``redis_oxide_pytest`` once, and does nothing
where the entry point has loaded the plugin already.

Annotate the factory fixtures with `ServerFactory`, `SentinelFactory` and ``ProxyFactory``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pytest

from redis_oxide.testing._info import RedisServerInfo, SentinelInfo
from redis_oxide.testing._proxy import ProxyFactory
from redis_oxide.testing._sentinel import MASTER_NAME
from redis_oxide.testing._servers import ConfigItems
from redis_oxide.testing._standalone import ServerKind

__all__ = ["ProxyFactory", "SentinelFactory", "ServerFactory"]


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


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the plugin module unless the entry point (or a ``-p``) registered it already.

    pytest calls this once, when it registers this module as a plugin.

    Args:
        pluginmanager: The session's plugin manager.
    """
    import redis_oxide_pytest

    if not pluginmanager.is_registered(redis_oxide_pytest):
        pluginmanager.register(redis_oxide_pytest, "redis_oxide_pytest")
