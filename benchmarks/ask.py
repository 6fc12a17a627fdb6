"""End-to-end ``ask`` on the built-in corpus: latency, PubMedQA verdicts, citation integrity.

    .venv/bin/python benchmarks/ask.py [--pubmedqa ../shared/data/eval/pubmedqa/pqal_train_dev.json] [--limit N] [--errors]

Method: one warm process (models loaded, corpus prepared, one warm-up question);
each of the 500 expert-labelled PubMedQA train/dev questions is asked once
with retrieval over the whole built-in corpus (which contains the source
abstracts among ~17,800 documents).  Verdict accuracy compares evidex's
yes / no / uncertain with PubMedQA's yes / no / maybe.  "Source cited" is
the share of answers whose reference list includes the question's source
PMID.  Citation integrity is checked on every answer: each citation number
must resolve to a reference and each reference must be cited.

The verdict's weights (``src/evidex/data/verdict_model.json``) were trained on
these same 500 questions, so the shipped model's score on them would be a
training-set score.  The accuracy reported here is 10-fold cross-validated
instead: the first pass records each question's verdict cues, ten models are
trained each without one fold, and every question is asked again with the
model that never saw it (``evidex.answer.verdict.using_model``).  The cue patterns
themselves were written while reading the errors of the "design" half
(md5 of the PMID, first byte even); the other, "held-out" half is the less
optimistic figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from pathlib import Path

from measure import EVAL_DIR, evaluation_set, machine, percentile

from evidex.answer import verdict
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
FOLDS = 10
PUBMEDQA = EVAL_DIR / "pubmedqa" / "pqal_train_dev.json"


def design_half(pmid: str) -> bool:
    """The half of the PubMedQA questions whose errors were read while writing the verdict cues."""
    return hashlib.md5(pmid.encode()).digest()[0] % 2 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pubmedqa", type=Path, help=f"PubMedQA PQA-L train/dev JSON (default: {PUBMEDQA})")
    parser.add_argument("--limit", type=int, help="at most N clinical and N PubMedQA questions (a quick check)")
    parser.add_argument("--errors", action="store_true", help="print every wrong verdict with its basis")
    args = parser.parse_args()
    pubmedqa = evaluation_set(args.pubmedqa, PUBMEDQA, "--pubmedqa")
    items = list(json.loads(pubmedqa.read_text()).items())[: args.limit] if pubmedqa else []
    clinical = CLINICAL[: args.limit]

    # every question embedded afresh, as a new question would be (the second, cross-validated pass repeats them)
    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp), search={"query_cache": 0})) as corpus:
        started = time.perf_counter()
        corpus.prepare()
        print(f"machine: {machine()}")
        print(f"corpus prepared in {time.perf_counter() - started:.1f} s")
        corpus.ask(SEED)  # warm-up: sentence splitter, ONNX session

        latencies, cited, answered, dangling, claims, removed = [], 0, 0, 0, 0, 0
        cues: dict[str, object] = {}
        questions = [(None, q) for q in clinical] + [(pmid, item["QUESTION"]) for pmid, item in items]
        labels = dict((pmid, item["final_decision"]) for pmid, item in items)
        for pmid, question in questions:
            t0 = time.perf_counter()
            with verdict.recording() as log:
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
            if log:
                cues[pmid] = log[-1][1]

        # Cross-validation: ask each question again with a model trained without its fold.
        keys = list(cues)
        folds_used = min(FOLDS, len(keys))
        models, folds = verdict.cross_validation_models(
            [cues[k] for k in keys], [VERDICT_FOR_LABEL[labels[k]] for k in keys], keys, folds_used
        ) if folds_used >= 2 else ([], [])
        fold_of = dict(zip(keys, folds))
        results = []  # (pmid, question, gold, got, basis)
        for pmid, item in items:
            if pmid in fold_of and fold_of[pmid] < len(models):
                with verdict.using_model(models[fold_of[pmid]]):
                    answer = corpus.ask(item["QUESTION"])
            else:  # no verdict step reached: the shipped model played no part
                answer = corpus.ask(item["QUESTION"])
            got = answer.verdict.value if answer.verdict else "uncertain"
            basis = answer.verdict.basis if answer.verdict else None
            results.append((pmid, item["QUESTION"], VERDICT_FOR_LABEL[labels[pmid]], got, basis))

    n = len(items)
    print(f"questions: {len(questions)} ({len(clinical)} clinical + {n} PubMedQA)")
    print(f"ask latency: p50 {percentile(latencies, 0.5):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
          f"mean {statistics.mean(latencies):.0f} ms")
    print(f"claims composed: {claims}, refused by verification: {removed} "
          f"({(claims - removed) / max(1, claims):.1%} verified); dangling citations: {dangling}")
    if not n:
        return
    correct = sum(got == want for _, _, want, got, _ in results)
    print(f"PubMedQA verdict accuracy, {folds_used}-fold cross-validated: {correct}/{n} = {correct / n:.1%} "
          f"(majority class 'yes' would score {sum(1 for _, i in items if i['final_decision'] == 'yes') / n:.1%}; "
          f"{len(cues)} questions reached the verdict step, the rest count as 'uncertain')")
    for name, half in (("design half", True), ("held-out half", False)):
        part = [r for r in results if design_half(r[0]) == half]
        print(f"  {name}: {sum(r[2] == r[3] for r in part)}/{len(part)} = "
              f"{sum(r[2] == r[3] for r in part) / max(1, len(part)):.1%}")
    labels_order = ("yes", "no", "uncertain")
    print("confusion (rows gold, columns evidex):  " + "  ".join(f"{g:>9}" for g in labels_order))
    for want in labels_order:
        row = [sum(1 for r in results if r[2] == want and r[3] == got) for got in labels_order]
        print(f"  {want:>9}: " + " ".join(f"{c:>9}" for c in row))
    for label in labels_order:
        tp = sum(1 for r in results if r[2] == label and r[3] == label)
        gold = sum(1 for r in results if r[2] == label)
        said = sum(1 for r in results if r[3] == label)
        print(f"  {label:>9}: recall {tp}/{gold} = {tp / max(1, gold):.1%}, precision {tp}/{said} = "
              f"{tp / max(1, said):.1%}")
    print(f"PubMedQA source abstract cited: {cited}/{n} = {cited / n:.1%}; answered (not abstained): {answered}/{n}")
    if args.errors:
        for pmid, question, want, got, basis in results:
            if want != got:
                print(f"\n[{pmid}] gold {want}, evidex {got}: {question}\n    basis: {basis}")


if __name__ == "__main__":
    main()
