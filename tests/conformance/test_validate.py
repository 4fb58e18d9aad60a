"""The conformance checker itself: it rejects what it must, so a passing entry means something."""

from __future__ import annotations

from typing import Any

import pytest

from redis_oxide._generated import Commands

from ._validate import AnyReply, Declared, declared_type, validate


def _declared(method: str, *args: Any, string_type: type[Any] = bytes, **kwargs: Any) -> Any:
    return declared_type(getattr(Commands, method), args, kwargs, string_type)


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "bad"),
    [
        ("incr", ("k",), {}, True),
        ("incr", ("k",), {}, b"1"),
        ("get", ("k",), {}, "text"),
        ("zscore", ("z", "m"), {}, 1),
        ("smembers", ("s",), {}, [b"a"]),
        ("hgetall", ("h",), {}, [b"f", b"v"]),
        ("zrange", ("z", 0, -1), {"withscores": True}, [[b"a", 1.0]]),
        ("zrange", ("z", 0, -1), {"withscores": True}, [(b"a", 1)]),
    ],
)
def test_strict_validation_rejects_a_near_miss(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], bad: object
) -> None:
    assert validate(bad, _declared(method, *args, **kwargs)) is not None


def test_string_type_follows_the_client() -> None:
    assert validate("v", _declared("get", "k", string_type=str)) is None
    assert validate(b"v", _declared("get", "k", string_type=str)) is not None
    assert validate(b"v", _declared("get", "k")) is None


def test_the_overload_is_chosen_from_the_call() -> None:
    plain = _declared("zrange", "z", 0, -1)
    scored = _declared("zrange", "z", 0, -1, withscores=True)
    assert plain.overload is not None
    assert scored.overload is not None
    assert plain.overload != scored.overload
    assert validate([b"a"], plain) is None
    assert validate([(b"a", 1.5)], scored) is None
    assert validate([(b"a", 1.5)], plain) is not None


def test_the_provisional_alias_admits_any_decoded_reply() -> None:
    catch_all = Declared(AnyReply, "Reply", None, True)
    assert validate([b"a", 1, None, {b"k": [1.5]}, True], catch_all) is None
