"""Patient language: plainer answers that still say exactly what the sources say."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evidex.answer.compose import Draft, DraftClaim
from evidex.answer.plain import fit_reading_grade, reading_grade
from evidex.answer.verify import check_claim
from evidex.answer.words import crude_stems
from evidex.corpus import Corpus
from evidex.settings import Settings


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


def test_a_gloss_that_describes_rather_than_names_is_left_out(plain):
    # the thesaurus's first plain word for anemia is "tired", for morbidity "diseased"
    assert "(tired)" not in plain.rewrite("Anemia is common in chronic kidney disease.")
    assert "(diseased)" not in plain.rewrite("Morbidity was lower after surgery.")
    assert plain.plain_word("spontaneous") == "unplanned"


def test_patient_answers_prefer_sentences_a_patient_can_read(corpus):
    answer = corpus.ask("What can I do to keep my asthma under control?", audience="patient")
    clinician = corpus.ask("What can I do to keep my asthma under control?")
    assert answer.reading_grade <= 8 < clinician.reading_grade
    assert all(claim.verified for claim in answer.claims())



def _draft(sections: dict[str, list[str]], notes: dict[str, list[str]] | None = None) -> Draft:
    """A draft of plain sentences; each claim's finding only needs a score here."""
    return Draft(
        sections={
            key: [DraftClaim(SimpleNamespace(score=1.0 - i / 10), text) for i, text in enumerate(texts)]
            for key, texts in sections.items()
        },
        notes=notes or {},
    )


def _texts(draft: Draft) -> list[str]:
    return [claim.text for claims in draft.sections.values() for claim in claims]


PLAIN = ["Exercise helps back pain.", "Walk every day.", "Most back pain gets better.", "Keep moving."]
HARD = (
    "Comprehensive multidisciplinary rehabilitation incorporating cognitive behavioural components demonstrated "
    "statistically significant functional improvements compared with conventional physiotherapy interventions."
)


def test_a_hard_optional_statement_leaves_a_patient_answer_and_its_grade_falls():
    draft = _draft({"bottom_line": PLAIN[:1], "first_line": PLAIN[1:3] + [HARD], "how_to": PLAIN[3:]})
    fitted = fit_reading_grade(draft)
    assert HARD not in _texts(fitted)
    assert _texts(fitted) == PLAIN
    assert reading_grade(_texts(fitted)) < reading_grade(_texts(draft))


def test_warnings_bottom_line_and_a_noted_section_stay_however_hard():
    warning = "Seek emergency care immediately if comprehensive neurological deterioration or incontinence develops."
    harm = "Radioactive iodine can be harmful to the fetus thyroid and can be passed from mother to child in breast milk."
    related = "Multidisciplinary rehabilitation programmes incorporating graded exercise demonstrated functional improvements."
    draft = _draft(
        {"bottom_line": [HARD], "first_line": [warning, harm] + PLAIN, "related": [related]},
        notes={"bottom_line": ["What sources say is shown under “Evidence from related groups”."]},
    )
    fitted = _texts(fit_reading_grade(draft))
    assert {HARD, warning, harm, related} <= set(fitted)


def test_a_patient_answer_keeps_at_least_three_statements():
    harder = [HARD.replace("interventions.", "interventions" + " and multidisciplinary considerations" * k + ".") for k in (1, 2, 3)]
    draft = _draft({"bottom_line": [HARD], "first_line": harder})
    assert _texts(fit_reading_grade(draft)) == [HARD] + harder[:2]


def test_a_hard_statement_about_the_treatment_asked_about_outlasts_one_about_something_else():
    # easier than HARD: by grade alone HARD would go first
    other = "Comprehensive radiological evaluation demonstrated significant diagnostic improvements compared with conventional examination."
    plain = (PLAIN + ["Rest a little.", "Heat can help."]) * 3  # with these, one hard sentence reads at grade 8
    draft = _draft({"bottom_line": plain[:1], "first_line": [HARD, other], "evidence": plain[1:]})
    fitted = _texts(fit_reading_grade(draft, [frozenset(crude_stems("rehabilitation"))]))
    assert HARD in fitted and other not in fitted


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # The thesaurus glosses the base form: no singular gloss for a plural, no verb phrase for a noun.
        ("Vitamin D supplements prevent fractures in older adults.", "Vitamin D supplements prevent fractures in older adults."),
        ("A fracture of the hip needs surgery.", "A fracture (break) of the hip needs surgery (operation)."),
        ("Diabetes and hypertension are common.", "Diabetes and hypertension (high blood pressure) are common."),
    ],
)
def test_glosses_fit_the_word_they_follow(plain, source, expected):
    assert plain.rewrite(source) == expected
    assert check_claim(expected, source)[0]
