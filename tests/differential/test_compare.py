"""The normaliser of the differential test: container shapes only, never values."""

from __future__ import annotations

from typing import Any

import pytest

from ._compare import difference


@pytest.mark.parametrize(
    ("oxide", "py"),
    [
        pytest.param((b"a", 1.5), [b"a", 1.5], id="tuple-list"),
        pytest.param({b"a", b"b"}, [b"b", b"a"], id="set-list"),
        pytest.param({b"f": b"v", b"g": b"w"}, [(b"g", b"w"), [b"f", b"v"]], id="dict-pairs"),
        pytest.param([True, False], [1, 0], id="bool-int"),
        pytest.param({"k": [(1, 2.5)]}, {"k": ([1, 2.5],)}, id="nested"),
        pytest.param(None, None, id="none"),
        pytest.param(set(), [], id="empty-set-list"),
    ],
)
def test_container_shapes_are_normalised(oxide: Any, py: Any) -> None:
    assert difference(oxide, py) is None


@pytest.mark.parametrize(
    ("oxide", "py"),
    [
        pytest.param(1.5, "1.5", id="float-text"),
        pytest.param(1.5, b"1.5", id="float-bytes"),
        pytest.param(1, 1.0, id="int-float"),
        pytest.param(b"v", "v", id="bytes-str"),
        pytest.param(None, [], id="none-empty"),
        pytest.param(2, True, id="two-true"),
        pytest.param([b"a", b"b"], [b"b", b"a"], id="list-order"),
        pytest.param({b"a": 1}, [b"a", 1], id="dict-flat-list"),
        pytest.param({b"a": 1}, {b"a": 1, b"b": 2}, id="dict-keys"),
        pytest.param([(b"a", 1.0)], [b"a", 1.0], id="pairs-flat"),
        pytest.param({b"a"}, [b"a", b"a"], id="set-duplicates"),
    ],
)
def test_values_and_other_shapes_differ(oxide: Any, py: Any) -> None:
    assert difference(oxide, py) is not None


def test_shape_mode_compares_types_and_keys_only() -> None:
    assert difference({"id": 7, "age": 0}, {"id": 9, "age": 3}, shape=True) is None
    assert difference([1, 2, 3], [4], shape=True) is None
    assert difference({"id": 7}, {"id": "7"}, shape=True) is not None
    assert difference({"id": 7}, {"other": 7}, shape=True) is not None


def test_a_difference_says_where() -> None:
    found = difference({b"k": [(b"a", 1.0)]}, {b"k": [(b"a", "1")]})
    assert found is not None
    assert found.startswith("value[b'k'][0][1]")
