"""Rebuild ``src/evidex/data/verdict_model.json``, the learned stance of the yes/no verdict.

    .venv/bin/python scripts/train_verdict.py

The verdict (:mod:`evidex.answer.verdict`) shows a yes or no only when the cue
patterns and this learned stance agree on what a sentence says: for, against,
or that the evidence is not enough.  The labels come only from the built-in
corpus's guidelines, each recommendation labelled by the grade its developer
gave it — never from an evaluation set (no PubMedQA or PubMedRS-200 abstract,
title or label is read):

* NGC summaries: USPSTF A/B → for, D → against, C ("selectively offer") and
  I ("the evidence is insufficient") → not enough; VA/DoD Strong/Weak For →
  for, Strong/Weak Against → against, N/A ("there is insufficient evidence")
  → not enough.
* open-medicine sections: ACC/AHA/ESC Class I/IIa (COR 1/2a) → for, Class IIb
  (COR 2b, "may be considered") → not enough, Class III (COR 3: No Benefit or
  Harm) → against.  Recommendations graded without a direction (GRADE
  "Strong"/"Conditional", KDIGO "Grade 2C") take it from their text ("recommend
  against", "not recommended", "insufficient evidence", otherwise for); they are
  counted apart, since their label is read from the words the cues see.

Each example is the recommendation sentence with its grade tag removed.  The
held-out figure comes from 5 folds split by guideline (no guideline has
recommendations on both sides), reported for the grade-labelled examples.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evidex.answer import verdict
from evidex.answer.appraise import SentenceSplitter
from evidex.evidence.builtin import data_path
from evidex.evidence.sources.ngc import ngc_document
from evidex.evidence.sources.open_medicine import open_medicine_document

ROOT = Path(__file__).resolve().parent.parent
NGC = "corpus/guidelines/ngc_us_gov_guideline_summaries.jsonl"
OPEN_MEDICINE = "corpus/guidelines/open_medicine_guideline_sections.jsonl"
FOLDS = 5
L2_CHOICES = (0.3, 1.0, 3.0, 10.0, 30.0)
NO_QUESTION = verdict.question_cues("")
# Graded without a direction: the direction is in the words.
_UNDIRECTED_GRADE = re.compile(
    r"\((?:Strong|Weak|Conditional)(?: [Rr]ecommendation)?\b[^()]*\)|\(Grade [12][A-D][^()]*\)|\([12][A-D]\)"
)


@dataclass(frozen=True)
class Example:
    guideline: str
    text: str
    label: str  # yes / no / uncertain: for / against / not enough evidence
    by_grade: bool  # the label is the developer's grade, not read from the text


def _recommendation_sentence(text: str, splitter: SentenceSplitter) -> str:
    """The sentence that states the recommendation (a passage may go on to explain it)."""
    sentences = [text[s:e] for s, e in splitter.spans(text, text)] or [text]
    cue = re.compile(r"\b(?:recommend\w*|suggest\w*|should|offer\w*|evidence|decision|avoid\w*)\b", re.I)
    return next((s for s in sentences if cue.search(s)), sentences[0])


def ngc_examples(splitter: SentenceSplitter) -> list[Example]:
    examples = []
    for line in data_path(NGC).read_text().splitlines():
        document = ngc_document(json.loads(line))
        previous = None  # a recommendation whose grade stands in the next paragraph: "(Strong For; Reviewed, Amended)"
        for passage in document.passages:
            text = verdict.without_grade(passage.text)
            label = verdict.grade_stance(passage.strength or "")
            if label and len(text) < 15 and previous is not None:
                text = previous
            previous = text if not passage.strength else None
            if label and len(text) >= 15:
                examples.append(Example(document.id, _recommendation_sentence(text, splitter), label, True))
    return examples


def open_medicine_examples(splitter: SentenceSplitter) -> list[Example]:
    examples = []
    for line in data_path(OPEN_MEDICINE).read_text().splitlines():
        record = json.loads(line)
        document = open_medicine_document(record)
        for passage in document.passages:
            for row in passage.text.split("\n"):
                if row.lstrip().startswith("|"):
                    continue  # table rows mix several grades
                sentences = [row[s:e] for s, e in splitter.spans(row, row)]
                for index, sentence in enumerate(sentences):
                    label = verdict.sentence_grade(sentence)
                    graded = verdict.without_grade(sentence) != sentence.strip()
                    undirected = bool(_UNDIRECTED_GRADE.search(sentence))
                    text = verdict.without_grade(_UNDIRECTED_GRADE.sub(" ", sentence)).strip(" -.")
                    if len(text) < 15 and index:  # the grade was split off its sentence
                        text = verdict.without_grade(sentences[index - 1])
                    if len(text) < 15:
                        continue
                    if graded and label:
                        examples.append(Example(record["guideline_id"], text, label, True))
                    elif undirected and not graded:
                        examples.append(Example(record["guideline_id"], text, _label_from_text(text), False))
    return examples


def _label_from_text(text: str) -> str:
    """A graded recommendation's direction, when its grade has none: against, not enough evidence, or for."""
    cues = verdict.sentence_cues(text, NO_QUESTION, guideline=True)
    return "no" if cues["against"] else "uncertain" if cues["open"] else "yes"


def training_examples() -> list[Example]:
    """Every graded recommendation of the built-in guidelines, labelled by its grade, each text once
    (a recommendation repeated in two summaries must not sit on both sides of the held-out split)."""
    splitter = SentenceSplitter()
    unique: dict[str, Example] = {}
    for example in ngc_examples(splitter) + open_medicine_examples(splitter):
        unique.setdefault(example.text, example)
    return list(unique.values())


def fold_of(guideline: str) -> int:
    return int(hashlib.md5(guideline.encode()).hexdigest(), 16) % FOLDS


def train(x: np.ndarray, y: list[str], l2: float, steps: int = 3000, rate: float = 0.5) -> verdict.StanceModel:
    """Class-balanced multinomial logistic regression by full-batch gradient descent."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0  # keep the bias column
    scale[scale == 0] = 1.0
    xs = (x - mean) / scale
    index = np.array([verdict.LABELS.index(v) for v in y])
    target = np.zeros((len(y), len(verdict.LABELS)))
    target[np.arange(len(y)), index] = 1.0
    counts = np.bincount(index, minlength=len(verdict.LABELS)).astype(float)
    row_weight = (len(y) / (len(verdict.LABELS) * np.maximum(counts, 1)))[index][:, None]
    weights = np.zeros((x.shape[1], len(verdict.LABELS)))
    penalty = np.ones_like(weights)
    penalty[0] = 0.0
    for _ in range(steps):
        z = xs @ weights
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        weights -= rate * (xs.T @ (row_weight * (p - target)) / len(y) + l2 * penalty * weights / len(y))
    return verdict.StanceModel(list(verdict.STANCE_FEATURES), weights, mean, scale)


def held_out(examples: list[Example], x: np.ndarray, l2: float) -> np.ndarray:
    """Each example's probabilities from the model trained without its guideline's fold."""
    folds = np.array([fold_of(e.guideline) for e in examples])
    out = np.zeros((len(examples), len(verdict.LABELS)))
    for fold in range(FOLDS):
        train_rows = folds != fold
        model = train(x[train_rows], [e.label for e, keep in zip(examples, train_rows) if keep], l2)
        out[~train_rows] = model.probabilities(x[~train_rows])
    return out


def rule_reading(text: str) -> str | None:
    """What the cue patterns alone say of a recommendation (the verdict needs them to agree)."""
    read = verdict.stance(verdict.sentence_cues(text, NO_QUESTION, guideline=True))
    return "uncertain" if read["open"] else "no" if read["denies"] else "yes" if read["affirms"] else None


def summary(examples: list[Example], probabilities: np.ndarray) -> dict:
    """Held-out accuracy; among confident predictions, how many and how often a for/against is
    reversed; and the same where the cue patterns agree, as the verdict requires."""
    gold = [e.label for e in examples]
    said = [verdict.LABELS[i] for i in probabilities.argmax(axis=1)]
    confident = probabilities.max(axis=1) >= verdict.MIN_CONFIDENCE
    shown = [(g, s) for g, s, c in zip(gold, said, confident) if c and s != "uncertain"]
    agreed = [(g, s) for g, s, c, e in zip(gold, said, confident, examples) if c and rule_reading(e.text) == s]
    return {
        "examples": len(examples),
        "accuracy": round(sum(g == s for g, s in zip(gold, said)) / max(1, len(gold)), 3),
        "confident_share": round(float(confident.mean()) if len(gold) else 0.0, 3),
        "confident_accuracy": round(sum(g == s for g, s, c in zip(gold, said, confident) if c) / max(1, int(confident.sum())), 3),
        "confident_for_or_against": len(shown),
        "reversed": sum({g, s} == {"yes", "no"} for g, s in shown),
        "agreed_with_cues": len(agreed),
        "agreed_accuracy": round(sum(g == s for g, s in agreed) / max(1, len(agreed)), 3),
        "agreed_reversed": sum({g, s} == {"yes", "no"} for g, s in agreed),
        "confusion": {g: {s: sum(1 for a, b in zip(gold, said) if a == g and b == s) for s in verdict.LABELS} for g in verdict.LABELS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "src/evidex/data" / verdict.MODEL_FILE)
    args = parser.parse_args()
    examples = training_examples()
    x = np.array([verdict.stance_features(e.text) for e in examples])
    y = [e.label for e in examples]
    guidelines = {e.guideline for e in examples}
    print(f"{len(examples)} labelled recommendations from {len(guidelines)} guidelines "
          f"({sum(e.by_grade for e in examples)} labelled by their grade): {dict(Counter(y))}")

    graded = np.array([e.by_grade for e in examples])
    scores = {}
    for l2 in L2_CHOICES:
        p = held_out(examples, x, l2)
        scores[l2] = float(np.mean(np.array(verdict.LABELS)[p.argmax(axis=1)][graded] == np.array(y)[graded]))
        print(f"  L2 {l2:>5}: held-out accuracy on grade-labelled {scores[l2]:.1%}")
    l2 = max(scores, key=lambda k: (scores[k], k))
    p = held_out(examples, x, l2)
    evaluation = {
        "method": f"{FOLDS} folds split by guideline (md5 of its id); L2 {l2} chosen among {list(L2_CHOICES)} on the same folds",
        "grade_labelled": summary([e for e in examples if e.by_grade], p[graded]),
        "all": summary(examples, p),
    }
    for name in ("grade_labelled", "all"):
        s = evaluation[name]
        print(f"held-out, {name}: accuracy {s['accuracy']:.1%} of {s['examples']}; confident (p ≥ {verdict.MIN_CONFIDENCE}) "
              f"for {s['confident_share']:.0%}, of which {s['confident_accuracy']:.1%} right; "
              f"{s['reversed']} of {s['confident_for_or_against']} confident for/against reversed; where the cue "
              f"patterns agree ({s['agreed_with_cues']}): {s['agreed_accuracy']:.1%} right, {s['agreed_reversed']} reversed")
        print(f"  confusion (rows gold, columns learned): {s['confusion']}")

    model = train(x, y, l2)
    source = (
        f"Trained by scripts/train_verdict.py on {len(examples)} recommendations of {len(guidelines)} guidelines in the "
        "built-in corpus (NGC summaries, open-medicine sections), each labelled by its own grade (for / against / "
        "not enough evidence); no evaluation set"
    )
    args.out.write_text(json.dumps(model.to_json(source, evaluation), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
