"""Red-flag matching: how fast, and how it does on the phrasing list.

    .venv/bin/python benchmarks/red_flags.py [--rounds 20]

Method: one process; the red-flag data is loaded and compiled once (timed
separately), then every question of tests/data/red_flags.jsonl (lay and
clinical red-flag phrasings written from public lists, and questions that must
not raise a flag) goes through ``find_red_flags`` ``--rounds`` times.  The
latency is per question, measured with ``time.perf_counter``; the figures also
report how many positives raised their expected flag and how many negatives
raised any flag (the test suite asserts the same without timing).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from measure import machine, percentile

from evidex.answer.red_flags import RedFlags, find_red_flags, red_flags

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "red_flags.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cases = [json.loads(line) for line in CASES.read_text().splitlines()]

    started = time.perf_counter()
    RedFlags.load()
    load_ms = (time.perf_counter() - started) * 1000
    red_flags()

    times = []
    for _ in range(args.rounds):
        for case in cases:
            started = time.perf_counter()
            find_red_flags(case["text"])
            times.append((time.perf_counter() - started) * 1e6)

    positives = [c for c in cases if c["flags"]]
    negatives = [c for c in cases if not c["flags"]]
    raised = sum(set(c["flags"]) <= {m.key for m in find_red_flags(c["text"])} for c in positives)
    false = sum(bool(find_red_flags(c["text"])) for c in negatives)
    print(f"machine: {machine()}")
    print(f"load and compile the data: {load_ms:.0f} ms (once per process)")
    print(f"find_red_flags per question: p50 {percentile(times, 0.5):.0f} µs, p95 {percentile(times, 0.95):.0f} µs, "
          f"max {max(times):.0f} µs ({len(times)} calls)")
    print(f"positives raising their flag: {raised} of {len(positives)}; negatives raising a flag: {false} of {len(negatives)}")


if __name__ == "__main__":
    main()
