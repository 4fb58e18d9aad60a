"""No public method of the user-facing classes returns ``Any`` or a bare container."""

from __future__ import annotations

import collections.abc as cabc
import inspect
import typing
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager

from redis_oxide import (
    GroupConsumer,
    Library,
    Pipeline,
    PubSub,
    Redis,
    Script,
    Sentinel,
    StreamProducer,
    Transaction,
)
from redis_oxide._parsers import Reply

_BARE: frozenset[object] = frozenset(
    {list, dict, set, tuple, frozenset, cabc.Mapping, cabc.Sequence, cabc.Iterable}
)
# Names the client imports only for type checking (its entry points build pattern objects).
_LOCALNS = {
    "AbstractAsyncContextManager": AbstractAsyncContextManager,
    "Library": Library,
    "Pipeline": Pipeline,
    "Reply": Reply,
    "Script": Script,
    "Transaction": Transaction,
}


def _problems(annotation: object) -> Iterator[str]:
    if annotation is typing.Any:
        yield "Any"
    elif annotation in _BARE:
        yield f"bare {annotation!r}"
    for argument in typing.get_args(annotation):
        yield from _problems(argument)


def _public_callables() -> Iterator[tuple[str, Callable[..., object]]]:
    for cls in (
        Redis,
        Pipeline,
        Transaction,
        Script,
        Library,
        PubSub,
        GroupConsumer,
        StreamProducer,
        Sentinel,
    ):
        for name, function in inspect.getmembers(cls, callable):
            if name.startswith("_") and name != "__call__":
                continue
            for variant in typing.get_overloads(function) or [function]:
                yield f"{cls.__name__}.{name}", variant


def test_public_return_types_are_precise() -> None:
    found: list[str] = []
    checked = 0
    for where, function in _public_callables():
        hints = typing.get_type_hints(function, None, _LOCALNS)
        if "return" not in hints:
            continue
        checked += 1
        found += [f"{where}: {problem}" for problem in _problems(hints["return"])]
    assert found == []
    assert checked > 1000


def test_the_check_catches_any_and_bare_containers() -> None:
    assert list(_problems(list[typing.Any])) == ["Any"]
    # The mistake under test.
    bare: object = cabc.Awaitable[dict]  # type: ignore[type-arg]  # pyright: ignore[reportMissingTypeArgument]
    assert list(_problems(bare)) == ["bare <class 'dict'>"]
    assert list(_problems(cabc.Awaitable[dict[str, int] | None])) == []
