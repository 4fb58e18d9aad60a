"""Free loopback ports for server processes.

A probe can only say a port was free a moment ago: another process may bind
it before the server does. Callers therefore treat a bind failure as "try a
new port" (see `ServerProcess.start`). Ports come from below Linux's default
ephemeral range (32768-60999) so outgoing client connections, which the
kernel numbers from that range, never collide with them; within this process
a port is handed out once, so parallel fixtures never share one.
"""

from __future__ import annotations

import random
import socket
import threading

__all__ = ["LOOPBACK", "free_port"]

LOOPBACK = "127.0.0.1"

# Below the ephemeral range and above the ports other developer tools favour
# (8000s, 6379-6399 for a locally installed Redis).
_PORT_RANGE = (20000, 32000)
_MAX_PROBES = 200

_lock = threading.Lock()
_handed_out: set[int] = set()


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """Return a loopback TCP port that was free when probed and is not yet handed out.

    Returns:
        The port number.

    Raises:
        OSError: No free port was found after many probes.
    """
    rng = random.SystemRandom()
    with _lock:
        for _ in range(_MAX_PROBES):
            port = rng.randrange(*_PORT_RANGE)
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
    raise OSError(f"no free loopback port in {_PORT_RANGE} after {_MAX_PROBES} probes")
