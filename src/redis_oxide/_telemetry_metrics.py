"""The metrics of redis-oxide's telemetry: instruments, pool observers and gauges.

Rules this module keeps:

- One ``Metrics`` per meter provider, for as long as the provider lives: a meter registers
  an instrument name once (a second registration gets the first instrument, without its
  callbacks). Providers are held weakly, so a dropped provider is collected.
- Gauges (connections, in-flight commands, bytes, reconnects) are observed from the
  strategies' ``stats()`` when the SDK collects, never counted per command; strategies are
  held weakly, so a client nobody holds leaves the gauges. Pool names are read from the
  strategies when recorded, never fixed when a client is built (a Sentinel client learns
  its primary's address on its first connect).
- Like ``_telemetry``, this module is imported only once telemetry is on.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from redis_oxide._exceptions import ServerError
from redis_oxide._pool import ConnectionStrategy
from redis_oxide._telemetry import DURATION_BUCKETS, METRICS, version

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation

__all__ = ["Metrics", "metrics_for", "pool_attributes"]


class _PoolReport:
    """A ``PoolObserver`` recording one pool's waits, timeouts and connects.

    The pool name is read from the strategy when a point is recorded (slow paths only), as
    the gauges read it: a Sentinel client's strategy names its primary only once connected,
    and another one after a failover.
    """

    __slots__ = ("_address", "_attributes", "_db", "_metrics", "_strategy")

    def __init__(self, metrics: Metrics, strategy: ConnectionStrategy, db: int | None) -> None:
        self._metrics = metrics
        # Weak: the strategy holds this report, and a dropped client must leave the gauges.
        self._strategy = weakref.ref(strategy)
        self._db = db
        self._address = ""
        self._attributes: dict[str, str] = {}

    def _pool(self) -> dict[str, str]:
        strategy = self._strategy()
        address = self._address if strategy is None else strategy.address
        if address is not self._address or not self._attributes:
            self._address = address
            self._attributes = pool_attributes(_pool_name(address, self._db))
        return self._attributes

    def waited(self, seconds: float) -> None:
        self._metrics.wait_time.record(seconds, self._pool())

    def timed_out(self) -> None:
        self._metrics.pool_timeouts.add(1, self._pool())

    def connected(self, seconds: float) -> None:
        self._metrics.create_time.record(seconds, self._pool())


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
        strategy.observe(_PoolReport(self, strategy, db))

    def count_slot_errors(
        self, results: list[object], attributes_of: Callable[[str], dict[str, Any]]
    ) -> BaseException | None:
        """Count each failed command of a batch in ``redis.client.errors``, by its own name.

        Args:
            results: The batch's values and errors.
            attributes_of: The attributes of an operation name on the batch's server.

        Returns:
            The first failure (what ``execute()`` raises), or None.
        """
        if not any(issubclass(kind, BaseException) for kind in set(map(type, results))):
            return None
        first: BaseException | None = None
        for value in results:
            if not isinstance(value, BaseException):
                continue
            first = first or value
            if isinstance(value, ServerError):
                attributes = {
                    **attributes_of(value.command or ""),
                    "error.type": value.code or "ERR",
                }
                if value.code:
                    attributes["db.response.status_code"] = value.code
                self.errors.add(1, attributes)
        return first

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


# The ``Metrics`` of each meter provider, for as long as the provider lives: a second
# ``Metrics`` on the same provider would register its gauges without their callbacks. Held
# weakly, so an application that drops a provider (one per test or per tenant) gets its
# memory back; ``Metrics`` holds the provider's meter, never the provider.
_metric_sets: weakref.WeakKeyDictionary[MeterProvider, Metrics] = weakref.WeakKeyDictionary()
# Providers that cannot be weakly referenced or hashed, kept alive with their metrics (an id
# is then never reused while cached).
_pinned: dict[int, tuple[MeterProvider, Metrics]] = {}


def metrics_for(provider: MeterProvider) -> Metrics:
    """The ``Metrics`` of ``provider``, created on first use."""
    try:
        found = _metric_sets.get(provider)
    except TypeError:  # not weakly referenceable, or not hashable
        pinned = _pinned.get(id(provider))
        if pinned is None:
            pinned = _pinned[id(provider)] = (provider, Metrics(provider))
        return pinned[1]
    if found is None:
        found = _metric_sets[provider] = Metrics(provider)
    return found


def _pool_name(address: str, db: int | None) -> str:
    # The conventions' fallback pool name: server.address:server.port/db.namespace.
    return address if db is None else f"{address}/{db}"


def pool_attributes(name: str) -> dict[str, str]:
    """The attributes naming a pool: the system and the conventions' pool name."""
    return {"db.system.name": "redis", "db.client.connection.pool.name": name}
