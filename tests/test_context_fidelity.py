"""A quoted sentence keeps what makes it true: its condition, its population and its direction.

Each rule is checked on real answers from the built-in corpus, over questions chosen because
their sources hold such sentences: conditional dosing lists, population-specific
recommendations and recommendations against."""

from __future__ import annotations

import re

import pytest

from evidex.answer.appraise import extract_findings
from evidex.answer.types import Answer
from evidex.answer.understand import understand
from evidex.answer.words import concept_words, population_groups
from evidex.corpus import Corpus
from evidex.settings import Settings

QUESTIONS = [
    "What dose of sodium bicarbonate is given in diabetic ketoacidosis?",
    "How should hypertension be treated?",
    "How is gout treated?",
    "Should adults be screened for osteoporosis?",
    "What is the treatment of acute low back pain?",
    "Is vitamin E useful in fatty liver disease?",
    "What can I take for heartburn?",
    "How is sarcoidosis treated?",
]
# A sentence whose condition or subject lives in another sentence or list item.
LOST_CONDITION = re.compile(
    r"^[\s*_]*(?:If (?:administered|used|given|needed)|Not (?:\w+ )?recommended|Consider (?:\W*only\W* )?if|Only if)\b|"
    r"^\s*(?:Some|Many|Most|Others|Both) (?:are|is|can|may|need|do)\b",  # "Others may not need to be treated" (others who?)
    re.IGNORECASE,
)
GROUP = re.compile(r"\b(?:children|adolescents|older adults|elderly|pregnan\w+|infants)\b", re.IGNORECASE)
AGAINST = re.compile(r"\b(?:recommends? against|recommended against|is not recommended|are not recommended|should not be)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def answers(builtin_data_dir) -> dict[str, Answer]:
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as corpus:
        return {q: corpus.ask(q) for q in QUESTIONS} | {f"patient: {q}": corpus.ask(q, audience="patient") for q in QUESTIONS}


def test_no_claim_has_lost_its_condition_or_subject(answers):
    lost = [(q, c.text) for q, a in answers.items() for c in a.claims() if LOST_CONDITION.match(c.text)]
    assert not lost


def test_a_claim_about_a_group_the_question_does_not_name_says_so(answers):
    unmarked = [
        (q, c.text) for q, a in answers.items() for c in a.claims()
        if GROUP.search(c.text) and not GROUP.search(q) and "Applies to:" not in (c.note or "")
    ]
    assert not unmarked


def test_a_recommendation_against_is_never_shown_as_an_option(answers):
    wrong = [
        (q, s.key, c.text) for q, a in answers.items() for s in a.sections if s.key in ("first_line", "second_line", "how_to")
        for c in s.claims if AGAINST.search(c.text)
    ]
    assert not wrong


def test_no_answer_repeats_a_claim(answers):
    for question, answer in answers.items():
        texts = [" ".join(c.text.lower().split()) for c in answer.claims()]
        assert len(texts) == len(set(texts)), question


def test_the_children_one_may_have_are_not_a_group_the_sentence_is_about():
    assert population_groups("Couples planning to have children may want to see a genetic counselor.") == []
    assert population_groups("Women at risk of having a child with the disease should be offered testing.") == ["women"]
    assert population_groups("Children with asthma should carry a reliever.") == ["child"]
    assert population_groups("Neonates born before 32 weeks should be screened.") == ["child"]


def test_a_sentence_that_opens_with_it_or_they_is_quoted_with_the_sentence_that_names_its_subject(builtin_data_dir):
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as corpus:
        claims = [c.text for c in corpus.ask("Are hives serious?", audience="patient").claims()]
    assert any(c.startswith("Hives are very common. They usually go away on their own") for c in claims)
    assert not any(re.match(r"(?:It|They)\b", c) for c in claims)


def test_a_sentence_on_what_the_food_and_drug_administration_approved_does_not_mention_food():
    assert "food" not in concept_words("Approved by the U.S. Food and Drug Administration for hot flashes.")
    assert "food" in concept_words("Take it with food.")


def test_a_quote_keeps_a_subject_two_sentences_back_and_is_scored_on_its_own_sentence(builtin_data_dir):
    # "Conjunctivitis is the medical name for pink eye. It involves … It can cause swelling, …":
    # the quote starts where its subject is named, the relevance model reads the last sentence
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as corpus:
        question = understand("What are the symptoms of pink eye?", corpus.vocabulary, "patient")
        hits, _ = corpus.engine.retrieve(question, None)
        findings = extract_findings(question, hits, corpus.engine.splitter)
    joined = [f for f in findings if f.text.startswith("Conjunctivitis is the medical name for pink eye. It involves")]
    assert any(f.candidate(own_sentence=True).text.startswith("It can cause swelling") for f in joined)
    for f in joined:
        assert f.passage.text[f.start:f.end] == f.text
