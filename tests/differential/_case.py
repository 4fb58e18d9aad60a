"""A differential case: one conformance entry and the redis-py call that does the same.

Rules:

- A case reuses a conformance entry whole (setup, prepare, cleanup and the redis-oxide call),
  so the two suites never disagree about what a command is given; the differential tables add
  only the redis-py call, as ``lambda p: p.zrange(...)`` over an ``Oracle``.
- The redis-py call is the one a redis-py user would write: the library's method where it has
  one, else ``execute_command`` (which still applies redis-py's reply callbacks), and it sends
  the same command: the same keys, values and options.
- A case's group is the module of the generated method (``sorted_set``, ``stream`` ...).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis_oxide._generated import Commands
from tests.conformance._entry import Entry

__all__ = ["Case", "Oracle", "PyCall", "cases"]


class Oracle:
    """The redis-py client with the run-time values the entry's ``prepare`` found.

    Args:
        client: A ``redis.asyncio.Redis``.
        context: The entry's run-time values (a script digest, another client's id ...).
    """

    def __init__(self, client: Any, context: dict[str, Any]) -> None:
        self.client = client
        self.context = context

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


PyCall = Callable[[Oracle], Awaitable[object]]


@dataclass(frozen=True)
class Case:
    """One invocation run on both clients.

    Attributes:
        entry: The conformance entry: setup, prepare, cleanup and the redis-oxide call.
        py: The redis-py call.
        group: The command group (the generated module's name).
    """

    entry: Entry
    py: PyCall
    group: str

    @property
    def id(self) -> str:
        """The entry's id: method name and variant."""
        return self.entry.id


def cases(
    entries: list[Entry],
    py: Mapping[str, PyCall],
    left_out: Mapping[str, str],
    extra: Sequence[tuple[Entry, PyCall]] = (),
) -> list[Case]:
    """Pair every entry of a conformance table with its redis-py call.

    Args:
        entries: The conformance table's entries.
        py: The redis-py call per entry id.
        left_out: Entry ids with no redis-py counterpart, each with the reason.
        extra: Invocations of the differential suite's own (edge values, empty replies),
            each an entry with its redis-py call; their ids must be new.

    Returns:
        One case per entry in ``py``, in table order, then the extra ones.

    Raises:
        AssertionError: An entry is in neither mapping, or in both, or a key names no entry.
    """
    ids = [entry.id for entry in entries]
    unknown = (set(py) | set(left_out)) - set(ids)
    both = set(py) & set(left_out)
    missing = set(ids) - set(py) - set(left_out)
    if unknown or both or missing:
        raise AssertionError(
            f"differential table out of step with its conformance table: unknown {unknown}, "
            f"paired and left out {both}, neither paired nor left out {missing}"
        )
    clashes = {entry.id for entry, _ in extra} & set(ids)
    if clashes or len({entry.id for entry, _ in extra}) != len(extra):
        raise AssertionError(
            f"extra differential entries reuse ids: {clashes or 'among themselves'}"
        )
    paired = [(entry, py[entry.id]) for entry in entries if entry.id in py]
    return [Case(entry, call, _group(entry.method)) for entry, call in [*paired, *extra]]


def _group(method: str) -> str:
    return str(getattr(Commands, method).__module__.rpartition(".")[2])
