"""End-to-end ``ask`` on the built-in corpus: latency, PubMedQA verdicts, citation integrity.

    .venv/bin/python benchmarks/ask.py [--pubmedqa ../shared/data/eval/pubmedqa/pqal_train_dev.json] [--limit N]

Method: one warm process (models loaded, corpus prepared, one warm-up question);
each of the 500 expert-labelled PubMedQA train/dev questions is asked once
with retrieval over the whole built-in corpus (which contains the source
abstracts among ~17,800 documents).  Verdict accuracy compares evidex's
yes / no / uncertain with PubMedQA's yes / no / maybe.  "Source cited" is
the share of answers whose reference list includes the question's source
PMID.  Citation integrity is checked on every answer: each citation number
must resolve to a reference and each reference must be cited.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from evidex.corpus import Corpus
from evidex.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = (
    "What are the most evidence-backed exercises for a herniated disc with sciatica, "
    "in a patient with recent spinal surgery or neurological deficits?"
)
CLINICAL = [
    SEED,
    "What dose of colchicine for an acute gout flare?",
    "Should adults be screened for lung cancer with low-dose CT?",
    "Low back pain with saddle anaesthesia and urinary retention: what to do?",
    "Does exercise help chronic low back pain?",
    "What is the first-line treatment for mild persistent asthma?",
]
VERDICT_FOR_LABEL = {"yes": "yes", "no": "no", "maybe": "uncertain"}


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pubmedqa", type=Path, default=ROOT.parent / "shared/data/eval/pubmedqa/pqal_train_dev.json")
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()
    items = list(json.loads(args.pubmedqa.read_text()).items())[: args.limit]

    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp))) as corpus:
        started = time.perf_counter()
        corpus.prepare()
        print(f"machine: {machine()}")
        print(f"corpus prepared in {time.perf_counter() - started:.1f} s")
        corpus.ask(SEED)  # warm-up: sentence splitter, ONNX session

        latencies, correct, cited, answered, dangling, claims, removed = [], 0, 0, 0, 0, 0, 0
        confusion: dict[tuple[str, str], int] = {}
        questions = [(None, q) for q in CLINICAL] + [(pmid, item["QUESTION"]) for pmid, item in items]
        labels = dict((pmid, item["final_decision"]) for pmid, item in items)
        for pmid, question in questions:
            t0 = time.perf_counter()
            answer = corpus.ask(question)
            latencies.append((time.perf_counter() - t0) * 1000)
            numbers = {r.number for r in answer.references}
            used = {n for c in answer.claims() for n in c.citations} | set(answer.verdict.citations if answer.verdict else [])
            dangling += len(used ^ numbers)
            claims += answer.provenance.claims_checked
            removed += len(answer.provenance.claims_removed)
            if pmid is None:
                continue
            answered += not answer.abstained
            cited += f"pmid:{pmid}" in {r.doc_id for r in answer.references}
            got = answer.verdict.value if answer.verdict else "uncertain"
            want = VERDICT_FOR_LABEL[labels[pmid]]
            correct += got == want
            confusion[(want, got)] = confusion.get((want, got), 0) + 1

    n = len(items)
    print(f"questions: {len(questions)} ({len(CLINICAL)} clinical + {n} PubMedQA)")
    print(f"ask latency: p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"mean {statistics.mean(latencies):.0f} ms")
    print(f"PubMedQA verdict accuracy: {correct}/{n} = {correct / n:.1%} (majority class 'yes' would score "
          f"{sum(1 for _, i in items if i['final_decision'] == 'yes') / n:.1%})")
    print(f"PubMedQA source abstract cited: {cited}/{n} = {cited / n:.1%}; answered (not abstained): {answered}/{n}")
    print("confusion (gold -> evidex): " + ", ".join(f"{w}->{g}: {c}" for (w, g), c in sorted(confusion.items())))
    print(f"claims composed: {claims}, refused by verification: {removed} "
          f"({(claims - removed) / max(1, claims):.1%} verified); dangling citations: {dangling}")


if __name__ == "__main__":
    main()
