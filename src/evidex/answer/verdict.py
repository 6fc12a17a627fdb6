"""Verdict: yes / no / uncertain for a yes/no question, and the sentence it rests on.

The deciding evidence is the conclusion (or recommendation) passage of the
best-matching source among the top findings.  Every sentence of that passage
is read for cues, each one a plain pattern a reader can check:

* what the sentence says about an effect: negated ("did not improve",
  "no difference", "is not a useful predictor", "cannot be relied upon"),
  "no different" in other words ("similar", "comparable", "regardless of"),
  "not enough" ("insufficient", "of limited value", "low yield"), or a
  positive finding ("significantly", "associated with", "effective", "safe");
* whether a negation falls on words of the question itself ("Can p53 predict
  …?" — "p53 is not a useful predictor"), and whether the sentence's
  direction (higher / lower, more / less) matches the one the question asks
  about;
* hedges and genuine uncertainty ("may or may not", "unclear", "partially",
  "further studies are needed", "however");
* how the question is asked ("really", "necessary", "always", "similar").

A small multinomial logistic regression weighs these cues (weights in
``data/verdict_model.json``, trained on the PubMedQA expert-labelled
questions by ``scripts/train_verdict.py``; ``benchmarks/ask.py`` reports its
k-fold cross-validated accuracy).  The verdict's basis is the sentence of the
passage whose cues most support the chosen answer, so the verdict is always
shown with the exact source sentence and its citation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

import numpy as np

from evidex.answer.appraise import EDITORIAL_NOTES, Finding
from evidex.answer.words import crude_stems

LABELS = ("yes", "no", "uncertain")
MODEL_FILE = "verdict_model.json"
CONCLUSION_LABEL = re.compile(r"CONCLUSION|RECOMMENDATION|INTERPRETATION|IMPLICATION", re.IGNORECASE)
# An abstract's own answer; a guideline's passages are all recommendations, and its last one answers nothing in particular.
AUTHORS_CONCLUSION = re.compile(r"CONCLUSION|INTERPRETATION|IMPLICATION", re.IGNORECASE)

# "Is X …?" without a leading auxiliary: "Aripiprazole: a new risk factor for pathological gambling?"
_WH = re.compile(r"\b(what|which|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)

# --- cues -----------------------------------------------------------------
_NOT_NEGATION = re.compile(
    r"\b(?:not only|not just|not (?:a )?new|not (?:un\w+|in\w+|dis\w+)|no doubt|cannot be (?:excluded|ruled out)|"
    r"no matter|not to mention|whether or not|if not|no (?:longer|more) than)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(not|no|none|neither|nor|never|cannot|can't|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|"
    r"lack(?:s|ed|ing)? of|lacks|absence of|absent|failed to|fails to|unable to|without)\b",
    re.IGNORECASE,
)
_NO_EFFECT = re.compile(
    r"\b(no (?:\w+ ){0,3}(?:differences?|effects?|benefits?|advantages?|associations?|improvement|evidence|role|"
    r"impact|relationship|correlation|changes?|influence|increase|decrease|reduction|awareness|need|value|trend|"
    r"link|predictive|prognostic|significan\w+)|did not|does not|do not|was not|were not|is not|are not|"
    r"has not|have not|had not|could not|cannot|failed to|not (?:\w+ ){0,3}?(?:associated|effective|superior|"
    r"improve\w*|reduc\w*|increas\w*|related|correlated|predict\w*|useful|necessary|justified|recommended|"
    r"beneficial|safe|sufficient|adequate|significant\w*|differ\w*|affect\w*|influenc\w*|change\w*|"
    r"modif\w*|support\w*|depend\w*|due to|linked|found|needed|required|warranted)|lack of|absence of)\b",
    re.IGNORECASE,
)
_SAME = re.compile(
    r"\b(similar\w*|comparable|no matter|as (?!well|soon|long|far|much|many|early|late)\w+ as|equivalent|equally|same|unchanged|unaffected|independent(?:ly)? of|"
    r"irrespective of|regardless of|did not differ|no different|not different|non-?inferior\w*|as (?:safe|"
    r"effective|good|accurate) as)\b",
    re.IGNORECASE,
)
_NOT_ENOUGH = re.compile(
    r"\b(insufficient\w*|inadequate\w*|unnecessary|not necessary|not needed|not required|limited (?:value|"
    r"role|use|utility|benefit)|low (?:yield|value|utility|accuracy|sensitivity)|little (?:value|benefit|"
    r"effect|evidence|use|role|to)|poor(?:ly)? (?:predict\w*|correlat\w*|accura\w*|sensitiv\w*|specific\w*|"
    r"reliab\w*|agreement|value|performance|outcomes?|prognos\w*)|unreliable|unlikely|rarely|rare|only a minority|questionable|"
    r"not (?:be )?justified|doubtful|overestimat\w*|underestimat\w*|misleading|inaccurate|suboptimal|"
    r"worse|fail\w*|disappoint\w*|adds? little|little need|needs? (?:revisiting|re-?evaluation|reconsideration)|"
    r"should be (?:abandoned|reconsidered|revised|questioned))\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(significant(?:ly)?|associated with|effective\w*|efficacious|improv\w*|beneficial|benefits?|"
    r"useful|valuable|reliable|accurate\w*|safe|feasible|superior|predict\w*|increas\w*|reduc\w*|"
    r"decreas\w*|higher|lower|better|important|independent (?:risk|predictor|prognostic)|risk factor|"
    r"recommend\w*|should be|can be|is a|are a|confirm\w*|demonstrat\w*|support\w*|advantage\w*|valid\w*)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(may|might|could|possibl\w*|potential\w*|perhaps|appear\w*|seem\w*|likely|suggest\w*|probabl\w*)\b", re.IGNORECASE)
_UNCERTAIN = re.compile(
    r"\b(may or may not|unclear|uncertain\w*|unknown|inconclusive|controversial|conflicting|debat\w*|"
    r"remains? to be|not (?:yet )?(?:clear|known|established|determined)|cannot be (?:drawn|determined|"
    r"excluded|ruled out)|partial\w*|to some extent|in part|not always|not necessarily|depend\w* on|"
    r"selected|some (?:patients|cases)|subgroup|mixed|modest|weak\w*|trend|borderline|limited|"
    r"further (?:\w+ )?(?:studies|research|trials|investigation\w*|work|evaluation|data)|larger|prospective|"
    r"warrant\w*|needed|need to be|should be (?:confirmed|investigated|explored|evaluated))\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\b(however|but|although|though|whereas|while|nevertheless|yet|despite)\b", re.IGNORECASE)
_UP = re.compile(r"\b(increas\w*|higher|more|greater|improv\w*|better|longer|elevat\w*|rais\w*|enhanc\w*|superior|gain\w*)\b", re.IGNORECASE)
_DOWN = re.compile(r"\b(decreas\w*|lower|less|fewer|reduc\w*|declin\w*|worse|shorter|diminish\w*|inferior|loss)\b", re.IGNORECASE)

_Q_DOUBT = re.compile(
    r"\b(really|necessary|necessity|needed|need|always|mandatory|routine\w*|worth\w*|justif\w*|required|essential|"
    r"still|only|all|sufficient|adequate\w*|enough|myth|contraindicat\w*|truly|actually|indispensable|obligatory|"
    r"must|overrated|any)\b",
    re.IGNORECASE,
)
_Q_SAME = re.compile(r"\b(similar|same|equivalent|comparable|equal\w*|as (?:safe|effective|good|accurate) as|alike)\b", re.IGNORECASE)
_Q_DIFFER = re.compile(r"\b(differ\w*|vary|varies|better|superior|inferior|versus|vs\.?|compared|than|advantage\w*)\b", re.IGNORECASE)
_Q_NEGATIVE_VALENCE = re.compile(
    r"\b(waste|unnecessary|harmful|myth|overrated|problem\w*|pitfalls?|contraindicat\w*|limit\w*|failure|failed|"
    r"useless|obsolete|overus\w*|underestimat\w*|overestimat\w*|barrier\w*|deficit\w*|dangerous|lost|concern\w*)\b",
    re.IGNORECASE,
)
_Q_NEGATION = re.compile(r"\b(not|no|without|never|n't)\b", re.IGNORECASE)

_GENERIC = frozenset(crude_stems(
    "is are was were does do did can could should will would may might there their patients patient study "
    "really always any all still new use used using effect effects risk role"
))
NEGATION_SCOPE_WORDS = 8
MIN_QUESTION_COVERAGE = 0.75  # share of the question's words the deciding source must have


def is_yes_no(text: str, flagged: bool) -> bool:
    """A yes/no question: flagged by :mod:`evidex.answer.understand` (leading auxiliary), or a
    question ending in "?" that asks no wh-question ("Aripiprazole: a risk factor for gambling?")."""
    text = text.strip()
    return flagged or (text.endswith("?") and not _WH.search(text))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _negation_hits_question(sentence: str, question_stems: set[str]) -> bool:
    """A negation cue followed, within a few words, by a word of the question."""
    for match in _NEGATION.finditer(sentence):
        after = _words(sentence[match.end():])[:NEGATION_SCOPE_WORDS]
        if crude_stems(" ".join(after)) & question_stems:
            return True
    return False


def _overlap(sentence: str, question_stems: set[str]) -> float:
    if not question_stems:
        return 0.0
    return len(crude_stems(sentence) & question_stems) / len(question_stems)


def sentence_cues(sentence: str, question: str) -> dict[str, float]:
    """The cues of one sentence, read against the question."""
    q_stems = crude_stems(question) - _GENERIC
    plain = _NOT_NEGATION.sub(" ", sentence)  # "not only", "cannot be excluded": not a negated finding
    no_effect = bool(_NO_EFFECT.search(plain))
    neg_on_q = _negation_hits_question(plain, q_stems)
    same = bool(_SAME.search(sentence))
    not_enough = bool(_NOT_ENOUGH.search(sentence))
    positive = bool(_POSITIVE.search(sentence))
    q_up, q_down = bool(_UP.search(question)), bool(_DOWN.search(question))
    s_up, s_down = bool(_UP.search(sentence)), bool(_DOWN.search(sentence))
    return {
        "no_effect": float(no_effect),
        "neg_on_question": float(neg_on_q),
        "negation": float(bool(_NEGATION.search(plain))),
        "same": float(same),
        "not_enough": float(not_enough),
        "positive": float(positive and not no_effect),
        "hedge": float(bool(_HEDGE.search(sentence))),
        "uncertain": float(bool(_UNCERTAIN.search(sentence))),
        "may_or_may_not": float(bool(re.search(r"\bmay or may not\b|\bwhether or not\b", sentence, re.IGNORECASE))),
        "contrast": float(bool(_CONTRAST.search(sentence))),
        "direction_match": float((q_up and s_up) or (q_down and s_down)),
        "direction_opposite": float((q_up and s_down and not s_up) or (q_down and s_up and not s_down)),
        "overlap": _overlap(sentence, q_stems),
    }


_QUESTION_CUES = ["q_doubt", "q_same", "q_differ", "q_negation", "q_negative_valence", "q_auxiliary"]


def question_cues(question: str, flagged: bool) -> dict[str, float]:
    return {
        "q_doubt": float(bool(_Q_DOUBT.search(question))),
        "q_same": float(bool(_Q_SAME.search(question))),
        "q_differ": float(bool(_Q_DIFFER.search(question))),
        "q_negation": float(bool(_Q_NEGATION.search(question))),
        "q_negative_valence": float(bool(_Q_NEGATIVE_VALENCE.search(question))),
        "q_auxiliary": float(flagged),
    }


def stance(cues: dict[str, float], q_same: bool) -> dict[str, float]:
    """A sentence's stance towards the question: denies, affirms, or leaves it open."""
    denies = bool(
        cues["no_effect"] or cues["neg_on_question"] or cues["not_enough"] or (cues["same"] and not q_same)
    )
    return {
        "denies": float(denies),
        "affirms": float(bool(cues["positive"] or (q_same and cues["same"])) and not denies),
        "open": float(bool(cues["may_or_may_not"] or cues["uncertain"])),
        "hedged": cues["hedge"],
    }


_STANCES = ["denies", "affirms", "open", "hedged"]
_CUE_FEATURES = ["neg_on_question", "no_effect", "same", "not_enough", "positive", "uncertain", "may_or_may_not",
                 "contrast", "direction_match", "direction_opposite"]


def feature_names() -> list[str]:
    names = ["bias"]
    for where in ("first", "focus", "weighted"):
        names += [f"{where}_{k}" for k in _STANCES]
    names += [f"any_{k}" for k in _CUE_FEATURES]
    names += _QUESTION_CUES
    names += ["q_doubt_x_denies", "q_doubt_x_affirms", "q_same_x_denies", "n_sentences", "is_conclusion"]
    return names


def features(question: str, flagged: bool, sentences: list[str], is_conclusion: bool) -> np.ndarray:
    """Cue vector for a question and the sentences of its deciding passage (in passage order).

    Each sentence's stance is read three ways: the first sentence (usually the
    authors' main conclusion), the sentence sharing most words with the
    question, and an average weighted by that overlap plus a bonus for the
    first sentence."""
    q = question_cues(question, flagged)
    cues = [sentence_cues(s, question) for s in sentences] or [sentence_cues("", question)]
    stances = [stance(c, bool(q["q_same"])) for c in cues]
    weights = np.array([c["overlap"] + (1.0 if i == 0 else 0.0) for i, c in enumerate(cues)])
    weights = weights / weights.sum()
    focus = max(range(len(cues)), key=lambda i: cues[i]["overlap"])
    weighted = {k: float(sum(w * st[k] for w, st in zip(weights, stances))) for k in _STANCES}
    row = [1.0]
    row += [stances[0][k] for k in _STANCES]
    row += [stances[focus][k] for k in _STANCES]
    row += [weighted[k] for k in _STANCES]
    row += [max(c[k] for c in cues) for k in _CUE_FEATURES]
    row += [q[k] for k in _QUESTION_CUES]
    row += [
        q["q_doubt"] * weighted["denies"],
        q["q_doubt"] * weighted["affirms"],
        q["q_same"] * weighted["denies"],
        min(len(sentences), 6) / 6,
        float(is_conclusion),
    ]
    return np.asarray(row, dtype=np.float64)


# --- the model --------------------------------------------------------------


@dataclass
class VerdictModel:
    """Multinomial logistic regression over :func:`features`; ``weights`` is (features × labels)."""

    names: list[str]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.weights
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> str:
        return LABELS[int(np.argmax(self.probabilities(x)[0]))]

    def to_json(self, source: str) -> dict:
        return {
            "source": source,
            "labels": list(LABELS),
            "features": self.names,
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict) -> VerdictModel:
        if data["features"] != feature_names() or tuple(data["labels"]) != LABELS:
            raise ValueError("verdict model does not match this version's features; rebuild it with scripts/train_verdict.py")
        return cls(data["features"], np.asarray(data["weights"]), np.asarray(data["mean"]), np.asarray(data["scale"]))


# Chosen by 10-fold cross-validation among 1, 3, 10, 30, 100 on the PubMedQA labelled questions.
TRAIN_L2 = 30.0


def fold_of(key: str, folds: int) -> int:
    """Deterministic fold of an item (by a hash of its id), for k-fold cross-validation."""
    return int(hashlib.md5(key.encode()).hexdigest(), 16) % folds


def cross_validation_models(x: np.ndarray, y: list[str], keys: list[str], folds: int = 10,
                            l2: float = TRAIN_L2) -> tuple[list[VerdictModel], list[int]]:
    """One model per fold, each trained on the other folds; and each item's fold."""
    assignment = [fold_of(k, folds) for k in keys]
    models = []
    for fold in range(folds):
        rows = [i for i, f in enumerate(assignment) if f != fold]
        models.append(train(np.asarray(x)[rows], [y[i] for i in rows], l2=l2))
    return models, assignment


def train(x: np.ndarray, y: list[str], l2: float = TRAIN_L2, steps: int = 2000, rate: float = 0.5) -> VerdictModel:
    """Fit the regression by full-batch gradient descent (small data: 500 rows, ~60 features)."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    mean[0], scale[0] = 0.0, 1.0  # keep the bias column
    scale[scale == 0] = 1.0
    xs = (x - mean) / scale
    target = np.zeros((len(y), len(LABELS)))
    target[np.arange(len(y)), [LABELS.index(v) for v in y]] = 1.0
    weights = np.zeros((x.shape[1], len(LABELS)))
    penalty = np.ones_like(weights)
    penalty[0] = 0.0
    n = len(y)
    for _ in range(steps):
        z = xs @ weights
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        grad = xs.T @ (p - target) / n + l2 * penalty * weights / n
        weights -= rate * grad
    return VerdictModel(feature_names(), weights, mean, scale)


def model_path():
    """Where the shipped weights live (``evidex/data/verdict_model.json``)."""
    from evidex.evidence.builtin import data_path

    return data_path(MODEL_FILE)


@lru_cache(maxsize=1)
def shipped_model() -> VerdictModel | None:
    path = model_path()
    if not path.is_file():
        return None
    return VerdictModel.from_json(json.loads(path.read_text()))


_override: list[VerdictModel] = []
_recorders: list[list] = []


@contextmanager
def using_model(model: VerdictModel) -> Iterator[None]:
    """Answer with ``model`` instead of the shipped one (cross-validation in the benchmark)."""
    _override.append(model)
    try:
        yield
    finally:
        _override.pop()


@contextmanager
def recording() -> Iterator[list]:
    """Collect (question, feature vector) for every verdict made inside the block."""
    log: list = []
    _recorders.append(log)
    try:
        yield log
    finally:
        _recorders.remove(log)


# --- choosing the deciding passage and sentence ------------------------------


class Splitter(Protocol):
    def spans(self, key: str, text: str) -> list[tuple[int, int]]: ...


def deciding_finding(findings: list[Finding], question: str = "") -> Finding | None:
    """Among the top findings' conclusions or recommendations, the one sharing most words
    with the question ("chronic" back pain, not "acute"), best-ranked first; else the top finding."""
    conclusions = [f for f in findings[:6] if CONCLUSION_LABEL.search(f.passage.label or "") or f.strength]
    if not conclusions:
        return findings[0] if findings else None
    stems = crude_stems(question) - _GENERIC
    return max(conclusions, key=lambda f: _overlap(f.text, stems))


def deciding_passage(findings: list[Finding], whole_passages: bool = True, question: str = "") -> tuple[Finding, bool]:
    """A finding of the passage that decides the verdict, and whether that passage is a conclusion.

    The top finding's document decides when it has a conclusion section (its
    authors' own answer); otherwise the best conclusion or recommendation
    among the top findings."""
    top = findings[0]
    passages = top.document.passages if top.document is not None else []
    for index in range(len(passages) - 1, -1, -1):
        if AUTHORS_CONCLUSION.search(passages[index].label or "") and not EDITORIAL_NOTES.search(passages[index].text):
            passage_id = top.document.passage_id(index)
            if top.passage_id == passage_id:
                return top, True
            known = next((f for f in findings if f.passage_id == passage_id), None)
            if known is not None:
                return known, True
            if not whole_passages:
                break
            text = passages[index].text
            return replace(top, passage=passages[index], passage_id=passage_id, text=text, start=0, end=len(text)), True
    best = deciding_finding(findings, question)
    return best, bool(CONCLUSION_LABEL.search(best.passage.label or "") or best.strength)


def passage_sentences(finding: Finding, findings: list[Finding], splitter: Splitter | None) -> list[Finding]:
    """Every sentence of the deciding finding's passage as a finding, in passage order.

    Sentences that appraisal already scored keep their scores; the others are
    new findings of the same passage at their exact spans."""
    known = {(f.start, f.end): f for f in findings if f.passage_id == finding.passage_id}
    if finding.end - finding.start < len(finding.passage.text) or not splitter:
        known[(finding.start, finding.end)] = finding
    if splitter is None:
        return sorted(known.values(), key=lambda f: f.start)
    text = finding.passage.text
    out = []
    for start, end in splitter.spans(finding.passage_id, text):
        sentence = text[start:end]
        if len(sentence.strip()) < 15 or EDITORIAL_NOTES.search(sentence) or sentence.rstrip().endswith(":"):
            continue  # too short, an editorial note, or a lead-in whose list is elsewhere
        out.append(known.get((start, end)) or replace(finding, text=sentence, start=start, end=end))
    return out or [finding]


def _support(cues: dict[str, float], value: str) -> float:
    """How plainly one sentence states ``value``: used only to pick the basis sentence."""
    if value == "no":
        return 3 * cues["neg_on_question"] + 2 * cues["no_effect"] + cues["not_enough"] + cues["same"] + cues["overlap"]
    if value == "uncertain":
        return 2 * cues["may_or_may_not"] + cues["uncertain"] + cues["hedge"] + cues["contrast"] + cues["overlap"]
    return cues["positive"] + cues["direction_match"] + 2 * cues["overlap"] - 2 * cues["no_effect"]


def decide(question: str, flagged: bool, findings: list[Finding], splitter: Splitter | None = None,
           model: VerdictModel | None = None, concepts: Sequence[Sequence[str]] = ()) -> tuple[str, Finding] | None:
    """Yes / no / uncertain and the sentence it rests on; None when nothing can decide.

    ``concepts`` holds every name of each concept the question names (MeSH name,
    the words typed, synonyms): a source may say "diuretics" for "water pills"."""
    if not findings:
        return None
    best, is_conclusion = deciding_passage(findings, whole_passages=splitter is not None, question=question)
    sentences = passage_sentences(best, findings, splitter)
    texts = [s.text for s in sentences]
    if not answers_the_question(question, best.document.title if best.document else "", texts, concepts):
        return None
    x = features(question, flagged, texts, is_conclusion)
    for log in _recorders:
        log.append((question, x))
    model = _override[-1] if _override else (model or shipped_model())
    value = model.predict(x) if model is not None else _rule(question, texts)
    basis = max(sentences, key=lambda s: (_support(sentence_cues(s.text, question), value), s is best))
    return _coherent(value, basis.text, question), basis


def answers_the_question(question: str, title: str, sentences: list[str], concepts: Sequence[Sequence[str]] = ()) -> bool:
    """Whether the deciding source is about what the question asks: its title, alone or with
    one of its sentences, has most of the question's words, or most of its concepts under
    any of their names ("diuretics" for "water pills") and most of its other words.
    "Is metformin first-line for type 2 diabetes?" is not answered by a meta-analysis of
    metformin and COVID-19 mortality, however strongly that concludes."""
    named = [[frozenset(crude_stems(n)) for n in names if crude_stems(n)] for names in concepts]
    named = [alternatives for alternatives in named if alternatives]
    loose = crude_stems(question) - _GENERIC - {w for alternatives in named for phrase in alternatives for w in phrase}
    total = len(loose) + len(named)
    if not total:
        return True

    def coverage(words: set[str]) -> float:
        present = sum(any(phrase <= words for phrase in alternatives) for alternatives in named)
        return (present + len(loose & words)) / total

    stems = crude_stems(question) - _GENERIC
    title_words = crude_stems(title)
    for text in ["", *sentences]:
        words = title_words | crude_stems(text)
        if coverage(words) >= MIN_QUESTION_COVERAGE or len(stems & words) >= MIN_QUESTION_COVERAGE * len(stems):
            return True
    return False


def _coherent(value: str, basis: str, question: str) -> str:
    """A verdict must agree with the sentence shown as its basis: "no" on a sentence that
    denies nothing, or "yes" on one that denies the question, becomes "uncertain"."""
    basis_stance = stance(sentence_cues(basis, question), bool(_Q_SAME.search(question)))
    if value == "no" and not basis_stance["denies"] and not basis_stance["open"]:
        return "uncertain"
    if value == "yes" and basis_stance["denies"]:
        return "uncertain"
    return value


def _rule(question: str, sentences: list[str]) -> str:
    """Fallback without a model file: "no" when the first sentence or the one closest to the
    question denies it, or the question asks whether two things are the same; else "yes"."""
    same = bool(_Q_SAME.search(question))
    cues = [sentence_cues(s, question) for s in sentences] or [sentence_cues("", question)]
    focus = max(cues, key=lambda c: c["overlap"])
    if stance(cues[0], same)["denies"] or stance(focus, same)["denies"] or same:
        return "no"
    return "yes"
