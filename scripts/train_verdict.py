"""Rebuild ``src/evidex/data/verdict_model.json``, the weights of the yes/no verdict.

    .venv/bin/python scripts/train_verdict.py [--pubmedqa ../shared/data/eval/pubmedqa/pqal_train_dev.json]

Asks each of the 500 expert-labelled PubMedQA train/dev questions through the
normal pipeline on the built-in corpus (in a temporary data directory),
records the cue vector :mod:`evidex.answer.verdict` computes for it, and fits the
multinomial logistic regression on all of them with PubMedQA's labels
(yes / no / maybe → yes / no / uncertain).  Nothing else is used for
training.  It also prints the 10-fold cross-validated accuracy; the figure to
quote is the one ``benchmarks/ask.py`` reports, which asks every question
again with a model that never saw it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from evidex.answer import verdict
from evidex.corpus import Corpus
from evidex.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LABEL = {"yes": "yes", "no": "no", "maybe": "uncertain"}
SOURCE = (
    "Trained by scripts/train_verdict.py on the 500 expert-labelled PubMedQA questions "
    "(PQA-L train/dev, github.com/pubmedqa/pubmedqa, MIT licence): labels yes/no/maybe"
)


def collect(corpus: Corpus, items: list[tuple[str, dict]]) -> tuple[list[str], np.ndarray, list[str]]:
    """(PMIDs, cue vectors, labels) of the questions that reach the verdict step."""
    keys, rows, labels = [], [], []
    for pmid, item in items:
        with verdict.recording() as log:
            corpus.ask(item["QUESTION"])
        if log:
            keys.append(pmid)
            rows.append(log[-1][1])
            labels.append(LABEL[item["final_decision"]])
    return keys, np.asarray(rows), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pubmedqa", type=Path, default=ROOT.parent / "shared/data/eval/pubmedqa/pqal_train_dev.json")
    parser.add_argument("--out", type=Path, default=ROOT / "src/evidex/data" / verdict.MODEL_FILE)
    parser.add_argument("--l2", type=float, default=verdict.TRAIN_L2)
    args = parser.parse_args()
    items = list(json.loads(args.pubmedqa.read_text()).items())

    with tempfile.TemporaryDirectory() as tmp, Corpus.open(Settings(data_dir=Path(tmp))) as corpus:
        corpus.prepare()
        keys, x, y = collect(corpus, items)
    print(f"{len(keys)} of {len(items)} questions reached the verdict step")

    models, folds = verdict.cross_validation_models(x, y, keys, l2=args.l2)
    correct = sum(models[f].predict(row) == label for row, label, f in zip(x, y, folds))
    print(f"10-fold cross-validated accuracy on those: {correct / len(y):.1%}")

    model = verdict.train(x, y, l2=args.l2)
    args.out.write_text(json.dumps(model.to_json(SOURCE), indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
