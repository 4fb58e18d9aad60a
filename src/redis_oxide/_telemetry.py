"""OpenTelemetry for redis-oxide: the ``Telemetry`` setting and the instruments it creates.

Rules this module keeps:

- Telemetry is off unless a client is given ``telemetry=`` or ``configure_telemetry`` was
  called. Off, nothing here runs per command: the client binds its executor's ``_execute``
  exactly as without this module, and ``opentelemetry`` is never imported.
- ``opentelemetry`` (the API only; the SDK is the application's choice) is imported when a
  client with telemetry on is built; its absence is an ``ImportError`` naming the extra.
- Instrument names, units and attributes follow OpenTelemetry's database semantic
  conventions (``db.client.*``) where one exists, and live under ``redis.client.*``
  otherwise; ``METRICS`` lists them all (the docs and the dashboard test read it).
- Gauges (connections, in-flight commands, bytes, reconnects) are observed from the
  strategies' ``stats()`` when the SDK collects, never counted per command.
- No attribute holds a command argument, a password or a server error's message;
  ``db.query.text`` (only with ``Telemetry(statement=...)``) keeps keys and puts ``?`` for
  other arguments, or with ``"full"`` shows them, except those of credential commands.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import ServerError
from redis_oxide._keys import command_keys
from redis_oxide._pool._batch import Batch

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from redis_oxide._telemetry_metrics import Metrics

__all__ = [
    "DURATION_BUCKETS",
    "METRICS",
    "Instruments",
    "MetricSpec",
    "StatementMode",
    "Telemetry",
    "batch_name",
    "batch_text",
    "configure_telemetry",
    "default_telemetry",
    "error_type",
    "instruments_for",
    "resolve_telemetry",
    "version",
    "server_attributes",
    "statement_text",
]

StatementMode = Literal["off", "redacted", "full"]

_INSTALL_HINT = (
    "telemetry needs the OpenTelemetry API, which is not installed: "
    "pip install 'redis-oxide[otel]' (and an SDK such as opentelemetry-sdk to export)"
)
# Redis answers in well under a millisecond on a LAN; the conventions' default buckets start
# at 5 ms, which would put every healthy command in the first bucket.
DURATION_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


@dataclass(frozen=True, slots=True)
class Telemetry:
    """How a client reports to OpenTelemetry; pass it as ``Redis(..., telemetry=...)``.

    ``Telemetry()`` uses the global tracer and meter providers (whatever the application
    installed with ``opentelemetry.trace.set_tracer_provider`` and its metrics peer).

    Attributes:
        tracer_provider: Where spans go; None uses the global provider.
        meter_provider: Where metrics go; None uses the global provider.
        traces: Make one span per command, pipeline and transaction.
        metrics: Record the metrics listed in ``docs/observability.md``.
        statement: ``"off"`` (the default) records no ``db.query.text``; ``"redacted"``
            records the command name and its keys with every other argument as ``?``;
            ``"full"`` records the arguments too, except those of commands that carry
            credentials (AUTH, HELLO, MIGRATE, ACL, CONFIG, SENTINEL), which stay redacted.
    """

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    traces: bool = True
    metrics: bool = True
    statement: StatementMode = "off"

    def __post_init__(self) -> None:
        if self.statement not in ("off", "redacted", "full"):
            raise ValueError(
                f"statement must be 'off', 'redacted' or 'full', not {self.statement!r}"
            )
        for name in ("traces", "metrics"):
            value: object = getattr(self, name)
            if not isinstance(value, bool):  # "no" would be true
                raise TypeError(f"{name} must be True or False, not {value!r}")
        for name, method in (("tracer_provider", "get_tracer"), ("meter_provider", "get_meter")):
            provider: object = getattr(self, name)
            if provider is not None and not callable(getattr(provider, method, None)):
                raise TypeError(f"{name} must be an OpenTelemetry provider, not {provider!r}")


_default: Telemetry | None = None


def configure_telemetry(telemetry: Telemetry | bool | None) -> None:
    """Turn telemetry on or off for every client built afterwards without ``telemetry=``.

    Args:
        telemetry: A ``Telemetry`` setting, True for ``Telemetry()``, or None/False to turn
            the default off again. Clients already built keep their setting.

    Raises:
        ImportError: Telemetry is turned on and ``opentelemetry-api`` is not installed.
        TypeError: ``telemetry`` is not a ``Telemetry``, a bool or None.
    """
    global _default
    _default = resolve_telemetry(telemetry)


def default_telemetry() -> Telemetry | None:
    """The setting ``configure_telemetry`` installed, or None."""
    return _default


def resolve_telemetry(option: object) -> Telemetry | None:
    """Turn a ``telemetry=`` option into a setting, checking the API is importable.

    Args:
        option: ``Telemetry``, True (defaults), False or None (off).

    Returns:
        The setting, or None when telemetry is off.

    Raises:
        ImportError: Telemetry is on and ``opentelemetry-api`` is not installed.
        TypeError: ``option`` has another type.
    """
    if option is None or option is False:
        return None
    if option is True:
        option = Telemetry()
    if not isinstance(option, Telemetry):
        raise TypeError(f"telemetry must be a Telemetry, a bool or None, not {option!r}")
    try:
        importlib.import_module("opentelemetry.trace")
        importlib.import_module("opentelemetry.metrics")
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return option


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric redis-oxide records: its name, instrument kind and unit."""

    name: str
    kind: Literal["histogram", "counter", "gauge", "observable_counter"]
    unit: str
    description: str


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "db.client.operation.duration",
        "histogram",
        "s",
        "Duration of commands, pipelines and transactions.",
    ),
    MetricSpec(
        "db.client.connection.count",
        "gauge",
        "{connection}",
        "Open connections by state (idle, used).",
    ),
    MetricSpec(
        "db.client.connection.max", "gauge", "{connection}", "Most connections a pool may lease."
    ),
    MetricSpec(
        "db.client.connection.pending_requests",
        "gauge",
        "{request}",
        "Callers waiting for a connection.",
    ),
    MetricSpec(
        "db.client.connection.wait_time", "histogram", "s", "Time callers waited for a connection."
    ),
    MetricSpec(
        "db.client.connection.create_time",
        "histogram",
        "s",
        "Time a new connection took to open and set up.",
    ),
    MetricSpec(
        "db.client.connection.timeouts",
        "counter",
        "{timeout}",
        "Callers that gave up waiting for a connection (pool_timeout).",
    ),
    MetricSpec(
        "redis.client.commands.in_flight",
        "gauge",
        "{command}",
        "Commands sent or queued whose replies have not arrived.",
    ),
    MetricSpec(
        "redis.client.reconnects",
        "observable_counter",
        "{reconnect}",
        "Shared connections replaced after they were lost.",
    ),
    MetricSpec(
        "redis.client.network.io",
        "observable_counter",
        "By",
        "Bytes written (transmit) and read (receive).",
    ),
    MetricSpec(
        "redis.client.operation.timeouts",
        "counter",
        "{timeout}",
        "Commands that got no reply within command_timeout.",
    ),
    MetricSpec(
        "redis.client.errors",
        "counter",
        "{error}",
        "Failed commands by error type and server error code.",
    ),
    MetricSpec(
        "redis.client.redirects",
        "counter",
        "{redirect}",
        "Cluster redirects followed (MOVED, ASK).",
    ),
)


def server_attributes(address: str, db: int | None) -> dict[str, str | int]:
    """The conventional attributes naming a server: system, address, port, namespace.

    Args:
        address: ``host:port`` (IPv6 hosts bracketed) or a unix socket path.
        db: The database index, or None (a cluster has only 0, and omits it).

    Returns:
        ``db.system.name``, ``server.address``, ``server.port`` (TCP only), ``db.namespace``.
    """
    attributes: dict[str, str | int] = {"db.system.name": "redis"}
    host, sep, port = address.rpartition(":")
    if sep and port.isdigit() and not address.startswith("/"):
        attributes["server.address"] = host.strip("[]")
        attributes["server.port"] = int(port)
    else:
        attributes["server.address"] = address
    if db is not None:
        attributes["db.namespace"] = str(db)
    return attributes


class Instruments:
    """What a client with telemetry on reports through: a tracer and the metrics.

    Args:
        telemetry: The setting.
    """

    def __init__(self, telemetry: Telemetry) -> None:
        from opentelemetry import context, metrics, trace

        self.telemetry = telemetry
        if telemetry.traces:
            tracer_provider = telemetry.tracer_provider or trace.get_tracer_provider()
        else:
            tracer_provider = trace.NoOpTracerProvider()
        self.tracer = tracer_provider.get_tracer("redis_oxide", version())
        if telemetry.metrics:
            meter_provider = telemetry.meter_provider or metrics.get_meter_provider()
        else:
            meter_provider = metrics.NoOpMeterProvider()
        from redis_oxide._telemetry_metrics import metrics_for

        self.metrics: Metrics = metrics_for(meter_provider)
        # What the traced executor needs of the API, looked up once.
        self.client_kind = trace.SpanKind.CLIENT
        self.error_status = trace.Status(trace.StatusCode.ERROR)
        self.in_context = trace.set_span_in_context
        self.current_span = trace.get_current_span
        self.attach = context.attach
        self.current = context.get_current
        self.detach = context.detach
        # Where a re-run command went: a cluster redirect writes the node's ``server.*`` into
        # the dict the command's context holds under this key.
        self.rerun_key = context.create_key("redis_oxide.rerun_server")
        self.get_value = context.get_value
        self.set_value = context.set_value


# Shared while a client uses them: held weakly, so a setting (and the providers it names)
# that no client uses any more is collected. The metrics outlive them, per meter provider.
_instruments: weakref.WeakValueDictionary[Telemetry, Instruments] = weakref.WeakValueDictionary()


def instruments_for(telemetry: Telemetry) -> Instruments:
    """The tracer and metrics of ``telemetry``, shared by the clients that use it.

    Args:
        telemetry: The setting.

    Returns:
        Its instruments, shared by every client with an equal setting.
    """
    found = _instruments.get(telemetry)
    if found is None:
        found = _instruments[telemetry] = Instruments(telemetry)
    return found


def version() -> str:
    """The installed redis-oxide version, named as the instrumentation scope's."""
    try:
        return importlib.metadata.version("redis-oxide")
    except importlib.metadata.PackageNotFoundError:
        return "0"


# Commands whose arguments may hold credentials: never shown, whatever the setting
# (SENTINEL SET ... auth-pass, SENTINEL CONFIG SET sentinel-pass ...).
_SECRET = frozenset({"AUTH", "HELLO", "MIGRATE", "ACL", "CONFIG", "SENTINEL"})
# A statement is for reading, not for replaying: long values and pipelines are cut.
_ARGUMENT_CHARS = 128
_BATCH_COMMANDS = 32


def statement_text(meta: CommandMeta, args: Sequence[ArgT], mode: str) -> str:
    """The ``db.query.text`` of one command.

    Args:
        meta: The command.
        args: Its wire arguments.
        mode: ``"redacted"`` (name and keys, other arguments ``?``) or ``"full"``.

    Returns:
        The text; arguments of credential-carrying commands are always ``?``.
    """
    head = 2 if " " in meta.name else 1
    words = [_text(a) for a in args[:head]]
    rest = args[head:]
    if mode == "full" and meta.name.partition(" ")[0] not in _SECRET:
        words += [_text(a) for a in rest]
    else:
        keys, _ = command_keys(meta, args)
        shown = {id(k) for k in keys}
        words += [_text(a) if id(a) in shown else "?" for a in rest]
    return " ".join(words)


def batch_text(batch: Batch, mode: str) -> str:
    """The ``db.query.text`` of a batch: one line per command, the first 32 commands.

    Args:
        batch: The batch.
        mode: ``"redacted"`` or ``"full"``.

    Returns:
        The text.
    """
    lines = [
        statement_text(meta, args, mode)
        for meta, args in zip(
            batch.metas[:_BATCH_COMMANDS], batch.args[:_BATCH_COMMANDS], strict=True
        )
    ]
    if len(batch) > _BATCH_COMMANDS:
        lines.append(f"... ({len(batch) - _BATCH_COMMANDS} more)")
    return "\n".join(lines)


def _text(arg: ArgT) -> str:
    if isinstance(arg, bytes | bytearray | memoryview):
        text = bytes(arg).decode("utf-8", "backslashreplace")
    else:
        text = str(arg)
    return text if len(text) <= _ARGUMENT_CHARS else text[:_ARGUMENT_CHARS] + "..."


def error_type(error: BaseException) -> tuple[str, str | None]:
    """The ``error.type`` of a failure (the server's code, else the exception class) and the
    server's code (``db.response.status_code``) when there is one."""
    code = error.code if isinstance(error, ServerError) else None
    return code or type(error).__name__, code


def batch_name(metas: Sequence[CommandMeta], transaction: bool) -> str:
    """The operation name of a batch: ``MULTI`` or ``PIPELINE``, then the command when all
    commands are the same (``PIPELINE SET``), as the conventions for Redis ask.

    A pipeline of one command is that command (``GET``): the conventions model a batch of
    one operation as a single operation. A transaction keeps ``MULTI`` whatever its length:
    it is MULTI/EXEC on the wire, and may fail as a whole (``WatchError``, EXECABORT).

    Args:
        metas: The batch's commands.
        transaction: Whether it runs in MULTI/EXEC.

    Returns:
        The name.
    """
    if len(metas) == 1 and not transaction:
        return metas[0].name
    kind = "MULTI" if transaction else "PIPELINE"
    names = {meta.name for meta in metas}
    return f"{kind} {names.pop()}" if len(names) == 1 else kind
