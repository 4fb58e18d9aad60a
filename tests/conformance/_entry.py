"""The shape of a conformance table entry, and the client wrapper that records a call.

Rules:

- An entry names one generated method and holds the call as a lambda over the client. The
  lambda receives a ``Recorder``, which forwards to the real client and remembers which
  method was called with which arguments, so the declared type (and the overload) is taken
  from the call itself, never from a second copy of its arguments.
- Setup is raw commands (independent of the generated surface under test) and, when a value
  is only known at run time (a script digest, a client id), a coroutine.
- Keys are unique per entry (prefixed by the method name), so an entry never reads another's
  data even without a flush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from redis_oxide import Redis, RedisCluster
from redis_oxide._command import ArgT
from redis_oxide._generated import NamespaceBase

__all__ = ["Call", "Entry", "Recorder", "Server", "Setup"]

#: Where an entry runs: the shared Stack server, a disposable server, or a cluster node.
Server = Literal["stack", "factory", "cluster", "cluster_factory"]

Setup = Callable[["Recorder"], Awaitable[object]]


@dataclass(frozen=True)
class Call:
    """One recorded call of a generated method."""

    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class Recorder:
    """Forwards attribute access to a client and records generated-method calls.

    Args:
        client: The client under test (or one of its module namespaces).
        context: Values an entry needs that are only known at run time (ports, ids).
        prefix: ``json.`` for a namespace, so its calls are named as ``Entry.method`` is.
    """

    def __init__(
        self,
        client: Redis[Any] | RedisCluster[Any] | NamespaceBase[Any],
        context: dict[str, Any],
        prefix: str = "",
    ) -> None:
        self.client = client
        self.context = context
        self.calls: list[Call] = []
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.client, name)
        if isinstance(target, NamespaceBase):
            # A module namespace (``r.json``): its calls are recorded as ``json.get``.
            namespace = Recorder(target, self.context, f"{self._prefix}{name}.")
            namespace.calls = self.calls
            return namespace
        if name.startswith("_") or not callable(target):
            return target

        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(Call(self._prefix + name, args, kwargs))
            return target(*args, **kwargs)

        return record

    async def raw(self, *args: ArgT) -> Any:
        """Run a raw command without recording it (setup and clean-up)."""
        assert isinstance(self.client, Redis | RedisCluster), (
            "raw commands run on the client, not a namespace"
        )
        return await self.client.execute_command(*args)


@dataclass(frozen=True)
class Entry:
    """One call of one generated method, with what it needs.

    Attributes:
        method: The generated method's name.
        call: ``lambda r: r.method(...)``; ``r`` is a ``Recorder`` over the client.
        setup: Raw commands run before the call.
        cleanup: Raw commands run after the call, even when it failed (restore CONFIG).
        prepare: A coroutine run after ``setup``, for values known only at run time.
        variant: A label for entries that exercise one more overload or option.
        server: Where the entry runs.
        binary: The reply holds bytes that are not text, so a decoding client cannot run it.
        extra_config: Config directives for a disposable server; ``{aclfile}`` becomes the
            path of an ACL file holding the default user.
    """

    method: str
    call: Callable[[Any], Awaitable[object]]
    setup: Sequence[tuple[ArgT, ...]] = ()
    cleanup: Sequence[tuple[ArgT, ...]] = ()
    prepare: Setup | None = None
    variant: str = ""
    server: Server = "stack"
    binary: bool = False
    extra_config: tuple[tuple[str, ...], ...] = ()

    @property
    def id(self) -> str:
        """The test id: method name and variant."""
        return f"{self.method}-{self.variant}" if self.variant else self.method
