"""The pytest plugin by its package name, and the types its factory fixtures provide.

The plugin itself is the top-level module ``redis_oxide_pytest``, which the ``pytest11`` entry
point loads (plugin name ``redis_oxide``) without importing this package, so projects that
never use a fixture do not pay for importing the client. A project that turns plugin autoload
off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) names this module in ``pytest_plugins`` (or passes
``-p redis_oxide``); registering it registers ``redis_oxide_pytest`` once, and does nothing
where the entry point has loaded the plugin already.

Annotate the factory fixtures with `ServerFactory`, `SentinelFactory` and ``ProxyFactory``
(re-exported here; ``redis_oxide.testing`` has them too, without importing pytest).
"""

from __future__ import annotations

import pytest

from redis_oxide.testing._factory_types import SentinelFactory, ServerFactory
from redis_oxide.testing._proxy import ProxyFactory

__all__ = ["ProxyFactory", "SentinelFactory", "ServerFactory"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the plugin module unless the entry point (or a ``-p``) registered it already.

    pytest calls this once, when it registers this module as a plugin.

    Args:
        pluginmanager: The session's plugin manager.
    """
    import redis_oxide_pytest

    if not pluginmanager.is_registered(redis_oxide_pytest):
        pluginmanager.register(redis_oxide_pytest, "redis_oxide_pytest")
