"""Check a reply against the return type its generated method declares.

Rules:

- The declared type is read from the method (or from the overload the call's arguments
  select), with ``StrT`` replaced by ``bytes`` or ``str`` as the client decodes.
- Validation is pydantic's, in strict mode, and is followed by a shape check: strict pydantic
  still turns an ``int`` into a ``float``, and a reply the client builds must already have
  the exact Python types its annotation names, not merely convertible ones.
- The provisional ``Reply`` alias becomes a recursive alias pydantic understands; it accepts
  any decoded value, so such commands are reported as imprecise, never as wrong.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ForwardRef, Literal, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, InstanceOf, TypeAdapter, ValidationError
from typing_extensions import TypeAliasType

from redis_oxide._generated import StrT
from redis_oxide._parsers import Reply

__all__ = ["Declared", "declared_type", "is_provisional", "shape", "validate"]

#: Any decoded RESP value, recursively: what the provisional ``Reply`` alias admits.
AnyReply = TypeAliasType(
    "AnyReply",
    "bytes | str | bool | int | float | list[AnyReply] | dict[Any, AnyReply] | set[Any] | None",
)


@dataclass(frozen=True)
class Declared:
    """The declared reply type of one call.

    Attributes:
        annotation: The type, ``StrT`` already resolved.
        text: A readable spelling of the type for reports.
        overload: Which overload was selected (its index), or None for a plain method.
        provisional: The method still returns the catch-all ``Reply`` alias.
    """

    annotation: Any
    text: str
    overload: int | None
    provisional: bool


def is_provisional(annotation: Any) -> bool:
    """Tell whether a return annotation is the catch-all ``Reply`` alias."""
    return annotation == Reply or (
        isinstance(annotation, ForwardRef) and annotation.__forward_arg__ == Reply
    )


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    module = sys.modules[func.__module__]
    return typing.get_type_hints(func, globalns=vars(module), localns={"Reply": Reply})


def _awaited(annotation: Any) -> Any:
    if get_origin(annotation) is Awaitable or get_origin(annotation) is typing.Awaitable:
        return get_args(annotation)[0]
    raise TypeError(f"a generated method must return an Awaitable, not {annotation!r}")


def _substitute(tp: Any, string_type: type[Any]) -> Any:
    """Replace ``StrT`` in ``tp`` and the ``Reply`` alias by types pydantic can check."""
    if tp is StrT:
        return string_type
    if isinstance(tp, TypeVar):
        raise TypeError(f"unexpected type variable {tp!r} in a reply type")
    if isinstance(tp, str | ForwardRef) and is_provisional(tp):
        return AnyReply
    if isinstance(tp, type) and issubclass(tp, BaseException):
        # A per-item error the server put in a list (BF.MADD's ``bool | ServerError``).
        instance_of: Any = InstanceOf
        return instance_of[tp]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        # ``Model[StrT]`` is the bare generic model at run time (pydantic returns the class
        # itself when the arguments are its own parameters), so it is parametrised here.
        model: Any = tp
        meta = tp.__pydantic_generic_metadata__
        if meta["origin"] is None and meta["parameters"]:
            return model[tuple(_substitute(p, string_type) for p in meta["parameters"])]
        return tp
    origin = get_origin(tp)
    if origin is None:
        return tp
    args = get_args(tp)
    if origin is Literal or origin is typing.Annotated:
        return tp
    new_args = tuple(_substitute(arg, string_type) for arg in args)
    if origin is Union or origin is types.UnionType:
        return Union[new_args]  # noqa: UP007 - rebuilding a union from a tuple of members
    generic: Any = origin
    return generic[new_args]


def _spelling(tp: Any) -> str:
    text = repr(tp) if get_origin(tp) is not None else getattr(tp, "__name__", repr(tp))
    return text.replace("typing.", "").replace("collections.abc.", "")


def _admits(annotation: Any, value: Any) -> bool:
    """Whether ``value`` can be passed for a parameter annotated ``annotation``.

    Only what overloads are keyed on is decided here (``Literal`` flags, ``None`` against a
    given value); any other annotation admits any non-None value.
    """
    if annotation is type(None) or annotation is None:
        return value is None
    origin = get_origin(annotation)
    if origin is Literal:
        return any(
            value is lit or (type(value) is type(lit) and value == lit)
            for lit in get_args(annotation)
        )
    if origin is Union or origin is types.UnionType:
        return any(_admits(arg, value) for arg in get_args(annotation))
    return value is not None


def _select_overload(
    method: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> int:
    """Pick the first overload the call fits, as a type checker does."""
    overloads = typing.get_overloads(method)
    bound = inspect.signature(method).bind(None, *args, **kwargs)
    bound.apply_defaults()
    values = dict(bound.arguments)
    matching: list[int] = []
    for index, candidate in enumerate(overloads):
        hints = _hints(candidate)
        try:
            inspect.signature(candidate).bind(None, *args, **kwargs)
        except TypeError:
            continue
        if all(_admits(hints[name], value) for name, value in values.items() if name in hints):
            matching.append(index)
    if not matching:
        raise AssertionError(
            f"{method.__qualname__}: no overload matches args={args!r} kwargs={dict(kwargs)!r}"
        )
    return matching[0]


def declared_type(
    method: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    string_type: type[Any],
) -> Declared:
    """Return the reply type ``method(*args, **kwargs)`` declares.

    Args:
        method: The unbound generated method (a function of the class).
        args: Positional arguments of the call, without ``self``.
        kwargs: Keyword arguments of the call.
        string_type: ``bytes`` for a default client, ``str`` with ``decode_responses=True``.

    Returns:
        The resolved type, its spelling and which overload gave it.

    Raises:
        AssertionError: The method is overloaded and no overload fits the call.
    """
    overloads = typing.get_overloads(method)
    index: int | None = None
    source = method
    if overloads:
        index = _select_overload(method, args, kwargs)
        source = overloads[index]
    raw = _awaited(inspect.signature(source).return_annotation)
    provisional = is_provisional(raw)
    resolved = _awaited(_hints(source)["return"])
    annotation = AnyReply if provisional else _substitute(resolved, string_type)
    text = "Reply" if provisional else _spelling(annotation)
    return Declared(annotation, text, index, provisional)


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def shape(value: Any) -> Any:
    """Return the types of ``value``, recursively: what RESP2 and RESP3 must agree on at least.

    Args:
        value: A reply value.

    Returns:
        A nested structure of type names mirroring ``value``.
    """
    if isinstance(value, BaseModel):
        # A generic model's parametrisation is erased at run time, as for any generic class.
        cls = type(value).__pydantic_generic_metadata__["origin"] or type(value)
        fields = [(name, shape(getattr(value, name))) for name in type(value).model_fields]
        return (cls.__name__, fields)
    if isinstance(value, dict):
        return ("dict", sorted({(repr(shape(k)), repr(shape(v))) for k, v in value.items()}))
    if isinstance(value, list | tuple):
        kind = type(value).__name__
        items = [shape(item) for item in value]
        return (kind, items if kind == "tuple" else sorted({repr(item) for item in items}))
    if isinstance(value, set | frozenset):
        return (type(value).__name__, sorted({repr(shape(item)) for item in value}))
    return type(value).__name__


def validate(value: Any, declared: Declared) -> str | None:
    """Check ``value`` against ``declared`` strictly.

    Args:
        value: The reply the client returned.
        declared: The type the method declares for the call.

    Returns:
        None when the value conforms, otherwise a one-line reason.
    """
    try:
        validated = _adapter(declared.annotation).validate_python(value, strict=True)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{first['msg']} at [{where}] ({error.error_count()} errors)"
    if shape(validated) != shape(value):
        return f"needs conversion: {shape(value)!r} is not {shape(validated)!r}"
    return None
