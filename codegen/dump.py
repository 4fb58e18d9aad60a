"""Dump a live server's command table as a document in Redis's commands.json format.

`make spec` runs this against a server to produce `specs/commands.json`. Rules it keeps:

- The document is a pure function of the server's `COMMAND` and `COMMAND DOCS` replies: no
  timestamps, no host names, top-level keys sorted, each entry's fields in the published order.
- It speaks RESP3 (`HELLO 3`, available on every server that has `COMMAND DOCS`): maps arrive as
  maps, so an empty key-spec `spec` stays `{}` instead of becoming an indistinguishable `[]`.
- Empty or absent values are left out, never written as `null` or `[]`; flag lists of arguments
  and key specs become `"flag": true` members, as in the published file.
- Module commands are left out of `specs/commands.json`: the server knows their flags and key
  specs but not their argument grammar. With `--modules DIR` their live fields are merged into
  the hand-written module spec files there instead (see `codegen.dump_modules`).
- Nothing here imports the redis-oxide runtime; the client is a socket and a `hiredis.Reader`.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import hiredis

from codegen.dump_modules import merge_module_specs

__all__ = ["DumpError", "dump_module_specs", "dump_spec", "main", "render_spec"]

_T = TypeVar("_T")

DEFAULT_URL = "redis://127.0.0.1:6379"
# COMMAND DOCS on a server with every module loaded is a few hundred kilobytes; ten seconds
# leaves room for a busy CI machine while still failing fast on a wrong port.
_SOCKET_TIMEOUT = 10.0
# Argument fields in the order the published file writes them; anything else follows.
_ARGUMENT_FIELDS = ("name", "type", "display_text", "key_spec_index", "token", "summary", "since")
_ARGUMENT_FIELDS_LATE = ("deprecated_since",)
# Entry fields taken from COMMAND DOCS, in published order; the rest come from COMMAND.
_ENTRY_DOC_FIELDS = "summary since group complexity module deprecated_since replaced_by history"


class DumpError(Exception):
    """The server could not be reached or answered something this dump cannot read."""


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    username: str | None
    password: str | None


def _parse_url(url: str) -> _Target:
    parts = urlsplit(url)
    if parts.scheme != "redis" or not parts.hostname:
        raise ValueError(f"expected a redis://host:port URL, got {parts.scheme or 'no'} scheme")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return _Target(parts.hostname, parts.port or 6379, username, password)


def _encode(args: tuple[str, ...]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class _Connection:
    """One blocking RESP3 connection; enough for a handful of introspection commands."""

    def __init__(self, target: _Target) -> None:
        # A private sentinel, because RESP3 `#f` would decode to the default `False`.
        self._need_more = object()
        self._reader = hiredis.Reader(encoding="utf-8", notEnoughData=self._need_more)
        try:
            self._sock = socket.create_connection((target.host, target.port), _SOCKET_TIMEOUT)
        except OSError as exc:
            raise DumpError(f"cannot connect to {target.host}:{target.port}: {exc}") from exc
        hello = ["HELLO", "3"]
        if target.password is not None:
            hello += ["AUTH", target.username or "default", target.password]
        try:
            self.call(*hello)
        except BaseException:
            self._sock.close()
            raise

    def call(self, *args: str) -> object:
        try:
            self._sock.sendall(_encode(args))
            reply: object = self._reader.gets()
            while reply is self._need_more:
                chunk = self._sock.recv(1 << 16)
                if not chunk:
                    raise DumpError(f"server closed the connection during {args[0]}")
                self._reader.feed(chunk)
                reply = self._reader.gets()
        except OSError as exc:
            raise DumpError(f"{args[0]} failed: {exc}") from exc
        if isinstance(reply, Exception):
            raise DumpError(f"{args[0]} failed: {reply}")
        return reply

    def close(self) -> None:
        self._sock.close()


def _expect(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind):
        raise DumpError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _map(value: object) -> dict[str, object]:
    return {str(k): v for k, v in _expect(value, dict).items()}


def _list(value: object) -> list[object]:
    return list(_expect(value, list))


def _put(entry: dict[str, object], key: str, value: object) -> None:
    """Store `value` unless it is absent or empty, the published file's omission rule."""
    if value is not None and value != [] and value != {}:
        entry[key] = value


def _flags_as_members(flags: object) -> dict[str, object]:
    return {_expect(flag, str): True for flag in _list(flags or [])}


def _argument(raw: object) -> dict[str, object]:
    fields = _map(raw)
    arg: dict[str, object] = {}
    for key in _ARGUMENT_FIELDS:
        _put(arg, key, fields.get(key))
    arg.update(_flags_as_members(fields.get("flags")))
    for key in _ARGUMENT_FIELDS_LATE:
        _put(arg, key, fields.get(key))
    known = {*_ARGUMENT_FIELDS, *_ARGUMENT_FIELDS_LATE, "flags", "arguments"}
    for key, value in fields.items():
        if key not in known:
            _put(arg, key, value)
    _put(arg, "arguments", [_argument(sub) for sub in _list(fields.get("arguments") or [])])
    return arg


def _search_step(raw: object) -> dict[str, object]:
    step = _map(raw)
    return {"type": _expect(step.get("type"), str), "spec": _map(step.get("spec"))}


def _key_spec(raw: object) -> dict[str, object]:
    fields = _map(raw)
    spec: dict[str, object] = {}
    _put(spec, "notes", fields.get("notes"))
    spec["begin_search"] = _search_step(fields.get("begin_search"))
    spec["find_keys"] = _search_step(fields.get("find_keys"))
    spec.update(_flags_as_members(fields.get("flags")))
    return spec


def _docs_of(name: str, docs: dict[str, object]) -> dict[str, object]:
    if name not in docs:
        raise DumpError(f"COMMAND DOCS has no entry for {name!r}")
    return _map(docs[name])


def _is_module_command(docs: dict[str, object]) -> bool:
    return docs.get("group") == "module" or "module" in docs


def _add_entries(info: list[object], docs: dict[str, object], out: dict[str, object]) -> None:
    """Merge one `COMMAND` row with its `COMMAND DOCS` map into `out`, subcommands included."""
    # COMMAND rows: name, arity, flags, first, last, step, ACL categories, tips, key specs,
    # subcommands. The legacy first/last/step triple is superseded by the key specs.
    name = _expect(info[0], str)
    entry: dict[str, object] = {}
    for key in _ENTRY_DOC_FIELDS.split():
        _put(entry, key, docs.get(key))
    _put(entry, "acl_categories", info[6])
    entry["arity"] = info[1]
    _put(entry, "key_specs", [_key_spec(spec) for spec in _list(info[8])])
    _put(entry, "arguments", [_argument(arg) for arg in _list(docs.get("arguments") or [])])
    _put(entry, "command_flags", info[2])
    _put(entry, "doc_flags", docs.get("doc_flags"))
    _put(entry, "hints", info[7])
    out[name.upper().replace("|", " ")] = entry
    sub_docs = _map(docs.get("subcommands") or {})
    for sub_info in _list(info[9]) if len(info) > 9 else []:
        row = _list(sub_info)
        _add_entries(row, _docs_of(_expect(row[0], str), sub_docs), out)


def _read(url: str) -> tuple[list[object], dict[str, object]]:
    conn = _Connection(_parse_url(url))
    try:
        infos = _list(conn.call("COMMAND"))
        docs = _map(conn.call("COMMAND", "DOCS"))
    finally:
        conn.close()
    return infos, docs


def _split(
    infos: list[object], docs: dict[str, object]
) -> tuple[dict[str, object], dict[str, object]]:
    """Return the core entries and the module entries, each sorted by name."""
    core: dict[str, object] = {}
    modules: dict[str, object] = {}
    for raw in infos:
        info = _list(raw)
        command_docs = _docs_of(_expect(info[0], str), docs)
        target = modules if _is_module_command(command_docs) else core
        _add_entries(info, command_docs, target)
    return dict(sorted(core.items())), dict(sorted(modules.items()))


def dump_spec(url: str) -> dict[str, object]:
    """Read a live server's command table in the format of Redis's published commands.json.

    Args:
        url: `redis://[[username]:password@]host[:port]` of a Redis 7.0 or newer server; a
            database number in the path is ignored, the command table being server-wide.

    Returns:
        A mapping from command name (`"GET"`, `"CLIENT LIST"` for subcommands) to its entry,
        sorted by name, with module commands left out.

    Raises:
        ValueError: `url` is not a `redis://` URL.
        DumpError: the server cannot be reached, refuses a command, or answers in an
            unexpected shape.
    """
    return _split(*_read(url))[0]


def dump_module_specs(url: str, directory: Path) -> dict[Path, str]:
    """Merge a live server's module commands into the hand-written module spec files.

    Args:
        url: As for `dump_spec`; the server must have the modules the files describe.
        directory: The folder of the module spec files (`specs/modules`).

    Returns:
        Path -> new text of every module spec file.

    Raises:
        ValueError: `url` is not a `redis://` URL.
        DumpError: the server cannot be dumped, or it and the files disagree (each problem
            is named in the message).
    """
    return _merge_modules(_split(*_read(url))[1], directory)


def _merge_modules(modules: dict[str, object], directory: Path) -> dict[Path, str]:
    live = {name: _map(entry) for name, entry in modules.items()}
    files, problems = merge_module_specs(live, directory)
    if problems:
        raise DumpError("module specs do not match the server:\n  " + "\n  ".join(problems))
    return files


def render_spec(spec: dict[str, object]) -> str:
    """Serialise a dumped spec the way `specs/commands.json` is stored.

    Args:
        spec: the mapping `dump_spec` returned.

    Returns:
        JSON text with sorted top-level keys, four-space indentation and a final newline,
        so that a new server release shows up as a readable diff.
    """
    return json.dumps(dict(sorted(spec.items())), indent=4, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    """Run the `spec` command line: dump a server's command table to a file or stdout.

    Args:
        argv: arguments after the subcommand name, e.g. `["--url", URL, "--out", PATH]`.

    Returns:
        The process exit status: 0 on success, 1 when the server could not be dumped.
    """
    parser = argparse.ArgumentParser(
        prog="python -m codegen spec",
        description="Dump a live server's COMMAND and COMMAND DOCS as commands.json.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"server URL (default {DEFAULT_URL})")
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    parser.add_argument(
        "--modules", type=Path, help="also merge module commands into the spec files there"
    )
    args = parser.parse_args(argv)
    try:
        core, module_entries = _split(*_read(args.url))
        text = render_spec(core)
        modules = {}
        if args.modules is not None and module_entries:
            modules = _merge_modules(module_entries, args.modules)
        elif args.modules is not None:
            # A server without modules (plain Redis) still gives the core spec; the module
            # files keep what an earlier dump of a server with the modules merged into them.
            print(
                f"spec: the server runs no modules; {args.modules} is left unchanged",
                file=sys.stderr,
            )
    except (ValueError, DumpError) as exc:
        print(f"spec: {exc}", file=sys.stderr)
        return 1
    for path, module_text in modules.items():
        if path.read_text(encoding="utf-8") != module_text:
            path.write_text(module_text, encoding="utf-8")
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0
