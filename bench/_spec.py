"""What is measured: workloads, data set, jobs and results, shared by runner and worker.

Rules and invariants:
- This module is the single description of the data set. The runner seeds it
  once per server and every worker reads the same keys, so no client pays
  for (or profits from) its own set-up.
- Jobs and results cross the process boundary as JSON files; `Job` and
  `WorkerResult` are the only shapes that travel, and both round-trip through
  `to_json`/`from_json` without loss.
- Write workloads touch their own keys (`SET_KEY`, `PIPELINE_KEYS`,
  `CLUSTER_SET_KEYS`), never the keys the read workloads check.
- Three suites: "standalone" (one redis-server), "cluster" (six nodes, see
  `bench._cluster`) and "cache" (one redis-server and a writer process, see
  `bench._cache_runner`). A workload belongs to one suite; a job runs one
  suite's workloads only.
- The cache suite's rows are not libraries but library settings (redis-oxide
  with and without its cache, ...): `CACHE_ROWS` maps each row to the client
  of `CLIENTS` (or `BASELINE`) it comes from, and selecting a client selects
  its rows.
- The cluster keys are chosen for the harness's slot ranges (the three
  primaries own 0-5460, 5461-10922 and 10923-16383): `CLUSTER_SET_KEYS` has
  one key per primary, `SLOT_KEYS` 100 keys in 100 distinct slots over all
  three. The harness checks both against the server's CLUSTER KEYSLOT before
  measuring, so a wrong claim here fails the run instead of skewing it.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from pathlib import Path
from typing import Any

__all__ = [
    "BASELINE",
    "CACHED_ROWS",
    "CACHE_ROWS",
    "TELEMETRY",
    "BIG_KEY",
    "BIG_VALUE_SIZE",
    "CLIENTS",
    "CLUSTER_CLIENTS",
    "CLUSTER_SET_KEYS",
    "SLOT_KEYS",
    "SUITES",
    "GET_KEY",
    "HASH_FIELDS",
    "HASH_KEY",
    "LOOPS",
    "PIPELINE_KEYS",
    "PIPELINE_SIZE",
    "SET_KEY",
    "VALUE",
    "ZSET_KEY",
    "ZSET_MEMBERS",
    "CacheCounts",
    "Job",
    "Sample",
    "Status",
    "Workload",
    "WorkerResult",
    "hash_mapping",
    "suite_workloads",
    "label",
    "label_parts",
    "zset_members",
]

VALUE = b"v" * 100
"""The 100-byte value every workload uses unless it says otherwise."""

SET_KEY = b"bench:setget"
GET_KEY = b"bench:get"
BIG_KEY = b"bench:big"
BIG_VALUE_SIZE = 1 << 20
HASH_KEY = b"bench:hash"
HASH_FIELDS = 100
ZSET_KEY = b"bench:zset"
ZSET_MEMBERS = 1000
PIPELINE_SIZE = 1000
PIPELINE_KEYS = tuple(b"bench:pipe:%04d" % i for i in range(PIPELINE_SIZE))

CLUSTER_SET_KEYS = (b"bench:setget:0", b"bench:setget:1", b"bench:setget:2")
"""Slots 10882, 15011 and 2752: one key on each primary of the harness's cluster."""
SLOT_KEYS = tuple(b"bench:cluster:%03d" % i for i in range(100))
"""100 keys in 100 distinct slots (34, 34 and 32 on the three primaries), seeded with `VALUE`."""

CLIENTS = ("redis-py", "redis-py-resp2", "coredis", "valkey-glide", "bare", "redis-oxide")
"""The clients of a default run, in the order of the first round.

``redis-py`` runs with its default protocol (RESP3 since redis-py 8), ``redis-py-resp2``
with ``protocol=2``, its fastest setting; both are references of the report.
"""

CLUSTER_CLIENTS = ("redis-py", "redis-py-resp2", "valkey-glide", "redis-oxide")
"""The clients with a cluster client of their own, driven in the cluster suite.

coredis is left out (it has a cluster client, but no goal names it) and so is the bare
baseline, which does not route by slot.
"""

LOOPS = ("asyncio", "uvloop")

SUITES = ("standalone", "cluster", "cache")

BASELINE = "redis-oxide-baseline"
"""redis-oxide imported from another source tree (``--baseline-src``), beside the working one."""

TELEMETRY = "redis-oxide-otel"
"""The working tree's redis-oxide with telemetry on, recording into the OpenTelemetry SDK
(spans through a batch processor to an exporter that drops them, metrics to an in-memory
reader); opt-in with ``--clients``."""

CACHE_ROWS = {
    "redis-oxide-cached": "redis-oxide",
    "redis-oxide": "redis-oxide",
    "redis-oxide-baseline-cached": BASELINE,
    BASELINE: BASELINE,
    "redis-py": "redis-py",
    "coredis": "coredis",
    "coredis-cached": "coredis",
    "valkey-glide": "valkey-glide",
}
"""The rows of the cache suite, in first-round order, each to the client it comes from.

redis-oxide (working tree and baseline) with ``CacheConfig()`` and without a cache; the peers
at their default settings, uncached (redis-py's asyncio client has no client-side cache,
valkey-glide none at all); and coredis with its own client-side cache as well.
"""

CACHED_ROWS = frozenset({"redis-oxide-cached", "redis-oxide-baseline-cached", "coredis-cached"})
"""The cache suite's rows that read through a client-side cache."""

_LABELS = {
    "redis-py-resp2": ("redis-py", "RESP2"),
    BASELINE: ("redis-oxide", "baseline"),
    TELEMETRY: ("redis-oxide", "telemetry on"),
    "redis-oxide-cached": ("redis-oxide", "cached"),
    "redis-oxide-baseline-cached": ("redis-oxide", "baseline, cached"),
    "coredis-cached": ("coredis", "cached"),
}


def label_parts(client: str) -> tuple[str, str]:
    """Return a client's library name and what sets its row apart (may be empty)."""
    return _LABELS.get(client, (client, ""))


def label(client: str) -> str:
    """Return the name a report shows for a client (``redis-py-resp2`` -> ``redis-py (RESP2)``)."""
    name, qualifier = label_parts(client)
    return f"{name} ({qualifier})" if qualifier else name


def hash_mapping() -> dict[bytes, bytes]:
    """Return the fields of the HGETALL hash: 100 fields with 100-byte values."""
    return {b"field:%03d" % i: VALUE for i in range(HASH_FIELDS)}


def zset_members() -> list[tuple[bytes, float]]:
    """Return the members of the ZRANGE sorted set with non-integral scores."""
    return [(b"member:%04d" % i, i + 0.5) for i in range(ZSET_MEMBERS)]


class Workload(enum.Enum):
    """The measured workloads; the value is the stable name used in JSON.

    The first six run against one redis-server, the ``cluster_`` ones against the
    six-node cluster, the ``cache_`` one against a redis-server another process writes to.
    """

    SET_GET = "set_get"
    CONCURRENT_GET = "concurrent_get"
    PIPELINE_SET = "pipeline_set"
    BIG_GET = "big_get"
    HGETALL = "hgetall"
    ZRANGE = "zrange_withscores"
    CLUSTER_SET_GET = "cluster_set_get"
    CLUSTER_CONCURRENT_GET = "cluster_concurrent_get"
    CLUSTER_PIPELINE_SET = "cluster_pipeline_set"
    CLUSTER_MGET = "cluster_mget"
    CACHE_HOT_KEYS = "cache_hot_keys"

    @property
    def title(self) -> str:
        """Human description used in the Markdown report."""
        return _TITLES[self]

    @property
    def suite(self) -> str:
        """The suite the workload belongs to, from `SUITES`."""
        prefix = self.value.partition("_")[0]
        return prefix if prefix in SUITES else "standalone"

    @property
    def reports_bandwidth(self) -> bool:
        """Whether the headline figure is MB/s rather than ops/s."""
        return self is Workload.BIG_GET

    @property
    def unit(self) -> str:
        """Unit of the headline figure (a pipeline's operations are its commands)."""
        if self.reports_bandwidth:
            return "MB/s"
        if self is Workload.CACHE_HOT_KEYS:
            return "reads/s"
        pipelined = self in (Workload.PIPELINE_SET, Workload.CLUSTER_PIPELINE_SET)
        return "commands/s" if pipelined else "ops/s"


_TITLES = {
    Workload.SET_GET: "1 task, SET/GET alternating",
    Workload.CONCURRENT_GET: "100 tasks, GET",
    Workload.PIPELINE_SET: "1,000-SET pipelines",
    Workload.BIG_GET: "GET 1 MiB value",
    Workload.HGETALL: "HGETALL 100 fields",
    Workload.ZRANGE: "ZRANGE 0 -1 WITHSCORES, 1,000 members",
    Workload.CLUSTER_SET_GET: "cluster: 1 task, SET/GET alternating over 3 primaries",
    Workload.CLUSTER_CONCURRENT_GET: "cluster: 100 tasks, GET of 100 keys in 100 slots",
    Workload.CLUSTER_PIPELINE_SET: "cluster: 1,000-SET pipelines across slots",
    Workload.CLUSTER_MGET: "cluster: MGET of 100 keys over 100 slots",
    Workload.CACHE_HOT_KEYS: "cache: 100 tasks reading 1,000 hot keys, another process writing",
}


def suite_workloads(suite: str) -> tuple[Workload, ...]:
    """Return a suite's workloads in report order."""
    return tuple(w for w in Workload if w.suite == suite)


class Status(enum.Enum):
    """Outcome of one worker process for one client."""

    OK = "ok"
    NOT_INSTALLED = "not installed"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class Job:
    """Everything a worker process needs: which client, which loop, what to run.

    Attributes:
        client: One of `CLIENTS`.
        loop: One of `LOOPS`.
        host: Server address (loopback).
        port: Server port.
        workloads: Workload names, in the order to run them.
        duration: Seconds each time-bounded measurement lasts.
        concurrent_ops: Total GETs of the concurrency workload.
        concurrency: Tasks of the concurrency workload.
        source: For redis-oxide rows, the source tree ``redis_oxide`` must be imported
            from (the runner puts it first on the worker's ``PYTHONPATH``); empty for peers.
        cpus: CPUs the worker pins itself to before loading its client; empty: unpinned.
        suite: ``"standalone"`` (host and port are the server), ``"cluster"`` (they are
            a startup node of the cluster; the worker drives the client's cluster client)
            or ``"cache"`` (the client is a row of `CACHE_ROWS`).
        cells: For the cache suite, the file of counters the worker shares with the
            writer process (see `bench._cache_workload`); empty otherwise.
    """

    client: str
    loop: str
    host: str
    port: int
    workloads: tuple[str, ...]
    duration: float
    concurrent_ops: int
    concurrency: int = 100
    source: str = ""
    cpus: tuple[int, ...] = ()
    suite: str = "standalone"
    cells: str = ""

    def to_json(self) -> str:
        """Serialise for the worker's command line file."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        """Parse what `to_json` wrote."""
        raw = json.loads(text)
        raw["workloads"] = tuple(raw["workloads"])
        raw["cpus"] = tuple(raw.get("cpus", ()))
        return cls(**raw)


@dataclasses.dataclass(frozen=True)
class Sample:
    """One measurement: operations done, wall seconds and process CPU seconds.

    Attributes:
        ops: Commands completed (a 1,000-command pipeline counts 1,000).
        seconds: Wall-clock time of the measured section.
        cpu_seconds: Process CPU time (all threads) of the measured section.
        sleeps: Voluntary context switches of the process in the section.
    """

    ops: int
    seconds: float
    cpu_seconds: float
    sleeps: int = 0

    @property
    def ops_per_second(self) -> float:
        """Throughput of the sample."""
        return self.ops / self.seconds

    @property
    def cpu_us_per_op(self) -> float:
        """Client CPU cost per command in microseconds."""
        return self.cpu_seconds * 1e6 / self.ops


@dataclasses.dataclass(frozen=True)
class CacheCounts:
    """What a cache suite worker counted besides the `Sample` of its measured phase.

    Attributes:
        writes: Writes the writer process made for the reads of the measured phase.
        late_writes: Those of them it made after the phase, catching up (see
            `bench._cache_worker`).
        stale: Reads, warm-up included, that returned an older version than one whose
            write was acknowledged and whose invalidation had arrived (see
            `bench._cache_workload`).
        checked: Reads checked so, warm-up included.
        hits: Reads of the measured phase answered from the client-side cache; None
            without one.
        lookups: Reads of the measured phase that went through the cache (hits, misses,
            and reads that waited for the same read in flight); None without one.
    """

    writes: int
    late_writes: int
    stale: int
    checked: int
    hits: int | None = None
    lookups: int | None = None


@dataclasses.dataclass
class WorkerResult:
    """What one worker process reports back for one job.

    Attributes:
        client: The job's client.
        loop: The job's loop.
        status: Overall outcome; `Status.OK` may still carry per-workload errors.
        reason: Why the client could not run (for any status but OK).
        version: Version string of the client library.
        notes: Remarks that qualify the figures, e.g. "no pipeline API".
        samples: Workload name to its sample.
        errors: Workload name to the error that stopped it.
        protocol: The RESP version the server reports for the client's connection
            (``resp=`` of CLIENT INFO), None where the adapter cannot ask.
        source: Where ``redis_oxide`` was imported from (redis-oxide rows only).
        suite: The job's suite (see `Job.suite`).
        cache: The cache suite's counts (None in the other suites).
    """

    client: str
    loop: str
    status: Status = Status.OK
    reason: str = ""
    version: str = ""
    notes: list[str] = dataclasses.field(default_factory=list)
    samples: dict[str, Sample] = dataclasses.field(default_factory=dict)
    errors: dict[str, str] = dataclasses.field(default_factory=dict)
    protocol: int | None = None
    source: str = ""
    suite: str = "standalone"
    cache: CacheCounts | None = None

    def to_json(self) -> str:
        """Serialise for the result file."""
        raw = dataclasses.asdict(self)
        raw["status"] = self.status.value
        return json.dumps(raw)

    @classmethod
    def from_json(cls, text: str) -> WorkerResult:
        """Parse what `to_json` wrote."""
        raw: dict[str, Any] = json.loads(text)
        raw["status"] = Status(raw["status"])
        raw["samples"] = {name: Sample(**s) for name, s in raw["samples"].items()}
        if raw.get("cache") is not None:
            raw["cache"] = CacheCounts(**raw["cache"])
        return cls(**raw)

    @classmethod
    def read(cls, path: Path) -> WorkerResult:
        """Load a result file written by a worker."""
        return cls.from_json(path.read_text(encoding="utf-8"))
