"""The bodies of the factory fixtures: servers and sentinel groups a test may break.

Each generator yields the factory and, when resumed at teardown, closes every process the
factory started, also when the test failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from redis_oxide.testing._factory_types import SentinelFactory, ServerFactory
from redis_oxide.testing._info import RedisServerInfo, SentinelInfo
from redis_oxide.testing._sentinel import MASTER_NAME, start_sentinel_group
from redis_oxide.testing._servers import ConfigItems, ServerProcess
from redis_oxide.testing._standalone import ServerKind, new_server

__all__ = ["sentinel_factory", "server_factory"]


def _close_all(processes: Sequence[ServerProcess]) -> None:
    for process in processes:
        process.close()


def server_factory() -> Iterator[ServerFactory]:
    """Yield ``redis_server_factory``'s factory; close its servers when resumed.

    Yields:
        ``factory(kind="7", *, modules=False, config=()) -> RedisServerInfo``.
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
        _close_all(started)


def sentinel_factory() -> Iterator[SentinelFactory]:
    """Yield ``redis_sentinel_factory``'s factory; close its groups when resumed.

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
