"""Train the answer-type and relevance models: ``src/evidex/data/models/relevance.json``.

Run: .venv/bin/python scripts/train_relevance.py [--data-dir DIR] [--questions 2400] [--epochs 6]

Labels come from the built-in corpus's own structure, never from an evaluation set:

* MedQuAD's consumer-health answers each answer one kind of question (symptoms, treatment,
  causes …) about one focus ("Gout"); guideline passages sit under headings that say what they
  are ("Potential harms", "Screening Tests").  PubMed abstracts are not used: the PubMedQA and
  PubMedRS-200 questions are evaluation material elsewhere.
* Every focus (a MedQuAD focus, a guideline) goes to one of three parts by a hash of its name:
  ``types`` (60 %) trains the sentence answer-type model; ``relevance`` (20 %) trains the
  relevance model; ``test`` (20 %) is held out from both and gives the figures saved in the file.
* Relevance questions are asked in words of this script's own templates ("how do you treat
  gout", "what tests are used for celiac disease"), not MedQuAD's ("What are the treatments
  for Gout ?"), which are the answers' titles and would make search trivially find them.  Each
  goes through the real pipeline — understand, retrieve, appraise's candidate sentences — and a
  candidate is relevant when its passage answers that kind of question about that focus
  (a MedQuAD answer of that type for that focus, or a guideline passage under such a heading).
  Everything else retrieved is not; some of it answers too, so the figures are conservative.

torch is not needed: both models are logistic regressions fitted with numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from evidex import Corpus, Settings  # noqa: E402
from evidex.answer.appraise import extract_findings  # noqa: E402
from evidex.answer.relevance import (  # noqa: E402
    ANSWER_TYPES,
    ANSWER_TYPES_FILE,
    FEATURES,
    MODEL_FILE,
    AnswerTypes,
    RelevanceModel,
    feature_rows,
    iter_answer_type_examples,
    label_type,
    names_focus,
    type_tokens,
)
from evidex.answer.understand import QuestionError, understand  # noqa: E402

OUT = ROOT / "src" / "evidex" / "data" / MODEL_FILE
MIN_COUNT = 3
L2 = 3e-4  # strong: the same sentences recur across NIH pages, and an unregularised model learns them by heart
MAX_VOCABULARY = 60_000
TARGET_PRECISION = 0.8  # of the top sentence, among questions it is shown for
CLAIM_PRECISION = 0.75  # of every sentence shown (the labels are conservative: other sources answer too)

# How people ask each kind of question; {f} is the focus.  Written for this script, in the
# plain words of patients and clinicians, and chosen per question by a hash of it.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "definition": ("what is {f}", "what does {f} mean", "can you explain {f}", "tell me about {f}"),
    "symptoms": ("what are the signs of {f}", "{f} symptoms", "how do I know if I have {f}", "what does {f} feel like"),
    "treatment": ("how do you treat {f}", "what helps with {f}", "{f} treatment options", "is there a cure for {f}",
                  "what is the best therapy for {f}"),
    "cause": ("what causes {f}", "why do people get {f}", "what is {f} caused by"),
    "inheritance": ("is {f} inherited", "does {f} run in families", "can I pass {f} to my children"),
    "frequency": ("how common is {f}", "how many people have {f}"),
    "diagnosis": ("how is {f} diagnosed", "what tests are used for {f}", "how do doctors test for {f}",
                  "should I be screened for {f}"),
    "prognosis": ("what is the outlook for {f}", "can you recover from {f}", "what is the prognosis of {f}"),
    "risk": ("who gets {f}", "what are the risk factors for {f}", "who is at risk of {f}"),
    "prevention": ("how can {f} be prevented", "how do I avoid getting {f}", "can {f} be prevented"),
    "complications": ("what are the complications of {f}", "what can {f} lead to"),
    "side_effects": ("what are the harms of {f}", "what are the side effects of {f}", "is {f} dangerous"),
    "contraindications": ("who should not have {f}", "when is {f} contraindicated"),
}


def part(key: str) -> str:
    """Which part a focus belongs to: types, relevance or test, by a stable hash of its name."""
    bucket = int(hashlib.sha1(key.lower().encode()).hexdigest(), 16) % 10
    return "types" if bucket < 6 else ("relevance" if bucket < 8 else "test")


def focus_key(document) -> str:
    """MedQuAD: its focus; a guideline: itself."""
    if document.source == "medquad" and document.keywords:
        return document.keywords[0].strip().lower()
    return document.id


def focus_name(document) -> str | None:
    if document.keywords:
        return document.keywords[0].strip()
    return None


# -- the answer-type model ------------------------------------------------------------------------


def train_answer_types(examples: list[tuple[str, str, set[str]]], epochs: int, seed: int) -> AnswerTypes:
    """Multinomial logistic regression with Adam over hashed-free word features (a vocabulary of
    the words and word pairs seen at least MIN_COUNT times), classes weighted by 1/sqrt(count)."""
    rows = [type_tokens(text, masked) for text, _, masked in examples]
    counts = Counter(token for row in rows for token in set(row))
    vocabulary = [t for t, c in counts.most_common(MAX_VOCABULARY) if c >= MIN_COUNT]
    index = {t: i for i, t in enumerate(vocabulary)}
    ids = [np.array(sorted({index[t] for t in row if t in index}), dtype=np.int64) for row in rows]
    labels = np.array([ANSWER_TYPES.index(qtype) for _, qtype, _ in examples])
    per_class = np.bincount(labels, minlength=len(ANSWER_TYPES)).astype(float)
    class_weight = 1.0 / np.sqrt(np.maximum(per_class, 1.0))
    class_weight /= class_weight[labels].mean()
    k = len(ANSWER_TYPES)
    weights = np.zeros((len(vocabulary), k))
    bias = np.zeros(k)
    moments = [np.zeros_like(weights), np.zeros_like(weights), np.zeros(k), np.zeros(k)]
    rate, l2, step = 0.02, L2, 0
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(ids))
        loss = 0.0
        for start in range(0, len(order), 256):
            batch = order[start:start + 256]
            logits = np.tile(bias, (len(batch), 1))
            for r, row in enumerate(batch):
                if len(ids[row]):
                    logits[r] += weights[ids[row]].sum(axis=0)
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            w = class_weight[labels[batch]]
            loss -= float((w * np.log(probs[np.arange(len(batch)), labels[batch]] + 1e-12)).sum())
            grad_logits = probs
            grad_logits[np.arange(len(batch)), labels[batch]] -= 1.0
            grad_logits *= w[:, None] / len(batch)
            grad_w = np.zeros_like(weights)
            for r, row in enumerate(batch):
                if len(ids[row]):
                    grad_w[ids[row]] += grad_logits[r]
            grad_w += l2 * weights
            grad_b = grad_logits.sum(axis=0)
            step += 1
            for param, grad, m, v in ((weights, grad_w, moments[0], moments[1]), (bias, grad_b, moments[2], moments[3])):
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad * grad
                param -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        print(f"  answer types, epoch {epoch + 1}: loss {loss / len(ids):.3f}", file=sys.stderr)
    return AnswerTypes(index, weights.astype(np.float32), bias.astype(np.float32))


def evaluate_answer_types(model: AnswerTypes, examples: list[tuple[str, str, set[str]]]) -> dict:
    by_masked: dict[frozenset, list[int]] = defaultdict(list)
    for i, (_, _, masked) in enumerate(examples):
        by_masked[frozenset(masked)].append(i)
    predicted = np.zeros(len(examples), dtype=int)
    for masked, rows in by_masked.items():
        probs = model.probabilities([examples[i][0] for i in rows], set(masked))
        predicted[rows] = probs.argmax(axis=1)
    truth = np.array([ANSWER_TYPES.index(q) for _, q, _ in examples])
    per_class = {}
    for k, name in enumerate(ANSWER_TYPES):
        tp = int(((predicted == k) & (truth == k)).sum())
        precision = tp / max(1, int((predicted == k).sum()))
        recall = tp / max(1, int((truth == k).sum()))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"f1": round(f1, 3), "sentences": int((truth == k).sum())}
    return {
        "sentence_accuracy": round(float((predicted == truth).mean()), 3),
        "macro_f1": round(float(np.mean([v["f1"] for v in per_class.values() if v["sentences"]])), 3),
        "per_type": per_class,
        "sentences": len(examples),
    }


# -- relevance questions --------------------------------------------------------------------------


def relevance_questions(documents, wanted_part: str, limit: int, rng: random.Random) -> list[dict]:
    """One question per (focus, answer type) the part's documents answer, with the passages that answer it."""
    groups: dict[tuple[str, str], dict] = {}
    for document in documents:
        key = focus_key(document)
        name = focus_name(document)
        if part(key) != wanted_part or not name or len(name) > 60:
            continue
        for index, passage in enumerate(document.passages):
            qtype = label_type(passage.label, document.source)
            if qtype is None or qtype not in TEMPLATES:
                continue
            group = groups.setdefault((key, qtype), {"focus": name, "type": qtype, "passages": set()})
            group["passages"].add(document.passage_id(index))
    chosen = sorted(groups.values(), key=lambda g: (g["focus"], g["type"]))
    rng.shuffle(chosen)
    questions = []
    for group in chosen[:limit]:
        templates = TEMPLATES[group["type"]]
        pick = int(hashlib.sha1(f"{group['focus']}|{group['type']}".encode()).hexdigest(), 16) % len(templates)
        questions.append({**group, "question": templates[pick].format(f=group["focus"])})
    return questions


def question_candidates(corpus: Corpus, questions: list[dict], cache: Path) -> tuple[list, dict]:
    """Each question understood, with its candidate sentences and which of them answer it:
    the slow part (search), kept in ``cache`` so that features can be changed and refitted."""
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    engine = corpus.engine
    asked, skipped = [], Counter()
    started = time.monotonic()
    for number, item in enumerate(questions):
        try:
            question = understand(item["question"], corpus.vocabulary)
        except QuestionError:
            skipped["refused"] += 1
            continue
        if not question.understood:
            skipped["focus not understood"] += 1
            continue
        hits, _ = engine.retrieve(question, None)
        findings = extract_findings(question, hits, engine.splitter)
        if not findings:
            skipped["no candidate sentences"] += 1
            continue
        asked.append((question, item["type"], [f.candidate() for f in findings]))
        if (number + 1) % 200 == 0:
            print(f"  {number + 1}/{len(questions)} questions, {time.monotonic() - started:.0f} s", file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps((asked, dict(skipped))))
    return asked, dict(skipped)


def answers(question, qtype: str, candidate) -> bool:
    """The label: the candidate's passage is declared (by its MedQuAD type or guideline heading)
    to answer that kind of question, and the sentence or its source (title or keywords) is about
    the question's focus.  Mostly structure, which the features do not read."""
    document = candidate.document
    return label_type(candidate.label, document.source) == qtype and names_focus(
        question, f"{candidate.text} {document.title} {' '.join(document.keywords[:5])}"
    )


def question_rows(asked: list, answer_types: AnswerTypes):
    """Feature rows, labels and question numbers of the candidates whose passage label says what
    kind of question it answers (others, such as abstracts, cannot be labelled and are left out)."""
    kept = [
        (number, question, qtype, [c for c in candidates if label_type(c.label, c.document.source)])
        for number, (question, qtype, candidates) in enumerate(asked)
    ]
    kept = [k for k in kept if k[3]]
    rows = [feature_rows(question, candidates, answer_types) for _, question, _, candidates in kept]
    labels = [answers(question, qtype, c) for _, question, qtype, candidates in kept for c in candidates]
    owners = [number for number, _, _, candidates in kept for _ in candidates]
    return np.vstack(rows), np.array(labels, dtype=float), np.array(owners)


def fit_logistic(rows: np.ndarray, labels: np.ndarray, l2: float = 1e-3, iterations: int = 4000) -> tuple[np.ndarray, float]:
    """Logistic regression by gradient descent (tens of thousands of rows, 15 features); not
    class-balanced, so that its output is a probability a threshold can be read against."""
    weights, bias = np.zeros(rows.shape[1]), 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(rows @ weights + bias)))
        error = p - labels
        weights -= 0.5 * (rows.T @ error / len(labels) + l2 * weights)
        bias -= 0.5 * error.mean()
    return weights, bias


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    positives = labels > 0
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)) if n_pos and n_neg else float("nan")


def top_sentences(scores: np.ndarray, labels: np.ndarray, owners: np.ndarray) -> list[tuple[float, bool, bool]]:
    """Per question: the top sentence's score, whether it is relevant, whether any sentence was."""
    out = []
    for owner in np.unique(owners):
        mask = owners == owner
        best = int(np.argmax(scores[mask]))
        out.append((float(scores[mask][best]), bool(labels[mask][best]), bool(labels[mask].any())))
    return out


def choose_threshold(tops: list[tuple[float, bool, bool]]) -> float:
    """The lowest score at which the top sentence is relevant for TARGET_PRECISION of the questions shown."""
    for threshold in np.arange(0.3, 0.96, 0.01):
        shown = [relevant for score, relevant, _ in tops if score >= threshold]
        if len(shown) >= 20 and sum(shown) / len(shown) >= TARGET_PRECISION:
            return round(float(threshold), 2)
    return 0.95


def choose_claim_threshold(scores: np.ndarray, labels: np.ndarray, floor: float) -> float:
    """The lowest score (not below the bottom line's) at which the sentences kept are relevant
    for CLAIM_PRECISION of them."""
    for threshold in np.arange(floor, 0.96, 0.01):
        kept = scores >= threshold
        if kept.sum() >= 50 and labels[kept].mean() >= CLAIM_PRECISION:
            return round(float(threshold), 2)
    return 0.95


def summarise(tops, threshold: float) -> dict:
    shown = [relevant for score, relevant, _ in tops if score >= threshold]
    answerable = [t for t in tops if t[2]]
    return {
        "questions": len(tops),
        "questions_with_a_relevant_candidate": len(answerable),
        "top_sentence_relevant": round(sum(t[1] for t in tops) / max(1, len(tops)), 3),
        "answered_at_threshold": round(len(shown) / max(1, len(tops)), 3),
        "precision_at_threshold": round(sum(shown) / max(1, len(shown)), 3),
        "answered_without_a_relevant_candidate": sum(1 for s, _, a in tops if s >= threshold and not a),
        "without_a_relevant_candidate": sum(1 for t in tops if not t[2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "build" / "train-corpus")
    parser.add_argument("--questions", type=int, default=2400, help="relevance questions per part (relevance, test)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    corpus = Corpus.open(Settings(data_dir=args.data_dir, search={"query_cache": 0}))
    corpus.prepare()
    documents = [d for d in corpus.store.iter_documents() if d.source in ("medquad", "ngc", "open_medicine")]
    print(f"{len(documents):,} consumer-health and guideline documents", file=sys.stderr)

    cached_types = args.data_dir / f"answer-types-{args.epochs}-{args.seed}.pickle"
    if cached_types.exists():  # training it takes minutes; the relevance features change more often
        answer_types, type_figures = pickle.loads(cached_types.read_bytes())
    else:
        splitter = corpus.engine.splitter
        examples = {name: [] for name in ("types", "relevance", "test")}
        for document in documents:
            examples[part(focus_key(document))] += list(iter_answer_type_examples([document], splitter.spans))
        print(f"answer-type sentences: { {k: len(v) for k, v in examples.items()} }", file=sys.stderr)
        answer_types = train_answer_types(examples["types"], args.epochs, args.seed)
        type_figures = evaluate_answer_types(answer_types, examples["test"])
        cached_types.write_bytes(pickle.dumps((answer_types, type_figures)))
    print(f"answer types on held-out topics: {type_figures['sentence_accuracy']:.3f} accuracy, "
          f"macro F1 {type_figures['macro_f1']:.3f}", file=sys.stderr)

    parts = {}
    for name in ("relevance", "test"):
        questions = relevance_questions(documents, name, args.questions, rng)
        cache = args.data_dir / f"relevance-candidates-{name}-{args.questions}-{args.seed}.pickle"
        asked, skipped = question_candidates(corpus, questions, cache)
        rows, labels, owners = question_rows(asked, answer_types)
        parts[name] = (rows, labels, owners, skipped, len(questions))
        print(f"{name}: {len(questions)} questions, {len(labels):,} candidates, {int(labels.sum()):,} relevant; "
              f"skipped {skipped}", file=sys.stderr)

    rows, labels, owners, _, _ = parts["relevance"]
    weights, bias = fit_logistic(rows, labels)
    scores = 1.0 / (1.0 + np.exp(-(rows @ weights + bias)))
    threshold = choose_threshold(top_sentences(scores, labels, owners))
    claim_threshold = choose_claim_threshold(scores, labels, threshold)
    figures = {"threshold_chosen_on": "relevance part", "relevance_part": summarise(top_sentences(scores, labels, owners), threshold)}
    test_rows, test_labels, test_owners, test_skipped, asked = parts["test"]
    test_scores = 1.0 / (1.0 + np.exp(-(test_rows @ weights + bias)))
    figures["held_out"] = summarise(top_sentences(test_scores, test_labels, test_owners), threshold)
    figures["held_out"]["sentence_auc"] = round(auc(test_scores, test_labels), 3)
    kept = test_scores >= claim_threshold
    figures["held_out"]["sentences_at_claim_threshold"] = {
        "precision": round(float(test_labels[kept].mean()), 3),
        "recall": round(float(test_labels[kept].sum() / test_labels.sum()), 3),
    }
    figures["held_out"]["asked"] = asked
    figures["held_out"]["skipped"] = test_skipped
    print(json.dumps(figures, indent=1), file=sys.stderr)

    model = {
        "features": list(FEATURES),
        "weights": [round(float(w), 5) for w in weights],
        "bias": round(float(bias), 5),
        "threshold": threshold,
        "claim_threshold": claim_threshold,
        "answer_types": list(ANSWER_TYPES),
        "info": {
            "trained_by": "scripts/train_relevance.py",
            "trained_on": "built-in corpus structure: MedQuAD answers by question type and focus, guideline passages "
                          "by heading; topics split 60/20/20 (answer types / relevance / held-out) by a hash of their name",
            "answer_types_held_out": type_figures,
            "relevance": figures,
            "seed": args.seed,
        },
    }
    args.out.write_text(json.dumps(model, indent=1) + "\n")
    np.savez_compressed(
        args.out.parent / Path(ANSWER_TYPES_FILE).name,
        vocabulary=np.array("\n".join(sorted(answer_types.vocabulary, key=answer_types.vocabulary.get))),
        weights=answer_types.weights.astype(np.float16),
        bias=answer_types.bias.astype(np.float32),
    )
    RelevanceModel.load(args.out)  # it loads
    size = (args.out.stat().st_size + (args.out.parent / Path(ANSWER_TYPES_FILE).name).stat().st_size) / 1e6
    print(f"wrote {args.out} ({size:.1f} MB)", file=sys.stderr)
    corpus.close()


if __name__ == "__main__":
    main()
