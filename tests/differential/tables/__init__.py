"""Every differential case, by table.

Rules: each module of this package pairs the entries of one conformance table with redis-py
calls, says why any entry is left out, and adds invocations of its own as ``CASES``; every
module is collected here, so a new table needs no registration. ``SHARED`` holds the cases for
the shared Stack server, ``CLUSTER`` the read-only ones for a cluster primary.
"""

from __future__ import annotations

import importlib
import pkgutil

from .._case import Case

__all__ = ["CASES", "CLUSTER", "SHARED"]

CASES: tuple[Case, ...] = tuple(
    case
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    for case in importlib.import_module(f"{__name__}.{info.name}").CASES
)
SHARED: tuple[Case, ...] = tuple(case for case in CASES if case.entry.server == "stack")
CLUSTER: tuple[Case, ...] = tuple(case for case in CASES if case.entry.server == "cluster")
