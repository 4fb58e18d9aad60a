"""redis-oxide against redis-py, the oracle: the same invocations, the same server state.

Every case of ``tables`` runs on both clients in four configurations (RESP2/RESP3, bytes or
``decode_responses``): the shared Redis Stack server for most, a primary of the shared
cluster for the read-only cluster commands. The values are compared after normalising
container shapes only (``_compare``); each difference is either documented
(``differences.py``, ``docs/differences.md``) and compared through its adapters, or listed
below as a known issue, or it fails the test.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from redis_oxide.testing import ClusterInfo, RedisServerInfo

from ._judge import judge
from ._run import CONFIGS, Config, run_cases
from .differences import DIFFERENCES, FIXED
from .tables import CASES, CLUSTER, SHARED

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(120)

#: Known redis-oxide issues not fixed yet: case id -> (configurations, issue). An entry whose
#: case agrees again fails the run, so a fixed issue is moved to ``FIXED``.
KNOWN_ISSUES: dict[str, tuple[frozenset[str], str]] = {}

_DOCS = Path(__file__).parents[2] / "docs" / "differences.md"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda config: config.id)
async def test_redis_oxide_agrees_with_redis_py(
    config: Config, redis_stack: RedisServerInfo, redis_cluster: ClusterInfo, figures: Figure
) -> None:
    started = time.perf_counter()
    pairs = await run_cases(SHARED, config, redis_stack.host, redis_stack.port, shared=True)
    node = redis_cluster.primaries[0]
    pairs += await run_cases(CLUSTER, config, node.host, node.port, shared=False)
    elapsed = time.perf_counter() - started

    known = {case: configs for case, (configs, _) in KNOWN_ISSUES.items()}
    verdicts = [judge(pair, config, known) for pair in pairs]
    statuses = Counter(verdict.status for verdict in verdicts)
    documented = {name for verdict in verdicts for name in verdict.differences}
    groups = Counter(pair.case.group for pair in pairs)
    figures("invocations", len(pairs))
    figures("per group", ", ".join(f"{group} {n}" for group, n in sorted(groups.items())))
    figures("agree as they are", statuses["same"])
    figures("agree through a documented difference", statuses["documented"])
    figures("documented differences that showed", len(documented))
    figures("known issues", statuses["known"])
    figures("seconds", round(elapsed, 2))

    problems = [
        f"{verdict.case_id} [{verdict.status}]: {verdict.detail}"
        for verdict in verdicts
        if verdict.status in ("differs", "stale")
    ]
    if problems:
        pytest.fail(f"{config.id}:\n  " + "\n  ".join(problems), pytrace=False)


def test_every_difference_is_documented_and_names_real_cases(figures: Figure) -> None:
    documented = set(re.findall(r"^### `([a-z0-9-]+)`", _DOCS.read_text(), re.MULTILINE))
    assert documented == set(DIFFERENCES), (
        f"only in docs/differences.md: {sorted(documented - set(DIFFERENCES))}; "
        f"only in differences.py: {sorted(set(DIFFERENCES) - documented)}"
    )
    ids = {case.id for case in CASES}
    for name, entry in DIFFERENCES.items():
        assert set(entry.cases) <= ids, f"{name} names unknown cases {set(entry.cases) - ids}"
    assert set(KNOWN_ISSUES) <= ids
    documented_cases = {case for entry in DIFFERENCES.values() for case in entry.cases}
    for name, cases in FIXED.items():
        assert set(cases) <= ids - documented_cases, f"fixed {name} names {cases}"
    kinds = Counter(entry.kind for entry in DIFFERENCES.values())
    figures("documented: redis-oxide choices", kinds["choice"])
    figures("documented: redis-py bugs and inconsistencies", kinds["redis-py"])
    figures("redis-oxide differences fixed", len(FIXED))


def test_the_tables_reach_every_group_with_enough_invocations() -> None:
    groups = Counter(case.group for case in CASES)
    expected = {
        "bitmap",
        "cluster",
        "connection",
        "generic",
        "geo",
        "hash",
        "hyperloglog",
        "list",
        "pubsub",
        "scripting",
        "server",
        "set",
        "sorted_set",
        "stream",
        "string",
    }
    assert set(groups) == expected
    assert len(CASES) >= 300
    assert len({case.id for case in CASES}) == len(CASES)
