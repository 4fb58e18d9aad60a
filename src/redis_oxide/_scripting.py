"""Lua scripts (EVALSHA with NOSCRIPT recovery) and function libraries (FUNCTION LOAD, FCALL).

Rules this module keeps:

- A script is identified by the SHA1 of its source, computed locally: calling it never
  needs a round trip to learn the digest. On NOSCRIPT (the server restarted, SCRIPT FLUSH)
  the script is loaded and the call retried. A client whose commands go to several servers
  (a Sentinel replica client with several connections) may load it on one and retry on
  another: a second NOSCRIPT retries once more with SCRIPT LOAD and EVALSHA in one batch,
  which runs on one connection, so they meet on one server. A cluster client loads it on
  the node that answered NOSCRIPT (``_reload``), and a script called without keys on every
  node as well, since its retry may run on any of them.
- In a pipeline or transaction the script is loaded at the head of the batch by the
  pipeline itself (``run_script``), so the queued EVALSHA cannot meet NOSCRIPT.
- A library is loaded again only when the server says the function is missing AND the
  library is not there (restart, FUNCTION FLUSH), and never with REPLACE unless asked: a
  misspelled function name, or an error text a function returns, never reloads anything,
  and an old ``Library`` object never replaces a newer deployed library.
- Scripts and libraries run through any ``CommandExecutor`` (a client, a cluster client):
  they never reach into a client's internals.
- Reply types of scripts and functions are unknown to redis-oxide: the value is the
  recursive ``Reply``, unless the caller gives a parser, whose return type becomes the
  call's type.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: scripts run through the executor seam,
# ``_execute``.)

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar, cast, overload

from redis_oxide._command import ArgT, CommandExecutor, CommandMeta, KeyT, ReplyParser, ValueT
from redis_oxide._exceptions import NoScriptError, ServerError
from redis_oxide._executor import Executor
from redis_oxide._generated import _meta as _m
from redis_oxide._parsers import Reply
from redis_oxide._pipeline import Pipeline
from redis_oxide._scripting_names import library_name

__all__ = ["Library", "Script", "ScriptLoader", "ScriptRunner", "ServerLookup"]

T = TypeVar("T")

# The server's exact reply to FCALL of a function it does not know (Redis 7.0 to 7.4).
_FUNCTION_NOT_FOUND = "ERR Function not found"


#: Loads a script after a NOSCRIPT: ``(error, source, keyless)``; ``keyless`` when the call
#: had no keys, so its retry may run on another node than the one that answered.
ScriptLoader = Callable[[NoScriptError, bytes, bool], Awaitable[object]]
#: The executor of the server at an error's address (a cluster node): a library is checked
#: and loaded on the server that found its function missing.
ServerLookup = Callable[[str], CommandExecutor]


class ScriptRunner(CommandExecutor, Protocol):
    """What queues (or runs) scripts and function calls: a ``Pipeline`` or a ``Transaction``.

    A client is not one: a script or a function called without a pipeline runs on its own
    client, with its NOSCRIPT or missing-library recovery.
    """

    def run_script(
        self,
        script: Script,
        keys: Sequence[ArgT] = (),
        args: Sequence[ArgT] = (),
        *,
        parser: ReplyParser[T],
    ) -> Awaitable[T]:
        """Queue (or run) ``script``; see ``Pipeline.run_script``."""
        ...


def _listed(what: str, values: Iterable[ArgT] | None) -> list[ArgT]:
    # None is not in the signatures, but redis-py's keys=None/args=None habit reaches here.
    if values is None:
        raise TypeError(f"{what} must be a list of values, not None (pass () for none)")
    if isinstance(values, str | bytes | memoryview):
        raise TypeError(f"{what} must be a list of values, not a single {type(values).__name__}")
    try:
        return list(values)
    except TypeError:
        raise TypeError(f"{what} must be a list of values, not {type(values).__name__}") from None


def _runner(pipeline: object, called: str) -> ScriptRunner:
    # A client passes for a CommandExecutor, but queues nothing and would skip the recovery.
    if not hasattr(pipeline, "run_script"):
        raise TypeError(
            "pipeline must be a pipeline or transaction (client.pipeline()) in "
            f"{called}, not {type(pipeline).__name__}: without one it runs on its own client"
        )
    return cast("ScriptRunner", pipeline)


def _identity(reply: Any) -> Any:
    return reply


class Script:
    """A Lua script bound to a client; call it to run it by SHA1.

    Built by ``Redis.register_script``.

    Args:
        client: What runs it when no pipeline is given (a client's executor).
        source: The Lua source.
        read_only: Run with EVALSHA_RO (the script must not write; replicas may serve it).
    """

    __slots__ = ("_batches", "_client", "_reload", "read_only", "sha", "source")

    def __init__(
        self, client: CommandExecutor, source: str | bytes, *, read_only: bool = False
    ) -> None:
        self._client = client
        # Loads the script where a NOSCRIPT came from (a cluster node); None loads it with
        # ``load()``, through the client.
        self._reload: ScriptLoader | None = None
        # Runs the last retry's batch (the client's executor); None: a second NOSCRIPT is
        # raised.
        self._batches: Executor | None = None
        #: The Lua source as sent to the server.
        self.source: bytes = source.encode() if isinstance(source, str) else bytes(source)
        #: The SHA1 digest (hex) the server knows the script by.
        self.sha: str = hashlib.sha1(self.source).hexdigest()
        #: Whether it runs with EVALSHA_RO.
        self.read_only: bool = read_only

    @overload
    def __call__(
        self,
        keys: Iterable[KeyT] = (),
        args: Iterable[ValueT] = (),
        *,
        pipeline: ScriptRunner | None = None,
    ) -> Awaitable[Reply]: ...
    @overload
    def __call__(
        self,
        keys: Iterable[KeyT] = (),
        args: Iterable[ValueT] = (),
        *,
        parser: ReplyParser[T],
        pipeline: ScriptRunner | None = None,
    ) -> Awaitable[T]: ...
    def __call__(
        self,
        keys: Iterable[KeyT] = (),
        args: Iterable[ValueT] = (),
        *,
        parser: ReplyParser[Any] | None = None,
        pipeline: ScriptRunner | None = None,
    ) -> Awaitable[Any]:
        """Run the script (EVALSHA, loading it on NOSCRIPT), or queue it in ``pipeline``.

        Args:
            keys: Key names the script touches (``KEYS`` in Lua).
            args: Further arguments (``ARGV`` in Lua).
            parser: Turns the reply into the value; by default the reply is the value.
            pipeline: Queue the call in this pipeline or transaction instead of running it.

        Returns:
            An awaitable of the script's value (a pipeline handle when queued).

        Raises:
            TypeError: ``keys`` or ``args`` is a bare string, a value cannot be sent, or
                ``pipeline`` is not a pipeline or transaction.
            ServerError: The script failed (``ERR ... script: ...``).
        """
        key_list = _listed("keys", keys)
        arg_list = _listed("args", args)
        if pipeline is not None:
            runner = _runner(pipeline, "a script call")
            return runner.run_script(self, key_list, arg_list, parser=parser or _identity)
        return self._run(key_list, arg_list, parser)

    async def _run(self, keys: list[ArgT], args: list[ArgT], parser: Any) -> Any:
        meta = _m.EVALSHA_RO if self.read_only else _m.EVALSHA
        wire = (meta.name, self.sha, len(keys), *keys, *args)
        client = self._client
        try:
            return await client._execute(meta, wire, parser)
        except NoScriptError as exc:
            if self._reload is None:
                await self.load()
            else:
                await self._reload(exc, self.source, not keys)
        try:
            return await client._execute(meta, wire, parser)
        except NoScriptError:
            if self._batches is None:
                raise
        # The load and the retry reached different servers (a client that spreads its
        # commands over replicas): SCRIPT LOAD and EVALSHA in one batch run on one connection.
        retry = Pipeline[Any]._over(self._batches, transaction=False, raise_on_error=True)
        handle = retry.run_script(self, keys, args, parser=parser or _identity)
        await retry.execute()
        return handle.value

    async def load(self) -> str:
        """Load the script into the server's script cache (SCRIPT LOAD).

        Loading first is never needed: a call that meets NOSCRIPT loads the script where
        its retry runs. ``load()`` checks that the script compiles and spares first calls
        that retry, on the servers it reaches: every node of a cluster, but only one server
        on a client whose commands go to several (a Sentinel replica client with several
        connections loads it on the replica its next command would use).

        Returns:
            The SHA1 the server reports (equal to ``sha``).

        Raises:
            ServerError: The script does not compile.
        """
        sha: bytes | str = await self._client._execute(
            _m.SCRIPT_LOAD, ("SCRIPT", "LOAD", self.source), None
        )
        return sha.decode() if isinstance(sha, bytes) else sha

    def __repr__(self) -> str:
        mode = " read_only" if self.read_only else ""
        return f"<redis_oxide.Script sha={self.sha}{mode}>"


class Library:
    """A Redis function library (``#!lua name=...``) and typed calls of its functions.

    Calling a function when the server has no library of this name (restart, FUNCTION
    FLUSH) loads the library (FUNCTION LOAD, without REPLACE) and retries once. When the
    library is there but the function is not (a misspelled name, another version deployed),
    the server's error is raised and nothing is loaded. Calls queued in a pipeline are not
    retried: ``await library.load()`` first.

    Args:
        client: What loads it and calls its functions (a client's executor).
        code: The library source, starting with a ``#!lua name=<library>`` line.

    Raises:
        ValueError: The code has no ``#!<engine> name=<library>`` first line.
    """

    __slots__ = ("_client", "_server_at", "code", "name")

    def __init__(self, client: CommandExecutor, code: str | bytes) -> None:
        self._client = client
        # The server a "Function not found" came from (a cluster node); None: the client,
        # which has one server.
        self._server_at: ServerLookup | None = None
        #: The library source as sent to the server.
        self.code: bytes = code.encode() if isinstance(code, str) else bytes(code)
        name = library_name(self.code)
        if name is None:
            raise ValueError("a function library starts with a '#!lua name=<library>' line")
        #: The library name from the code's first line, as the server reads it (quotes off).
        self.name: str = name

    async def load(self, *, replace: bool = False) -> str:
        """Load the library (FUNCTION LOAD).

        Args:
            replace: Replace a loaded library of the same name (FUNCTION LOAD REPLACE);
                without it, loading a library the server already has is an error.

        Returns:
            The library name the server reports.

        Raises:
            ServerError: The code does not compile, or the library exists and
                ``replace`` is False.
        """
        return await self._load_on(self._client, replace)

    async def _load_on(self, server: CommandExecutor, replace: bool = False) -> str:
        args: tuple[ArgT, ...] = ("FUNCTION", "LOAD", *(["REPLACE"] if replace else []))
        name: bytes | str = await server._execute(_m.FUNCTION_LOAD, (*args, self.code), None)
        return name.decode() if isinstance(name, bytes) else name

    async def is_loaded(self) -> bool:
        """Whether the server has a library of this name (any version of it).

        On a cluster the answer is one primary's.

        Returns:
            True when ``FUNCTION LIST LIBRARYNAME <name>`` lists it.
        """
        return await self._is_loaded_on(self._client)

    async def _is_loaded_on(self, server: CommandExecutor) -> bool:
        wire = ("FUNCTION", "LIST", "LIBRARYNAME", self.name)
        listed: list[object] = await server._execute(_m.FUNCTION_LIST, wire, None)
        for library in listed:
            entry: dict[object, object] = (
                cast("dict[object, object]", library)
                if isinstance(library, dict)
                else _pairs(library)
            )
            found = entry.get("library_name", entry.get(b"library_name"))
            if found in (self.name, self.name.encode()):
                return True
        return False

    @overload
    def call(
        self,
        function: str,
        keys: Iterable[KeyT] = (),
        args: Iterable[ValueT] = (),
        *,
        read_only: bool = False,
        pipeline: ScriptRunner | None = None,
    ) -> Awaitable[Reply]: ...
    @overload
    def call(
        self,
        function: str,
        keys: Iterable[KeyT] = (),
        args: Iterable[ValueT] = (),
        *,
        parser: ReplyParser[T],
        read_only: bool = False,
        pipeline: ScriptRunner | None = None,
    ) -> Awaitable[T]: ...
    def call(
        self,
        function: str,
        keys: Iterable[KeyT] = (),
        args: Iterable[ValueT] = (),
        *,
        parser: ReplyParser[Any] | None = None,
        read_only: bool = False,
        pipeline: ScriptRunner | None = None,
    ) -> Awaitable[Any]:
        """Call one of the library's functions (FCALL, or FCALL_RO with ``read_only``).

        Args:
            function: The function name, as registered by the library.
            keys: Key names the function touches.
            args: Further arguments.
            parser: Turns the reply into the value; by default the reply is the value.
            read_only: Use FCALL_RO (the function must be flagged ``no-writes``).
            pipeline: Queue the call in this pipeline or transaction instead.

        Returns:
            An awaitable of the function's value (a pipeline handle when queued).

        Raises:
            TypeError: ``keys`` or ``args`` is a bare string, a value cannot be sent, or
                ``pipeline`` is not a pipeline or transaction.
            ServerError: The function failed.
        """
        key_list = _listed("keys", keys)
        arg_list = _listed("args", args)
        meta = _m.FCALL_RO if read_only else _m.FCALL
        wire = (meta.name, function, len(key_list), *key_list, *arg_list)
        if pipeline is not None:
            return _runner(pipeline, f"Library.call({function!r})")._execute(meta, wire, parser)
        return self._run(meta, wire, parser, not key_list)

    async def _run(
        self, meta: CommandMeta, wire: tuple[ArgT, ...], parser: Any, keyless: bool
    ) -> Any:
        client = self._client
        try:
            return await client._execute(meta, wire, parser)
        except ServerError as exc:
            if exc.message != _FUNCTION_NOT_FOUND:
                raise
            # Decide, and load, on the server that answered: on a cluster another primary
            # may still have the library.
            server = client
            if self._server_at is not None and exc.address is not None:
                server = self._server_at(exc.address)
            if await self._is_loaded_on(server):
                raise
        try:
            await self._load_on(server)
        except ServerError:
            if not await self._is_loaded_on(server):  # loaded meanwhile by someone else
                raise
        # A keyless call may land on any primary; the one just loaded has the library.
        return await (server if keyless else client)._execute(meta, wire, parser)

    def __repr__(self) -> str:
        return f"<redis_oxide.Library {self.name!r}>"


def _pairs(flat: object) -> dict[object, object]:
    # A RESP2 FUNCTION LIST entry is a flat [name, value, ...] list.
    items: list[object] = list(cast("list[object]", flat)) if isinstance(flat, list) else []
    return dict(zip(items[0::2], items[1::2], strict=False))
