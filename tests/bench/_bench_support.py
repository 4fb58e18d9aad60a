"""What the harness's tests share: the repository, a copy of its source, a harness to interrupt.

Imported as ``_bench_support``: pytest puts this directory on ``sys.path`` for its test
modules (they are not in a package), and mypy checks the directory the same way.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]


def copy_source(into: Path) -> Path:
    """Copy the working tree's ``redis_oxide`` to ``into/src`` (a baseline tree); return it."""
    source = into / "src"
    shutil.copytree(
        ROOT / "src" / "redis_oxide",
        source / "redis_oxide",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return source


def refused(port: int) -> bool:
    """Whether nothing listens on ``port`` of the loopback address any more."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


@contextlib.contextmanager
def harness(*args: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m bench ARGS``, its progress (stderr) readable; killed on the way out."""
    argv = [sys.executable, "-m", "bench", *args]
    with subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def progress(process: subprocess.Popen[str]) -> IO[str]:
    """The harness's progress lines, as they come (the pipe stays open when a loop breaks)."""
    assert process.stderr is not None
    return process.stderr


def interrupt(process: subprocess.Popen[str], signum: int = signal.SIGTERM) -> None:
    """Send ``signum`` and check that the harness ends as interrupted (status 130)."""
    process.send_signal(signum)
    status = process.wait(timeout=30)
    assert status == 130, f"the interrupted harness exited {status}"
