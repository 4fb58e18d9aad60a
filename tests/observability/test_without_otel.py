"""redis-oxide without OpenTelemetry installed: clients work, ``telemetry=`` says what to install.

OpenTelemetry is an optional extra, so this needs a process of its own: a meta-path finder
that refuses ``opentelemetry`` is installed before redis-oxide is imported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from redis_oxide.testing import RedisServerInfo

pytestmark = pytest.mark.timeout(60)

_SCRIPT = textwrap.dedent(
    """
    import asyncio
    import sys


    class RefuseOpenTelemetry:
        def find_spec(self, name, path=None, target=None):
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ModuleNotFoundError(f"No module named {name!r} (refused by the test)")
            return None


    sys.meta_path.insert(0, RefuseOpenTelemetry())

    import redis_oxide


    async def main(host, port):
        async with redis_oxide.Redis(host, port) as r:
            await r.ping()
            report = await r.health()
            assert report.healthy, report
        for option in (True, redis_oxide.Telemetry()):
            try:
                redis_oxide.Redis(host, port, telemetry=option)
            except ImportError as exc:
                print("refused:", exc)
            else:
                raise AssertionError("telemetry=True worked without opentelemetry")
        try:
            redis_oxide.configure_telemetry(True)
        except ImportError:
            print("configure refused")
        redis_oxide.configure_telemetry(None)
        async with redis_oxide.Redis(host, port, telemetry=False) as r:
            await r.ping()
        assert not any(m.startswith("opentelemetry") for m in sys.modules)
        print("ok")


    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


def test_clients_work_without_opentelemetry_and_telemetry_says_what_to_install(
    redis_stack: RedisServerInfo,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, redis_stack.host, str(redis_stack.port)],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "ok"
    refusals = [line for line in lines if line.startswith("refused:")]
    assert len(refusals) == 2
    assert "pip install 'redis-oxide[otel]'" in refusals[0]
    assert "configure refused" in lines
