"""The metrics of redis-oxide's telemetry: instruments, pool observers and gauges.

Rules this module keeps:

- One ``Metrics`` per meter provider: a meter registers an instrument name once (a second
  registration gets the first instrument, without its callbacks).
- Gauges (connections, in-flight commands, bytes, reconnects) are observed from the
  strategies' ``stats()`` when the SDK collects, never counted per command; strategies are
  held weakly, so a client nobody holds leaves the gauges.
- Like ``_telemetry``, this module is imported only once telemetry is on.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from redis_oxide._pool import ConnectionStrategy
from redis_oxide._telemetry import DURATION_BUCKETS, METRICS, version

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

__all__ = ["Metrics", "metrics_for", "pool_attributes"]


class _PoolReport:
    """A ``PoolObserver`` recording one pool's waits, timeouts and connects."""

    __slots__ = ("_attributes", "_metrics")

    def __init__(self, metrics: Metrics, pool_name: str) -> None:
        self._metrics = metrics
        self._attributes = pool_attributes(pool_name)

    def waited(self, seconds: float) -> None:
        self._metrics.wait_time.record(seconds, self._attributes)

    def timed_out(self) -> None:
        self._metrics.pool_timeouts.add(1, self._attributes)

    def connected(self, seconds: float) -> None:
        self._metrics.create_time.record(seconds, self._attributes)


class Metrics:
    """The instruments registered with one meter provider, shared by all its clients.

    A meter registers an instrument name once (a second registration gets the first
    instrument, without its callbacks), hence one ``Metrics`` per meter provider.

    Args:
        provider: The meter provider.
    """

    def __init__(self, provider: MeterProvider) -> None:
        from opentelemetry.metrics import Observation

        meter = provider.get_meter("redis_oxide", version())
        self._observation = Observation
        specs = {spec.name: spec for spec in METRICS}

        def histogram(name: str) -> Any:
            spec = specs[name]
            return meter.create_histogram(
                name,
                unit=spec.unit,
                description=spec.description,
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            )

        def counter(name: str) -> Any:
            spec = specs[name]
            return meter.create_counter(name, unit=spec.unit, description=spec.description)

        def observed(
            name: str, callback: Callable[[CallbackOptions], Iterable[Observation]]
        ) -> None:
            spec = specs[name]
            create = (
                meter.create_observable_counter
                if spec.kind == "observable_counter"
                else meter.create_observable_up_down_counter
            )
            create(name, callbacks=[callback], unit=spec.unit, description=spec.description)

        self.duration = histogram("db.client.operation.duration")
        self.wait_time = histogram("db.client.connection.wait_time")
        self.create_time = histogram("db.client.connection.create_time")
        self.pool_timeouts = counter("db.client.connection.timeouts")
        self.timeouts = counter("redis.client.operation.timeouts")
        self.errors = counter("redis.client.errors")
        self.redirects = counter("redis.client.redirects")
        # Strategies observed by the gauges, with the database index their pool name carries.
        self._pools: weakref.WeakKeyDictionary[ConnectionStrategy, int | None] = (
            weakref.WeakKeyDictionary()
        )
        observed("db.client.connection.count", self._connection_counts)
        observed("db.client.connection.max", self._pool_limits)
        observed("db.client.connection.pending_requests", self._waiting)
        observed("redis.client.commands.in_flight", self._in_flight)
        observed("redis.client.reconnects", self._reconnects)
        observed("redis.client.network.io", self._io)

    def watch_pool(self, strategy: ConnectionStrategy, db: int | None) -> None:
        """Observe ``strategy`` in the gauges and report its waits and connects.

        Args:
            strategy: A client's (or a cluster node's) strategy.
            db: The database index named in its pool name (None for a cluster node).
        """
        self._pools[strategy] = db
        strategy.observe(_PoolReport(self, _pool_name(strategy.address, db)))

    # -- gauges, observed when the SDK collects ---------------------------------------------

    def _totals(self) -> dict[str, list[int]]:
        # Per pool name: connections, idle, max, waiting, pending, reconnects, written, read.
        # Clients of one server and database share a pool name, so their counts add up.
        totals: dict[str, list[int]] = {}
        for strategy, db in list(self._pools.items()):
            s = strategy.stats()
            row = totals.setdefault(_pool_name(strategy.address, db), [0] * 8)
            counts = (
                s.connections,
                s.idle,
                s.max_connections,
                s.waiting,
                s.pending,
                s.reconnects,
                s.bytes_written,
                s.bytes_read,
            )
            for index, value in enumerate(counts):
                row[index] += value
        return totals

    def _each(self, column: int) -> Iterable[Observation]:
        for name, row in self._totals().items():
            yield self._observation(row[column], pool_attributes(name))

    def _connection_counts(self, options: CallbackOptions) -> Iterable[Observation]:
        for name, row in self._totals().items():
            attributes = pool_attributes(name)
            idle = {**attributes, "db.client.connection.state": "idle"}
            used = {**attributes, "db.client.connection.state": "used"}
            yield self._observation(row[1], idle)
            yield self._observation(row[0] - row[1], used)

    def _pool_limits(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._each(2)

    def _waiting(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._each(3)

    def _in_flight(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._each(4)

    def _reconnects(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._each(5)

    def _io(self, options: CallbackOptions) -> Iterable[Observation]:
        for name, row in self._totals().items():
            attributes = pool_attributes(name)
            transmit = {**attributes, "network.io.direction": "transmit"}
            receive = {**attributes, "network.io.direction": "receive"}
            yield self._observation(row[6], transmit)
            yield self._observation(row[7], receive)


_metric_sets: dict[int, tuple[MeterProvider, Metrics]] = {}


def metrics_for(provider: MeterProvider) -> Metrics:
    """The ``Metrics`` of ``provider``, created on first use."""
    # Keyed by identity (a provider need not be hashable); the provider is kept alive with
    # its metrics, so an id is never reused while cached.
    found = _metric_sets.get(id(provider))
    if found is None:
        found = _metric_sets[id(provider)] = (provider, Metrics(provider))
    return found[1]


def _pool_name(address: str, db: int | None) -> str:
    # The conventions' fallback pool name: server.address:server.port/db.namespace.
    return address if db is None else f"{address}/{db}"


def pool_attributes(name: str) -> dict[str, str]:
    """The attributes naming a pool: the system and the conventions' pool name."""
    return {"db.system.name": "redis", "db.client.connection.pool.name": name}
