"""The redis-oxide pytest plugin: real servers as fixtures, and an opt-in clean-loop check.

PYTEST_DONT_REWRITE: plugin code, with no test assertions for pytest to rewrite.

The ``pytest11`` entry point loads this module (plugin name ``redis_oxide``) in every run of
every project that installs redis-oxide. It lives outside the ``redis_oxide`` package because
importing anything in there loads the whole client first; ``redis_oxide.testing.plugin``
registers this same module for projects that name it in ``pytest_plugins``.

Rules:
- Importing this module needs only pytest and the standard library. Fixture bodies and hooks
  import ``redis_oxide.testing`` when they first run; a fixture whose package (the ``testing``
  extra) is missing fails at set-up with the install command, never at collection.
- The plugin touches no test that does not request one of its fixtures. The loop check
  changes every async test's loop factory, so it runs only where the ini option
  ``redis_oxide_loop_check`` is true.
- Session fixtures start each kind of server once per run and stop it in their finaliser;
  tests must not stop or kill them (``redis_server_factory`` gives servers a test may break).
- A missing binary or a server that does not start is an error, never a skip.
- At session end no server started by the run may still be alive: leftovers are killed, their
  directories removed, and the run is marked failed. The terminal summary lists start-up times.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NoReturn, TypeVar, cast
from urllib.parse import SplitResult, urlsplit

import pytest

if TYPE_CHECKING:
    from redis_oxide.testing._factory_types import SentinelFactory, ServerFactory
    from redis_oxide.testing._info import (
        ACLServerInfo,
        ClusterInfo,
        RedisServerInfo,
        SentinelInfo,
        TLSServerInfo,
    )
    from redis_oxide.testing._proxy import ProxyFactory, ProxyTarget, TcpProxy
    from redis_oxide.testing._servers import ServerProcess
    from redis_oxide.testing._tls import TLSMaterial

__all__ = [
    "flushed_stack",
    "redis_7",
    "redis_acl",
    "redis_cluster",
    "redis_sentinel",
    "redis_sentinel_factory",
    "redis_server_factory",
    "redis_stack",
    "redis_tls",
    "redis_tls_material",
    "redis_tls_no_client_cert",
    "tcp_proxy",
]

TEST_URL_ENV = "REDIS_OXIDE_TEST_URL"
LOOP_CHECK_INI = "redis_oxide_loop_check"
#: Same text as `redis_oxide.testing._errors.TESTING_EXTRA`, which this module may not import.
TESTING_EXTRA = "pip install 'redis-oxide[testing]'"
_REGISTRY_MODULE = "redis_oxide.testing._registry"

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., AsyncIterator[object]])

_startup_seconds: dict[str, float] = {}
_leaked_pids: list[int] = []


def _timed(name: str, start: Callable[[], _T]) -> _T:
    began = time.monotonic()
    result = start()
    _startup_seconds[name] = time.monotonic() - began
    return result


def _close_all(processes: Sequence[ServerProcess | None]) -> None:
    for process in processes:
        if process is not None:
            process.close()


def _checked_test_url(url: str) -> SplitResult:
    """Refuse anything but ``redis://host[:port]``: the fixtures would ignore the rest.

    A database number would be worst: the user's client would use it while ``flushed_stack``
    runs FLUSHALL, which empties every database of the server.
    """
    parts = urlsplit(url)
    shown = url if parts.password is None else url.replace(f":{parts.password}@", ":***@", 1)
    usage = f"{TEST_URL_ENV} must look like redis://host:port, got {shown!r}"
    if parts.scheme != "redis" or not parts.hostname:
        raise pytest.UsageError(usage)
    try:
        parts.port  # noqa: B018  (an out-of-range or non-numeric port raises here)
    except ValueError:
        raise pytest.UsageError(f"{usage}: the port is not a number from 1 to 65535") from None
    if parts.username is not None or parts.password is not None:
        raise pytest.UsageError(
            f"{usage}: the fixtures do not authenticate; use a server without a password"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise pytest.UsageError(
            f"{usage}: no database number or options (flushed_stack runs FLUSHALL, which "
            f"empties every database of the server); use a server the tests may wipe"
        )
    return parts


@pytest.fixture(scope="session")
def redis_stack() -> Iterator[RedisServerInfo]:
    """Redis Stack 7.4 with RedisJSON, RediSearch, RedisBloom and RedisTimeSeries.

    Listens on TCP and on a unix socket. With ``REDIS_OXIDE_TEST_URL=redis://host:port``
    the fixture describes that already running Stack server instead (no unix socket,
    no process handle).

    Yields:
        The shared server; use ``flushed_stack`` for an empty database.
    """
    url = os.environ.get(TEST_URL_ENV)
    if url:
        from redis_oxide.testing._external import describe_external_stack

        parts = _checked_test_url(url)
        yield describe_external_stack(TEST_URL_ENV, url, parts.hostname or "", parts.port or 6379)
        return
    from redis_oxide.testing._info import RedisServerInfo
    from redis_oxide.testing._standalone import new_server

    process = new_server("stack", modules=True, name="stack")
    try:
        _timed("redis_stack", process.start)
        yield RedisServerInfo.from_process(process)
    finally:
        process.close()


@pytest.fixture(scope="session")
def redis_7() -> Iterator[RedisServerInfo]:
    """Debian's redis-server 7.0, on TCP and a unix socket.

    Yields:
        The shared server.
    """
    from redis_oxide.testing._info import RedisServerInfo
    from redis_oxide.testing._standalone import new_server

    process = new_server("7", name="redis7")
    try:
        _timed("redis_7", process.start)
        yield RedisServerInfo.from_process(process)
    finally:
        process.close()


@pytest.fixture
def flushed_stack(redis_stack: RedisServerInfo) -> RedisServerInfo:
    """The shared Stack server after FLUSHALL (data and search indexes gone).

    Args:
        redis_stack: The session Stack server.

    Returns:
        The same server, empty.
    """
    from redis_oxide.testing._raw import raw_command

    raw_command(redis_stack.endpoint, "FLUSHALL", "SYNC")
    return redis_stack


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[ClusterInfo]:
    """Six Redis Stack 7.4 nodes (with modules): three primaries, one replica each.

    Yields:
        The cluster, stable: all slots covered, every replica in sync.
    """
    from redis_oxide.testing._cluster import start_cluster

    cluster = _timed("redis_cluster", start_cluster)
    try:
        yield cluster
    finally:
        _close_all([node.process for node in cluster.nodes])


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[SentinelInfo]:
    """A 7.0 primary and replica watched by three sentinels as ``oxide-primary``.

    Yields:
        The group, with every sentinel agreeing on primary, replica and peers.
    """
    from redis_oxide.testing._sentinel import start_sentinel_group

    group = _timed("redis_sentinel", start_sentinel_group)
    try:
        yield group
    finally:
        _close_all(list(group.processes()))


@pytest.fixture
def redis_sentinel_factory() -> Iterator[SentinelFactory]:
    """Start sentinel groups a test may break (kill, stop, fail over); closed afterwards.

    Yields:
        ``factory(*, names=("oxide-primary",), replicas=1) -> SentinelInfo``.
    """
    from redis_oxide.testing._factories import sentinel_factory

    yield from sentinel_factory()


@pytest.fixture(scope="session")
def redis_tls_material() -> Iterator[TLSMaterial]:
    """A per-run CA with server and client certificates.

    Yields:
        The PEM file paths.
    """
    from redis_oxide.testing._errors import MissingDependencyError
    from redis_oxide.testing._tls import generate_tls_material

    try:
        material = generate_tls_material()
    except MissingDependencyError as exc:
        # The message names the install command; the chained error would only repeat it.
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    try:
        yield material
    finally:
        material.remove()


@pytest.fixture(scope="session")
def redis_tls(redis_tls_material: TLSMaterial) -> Iterator[TLSServerInfo]:
    """A TLS-only 7.0 server that requires a client certificate (mutual TLS).

    Args:
        redis_tls_material: The certificates.

    Yields:
        The server.
    """
    from redis_oxide.testing._tls import start_tls_server

    info = _timed(
        "redis_tls", lambda: start_tls_server(redis_tls_material, client_auth_required=True)
    )
    try:
        yield info
    finally:
        _close_all([info.process])


@pytest.fixture(scope="session")
def redis_tls_no_client_cert(redis_tls_material: TLSMaterial) -> Iterator[TLSServerInfo]:
    """A TLS-only 7.0 server that does not ask for a client certificate.

    Args:
        redis_tls_material: The certificates.

    Yields:
        The server.
    """
    from redis_oxide.testing._tls import start_tls_server

    info = _timed(
        "redis_tls_no_client_cert",
        lambda: start_tls_server(redis_tls_material, client_auth_required=False),
    )
    try:
        yield info
    finally:
        _close_all([info.process])


@pytest.fixture(scope="session")
def redis_acl() -> Iterator[ACLServerInfo]:
    """A 7.0 server with a restricted ``oxide`` user and a password-protected ``default``.

    Yields:
        The server with both passwords.
    """
    from redis_oxide.testing._standalone import start_acl_server

    info = _timed("redis_acl", start_acl_server)
    try:
        yield info
    finally:
        _close_all([info.process])


@pytest.fixture
def redis_server_factory() -> Iterator[ServerFactory]:
    """Start disposable servers that a test may stop, kill or restart.

    Yields:
        The factory; every server it started is closed when the test ends.
    """
    from redis_oxide.testing._factories import server_factory

    yield from server_factory()


def _asyncio_fixture(function: _F) -> _F:
    """pytest-asyncio's fixture decorator, or a stand-in that fails with the install command."""
    if importlib.util.find_spec("pytest_asyncio") is None:

        def missing() -> NoReturn:
            pytest.fail(
                f"the {function.__name__} fixture needs pytest-asyncio: {TESTING_EXTRA}",
                pytrace=False,
            )

        missing.__doc__ = function.__doc__
        return cast("_F", pytest.fixture(name=function.__name__)(missing))
    # pytest loads pytest-asyncio as a plugin of its own: it is imported already, or cheap.
    import pytest_asyncio

    return cast("_F", pytest_asyncio.fixture(function))


@_asyncio_fixture
async def tcp_proxy() -> AsyncIterator[ProxyFactory]:
    """Fault-injecting proxies, created in the test's event loop.

    Yields:
        ``async def make(target) -> TcpProxy``; every proxy is closed when the test ends.
    """
    from redis_oxide.testing._proxy import TcpProxy

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


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ini option that turns the loop check on."""
    parser.addini(
        LOOP_CHECK_INI,
        type="bool",
        default=False,
        help="fail an async test whose event loop reported an unhandled error "
        "(needs pytest-asyncio; redis-oxide[testing] brings it)",
    )


def _loop_check_unavailable(config: pytest.Config) -> str:
    needs = f"{LOOP_CHECK_INI} needs the pytest-asyncio plugin, 1.4 or newer: {TESTING_EXTRA}"
    if importlib.util.find_spec("pytest_asyncio") is None:
        return needs
    if not config.pluginmanager.has_plugin("asyncio"):
        return (
            f"{needs} brings it, but here it is installed and disabled (-p no:asyncio, or plugin "
            f"autoload off without -p asyncio): enable it, or set {LOOP_CHECK_INI} = false"
        )
    version = importlib.metadata.version("pytest-asyncio")
    return (
        f"{needs} brings it, but here {version} is installed: "
        f"pip install --upgrade 'pytest-asyncio>=1.4'"
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check ``REDIS_OXIDE_TEST_URL``; register the loop check where the ini option asks."""
    url = os.environ.get(TEST_URL_ENV)
    if url:
        _checked_test_url(url)
    if not config.getini(LOOP_CHECK_INI):
        return
    # The hook it implements exists from pytest-asyncio 1.4 on, while that plugin is active.
    if not hasattr(config.hook, "pytest_asyncio_loop_factories"):
        raise pytest.UsageError(_loop_check_unavailable(config))
    from redis_oxide.testing import _loopcheck

    config.pluginmanager.register(_loopcheck, "redis_oxide_loop_check")


_OUTER_PIDS = pytest.StashKey[frozenset[int]]()
_NO_PIDS: frozenset[int] = frozenset()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note servers that already exist (an enclosing in-process pytester session owns them)."""
    # No server was started in this process unless the registry was imported.
    if _REGISTRY_MODULE in sys.modules:
        from redis_oxide.testing import _registry

        session.stash[_OUTER_PIDS] = _registry.registered_pids()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Kill any server process still alive after every fixture was torn down."""
    if _REGISTRY_MODULE not in sys.modules:
        return
    from redis_oxide.testing import _registry

    leaked = _registry.kill_all(keep=session.stash.get(_OUTER_PIDS, _NO_PIDS))
    if leaked:
        _leaked_pids.extend(leaked)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List server start-up times and any leaked server processes."""
    if _startup_seconds:
        terminalreporter.section("redis-oxide servers", sep="-")
        for name, seconds in sorted(_startup_seconds.items()):
            terminalreporter.write_line(f"{name}: started in {seconds:.2f} s")
    if _leaked_pids:
        terminalreporter.write_line(
            f"redis-oxide: server processes outlived their fixtures and were killed: "
            f"{_leaked_pids}",
            red=True,
        )
