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

from codegen.dump import DumpError, dump_module_specs, dump_spec, main, render_spec
from codegen.dump_modules import load_module_overrides

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


MODULE_SPECS = Path(__file__).resolve().parents[2] / "specs" / "modules"


def test_module_specs_are_what_make_spec_writes(redis_stack: Any) -> None:
    # `make spec` on the Stack server rewrites specs/modules/*.json; they must come out as
    # committed, so that `make spec && make generate` leaves the tree clean.
    files = dump_module_specs(redis_stack.url, MODULE_SPECS)
    assert sorted(p.name for p in files) == sorted(p.name for p in MODULE_SPECS.glob("*.json"))
    for path, text in files.items():
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs from the dump"


def test_module_entries_take_live_fields_and_key_spec_corrections(redis_stack: Any) -> None:
    files = dump_module_specs(redis_stack.url, MODULE_SPECS)
    search = json.loads(files[MODULE_SPECS / "redisearch.json"])
    # The index name routes as a key, as the server gives it; the alias commands are writes.
    assert search["FT.SEARCH"]["key_specs"][0]["begin_search"]["spec"] == {"index": 1}
    assert search["FT.SEARCH"]["command_flags"] == ["readonly", "module"]
    assert search["FT.ALIASADD"]["command_flags"] == ["write", "module"]
    assert search["FT.SEARCH"]["module"] == "search"
    # A subcommand the server only knows as one command takes its container's live fields.
    assert search["FT.CONFIG GET"]["arity"] == search["FT.CONFIG"]["arity"]
    mget = json.loads(files[MODULE_SPECS / "redisjson.json"])["JSON.MGET"]
    assert mget["key_specs"][0]["find_keys"]["spec"]["lastkey"] == -2
    assert [a["name"] for a in mget["arguments"]] == ["keys", "path"]
    assert mget["hints"] == ["request_policy:multi_shard"]


def test_module_merge_reports_every_disagreement(redis_stack: Any, tmp_path: Path) -> None:
    table = {
        "JSON.GET": {"summary": "Reads a document.", "since": "1.0.0", "complexity": "O(N)"},
        "JSON.NOPE": {"summary": "Not a command.", "since": "1.0.0", "complexity": "O(1)"},
    }
    (tmp_path / "redisjson.json").write_text(json.dumps(table), encoding="utf-8")
    (tmp_path / "overrides.toml").write_text(
        '[key_specs."JSON.GONE"]\nwhy = "a command nobody describes"\nspecs = []\n'
        '[command_flags."JSON.GET"]\nwhy = "what the server says"\n'
        'flags = ["readonly", "module"]\n'
        '[tips."JSON.GET"]\nwhy = "two request policies"\n'
        'add = ["request_policy:multi_shard", "request_policy:all_shards"]\n'
        '[omitted]\n"FT.NOT-THERE" = "a command the server does not have"\n',
        encoding="utf-8",
    )
    with pytest.raises(DumpError) as caught:
        dump_module_specs(redis_stack.url, tmp_path)
    message = str(caught.value)
    assert "JSON.NOPE is not a command of the server" in message
    assert "JSON.SET: the server has it but no module spec describes it" in message
    assert "JSON.GONE is not a described command" in message
    assert "omitted FT.NOT-THERE is not a command of the server" in message
    assert "JSON.GET already has the flags ['readonly', 'module']" in message
    assert "JSON.GET already has a request_policy" in message


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ('[tips."JSON.MGET"]\nwhy = "w"\nadd = ["request_policy:everywhere"]\n', "everywhere"),
        ('[tips."JSON.MGET"]\nwhy = "w"\nadd = ["cache_me"]\n', "unknown tip"),
        ('[tips."JSON.MGET"]\nwhy = "w"\nadd = []\n', "no tip"),
        ('[command_flags."CF.COMPACT"]\nwhy = "w"\nflags = ["write"]\n', "module"),
        ('[command_flags."CF.COMPACT"]\nwhy = "w"\nflags = ["fastest", "module"]\n', "fastest"),
        ('[command_flags."X.Y"]\nflags = ["write", "module"]\n', "why"),
    ],
)
def test_module_overrides_are_validated_on_load(tmp_path: Path, text: str, refused: str) -> None:
    (tmp_path / "overrides.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=refused):
        load_module_overrides(tmp_path / "overrides.toml")


def test_main_merges_module_specs_in_place(redis_stack: Any, tmp_path: Path) -> None:
    for path in [*MODULE_SPECS.glob("*.json"), MODULE_SPECS / "overrides.toml"]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            # Drop the live fields: the dump must put them back.
            table = json.loads(text)
            for entry in table.values():
                for field in ("arity", "command_flags", "key_specs", "group", "module"):
                    entry.pop(field, None)
            text = json.dumps(table)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    out = tmp_path / "commands.json"
    assert main(["--url", redis_stack.url, "--out", str(out), "--modules", str(tmp_path)]) == 0
    for path in MODULE_SPECS.glob("*.json"):
        assert (tmp_path / path.name).read_text("utf-8") == path.read_text("utf-8")
