"""What every benchmark script reports alongside its figures: the machine and percentiles."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 ≤ q ≤ 1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]



# Evaluation sets live beside the repository, in ../shared/data/eval/ (benchmarks only: never the
# product or its tests).  A benchmark told where one is (an option) stops with an error when it is not
# there; one that only looked in the default place says what it skipped and measures the rest.
EVAL_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "eval"


def evaluation_set(given: Path | None, default: Path, option: str) -> Path | None:
    """The evaluation file to read: ``given`` (exit 1 if it is missing), else ``default`` if it
    exists, else None after printing what is skipped and how to point at the file."""
    if given is not None:
        if not given.is_file():
            raise SystemExit(f"error: {given} (given with {option}) does not exist")
        return given
    if default.is_file():
        return default
    print(f"skipped: no evaluation set at {default}; the parts that need it are not measured"
          f" (benchmarks read ../shared/data/eval/ beside the repository; or give {option} PATH)", flush=True)
    return None
