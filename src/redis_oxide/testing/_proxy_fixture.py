"""The ``tcp_proxy`` fixture: the one fixture that needs pytest-asyncio.

The proxy must run in the test's own event loop, so the fixture is async and pytest-asyncio
runs it. The plugin loads this module only when pytest-asyncio is installed; otherwise it
provides a ``tcp_proxy`` that fails with the install command instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from redis_oxide.testing._proxy import ProxyFactory, ProxyTarget, TcpProxy

__all__ = ["tcp_proxy"]


@pytest_asyncio.fixture
async def tcp_proxy() -> AsyncIterator[ProxyFactory]:
    """Fault-injecting proxies, created in the test's event loop.

    Yields:
        ``async def make(target) -> TcpProxy``; every proxy is closed when the test ends.
    """
    proxies: list[TcpProxy] = []

    async def make(target: ProxyTarget) -> TcpProxy:
        proxy = await TcpProxy.start(target)
        proxies.append(proxy)
        return proxy

    try:
        yield make
    finally:
        for proxy in proxies:
            await proxy.aclose()
