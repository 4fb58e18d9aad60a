"""Hit methods: a cached client's plain reads, answered from the cache in one call.

A call of a generated method costs a Python call of its own before the executor's: a
quarter of a hit's time. A cached client therefore gets, for each plain read its cache
caches, a function of the same name and parameters that makes the executor's hit itself.

Rules this module keeps:

- Plain reads are listed by the generator (``_generated._plain.PLAIN_READS``): the method
  sends the command's words, then each parameter as given, with a fixed parser. The hit
  function builds the same argument tuple and passes the same parser, and does only what
  ``CachingExecutor._execute`` does for a hit whose entry has its done future: the same
  lookup, the same checks (parser, expiry, the countdown to the next loop turn) and the same
  marks. Anything else (a miss, an entry with no done future yet, the turn every
  ``HITS_PER_TURN`` hits, an argument that cannot be hashed) is that executor's call with
  those arguments, so the two cannot answer differently.
- They are bound onto the client as instance attributes by ``ClientBase._bind`` (``bind``):
  only over a ``CachingExecutor`` itself, not a bypassing view of it, and only for a method
  the client's class takes from the generated package (a method the client overrides keeps
  its own code). Telemetry sits beneath a cache (``traced_cache``), so a hit is traced by
  neither path. Binding again (a view) first removes what a copy of the client carried.
- One template, compiled once per client class and method: the names substituted in it are
  the generated identifiers, checked as identifiers first. A function shows the method's
  docstring, signature and type hints (``__wrapped__``, ``__signature__``).
"""

# pyright: reportPrivateUsage=false
# (The hit functions read the executor's and the store's private state, as its hit path does.)

from __future__ import annotations

import inspect
import keyword
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeAlias

from redis_oxide._cache import CachingExecutor
from redis_oxide._command import CommandMeta
from redis_oxide._generated._plain import PLAIN_READS

__all__ = ["bind"]

HitMethod: TypeAlias = Callable[..., Awaitable[Any]]

# The executor's hit (``CachingExecutor._execute``) for one method; the factory's parameters
# and every local start with ``_``, which no generated parameter does.
_TEMPLATE: Final = """\
def _make(_entries, _cache, _execute, _meta, _parser, _monotonic):
    def {name}({params}):
        _args = ({items},)
        try:
            _entry = _entries.get(_args)
        except (TypeError, ValueError):
            return _execute(_meta, _args, _parser)
        if _entry is not None and _entry[1] is _parser:
            _expires = _entry[2]
            if _expires is None or _expires > _monotonic():
                _left = _cache._left
                if _left:
                    _done = _entry[9]
                    if _done is not None:
                        _entry[7] = True
                        _cache._left = _left - 1
                        return _done
        return _execute(_meta, _args, _parser)
    return {name}
"""

# Per client class, what it may bind: name, metadata, parser, the method, the factory of its
# hit function and the method's signature without ``self`` (worked out once per class).
_Factory: TypeAlias = Callable[..., HitMethod]
_Plain: TypeAlias = tuple[str, CommandMeta, Any, Callable[..., Any], _Factory, inspect.Signature]
# (Weak: a class made on the fly is not kept alive by having had a cached client.)
_by_class: weakref.WeakKeyDictionary[type, list[_Plain]] = weakref.WeakKeyDictionary()


def bind(client: object, executor: object) -> None:
    """Give ``client`` the hit methods of ``executor``'s cache, or none (module rules).

    Args:
        client: A client facade whose executor was just bound.
        executor: That executor.
    """
    attributes = vars(client)
    for name in PLAIN_READS:
        attributes.pop(name, None)  # a view's copy of its root's
    if type(executor) is not CachingExecutor or executor._entries is not executor._cache._entries:
        return
    plan = executor._plan
    entries, cache, execute = executor._entries, executor._cache, executor._execute
    for name, meta, parser, method, factory, signature in _plain_reads(type(client)):
        index = plan.get(meta.name)
        if index is None or index < 0:
            continue  # not cached by this cache
        hit = factory(entries, cache, execute, meta, parser, time.monotonic)
        # What help(), inspect.signature() and get_type_hints() show: the method's.
        hit.__doc__, hit.__module__ = method.__doc__, method.__module__
        hit.__qualname__, hit.__annotations__ = method.__qualname__, method.__annotations__
        vars(hit).update(__wrapped__=method, __signature__=signature)  # (hints: its globals)
        attributes[name] = hit


def _plain_reads(owner: type) -> list[_Plain]:
    """The plain reads ``owner`` takes from the generated package, with their hit factories."""
    known = _by_class.get(owner)
    if known is None:
        found: list[_Plain] = []
        for name, (meta, params, parser) in PLAIN_READS.items():
            method = getattr(owner, name, None)
            if method is None or not getattr(method, "__module__", "").startswith(_GENERATED):
                continue  # the client's own code: it runs
            factory = _compile(name, meta.name.split(" "), params)
            if factory is not None:
                whole = inspect.signature(method)
                signature = whole.replace(parameters=list(whole.parameters.values())[1:])
                found.append((name, meta, parser, method, factory, signature))
        _by_class[owner] = known = found
    return known


_GENERATED: Final = "redis_oxide._generated."


def _compile(
    name: str, words: list[str], params: tuple[str, ...]
) -> Callable[..., HitMethod] | None:
    """The factory of ``name``'s hit function; None if a name is not a plain identifier."""
    for identifier in (name, *params):
        if not identifier.isidentifier() or keyword.iskeyword(identifier):
            return None
        if identifier.startswith("_"):
            return None  # it could hide the template's own names
    items = ", ".join([*(repr(word) for word in words), *params])
    source = _TEMPLATE.format(name=name, params=", ".join(params), items=items)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<redis_oxide hit method {name}>", "exec"), namespace)
    factory: Callable[..., HitMethod] = namespace["_make"]
    return factory
