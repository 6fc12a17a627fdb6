"""Red-flag matching: how fast, and how it does on the phrasing list.

    .venv/bin/python benchmarks/red_flags.py [--rounds 20]

Method: one process; the red-flag data is loaded and compiled once (timed
separately), then every question of tests/data/red_flags.jsonl (lay and
clinical red-flag phrasings written from public lists, and questions that must
not raise a flag) goes through ``find_red_flags`` ``--rounds`` times.  The
latency is per question, measured with ``time.perf_counter``; the figures also
report how many positives raised their expected flag and how many negatives
raised any flag (the test suite asserts the same without timing).

Held-out check of false alarms: the same matcher over text it was not written
against, the titles of the built-in PubMed abstracts (PubMedQA, PubMedRS-200;
research questions) and the MedQuAD consumer questions shipped in the package.
Every question that raises a flag is listed with ``--show``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

from measure import machine, percentile

from evidex.answer.red_flags import RedFlags, find_red_flags, red_flags

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "red_flags.jsonl"
CORPUS = ROOT / "src" / "evidex" / "data" / "corpus"


def held_out() -> dict[str, list[str]]:
    """Questions the red-flag data was not written against, from the built-in corpus."""
    titles = []
    for name in ("pubmedqa_pqal_abstracts.jsonl", "pubmedrs200_review_abstracts.jsonl"):
        with open(CORPUS / "pubmed" / name, encoding="utf-8") as lines:  # one record a line ("\u2028" may occur inside)
            titles += [json.loads(line)["title"] for line in lines]
    with gzip.open(CORPUS / "consumer" / "medquad_qa.jsonl.gz", "rt") as lines:
        questions = sorted({json.loads(line)["question"] for line in lines})
    return {"PubMed titles": titles, "MedQuAD consumer questions": questions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--show", action="store_true", help="list the held-out questions that raise a flag")
    parser.add_argument("--limit", type=int, help="one round over N cases, N held-out questions of each list (a quick check)")
    args = parser.parse_args()
    cases = [json.loads(line) for line in CASES.read_text().splitlines()][: args.limit]
    if args.limit:
        args.rounds = 1

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
    for name, questions in held_out().items():
        questions = questions[: args.limit]
        flagged = [(q, find_red_flags(q)) for q in questions]
        flagged = [(q, found) for q, found in flagged if found]
        print(f"held out, {name}: {len(flagged)} of {len(questions)} raise a flag ({len(flagged) / len(questions):.2%})")
        if args.show:
            for question, found in flagged:
                print(f"  {question}  ->  " + ", ".join(f"{m.key} on “{m.text}”" for m in found))


if __name__ == "__main__":
    main()
