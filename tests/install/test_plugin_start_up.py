"""What loading redis-oxide's pytest plugin costs a project that never uses its fixtures.

pytest imports the plugin in every run of every project that has redis-oxide installed, so
loading it must import pytest and the standard library only: the client (pydantic, hiredis,
the generated command modules) is imported when a fixture first runs. An application that
imports redis_oxide itself and then calls ``pytest.main()`` must start cleanly with warnings
as errors. Each case runs pytest in a subprocess of this virtualenv, in a project of its own;
``test_wheel.py`` checks the same through the entry point of an installed wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

_STRICT_INI = """\
[pytest]
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""

_LOADED_MODULES_TEST = """
import sys


def test_the_plugin_imported_nothing_of_the_client(pytestconfig) -> None:
    assert pytestconfig.pluginmanager.get_plugin("redis_oxide_pytest") is not None
    loaded = sorted(
        name for name in sys.modules if name.split(".")[0] in ("redis_oxide", "pydantic", "hiredis")
    )
    assert loaded == []
"""

_USES_A_FIXTURE = """
from redis_oxide.testing import raw_command


def test_redis_7(redis_7) -> None:
    assert raw_command(redis_7.endpoint, "PING") == b"PONG"
"""


def _run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        name: value
        for name, value in os.environ.items()
        if name != "PYTHONPATH" and not name.startswith(("REDIS_OXIDE_", "PYTEST_"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


def _project(where: Path, files: dict[str, str]) -> Path:
    where.mkdir()
    for name, text in files.items():
        (where / name).write_text(text)
    return where


def test_loading_the_plugin_imports_no_module_of_the_client(tmp_path: Path) -> None:
    project = _project(
        tmp_path / "app", {"pytest.ini": _STRICT_INI, "test_app.py": _LOADED_MODULES_TEST}
    )
    # The plugin module by name, as the entry point of an installed wheel loads it.
    result = _run(
        project, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:redis_oxide",
        "-p", "redis_oxide_pytest",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_importing_redis_oxide_before_pytest_main_starts_cleanly_with_warnings_as_errors(
    tmp_path: Path,
) -> None:
    project = _project(
        tmp_path / "app",
        {"pytest.ini": _STRICT_INI, "test_app.py": "def test_ok() -> None:\n    pass\n"},
    )
    script = "import sys\nimport redis_oxide\nimport pytest\nsys.exit(pytest.main(['-q']))\n"
    result = _run(project, "-c", script)
    assert "PytestAssertRewriteWarning" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_plugin_named_in_pytest_plugins_without_autoload_provides_the_fixtures(
    tmp_path: Path,
) -> None:
    project = _project(
        tmp_path / "app",
        {
            "pytest.ini": "[pytest]\nfilterwarnings = error\n",
            "conftest.py": 'pytest_plugins = ["redis_oxide.testing.plugin"]\n',
            "test_app.py": _USES_A_FIXTURE,
        },
    )
    result = _run(
        project, "-m", "pytest", "-p", "no:cacheprovider", PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
