"""The record of every server process this Python process started, and of its scratch files.

Rules: a process is registered (with its directory) before anything can fail after its
spawn and unregistered only once it has been reaped, so `kill_all` can always find
leftovers; a process it kills takes its directory with it. Scratch directories that belong to
no process (TLS material) are tracked until removed, and removed when the Python process ends.
`kill_all` runs from atexit, from the session-end leak check and from a SIGTERM handler, and is
safe to call from all three (it only sends SIGKILL, reaps and deletes files). The SIGTERM
handler cleans up only when the signal will end the process: a Python handler installed before
it is called instead, and if that handler exits, atexit cleans up.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from types import FrameType

__all__ = [
    "forget_directory",
    "kill_all",
    "register",
    "registered_pids",
    "track_directory",
    "unregister",
]

_lock = threading.Lock()
_processes: dict[int, tuple[subprocess.Popen[bytes], Path | None]] = {}
_scratch: set[Path] = set()
_hooks_installed = False


def register(process: subprocess.Popen[bytes], directory: Path | None = None) -> None:
    """Record a freshly spawned server process.

    Args:
        process: The child process.
        directory: Its working directory (config, socket, logs), deleted if `kill_all` kills it.
    """
    with _lock:
        _processes[process.pid] = (process, directory)
    _install_hooks()


def track_directory(directory: Path) -> None:
    """Record a scratch directory to delete when this Python process ends.

    Args:
        directory: The directory (for example TLS material).
    """
    with _lock:
        _scratch.add(directory)
    _install_hooks()


def forget_directory(directory: Path) -> None:
    """Stop tracking a scratch directory (its owner removed it).

    Args:
        directory: The directory.
    """
    with _lock:
        _scratch.discard(directory)


def unregister(process: subprocess.Popen[bytes]) -> None:
    """Forget a process that has exited and been reaped.

    Args:
        process: The child process.
    """
    with _lock:
        _processes.pop(process.pid, None)


def registered_pids() -> frozenset[int]:
    """Return the pids currently registered.

    Returns:
        The pids, running or not yet reaped.
    """
    with _lock:
        return frozenset(_processes)


def kill_all(keep: frozenset[int] = frozenset()) -> list[int]:
    """SIGKILL and reap every registered process, and delete its directory.

    Args:
        keep: Pids to leave alone (for example those an enclosing test session owns).

    Returns:
        The pids that were still running.
    """
    with _lock:
        candidates = [entry for pid, entry in _processes.items() if pid not in keep]
        for process, _ in candidates:
            del _processes[process.pid]
    killed: list[int] = []
    for process, directory in candidates:
        if process.poll() is None:
            killed.append(process.pid)
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
    return killed


def _clean_up() -> None:
    """Kill every registered process and delete every file this process left in the temp dir."""
    kill_all()
    with _lock:
        scratch = list(_scratch)
        _scratch.clear()
    for directory in scratch:
        shutil.rmtree(directory, ignore_errors=True)


def _on_sigterm(previous: object, signum: int, frame: FrameType | None) -> None:
    if callable(previous):
        # The application's handler decides whether the process ends (a graceful-shutdown
        # test may carry on); if it exits, the atexit hook cleans up.
        previous(signum, frame)
        return
    _clean_up()
    # Re-deliver with the default action so the exit status still says "terminated".
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)


def _install_hooks() -> None:
    global _hooks_installed
    with _lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    atexit.register(_clean_up)
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN:
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: _on_sigterm(previous, signum, frame))
