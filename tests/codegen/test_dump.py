"""`python -m codegen spec`: the dump of a live Redis Stack server's command table.

Every test reads a real server started by the `redis_stack` fixture. The parity test compares
the dump, as data, with Redis's published commands.json for the same release, which is kept
outside the project (``../shared/specs`` beside the clone, or wherever
REDIS_OXIDE_REFERENCE_SPEC points): where it is absent the test is skipped and the run's summary
says so (see tests/conftest.py).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from codegen.dump import DumpError, dump_spec, main, render_spec

pytestmark = pytest.mark.timeout(30)

MODULE_PREFIXES = ("JSON.", "FT.", "BF.", "CF.", "CMS.", "TOPK.", "TDIGEST.", "TS.")


@pytest.fixture(scope="module")
def spec(redis_stack: Any) -> dict[str, Any]:
    return dump_spec(redis_stack.url)


def _raw_call(host: str, port: int, *args: str) -> bytes:
    """Send one RESP2 command and return the raw reply, independently of the code under test."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a)}\r\n{a}\r\n".encode() for a in args
    )
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(payload)
        return sock.recv(1 << 16)


def test_get_entry_has_key_argument_and_readonly_flags(spec: dict[str, Any]) -> None:
    get = spec["GET"]
    assert get["group"] == "string"
    assert get["since"] == "1.0.0"
    assert get["arity"] == 2
    assert get["command_flags"] == ["readonly", "fast"]
    assert get["arguments"] == [
        {"name": "key", "type": "key", "display_text": "key", "key_spec_index": 0}
    ]


def test_set_arguments_keep_grammar_and_flags_as_members(spec: dict[str, Any]) -> None:
    args = {arg["name"]: arg for arg in spec["SET"]["arguments"]}
    assert list(args) == ["key", "value", "condition", "get", "expiration"]
    condition = args["condition"]
    assert condition["type"] == "oneof"
    assert condition["optional"] is True
    assert condition["since"] == "2.6.12"
    assert [(a["name"], a["token"]) for a in condition["arguments"]] == [
        ("nx", "NX"),
        ("xx", "XX"),
    ]
    assert args["get"] == {
        "name": "get",
        "type": "pure-token",
        "display_text": "get",
        "token": "GET",
        "since": "6.2.0",
        "optional": True,
    }
    assert "optional" not in args["value"]
    assert '"flags":' not in json.dumps(spec["SET"])


def test_subcommands_are_entries_named_container_space_sub(spec: dict[str, Any]) -> None:
    client_list = spec["CLIENT LIST"]
    assert client_list["group"] == "connection"
    assert client_list["arity"] == -2
    assert client_list["hints"] == ["nondeterministic_output"]
    assert [a["name"] for a in client_list["arguments"]] == ["client-type", "client-id"]
    container = spec["CLIENT"]
    assert "arguments" not in container
    assert "subcommands" not in container
    assert not any("|" in name for name in spec)


def test_key_specs_keep_search_steps_and_flags(spec: dict[str, Any]) -> None:
    range_spec, by_get, store = spec["SORT"]["key_specs"]
    assert range_spec["begin_search"] == {"type": "index", "spec": {"index": 1}}
    assert range_spec["find_keys"]["spec"] == {"lastkey": 0, "keystep": 1, "limit": 0}
    assert range_spec["RO"] is True
    # An unknown step's spec is an empty map, which only RESP3 tells apart from a list.
    assert by_get["begin_search"] == {"type": "unknown", "spec": {}}
    assert store["OW"] is True
    assert "notes" in store
    keyword = spec["GEORADIUS"]["key_specs"][1]["begin_search"]
    assert keyword == {"type": "keyword", "spec": {"keyword": "STORE", "startfrom": 6}}
    assert "key_specs" not in spec["PING"]


def test_deprecated_command_carries_replacement(spec: dict[str, Any]) -> None:
    georadius = spec["GEORADIUS"]
    assert georadius["deprecated_since"] == "6.2.0"
    assert georadius["doc_flags"] == ["deprecated"]
    assert "GEOSEARCH" in georadius["replaced_by"]


def test_module_commands_are_left_out(spec: dict[str, Any], redis_stack: Any) -> None:
    # The server does know module commands; the dump leaves them to the module spec files.
    assert b"json.get" in _raw_call(
        redis_stack.host, redis_stack.port, "COMMAND", "INFO", "JSON.GET"
    )
    assert not [name for name in spec if name.startswith(MODULE_PREFIXES)]
    assert all(entry["group"] != "module" and "module" not in entry for entry in spec.values())


def test_dump_is_deterministic(spec: dict[str, Any], redis_stack: Any) -> None:
    again = dump_spec(redis_stack.url)
    assert again == spec
    text = render_spec(again)
    assert text == render_spec(spec)
    assert text.endswith("}\n")
    assert list(json.loads(text)) == sorted(spec)


def test_main_writes_rendered_spec(redis_stack: Any, tmp_path: Path) -> None:
    out = tmp_path / "commands.json"
    assert main(["--url", redis_stack.url, "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_spec(dump_spec(redis_stack.url))


def test_unreachable_server_fails_with_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    out = tmp_path / "commands.json"
    assert main(["--url", f"redis://127.0.0.1:{closed_port}", "--out", str(out)]) == 1
    assert "cannot connect" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(DumpError):
        dump_spec(f"redis://127.0.0.1:{closed_port}")
    with pytest.raises(ValueError, match="redis://"):
        dump_spec("http://127.0.0.1:6379")


def test_wrong_credentials_raise_without_revealing_password(redis_stack: Any) -> None:
    url = f"redis://no-such-user:s3cret-pw@{redis_stack.host}:{redis_stack.port}"
    with pytest.raises(DumpError, match="HELLO") as caught:
        dump_spec(url)
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.reference_spec("commands_core_redis7.4.json", env="REDIS_OXIDE_REFERENCE_SPEC")
def test_dump_matches_reference_spec(reference_spec: Path, spec: dict[str, Any]) -> None:
    reference = json.loads(reference_spec.read_text(encoding="utf-8"))
    missing = sorted(name for name in reference if name not in spec)
    differ = sorted(name for name in reference if name in spec and spec[name] != reference[name])
    extra = sorted(name for name in spec if name not in reference)
    # Extra entries can only be core commands (modules are left out) newer than the reference.
    assert (missing, differ) == ([], []), f"extra entries: {extra}"
