"""Yes/no verdicts: what the evidence says decides, and the verdict shows the sentence it rests on."""

from __future__ import annotations

import json

import pytest

from evidex.answer import verdict
from evidex.corpus import Corpus
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.settings import Settings

ZINC_NO = "Zinc lozenges did not improve tinnitus loudness or tinnitus-related distress compared with placebo."
MELATONIN_YES = "Melatonin significantly improved sleep quality and shortened sleep onset in adults with chronic insomnia."
CAPSAICIN_NO = (
    "Capsaicin cream is not a useful treatment for burning mouth syndrome in older adults. "
    "Larger trials of other topical agents are needed."
)


def _rct(doc_id: str, title: str, results: str, conclusion: str) -> Document:
    return Document(
        id=doc_id, source="user", title=title, year=2020, kind=EvidenceKind.RCT, licence="test",
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


@pytest.mark.parametrize(
    ("sentence", "question", "denies"),
    [
        ("Adherence was low no matter what follow-up was advised.", "Does the follow-up advised influence adherence?", True),
        ("Outcomes were similar in both groups.", "Does surgery improve outcomes?", True),
        ("Outcomes were similar in both groups.", "Are outcomes similar after surgery and physiotherapy?", False),
        ("Ultrasound is not only accurate but also cheap.", "Is ultrasound accurate for fractures?", False),
        ("Samples from arterial lines cannot be relied upon for APTT.", "Can we rely on arterial line sampling for APTT?", True),
        ("Exercise reduced pain at 12 weeks.", "Does exercise reduce pain?", False),
    ],
)
def test_sentence_stance_cues(sentence, question, denies):
    same = bool(verdict._Q_SAME.search(question))
    assert verdict.stance(verdict.sentence_cues(sentence, question), same)["denies"] == float(denies)


def test_shipped_model_matches_the_features_and_names_its_source():
    model = verdict.shipped_model()
    assert model is not None, "src/evidex/data/verdict_model.json missing: run scripts/train_verdict.py"
    assert model.names == verdict.feature_names()
    data = json.loads(verdict.model_path().read_text())
    assert "PubMedQA" in data["source"]


def test_cross_validation_never_scores_an_item_with_a_model_trained_on_it():
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.c_[np.ones(60), rng.normal(size=(60, len(verdict.feature_names()) - 1))]
    y = ["yes", "no", "uncertain"] * 20
    keys = [str(i) for i in range(60)]
    models, folds = verdict.cross_validation_models(x, y, keys, folds=5)
    assert len(models) == 5 and set(folds) <= set(range(5))
    assert folds == [verdict.fold_of(k, 5) for k in keys]


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
