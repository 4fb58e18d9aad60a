"""The factory fixtures' types are importable from ``redis_oxide.testing`` without pytest."""

from __future__ import annotations

import subprocess
import sys

import redis_oxide.testing
import redis_oxide.testing.plugin


def test_factory_types_come_from_the_testing_package_and_the_plugin_alike() -> None:
    for name in ("ServerFactory", "SentinelFactory", "ProxyFactory"):
        assert name in redis_oxide.testing.__all__
        assert getattr(redis_oxide.testing, name) is getattr(redis_oxide.testing.plugin, name)


def test_importing_the_factory_types_does_not_import_pytest() -> None:
    code = (
        "import sys\n"
        "from redis_oxide.testing import SentinelFactory, ServerFactory\n"
        "print('pytest' in sys.modules, ServerFactory.__name__, SentinelFactory.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "ServerFactory", "SentinelFactory"]
