"""Relevance: how well a sentence answers *this* question — its type, about its focus.

Sharing words with the question is not answering it: a page on hydroxyurea shares "hydro"
with a question about hydroxyzine, and a definition of gout shares every word with "what
should I eat with gout?".  Two small learned models, run with numpy alone, say instead:

* :class:`AnswerTypes` — which kind of question a sentence answers (symptoms, treatment,
  cause, harms …): a multinomial logistic regression over the sentence's words and word
  pairs, with the focus's own words masked so that it learns how an answer of each kind
  is phrased, not what it is about.  Trained on the built-in corpus's consumer-health
  answers, each labelled with the kind of question it answers, and on guideline passages
  labelled by their headings ("Potential harms", "Screening Tests").
* :class:`RelevanceModel` — the probability that a sentence answers the question: a logistic
  regression over what the question and the sentence share (:data:`FEATURES`): the focus
  named in the sentence or only in its source's title, how well the sentence's answer type fits
  the question's, the question's other words, where the sentence stands in its passage.  Not
  the passage's heading nor the source's kind: the training labels come from headings, which
  only consumer pages and guidelines have (the strength of the source decides among equally
  relevant sentences later, in compose).

Both are trained by ``scripts/train_relevance.py`` on questions made from the corpus's own
structure (never on an evaluation set) and shipped as JSON in ``evidex/data/models/``; the
file records what they were trained on and how they did on questions about topics they
never saw.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from evidex.answer.understand import ClinicalQuestion, QuestionType, concept_names
from evidex.answer.words import (
    concept_phrase,
    concept_words,
    mentions,
    population_groups,
    population_label,
)
from evidex.evidence.builtin import data_path
from evidex.evidence.documents import Document, EvidenceKind
from evidex.evidence.sources.nci_dictionary import NCI_DICTIONARY_SOURCE

MODEL_FILE = "models/relevance.json"
ANSWER_TYPES_FILE = "models/answer_types.npz"  # beside it: the sentence model's words and weights

# The kinds of answer the sentence model knows, each learned from labelled answers.
ANSWER_TYPES: tuple[str, ...] = (
    "definition", "symptoms", "treatment", "cause", "inheritance", "frequency", "diagnosis",
    "prognosis", "risk", "prevention", "complications", "side_effects", "contraindications",
)
# MedQuAD's question types, as the passage labels of its consumer-health answers.
MEDQUAD_TYPES = {
    "information": "definition", "symptoms": "symptoms", "treatment": "treatment", "inheritance": "inheritance",
    "frequency": "frequency", "genetic changes": "cause", "causes": "cause", "exams and tests": "diagnosis",
    "outlook": "prognosis", "stages": "prognosis", "susceptibility": "risk", "prevention": "prevention",
    "complications": "complications",
}
# Guideline headings, first match wins ("Potential harms", "Screening Tests", "D. Pharmacologic Therapy").
HEADING_TYPES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), qtype)
    for pattern, qtype in (
        (r"\b(?:harms?|adverse|side effects?|safety)\b", "side_effects"),
        (r"\bcontraindicat", "contraindications"),
        (r"\bcomplications?\b", "complications"),
        (r"\b(?:screening|diagnos\w*|tests?|testing|evaluation|imaging)\b", "diagnosis"),
        (r"\b(?:assessment of risk|risk factors?|risk assessment|risk stratification)\b", "risk"),
        (r"\b(?:prevent\w*|prophyla\w*|vaccin\w*|immuni[sz]ation)\b", "prevention"),
        (r"\b(?:prognos\w*|outcomes?|natural history)\b", "prognosis"),
        (r"\b(?:treatment|therap\w*|pharmaco\w*|management|interventions?|rehabilitation|procedures?|"
         r"medications?|surgery|surgical|operative|injections?|counsel\w*|exercise)\b", "treatment"),
    )
)
# Kinds of question no labelled answers teach; a sentence shows them by plain cues.
RULE_CUES: dict[str, re.Pattern] = {
    QuestionType.DOSE: re.compile(
        r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|mL|IU|units?|mg/kg)\b|\b(?:dose|doses|dosage|dosing|titrat\w*|"
        r"once|twice|three times) (?:daily|a day|per day|weekly)?|\bevery \d+ (?:hours|days|weeks)\b",
        re.IGNORECASE,
    ),
    QuestionType.INTERACTIONS: re.compile(
        r"\b(?:interact\w*|concomitant\w*|co-?administ\w*|combin\w*|together with|in combination|"
        r"taken with|with other (?:drugs|medicines|medications))\b",
        re.IGNORECASE,
    ),
    QuestionType.USAGE: re.compile(
        r"\b(?:used (?:to|for|in)|indicat\w*|prescribed (?:to|for)|approved (?:for|to)|treats?|recommended for|"
        r"should (?:be (?:offered|given|used|taken)|take|use)|is (?:offered|given))\b",
        re.IGNORECASE,
    ),
    QuestionType.STOPPING: re.compile(
        r"\b(?:taper\w*|wean\w*|withdraw\w*|discontinu\w*|stop(?:ping|ped)?|reduc\w* (?:the dose )?gradually|"
        r"rebound|relapse after)\b",
        re.IGNORECASE,
    ),
    QuestionType.MECHANISM: re.compile(
        r"\b(?:works? by|acts? (?:by|on)|inhibit\w*|block\w*|mechanism|receptors?|binds?|agonist|antagonist|"
        r"stimulat\w*|suppress\w*)\b",
        re.IGNORECASE,
    ),
    QuestionType.COMPARISON: re.compile(
        r"\b(?:compared|than|versus|vs\.?|superior|inferior|similar|equivalent|no (?:significant )?difference|"
        r"as effective as|better|worse)\b",
        re.IGNORECASE,
    ),
}
# For a question type the models do not know (general), any answer type fits a little.
RULE_FIT, RULE_MISS, NO_TYPE_FIT = 0.9, 0.1, 0.45

_TOKEN = re.compile(r"[a-z]+|\d+")
_PRONOUN_START = re.compile(r"^\s*(?:it|they|this|these|those|such|he|she)\b", re.IGNORECASE)

FEATURES: tuple[str, ...] = (
    "focus_in_sentence",  # share of the question's focus named in the sentence itself
    "focus_in_source",  # share named only in the source's title or keywords
    "every_anchor_in_sentence",  # every drug a drug question asks about, in the sentence
    "type_fit",  # how well the sentence's answer type fits the question type
    "type_is_best",  # the question's type is the sentence's most likely answer type
    "question_words",  # share of the question's other content words in the sentence
    "first_sentence",  # the passage's first sentence (answers usually open with the answer)
    "position",  # how far into its passage the sentence is (0 first … 1 last)
    "words",  # log of the sentence's length in words
    "starts_with_pronoun",  # its subject is in the sentence before
    "other_population",  # it names a population the question does not
)


def other_populations(question: ClinicalQuestion, text: str) -> list[str]:
    """Groups a sentence is about that the question does not name ("older adults" in an answer
    to a question about adults in general): the reader must be told."""
    asked = question.populations | {p.key for p, _ in question.modifiers}
    return [population_label(group) for group in population_groups(text) if group not in asked]


def label_type(label: str | None, source: str) -> str | None:
    """The answer type a passage's label declares: a MedQuAD question type, or a guideline heading."""
    if not label:
        return None
    if source == "medquad":
        return MEDQUAD_TYPES.get(label.lower())
    if source == NCI_DICTIONARY_SOURCE:
        return "definition"
    for pattern, qtype in HEADING_TYPES:
        if pattern.search(label):
            return qtype
    return None


def type_tokens(text: str, masked: set[str]) -> list[str]:
    """Words and neighbouring word pairs of a sentence; the focus's words become "_f", numbers "_n"."""
    words = ["_n" if w.isdigit() else ("_f" if w in masked else w) for w in _TOKEN.findall(text.lower())]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


@dataclass
class AnswerTypes:
    """Which kind of question a sentence answers: probabilities over :data:`ANSWER_TYPES`."""

    vocabulary: dict[str, int]
    weights: np.ndarray  # (words, types)
    bias: np.ndarray  # (types,)

    def probabilities(self, texts: Sequence[str], masked: set[str]) -> np.ndarray:
        rows = np.tile(self.bias, (len(texts), 1)).astype(np.float64)
        for row, text in enumerate(texts):
            ids = [i for t in type_tokens(text, masked) if (i := self.vocabulary.get(t)) is not None]
            if ids:
                rows[row] += self.weights[ids].sum(axis=0)
        rows -= rows.max(axis=1, keepdims=True)
        np.exp(rows, out=rows)
        return rows / rows.sum(axis=1, keepdims=True)


@dataclass
class RelevanceModel:
    """P(the sentence answers the question) from :data:`FEATURES`."""

    weights: np.ndarray
    bias: float
    answer_types: AnswerTypes
    threshold: float  # below this, no sentence answers the question: abstain (held-out precision, see the file)
    claim_threshold: float  # below this, a sentence is not shown besides the bottom line
    info: dict

    @classmethod
    def load(cls, path=None) -> RelevanceModel:
        """The model in ``path`` (default: the one shipped), with its answer-type model beside it."""
        path = path or data_path(MODEL_FILE)
        data = json.loads(path.read_text())
        if tuple(data["features"]) != FEATURES or tuple(data["answer_types"]) != ANSWER_TYPES:
            raise ValueError(f"{path.name} was trained for other features; rerun scripts/train_relevance.py")
        with np.load(path.parent / Path(ANSWER_TYPES_FILE).name) as arrays:
            answer_types = AnswerTypes(
                vocabulary={word: i for i, word in enumerate(str(arrays["vocabulary"]).split("\n"))},
                weights=arrays["weights"].astype(np.float32),
                bias=arrays["bias"].astype(np.float32),
            )
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            answer_types=answer_types,
            threshold=float(data["threshold"]),
            claim_threshold=float(data["claim_threshold"]),
            info=data.get("info", {}),
        )

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(rows @ self.weights + self.bias)))


@lru_cache(maxsize=1)
def shipped_model() -> RelevanceModel:
    return RelevanceModel.load()


@dataclass(frozen=True)
class Candidate:
    """What relevance needs to know of one sentence: its text, place and source."""

    text: str
    index: int  # sentence number within its passage
    sentences: int  # sentences in the passage
    label: str | None
    document: Document
    recommendation: bool = False  # the passage carries a recommendation strength


def masked_words(question: ClinicalQuestion) -> set[str]:
    """The focus's words, lower-case, for :func:`type_tokens`."""
    names = [name for concept in question.focus for name in concept_names(concept)] + question.unknown_terms
    return {w for name in names for w in _TOKEN.findall(name.lower()) if len(w) > 2}


def feature_rows(question: ClinicalQuestion, candidates: Sequence[Candidate], answer_types: AnswerTypes) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate."""
    focus = question.focus_phrases
    masked = masked_words(question)
    probabilities = answer_types.probabilities([c.text for c in candidates], masked)
    asked = question.question_type.value
    rows = np.zeros((len(candidates), len(FEATURES)))
    for row, (candidate, types) in enumerate(zip(candidates, probabilities)):
        sentence = concept_words(candidate.text)
        source = concept_words(f"{candidate.document.title} {' '.join(candidate.document.keywords[:5])}")
        in_sentence = [any(p <= sentence for p in alternatives) for alternatives in focus]
        in_source = [any(p <= source for p in alternatives) for alternatives in focus]
        named = len(focus) or 1
        rows[row] = (
            sum(in_sentence) / named,
            sum(s and not t for t, s in zip(in_sentence, in_source)) / named,
            float(bool(question.must_mention.anchors) and question.must_mention.covers_anchors(sentence)),
            _type_fit(question, types, candidate),
            float(question.question_type is QuestionType.GENERAL or (asked in ANSWER_TYPES and ANSWER_TYPES[int(np.argmax(types))] == asked)),
            question_word_share(question, sentence),
            float(candidate.index == 0),
            candidate.index / max(1, candidate.sentences - 1),
            math.log1p(len(candidate.text.split())),
            float(bool(_PRONOUN_START.match(candidate.text))),
            float(bool(other_populations(question, candidate.text))),
        )
    return rows


def _type_fit(question: ClinicalQuestion, types: np.ndarray, candidate: Candidate) -> float:
    """How well the sentence's kind of answer fits the question's: from the answer-type model,
    from plain cues for the kinds it was not taught, and, for a study whose title asks the
    question, from its own structure — its conclusions answer the question its title asks."""
    asked = question.question_type.value
    if asked in ANSWER_TYPES:
        fit = float(types[ANSWER_TYPES.index(asked)])
    elif asked in RULE_CUES:
        fit = RULE_FIT if RULE_CUES[asked].search(candidate.text) else RULE_MISS
    else:
        fit = max(float(types.max()), NO_TYPE_FIT)  # a question of no known kind: a plain answer of any kind fits
    if question.question_type is QuestionType.CAUSE and states_a_cause_of_the_focus(question, candidate.text):
        fit = max(fit, RULE_FIT)
    return max(fit, _study_answer(question, candidate))


# A sentence that says what brings on the condition asked about, with the condition as what is caused:
# "The cause of tooth decay is plaque …", "Gout is caused by …", "Stress can cause headaches", "Hives
# happen when …"; not "Tooth decay can cause an abscess" (what it causes).  The answer-type model learned
# causes from pages on genes ("Mutations in the X gene cause …") and reads the first as a definition.
_CAUSED = (
    r"\b(?:causes?|origins?|sources?|triggers?) of (?:\w+ ){0,2}?(?:%(names)s)\b|"
    r"\b(?:%(names)s)\b[^.;]{0,40}?\b(?:is|are|can be|may be|is often|are often|is usually|are usually|is mostly|is mainly)\s+"
    r"(?:caused by|due to|the result of|triggered by|brought on by|linked to)\b|"
    r"\b(?:causes?|caused|leads? to|triggers?|results? in|brings? on)\s+(?:\w+\s+){0,2}?(?:%(names)s)\b|"
    r"\b(?:%(names)s)\b[^.;]{0,30}?\b(?:happens?|occurs?|develops?|starts?|results?) (?:when|from|if)\b"
)


def states_a_cause_of_the_focus(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence says what causes a condition whose causes the question asks (see :data:`_CAUSED`)."""
    names = tuple(sorted({n.lower() for c in question.caused for n in concept_names(c) if len(n) > 3}, key=len, reverse=True))
    return bool(names) and bool(_caused_pattern(names).search(text))


@lru_cache(maxsize=64)
def _caused_pattern(names: tuple[str, ...]) -> re.Pattern:
    return re.compile(_CAUSED % {"names": "|".join(re.escape(n) for n in names)}, re.IGNORECASE)


STUDY_CONCLUSION_FIT, STUDY_RESULT_FIT = 0.9, 0.6


TITLE_ASKS = 0.5  # share of the question's words a study's title must hold to pose the same question


def title_asks(question: ClinicalQuestion, title: str) -> bool:
    """Whether a study's title asks the question: it holds at least half of the question's words."""
    return title_share(question, title) >= TITLE_ASKS


def title_share(question: ClinicalQuestion, title: str) -> float:
    """Share of the question's words that a title holds."""
    return len(concept_words(title) & question.words) / len(question.words) if question.words else 0.0


def _study_answer(question: ClinicalQuestion, candidate: Candidate) -> float:
    document = candidate.document
    if document.kind in (EvidenceKind.GUIDELINE, EvidenceKind.CONSUMER, EvidenceKind.OTHER) or not question.words:
        return 0.0
    if not title_asks(question, document.title):
        return 0.0
    label = candidate.label or ""
    if re.search(r"CONCLUSION|INTERPRETATION|IMPLICATION", label, re.IGNORECASE):
        # the first sentence states the finding; later ones add caveats and calls for research
        return STUDY_CONCLUSION_FIT if candidate.index == 0 else STUDY_RESULT_FIT
    return STUDY_RESULT_FIT if re.search(r"RESULTS?|FINDINGS", label, re.IGNORECASE) else 0.0


# Of a question about several things ("does exercise help chronic low back pain?"), a sentence
# that names only some of them answers it only in part: its probability is scaled from
# UNNAMED_FLOOR (names none) to 1 (names all, in the sentence or, for a page on one topic, its title).
UNNAMED_FLOOR = 0.6
OTHER_PAGE_FACTOR = 0.6


def relevance(question: ClinicalQuestion, candidates: Sequence[Candidate], model: RelevanceModel | None = None) -> np.ndarray:
    """P(answers the question) for each candidate, in order, scaled by how much of the question's
    focus it names.  The model learned from questions about one topic each, where every candidate
    already names it; it cannot tell that a sentence on treatment in general does not answer
    whether *exercise* helps."""
    if not candidates:
        return np.zeros(0)
    model = model or shipped_model()
    rows = feature_rows(question, candidates, model.answer_types)
    probabilities = model.probabilities(rows)
    # a consumer page is about the topic in its title: one on another condition that mentions the
    # focus in passing (heartburn on a bladder-pain page) does not answer a question about it
    elsewhere = np.array([c.document.kind is EvidenceKind.CONSUMER and not page_about(question, c.document) for c in candidates])
    probabilities = np.where(elsewhere, probabilities * OTHER_PAGE_FACTOR, probabilities)
    if len(question.focus_phrases) < 2:
        return probabilities
    named = np.array([named_share(question, c.text, c.document.title) for c in candidates])
    return probabilities * (UNNAMED_FLOOR + (1 - UNNAMED_FLOOR) * named)


def about_the_focus(question: ClinicalQuestion, candidate: Candidate) -> bool:
    """Whether a sentence is about what was asked: it names some of it, or its source is a page
    or an abstract on it.  A guideline covers many topics, so its sentences must name theirs
    ("Follow-up visits … are recommended" in a back-pain guideline is not about exercise)."""
    if named_share(question, candidate.text) > 0:
        return True
    return title_names_focus(question, candidate.document)


def title_names_focus(question: ClinicalQuestion, document: Document) -> bool:
    """Whether a source's title says it is about the question's focus: a study's or a page's
    title does ("Q fever" is not fever, so a page on it is not about fever); a guideline's does
    only when its topic is a condition asked about, under one of its names ("community acquired
    pneumonia"), since a guideline on another topic covers many ("chronic pain disorder" names drugs
    for many conditions, "perinatal depression" is not depression at large)."""
    if document.kind is EvidenceKind.GUIDELINE:
        return _guideline_on(question, document)
    if document.kind is EvidenceKind.CONSUMER:
        return page_about(question, document)
    return named_share(question, "", document.title) > 0


def _guideline_on(question: ClinicalQuestion, document: Document) -> bool:
    if not document.keywords:
        return False
    topic = concept_phrase(re.sub(r"\([^)]*\)|^[\s-]+|:\s*$", "", document.keywords[0]))
    return bool(topic) and any(concept_phrase(name) == topic for c in question.conditions for name in concept_names(c))


def question_word_share(question: ClinicalQuestion, words: set[str]) -> float:
    """Share of the question's words other than its focus's ("chronic" in "does exercise help
    chronic low back pain?") among a sentence's :func:`~evidex.answer.words.concept_words`."""
    other_words = question.words - question.focus_words
    return len(words & other_words) / len(other_words) if other_words else 0.0


def page_about(question: ClinicalQuestion, document: Document) -> bool:
    """Whether a consumer-health page is about the question's focus: its topic (a MedQuAD page's
    focus, else its title) is one of the focus's names — not a longer name that contains one
    ("Q fever" is not fever, "adenocarcinoma of the appendix" not appendicitis)."""
    if document.source == NCI_DICTIONARY_SOURCE:
        return _names_the_focus(question, document.title)  # "tamoxifen citrate" is about tamoxifen
    if document.source != "medquad" or not document.keywords:
        return named_share(question, "", document.title) > 0
    topic = concept_phrase(document.keywords[0])
    names = [n for concept in question.focus for n in concept_names(concept)] + question.unknown_terms
    return any(concept_phrase(name) == topic for name in names)


def named_share(question: ClinicalQuestion, text: str, title: str = "") -> float:
    """Share of the question's focus named in a sentence or its source's title (a consumer
    page's title is its topic: "What are the treatments for Gout?")."""
    if not question.focus_phrases:
        return 0.0
    words = concept_words(f"{text} {title}")
    return sum(any(p <= words for p in alternatives) for alternatives in question.focus_phrases) / len(question.focus_phrases)


def names_focus(question: ClinicalQuestion, text: str) -> bool:
    """Whether ``text`` names every drug a drug question asks about, or one focus concept."""
    words = concept_words(text)
    if question.must_mention.anchors:
        return question.must_mention.covers_anchors(words)
    return any(mentions(alternatives, text) for alternatives in question.focus_phrases)


# What a definition looks like: its subject, then a defining verb ("Gout is …", "Sialorrhea
# (drooling) refers to …", "Drooling, or sialorrhea, happens when …").
_DEFINING_VERB = re.compile(
    r"\s(?:is|are|refers? to|means?|describes?|is (?:also )?(?:called|known as|defined as)|occurs? when|happens? when)\s"
    r"(?!(?:\w+ly\s+)?(?:not|contraindicated|recommended|used|given|taken|caused|treated|diagnosed|associated|"
    # "Gabapentin is more effective than placebo …", "Mammograms are also recommended …", "Statins are
    # relatively safe …" compare, advise or judge: they do not say what the thing is
    r"also|more|less|as|better|worse|safer|superior|inferior|effective|ineffective|similar|comparable|"
    r"useful|helpful|beneficial|important|available|safe|unsafe|likely|unlikely|common|rare)\b)",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
# A dictionary's entry, "Naproxen: A drug used to treat …": the match ends where the subject does.
# Only the dictionary's: elsewhere "Furosemide: Start 40 mg daily" is a dose, not a definition.
DICTIONARY_ENTRY = re.compile(r"^[^:.;]{1,80}(?=:\s+[A-Z])")


def defines_focus(question: ClinicalQuestion, text: str, source: str = "") -> bool:
    """Whether a sentence (from a document of ``source``) defines what a "what is …?" question asks
    about: its subject is the focus itself, not a longer name that holds it ("Atopic dermatitis is …"
    does not say what dermatitis is, and a list of symptoms that includes drooling does not say what
    drooling is); or it is the dictionary's entry for it."""
    if (term := _entry_term(text, source)) is not None:
        return _names_the_focus(question, term)
    words = frozenset(concept_phrase(_defined_subject(text)))
    # "Normal blood pressure is …" defines what "what is normal blood pressure?" asks: the subject may
    # add the question's own words to the focus, never others ("Atopic dermatitis is …"), and must
    # hold those it puts before the focus ("Blood pressure is …" does not say what normal is)
    return bool(words) and any(
        phrase | question.defined <= words and words <= phrase | question.words
        for alternatives in question.focus_phrases for phrase in alternatives
    )


def _entry_term(text: str, source: str) -> str | None:
    """The term a dictionary entry's sentence defines ("Naproxen" of "Naproxen: A drug …"); None for
    any other sentence, and for every sentence of another source."""
    entry = DICTIONARY_ENTRY.match(text) if source == NCI_DICTIONARY_SOURCE else None
    return entry.group(0) if entry else None


def dictionary_entry_for(question: ClinicalQuestion, document: Document) -> bool:
    """Whether a document is not a dictionary's entry, or is the entry of what the question asks about."""
    return document.source != NCI_DICTIONARY_SOURCE or page_about(question, document)


def _names_the_focus(question: ClinicalQuestion, term: str) -> bool:
    """Whether a dictionary's term is the focus under the name the question used or its preferred
    name ("Diflucan" → fluconazole), not another of its synonyms ("carcinoma" is not what "cancer"
    asks) nor a name that shares its first letters ("Reflexology" is not "reflex")."""
    if question.defined or len(question.focus_phrases) != 1 or not question.focus:
        return False  # "uncontrolled asthma", "empiric antibiotics", "sjorens syndrome": more than the entry's term
    names = _name_forms(question.focus[0].matched_text) | _name_forms(question.focus[0].name)
    return bool((_name_forms(term) | _name_forms(_without_salt(_plain_name(term)))) & names)


# The salt a dictionary names a drug by: "tamoxifen citrate" is tamoxifen; "magnesium sulfate" is not magnesium.
_SALT = re.compile(
    r" (?:citrate|sodium|potassium|calcium|hydrochloride|hcl|sulfate|sulphate|phosphate|acetate|maleate|"
    r"mesylate|succinate|tartrate|besylate|hyclate|bromide|chloride|fumarate|lactate|gluconate)$"
)
_ELEMENTS = frozenset("magnesium zinc calcium potassium sodium iron lithium copper aluminum aluminium silver".split())


def _without_salt(name: str) -> str:
    bare = _SALT.sub("", name)
    return name if bare in _ELEMENTS else bare


def _plain_name(name: str) -> str:
    """A name compared as words: lower case, hyphens and punctuation as spaces ("Anti-Inflammatory" ~ "anti inflammatory")."""
    return " ".join(re.findall(r"[\w']+", name.lower()))


def _name_forms(name: str) -> set[str]:
    """A name, and without a plural "s" ("agents" ~ "agent"); either form may be the other's ("lupus")."""
    plain = _plain_name(name)
    return {plain, plain[:-1]} if plain.endswith("s") else {plain}


def defines_as_asked(question: ClinicalQuestion, text: str, source: str = "") -> bool:
    """Whether a definition's subject is the very name the question used ("Mammogram: An x-ray
    image of the breast …" for "what is a mammogram?", before a synonym's "Digital mammography: …")."""
    if (term := _entry_term(text, source)) is not None:
        return _names_the_focus(question, term)
    words = frozenset(concept_phrase(_defined_subject(text)))
    return bool(words) and any(words == concept_phrase(c.matched_text) | question.defined for c in question.focus[:1])


def _defined_subject(text: str) -> str:
    """What a sentence defines ("" if it defines nothing): the words before its defining verb."""
    verb = _DEFINING_VERB.search(text[:200])
    if verb is None:
        return ""
    subject = re.sub(r"\([^)]*\)", " ", text[: verb.start()])  # "Sialorrhea (drooling)"
    subject = _ARTICLE.sub("", subject.split(",")[0].strip())  # "Drooling, or sialorrhea,"
    return subject if len(subject.split()) <= 6 else ""


# A definition that says what a thing is used for: "Fluconazole: A drug that treats infections caused by fungi."
# A use still being studied ("Gabapentin: A substance that is being studied as a treatment for …") says
# neither what the thing is nor what it is for.
_STATES_USE = re.compile(r"\b(?:used (?:to|for|in|as)|given (?:to|for)|treats?|prevents?|relieves?|reduces?|lowers?|helps?)\b", re.IGNORECASE)
_UNDER_STUDY = re.compile(r"\bbeing (?:studied|tested|investigated)\b", re.IGNORECASE)


def answers_what_it_is(question: ClinicalQuestion, text: str, source: str = "") -> bool:
    """Whether a sentence answers "what is X?" by defining X, or "what is X for?" by defining X and
    saying what it is used for, however the relevance model scores it: the model learned definitions
    from the opening sentences of health pages, not from a dictionary's entries."""
    defining = question.question_type is QuestionType.DEFINITION
    if not (defining or question.asks_purpose) or _UNDER_STUDY.search(text):
        return False  # asked of every candidate sentence of every question: the cheap checks first
    return (defining or bool(_STATES_USE.search(text))) and defines_focus(question, text, source)


# How a page says what a thing is without a sentence on it alone: a gloss in a definition of something
# else ("… is a disorder characterized by inflammation of the skin (dermatitis)"), or the class of the
# things a sentence lists ("Ibuprofen and naproxen are NSAIDs", "NSAIDs are drugs (such as aspirin,
# ibuprofen, and naproxen) that …").
_GLOSS = r"\b[a-z][\w'-]*(?: [\w'-]+){0,6} \((?:%s)\)"
_DRUG_EXAMPLES = r"\b(?:is|are) (?:an? )?(?:[\w-]+ ){0,3}(?:drugs?|medicines?|medications?)\s*\((?:such as|including|like|e\.g\.,?) [^)]*\b(?:%s)\b"
# The class a list of things belongs to: "(examples of) OTC NSAIDs", "types of antibiotics", "beta blockers".
_CLASS = re.compile(
    r"(?:an? |the |all |both )?(?:(?:examples?|types?|kinds?|forms?|members?|class(?:es)?|groups?) of\b|(?:[\w-]+ ){0,2}"
    r"(?:[A-Z]{2,}s?\b|drugs?\b|medicines?\b|medications?\b|agents?\b|inhibitors?\b|blockers?\b|antagonists?\b|"
    r"agonists?\b|antibiotics?\b|vaccines?\b|hormones?\b|steroids?\b|analgesics?\b|antihistamines?\b|diuretics?\b|statins?\b))"
)
_LIST_SEPARATOR = re.compile(r",\s*(?:and |or )?|\s+(?:and|or)\s+")


def says_what_focus_is(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence says what a "what is …?" question asks about without defining it on its
    own: it glosses it within a definition, or names the class of a short list that holds it.
    Used only when no sentence defines it."""
    if question.defined or len(question.focus) != 1:
        return False  # "uncontrolled asthma" is not glossed by "(asthma)"
    names = sorted((n for n in concept_names(question.focus[0]) if len(n) > 3), key=len, reverse=True)
    if not names:
        return False
    pattern = "|".join(re.escape(n) for n in names)
    gloss = re.search(_GLOSS % pattern, text, re.IGNORECASE)
    if gloss and _DEFINING_VERB.search(text[: gloss.start() + 1]):
        return True
    if re.search(_DRUG_EXAMPLES % pattern, text, re.IGNORECASE):
        return True
    verb = _DEFINING_VERB.search(text[:200])
    if verb is None or not _CLASS.match(text, verb.end()):
        return False  # "Topiramate and gabapentin are supported by fewer RCTs" names no class
    items = [_ARTICLE.sub("", item.strip()) for item in _LIST_SEPARATOR.split(re.sub(r"\([^)]*\)", " ", text[: verb.start()]))]
    focus = {concept_phrase(n) for n in names}
    return 1 < len(items) <= 4 and all(0 < len(item.split()) <= 3 for item in items) and any(
        concept_phrase(item) in focus for item in items
    )


DEFINING_SENTENCES = 2


def iter_answer_type_examples(documents: Iterable[Document], split_sentences) -> Iterable[tuple[str, str, set[str]]]:
    """(sentence, answer type, focus words) for every sentence of every passage whose label
    declares its answer type: the training examples of :class:`AnswerTypes`.  Of an answer to
    "what is …?", only the first sentences define; the rest of such a page goes on to symptoms
    and causes, and would teach that "the main symptom is …" is a definition."""
    for document in documents:
        masked = {w for k in document.keywords[:1] for w in _TOKEN.findall(k.lower()) if len(w) > 2}
        for index, passage in enumerate(document.passages):
            qtype = label_type(passage.label, document.source)
            if qtype is None:
                continue
            spans = split_sentences(document.passage_id(index), passage.text)
            if qtype == "definition":
                spans = spans[:DEFINING_SENTENCES] if index == 0 else []
            for start, end in spans:
                yield passage.text[start:end], qtype, masked
