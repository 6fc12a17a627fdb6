"""Patient language: plainer answers that still say exactly what the sources say."""

from __future__ import annotations

import pytest

from evidex.corpus import Corpus
from evidex.plain import reading_grade
from evidex.settings import Settings
from evidex.verify import check_claim


@pytest.fixture(scope="module")
def corpus(builtin_data_dir) -> Corpus:
    corpus = Corpus.open(Settings(data_dir=builtin_data_dir))
    yield corpus
    corpus.close()


@pytest.fixture(scope="module")
def plain(corpus):
    return corpus.engine.plain


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Exercise reduced pain (SMD -0.5, 95% CI -0.8 to -0.2) at 12 weeks.", "Exercise reduced pain at 12 weeks."),
        ("Yoga improves function (Design: Randomized clinical trial).", "Yoga improves function."),
        ("The U.S. Preventive Services Task Force (USPSTF) recommends screening.", "The U.S. Preventive Services Task Force recommends screening."),
        ("Consider a short-term step-up for viral infections", "Consider a short-term step-up for viral infections."),
        (
            "Track 2: Increase ICS dose (double for 1-2 weeks); use SABA for relief; start OCS if not improving.",
            "Track 2: Increase ICS dose (double for 1-2 weeks). Use SABA for relief. Start OCS if not improving.",
        ),
        ("Side effects include nausea; vomiting; headache.", "Side effects include nausea; vomiting; headache."),
        # a piece that continues the sentence keeps it whole: "should not" covers all three
        (
            "Metformin should not be used in eGFR below 30; in those with acidosis; or during contrast studies.",
            "Metformin should not be used in eGFR below 30; in those with acidosis; or during contrast studies.",
        ),
        ("Check kidney function yearly; eGFR below 45 needs a dose review.", "Check kidney function yearly. eGFR below 45 needs a dose review."),
    ],
)
def test_statistics_and_asides_are_dropped_and_the_claim_still_verifies(plain, source, expected):
    simpler = plain.simplify(source)
    assert simpler == expected
    assert check_claim(simpler, source)[0]


def test_asides_that_carry_meaning_stay(plain):
    source = "Pain improved (but not in women) after 6 weeks."
    assert "(but not in women)" in plain.simplify(source)
    # an abbreviation the sentence uses again keeps its definition
    assert "(ICS)" in plain.simplify("Use inhaled corticosteroids (ICS); ICS reduce attacks.")


def test_glosses_explain_hard_words_only(plain):
    assert "(high blood pressure)" in plain.rewrite("Hypertension increases the risk of stroke.")
    rewritten = plain.rewrite("Poor asthma control increases the risk of preeclampsia in a clinical trial.")
    assert "(manage)" not in rewritten and "(work)" not in rewritten and "(add to)" not in rewritten


def test_bullet_fragments_count_as_separate_sentences():
    fragments = ["Respiratory rate increased", "Oxygen saturation below 90%", "Heart rate above 120"]
    assert reading_grade(fragments) < reading_grade(" ".join(fragments))


def test_patient_answer_is_plainer_than_the_clinician_answer_and_fully_verified(corpus):
    question = "Does exercise help chronic low back pain?"
    patient = corpus.ask(question, audience="patient")
    clinician = corpus.ask(question)
    assert patient.claims() and all(claim.verified for claim in patient.claims())
    for claim in patient.claims():
        assert check_claim(claim.text, claim.quote.text)[0]
        assert claim.text.rstrip()[-1] in ".!?"
    assert reading_grade([c.text for c in patient.claims()]) < reading_grade([c.text for c in clinician.claims()])


def test_no_gloss_repeats_the_word_or_a_word_the_sentence_already_has(plain):
    assert plain.rewrite("High blood glucose can harm your kidneys.").count("(") == 1  # "glucose (sugar)" only
    assert "(sugar)" not in plain.rewrite("You have too much glucose, also called sugar, in your blood.")


def test_patient_answers_prefer_sentences_a_patient_can_read(corpus):
    answer = corpus.ask("What can I do to keep my asthma under control?", audience="patient")
    clinician = corpus.ask("What can I do to keep my asthma under control?")
    assert answer.reading_grade <= 8 < clinician.reading_grade
    assert all(claim.verified for claim in answer.claims())


def test_a_hard_sentence_is_left_out_of_a_patient_answer_but_not_the_answer_itself(corpus):
    """The herniated-disc answer's clinician version has a grade-20 sentence on epidural
    injections; the patient version keeps its bottom line and at least three statements."""
    question = "Will physical therapy help a herniated disc in my back?"
    patient = corpus.ask(question, audience="patient")
    clinician = corpus.ask(question)
    hardest = max((c.text for c in clinician.claims()), key=lambda text: reading_grade(text))
    assert reading_grade(hardest) > 12
    assert all(hardest not in c.quote.text for c in patient.claims())
    assert len(patient.claims()) >= 3
    bottom = next(s for s in patient.sections if s.key == "bottom_line")
    assert "physical therapy" in bottom.claims[0].text
