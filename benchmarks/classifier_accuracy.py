"""How well evidex.evidence.classify matches hand labels on the bundled corpus.

Run: .venv/bin/python benchmarks/classifier_accuracy.py [--draw]

How the labelled sample (benchmarks/data/classifier_labels.jsonl) was drawn
---------------------------------------------------------------------------
* "random" stratum (154 documents): one ``random.Random(20240611)``; for each
  file in ``RANDOM_PLAN`` in order, the ids of its documents (as read by
  evidex's readers) are sorted and ``rng.sample(ids, n)`` is taken.  That is
  130 PubMedQA abstracts, 15 PubMedRS-200 reviews, 3 NGC and 3 open-medicine
  guidelines and 3 MedQuAD answers.
* "supplement" stratum (24 documents): the random draw held no narrative
  review and few case reports, so every other PubMedQA abstract whose title
  or text matches ``SUPPLEMENT_PATTERN`` was added and labelled the same way.
  It was chosen by words, so it is reported separately as well.

``--draw`` prints both draws again, to check they reproduce.

Every label was set by reading the abstract, before the classifier was
written and without looking at its output; each line also records the
stratum and a note on why.  Labelling rules: the design the authors state wins
when they state one; otherwise comparison of exposure groups followed to an
outcome is cohort (also non-randomised controlled comparisons and analyses
of a trial in which the exposure was not randomised); patients compared with
healthy or matched controls on a measurement is case-control; one-time
measurement, surveys, diagnostic-accuracy and prevalence studies are
cross-sectional; descriptive series of treated patients with no comparison
group, and single case reports, are case series; animal, cadaver, laboratory,
ecological, bibliometric and modelling studies are other.  Sample size is the
number of people enrolled or analysed when the abstract lets one tell it
(summing stated groups, e.g. 33 cases + 32 controls = 65), null when it
counts only eyes, fractures, procedures, visits, devices or studies, or is
not stated.  Three sizes first written as counts of fractures,
tonsillectomies and attendances were later set to null to follow this rule.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

from evidex.evidence.classify import classify
from evidex.evidence.documents import Document
from evidex.evidence.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "src" / "evidex" / "data" / "corpus"
LABELS = ROOT / "benchmarks" / "data" / "classifier_labels.jsonl"
SEED = 20240611
RANDOM_PLAN = [
    ("pubmed/pubmedqa_pqal_abstracts.jsonl", 130),
    ("pubmed/pubmedrs200_review_abstracts.jsonl", 15),
    ("guidelines/ngc_us_gov_guideline_summaries.jsonl", 3),
    ("guidelines/open_medicine_guideline_sections.jsonl", 3),
    ("consumer/medquad_qa.jsonl.gz", 3),
]
SUPPLEMENT_PATTERN = re.compile(
    r"\b(we review|this review|literature review|review of the literature|narrative review|overview"
    r"|we report (a|an|two|three) |case report|we present (a|an|the case)|we describe (a|an|two) )",
    re.IGNORECASE,
)


def read_corpus() -> dict[str, list[Document]]:
    """Every bundled file's documents, keyed by its path under the corpus directory."""
    return {
        name: [r for r in read_source(CORPUS / name) if isinstance(r, Document)]
        for name, _ in RANDOM_PLAN
    }


def draw(corpus: dict[str, list[Document]]) -> tuple[list[str], list[str]]:
    """The random and supplement ids, drawn as the module docstring says."""
    rng = random.Random(SEED)
    chosen = [i for name, n in RANDOM_PLAN for i in rng.sample(sorted(d.id for d in corpus[name]), n)]
    taken = set(chosen)
    supplement = [
        d.id
        for d in corpus[RANDOM_PLAN[0][0]]
        if d.id not in taken and SUPPLEMENT_PATTERN.search(f"{d.title} {d.text}")
    ]
    return chosen, supplement


def kind_report(rows: list[tuple[dict, Document]], title: str) -> None:
    """Overall and per-kind accuracy, then every disagreement."""
    right = sum(doc.kind.value == label["kind"] for label, doc in rows)
    print(f"\n== Kind accuracy, {title}: {right}/{len(rows)} = {right / max(len(rows), 1):.1%}")
    per_kind = Counter(label["kind"] for label, _ in rows)
    hits = Counter(label["kind"] for label, doc in rows if doc.kind.value == label["kind"])
    for kind, total in per_kind.most_common():
        print(f"   {kind:<18} {hits[kind]:>3}/{total:<3} {hits[kind] / total:6.1%}")


def confusion(rows: list[tuple[dict, Document]]) -> None:
    """One line per document whose kind is wrong."""
    errors = [(label, doc) for label, doc in rows if doc.kind.value != label["kind"]]
    print(f"\n== Kind errors ({len(errors)}): labelled -> classified")
    pairs = Counter((label["kind"], doc.kind.value) for label, doc in errors)
    for (expected, got), count in pairs.most_common():
        print(f"   {expected:>17} -> {got:<17} x{count}")
    for label, doc in errors:
        print(f"   {label['id']:<14} {label['kind']:>17} -> {doc.kind.value:<17} {doc.title[:70]}")


def size_report(rows: list[tuple[dict, Document]]) -> None:
    """Exact matches among labelled numbers; wrong numbers vs None everywhere."""
    numbered = [(label, doc) for label, doc in rows if label["sample_size"] is not None]
    exact = sum(doc.sample_size == label["sample_size"] for label, doc in numbered)
    missed = sum(doc.sample_size is None for _, doc in numbered)
    wrong = [
        (label, doc)
        for label, doc in rows
        if doc.sample_size is not None and doc.sample_size != label["sample_size"]
    ]
    given = sum(doc.sample_size is not None for _, doc in rows)
    print(f"\n== Sample size ({len(numbered)} labelled with a number, {len(rows) - len(numbered)} with none)")
    print(f"   exact: {exact}/{len(numbered)} = {exact / max(len(numbered), 1):.1%}   None instead: {missed}")
    print(f"   numbers given: {given}; wrong: {len(wrong)} = {len(wrong) / max(given, 1):.1%} of numbers given")
    for label, doc in wrong:
        expected, got = label["sample_size"], doc.sample_size
        print(f"   {label['id']:<14} labelled {expected!s:>6}  got {got!s:>6}  {label['note'][:60]}")


def speed(corpus: dict[str, list[Document]], runs: int = 3) -> None:
    """Microseconds per document over the whole bundled corpus, best of ``runs`` (other work shares the CPU)."""
    for name, docs in corpus.items():
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            for doc in docs:
                classify(doc)
            best = min(best, time.perf_counter() - start)
        print(f"   {name:<52} {len(docs):>6} docs  {best / len(docs) * 1e6:7.1f} µs/doc")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draw", action="store_true", help="print the sampled ids and exit")
    parser.add_argument("--limit", type=int, help="only the first N labelled documents, one speed run (a quick check)")
    args = parser.parse_args()
    corpus = read_corpus()
    if args.draw:
        chosen, supplement = draw(corpus)
        print(json.dumps({"random": chosen, "supplement": supplement}, indent=1))
        return 0
    by_id = {doc.id: doc for docs in corpus.values() for doc in docs}
    labels = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()][: args.limit]
    rows = [(label, classify(by_id[label["id"]])) for label in labels]
    kind_report(rows, "all labelled")
    for stratum in ("random", "supplement"):
        kind_report([r for r in rows if r[0]["stratum"] == stratum], f"{stratum} stratum")
    # Guidelines, consumer answers and PubMedRS reviews have their kind fixed by
    # reader or publication type; the PubMedQA abstracts are the real test.
    pubmedqa = {d.id for d in corpus[RANDOM_PLAN[0][0]]}
    kind_report([r for r in rows if r[0]["id"] in pubmedqa], "PubMedQA abstracts only (kind from text alone)")
    confusion(rows)
    size_report(rows)
    print("\n== Speed (classify only)")
    speed(corpus, runs=1 if args.limit else 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
