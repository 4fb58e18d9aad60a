"""Exceptions raised while preparing real servers for tests.

Every failure to bring a server up is a hard error that names its cause and,
where a file, binary or Python package is missing, the command that provides
it. Nothing here ever turns into a skip: a suite that cannot start its
servers must fail.
"""

from __future__ import annotations

__all__ = [
    "MissingBinaryError",
    "MissingDependencyError",
    "PortInUseError",
    "RawReplyError",
    "ServerSetupError",
    "ServerStartError",
]

#: How a redis-oxide checkout gets every binary; each message also says what an installed user does.
SETUP_HINT = "run `make setup` in a redis-oxide checkout"
#: The extra that declares what the pytest fixtures import (pytest-asyncio, cryptography).
TESTING_EXTRA = "pip install 'redis-oxide[testing]'"
#: The extra that adds the Redis Stack binaries and modules (Linux x86-64 only, 170 MB).
STACK_EXTRA = "pip install 'redis-oxide[testing-stack]'"


class ServerSetupError(RuntimeError):
    """Base class for every error raised by `redis_oxide.testing`."""


class MissingBinaryError(ServerSetupError):
    """A server binary, module or library directory does not exist."""


class MissingDependencyError(ServerSetupError):
    """A Python package that a fixture needs is not installed; the message says how to get it."""


class ServerStartError(ServerSetupError):
    """A server process exited or did not answer PING before its deadline."""


class PortInUseError(ServerStartError):
    """The port chosen for a server was taken before the server could bind it."""


class RawReplyError(ServerSetupError):
    """An error reply (``-ERR ...``) read by the raw RESP helper.

    Attributes:
        message: The error text without the leading ``-``.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The error code, the first word of the message (``ERR``, ``NOPERM`` ...)."""
        return self.message.split(" ", 1)[0]
