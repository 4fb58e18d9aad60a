"""Start, stop, kill and restart one redis-server or redis-sentinel process.

Rules and invariants:
- Every process gets its own temporary directory holding its config file,
  its log file and its unix socket; the directory is removed by `close()`.
- "Ready" means a real round trip: PING answered, then INFO reporting the
  ``process_id`` of the process we spawned, so a server that lost the port
  race never mistakes another server for itself. There is no fixed sleep.
- A bind failure ("Address already in use") is retried with a fresh port;
  any other exit or a missed deadline raises with the tail of the log.
- Each spawned process is registered for the atexit/SIGTERM cleanup before
  anything else can fail, and, where ``setpriv`` exists, dies with its parent.
- `ProcessState` changes only in `_set_state`.
"""

from __future__ import annotations

import enum
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from redis_oxide.testing import _registry
from redis_oxide.testing._binaries import LIBSSL_HINT, Launcher
from redis_oxide.testing._errors import PortInUseError, RawReplyError, ServerStartError
from redis_oxide.testing._ports import LOOPBACK, free_port
from redis_oxide.testing._raw import Endpoint, RawValue, open_raw, parse_info

__all__ = ["ConfigItems", "ProcessState", "ServerProcess", "start_all"]

# One directive per tuple: the directive name, then its arguments.
ConfigItems = Sequence[tuple[str, ...]]

# A bare redis-server is up in ~10 ms and Stack with its modules in ~60 ms;
# the margin covers a loaded two-core CI machine.
STARTUP_TIMEOUT = 15.0
# SIGTERM with persistence off exits in milliseconds; after this, SIGKILL.
STOP_TIMEOUT = 5.0
_PORT_ATTEMPTS = 5
_LOG_TAIL_LINES = 25
_SETPRIV = shutil.which("setpriv")


class ProcessState(enum.Enum):
    """Lifecycle of a `ServerProcess`."""

    NEW = "new"
    RUNNING = "running"
    SUSPENDED = "suspended"
    STOPPED = "stopped"
    CLOSED = "closed"


_TRANSITIONS: dict[ProcessState, set[ProcessState]] = {
    ProcessState.NEW: {ProcessState.RUNNING, ProcessState.CLOSED},
    ProcessState.RUNNING: {ProcessState.STOPPED, ProcessState.SUSPENDED},
    ProcessState.SUSPENDED: {ProcessState.RUNNING, ProcessState.STOPPED},
    ProcessState.STOPPED: {ProcessState.RUNNING, ProcessState.CLOSED},
    ProcessState.CLOSED: set(),
}


def _quote(value: str) -> str:
    if value and not any(ch in value for ch in " \"\\\t\n'"):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


class ServerProcess:
    """A handle on one server process listening on a fixed loopback port.

    The port is chosen on the first start and kept for the handle's life, so
    `restart()` brings the server back where clients expect it.
    """

    def __init__(
        self,
        launcher: Launcher,
        *,
        name: str,
        config: Callable[[int], ConfigItems] = lambda port: (),
        tls: bool = False,
        unix_socket: bool = False,
        sentinel: bool = False,
        probe: Callable[[int, str | None], Endpoint] | None = None,
    ) -> None:
        """Prepare a server; nothing runs until `start()`.

        Args:
            launcher: Binary and environment to run.
            name: Short label used in the directory name, reprs and errors.
            config: Extra config directives, given the chosen port (called
                again with a new port after a lost port race).
            tls: Listen with TLS only (``port 0``, ``tls-port <port>``); the
                TLS file directives come from ``config``.
            unix_socket: Also listen on ``<dir>/redis.sock``.
            sentinel: Run in sentinel mode (the config file stays writable,
                Sentinel rewrites it).
            probe: Builds the readiness endpoint from port and unix path (for
                TLS or AUTH); default is plain TCP.
        """
        self.name: str = name
        self.launcher: Launcher = launcher
        self.directory: Path = Path(tempfile.mkdtemp(prefix=f"redis-oxide-{name}-"))
        self.config_path: Path = self.directory / "redis.conf"
        self.log_path: Path = self.directory / "server.log"
        self.host: str = LOOPBACK
        #: The TCP port, once chosen (0 before the first start).
        self.port: int = 0
        #: ``redis_version`` as the running server reports it ("" before it answered).
        self.version: str = ""
        self.unix_path: str | None = str(self.directory / "redis.sock") if unix_socket else None
        self._config = config
        self._tls = tls
        self._sentinel = sentinel
        self._probe = probe
        self._process: subprocess.Popen[bytes] | None = None
        self._state = ProcessState.NEW

    def __repr__(self) -> str:
        pid = self._process.pid if self._process is not None else None
        return (
            f"<ServerProcess {self.name} {self.host}:{self.port} "
            f"state={self._state.value} pid={pid}>"
        )

    @property
    def state(self) -> ProcessState:
        """The lifecycle state."""
        return self._state

    @property
    def pid(self) -> int | None:
        """The pid of the current (or last) process, None before the first start."""
        return self._process.pid if self._process is not None else None

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint the readiness check uses (with TLS/AUTH where configured)."""
        if self._probe is not None:
            return self._probe(self.port, self.unix_path)
        return Endpoint(self.host, self.port, self.unix_path)

    def _set_state(self, new: ProcessState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(f"{self!r}: cannot go from {self._state.value} to {new.value}")
        self._state = new

    def is_running(self) -> bool:
        """Return whether the process is alive.

        Returns:
            True while the spawned process has not exited.
        """
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Start the server on a fresh port and wait until it is ready.

        Args:
            timeout: Seconds allowed for the whole start, port retries included.

        Raises:
            ServerStartError: The server exited or did not become ready in time.
        """
        start_all([self], timeout)

    def restart(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Stop the server if it runs, then start it again on the same port.

        The config file is reused as is (Sentinel and cluster nodes keep what
        they rewrote), so node ids and monitored masters survive.

        Args:
            timeout: Seconds allowed for the server to become ready.

        Raises:
            ServerStartError: The server did not come back, for example because
                another process took its port meanwhile.
            RuntimeError: The server was never started, or is closed.
        """
        if self._state is ProcessState.NEW:
            raise RuntimeError(f"{self!r}: restart() needs a server that was started")
        if self._state in (ProcessState.RUNNING, ProcessState.SUSPENDED):
            self.stop()
        self._spawn()
        self._wait_ready(time.monotonic() + timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Shut the server down with SIGTERM, escalating to SIGKILL.

        Args:
            timeout: Seconds to wait for a clean exit before SIGKILL.
        """
        self._terminate(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would, and reap it."""
        self._terminate(signal.SIGKILL, STOP_TIMEOUT)

    def suspend(self) -> None:
        """Freeze the server with SIGSTOP, as a hung host would: it keeps its port and
        connections but answers nothing until `resume()`.

        Raises:
            RuntimeError: The server is not running.
        """
        process = self._process
        if self._state is not ProcessState.RUNNING or process is None:
            raise RuntimeError(f"{self!r}: suspend() needs a running server")
        process.send_signal(signal.SIGSTOP)
        self._set_state(ProcessState.SUSPENDED)

    def resume(self) -> None:
        """Let a suspended server go on (SIGCONT); does nothing unless it is suspended."""
        if self._state is not ProcessState.SUSPENDED or self._process is None:
            return
        self._process.send_signal(signal.SIGCONT)
        self._set_state(ProcessState.RUNNING)

    def close(self) -> None:
        """Stop the server and delete its directory; safe to call more than once."""
        if self._state is ProcessState.CLOSED:
            return
        if self._state in (ProcessState.RUNNING, ProcessState.SUSPENDED):
            self.stop()
        self._set_state(ProcessState.CLOSED)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """Return the last lines of the server log and of its stdout/stderr.

        Args:
            lines: How many lines of each file to keep.

        Returns:
            The text, with a header per file.
        """
        parts: list[str] = []
        for path in (self.log_path, self.directory / "stdout.log"):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except FileNotFoundError:
                continue
            if text:
                parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts) or "(no log output)"

    def _write_config(self, port: int) -> None:
        self.port = port
        items: list[tuple[str, ...]] = [
            ("bind", LOOPBACK),
            ("daemonize", "no"),
            ("dir", str(self.directory)),
            ("logfile", str(self.log_path)),
        ]
        if self._tls:
            items += [("port", "0"), ("tls-port", str(port))]
        else:
            items.append(("port", str(port)))
        if not self._sentinel:
            items += [
                ("save", ""),
                ("appendonly", "no"),
                # Timeout and crash tests rely on DEBUG SLEEP / DEBUG SEGFAULT.
                ("enable-debug-command", "local"),
            ]
        if self.unix_path is not None:
            items += [("unixsocket", self.unix_path), ("unixsocketperm", "700")]
        extra = list(self._config(port))
        names = {item[0] for item in extra}
        if ("cluster-enabled", "yes") in extra and "cluster-port" not in names:
            # The bus port defaults to port + 10000, inside the kernel's ephemeral range (from
            # 32768) for most of ours, where a client socket may hold it: one of ours instead.
            extra.append(("cluster-port", str(free_port())))
        items += extra
        lines = [" ".join(_quote(word) for word in item) for item in items]
        self.config_path.write_text("\n".join(lines) + "\n")

    def _spawn(self) -> None:
        self._set_state(ProcessState.RUNNING)
        argv = [str(self.launcher.binary), str(self.config_path)]
        if self._sentinel:
            argv.append("--sentinel")
        if _SETPRIV is not None:
            # Dies with the test process even when that is SIGKILLed.
            argv = [_SETPRIV, "--pdeathsig", "KILL", "--", *argv]
        with open(self.directory / "stdout.log", "ab") as output:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.launcher.environ(),
                cwd=self.directory,
            )
        _registry.register(self._process, self.directory)

    def _terminate(self, how: signal.Signals, timeout: float) -> None:
        process = self._process
        if self._state not in (ProcessState.RUNNING, ProcessState.SUSPENDED) or process is None:
            return
        if process.poll() is None:
            process.send_signal(how)
            if self._state is ProcessState.SUSPENDED:
                process.send_signal(signal.SIGCONT)  # a stopped process acts on SIGTERM only then
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _registry.unregister(process)
        self._set_state(ProcessState.STOPPED)

    def _exited_error(self) -> ServerStartError:
        tail = self.log_tail()
        cls = PortInUseError if "Address already in use" in tail else ServerStartError
        hint = f"\n({LIBSSL_HINT})" if "error while loading shared libraries" in tail else ""
        return cls(f"{self!r} exited with status {self._process_returncode()}:\n{tail}{hint}")

    def _process_returncode(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def _wait_ready(self, deadline: float) -> None:
        pause = 0.005
        last_error: BaseException | None = None
        while True:
            if not self.is_running():
                self._terminate(signal.SIGKILL, STOP_TIMEOUT)
                raise self._exited_error()
            try:
                info = self._probe_once(deadline)
            except (OSError, ConnectionError, TimeoutError) as exc:
                last_error = exc
            except RawReplyError as exc:
                if exc.code != "LOADING":  # still reading its RDB or AOF: not ready yet
                    raise
                last_error = exc
            else:
                if info.get("process_id") == str(self.pid):
                    self.version = info.get("redis_version", "")
                    return
                last_error = RuntimeError(f"port answered by pid {info.get('process_id')}")
            if time.monotonic() >= deadline:
                self._terminate(signal.SIGKILL, STOP_TIMEOUT)
                raise ServerStartError(
                    f"{self!r} not ready before its deadline (last error: {last_error!r}):\n"
                    f"{self.log_tail()}"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _probe_once(self, deadline: float) -> dict[str, str]:
        budget = max(0.1, min(0.5, deadline - time.monotonic()))
        with open_raw(self.endpoint, timeout=budget) as conn:
            pong: RawValue = conn.command("PING")
            if pong != b"PONG":
                raise ConnectionError(f"PING answered {pong!r}")
            return parse_info(conn.command("INFO", "server"))


def start_all(processes: Sequence[ServerProcess], timeout: float = STARTUP_TIMEOUT) -> None:
    """Start several servers in parallel and wait until all are ready.

    Spawning all first and then waiting overlaps their start-up, which is what
    keeps a six-node cluster quick. Servers that lose a port race are retried
    with new ports; on any other failure every server of the batch is stopped.

    Args:
        processes: Servers in state NEW.
        timeout: Seconds allowed for the whole batch.

    Raises:
        ServerStartError: A server could not be started.
    """
    deadline = time.monotonic() + timeout
    pending = list(processes)
    # This is the class's batch start, beside it: it drives the private steps of each process.
    try:
        for _attempt in range(_PORT_ATTEMPTS):
            for process in pending:
                process._write_config(free_port())  # pyright: ignore[reportPrivateUsage]
                process._spawn()  # pyright: ignore[reportPrivateUsage]
            lost_race: list[ServerProcess] = []
            for process in pending:
                try:
                    process._wait_ready(deadline)  # pyright: ignore[reportPrivateUsage]
                except PortInUseError:
                    lost_race.append(process)
            if not lost_race:
                return
            pending = lost_race
        raise PortInUseError(f"{pending!r}: port taken on {_PORT_ATTEMPTS} attempts")
    except BaseException:
        for process in processes:
            process.stop()
        raise
