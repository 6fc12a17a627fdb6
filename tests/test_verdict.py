"""Yes/no verdicts: what the evidence says decides, and the verdict shows the sentence it rests on."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from evidex.answer import verdict
from evidex.corpus import Corpus
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.settings import Settings

ZINC_NO = "Zinc lozenges did not improve tinnitus loudness or tinnitus-related distress compared with placebo."
MELATONIN_YES = "Melatonin significantly improved sleep quality and shortened sleep onset in adults with chronic insomnia."
ROOT = Path(__file__).resolve().parent.parent
CAPSAICIN_NO = (
    "Capsaicin cream is not a useful treatment for burning mouth syndrome in older adults. "
    "Larger trials of other topical agents are needed."
)


# Conclusions of four systematic reviews in the built-in corpus (PubMedRS-200), on which
# physicians found verdicts that contradicted the evidence shown.
ENDOSCOPY_LOW_RISK = (  # PMID 25849032
    "Based on the available literature, this review concludes that lower gastrointestinal endoscopy during "
    "pregnancy is of low risk for mother and child in all three trimesters of pregnancy."
)
LIDOCAINE_CONFLICTING = (  # PMID 35962043
    "Presently, RCTs and quasi-experimental studies on the use of lidocaine for reducing AD in individuals with SCI "
    "had small sample sizes and opposing findings. There is a strong need for definitive, well-monitored clinical "
    "trials with adequate sample sizes. Presently there is not enough compelling evidence to support or refute "
    "recommendations for the use of lidocaine from the AD management clinical practice guidelines."
)
VIVAX_UNKNOWN = (  # PMID 33407474
    "Reports of HIV/PvCo are scarce in the literature, with only a few studies describing clinical and laboratory "
    "outcomes. Systematic screening for both co-infections is not routinely performed, and therefore the real "
    "prevalence of HIV/PvCo is unknown. This study showed a low prevalence of HIV/PvCo despite the high prevalence "
    "of malaria and HIV locally. Even though relatively small, this is the largest case series to describe HIV/PvCo."
)
SSI_INCONCLUSIVE = (  # PMID 22905120
    "The results may indicate an increased risk in HIV infected patients but these results are not robust and "
    "inconclusive after conducting the sensitivity analysis removing poor quality studies. There is need for larger "
    "good quality studies to provide conclusive evidence."
)


REVIEW = EvidenceKind.SYSTEMATIC_REVIEW


def _rct(doc_id: str, title: str, results: str, conclusion: str, kind: EvidenceKind = EvidenceKind.RCT) -> Document:
    return Document(
        id=doc_id, source="user", title=title, year=2020, kind=kind, licence="test",
        passages=[
            Passage(label="BACKGROUND", text=f"{title.rstrip('?')} is an open question in primary care."),
            Passage(label="RESULTS", text=results),
            Passage(label="CONCLUSIONS", text=conclusion),
        ],
    )


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> Corpus:
    corpus = Corpus.open(Settings(data_dir=tmp_path_factory.mktemp("verdict"), builtin_corpus=False))
    corpus.store.upsert([
        _rct("user:zinc", "Zinc lozenges for tinnitus: a randomised trial",
             "Tinnitus loudness fell by 2 points with zinc and by 2 points with placebo.", ZINC_NO),
        _rct("user:melatonin", "Melatonin for chronic insomnia in adults",
             "Sleep quality scores improved by 30% with melatonin and 5% with placebo.", MELATONIN_YES),
        _rct("user:capsaicin", "Topical capsaicin for burning mouth syndrome",
             "Pain scores were 6.1 with capsaicin and 6.0 with placebo.", CAPSAICIN_NO),
        _rct("user:endoscopy", "Lower gastrointestinal endoscopy in pregnant women: does it pose a risk to mother and child? A systematic review",
             "Birth outcomes did not differ between women with and without endoscopy.", ENDOSCOPY_LOW_RISK, REVIEW),
        _rct("user:lidocaine", "Are local anaesthetics effective in reducing autonomic dysreflexia in spinal cord injury?",
             "The local anaesthetic lidocaine had a beneficial effect in three studies, no effect in two and a "
             "detrimental effect in one.",
             LIDOCAINE_CONFLICTING, REVIEW),
        _rct("user:vivax", "Plasmodium vivax malaria with HIV co-infection: should we care? A systematic review",
             "Of 1,048 vivax malaria patients, 21 had HIV co-infection; severe malaria was diagnosed in 5.",
             VIVAX_UNKNOWN, REVIEW),
        _rct("user:hiv-ssi", "Is there an increased risk of surgical site infection after orthopaedic surgery in HIV patients?",
             "The pooled risk ratio of infection was 1.8 (95% CI 1.3-2.4); in a sensitivity analysis it was 1.4 (95% CI 0.5-3.8).",
             SSI_INCONCLUSIVE, REVIEW),
    ])
    corpus.embed_passages()
    yield corpus
    corpus.close()


def _bottom_line(answer) -> str:
    return answer.section("bottom_line").claims[0].quote.text


def test_evidence_that_x_did_not_improve_y_gives_no_citing_that_sentence(small_corpus):
    answer = small_corpus.ask("Do zinc lozenges improve tinnitus?")
    assert answer.verdict is not None
    assert answer.verdict.value == "no"
    assert answer.verdict.basis == ZINC_NO
    (number,) = answer.verdict.citations
    assert next(r for r in answer.references if r.number == number).doc_id == "user:zinc"
    assert _bottom_line(answer) == ZINC_NO, "the verdict's sentence is shown as the bottom line, verified"


def test_a_positive_conclusion_gives_yes(small_corpus):
    answer = small_corpus.ask("Does melatonin improve sleep in chronic insomnia?")
    assert answer.verdict is not None and answer.verdict.value == "yes"
    assert answer.verdict.basis == MELATONIN_YES


def test_negation_that_falls_on_the_question_is_read_as_no(small_corpus):
    # "Can capsaicin be used …?" against "Capsaicin cream is not a useful treatment …"
    answer = small_corpus.ask("Can capsaicin cream be used to treat burning mouth syndrome?")
    assert answer.verdict is not None and answer.verdict.value == "no"
    assert answer.verdict.basis == CAPSAICIN_NO.split(". ")[0] + "."


def test_question_without_leading_verb_still_gets_a_verdict(small_corpus):
    answer = small_corpus.ask("Zinc lozenges for tinnitus: an effective treatment?")
    assert answer.verdict is not None and answer.verdict.value == "no"


def test_a_source_about_a_neighbouring_question_gives_no_verdict(small_corpus):
    # The melatonin trial concludes strongly, but not on whether melatonin is first-line for children.
    answer = small_corpus.ask("Is melatonin first-line treatment for insomnia in children with autism?")
    assert answer.verdict is None


def test_a_verdict_on_a_treatment_rests_on_a_sentence_that_names_it(small_corpus):
    # Only the melatonin trial speaks of insomnia; its conclusion says nothing about zinc.
    answer = small_corpus.ask("Does zinc improve sleep quality in chronic insomnia?")
    assert answer.verdict is None


def test_open_questions_get_no_verdict(small_corpus):
    answer = small_corpus.ask("What is the evidence on zinc lozenges for tinnitus?")
    assert answer.verdict is None


# --- the four verdicts physicians found contradicting the evidence ------------------------


def _cited_doc(answer) -> str:
    (number,) = answer.verdict.citations
    return next(r.doc_id for r in answer.references if r.number == number)


def test_a_risk_question_answered_by_low_risk_is_no(small_corpus):
    answer = small_corpus.ask("Does lower GI endoscopy in pregnancy pose a risk?")
    assert answer.verdict is not None and answer.verdict.value == "no", "low risk answers 'does it pose a risk?' with no"
    assert answer.verdict.basis == ENDOSCOPY_LOW_RISK
    assert _cited_doc(answer) == "user:endoscopy"


def test_conflicting_evidence_on_local_anaesthetics_is_never_a_yes(small_corpus):
    answer = small_corpus.ask("Are local anaesthetics effective for autonomic dysreflexia?")
    assert "user:lidocaine" in {r.doc_id for r in answer.references}, "the review is found"
    assert answer.verdict is None or answer.verdict.value == "uncertain"


def test_unknown_prevalence_does_not_answer_should_we_care(small_corpus):
    answer = small_corpus.ask("Should we care about P. vivax-HIV co-infection?")
    assert "user:vivax" in {r.doc_id for r in answer.references}, "the review is found"
    assert answer.verdict is None or answer.verdict.value == "uncertain"
    if answer.verdict is not None:
        assert answer.verdict.basis in VIVAX_UNKNOWN and "unknown" in answer.verdict.basis


def test_an_inconclusive_risk_ratio_is_uncertain_not_no(small_corpus):
    answer = small_corpus.ask("Does HIV increase the risk of surgical site infection after orthopaedic surgery?")
    assert answer.verdict is not None and answer.verdict.value == "uncertain"
    assert "inconclusive" in answer.verdict.basis
    assert _cited_doc(answer) == "user:hiv-ssi"


# --- reading one sentence against the question -------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "question", "denies"),
    [
        ("Adherence was low no matter what follow-up was advised.", "Does the follow-up advised influence adherence?", True),
        ("Outcomes were similar in both groups.", "Does surgery improve outcomes?", True),
        ("Outcomes were similar in both groups.", "Are outcomes similar after surgery and physiotherapy?", False),
        ("Ultrasound is not only accurate but also cheap.", "Is ultrasound accurate for fractures?", False),
        ("Samples from arterial lines cannot be relied upon for APTT.", "Can we rely on arterial line sampling for APTT?", True),
        ("Exercise reduced pain at 12 weeks.", "Does exercise reduce pain?", False),
        ("The panel recommends against routine screening for thyroid cancer.", "Should adults be screened for thyroid cancer?", True),
    ],
)
def test_sentence_stance_cues(sentence, question, denies):
    cues = verdict.question_cues(question)
    assert verdict.stance(verdict.sentence_cues(sentence, cues), cues.same)["denies"] == float(denies)


@pytest.mark.parametrize(
    ("sentence", "question", "expected"),
    [
        # the question's direction: a risk question is answered no by "safe" or "low risk"
        ("Colonoscopy during pregnancy is of low risk for mother and child.", "Does colonoscopy in pregnancy pose a risk?", "no"),
        ("Colonoscopy during pregnancy is safe for mother and child.", "Is colonoscopy harmful in pregnancy?", "no"),
        ("Smoking was associated with an increased risk of wound infection.", "Is smoking a risk factor for wound infection?", "yes"),
        ("Colonoscopy during pregnancy is of low risk for mother and child.", "Is colonoscopy safe in pregnancy?", "yes"),
        ("Exclusive chemoradiation is not safe to treat low rectal carcinoma.", "Is chemoradiation safe for low rectal carcinoma?", "no"),
        ("Half-dose angiography showed the aorta as clearly as a full dose.", "Can half-dose angiography replace a full dose instead of it?", "yes"),
        ("Recovery was similar after both operations.", "Is keyhole surgery better than open surgery for recovery?", "no"),
        # plain findings
        ("Zinc lozenges did not improve tinnitus loudness compared with placebo.", "Do zinc lozenges improve tinnitus?", "no"),
        ("Zinc lozenges didn't improve tinnitus loudness.", "Do zinc lozenges improve tinnitus?", "no"),
        ("Tranexamic acid did not increase the risk of seizures.", "Does tranexamic acid increase the risk of seizures?", "no"),
        ("Patients who did not receive radiotherapy had a poorer survival.", "Does radiotherapy affect survival?", "yes"),
        ("Melatonin significantly improved sleep quality in adults with insomnia.", "Does melatonin improve sleep quality?", "yes"),
        # not enough evidence, in the source's words
        ("The evidence on lidocaine for dysreflexia is conflicting.", "Does lidocaine prevent dysreflexia?", "uncertain"),
        ("There is insufficient evidence to support or refute lidocaine for dysreflexia.", "Does lidocaine prevent dysreflexia?", "uncertain"),
        # hedged, contrasted, conditional, another group, another number, another direction: no verdict
        ("Melatonin may improve sleep quality in adults with insomnia.", "Does melatonin improve sleep quality?", None),
        ("Melatonin improved sleep quality, but only in older adults.", "Does melatonin improve sleep quality?", None),
        ("In selected patients, melatonin improved sleep quality.", "Does melatonin improve sleep quality?", None),
        ("Cytomegalovirus is associated with hypertension in women.", "Is cytomegalovirus associated with hypertension?", None),
        ("An SGLT2 inhibitor should be used in adults with type 2 diabetes and CKD.", "Should SGLT2 inhibitors be used in type 1 diabetes?", None),
        ("Exercise reduced the walking distance.", "Does exercise increase walking distance?", None),
        ("Drug X induces the differentiation of astrocytes.", "Does drug X inhibit astrocyte differentiation?", None),
        ("Gene X expression is associated with poor survival.", "Is gene X expression associated with better survival?", None),
        ("Surgery improved pain scores and lowered mobility.", "Does surgery improve pain scores?", None),
        # "should", "avoid" answer only what to do: not whether something causes anaemia
        ("Inserting a stent in a narrow lumen should be avoided.", "Is a stent in a narrow lumen a cause of anaemia?", None),
        ("To avoid the risk for donors, split grafts are used first.", "Are split grafts used in children?", None),
        ("Outcomes were as good as with open surgery.", "Is keyhole surgery a feasible option?", None),
        # a doubting question is not answered yes by a plain positive finding
        ("Routine dilatation significantly improved stone clearance.", "Is routine dilatation really necessary?", None),
        ("Routine dilatation did not improve stone clearance.", "Is routine dilatation really necessary?", "no"),
    ],
)
def test_a_sentence_answers_in_the_question_s_direction(sentence, question, expected):
    assert verdict.answer_of(sentence, verdict.question_cues(question), verdict.shipped_model()) == expected


def test_a_graded_recommendation_is_read_by_its_grade():
    assert verdict.grade_stance("D recommendation") == "no"
    assert verdict.grade_stance("I statement") == "uncertain"
    assert verdict.grade_stance("C recommendation") == "uncertain"
    assert verdict.grade_stance("B recommendation") == "yes"
    assert verdict.grade_stance("Weak Against; Reviewed, New-added") == "no"
    assert verdict.grade_stance("Strong For; Reviewed, Amended") == "yes"
    assert verdict.grade_stance("N/A; Reviewed, New-replaced") == "uncertain"
    assert verdict.sentence_grade("Do not combine gemfibrozil with a statin (Class III: Harm, LOE B-R).") == "no"
    assert verdict.sentence_grade("OAC may be considered (Class IIb).") == "uncertain"
    assert verdict.sentence_grade("Continue (Class I) but do not start on the day of surgery (Class III).") is None
    q = verdict.question_cues("Should omega-3 fatty acids be used for depression?")
    grade_says = "For patients with depression, the Work Group suggests against using omega-3 fatty acids."
    assert verdict.answer_of(grade_says, q, None, strength="Weak Against", guideline=True) == "no"


def test_question_cues_say_how_the_question_is_asked():
    cues = verdict.question_cues("Is there a higher risk of infection with HIV?")
    assert cues.harm and not cues.safety and not cues.negated and not cues.doubt
    assert not verdict.question_cues("Does aspirin reduce the risk of stroke?").harm, "a benefit, not a harm"
    assert verdict.question_cues("Is keyhole surgery as safe as open surgery?").same
    assert not verdict.question_cues("Is keyhole surgery better than open surgery?").same
    assert verdict.question_cues("Is a chest X-ray always necessary?").doubt
    assert verdict.question_cues("Is it not better to wait?").negated
    assert verdict.question_cues("Do SGLT2 inhibitors help in type 1 diabetes?").numbers == {"2", "1"}


def test_a_negated_question_gets_no_verdict(small_corpus):
    answer = small_corpus.ask("Do zinc lozenges not improve tinnitus?")
    assert answer.verdict is None


# --- where the learned stance comes from -------------------------------------------------


def test_shipped_model_is_trained_on_guideline_grades_not_on_an_evaluation_set():
    model = verdict.shipped_model()
    assert model is not None, "src/evidex/data/verdict_model.json missing: run scripts/train_verdict.py"
    assert model.names == verdict.STANCE_FEATURES
    data = json.loads(verdict.model_path().read_text())
    assert "guideline" in data["source"] and "PubMedQA" not in data["source"]
    held_out = data["evaluation"]["grade_labelled"]
    assert held_out["examples"] > 500 and 0 < held_out["accuracy"] <= 1


def test_training_labels_are_guideline_grades_held_out_by_guideline():
    spec = importlib.util.spec_from_file_location("train_verdict", ROOT / "scripts" / "train_verdict.py")
    train_verdict = importlib.util.module_from_spec(spec)
    sys.modules["train_verdict"] = train_verdict
    spec.loader.exec_module(train_verdict)
    examples = train_verdict.training_examples()
    assert {e.guideline.split(":")[0] for e in examples if ":" in e.guideline} == {"ngc"}
    assert not any(e.guideline.startswith(("pmid", "pubmed")) for e in examples)
    by_text = {e.text: e.label for e in examples}
    assert by_text["The USPSTF recommends against screening for thyroid cancer in asymptomatic adults."] == "no"
    assert not any("recommendation)" in e.text or "(Class" in e.text or "Strong For" in e.text for e in examples)
    folds: dict[str, set[int]] = {}
    for e in examples:
        folds.setdefault(e.guideline, set()).add(train_verdict.fold_of(e.guideline))
    assert all(len(f) == 1 for f in folds.values()), "each guideline's recommendations are all on one side"


def test_builtin_pubmedqa_records_carry_no_answer_label():
    """The verdict must come from the abstract, never from PubMedQA's label."""
    from evidex.evidence.builtin import data_path
    from evidex.evidence.sources.pubmed_jsonl import pubmed_document

    path = data_path("corpus/pubmed/pubmedqa_pqal_abstracts.jsonl")
    with path.open() as lines:
        for line, _ in zip(lines, range(50)):
            record = json.loads(line)
            assert not {"final_decision", "reasoning_required_pred", "reasoning_free_pred", "LABELS"} & set(record)
            stored = pubmed_document(record).model_dump_json()
            assert "final_decision" not in stored and "pubmedqa_split" not in stored
