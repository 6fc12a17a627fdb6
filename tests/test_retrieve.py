"""Hybrid search on the built-in corpus: relevance, filters, reranking, incremental updates, hostile input."""

from __future__ import annotations

import json
import math

import pytest

from evidex.answer.understand import QuestionError
from evidex.corpus import Corpus
from evidex.evidence.documents import Document, EvidenceKind, Passage
from evidex.evidence.store import SearchFilters, SQLiteStore
from evidex.search.retrieve import embed_missing_passages
from evidex.settings import Settings
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def corpus(builtin_data_dir) -> Corpus:
    corpus = Corpus.open(Settings(data_dir=builtin_data_dir))
    yield corpus
    corpus.close()


def test_lay_words_find_the_clinical_guideline(corpus):
    result = corpus.search("NSAIDs for acute low back pain", top_k=10)
    ids = [h.document.id for h in result.hits]
    assert "ngc:11288" in ids or "ngc:10647" in ids
    top = result.hits[0]
    assert top.parts.final > 0 and top.parts.relevance > 0
    assert top.parts.lexical_rank or top.parts.dense_rank


def test_synonym_expansion_reaches_documents_using_other_words(corpus):
    result = corpus.search("slipped disc", top_k=20)
    texts = " ".join(f"{h.document.title} {h.passage.text}".lower() for h in result.hits)
    assert "herniat" in texts or "intervertebral disc" in texts
    assert "intervertebral disc displacement" in result.expansion_query.lower()


def test_filters_restrict_kind_year_and_audience(corpus):
    rcts = corpus.search("asthma treatment", SearchFilters(kinds=[EvidenceKind.RCT]), top_k=10)
    assert rcts.hits and all(h.document.kind is EvidenceKind.RCT for h in rcts.hits)
    recent = corpus.search("asthma treatment", SearchFilters(year_from=2015), top_k=10)
    assert recent.hits and all(h.document.year and h.document.year >= 2015 for h in recent.hits)
    consumer = corpus.search("asthma treatment", SearchFilters(audience="consumer"), top_k=10)
    assert consumer.hits and all(h.document.audience == "consumer" for h in consumer.hits)


def test_filters_take_or_leave_out_sources(corpus):
    dictionary = corpus.search("naproxen", SearchFilters(sources=["nci_dictionary"]), top_k=5)
    assert dictionary.hits and all(h.document.source == "nci_dictionary" for h in dictionary.hits)
    assert dictionary.hits[0].document.title == "naproxen"
    others = corpus.search("naproxen", SearchFilters(exclude_sources=["nci_dictionary"]), top_k=30)
    assert others.hits and not any(h.document.source == "nci_dictionary" for h in others.hits)


def test_evidence_level_breaks_near_ties(corpus):
    result = corpus.search("screening for lung cancer with low-dose computed tomography", top_k=5)
    assert result.hits[0].document.kind in (EvidenceKind.GUIDELINE, EvidenceKind.SYSTEMATIC_REVIEW)


@pytest.mark.parametrize("query", ['"', 'NEAR(a b', "*", "a OR AND NOT", ":", "))((", "x" * 2_000, "'; DROP TABLE documents; --"])
def test_hostile_queries_do_not_fail(corpus, query):
    corpus.search(query, top_k=3)
    assert corpus.store.count_documents() > 17_000


@pytest.mark.parametrize("query, message", [("", "the query is empty"), ("   ", "the query is empty"),
                                            ("x" * 100_000, "the query is 100,000 characters long; the limit is 2,000")])
def test_an_empty_or_huge_query_is_a_clear_error(corpus, query, message):
    with pytest.raises(QuestionError, match=message):
        corpus.search(query, top_k=3)
    assert corpus.store.count_documents() > 17_000


def test_new_documents_are_searchable_without_rebuilding(builtin_copy, tmp_path):
    path = tmp_path / "new.jsonl"
    path.write_text(json.dumps({
        "id": "acme:zz-1", "title": "Quokkalizumab for thunderclap knee syndrome", "kind": "rct", "year": 2025,
        "text": "Quokkalizumab reduced thunderclap knee syndrome flares by half in a randomised trial.",
    }) + "\n")
    with Corpus.open(Settings(data_dir=builtin_copy)) as corpus:
        before = corpus.search("quokkalizumab", top_k=3)
        assert all(h.document.id != "acme:zz-1" for h in before.hits)
        report = corpus.ingest([path])
        assert report.inserted == 1
        after = corpus.search("quokkalizumab knee", top_k=3)
        assert after.hits[0].document.id == "acme:zz-1"
        assert after.hits[0].parts.dense_rank is not None


def test_cli_search_json(builtin_copy):
    result = run_cli("search", "gout flare colchicine", "--kind", "guideline", "--json", "-n", "3", data_dir=builtin_copy)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["hits"]) == 3 and all(h["kind"] == "guideline" for h in data["hits"])
    assert {"relevance", "evidence", "recency", "final", "fused", "idf_coverage", "rerank"} <= set(data["hits"][0]["score"])


def test_cli_search_reads_well_in_a_narrow_terminal(builtin_copy):
    result = run_cli("search", "gout flare colchicine", "--kind", "guideline", "-n", "2", data_dir=builtin_copy, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith(" 1. ") and any(line.startswith("    Guideline · ") for line in lines)
    assert any(line.strip().startswith("score ") and "relevance" in line for line in lines)
    assert sum(line.startswith(" 2. ") for line in lines) == 1


def test_very_common_words_are_left_out_of_the_word_query(corpus):
    total, fraction = corpus.store.passage_count(), corpus.settings.search.common_term_fraction
    assert corpus.store.document_frequency("patients") > fraction * total  # common in the built-in corpus
    result = corpus.search("gout patients colchicine", top_k=5)
    assert '"colchicine"' in result.lexical_query and '"patients"' not in result.lexical_query
    assert any("colchicine" in f"{h.document.title} {h.passage.text}".lower() for h in result.hits)


def test_a_query_of_only_common_words_still_finds_passages(corpus):
    result = corpus.search("patients", top_k=5)
    assert result.lexical_query == '"patients"'
    assert result.hits and all(h.parts.lexical_rank for h in result.hits[:1])


def test_search_without_feedback_or_common_word_pruning(builtin_data_dir):
    settings = Settings(data_dir=builtin_data_dir, search={"feedback_weight": 0, "common_term_fraction": 1})
    with Corpus.open(settings) as plain:
        result = plain.search("gout patients colchicine", top_k=5)
    assert '"patients"' in result.lexical_query
    assert result.hits and result.hits[0].parts.lexical_rank


def test_the_reranker_shows_its_reasons_and_can_be_switched_off(builtin_data_dir):
    query = "colchicine for acute gout flares"
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as corpus:
        reranked = corpus.search(query, top_k=5)
    with Corpus.open(Settings(data_dir=builtin_data_dir, search={"rerank": False})) as corpus:
        fused = corpus.search(query, top_k=5)
    for hit in reranked.hits:
        p = hit.parts
        assert p.rerank is not None and p.fused is not None
        assert 0 <= p.coverage <= 1 and 0 <= p.idf_coverage <= 1 and p.idf_coverage_below_best >= 0
        assert p.relevance == pytest.approx(1 / (1 + math.exp(-p.rerank)))
    assert reranked.hits[0].parts.idf_coverage > 0.5  # it names colchicine, gout and flares, not "acute"
    for hit in fused.hits:
        assert hit.parts.rerank is None and hit.parts.fused is None and hit.parts.coverage is None
    assert fused.hits[0].parts.relevance > 0


def test_a_passage_with_all_the_question_words_outranks_one_with_few(tmp_path):
    path = tmp_path / "cold.jsonl"
    documents = [
        ("acme:all-words", "In children with a common cold, zinc lozenges shortened the cold by about two days."),
        ("acme:few-words", "Vitamin C and echinacea are popular remedies for colds; trials in adults show little benefit."),
        ("acme:other", "Regular exercise lowers blood pressure in adults with hypertension."),
    ]
    path.write_text("".join(json.dumps({"id": i, "title": "Trial summary", "text": t}) + "\n" for i, t in documents))
    with Corpus.open(Settings(data_dir=tmp_path / "data", builtin_corpus=False)) as corpus:
        corpus.ingest([path])
        hits = corpus.search("Do zinc lozenges shorten a common cold in children?", top_k=3).hits
    ranked = [h.document.id for h in hits]
    assert ranked.index("acme:all-words") < ranked.index("acme:few-words")
    best, other = hits[ranked.index("acme:all-words")].parts, hits[ranked.index("acme:few-words")].parts
    assert best.idf_coverage > other.idf_coverage and best.rerank > other.rerank


class _StopsAfterOneBatch:
    """The real model, interrupted (as by Ctrl-C) when it is asked for a second batch."""

    def __init__(self, embedder) -> None:
        self.name, self.embedder, self.calls = embedder.name, embedder, 0

    def embed(self, texts):
        self.calls += 1
        if self.calls > 1:
            raise KeyboardInterrupt
        return self.embedder.embed(texts)


def test_vectors_saved_before_an_interrupted_embedding_are_searchable(tmp_path):
    path = tmp_path / "knee.jsonl"
    texts = ["Quadriceps strengthening eased knee osteoarthritis pain.", "Tai chi improved knee function in older adults.",
             "Weight loss reduced knee pain in obese adults.", "Hyaluronic acid injections were no better than placebo."]
    path.write_text("".join(json.dumps({"id": f"acme:knee-{i}", "title": "Knee trial", "text": t}) + "\n" for i, t in enumerate(texts)))
    settings = Settings(data_dir=tmp_path / "data", builtin_corpus=False)
    with Corpus.open(settings) as ingesting, Corpus.open(settings) as serving:
        ingesting.ingest([path], embed=False)
        assert all(h.parts.dense_rank is None for h in serving.search("knee exercise", top_k=4).hits)
        with pytest.raises(KeyboardInterrupt):
            embed_missing_passages(ingesting.store, _StopsAfterOneBatch(ingesting.embedder), commit_every=2)
        assert sum(h.parts.dense_rank is not None for h in serving.search("knee exercise", top_k=4).hits) == 2
    with Corpus.open(settings) as reopened:
        assert sum(h.parts.dense_rank is not None for h in reopened.search("knee exercise", top_k=4).hits) == 2


def test_dense_cosines_are_rescaled_within_each_search(corpus):
    # e5's cosines all lie near 0.8; fusion uses them rescaled between this search's lowest and highest.
    hits = corpus.search("supervised exercise for chronic low back pain", top_k=50).hits
    dense = sorted((h.parts for h in hits if h.parts.dense_score is not None), key=lambda p: p.dense_score)
    assert len(dense) > 10 and all(0 <= p.dense_norm <= 1 for p in dense)
    assert [p.dense_norm for p in dense] == sorted(p.dense_norm for p in dense)
    assert dense[-1].dense_norm > dense[0].dense_norm


def test_a_question_typed_in_capitals_or_lower_case_finds_the_same_passages(corpus):
    question = "Which exercises help sciatica from a slipped disc?"
    ranked = [
        [(h.passage_id, round(h.parts.final, 6)) for h in corpus.search(text, top_k=20).hits]
        for text in (question, question.upper(), question.lower())
    ]
    assert ranked[0] == ranked[1] == ranked[2]


def test_the_shipped_reranker_applies_only_with_the_embedding_model_it_was_trained_with(tmp_path):
    path = tmp_path / "gout.jsonl"
    path.write_text(json.dumps({"id": "acme:gout-1", "title": "Colchicine for gout flares", "text": "Low-dose colchicine eased acute gout flares."}) + "\n")
    reranked = {}
    for model in ("e5-small-q4", "minilm-l6-onnx-int8"):
        settings = Settings(data_dir=tmp_path / model, builtin_corpus=False, search={"embedding_model": model})
        with Corpus.open(settings) as corpus:
            corpus.ingest([path])
            hit = corpus.search("colchicine for gout", top_k=1).hits[0]
        assert hit.document.id == "acme:gout-1" and hit.parts.dense_score is not None
        reranked[model] = hit.parts.rerank is not None
    assert reranked == {"e5-small-q4": True, "minilm-l6-onnx-int8": False}


def test_a_filter_keeps_the_few_word_matches_that_pass_it_behind_many_better_ones_that_do_not(tmp_path):
    """The store ranks words before it filters: ranking must not push out what the filter asks for."""
    store = SQLiteStore(tmp_path / "evidex.db")
    reviews = [
        Document(id=f"user:r{i}", source="user", title=f"Asthma review {i}", kind=EvidenceKind.SYSTEMATIC_REVIEW,
                 passages=[Passage(label="Text", text="Asthma asthma asthma: inhaled steroids in asthma.")])
        for i in range(400)
    ]
    trials = [
        Document(id=f"user:t{i}", source="user", title=f"Trial {i}", kind=EvidenceKind.RCT,
                 passages=[Passage(label="Text", text=f"A long report of trial {i} that names asthma once among "
                                                      "many other words on enrolment, follow-up and analysis.")])
        for i in range(3)
    ]
    store.upsert(reviews + trials)

    def found(filters: SearchFilters) -> list[str]:
        rowids = [rowid for rowid, _ in store.lexical_search('"asthma"', 100, filters)]
        refs = store.passages(rowids)
        return [refs[rowid].document.id for rowid in rowids]

    assert sorted(found(SearchFilters(kinds=[EvidenceKind.RCT]))) == ["user:t0", "user:t1", "user:t2"]
    best = found(SearchFilters())
    assert len(best) == 100 and all(doc_id.startswith("user:r") for doc_id in best)
    store.close()
