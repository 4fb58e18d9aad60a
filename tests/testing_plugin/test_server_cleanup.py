"""Servers and their files do not outlive the process that started them, unless it goes on.

A SIGTERM that will end the process (no Python handler before redis-oxide's) kills every
server and removes its directory and the TLS material; a SIGTERM that an application's own
handler takes care of (a graceful-shutdown test, say) leaves the run's servers alone. The
session-end leak check removes the directory of each server it kills. Each case runs in a
subprocess with a temporary directory of its own, so leftovers can be counted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

_HANDLED = """
import os, signal, sys, time
from redis_oxide.testing import RedisServerInfo, new_server, raw_command

received = []
signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
process = new_server("7")
process.start()
os.kill(os.getpid(), signal.SIGTERM)
while not received:
    time.sleep(0.01)
try:
    print(raw_command(RedisServerInfo.from_process(process).endpoint, "PING"))
finally:
    process.close()
"""

_UNHANDLED = """
import sys, time
from redis_oxide.testing import generate_tls_material, new_server

process = new_server("7")
process.start()
material = generate_tls_material()
print(process.pid, process.directory, material.directory, flush=True)
time.sleep(60)
"""


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A temporary directory with a short path: unix socket paths must stay under 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="ro-scratch-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _env(tmp: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    env["TMPDIR"] = str(tmp)
    return env


def _leftovers(tmp: Path) -> list[str]:
    return sorted(path.name for path in tmp.iterdir() if path.name.startswith("redis-oxide-"))


def test_sigterm_that_a_python_handler_takes_leaves_the_servers_running(scratch: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _HANDLED],
        env=_env(scratch),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "b'PONG'"
    assert _leftovers(scratch) == []


def test_sigterm_that_ends_the_process_kills_servers_and_removes_their_files(
    scratch: Path,
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _UNHANDLED],
        env=_env(scratch),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            pid, server_dir, tls_dir = child.stdout.readline().split()
            assert (Path(tls_dir) / "server.key").exists()
            assert len(_leftovers(scratch)) == 2
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=20) == -signal.SIGTERM
        finally:
            child.kill()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)
    assert not Path(server_dir).exists()
    assert not Path(tls_dir).exists()
    assert _leftovers(scratch) == []


_FORGETS_ITS_SERVER = """
from redis_oxide.testing import new_server


def test_forgets_its_server() -> None:
    new_server("7").start()
"""


def test_leak_check_removes_the_directory_of_the_server_it_kills(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, scratch: Path
) -> None:
    monkeypatch.setenv("TMPDIR", str(scratch))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_leak=_FORGETS_ITS_SERVER)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*server processes outlived their fixtures and were killed*"])
    assert _leftovers(scratch) == []
