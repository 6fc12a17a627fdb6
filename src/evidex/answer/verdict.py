"""Verdict: yes / no / uncertain for a yes/no question, and the sentence it rests on — or none.

A wrong verdict is worse than none, so a yes or no is shown only when one
sentence of the deciding conclusion (or recommendation) says it plainly, in the
question's own direction, and nothing else in that passage says otherwise.

* The deciding passage is the top source's own conclusion, or the guideline
  recommendation that shares most words with the question.
* Each of its sentences gets a stance: it says yes to what it is about
  (a recommendation for, an effect found), no (a recommendation against, no
  effect, no difference, not useful), or that the evidence is not enough
  (insufficient, inconclusive, conflicting).  Two readers must agree: plain
  cue patterns a reader can check, and a small logistic regression over the
  same cues (numpy, weights in ``data/verdict_model.json``) trained by
  ``scripts/train_verdict.py`` on guideline recommendations of the built-in
  corpus labelled by their own grades (USPSTF A/B for, D against, I
  insufficient; VA/DoD Strong/Weak For or Against; ACC/AHA classes).  A
  recommendation that carries its grade is read by the grade.
* The stance is turned round where the question asks it: "Does X pose a
  risk?" answered by "X is of low risk" is no; "Is A as good as B?" answered
  by "no difference" is yes.
* Hedged ("may", "could"), contrasted ("but", "although"), conditional
  ("in selected patients") sentences, a direction opposite to the question's,
  a question that doubts ("really", "necessary", "always") met by a plain
  yes, and a passage whose sentences disagree give no verdict.  A sentence
  saying the evidence is inconclusive, conflicting or insufficient gives
  "uncertain", shown with that sentence.

The question's own cues are read once by :func:`question_cues`; :func:`decide`
takes them ready-made (``cues=``) or reads them from the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

import numpy as np

from evidex.answer.appraise import EDITORIAL_NOTES, Finding
from evidex.answer.asking import (
    DOWN,
    GENERIC_WORDS,
    NUMBER,
    UP,
    QuestionCues,
    question_cues,
    sex_groups,
)
from evidex.answer.words import crude_stems
from evidex.evidence.documents import EvidenceKind

LABELS = ("yes", "no", "uncertain")  # a sentence's stance: for / against / the evidence is not enough
MODEL_FILE = "verdict_model.json"
CONCLUSION_LABEL = re.compile(r"CONCLUSION|RECOMMENDATION|INTERPRETATION|IMPLICATION", re.IGNORECASE)
# An abstract's own answer; a guideline's passages are all recommendations, and its last one answers nothing in particular.
AUTHORS_CONCLUSION = re.compile(r"CONCLUSION|INTERPRETATION|IMPLICATION", re.IGNORECASE)
MIN_CONFIDENCE = 0.6  # the learned stance counts only when its probability reaches this (set before training)



# --- grades ---------------------------------------------------------------------
# A guideline's own grade says for, against, or not enough evidence; USPSTF C ("selectively
# offer", "an individual decision") and ACC/AHA IIb ("may be considered") say it depends.
_GRADE_FOR = re.compile(
    r"^\s*(?:[AB] recommendation|(?:Strong|Weak) for\b|Class (?:I|IIa)\b(?!I)|COR:? ?(?:1|2a)\b)", re.IGNORECASE
)
_GRADE_AGAINST = re.compile(
    r"^\s*(?:D recommendation|(?:Strong|Weak) against\b|Class III\b|COR:? ?3\b)", re.IGNORECASE
)
_GRADE_NOT_ENOUGH = re.compile(
    r"^\s*(?:I statement|C recommendation|N/A\b|Not applicable\b|Class IIb\b|COR:? ?2b\b)", re.IGNORECASE
)
# "(Class I, LOE A)", "(COR 2b, LOE C-LD)", "(Strong For; Reviewed, Amended)", "(D recommendation)" in a sentence
_GRADE_TAG = re.compile(
    r"\s*\(\s*((?:[A-D] recommendation|I statement|(?:Strong|Weak) (?:for|against)|N/A|Not applicable|"
    r"Class (?:I{1,3}|IIa|IIb)\b|COR:? ?(?:1|2a|2b|3)\b)[^()]*)\)",
    re.IGNORECASE,
)


def grade_stance(grade: str) -> str | None:
    """What a recommendation's grade says: "yes" (for), "no" (against), "uncertain" (not enough
    evidence, or an individual decision), or None for a grade that gives no direction."""
    if _GRADE_AGAINST.search(grade):
        return "no"
    if _GRADE_NOT_ENOUGH.search(grade):
        return "uncertain"
    if _GRADE_FOR.search(grade):
        return "yes"
    return None


def sentence_grade(sentence: str, strength: str | None = None) -> str | None:
    """The stance of the one grade a sentence carries (in its text or its passage's strength)."""
    tags = {grade_stance(m.group(1)) for m in _GRADE_TAG.finditer(sentence)} - {None}
    if strength and grade_stance(strength):
        tags.add(grade_stance(strength))
    return tags.pop() if len(tags) == 1 else None


def without_grade(sentence: str) -> str:
    """The sentence without its grade tags, as the cue readers see it."""
    return _GRADE_TAG.sub("", sentence).strip()


# --- cues -----------------------------------------------------------------
_NOT_NEGATION = re.compile(
    r"\b(?:not only|not just|not (?:a )?new|not (?:un|in|dis)(?:common|usual|reasonable|expected|important|likely|"
    r"significant|frequent|effective|considerable|appropriate|similar|related|substantial)\w*|not negligible|"
    r"no doubt|cannot be (?:excluded|ruled out)|"
    # who the sentence is about, not what it found: "those who had not received radiotherapy had worse outcomes"
    r"(?:who|whom)(?: \w+)? (?:had|have|has|did|do|does|were|was|are|is|could) not|"
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
    r"modif\w*|support\w*|depend\w*|due to|linked|found|needed|required|warranted)|(?:lack|absence) of (?:\w+ ){0,2}"
    r"(?:effects?|efficacy|benefits?|associations?|correlations?|relationships?|improvement|differences?|evidence|"
    r"significan\w+|response|impact|value|change))\b",
    re.IGNORECASE,
)
_SAME = re.compile(
    r"\b(similar\w*|comparable|no matter|as (?!well|soon|long|far|much|many|early|late)\w+ as|equivalent|equally|same|unchanged|unaffected|(?:is|are|was|were|remained) independent of|"
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
    r"fail\w*|disappoint\w*|adds? little|little need|needs? (?:revisiting|re-?evaluation|reconsideration)|"
    r"should be (?:abandoned|reconsidered|revised|questioned))\b",
    re.IGNORECASE,
)
_AGAINST = re.compile(
    r"\b(?:(?:recommends?|suggests?|advises?|recommended|suggested|advised) against|against (?:the )?(?:routine )?"
    r"(?:use|using|offering|screening|prescribing|starting)|(?:recommends?|suggests?) not|not (?:be )?recommended|"
    r"should not|must not|do not (?:use|offer|give|prescribe|start|screen|perform|routinely|combine|implant)|"
    r"(?<!to )avoid\w*|discourag\w*|no (?:role|indication|place) for|contraindicat\w*|harms? (?:outweigh|exceed)\w*)\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(significant(?:ly)?|associated with|effective\w*|efficacious|improv\w*|beneficial|benefits?|"
    r"useful|valuable|reliable|accurate\w*|safe|feasible|superior|predict\w*|increas\w*|reduc\w*|"
    r"decreas\w*|higher|lower|better|worse|poorer|important|independent (?:risk|predictor|prognostic)|risk factor|"
    r"confirm\w*|demonstrat\w*|support\w*|advantage\w*|valid\w*|achievable|possible|successful\w*|ideal|"
    r"positive (?:impact|effect|influence|association|correlation|relationship)|"
    r"(?:has|have|had) (?:an? )?(?:\w+ )?(?:impact|effect|influence|role))\b",
    re.IGNORECASE,
)
_RECOMMEND = re.compile(
    r"\b(recommend\w*|suggest(?:s|ed)? (?:that|using|offering|the use|a|an)\b|should|advis\w*|offer\w*|reasonable|"
    r"indicated|preferred|first[- ]line)\b",
    re.IGNORECASE,
)
# The evidence does not settle it: the sentences that make a verdict "uncertain".
_OPEN = re.compile(
    r"\b(may or may not|whether or not|unclear|uncertain\w*|unknown|inconclusive|equivocal|conflicting|opposing|"
    r"contradictory|controversial|debatable|mixed (?:results|findings|evidence)|"
    r"not (?:yet )?(?:clear|known|established|determined|proven|conclusive)|remains? to be (?:\w+ed)|"
    r"(?:insufficient|inadequate|not enough|limited|scarce|sparse|weak|no (?:good|firm|clear|conclusive|convincing|"
    r"definite|robust|strong)) (?:\w+ ){0,2}(?:evidence|data)|(?:evidence|data) (?:\w+ ){0,2}(?:is|are|was|were|"
    r"remains?) (?:\w+ )?(?:lacking|limited|scarce|sparse|weak|mixed|insufficient|inconclusive|conflicting)|"
    r"no (?:\w+ ){0,2}data|for or against|support or refute|no (?:firm|definite|clear|definitive) conclusions?|"
    r"cannot be (?:drawn|determined|concluded|established)|not robust|scarce)\b",
    re.IGNORECASE,
)
# "may improve" hedges a finding; "a programme, which may include yoga" lists options.
_WEAK_HEDGE = re.compile(r"\b(?:(?:may|might|could)(?! (?:also )?include)|possibl[ey]|perhaps|potentially|speculat\w*)\b", re.IGNORECASE)
_SOFT_HEDGE = re.compile(r"\b(suggest\w*|appear\w*|seem\w*|likely|probabl[ey]|indicat\w*)\b", re.IGNORECASE)
_CONDITIONAL = re.compile(
    r"\b(individuali[sz]\w*|individual (?:basis|decision|patients?)|selectiv\w*|selected|some (?:patients|cases|"
    r"women|men|children|subgroups?)|certain (?:patients|cases|subgroups?)|case[- ]by[- ]case|depend\w* on|"
    r"shared decision|preferences?|(?:may|can) (?:be )?consider\w*|optional|subgroups?|partial\w*|"
    r"to some extent|in part|partly|not always|not necessarily|only (?:in|for|when|if))\b",
    re.IGNORECASE,
)
# "… which warrants further investigation": the finding is put forward as tentative.
_FURTHER = re.compile(
    r"\b(?:further|larger|more|additional|future|prospective|randomi[sz]ed|well-designed|definitive) (?:\w+ ){0,3}"
    r"(?:studies|research|trials|investigations?|work|evaluation|data)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(r"\b(however|but|although|though|whereas|while|nevertheless|yet|despite|rather than|except)\b", re.IGNORECASE)
_SAFE = re.compile(
    r"\b(safe(?:ly|ty)?|well[- ]tolerated|low (?:\w+ )?risk|minimal (?:\w+ )?risk|no (?:\w+ ){0,2}(?:increased|"
    r"additional|excess|higher|greater|significant) (?:\w+ )?risk|not (?:\w+ ){0,2}(?:associated with|increase\w*) "
    r"(?:an? )?(?:\w+ )?risk|without (?:\w+ ){0,2}(?:complications|adverse|harm|risk)|no (?:\w+ ){0,2}"
    r"(?:complications|adverse (?:events|effects|outcomes)|harm))\b",
    re.IGNORECASE,
)
_UNSAFE = re.compile(r"\b(?:not (?:\w+ )?safe|unsafe)\b", re.IGNORECASE)
_HARM = re.compile(
    r"\b(?:(?:increase\w*|higher|greater|elevat\w*|excess|more) (?:\w+ ){0,3}(?:risks?|rates? of (?:\w+ ){0,2}"
    r"(?:complications?|adverse|infections?|mortality|morbidity)|complications?|adverse|mortality|morbidity|harms?)|"
    r"harmful|dangerous|unsafe|detrimental|deleterious|toxic\w*|hazardous|risk factors?|"
    r"associated with (?:an? )?(?:\w+ ){0,3}(?:risks?|complications?|adverse))\b",
    re.IGNORECASE,
)
_DIFFERENCE = re.compile(r"\b(significant\w*|superior|inferior|better|worse|more|less|higher|lower|differ\w*)\b", re.IGNORECASE)

_CONTRACTION = re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should)n't\b", re.IGNORECASE)
NEGATION_SCOPE_WORDS = 8
MIN_QUESTION_COVERAGE = 0.75  # share of the question's words the deciding source must have
MIN_BASIS_OVERLAP = 0.25  # share of the question's words a sentence needs to count towards the verdict


# --- what one sentence says -----------------------------------------------------





def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


# "In adults with progressive multiple sclerosis, …": a finding about part of those the question asks about
_OPENING_GROUP = re.compile(r"^\s*(?:In|Among|For)\s+((?:[\w-]+\s+){0,6}?(?:with|who|aged|undergoing|receiving)\b[^,]{0,80}),")
_ANY_GROUP = frozenset(crude_stems("patients people adults persons individuals those subjects participants with who aged"))


def _narrower_group(sentence: str, question_stems: frozenset[str]) -> bool:
    """Whether a sentence opens with a group the question does not name ("progressive")."""
    opening = _OPENING_GROUP.match(sentence)
    return bool(opening) and bool(crude_stems(opening.group(1)) - question_stems - _ANY_GROUP - GENERIC_WORDS)


def _negation_hits_question(sentence: str, question_stems: frozenset[str]) -> bool:
    """A negation cue followed, within a few words, by a word of the question."""
    for match in _NEGATION.finditer(sentence):
        after = _words(sentence[match.end():])[:NEGATION_SCOPE_WORDS]
        if crude_stems(" ".join(after)) & question_stems:
            return True
    return False


def _overlap(sentence: str, question_stems: frozenset[str] | set[str]) -> float:
    if not question_stems:
        return 0.0
    return len(crude_stems(sentence) & question_stems) / len(question_stems)


# The cues the learned stance reads, each from the sentence alone (the question plays no part).  A
# guideline says no with "recommends against", a study with "did not improve" or "was similar":
# all are "denies".
STANCE_CUES: dict[str, tuple[re.Pattern, ...]] = {
    "denies": (_NO_EFFECT, _AGAINST, _NOT_ENOUGH, _SAME),
    "affirms": (_POSITIVE, _RECOMMEND),
    "negation": (_NEGATION,),
    "open": (_OPEN,),
    "weak_hedge": (_WEAK_HEDGE,),
    "soft_hedge": (_SOFT_HEDGE,),
    "conditional": (_CONDITIONAL,),
    "further_research": (_FURTHER,),
    "contrast": (_CONTRAST,),
    "safe": (_SAFE,),
    "harm": (_HARM,),
}
STANCE_FEATURES = ["bias", *STANCE_CUES]


def _spelled_out(sentence: str) -> str:
    """The sentence without grade tags, its contractions spelled out ("doesn't" → "does not")."""
    text = _CONTRACTION.sub(lambda m: f"{m.group(1)} not", without_grade(sentence))
    return text.replace("can't", "cannot").replace("won't", "will not")


def stance_features(sentence: str) -> np.ndarray:
    """The learned stance's input: which cues the sentence (without grade tags) holds."""
    plain = _NOT_NEGATION.sub(" ", _spelled_out(sentence))
    return np.array([1.0] + [float(any(p.search(plain) for p in patterns)) for patterns in STANCE_CUES.values()])


def sentence_cues(sentence: str, question: str | QuestionCues, guideline: bool = False) -> dict[str, float]:
    """The cues of one sentence, read against the question (its text or its :class:`QuestionCues`).

    "Should", "recommend" and "avoid" say yes or no only in a guideline or to a question that asks
    what to do: "pH should be measured on fresh fluid" does not answer "Can pH be measured on the
    slide?", nor "should be avoided" "Is it a cause of anaemia?"."""
    q = question if isinstance(question, QuestionCues) else question_cues(question)
    sentence = _spelled_out(sentence)
    plain = _NOT_NEGATION.sub(" ", sentence)  # "not only", "cannot be excluded": not a negated finding
    no_effect = bool(_NO_EFFECT.search(plain))
    s_up, s_down = bool(UP.search(sentence)), bool(DOWN.search(sentence))
    safe = bool(_SAFE.search(plain)) and not _UNSAFE.search(plain)
    return {
        "no_effect": float(no_effect),
        "neg_on_question": float(_negation_hits_question(plain, q.stems)),
        "against": float(bool(_AGAINST.search(plain)) and (guideline or q.recommendation)),
        "same": float(bool(_SAME.search(sentence))),
        "not_enough": float(bool(_NOT_ENOUGH.search(sentence))),
        "positive": float(bool(_POSITIVE.search(sentence)) and not no_effect),
        "recommend": float(bool(_RECOMMEND.search(sentence)) and (guideline or q.recommendation)),
        "open": float(bool(_OPEN.search(sentence))),
        "hedge": float(bool(_WEAK_HEDGE.search(sentence))),
        "conditional": float(bool(_CONDITIONAL.search(sentence))),
        "further_research": float(bool(_FURTHER.search(sentence))),
        "contrast": float(bool(_CONTRAST.search(sentence))),
        "safe": float(safe),
        "harm": float(bool(_HARM.search(plain)) and not safe and not no_effect),
        "difference": float(bool(_DIFFERENCE.search(sentence)) and not no_effect),
        "direction_opposite": float((q.up and s_down) or (q.down and s_up)),
        "subgroup": float((len(sex_groups(sentence)) == 1 and not sex_groups(sentence) <= q.groups) or _narrower_group(sentence, q.stems)),
        "overlap": _overlap(sentence, q.stems),
    }


def stance(cues: dict[str, float], q_same: bool = False) -> dict[str, float]:
    """A sentence's stance: denies, affirms, or leaves open what it is about ("similar" denies a
    difference, or, with ``q_same``, affirms the sameness asked about)."""
    denies = bool(
        cues["no_effect"] or cues["neg_on_question"] or cues["not_enough"] or cues.get("against")
        or (cues["same"] and not q_same)
    )
    return {
        "denies": float(denies),
        "affirms": float(bool(cues["positive"] or cues.get("recommend") or cues.get("safe") or (q_same and cues["same"]))
                         and not denies),
        "open": float(bool(cues.get("open"))),
    }


# --- the learned stance --------------------------------------------------------------


@dataclass
class StanceModel:
    """Multinomial logistic regression over :func:`stance_features`; ``weights`` is (features × labels)."""

    names: list[str]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.weights
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def stance(self, sentence: str) -> str | None:
        """The sentence's stance, or None when the model is not confident of any."""
        p = self.probabilities(stance_features(sentence))[0]
        best = int(np.argmax(p))
        return LABELS[best] if p[best] >= MIN_CONFIDENCE else None

    def to_json(self, source: str, evaluation: dict) -> dict:
        return {
            "source": source,
            "evaluation": evaluation,
            "labels": list(LABELS),
            "features": self.names,
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict) -> StanceModel:
        if data["features"] != STANCE_FEATURES or tuple(data["labels"]) != LABELS:
            raise ValueError("verdict model does not match this version's features; rebuild it with scripts/train_verdict.py")
        return cls(data["features"], np.asarray(data["weights"]), np.asarray(data["mean"]), np.asarray(data["scale"]))


def model_path():
    """Where the shipped weights live (``evidex/data/verdict_model.json``)."""
    from evidex.evidence.builtin import data_path

    return data_path(MODEL_FILE)


@lru_cache(maxsize=1)
def shipped_model() -> StanceModel | None:
    path = model_path()
    if not path.is_file():
        return None
    return StanceModel.from_json(json.loads(path.read_text()))


# --- choosing the deciding passage and sentence ------------------------------


class Splitter(Protocol):
    def spans(self, key: str, text: str) -> list[tuple[int, int]]: ...


def deciding_finding(findings: list[Finding], question: str = "") -> Finding | None:
    """Among the top findings' conclusions or recommendations, the one sharing most words
    with the question ("chronic" back pain, not "acute"), best-ranked first; else the top finding."""
    conclusions = [f for f in findings[:6] if CONCLUSION_LABEL.search(f.passage.label or "") or f.strength]
    if not conclusions:
        return findings[0] if findings else None
    stems = crude_stems(question) - GENERIC_WORDS
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
            return replace(top, passage=passages[index], passage_id=passage_id, text=text, start=0, end=len(text), lead=0), True
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
        out.append(known.get((start, end)) or replace(finding, text=sentence, start=start, end=end, lead=0))
    return out or [finding]


def answers_the_question(question: str, title: str, sentences: list[str], concepts: Sequence[Sequence[str]] = ()) -> bool:
    """Whether the deciding source is about what the question asks: its title, alone or with
    one of its sentences, has most of the question's words, or most of its concepts under
    any of their names ("diuretics" for "water pills") and most of its other words.
    "Is metformin first-line for type 2 diabetes?" is not answered by a meta-analysis of
    metformin and COVID-19 mortality, however strongly that concludes."""
    named = [[frozenset(crude_stems(n)) for n in names if crude_stems(n)] for names in concepts]
    named = [alternatives for alternatives in named if alternatives]
    loose = crude_stems(question) - GENERIC_WORDS - {w for alternatives in named for phrase in alternatives for w in phrase}
    total = len(loose) + len(named)
    if not total:
        return True

    def coverage(words: set[str]) -> float:
        present = sum(any(phrase <= words for phrase in alternatives) for alternatives in named)
        return (present + len(loose & words)) / total

    stems = crude_stems(question) - GENERIC_WORDS
    title_words = crude_stems(title)
    for text in ["", *sentences]:
        words = title_words | crude_stems(text)
        if coverage(words) >= MIN_QUESTION_COVERAGE or len(stems & words) >= MIN_QUESTION_COVERAGE * len(stems):
            return True
    return False


# --- from stances to a verdict ------------------------------------------------------


def sentence_stance(sentence: str, cues: dict[str, float], model: StanceModel | None,
                    strength: str | None = None) -> str | None:
    """What the sentence says about what it is about, whatever the question: "yes" (for, an
    effect), "no" (against, no effect, no difference), "uncertain" (not enough evidence), or None
    when the cue patterns and the learned stance (or the recommendation's own grade) disagree."""
    read = stance(cues)
    if read["open"]:
        rule = "uncertain"
    elif read["denies"]:
        rule = "no"
    elif read["affirms"]:
        rule = "yes"
    else:
        return None
    second = sentence_grade(sentence, strength)
    if second is None:
        second = model.stance(sentence) if model is not None else rule
    return rule if second == rule else None


def answer_of(sentence: str, q: QuestionCues, model: StanceModel | None, strength: str | None = None,
              guideline: bool = False, title: str = "") -> str | None:
    """How one sentence answers the question: "yes", "no", "uncertain", or None when it says
    nothing plain about it (hedged, contrasted, conditional, another group or number, the
    other direction).  ``strength`` is its recommendation's grade, ``title`` its source's."""
    if not q.numbers <= set(NUMBER.findall(f"{title} {sentence}")):
        return None  # the question's "type 1" or "stage 3" is not what the sentence is about
    cues = sentence_cues(sentence, q, guideline)
    said = sentence_stance(sentence, cues, model, strength)
    if said is None or said == "uncertain":
        return said
    if any(cues[k] for k in ("hedge", "contrast", "conditional", "further_research", "subgroup", "direction_opposite")):
        return None
    only_same = cues["same"] and not (cues["no_effect"] or cues["not_enough"] or cues["against"] or cues["neg_on_question"])
    if said == "no" and only_same and not (q.same or q.differ):
        return None  # "as accurately as a urologist", "a group of similar size": no answer to "Is it feasible?"
    if q.harm:  # "Does X pose a risk?": "X is of low risk" is a no, "X increases the risk" a yes
        answer = "no" if cues["safe"] else "yes" if cues["harm"] and said == "yes" else "no" if said == "no" else None
    elif q.safety:  # "Is X safe?": "safe" is a yes, "not safe" or "increased risk of …" a no
        answer = "yes" if cues["safe"] and said == "yes" else "no" if cues["harm"] or said == "no" else None
    elif q.same:  # "Is A as good as B?": "similar" is a yes, "significantly better" a no, both at once neither
        if cues["same"] and cues["difference"]:
            return None
        answer = "yes" if cues["same"] and said == "no" else "no" if said == "yes" and cues["difference"] else None
    else:
        answer = said
    if answer == "yes" and q.doubt:
        return None  # "Is X really necessary?" is not answered by "X improved Y"
    return answer


def _grade(finding: Finding) -> str | None:
    """The recommendation's grade: its passage's, or a paragraph holding only the grade right after
    it ("… suggests offering an exercise program." then "(Weak For; Reviewed, New-replaced)")."""
    document = finding.document
    if finding.strength or document is None:
        return finding.strength
    index = next((i for i in range(len(document.passages)) if document.passage_id(i) == finding.passage_id), None)
    if index is None or index + 1 >= len(document.passages):
        return None
    following = document.passages[index + 1]
    return following.strength if following.strength and not without_grade(following.text) else None


def _answer_of(finding: Finding, q: QuestionCues, model: StanceModel | None) -> str | None:
    document = finding.document
    grade = _grade(finding)
    guideline = bool(grade) or (document is not None and document.kind is EvidenceKind.GUIDELINE)
    return answer_of(finding.text, q, model, grade, guideline, document.title if document else "")


def decide(question: str, flagged: bool, findings: list[Finding], splitter: Splitter | None = None,
           model: StanceModel | None = None, concepts: Sequence[Sequence[str]] = (),
           cues: QuestionCues | None = None) -> tuple[str, Finding] | None:
    """Yes / no / uncertain and the sentence it rests on; None when nothing decides it plainly.

    ``concepts`` holds every name of each concept the question names (MeSH name,
    the words typed, synonyms): a source may say "diuretics" for "water pills".
    ``cues`` are the question's :func:`question_cues`, when already read.  ``flagged``
    (a leading auxiliary) is :func:`is_yes_no`'s to use; it does not change the verdict."""
    if not findings:
        return None
    q = cues or question_cues(question)
    if q.negated:
        return None
    best, is_conclusion = deciding_passage(findings, whole_passages=splitter is not None, question=question)
    kind = best.document.kind if best.document is not None else None
    if not is_conclusion and kind not in (EvidenceKind.GUIDELINE, EvidenceKind.CONSUMER):
        return None  # a study's results or background are not its authors' answer
    sentences = passage_sentences(best, findings, splitter)
    if not answers_the_question(question, best.document.title if best.document else "", [s.text for s in sentences], concepts):
        return None
    model = model or shipped_model()
    answers = [(_answer_of(s, q, model), s) for s in sentences if _overlap(s.text, q.stems) >= MIN_BASIS_OVERLAP]
    open_ = [s for a, s in answers if a == "uncertain"]
    if open_:  # inconclusive, conflicting or not enough evidence, in the authors' own words
        return "uncertain", max(open_, key=lambda s: _overlap(s.text, q.stems))
    said = {a for a, _ in answers if a}
    if len(said) != 1:
        return None  # nothing plain, or sentences that disagree
    # The authors' main conclusion (the passage's first sentence) or the sentence closest to the
    # question must be the one that says it, not a side remark.
    focus = max(sentences, key=lambda s: _overlap(s.text, q.stems))
    main = [(a, s) for a, s in answers if a and (s is sentences[0] or s is focus)]
    if not main:
        return None
    value, basis = max(main, key=lambda pair: _overlap(pair[1].text, q.stems))
    return value, basis
