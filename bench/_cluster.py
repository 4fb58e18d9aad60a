"""The benchmark's own six-node cluster: start, check, seed, stop.

Rules and invariants:
- Six `bench._server.BenchServer` nodes in cluster mode, each in its own
  private directory with persistence off: three primaries owning the slot
  ranges 0-5460, 5461-10922 and 10923-16383 (distinct config epochs, set with
  CLUSTER ADDSLOTSRANGE), then CLUSTER MEET, then one replica per primary
  (CLUSTER REPLICATE). No redis-cli, no test fixture: like the standalone
  server, the cluster must come up against any checkout of the package.
- Ready means every node reports ``cluster_state:ok`` with all 16384 slots
  and six known nodes, none flagged failing, each replica attached to its
  own primary with the link up and no sync in progress. Seeded means, in
  addition, every replica's offset equal to its primary's, so no sync or
  backlog runs into a measurement. Every wait polls real commands under one
  deadline.
- The keys' slots are asked from the server (CLUSTER KEYSLOT), never computed
  here, and checked against what `bench._spec` promises (one set key per
  primary, 100 read keys in 100 slots on all three, pipeline keys on all
  three); a broken promise is a `ServerError` before anything is measured.
- `BenchCluster` is a context manager and stops every node on every exit
  path; each node also dies with the harness (``setpriv --pdeathsig``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from bench._server import DEFAULT_SERVER, HOST, BenchServer, Owned, ServerError
from bench._spec import CLUSTER_SET_KEYS, PIPELINE_KEYS, SLOT_KEYS, VALUE

__all__ = ["PRIMARIES", "BenchCluster", "owner"]

SLOTS = 16384
PRIMARIES = 3
_BOUNDS = (0, 5461, 10923, SLOTS)
_START_TIMEOUT = 30.0
_POLL = 0.05


def owner(slot: int) -> int:
    """Return the index of the primary that owns ``slot`` in the harness's cluster."""
    return next(i for i in range(PRIMARIES) if slot < _BOUNDS[i + 1])


def _fields(reply: object) -> dict[str, str]:
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    pairs = (line.partition(":") for line in text.splitlines() if ":" in line)
    return {name: value.strip() for name, _, value in pairs}


class BenchCluster(Owned):
    """Three primaries and three replicas owned by one benchmark run.

    Args:
        binary: The redis-server executable.
        primary_prefix: A command the primaries run under (``taskset``), empty for none.
        replica_prefix: The same for the replicas.
    """

    def __init__(
        self,
        binary: Path = DEFAULT_SERVER,
        primary_prefix: Sequence[str] = (),
        replica_prefix: Sequence[str] = (),
    ) -> None:
        self.primaries = [BenchServer(binary, primary_prefix, cluster=True) for _ in range(3)]
        self.replicas = [BenchServer(binary, replica_prefix, cluster=True) for _ in range(3)]
        self.nodes = [*self.primaries, *self.replicas]
        self._ids: list[str] = []

    @property
    def port(self) -> int:
        """The startup node's port (the first primary)."""
        return self.primaries[0].port

    @property
    def ports(self) -> list[int]:
        """Every node's port, primaries first."""
        return [node.port for node in self.nodes]

    @property
    def scratch(self) -> Path:
        """A private directory removed by `stop`, for the harness's job files."""
        return self.primaries[0].scratch

    def info(self, key: str) -> str:
        """Return one field of the startup node's INFO SERVER."""
        return self.primaries[0].info(key)

    def start(self) -> None:
        """Start the nodes, form the cluster and wait until it is ready.

        Raises:
            ServerError: A node did not start or the cluster did not settle in time.
        """
        deadline = time.monotonic() + _START_TIMEOUT
        for node in self.nodes:
            node.start()
        self._ids = [cast(bytes, node.command(b"CLUSTER", b"MYID")).decode() for node in self.nodes]
        for index, node in enumerate(self.primaries):
            node.command(b"CLUSTER", b"SET-CONFIG-EPOCH", index + 1)
            node.command(b"CLUSTER", b"ADDSLOTSRANGE", _BOUNDS[index], _BOUNDS[index + 1] - 1)
        for node in self.nodes[1:]:
            self.primaries[0].command(b"CLUSTER", b"MEET", HOST, node.port, node.bus_port)
        self._wait("every node knows every other", self._unknown, deadline)
        for primary_id, replica in zip(self._ids, self.replicas, strict=False):
            replica.command(b"CLUSTER", b"REPLICATE", primary_id)
        self._wait("a stable cluster", self._unsettled, deadline)

    def stop(self) -> None:
        """Stop every node (each SIGTERM, then SIGKILL) and remove their directories."""
        for node in self.nodes:
            node.stop()

    def _wait(self, what: str, problems: Callable[[], list[str]], deadline: float) -> None:
        found: list[str] = []
        while time.monotonic() < deadline:
            try:
                found = problems()
            except (OSError, ServerError) as exc:
                found = [repr(exc)]
            if not found:
                return
            time.sleep(_POLL)
        raise ServerError(f"cluster: {what} not reached in time: {found[:4]}")

    def _table(self, node: BenchServer) -> list[list[str]]:
        text = cast(bytes, node.command(b"CLUSTER", b"NODES")).decode()
        return [line.split() for line in text.splitlines() if line]

    def _unknown(self) -> list[str]:
        problems: list[str] = []
        for node in self.nodes:
            table = self._table(node)
            waiting = [row[1] for row in table if {"handshake", "noaddr"} & set(row[2].split(","))]
            if len(table) != len(self.nodes) or waiting:
                problems.append(f"{node.port} knows {len(table)} nodes, waiting for {waiting}")
        return problems

    def _unsettled(self) -> list[str]:
        expected = dict(zip(self._ids[PRIMARIES:], self._ids[:PRIMARIES], strict=True))
        problems: list[str] = []
        for node in self.nodes:
            state = _fields(node.command(b"CLUSTER", b"INFO"))
            if (state.get("cluster_state"), state.get("cluster_slots_ok")) != ("ok", str(SLOTS)):
                problems.append(f"{node.port}: {state.get('cluster_state')}")
            for row in self._table(node):
                flags = set(row[2].split(","))
                if flags & {"fail", "fail?", "handshake", "noaddr"}:
                    problems.append(f"{node.port} sees {row[1]} as {row[2]}")
                elif row[0] in expected and row[3] != expected[row[0]]:
                    problems.append(f"{node.port} sees {row[1]} as a replica of {row[3]}")
        for replica in self.replicas:
            link = _fields(replica.command(b"INFO", b"replication"))
            if (link.get("master_link_status"), link.get("master_sync_in_progress")) != ("up", "0"):
                problems.append(f"replica {replica.port} not attached")
        return problems

    def _lagging(self) -> list[str]:
        problems: list[str] = []
        for primary, replica in zip(self.primaries, self.replicas, strict=True):
            sent = _fields(primary.command(b"INFO", b"replication")).get("master_repl_offset")
            got = _fields(replica.command(b"INFO", b"replication")).get("slave_repl_offset")
            if sent != got:
                problems.append(f"replica {replica.port} at {got} of {sent}")
        return problems

    def _slots(self, keys: Sequence[bytes]) -> list[int]:
        replies = self.primaries[0].pipeline(*((b"CLUSTER", b"KEYSLOT", key) for key in keys))
        return [cast(int, slot) for slot in replies]

    def seed(self) -> None:
        """Check the keys' slots, write the read keys to their primaries, wait for the replicas.

        Raises:
            ServerError: A key set is not spread as `bench._spec` says, a write failed, or a
                replica did not catch up in time.
        """
        set_slots = self._slots(CLUSTER_SET_KEYS)
        read_slots = self._slots(SLOT_KEYS)
        pipeline_slots = self._slots(PIPELINE_KEYS)
        if sorted(map(owner, set_slots)) != list(range(PRIMARIES)):
            raise ServerError(f"the SET/GET keys are not one per primary: slots {set_slots}")
        if len(set(read_slots)) != len(SLOT_KEYS):
            raise ServerError("the read keys do not lie in distinct slots")
        for name, slots in (("read", read_slots), ("pipeline", pipeline_slots)):
            if {owner(slot) for slot in slots} != set(range(PRIMARIES)):
                raise ServerError(f"the {name} keys do not cover every primary")
        writes: list[list[tuple[bytes, ...]]] = [[(b"FLUSHALL",)] for _ in self.primaries]
        for key, slot in zip(SLOT_KEYS, read_slots, strict=True):
            writes[owner(slot)].append((b"SET", key, VALUE))
        for primary, commands in zip(self.primaries, writes, strict=True):
            primary.pipeline(*commands)
        self._wait("replicas in sync", self._lagging, time.monotonic() + _START_TIMEOUT)
