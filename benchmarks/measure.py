"""What every benchmark script reports alongside its figures: the machine and percentiles."""

from __future__ import annotations

import os
import platform
import sqlite3


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 ≤ q ≤ 1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def without_query_cache(corpus):
    """``corpus`` with every query embedded afresh: the e5 embedder keeps recent query
    vectors, and a benchmark that asks a question more than once (several searchers, a
    second pass) would otherwise time the cache, not a new question."""
    if hasattr(corpus.embedder, "recent_queries"):
        corpus.embedder.recent_queries = 0
    return corpus
