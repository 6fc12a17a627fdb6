"""Compose: arrange findings into the sections of a clinical answer.

Extractive by design: every claim is a sentence taken from a source passage,
placed in a section by what it says (a recommendation for, a recommendation
against, a dose, a harm, a red flag, a subgroup) and cited.  Sections with
nothing to say are left out; patient modifiers with no evidence get an
explicit note instead of silence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from evidex.answer.asking import states_aspect
from evidex.answer.appraise import FINDING_CUES, Finding, treatment_phrases
from evidex.answer.relevance import (
    answers_what_it_is,
    defines_as_asked,
    label_type,
    named_share,
    page_about,
    says_what_focus_is,
    title_names_focus,
    other_populations,
    question_word_share,
    title_asks,
    title_share,
    TITLE_ASKS,
)
from evidex.answer.types import SECTION_TITLES, Claim, Note, Quote, Reference, Section
from evidex.answer.understand import DRUG_ALLERGY, ClinicalQuestion, PatternSet, QuestionType, concept_names
from evidex.answer.verdict import AUTHORS_CONCLUSION, Splitter, decide
from evidex.answer.verify import numbers_in
from evidex.answer.words import concept_phrase, concept_words, crude_stems, mentions, population_groups
from evidex.evidence.documents import Document, EvidenceKind
from evidex.evidence.sources.nci_dictionary import NCI_DICTIONARY_SOURCE
from evidex.search.vocab import normalise

OUTDATED_AFTER_YEARS = 10
NEAR_DUPLICATE = 0.8  # word-sequence similarity above which a sentence repeats another

_AVOID = re.compile(
    r"\b((?:recommend|suggest)(?:s|ed)? against|(?:Strong|Weak) Against|not recommended|should not|"
    r"insufficient evidence|inconclusive evidence|no evidence|lack of evidence|not (?:be )?(?:used|offered)|"
    r"(?:should|must|to) (?:be )?avoid\w*|"
    r"no (?:significant|clinically important|proven|clear) (?:benefit|difference|effect|improvement)|did not (?:improve|reduce)|"
    r"(?:D|I) (?:recommendation|statement))\b",
    re.IGNORECASE,
)
_ESCALATE = re.compile(
    # "referral", "refer patients to" — not the cross-references "refer to Section F.13" of guideline summaries
    r"\b(red[- ]flags?|urgent\w*|emergen\w*|immediate(?:ly)? (?:refer\w*|evaluat\w*|assess\w*|seek|call|contact)|"
    r"referr(?:al|ed|ing)s?|refer (?:patients?|them|him|her) to|cauda equina|"
    # hospital admission as advice, not as an outcome ("reduce HF hospitalization rates")
    r"surgical (?:consultation|evaluation|referral)|seek (?:medical )?(?:care|attention|help)|call (?:911|999|112)|"
    r"(?:should|must|may) be hospitali[sz]ed|hospitali[sz]e\b|(?:requir|consider|need|warrant)\w* hospitali[sz]ation|"
    r"admi(?:t|tted|ssion) to (?:the )?hospital|hospital admission)\b",
    re.IGNORECASE,
)
_HOW_TO = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|g|ml|mL|IU|units?)\b(?:/(?:kg|day|d))?|"
    r"\b(?:\d+|once|twice|three|four|five)\s*(?:times|sessions?|sets?|repetitions?|reps|x)\s*(?:a|per|/|each)\s*(?:day|week|session)\b|"
    r"\b\d+\s*(?:-|to|–)?\s*\d*\s*(?:minutes?|min|hours?)\s*(?:a|per|/|each)\s*(?:day|week|session)\b|"
    r"\b(?:daily(?! living| activities)|twice daily|every \d+ (?:hours|days|weeks))\b",
    re.IGNORECASE,
)
_FIRST_LINE = re.compile(
    r"\b(recommends?(?! against)|(?<!not )(?<!not be )(?<!conditionally )(?<!weakly )recommended(?! against)|"
    r"first[- ]line|Strong For|strongly recommended(?! against)|(?:A|B) recommendation|"
    r"should be (?:offered|used|provided)|preferred|mainstay)\b",
    re.IGNORECASE,
)
_SECOND_LINE = re.compile(
    r"\b(suggests?(?! against)|Weak For|conditionally recommended|second[- ]line|adjunct\w*|alternative|"
    r"may be considered|consider\w*|as part of a multimodal|add-on|in addition to)\b",
    re.IGNORECASE,
)
_PITFALL = re.compile(
    r"\b(harms?|adverse|side[- ]effects?|complications?|risk of|caution|pitfall|overuse|dependence|toxicity|"
    r"bleeding|misuse|false[- ]positive)\b",
    re.IGNORECASE,
)

_SECTION_ORDER = [
    "urgent", "bottom_line", "details", "first_line", "second_line", "how_to", "avoid",
    "pitfalls", "escalate", "patient_specific", "related", "usual_treatment", "evidence",
]
_LIMITS = {"bottom_line": 2, "details": 5, "first_line": 4, "second_line": 4, "how_to": 3, "avoid": 4,
           "pitfalls": 3, "escalate": 3, "patient_specific": 4, "related": 4,
           "usual_treatment": 3, "evidence": 4}


@dataclass
class DraftClaim:
    """A finding placed in a section; ``text`` starts as the finding's sentence."""

    finding: Finding
    text: str
    note: str | None = None


@dataclass
class Draft:
    """Sections and the findings they cite, before numbering and verification."""

    sections: dict[str, list[DraftClaim]]
    notes: dict[str, list[str]]


# Question types whose answers are options to weigh: first-line, second-line, how to do it.
_TO_TREAT = frozenset({QuestionType.TREATMENT, QuestionType.PREVENTION})
# What to take or do, which pregnancy and breastfeeding change
_PREGNANCY_SENSITIVE = _TO_TREAT | {QuestionType.USAGE, QuestionType.CONTRAINDICATIONS, QuestionType.SIDE_EFFECTS}
# A source that speaks of pregnancy or breastfeeding, in any of the words sources use for them
_SPEAKS_OF_PREGNANCY = re.compile(
    r"\b(?:pregnan\w*|breast[- ]?(?:feeding|fed|milk)|lactat\w+|nursing mothers?|perinatal|antenatal|prenatal|"
    r"gestational|obstetric\w*|trimesters?)\b",
    re.IGNORECASE,
)


# "patients who are not pregnant or breastfeeding", "non-pregnant adults": of others
_DENIES_PREGNANCY = re.compile(
    r"\b(?:not|non-?|never)\s*(?:\w+\s+){0,2}?(?:pregnan\w*|breast[- ]?feeding|lactating)(?:\s+or\s+(?:pregnan\w*|breast[- ]?feeding|lactating))?",
    re.IGNORECASE,
)


def speaks_of_pregnancy(finding: Finding) -> bool:
    """Whether a sentence or its source's title speaks of pregnancy or breastfeeding (not only of
    those who are not pregnant)."""
    return bool(_SPEAKS_OF_PREGNANCY.search(_DENIES_PREGNANCY.sub(" ", f"{finding.document.title} {finding.text}")))


def asks_in_pregnancy(question: ClinicalQuestion) -> bool:
    """Whether the question asks what to take or do in pregnancy or breastfeeding, which changes
    what is safe and what comes first (no thiazide first-line for high blood pressure in pregnancy)."""
    return question.question_type in _PREGNANCY_SENSITIVE and any(p.key == "pregnancy" for p, _ in question.modifiers)
_OPTION_TYPES = frozenset({QuestionType.TREATMENT, QuestionType.PREVENTION, QuestionType.COMPARISON, QuestionType.GENERAL})


def section_for(finding: Finding, question: ClinicalQuestion) -> str:
    """Which section a finding belongs in, from what its sentence says.  Options (first-line,
    second-line, how to) only for questions about what to do; the other kinds of question get
    their answer's other sentences under "More on this question"."""
    text = finding.text
    strength = finding.strength or ""
    avoid = [m.group().lower() for m in _AVOID.finditer(text)]
    if question.question_type is QuestionType.COMPARISON:
        avoid = [m for m in avoid if not m.endswith("difference")]  # "no significant difference" answers a comparison
    if avoid or re.search(r"\bAgainst\b", strength):
        return "avoid"
    if _ESCALATE.search(text):
        return "escalate"
    if any(modifier_matches(p, text) for p, _ in question.modifiers):
        return "patient_specific"
    if question.question_type not in _OPTION_TYPES and question.question_type is not QuestionType.DOSE:
        return "pitfalls" if _PITFALL.search(text) and not question.question_type.about_a_drug else "details"
    if _HOW_TO.search(text) and question.question_type in (QuestionType.TREATMENT, QuestionType.DOSE):
        return "how_to"
    if _FIRST_LINE.search(text) or re.search(r"\bStrong\b|\b[AB]\b", strength):
        return "first_line"
    if _SECOND_LINE.search(text) or re.search(r"\bWeak\b|Conditional", strength):
        return "second_line"
    if _PITFALL.search(text):
        return "pitfalls"
    return "evidence"



def warns(text: str) -> bool:
    """Whether a sentence speaks of urgent care or of harm, whatever section it landed in
    (a harm named in a first-line recommendation still matters to the reader)."""
    return bool(_ESCALATE.search(text) or _PITFALL.search(text))


def modifier_matches(pattern: PatternSet, text: str) -> bool:
    """Whether ``text`` speaks of the modifier: by its patterns, or by a search term they do not
    cover (a term they cover is theirs to judge: "children" in "unable to have children" is not a child)."""
    if pattern.find(text):
        return True
    return any(
        re.search(rf"\b{re.escape(term)}", text, re.IGNORECASE) for term in pattern.search_terms if not pattern.find(term)
    )


def about_the_treatment(question: ClinicalQuestion, finding: Finding) -> bool:
    """For a question about a named treatment ("which exercises help sciatica?"), whether a
    finding is about that treatment (in its sentence or its source's title) or says when to get
    urgent care; a sentence on epidural injections does not answer a question about exercise."""
    treatments = treatment_phrases(question)
    if question.question_type is not QuestionType.TREATMENT or not treatments:
        return True
    return mentions(treatments, f"{finding.document.title} {finding.text}") or bool(_ESCALATE.search(finding.text))


def treatment_gap(question: ClinicalQuestion, findings: list[Finding]) -> bool:
    """Whether a therapy question names a treatment that no finding, nor the title of a
    finding's source, mentions (an abstract titled with the treatment may call it "PET")."""
    treatments = treatment_phrases(question)
    return (
        question.aspect != "schedule"  # when to take a drug: no sentence that says so is no gap in the evidence on it
        and question.question_type in (QuestionType.TREATMENT, QuestionType.USAGE)  # "would an antibiotic be prescribed for it?"
        and bool(treatments)
        and not any(mentions(treatments, f"{f.document.title} {f.text}") for f in findings)
    )


def draft_answer(
    question: ClinicalQuestion,
    findings: list[Finding],
    max_claims: int = 14,
    bottom: Finding | None = None,
    indirect: Sequence[Finding] = (),
    min_relevance: float = 0.0,
    gap: bool = False,
    usual: Sequence[Finding] = (),
) -> Draft:
    """Place the best findings into sections, at most two per document per section.

    ``bottom`` forces the bottom line (the basis of a yes/no verdict).  When no
    finding mentions the treatment the question asks about, the bottom line says
    so instead of stating something about another treatment (``gap``, from :func:`treatment_gap`), and ``indirect``
    findings (that treatment in a related group) get a section of their own; so do ``usual`` findings
    (how the sources treat the condition), which the caller gives only when there are no indirect ones."""
    sections: dict[str, list[DraftClaim]] = {}
    notes: dict[str, list[str]] = {}
    seen: list[str] = []
    per_doc_section: dict[tuple[str, str], int] = {}

    def place(finding: Finding, key: str) -> bool:
        slot = (finding.document.id, key)
        if _repeats(finding.text, seen) or len(sections.get(key, [])) >= _LIMITS[key] or per_doc_section.get(slot, 0) >= 2:
            return False
        sections.setdefault(key, []).append(DraftClaim(finding, finding.text, _claim_note(finding, question)))
        per_doc_section[slot] = per_doc_section.get(slot, 0) + 1
        seen.append(finding.text)
        return True

    set_aside: list[Finding] = []
    if question.audience == "patient":
        plain = patient_order(findings)
        set_aside = [f for f in findings if f not in plain]
        findings = plain
    else:
        # Clinicians get guidelines and studies first; consumer pages only fill what they leave open.
        findings = sorted(findings, key=lambda f: f.document.audience == "consumer")
    if gap and not bottom:
        notes["bottom_line"] = [_gap_note(question, bool(indirect), bool(usual))]
        for finding in indirect:
            place(finding, "related")
        for finding in usual:
            place(finding, "usual_treatment")
        if usual:
            notes["usual_treatment"] = [_usual_note(question)]
    else:
        # a harder sentence about the treatment asked about beats a plain one about another
        bottom = bottom or bottom_line(question, findings + set_aside)
    if bottom:
        place(bottom, "bottom_line")
    chosen = 0
    for finding in findings:
        if chosen >= max_claims:
            break
        if finding.relevance < min_relevance:
            continue  # good enough to be the best there is, not to stand beside it
        if _another_conditions_page(question, finding):
            continue
        if bottom is not None and finding.document.id != bottom.document.id:
            if not about_all_of_it(question, finding):
                continue  # vitamin E for NASH does not answer whether alcohol harms the liver in NAFLD
            if _asks_it(question, bottom.document) and not _asks_it(question, finding.document):
                continue  # the review that asks this very question answers it; sources that share its terms do not
        chosen += place(finding, section_for(finding, question))
    for pattern, matched in question.modifiers:
        # covered by any claim shown, in its sentence or its source's title (a review on endoscopy *in pregnancy*)
        covered = any(
            modifier_matches(pattern, f"{c.finding.document.title} {c.finding.text}")
            for key, claims in sections.items() if key not in ("related", "usual_treatment")  # other people, other treatments
            for c in claims
        )
        if not covered:
            notes.setdefault("patient_specific", []).append(
                f"{pattern.label} (“{as_typed(matched)}”): the indexed evidence found for this question does not "
                f"specifically address this group; the statements above may not apply."
            )
    return Draft(sections=sections, notes=notes)


def add_urgent_advice(draft: Draft, advice: Sequence[Finding]) -> None:
    """Put the quoted sources' own calls for urgent care under when to get help, unless the
    answer already quotes them: a page that says what helps heartburn also says that crushing chest
    pain could be a heart attack."""
    seen = [c.text for claims in draft.sections.values() for c in claims]
    for finding in advice:
        command = finding.passage.text[finding.start:finding.end].split("\n")[-1]  # the call itself, without its lead
        if any(" ".join(command.split()) in text for text in seen):
            continue
        if len(draft.sections.get("escalate", [])) >= _LIMITS["escalate"]:
            break
        draft.sections.setdefault("escalate", []).append(DraftClaim(finding, finding.text))
        seen.append(finding.text)


def _asks_it(question: ClinicalQuestion, document: Document) -> bool:
    """A study (or review) whose title asks the question (a page's title names its topic, not a question)."""
    return document.kind not in (EvidenceKind.CONSUMER, EvidenceKind.GUIDELINE) and title_asks(question, document.title)


def about_all_of_it(question: ClinicalQuestion, finding: Finding) -> bool:
    """Whether a finding is about everything the question asks about: its sentence, or the
    title of the study or page it comes from, names each focus concept.  A guideline covers
    many topics, so its title does not count.  The bottom line's own source is exempt: its
    other sentences are about the question its title asks."""
    if not question.focus_phrases:
        return True
    title = finding.document.title if title_names_focus(question, finding.document) else ""
    return named_share(question, finding.text, title) == 1


def as_typed(typed: str) -> str:
    """The question's words for a note, the same however they were typed: a question
    asked again in capitals must not read as a changed answer ("PT" stays)."""
    return typed.lower() if typed.isupper() and len(typed) > 5 else typed


def _usual_note(question: ClinicalQuestion) -> str:
    conditions = " or ".join(as_typed(c.matched_text) for c in question.main_conditions)
    treatment = " or ".join(as_typed(c.matched_text) for c in question.interventions)
    return f"These are about treating {conditions} in general; none of them is about {treatment}."


def _gap_note(question: ClinicalQuestion, has_indirect: bool, has_usual: bool = False) -> str:
    conditions = [as_typed(c.matched_text) for c in question.main_conditions]
    treatment = " or ".join(as_typed(c.matched_text) for c in question.interventions)
    # what was computed: no sentence that answers the question names the treatment; a page may
    # still list it among a condition's treatments ("Treatment … may include exercises")
    where = f" for {' or '.join(conditions)}" if conditions else ""
    text = f"The sources retrieved for this question do not directly address {treatment}{where}."
    if has_indirect:
        text += (
            f" What sources on this condition say about {treatment} in a related or broader group is shown under "
            f"“{SECTION_TITLES['related']}”: check that its population matches before applying it."
        )
    elif has_usual:
        text += f" What they say about treating it is shown under “{SECTION_TITLES['usual_treatment']}”."
    return text


# Patient mode: prefer sentences a reader at school grade 8 can follow.
PATIENT_GRADE = 8.0
PATIENT_MAX_WORDS = 30
PATIENT_MAX_GRADE = 12.0
PATIENT_MIN_FINDINGS = 6
_TABLE_ROW = re.compile(r"\|.*\|")


def sentence_grade(text: str) -> float:
    """Flesch–Kincaid grade of one sentence."""
    import textstat  # imported here: only patient mode needs it

    return textstat.flesch_kincaid_grade(text if text.rstrip()[-1:] in ".!?" else text + ".")


def patient_order(findings: list[Finding]) -> list[Finding]:
    """Findings re-ranked for a patient reader: the same evidence, preferring plain sentences.

    A finding's score is divided by how far its sentence's reading grade is
    above grade 8 (a grade-11 sentence keeps half its score, grade 14 a third), and
    consumer-health pages (written for patients) get a small lift.  Table rows,
    sentences longer than 30 words and sentences above grade 12 come only
    after the readable ones, and only as many as it takes to offer six."""
    def adjusted(f: Finding) -> float:
        excess = max(0.0, sentence_grade(f.text) - PATIENT_GRADE)
        consumer = 1.2 if getattr(f.document, "audience", None) == "consumer" else 1.0
        return f.score * consumer / (1.0 + excess / 3.0)

    def readable(f: Finding) -> bool:
        return (
            not _TABLE_ROW.search(f.text)
            and len(f.text.split()) <= PATIENT_MAX_WORDS
            and sentence_grade(f.text) <= PATIENT_MAX_GRADE
        )

    kept = sorted((f for f in findings if readable(f)), key=adjusted, reverse=True)
    hard = sorted((f for f in findings if not readable(f)), key=adjusted, reverse=True)
    return kept + hard[: max(0, PATIENT_MIN_FINDINGS - len(kept))]


# Findings this much less relevant than the most relevant one still compete for the bottom line:
# for a question about what to do, on naming everything asked about, on the strength of their
# source and how plainly they state it; for other questions only near-equals compete.
OPTIONS_MARGIN, OTHER_MARGIN = 0.3, 0.15

# A sentence that names only part of what was asked (the test but not the condition) answers the
# question only when the relevance model is fairly sure of it; else it is, at best, related
# material.  Chosen on the tune half of the development questions (see the README).
PARTIAL_TOPIC_RELEVANCE = 0.65


def _patients_page_on_it(question: ClinicalQuestion, finding: Finding) -> bool:
    """For a patient who asks about a condition, whether a finding comes from a health page written for
    patients about what they asked (not a dictionary entry): among near-equal answers, it speaks to them
    of their condition."""
    document = finding.document
    return (question.audience == "patient" and bool(question.conditions) and document.kind is EvidenceKind.CONSUMER
            and document.source != NCI_DICTIONARY_SOURCE and page_about(question, document))


def _source_rank(question: ClinicalQuestion, finding: Finding) -> int:
    """Stronger evidence first; for a patient, a page written for patients first."""
    if question.audience == "patient" and finding.document.kind is EvidenceKind.CONSUMER:
        return 0
    return finding.document.kind.level


def may_be_the_bottom_line(question: ClinicalQuestion, finding: Finding) -> bool:
    """A health page on another condition that speaks of the focus as part of that condition
    ("Anticonvulsants may be used to treat the seizures" of Alpers' disease; strep throat "may be
    involved in triggering narcolepsy") may add a line, never give the answer; nor may its lists
    answer a question about a condition (the treatments of alpha-1 antitrypsin deficiency, which
    include "antibiotics for upper respiratory tract infections", do not say how an upper
    respiratory infection is treated).  Its general statements ("Anti-inflammatory medications …
    reduce swelling") may answer a question that names a drug or a procedure."""
    document = finding.document
    if not finding.names_all and finding.relevance < PARTIAL_TOPIC_RELEVANCE:
        return False
    if (question.question_type is QuestionType.GENERAL and len(question.focus_phrases) > 1
            and named_share(question, finding.text, document.title) < 1):
        # of a question of no known kind any kind of answer fits, so the model's score cannot vouch for a
        # sentence on part of what was asked: what keeps asthma symptoms from starting says nothing of
        # "ibuprofen and my asthma"
        return False
    if _DEFINES_A_TERM.match(finding.text) and question.question_type is not QuestionType.DEFINITION:
        return False  # "Definition of Non-Response: Failure to improve (…, fever) after 48-72 hours" says what a term means
    if question.aspect is not None and not states_aspect(question.aspect, finding.text):
        # "is it contagious?", "how long does it last?": only a sentence that says so answers, however
        # the model scores it (it learned no such answer type); "Often, colds and flu cause sore
        # throats" does not say whether a sore throat is caught from one's spouse
        return False
    if question.aspect == "timing" and document.kind is EvidenceKind.CONSUMER and not page_about(question, document):
        return False  # "relief within 48-72 hours" of bacterial meningitis is not how soon antibiotics work for strep
    if question.answered_only_by_its_study and (question.treatment_for_nothing_named or not (
            _asks_it(question, document) or question.aspect is not None  # which this sentence states (above)
            or (len(question.focus_phrases) > 1 and finding.names_all))):
        # "can I buy antibiotics online?" is not answered by what antibiotics do; "will Tylenol or Advil
        # help?" nor "should I get antibiotics?" by what they do for nerve pain or after a tonsillectomy
        return False
    if question.question_type in _TO_TREAT and not question.interventions and _as_an_effect(question, finding.text):
        return False  # "opioids produce … nausea" does not say what helps nausea
    if question.question_type in _TO_TREAT and not finding.names_all and not _names_what_is_treated(question, finding):
        return False  # psychotherapy for breastfeeding women's depression does not say what helps a breastfeeding mother's fatigue
    if question.populations and other_populations(question, finding.text) and not _for_the_patient(question, finding):
        return False  # a recommendation for men and women aged 35 or more does not answer for newborns
    if question.question_type is QuestionType.DOSE and not _dose_for_the_patient(question, finding):
        return False
    if (any(p is DRUG_ALLERGY for p, _ in question.modifiers) and question.interventions and not question.conditions
            and not modifier_matches(DRUG_ALLERGY, f"{document.title} {finding.text}")):
        # whether a drug is safe, or which of a kind can be taken ("what painkiller can I take?"), for one
        # allergic to another: a sentence that says so (not the first-line treatment of high blood pressure)
        return False
    if _only_in_a_longer_name(question, finding.text):
        return False  # "stress … causes white coat hypertension" does not say what causes high blood pressure
    if _conditions_only_as_examples(question, finding.text):
        return False  # "findings such as abscess, phlegmon … are not contraindications to resection" is about resection
    if _focus_only_excluded(question, finding.text):
        return False  # "For patients … who are not pregnant or breastfeeding, …" says nothing for a breastfeeding mother
    if question.question_type is not QuestionType.COMPARISON and _treatment_only_compared_with(question, finding.text):
        return False  # "Celecoxib … does not have a worse risk profile than naproxen at up to 1000 mg" is no naproxen dose
    if " | " in finding.text and not (question.question_type is QuestionType.DOSE and _DOSE_AMOUNT.search(finding.text)):
        # a table row means what its column headings say, and they are not quoted with it; a dose
        # table's row still holds the doses asked for
        return False
    if question.question_type is QuestionType.DEFINITION and says_what_focus_is(question, finding.text):
        return True  # a gloss or a class says what the thing is, whatever page it stands on
    if document.kind not in (EvidenceKind.CONSUMER, EvidenceKind.GUIDELINE) and question.focus_phrases:
        # a study answers about what its title says it studied, not what it mentions in passing
        # ("MDA-lysine was increased in plasma" of a study on uraemic toxins says nothing of L-lysine pills),
        # and the question it asked (its title holds most of the question's words): a trial of a gel after
        # wisdom-tooth surgery does not say whether to take wisdom teeth out, nor a review of brain changes
        # in schizophrenia how the brain ages
        return title_names_focus(question, document) and title_share(question, document.title) > TITLE_ASKS
    if document.kind is not EvidenceKind.CONSUMER or not question.focus_phrases or page_about(question, document):
        return True
    if _another_conditions_page(question, finding):
        return False
    if states_aspect(question.aspect, finding.text) and named_share(question, "", document.title) == 1:
        return True  # "viral gastroenteritis … is highly contagious", on a page about a kind of what was asked
    if label_type(finding.passage.label, document.source) not in (None, question.question_type.value):
        return False  # a section on another kind of question: the genetic changes of Kabuki syndrome name lysine, not its uses
    topic_name = document.keywords[0] if document.keywords else document.title
    topic = concept_phrase(topic_name)
    if topic and topic <= concept_words(finding.text) or _names_by_initials(topic_name, finding.text):
        return False  # it names the page's own condition ("All … who have SCD and a fever", of sickle cell disease)
    words = re.findall(r"[\w'-]+", finding.text.lower())
    focus_words = question.focus_words
    return not any(
        concept_words(word) & focus_words and set(words[max(0, i - 2):i]) & _THAT_CONDITIONS
        for i, word in enumerate(words)
    )


def _names_what_is_treated(question: ClinicalQuestion, finding: Finding) -> bool:
    """Whether a sentence, with its source's title, names a condition the question asks to treat or
    prevent, not only the group it is asked for ("breastfeeding", "pregnancy"); True when the
    question names no such condition."""
    treated = [c for c in question.conditions if not population_groups(c.name)]
    if not treated:
        return True
    words = concept_words(f"{finding.document.title} {finding.text}")
    return any((phrase := concept_phrase(name)) and phrase <= words for c in treated for name in concept_names(c))


def _only_in_a_longer_name(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence names the condition asked about only inside a longer name the question does
    not use: a narrower kind ("white coat hypertension") or another thing ("Q fever")."""
    if not question.longer_names_not_asked:
        return False
    names = tuple(normalise(n) for c in question.conditions for n in concept_names(c) if len(n) > 3)
    longer, names = _longer_name_patterns(question.longer_names_not_asked, names)
    words = normalise(text)
    return bool(longer.search(words)) and not names.search(longer.sub(" ", words))


@lru_cache(maxsize=64)
def _longer_name_patterns(longer: tuple[str, ...], names: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """Patterns for the longer names and the condition's own names (lookup keys), built once per question."""
    def alternatives(phrases):
        return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True)) + r")\b")
    return alternatives(longer), alternatives(names)


# A list of examples of something else, to the end of its parenthesis or clause: "findings such as abscess,
# phlegmon, or recurrent disease", "unless urgent indications exist (e.g., refractory heart failure, …)".
# In brackets the list runs to the closing bracket; elsewhere it ends at a comma or where the sentence goes
# on with its verb ("NSAIDs such as ibuprofen, can reduce swelling"; "comorbidities such as diabetes,
# hypertension should be treated …" speaks of hypertension).  "Including" often lists parts, not examples
# ("a regimen including basal insulin … for patients with type 2 diabetes"), and is not read as a list.
_EXAMPLES = re.compile(
    r"\((?:e\.g\.|such as)[^)]*\)|\b(?:such as|e\.g\.),?\s(?:(?!(?:can|may|might|could|should|will|would|must|is|are|"
    r"was|were|has|have|had|do|does|did|helps?|causes?|which|that|who|to)\b)[^.;:(),])*",
    re.IGNORECASE,
)


def _conditions_only_as_examples(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence names the conditions asked about only among examples of something else: it
    speaks of that something else.  Not applied to drugs: "NSAIDs such as ibuprofen can cause bleeding"
    says what ibuprofen can do, as a member of its class."""
    return _named_only_inside([p for alternatives in question.condition_phrases for p in alternatives], text, _EXAMPLES)


# Those a sentence leaves out, to the end of the clause: "who are not pregnant or breastfeeding", "without diabetes".
_EXCLUDED = re.compile(
    r"\b(?:who (?:are|were|do|did|have|had) not|without|excluding|except(?: for)?|other than)\b"
    r"(?:(?!\b(?:if|when|because|unless|until|while)\b)[^.;:,()])*", re.IGNORECASE)


def _focus_only_excluded(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence names what was asked about only among those it leaves out: it speaks of others."""
    return _named_only_inside([p for alternatives in question.focus_phrases for p in alternatives], text, _EXCLUDED)


# What a sentence compares its subject with: "than naproxen at a dose of up to 1000 mg per day", "compared with placebo".
_COMPARED_WITH = re.compile(r"\b(?:(\w+)\s+)?(?:than|compared (?:with|to)|versus|vs\.?)\s[^.;:,]*", re.IGNORECASE)
# "no more than four grams", "younger than 19", "other than": a limit, an age or an exception, not a comparison
_NOT_A_COMPARISON = frozenset("no not more less fewer younger older other rather".split())


def _treatment_only_compared_with(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence names the treatment asked about only as what something else is compared with:
    it is about that something else."""
    return _named_only_inside(treatment_phrases(question), text, _COMPARED_WITH, keep=_a_limit_not_a_comparison)


def _a_limit_not_a_comparison(match: re.Match) -> str:
    """The match itself when it is a limit, an age or an exception ("no more than …"), else a blank."""
    return match.group() if (match.group(1) or "").lower() in _NOT_A_COMPARISON else " "


def _named_only_inside(phrases: list[frozenset[str]], text: str, spans: re.Pattern, keep=None) -> bool:
    """Whether a sentence names one of ``phrases``, but only inside ``spans`` (a list of examples, those
    it leaves out, what it compares with); ``keep`` may give a span back (not a comparison after all)."""
    if not phrases or not spans.search(text) or not mentions(phrases, text):
        return False
    outside = spans.sub(keep or " ", text)
    return outside != text and not mentions(phrases, outside)


# A guideline's definition of one of its terms: "Definition of hemodynamic compromise: Systolic blood pressure < 90 mmHg …".
_DEFINES_A_TERM = re.compile(r"^\W*Definitions? of [^:]{1,60}:", re.IGNORECASE)


def _names_by_initials(name: str, text: str) -> bool:
    """Whether a sentence names a thing of several words by their initials ("SCD", sickle cell disease)."""
    words = re.findall(r"[A-Za-z]+", name)
    return len(words) > 1 and bool(re.search(rf"\b{''.join(w[0] for w in words).upper()}s?\b", text))


# What a sentence says something causes or brings on, in the same clause: "adverse effects such as
# constipation … and vomiting", "antibiotics can cause diarrhea", "dry mouth and hoarseness may also occur"
_EFFECT_OF = (
    r"\b(?:adverse (?:effects?|events?|reactions?)|side[- ]effects?|(?:may|can|could|will|often|commonly) cause|"
    r"causes|caused by|produc(?:e|es|ed|ing)|induc(?:e|es|ed|ing))\b[^.;:]{0,120}?\b(?:%(names)s)\b|"
    r"\b(?:%(names)s)\b[^.;:]{0,60}?\b(?:may|can|might|could) also (?:occur|develop|happen)\b"
)


def _as_an_effect(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence names the condition asked about only as something another thing causes
    (a drug's adverse effect): it says what to expect from that thing, not what helps the condition."""
    names = tuple(n for c in question.conditions for n in concept_names(c) if len(n) > 3)
    return bool(names) and bool(_effect_pattern(names).search(text))


@lru_cache(maxsize=64)
def _effect_pattern(names: tuple[str, ...]) -> re.Pattern:
    """:data:`_EFFECT_OF` for these names, built once per question rather than once per sentence."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(_EFFECT_OF % {"names": alternatives}, re.IGNORECASE)


def _another_conditions_page(question: ClinicalQuestion, finding: Finding) -> bool:
    """A health page on another condition, for a question about a condition or a part of the body
    ("sore gums") that names no drug: what that page says (the symptoms of appendix cancer) is about
    its own condition, not the one asked about (appendicitis)."""
    document = finding.document
    return (
        document.kind is EvidenceKind.CONSUMER and bool(question.focus_phrases) and not question.interventions
        and any(c in question.conditions or _is_anatomy(c) for c in question.focus) and not page_about(question, document)
    )


def _is_anatomy(concept) -> bool:
    """A part of the body (MeSH tree A): "gums" in "what helps sore gums?"."""
    return any(tree.startswith("A") for tree in concept.tree_numbers)


# "the seizures", "these symptoms": the page's condition's, not the reader's
_THAT_CONDITIONS = {"the", "these", "this"}


def bottom_line(question: ClinicalQuestion, findings: list[Finding]) -> Finding | None:
    """The finding that best answers the question (:attr:`Finding.relevance`, from the learned
    relevance model); among near-equals, one about the treatment asked about, stated as a
    conclusion rather than a hypothesis, from the stronger source, a recommendation for before one
    against, a first-line recommendation before others."""
    findings = [f for f in findings if may_be_the_bottom_line(question, f)]
    # "what is the diflucan for?": what the drug is and is used for, before what else is said of it
    findings = [f for f in findings if answers_what_it_is(question, f.text, f.document.source)] or findings
    if not findings:
        return None
    treatments = treatment_phrases(question)
    best = max(f.relevance for f in findings)
    options = question.question_type in _OPTION_TYPES and question.aspect is None  # "is it addictive?" asks no options
    near = [f for f in findings if f.relevance >= best - (OPTIONS_MARGIN if options else OTHER_MARGIN)]
    if question.question_type is QuestionType.DEFINITION or question.asks_purpose:
        near = findings  # all of them say what the thing is; the model scores a dictionary's entries low
    if not options:
        # the page about the focus before one that mentions it; a page's opening sentence (its answer) first
        return _authors_answer(question, findings, min(near, key=lambda f: (
            question.question_type is QuestionType.DEFINITION and not defines_as_asked(question, f.text, f.document.source),
            bool(question.kind_asked) and not _names_a_kind(question, f.text),  # "is Lexapro an SNRI?": "… belongs to the SSRIs"
            f.document.source == NCI_DICTIONARY_SOURCE,  # a page on the topic first ("What is diabetes?"), the dictionary else
            -named_share(question, f.text, f.document.title),
            not _for_the_patient(question, f),
            _narrows_the_course(question, f.text),
            not _patients_page_on_it(question, f),
            not title_asks(question, f.document.title),  # a study (or review) that asks this very question
            bool(_only_caveat(question, f.text) or _CONTINUES.match(f.text)),
            bool(_SOME_CASES.match(f.text)),  # "If the cough lasts, …" answers for some cases only
            named_share(question, "", f.document.title) == 0,
            _section_fit(question, f),
            not _names_the_kind_asked(question, f.text),  # "The prognosis … depends on" before "The treatment … depends on"
            f.index > 0 and f.document.kind is not EvidenceKind.GUIDELINE,  # a guideline's section does not open with its answer
            _source_rank(question, f),
            -f.relevance,
        )))
    return _authors_answer(question, findings, min(
        near,
        key=lambda f: (
            -named_share(question, f.text, f.document.title),
            not _for_the_patient(question, f),
            _narrows_the_course(question, f.text),  # "chronic pain" answers for some of those in pain
            not _patients_page_on_it(question, f),  # not a guideline's staffing of pain programmes
            not title_asks(question, f.document.title),  # a study (or review) that asks this very question
            bool(_only_caveat(question, f.text) or _CONTINUES.match(f.text)),
            bool(treatments) and not mentions(treatments, f.text),
            bool(_SOME_CASES.match(f.text)),  # "If the heartburn continues, …" answers for some cases only
            bool(_SPECULATIVE.search(f.text)),
            not (f.strength or _CONCLUSIVE.search(f.text) or FINDING_CUES.search(f.text)),
            bool(_AVOID.search(f.text)) and question.question_type in _OPTION_TYPES,
            -question_word_share(question, concept_words(f.text)),  # "chronic" when chronic pain was asked
            not f.strength,  # a graded recommendation answers "what to do" directly
            not _FIRST_LINE.search(f.text),  # "recommends X as first-line" before "suggests adding X"
            _source_rank(question, f),
            -f.relevance,
        ),
    ))


_NUMBER_TYPES = (QuestionType.FREQUENCY, QuestionType.DOSE)

# The words that name a kind of question about a condition: a sentence that uses them speaks of that kind
# (not for how common it is: "common" and "affects" say little).
_KIND_ASKED = {
    QuestionType.PROGNOSIS: r"prognos\w*|outlook|surviv\w*|life expectancy|recover\w*",
    QuestionType.CAUSE: r"caus\w*|due to|result(?:s|ed)? from",
    QuestionType.SYMPTOMS: r"symptoms?|signs?",
    QuestionType.DIAGNOSIS: r"diagnos\w*|tests?|testing",
    QuestionType.RISK: r"risks?",
    QuestionType.COMPLICATIONS: r"complications?",
    QuestionType.INHERITANCE: r"inherit\w*|genes?|genetic\w*",
}
_KIND_ASKED_PATTERNS = {qtype: re.compile(rf"\b(?:{words})\b", re.IGNORECASE) for qtype, words in _KIND_ASKED.items()}


def _names_the_kind_asked(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence names the kind of question asked ("prognosis" for a question on the outlook);
    True for kinds with no such words."""
    pattern = _KIND_ASKED_PATTERNS.get(question.question_type)
    return pattern is None or bool(pattern.search(text))

# How a condition runs, when a sentence names it so and the question does not: "chronic pain" is the
# pain of some of those who ask what helps their pain.
_COURSES = ("chronic", "recurrent", "persistent", "intractable", "refractory")  # not "acute": an attack is what most ask about
_COURSE_STEMS = {course: crude_stems(course) for course in _COURSES}
_ANY_COURSE = re.compile(r"\b(?:chronic|recurrent|persistent|intractable|refractory|acute|subacute)\b", re.IGNORECASE)


def _narrows_the_course(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence speaks of a course of the condition (``_COURSES``) that the question does not."""
    names = tuple(n for c in question.conditions for n in concept_names(c) if len(n) > 3)
    unasked = tuple(c for c in _COURSES if not _COURSE_STEMS[c] & question.words)
    if not (names and unasked) or not _course_pattern(unasked, names).search(text):
        return False
    return len({m.lower() for m in _ANY_COURSE.findall(text)}) < 2  # "acute and chronic sinusitis": all of it


@lru_cache(maxsize=64)
def _course_pattern(courses: tuple[str, ...], names: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{'|'.join(courses)})\s+(?:\w+\s+)?(?:{alternatives})\b", re.IGNORECASE)


_DOSE_AMOUNT = re.compile(r"\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|g|mL|units?|IU)\b", re.IGNORECASE)


def _dose_for_the_patient(question: ClinicalQuestion, finding: Finding) -> bool:
    """A dose answers a dose question only for the condition asked about (an amoxicillin dose for
    urinary infections is not one for an ear infection), named by the sentence or its source's
    title, and for the patient's group (an adult's dose is not a child's)."""
    words = concept_words(f"{finding.document.title} {finding.text}")
    named = all(any(p <= words for p in alternatives) for alternatives in question.condition_phrases)
    return named and _for_the_patient(question, finding)


def _for_the_patient(question: ClinicalQuestion, finding: Finding) -> bool:
    """Whether a finding speaks of every group the question's patient belongs to ("while
    pregnant": a recommendation on aspirin in pregnancy, not one for adults aged 50 to 59)."""
    return all(modifier_matches(p, f"{finding.document.title} {finding.text}") for p, _ in question.modifiers)


def _section_fit(question: ClinicalQuestion, finding: Finding) -> int:
    """0 for a page's section on the kind of question asked, 1 for an overview or an unlabelled
    passage, 2 for a section on another kind: a question on the signs of food poisoning is answered
    by "Common symptoms … include vomiting, diarrhea" of the overview before the complications' HUS."""
    kind = label_type(finding.passage.label, finding.document.source)
    return 0 if kind == question.question_type.value else 1 if kind in (None, "definition") else 2


# How a definition names what kind of thing it defines: "It belongs to the family of drugs called SSRIs",
# "a type of combination antibiotic".
_KIND_WORDS = re.compile(r"\b(?:types?|famil(?:y|ies)|class(?:es)?|groups?|kinds?|forms?|members?) of\b|\bcalled\b", re.IGNORECASE)


def _names_a_kind(question: ClinicalQuestion, text: str) -> bool:
    """Whether a sentence says what kind of thing the focus is, or names the kind asked about."""
    return bool(_KIND_WORDS.search(text)) or (question.kind_asked or "") in text.lower()


def _authors_answer(question: ClinicalQuestion, findings: list[Finding], chosen: Finding) -> Finding:
    """A study that asks this very question answers it in its conclusions: of their findings, the
    one that shares most of the question's words (the first of equals), rather than a sensitivity
    analysis, a bare risk ratio or a call for more trials that may share more words with it.  Only
    a conclusion that says as much of what was asked, about no narrower group and no mechanism,
    replaces the choice; a question that asks for a number (how often, how much) is answered by the
    results that give it."""
    if not _asks_it(question, chosen.document) or question.question_type in _NUMBER_TYPES:
        return chosen
    named = named_share(question, chosen.text)
    groups = set(other_populations(question, chosen.text))
    conclusions = sorted(
        (f for f in findings
         if f.document.id == chosen.document.id and AUTHORS_CONCLUSION.search(f.passage.label or "")
         and not _only_caveat(question, f.text) and not _CONTINUES.match(f.text) and not _SPECULATIVE.search(f.text)
         and not _SUBGROUP.match(f.text) and named_share(question, f.text) >= named
         and set(other_populations(question, f.text)) <= groups),
        key=lambda f: (
            -question_word_share(question, concept_words(f.text)),  # "length of stay" when that was asked
            f.document.passages.index(f.passage),
            f.index,
        ),
    )
    return conclusions[0] if conclusions else chosen


# A finding about part of those studied: "In adults with progressive MS, yoga did not reduce fatigue".
_SUBGROUP = re.compile(r"^\s*(?:In|Among|For)\s+(?:[\w-]+\s+){0,5}?(?:with|who|aged|undergoing|receiving)\b")


# A bottom line states what the evidence shows or recommends, not a mechanism or a hypothesis.
_CONCLUSIVE = re.compile(
    r"\b(recommend\w*|suggest\w*|should|evidence|effective\w*|efficacious|improv\w*|benefit\w*|superior|first[- ]line|"
    r"comparable|equivalent|non-?inferior|no (?:significant )?difference|for relief)\b",  # "For relief, try …": advice
    re.IGNORECASE,
)
_SPECULATIVE = re.compile(r"\b(is|are) thought to\b|\bhypothes\w+|\btheoretical\w*|\bit is possible\b|\bmay be associated\b", re.IGNORECASE)
# A sentence that continues another ("However, no difference was found for blood loss", "Other
# symptoms may include …") is not the
# bottom line while one that stands alone answers.
_CONTINUES = re.compile(
    r"^\s*(?:however|but|also|in addition|additionally|furthermore|moreover|similarly|likewise|nevertheless|"
    r"in contrast|conversely|on the other hand|otherwise|other|another)\b",
    re.IGNORECASE,
)
# A sentence about some cases only: "If the heartburn continues, you may need prescription medicines"
# (not "When compared with …", "When used …", "Once daily …").
_SOME_CASES = re.compile(
    r"^\s*(?:if|unless|when(?! (?:compared|used|given|taken|combined)\b)|once(?![- ]?(?:daily|a day|weekly))|"
    r"in (?:some|rare|severe) cases)\b",
    re.IGNORECASE,
)
# A study's caveat or call for more research, not its finding: never the bottom line when a finding exists.
_CAVEAT = re.compile(
    r"\b(?:further|future|more|larger|additional|well-designed|high-quality) (?:[\w-]+ ){0,2}(?:studies|research|trials|"
    r"investigations?|data)\b|\b(?:is|are) (?:\w+ )?(?:needed|warranted|required)\b|\blimitations?\b|\bmay reflect\b|"
    r"\blimited evidence\b|\bevidence\b.{0,80}\b(?:was|is|were|are|remains?) (?:\w+ )?(?:limited|conflicting|inconclusive)\b|\b(?:low|very low)[- ](?:quality|certainty) (?:of )?evidence\b|"
    r"\bstatistical power\b|\b(?:quality|certainty) of (?:the )?evidence (?:was|is|were|are)\b|\bshould (?:use|be (?:interpreted|confirmed|investigated))\b|\bcaution\w* (?:is|in interpreting)\b",
    re.IGNORECASE,
)


# Where a sentence's finding and its caveat part ("…may be effective in improving cancer pain, but the
# quality of the evidence is low").
_CLAUSE_BREAK = re.compile(r",?\s*\b(?:but|although|though|whereas|yet)\b|;")


def _only_caveat(question: ClinicalQuestion, text: str) -> bool:
    """A caveat or call for research with no finding about the focus beside it."""
    if not _CAVEAT.search(text):
        return False
    return not any(not _CAVEAT.search(part) and named_share(question, part) > 0 for part in _CLAUSE_BREAK.split(text))


def _claim_note(finding: Finding, question: ClinicalQuestion) -> str | None:
    """What the reader must know to apply the sentence: the group it is about when the question
    names no such group ("older adults"), and the recommendation's strength."""
    notes = []
    if finding.option_list and finding.passage.label:
        notes.append(f"Under “{finding.passage.label}”")  # the heading says for whom and when
    if groups := other_populations(question, finding.text):
        notes.append(f"Applies to: {', '.join(groups)}")
    if finding.strength:
        notes.append(f"Recommendation strength: {finding.strength}")
    return "; ".join(notes) or None


def _repeats(text: str, seen: list[str]) -> bool:
    """Whether a sentence says what a chosen one already says: guideline summaries repeat
    paragraphs across documents with small changes ("four to ten visits" / "4 to 10 visits").
    Mostly the same words in the same order, and the same numbers, negations and urgency:
    "Reduce to 30 mg …" and "Reduce to 15 mg …" are different statements."""
    def digits(sentence: str) -> str:
        return _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS.index(m.group(0).lower())), sentence)

    def signature(sentence: str) -> tuple:
        return numbers_in(digits(sentence)), frozenset(w.lower() for w in _NEGATION_OR_URGENCY.findall(sentence))

    words = _key(digits(text)).split()
    key = " ".join(words)
    return any(
        key in (other_key := _key(digits(other))) or other_key in key  # one sentence quoted within a longer quote
        or (
            SequenceMatcher(None, words, other_key.split()).ratio() >= NEAR_DUPLICATE
            and signature(text) == signature(other)
        )
        for other in seen
    )


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


_NUMBER_WORDS = "zero one two three four five six seven eight nine ten eleven twelve".split()
_NUMBER_WORD = re.compile(rf"\b(?:{'|'.join(_NUMBER_WORDS)})\b", re.IGNORECASE)
_NEGATION_OR_URGENCY = re.compile(
    r"\b(?:no|not|never|without|against|avoid\w*|urgent\w*|emergen\w*|immediate\w*)\b|n't\b", re.IGNORECASE
)


def number_references(draft: Draft, answer_year: int) -> tuple[list[Section], list[Reference]]:
    """Number sources in order of first citation and build the sections' claims."""
    numbers: dict[str, int] = {}
    references: list[Reference] = []
    sections: list[Section] = []
    for key in _SECTION_ORDER:
        entries = draft.sections.get(key, [])
        section_notes = [Note(text=t) for t in draft.notes.get(key, [])]
        if not entries and not section_notes:
            continue
        claims = []
        for entry in entries:
            finding = entry.finding
            doc = finding.document
            if doc.id not in numbers:
                numbers[doc.id] = len(numbers) + 1
                references.append(reference_for(doc, numbers[doc.id], answer_year))
            claims.append(
                Claim(
                    text=entry.text,
                    citations=[numbers[doc.id]],
                    quote=Quote(passage_id=finding.passage_id, text=finding.passage.text[finding.start:finding.end], start=finding.start, end=finding.end),
                    note=entry.note,
                )
            )
        sections.append(Section(key=key, title=SECTION_TITLES[key], claims=claims, notes=section_notes))
    return sections, references


def reference_for(doc: Document, number: int, answer_year: int) -> Reference:
    return Reference(
        number=number,
        doc_id=doc.id,
        kind=doc.kind.value,
        badge=doc.kind.label,
        evidence_level=doc.kind.level,
        title=doc.title,
        source=doc.organisation or doc.journal,
        year=doc.year,
        published=doc.published,
        sample_size=doc.sample_size,
        url=doc.url,
        doi=doc.doi,
        citation=doc.citation,
        outdated=bool(doc.year and answer_year - doc.year > OUTDATED_AFTER_YEARS),
        licence=doc.licence,
    )


def verdict_for(
    question: ClinicalQuestion, findings: list[Finding], splitter: Splitter | None = None
) -> tuple[str, Finding] | None:
    """Yes / no / uncertain for a yes/no question, and the source sentence it rests on.

    None when the question is not a yes/no question or nothing can decide it.
    The deciding passage is the conclusion of the top-ranked source (see
    :mod:`evidex.answer.verdict`); the returned finding becomes the bottom line, so
    the verdict is shown with that exact sentence and its citation."""
    if not findings or not question.yes_no or question.kind_asked:
        return None  # "is Tylenol a blood thinner?" is answered by what Tylenol is; a "no" would be evidex's inference
    concepts = [[c.name, c.matched_text, *c.synonyms] for c in question.conditions]
    if question.interventions:
        concepts.append(question.treatment_names)
    found = decide(question.text, question.yes_no, findings, splitter, concepts=concepts, cues=question.cues)
    treatments = treatment_phrases(question)
    if found and treatments and not mentions(treatments, f"{found[1].document.title} {found[1].text}"):
        return None  # a yes or no on a treatment must rest on a source and sentence that name it
    if found and not about_all_of_it(question, found[1]):
        return None  # "is Lexapro an SNRI?" is not answered yes by a sentence on SNRIs that never names Lexapro
    if found and not may_be_the_bottom_line(question, found[1]):
        return None  # the deciding sentence becomes the bottom line: never one about another condition
    if found and found[1].document.kind is EvidenceKind.GUIDELINE and not _RECOMMENDS.search(found[1].text):
        return None  # a guideline answers with a recommendation, not with a remark on the evidence
    if found and found[1].document.kind is EvidenceKind.CONSUMER and any(
        f.document.kind.level < EvidenceKind.NARRATIVE_REVIEW.level
        and (not treatments or mentions(treatments, f"{f.document.title} {f.text}"))
        for f in findings
    ):
        return None  # a health information page does not decide when a guideline or study on it was found
    return found


_RECOMMENDS = re.compile(r"\b(?:recommend\w*|suggest\w*|should|advis\w*|offer\w*)\b", re.IGNORECASE)
