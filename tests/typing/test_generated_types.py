"""Typed usage of the generated surface, checked by ``mypy --strict`` (and run by pytest).

``assert_type`` lines are the contract: a change in the generator that alters a public type
fails mypy here. ``typed_bytes.py`` and ``typed_str.py`` hold the examples per command group;
``test_typed_examples_pass_mypy_strict`` runs mypy on this whole directory, so the contract is
checked by the test suite too, not only by ``make check``.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar, assert_type

import pytest

from redis_oxide._command import ArgT, CommandMeta, ReplyParser
from redis_oxide._generated import Commands

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]


class _Unsent:
    """An awaitable placeholder: these examples only build calls, they never send them."""

    def __await__(self) -> Any:
        raise AssertionError("not sent")
        yield


class BytesClient(Commands[bytes]):
    __slots__ = ()

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        return _Unsent()


class StrClient(Commands[str]):
    __slots__ = ()

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        return _Unsent()


def test_reply_types_follow_the_string_type() -> None:
    raw = BytesClient()
    text = StrClient()
    assert_type(raw.get("k"), Awaitable[bytes | None])
    assert_type(text.get("k"), Awaitable[str | None])
    assert_type(raw.hgetall("h"), Awaitable[dict[bytes, bytes]])
    assert_type(text.smembers("s"), Awaitable[set[str]])
    assert_type(raw.incr("k"), Awaitable[int])
    assert_type(raw.zscore("z", "m"), Awaitable[float | None])


def test_overloads_follow_options() -> None:
    client = StrClient()
    assert_type(client.set("k", "v"), Awaitable[bool])
    assert_type(client.set("k", "v", get=True), Awaitable[str | None])
    assert_type(client.zrange("z", 0, -1), Awaitable[list[str]])
    assert_type(client.zrange("z", 0, -1, withscores=True), Awaitable[list[tuple[str, float]]])
    assert_type(client.lpos("l", "x"), Awaitable[int | None])
    assert_type(client.lpos("l", "x", count=2), Awaitable[list[int]])


@pytest.mark.timeout(300)
def test_typed_examples_pass_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "tests/typing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, (
        f"mypy --strict tests/typing failed:\n{result.stdout}{result.stderr}"
    )


def test_deprecated_commands_are_marked_for_type_checkers(tmp_path: Path) -> None:
    client = StrClient()
    # pyright reports the use (reportUnnecessaryTypeIgnoreComment fails an unneeded ignore).
    with pytest.warns(DeprecationWarning, match=r"^GETSET is deprecated; use set"):
        client.getset("k", "v")  # pyright: ignore[reportDeprecated]
    marked = inspect.getattr_static(StrClient, "getset")  # what IDEs read
    assert getattr(marked, "__deprecated__", None) == "GETSET is deprecated; use set(..., get=True)"
    # An overloaded one is marked as a whole, and mypy reports it when asked to.
    example = tmp_path / "uses_deprecated.py"
    example.write_text(
        "from redis_oxide import Redis\n\n\n"
        "async def main(r: Redis[str]) -> None:\n"
        "    await r.zrangebyscore('z', 0, 1, withscores=True)\n"
        "    await r.zrange('z', 0, 1)\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--enable-error-code=deprecated", str(example)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    reported = [line for line in result.stdout.splitlines() if "[deprecated]" in line]
    assert len(reported) == 1, result.stdout
    assert ":5: error:" in reported[0]
    assert "ZRANGEBYSCORE is deprecated; use zrange(..., sortby='BYSCORE')" in reported[0]
