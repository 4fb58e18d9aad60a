"""The hand-written module specs checked, as data, against the modules' published docs.

The published ``commands.json`` of RedisJSON 2.8, RediSearch 2.10, RedisBloom 2.8 and
RedisTimeSeries 1.12 live beside the clone (``../shared/specs/module_*.json``, or the folder
of the file ``REDIS_OXIDE_REFERENCE_SPEC_MODULES`` names). As for every reference check
(``reference_spec`` in ``tests/conftest.py``), the tests are skipped, visibly, where the folder
is not beside the clone, and fail when the variable names a file that is not there or when one
of the four is missing. The project's specs are its own
words, so only facts are compared: command names, argument tokens, whether an argument is
optional, and the scalar type behind a token. Every difference is listed with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import ROOT

FILES = ("redisjson_2.8", "redisearch_2.10", "redisbloom_2.8", "redistimeseries_1.12")
SCALARS = frozenset({"string", "integer", "double", "key", "pattern", "unix-time"})

#: Published tokens the project's grammar spells otherwise, and why.
TOKENS_SPELT_OTHERWISE = {
    ("FT.AGGREGATE", "LOAD *"): "two words on the wire: LOAD, then *",
    ("FT.SEARCH", "AS"): "RETURN's count counts words; aliases would make it vary per field",
}
#: Published scalar types the servers read otherwise, and why.
TYPES_READ_OTHERWISE = {
    ("FT.CREATE", "TEMPORARY"): "whole seconds (the docs say double)",
    ("TS.RANGE", "ALIGN"): "also start, end, - or +",
    ("TS.REVRANGE", "ALIGN"): "also start, end, - or +",
    ("TS.MRANGE", "ALIGN"): "also start, end, - or +",
    ("TS.MREVRANGE", "ALIGN"): "also start, end, - or +",
}


def _load(paths: list[Path]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for path in paths:
        table.update(json.loads(path.read_text("utf-8")))
    return table


pytestmark = pytest.mark.reference_spec(
    f"module_{FILES[0]}.json", env="REDIS_OXIDE_REFERENCE_SPEC_MODULES"
)


@pytest.fixture
def published(reference_spec: Path) -> dict[str, Any]:
    paths = [reference_spec.parent / f"module_{name}.json" for name in FILES]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.fail(f"published module specs not found beside {reference_spec}: {missing}")
    return _load(paths)


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    return _load(sorted((ROOT / "specs" / "modules").glob("*.json")))


def _tokens(args: list[Any] | None, optional: bool = False) -> dict[str, tuple[bool, str]]:
    """Token -> (optional, type of the argument carrying it), through nested arguments."""
    found: dict[str, tuple[bool, str]] = {}
    for arg in args or []:
        here = optional or arg.get("optional", False)
        if arg.get("token"):
            found.setdefault(arg["token"].upper(), (here, arg["type"]))
        for token, value in _tokens(arg.get("arguments"), here).items():
            found.setdefault(token, value)
    return found


def test_every_published_command_is_described(
    published: dict[str, Any], ours: dict[str, Any]
) -> None:
    assert sorted(set(published) - set(ours)) == []


def test_published_tokens_and_their_optionality(
    published: dict[str, Any], ours: dict[str, Any]
) -> None:
    problems = []
    for name in sorted(published):
        theirs, mine = (
            _tokens(published[name].get("arguments")),
            _tokens(ours[name].get("arguments")),
        )
        for token, (optional, _) in theirs.items():
            if (name, token) in TOKENS_SPELT_OTHERWISE:
                assert token not in mine, f"{name} {token} is no longer spelt otherwise"
            elif token not in mine:
                problems.append(f"{name}: token {token} missing")
            elif mine[token][0] != optional:
                problems.append(f"{name}: {token} optional={mine[token][0]}, published {optional}")
    assert problems == []


def test_scalar_types_behind_tokens(published: dict[str, Any], ours: dict[str, Any]) -> None:
    problems = []
    for name in sorted(published):
        theirs, mine = (
            _tokens(published[name].get("arguments")),
            _tokens(ours[name].get("arguments")),
        )
        for token, (_, kind) in theirs.items():
            other = mine.get(token, (False, ""))[1]
            differ = kind in SCALARS and other in SCALARS and kind != other
            if differ and (name, token) not in TYPES_READ_OTHERWISE:
                problems.append(f"{name}: {token} is {other}, published {kind}")
    assert problems == []
