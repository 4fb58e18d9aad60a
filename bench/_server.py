"""The benchmark's own redis-server: start on a free loopback port, seed, stop.

Rules and invariants:
- Persistence is off (``--save "" --appendonly no``) so no fork or fsync
  lands inside a measurement; the working directory is a private temp dir,
  which also holds the harness's job files and goes away with the server.
- Ready means a real round trip (INFO naming our pid), not a sleep. A lost port race (another
  process bound the port first) is retried with a new port.
- `BenchServer` is a context manager and stops the server on every exit path,
  Ctrl-C included; where ``setpriv`` exists the server also dies with the
  harness if the harness itself is killed.
- Commands go over a plain blocking socket with hiredis: this module serves
  the harness, which is synchronous, and must not depend on any benchmarked
  client.
- A cluster node (``cluster=True``) is the same process with cluster mode on and
  a bus port of its own, picked with the client port on every attempt;
  `bench._cluster` builds the cluster out of six of them.
"""

from __future__ import annotations

import abc
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, cast

import hiredis

from bench._spec import (
    BIG_KEY,
    BIG_VALUE_SIZE,
    GET_KEY,
    HASH_KEY,
    SET_KEY,
    VALUE,
    ZSET_KEY,
    hash_mapping,
    zset_members,
)

__all__ = ["DEFAULT_SERVER", "BenchServer", "Owned", "ServerError"]

DEFAULT_SERVER = Path("/usr/bin/redis-server")
HOST = "127.0.0.1"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0
_PORT_ATTEMPTS = 5


class ServerError(RuntimeError):
    """The server could not be started or answered with an error."""


class _NeedData:
    pass


_NEED_DATA = _NeedData()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return cast(int, sock.getsockname()[1])


class Owned(abc.ABC):
    """Processes a run owns, as a context manager.

    Entering ``with`` starts them (and stops them again if starting fails); leaving it, by
    any exit path, stops them.
    """

    @abc.abstractmethod
    def start(self) -> None:
        """Start the processes and wait until they are ready."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the processes and remove their files; harmless when not started."""

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class BenchServer(Owned):
    """A redis-server process owned by one benchmark run.

    Args:
        binary: The redis-server executable.
        prefix: A command the server runs under (``taskset --cpu-list 0``), empty for none.
        cluster: Start it as a cluster node, with no slots and no peers yet.
    """

    def __init__(
        self, binary: Path = DEFAULT_SERVER, prefix: Sequence[str] = (), *, cluster: bool = False
    ) -> None:
        if not binary.exists():
            raise ServerError(f"redis-server not found at {binary}")
        self.binary = binary
        self.prefix = list(prefix)
        self.cluster = cluster
        self.port = 0
        self.bus_port = 0
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers INFO with its own pid.

        Raises:
            ServerError: It exited or stayed silent past the start timeout.
        """
        # Created here, not in __init__, so that an interrupt between construction and
        # `with` cannot leave the directory behind: __enter__ stops on any exception.
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="redis-oxide-bench-"))
        for _ in range(_PORT_ATTEMPTS):
            self.port = _free_port()
            if self._spawn_and_wait():
                return
        raise ServerError(f"redis-server did not start: {self._log_tail()}")

    @property
    def scratch(self) -> Path:
        """The server's private directory, removed by `stop`; the harness keeps job files here."""
        assert self._dir is not None, "start() first"
        return self._dir

    def _spawn_and_wait(self) -> bool:
        command = [
            str(self.binary),
            "--port", str(self.port),
            "--bind", HOST,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.scratch),
            "--logfile", str(self.scratch / "redis.log"),
        ]  # fmt: skip
        if self.cluster:
            self.bus_port = _free_port()
            # The default node timeout (15 s): a node starved on a loaded machine must not
            # be failed over in the middle of a measurement. Diskless sync without delay
            # attaches the replicas at once.
            command += [
                "--cluster-enabled", "yes",
                "--cluster-port", str(self.bus_port),
                "--cluster-config-file", "nodes.conf",
                "--repl-diskless-sync", "yes",
                "--repl-diskless-sync-delay", "0",
            ]  # fmt: skip
        setpriv = shutil.which("setpriv")
        if setpriv is not None:
            command = [setpriv, "--pdeathsig", "KILL", "--", *command]
        command = [*self.prefix, *command]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                if "already in use" in self._log_tail():
                    return False
                raise ServerError(f"redis-server exited: {self._log_tail()}")
            try:
                # The pid check keeps a server that won the port race from
                # passing for ours.
                if self.info("process_id") == str(self._process.pid):
                    return True
            except (OSError, ServerError):
                time.sleep(0.01)
        tail = self._log_tail()
        self.stop()
        raise ServerError(f"redis-server did not answer: {tail}")

    def _log_tail(self) -> str:
        log = self._dir / "redis.log" if self._dir is not None else None
        lines = log.read_text(errors="replace").splitlines() if log and log.exists() else []
        return " | ".join(lines[-3:]) or "no log"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def pipeline(self, *commands: tuple[bytes | str | int | float, ...]) -> list[object]:
        """Send commands in one write and return their replies.

        Args:
            *commands: Each a command name followed by its arguments.

        Returns:
            One decoded reply per command.

        Raises:
            ServerError: A reply was an error.
            OSError: The connection failed.
        """
        payload = b"".join(hiredis.pack_command(cast(tuple[bytes], c)) for c in commands)
        reader = hiredis.Reader(notEnoughData=_NEED_DATA)
        replies: list[object] = []
        with socket.create_connection((HOST, self.port), timeout=_START_TIMEOUT) as sock:
            sock.sendall(payload)
            while len(replies) < len(commands):
                chunk = sock.recv(1 << 16)
                if not chunk:
                    raise ServerError("connection closed by redis-server")
                reader.feed(chunk)
                while (reply := reader.gets()) is not _NEED_DATA:
                    if isinstance(reply, Exception):
                        raise ServerError(str(reply))
                    replies.append(reply)
        return replies

    def command(self, *args: bytes | str | int | float) -> object:
        """Send one command and return its reply (see `pipeline`)."""
        return self.pipeline(args)[0]

    def info(self, key: str) -> str:
        """Return one field of INFO SERVER, e.g. ``redis_version``."""
        raw = cast(bytes, self.command(b"INFO", b"server")).decode()
        for line in raw.splitlines():
            name, _, value = line.partition(":")
            if name == key:
                return value.strip()
        return "unknown"

    def seed(self) -> None:
        """Write the data set every workload reads (see `bench._spec`)."""
        hash_args: list[bytes] = []
        for field, value in hash_mapping().items():
            hash_args += [field, value]
        zset_args: list[bytes | float] = []
        for member, score in zset_members():
            zset_args += [score, member]
        self.pipeline(
            (b"FLUSHALL",),
            (b"SET", SET_KEY, VALUE),
            (b"SET", GET_KEY, VALUE),
            (b"SET", BIG_KEY, b"x" * BIG_VALUE_SIZE),
            (b"HSET", HASH_KEY, *hash_args),
            (b"ZADD", ZSET_KEY, *zset_args),
        )
