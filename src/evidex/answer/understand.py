"""Understand: what a clinical question is about, before any evidence is read.

Finds the condition(s) and intervention(s) (MeSH-normalised through the
vocabulary), the question type, patient modifiers ("after recent spinal
surgery", "pregnant"), red-flag features ("saddle anaesthesia") and whether
it is a yes/no question.  Everything here is pattern matching over the
question text, kept as data in :data:`MODIFIERS` and :data:`RED_FLAGS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from evidex.search.expand import Concept, ExpandedQuery, expand_query
from evidex.search.vocab import Vocabulary, sentence_case

Audience = Literal["clinician", "patient"]
QuestionType = Literal["therapy", "diagnosis", "prognosis", "harm", "dosing", "etiology", "general"]

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class PatternSet:
    """A named clinical feature and the phrases that signal it."""

    key: str
    label: str
    patterns: tuple[str, ...]
    search_terms: tuple[str, ...] = ()

    def find(self, text: str) -> str | None:
        for pattern in self.patterns:
            match = re.search(pattern, text, re.IGNORECASE)
            if match:
                return match.group(0)
        return None


MODIFIERS: tuple[PatternSet, ...] = (
    PatternSet(
        "post_operative",
        "Recent surgery / post-operative",
        (r"\b(?:after|following|post[- ]?)\s*(?:recent\s+)?(?:\w+\s+){0,2}(?:surgery|operation|discectomy|laminectomy|fusion|decompression)\b",
         r"\bpost[- ]?op(?:erative(?:ly)?)?\b", r"\brecent(?:ly)?\s+(?:\w+\s+){0,2}(?:surgery|operated)\b"),
        ("postoperative", "after surgery", "rehabilitation after surgery"),
    ),
    PatternSet(
        "neurological_deficit",
        "Neurological deficit",
        (r"\bneurolog\w*\s+(?:deficits?|signs?|symptoms?|impairment)\b", r"\b(?:foot\s+drop|muscle\s+weakness|leg\s+weakness|numbness|motor\s+deficit)\b",
         r"\bradiculopathy\b"),
        ("neurological deficit", "neurologic deficit", "radiculopathy"),
    ),
    PatternSet("pregnancy", "Pregnancy", (r"\bpregnan\w*\b", r"\bbreast[- ]?feeding\b", r"\blactat\w+\b"), ("pregnancy",)),
    PatternSet("child", "Child or adolescent", (r"\b(?:child|children|paediatric|pediatric|infant|adolescent|teen\w*)\b",), ("children",)),
    PatternSet("older_adult", "Older adult", (r"\b(?:older|elderly|geriatric|aged\s+(?:6|7|8|9)\d)\b",), ("older adults", "elderly")),
    PatternSet("kidney_disease", "Kidney disease", (r"\b(?:kidney|renal)\s+(?:disease|failure|impairment|insufficiency)\b", r"\bCKD\b", r"\bdialysis\b"), ("chronic kidney disease",)),
    PatternSet("liver_disease", "Liver disease", (r"\b(?:liver|hepatic)\s+(?:disease|failure|impairment)\b", r"\bcirrho\w+\b"), ("liver disease",)),
    PatternSet("anticoagulation", "Anticoagulation", (r"\banticoagula\w+\b", r"\b(?:warfarin|apixaban|rivaroxaban|dabigatran|blood thinners?)\b"), ("anticoagulant",)),
    PatternSet("diabetes", "Diabetes", (r"\bdiabet\w+\b",), ("diabetes",)),
    PatternSet("heart_failure", "Heart failure", (r"\bheart\s+failure\b",), ("heart failure",)),
)

RED_FLAGS: tuple[PatternSet, ...] = (
    PatternSet("saddle_anaesthesia", "Saddle anaesthesia", (r"\bsaddle\s+(?:an(?:a)?esthesia|numbness|area\s+numbness)\b", r"\bnumb\w*\s+(?:in\s+the\s+)?(?:groin|genitals|buttocks)\b")),
    PatternSet("bladder_bowel", "New bladder or bowel dysfunction", (r"\b(?:urinary|urine)\s+(?:retention|incontinence)\b", r"\b(?:bladder|bowel)\s+(?:dysfunction|problems?|incontinence|control)\b", r"\bcan(?:no|')t\s+(?:pee|urinate)\b")),
    PatternSet("progressive_weakness", "Progressive or severe weakness", (r"\bprogressive\s+(?:\w+\s+)?(?:weakness|neurolog\w+\s+deficits?)\b", r"\b(?:sudden|severe|worsening)\s+weakness\b", r"\bfoot\s+drop\b")),
    PatternSet("fever_back_pain", "Fever with back pain", (r"\bfever\b.*\bback\s+pain\b", r"\bback\s+pain\b.*\bfever\b")),
    PatternSet("cancer_history", "History of cancer with new pain", (r"\bhistory\s+of\s+cancer\b", r"\bunexplained\s+weight\s+loss\b")),
    PatternSet("trauma", "Significant trauma", (r"\b(?:major|significant)\s+trauma\b", r"\b(?:fall|car\s+accident|crash)\b.*\bpain\b")),
    PatternSet("suicidal", "Suicidal thoughts", (r"\bsuicid\w*\b", r"\b(?:kill|harm)\w*\s+(?:myself|himself|herself|themselves)\b", r"\bself[- ]harm\b")),
    PatternSet("chest_pain", "Chest pain with breathlessness or fainting", (r"\bchest\s+pain\b.*\b(?:short(?:ness)?\s+of\s+breath|faint\w*|sweat\w*)\b",)),
    PatternSet("stroke_signs", "Sudden stroke-like signs", (r"\b(?:face\s+droop\w*|slurred\s+speech|sudden\s+(?:numbness|confusion|vision\s+loss))\b",)),
    PatternSet("anaphylaxis", "Signs of a severe allergic reaction", (r"\b(?:anaphyla\w+|throat\s+(?:swelling|closing)|swollen\s+(?:tongue|throat))\b",)),
)

_QUESTION_TYPES: tuple[tuple[QuestionType, str], ...] = (
    ("dosing", r"\b(?:dose|doses|dosage|dosing|how\s+much|mg|titrat\w*)\b"),
    ("harm", r"\b(?:safe|safety|side[- ]effects?|adverse|harms?|risks?\s+of|dangerous|contraindicat\w*)\b"),
    ("diagnosis", r"\b(?:diagnos\w*|screen\w*|test(?:s|ing)?|imaging|MRI|x-ray|detect\w*|sensitivity|specificity)\b"),
    ("prognosis", r"\b(?:prognos\w*|outcomes?|survival|recurrence|life\s+expectancy|natural\s+history|recover\w*)\b"),
    ("therapy", r"\b(?:treat\w*|therap\w*|exercises?|management|manage|drugs?|medications?|surgery|interventions?|best|effective\w*|help|rehabilitation|prevent\w*)\b"),
    ("etiology", r"\b(?:cause[sd]?|risk\s+factors?|associated\s+with|linked\s+to|why)\b"),
)
# "Is X safe?" and also "Therapeutic anticoagulation in trauma: is it safe?"
_YES_NO = re.compile(
    r"(?:^|[:.;]\s+|\?\s+)(?:is|are|does|do|did|can|could|should|will|would|was|were|has|have|may|might|it's)\b",
    re.IGNORECASE,
)
# Tree-number prefixes: C (diseases) and F03 (mental disorders) are conditions;
# D (drugs), E (therapies, procedures), F04 (psychotherapies) and exercise are interventions.
_CONDITION_TREES = ("C", "F03", "F01.145")
_INTERVENTION_TREES = ("D", "E01", "E02", "E03", "E04", "E05", "E06", "F04", "G11.427.410.698", "I03.350", "N02.421")


@dataclass
class ClinicalQuestion:
    """The question, taken apart for retrieval and composition."""

    text: str
    audience: Audience
    question_type: QuestionType
    yes_no: bool
    conditions: list[Concept] = field(default_factory=list)
    interventions: list[Concept] = field(default_factory=list)
    modifiers: list[tuple[PatternSet, str]] = field(default_factory=list)
    red_flags: list[tuple[PatternSet, str]] = field(default_factory=list)
    expanded: ExpandedQuery | None = None
    dose_of: str | None = None
    inherited: list[str] = field(default_factory=list)
    # Every name a source may use for the treatments asked about: MeSH name, synonyms and
    # narrower descriptors ("cognitive behavioral therapy" for "talk therapy").
    treatment_names: list[str] = field(default_factory=list)

    @property
    def search_text(self) -> str:
        """What retrieval searches for: the question, plus the topic a follow-up inherited."""
        return self.expanded.text if self.expanded else self.text

    @property
    def main_conditions(self) -> list[Concept]:
        """The conditions the question is about, leaving out those that only name a patient
        detail ("neurological deficits" in "sciatica with neurological deficits")."""
        modifier_text = " ".join(matched for _, matched in self.modifiers).lower()
        return [c for c in self.conditions if c.matched_text.lower() not in modifier_text]

    @property
    def topic(self) -> str:
        """A short name for what the question is about."""
        names = [c.name for c in self.conditions + self.interventions]
        return ", ".join(dict.fromkeys(names)) or self.text


class QuestionError(ValueError):
    """The question cannot be answered as asked (empty, too long)."""


def _in_sentence_case(expanded: ExpandedQuery, text: str) -> ExpandedQuery:
    """``expanded`` (read as typed: "PT" is physical therapy, "Pt" is not) with the question's
    words as in ``text``, its sentence-case form, so that every search it leads to reads the same
    whether the question was typed in capitals or not."""
    if expanded.text == text:
        return expanded
    concepts = [
        c if c.matched_text in text else c.model_copy(update={"matched_text": c.matched_text.lower()})
        for c in expanded.concepts
    ]
    return expanded.model_copy(update={"text": text, "concepts": concepts})


def understand(
    text: str, vocabulary: Vocabulary, audience: Audience = "clinician", earlier: ClinicalQuestion | None = None
) -> ClinicalQuestion:
    """Take a clinical question apart; raises :class:`QuestionError` for unusable input.

    ``earlier`` is the previous question of a conversation: a follow-up such
    as "what about after surgery?" names no condition of its own, so it
    inherits the earlier condition(s) (and interventions, if it names none),
    patient modifiers and red flags.  What it names itself always wins.
    """
    typed = " ".join((text or "").split())
    text = sentence_case(typed)  # a question typed in capitals is read as a sentence
    if not text:
        raise QuestionError("the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(text):,} characters long; the limit is {MAX_QUESTION_CHARS:,}")
    if audience not in ("clinician", "patient"):
        raise QuestionError(f"audience must be 'clinician' or 'patient', not {audience!r}")
    expanded = _in_sentence_case(expand_query(typed, vocabulary), text)
    question = ClinicalQuestion(
        text=text,
        audience=audience,
        question_type=_question_type(text),
        yes_no=bool(_YES_NO.search(text)),
        expanded=expanded,
        modifiers=_found(MODIFIERS, text),
        red_flags=_found(RED_FLAGS, text),
        dose_of=_dose_target(text),
    )
    for concept in expanded.concepts:
        trees = concept.tree_numbers
        if any(t.startswith(_CONDITION_TREES) for t in trees):
            question.conditions.append(concept)
        elif any(t.startswith(_INTERVENTION_TREES) for t in trees):
            question.interventions.append(concept)
    question.modifiers = [
        (p, m) for p, m in question.modifiers
        if not _is_the_topic(m, question.conditions) and not _is_the_topic(m, question.interventions)
    ]
    if earlier is not None:
        _inherit(question, earlier, vocabulary)
    question.treatment_names = list(dict.fromkeys(
        name
        for concept in question.interventions
        for name in [concept.name, concept.matched_text, *concept.synonyms, *_narrower_names(concept, vocabulary)]
    ))
    return question


def _inherit(question: ClinicalQuestion, earlier: ClinicalQuestion, vocabulary: Vocabulary) -> None:
    added: list[Concept] = []
    named_nothing = not question.conditions and not question.interventions
    if not question.conditions:
        question.conditions = list(earlier.conditions)
        added += earlier.conditions
    if named_nothing:
        question.interventions = list(earlier.interventions)
        added += earlier.interventions
    own = {p.key for p, _ in question.modifiers}
    question.modifiers += [(p, m) for p, m in earlier.modifiers if p.key not in own]
    flags = {p.key for p, _ in question.red_flags}
    question.red_flags += [(p, m) for p, m in earlier.red_flags if p.key not in flags]
    question.inherited = [f"{c.name} (from “{earlier.text}”)" for c in added]
    question.inherited += [f"{p.label} (from “{earlier.text}”)" for p, m in earlier.modifiers if p.key not in own]
    if added:
        topic = " ".join(dict.fromkeys(c.matched_text for c in added))
        question.expanded = expand_query(f"{question.text} {topic}", vocabulary)


def _narrower_names(concept: Concept, vocabulary: Vocabulary) -> list[str]:
    """Narrower MeSH names, except single everyday words ("Suggestion" under Psychotherapy
    would make any sentence that "suggests" something a mention of talk therapy)."""
    names = vocabulary.narrower(concept.ui) if concept.ui else []
    return [n for n in names if len(n.split()) > 1 or not vocabulary.is_common_word(n.lower())]


def _is_the_topic(matched: str, concepts: list[Concept]) -> bool:
    """A modifier that names the question's only condition ("metformin for type 2 diabetes")
    or only treatment ("blood thinners for AF") is what the question is about, not a detail
    of the patient.  Named means one phrase contains the other, not a shared word
    ("kidney disease" is a detail in a question about heart disease, and "after heart failure
    surgery" one in a question about heart failure)."""
    phrase = matched.lower()

    def names(concept: Concept) -> bool:
        text = concept.matched_text.lower()
        return phrase in text or (text in phrase and len(text.split()) * 3 >= len(phrase.split()) * 2)

    named = [c for c in concepts if names(c)]
    return bool(named) and len(named) == len(concepts)


def _found(patterns: tuple[PatternSet, ...], text: str) -> list[tuple[PatternSet, str]]:
    found = []
    for pattern in patterns:
        matched = pattern.find(text)
        if matched:
            found.append((pattern, matched))
    return found


def _dose_target(text: str) -> str | None:
    """The drug in "dose of X" / "how much X": a dosing answer must be about it."""
    match = re.search(r"\b(?:dose|doses|dosage|dosing)\s+(?:of|for)\s+([A-Za-z][\w-]{2,})", text, re.IGNORECASE)
    return match.group(1) if match else None


def _question_type(text: str) -> QuestionType:
    for name, pattern in _QUESTION_TYPES:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return "general"
