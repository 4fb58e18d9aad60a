"""The record of every server process this Python process started.

Rules: a process is registered before anything can fail after its spawn and
unregistered only once it has been reaped, so `kill_all` can always find
leftovers. `kill_all` runs from atexit and from a SIGTERM handler, and is
safe to call from both (it only sends SIGKILL and reaps).
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import subprocess
import threading
from types import FrameType

__all__ = ["kill_all", "register", "registered_pids", "unregister"]

_lock = threading.Lock()
_processes: dict[int, subprocess.Popen[bytes]] = {}
_hooks_installed = False


def register(process: subprocess.Popen[bytes]) -> None:
    """Record a freshly spawned server process.

    Args:
        process: The child process.
    """
    with _lock:
        _processes[process.pid] = process
    _install_hooks()


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
    """SIGKILL and reap every registered process.

    Args:
        keep: Pids to leave alone (for example those an enclosing test session owns).

    Returns:
        The pids that were still running.
    """
    with _lock:
        candidates = [p for pid, p in _processes.items() if pid not in keep]
        for process in candidates:
            del _processes[process.pid]
    killed: list[int] = []
    for process in candidates:
        if process.poll() is None:
            killed.append(process.pid)
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    return killed


def _on_sigterm(previous: object, signum: int, frame: FrameType | None) -> None:
    kill_all()
    if callable(previous):
        previous(signum, frame)
        return
    # Re-deliver with the default action so the exit status still says "terminated".
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)


def _install_hooks() -> None:
    global _hooks_installed
    with _lock:
        if _hooks_installed:
            return
        _hooks_installed = True
    atexit.register(kill_all)
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN:
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: _on_sigterm(previous, signum, frame))
