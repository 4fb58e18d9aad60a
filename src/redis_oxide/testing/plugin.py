"""The redis-oxide pytest plugin: real servers as fixtures, and an opt-in clean-loop check.

Registered through the ``pytest11`` entry point, so any project with
redis-oxide installed gets these fixtures without a conftest import.

Rules:
- Importing this module (which pytest does in every project that has
  redis-oxide installed) needs only pytest and the standard library. What
  single fixtures need comes with the ``testing`` extra and is imported when
  the fixture is set up; without it the fixture fails with the install
  command (``pip install 'redis-oxide[testing]'``), never at collection.
- The plugin touches no test that does not request one of its fixtures. The
  loop check (`redis_oxide.testing._loopcheck`) changes every async test's
  loop factory, so it runs only where the ini option ``redis_oxide_loop_check``
  is true.
- Session fixtures start each kind of server once per run and stop it in
  their finaliser, also when tests fail; tests must not stop or kill them
  (use ``redis_server_factory`` for servers a test may break).
- A missing binary or a server that does not start is an error, never a skip.
- At session end no server started by the run may still be alive: leftovers
  are killed and the run is marked failed.
- Start-up times of the session servers are listed in the terminal summary.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import NoReturn, Protocol, TypeVar
from urllib.parse import urlsplit

import pytest

from redis_oxide.testing import _registry
from redis_oxide.testing._cluster import start_cluster
from redis_oxide.testing._errors import TESTING_EXTRA, MissingDependencyError
from redis_oxide.testing._info import (
    ACLServerInfo,
    ClusterInfo,
    RedisServerInfo,
    SentinelInfo,
    TLSServerInfo,
)
from redis_oxide.testing._proxy import ProxyFactory
from redis_oxide.testing._raw import Endpoint, parse_info, raw_command
from redis_oxide.testing._sentinel import MASTER_NAME, start_sentinel_group
from redis_oxide.testing._servers import ConfigItems, ServerProcess
from redis_oxide.testing._standalone import ServerKind, new_server, start_acl_server
from redis_oxide.testing._tls import TLSMaterial, generate_tls_material, start_tls_server

__all__ = [
    "ProxyFactory",
    "ServerFactory",
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
]

TEST_URL_ENV = "REDIS_OXIDE_TEST_URL"
LOOP_CHECK_INI = "redis_oxide_loop_check"

_T = TypeVar("_T")

_startup_seconds: dict[str, float] = {}
_leaked_pids: list[int] = []


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


def _timed(name: str, start: Callable[[], _T]) -> _T:
    began = time.monotonic()
    result = start()
    _startup_seconds[name] = time.monotonic() - began
    return result


def _close_all(processes: list[ServerProcess | None]) -> None:
    for process in processes:
        if process is not None:
            process.close()


def _external_server(url: str) -> RedisServerInfo:
    parts = urlsplit(url)
    if parts.scheme != "redis" or parts.hostname is None:
        raise pytest.UsageError(f"{TEST_URL_ENV} must look like redis://host:port, got {url!r}")
    endpoint = Endpoint(parts.hostname, parts.port or 6379)
    version = parse_info(raw_command(endpoint, "INFO", "server")).get("redis_version", "")
    return RedisServerInfo(endpoint.host, endpoint.port, url, None, version, None)


@pytest.fixture(scope="session")
def redis_stack() -> Iterator[RedisServerInfo]:
    """Redis Stack 7.4 with RedisJSON, RediSearch, RedisBloom and RedisTimeSeries.

    Listens on TCP and on a unix socket. With ``REDIS_OXIDE_TEST_URL=redis://host:port``
    the fixture describes that already running server instead (no unix socket,
    no process handle).

    Yields:
        The shared server; use ``flushed_stack`` for an empty database.
    """
    url = os.environ.get(TEST_URL_ENV)
    if url:
        yield _external_server(url)
        return
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
    raw_command(redis_stack.endpoint, "FLUSHALL", "SYNC")
    return redis_stack


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[ClusterInfo]:
    """Six Redis Stack 7.4 nodes (with modules): three primaries, one replica each.

    Yields:
        The cluster, stable: all slots covered, every replica in sync.
    """
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
    started: list[SentinelInfo] = []

    def factory(*, names: Sequence[str] = (MASTER_NAME,), replicas: int = 1) -> SentinelInfo:
        group = start_sentinel_group(names=names, replicas=replicas)
        started.append(group)
        return group

    try:
        yield factory
    finally:
        _close_all([process for group in started for process in group.processes()])


@pytest.fixture(scope="session")
def redis_tls_material() -> Iterator[TLSMaterial]:
    """A per-run CA with server and client certificates.

    Yields:
        The PEM file paths.
    """
    try:
        material = generate_tls_material()
    except MissingDependencyError as exc:
        pytest.fail(str(exc), pytrace=False)
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
    started: list[ServerProcess] = []

    def factory(
        kind: ServerKind = "7", *, modules: bool = False, config: ConfigItems = ()
    ) -> RedisServerInfo:
        process = new_server(kind, modules=modules, config=config)
        started.append(process)
        process.start()
        return RedisServerInfo.from_process(process)

    try:
        yield factory
    finally:
        _close_all(list(started))


if importlib.util.find_spec("pytest_asyncio") is not None:
    # The async fixture lives in a module of its own, imported only when pytest-asyncio is.
    pytest_plugins: list[str] = ["redis_oxide.testing._proxy_fixture"]
else:

    @pytest.fixture
    def tcp_proxy() -> NoReturn:
        """Stand in for the proxy fixture when pytest-asyncio, which runs it, is missing.

        Raises:
            pytest.fail.Exception: Always, naming the command that installs it.
        """
        pytest.fail(f"the tcp_proxy fixture needs pytest-asyncio: {TESTING_EXTRA}", pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ini option that turns the loop check on."""
    parser.addini(
        LOOP_CHECK_INI,
        type="bool",
        default=False,
        help="fail an async test whose event loop reported an unhandled error "
        "(needs pytest-asyncio; redis-oxide[testing] brings it)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the loop check where the ini option asks for it."""
    if not config.getini(LOOP_CHECK_INI):
        return
    # The hook it implements exists from pytest-asyncio 1.4 on, while that plugin is active.
    if not hasattr(config.hook, "pytest_asyncio_loop_factories"):
        raise pytest.UsageError(
            f"{LOOP_CHECK_INI} needs the pytest-asyncio plugin, 1.4 or newer: {TESTING_EXTRA}"
        )
    from redis_oxide.testing import _loopcheck

    config.pluginmanager.register(_loopcheck, "redis_oxide_loop_check")


_OUTER_PIDS = pytest.StashKey[frozenset[int]]()
_NO_PIDS: frozenset[int] = frozenset()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note servers that already exist (an enclosing in-process pytester session owns them)."""
    session.stash[_OUTER_PIDS] = _registry.registered_pids()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Kill any server process still alive after every fixture was torn down."""
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
