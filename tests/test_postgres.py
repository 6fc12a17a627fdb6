"""The corpus on PostgreSQL with pgvector (a real server from the pgserver package): the same store
interface as SQLite, and the same search results and answers on the built-in corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest

from evidex.corpus import Corpus
from evidex.evidence.documents import Document, Passage, Retraction
from evidex.evidence.pgstore import PostgresStore
from evidex.evidence.store import Changes, SearchFilters, SQLiteStore, open_store
from evidex.settings import PubMedSettings, Settings
from tests.conftest import DATA, MINI, new_database, run_cli
from tests.pubmed_servers import FileServer
from tests.test_pubmed_sync import A, B, C, R, X, nlm_files

MODEL = "test-model"


def document(n: int, text: str = "Exercise therapy reduced pain in chronic low back pain.", **fields) -> Document:
    return Document(
        id=f"test:{n}", source="user", title=f"Trial {n} of exercise", year=2000 + n % 20,
        passages=[Passage(label="RESULTS", text=text), Passage(label="CONCLUSIONS", text=f"Conclusion {n}.")],
        **fields,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = SQLiteStore(tmp_path / "evidex.db")
    else:
        opened = PostgresStore(new_database(request.getfixturevalue("postgres"), f"store_{request.node.name}"))
    yield opened
    opened.close()


def test_the_vector_index_is_built_by_the_ingest_not_by_the_first_search(postgres, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=new_database(postgres, "index_at_ingest"), builtin_corpus=False,
                        search={"embedding_model": "minilm-l6-onnx-int8"})
    with Corpus.open(settings) as corpus:
        corpus.ingest([str(MINI / "guidelines.jsonl")])
        indexes = "SELECT indexdef FROM pg_indexes WHERE tablename = 'passage_vectors' AND indexdef LIKE '%hnsw%'"
        assert len(corpus.store.conn.execute(indexes).fetchall()) == 1


def test_database_url_selects_the_store(postgres, tmp_path):
    url = new_database(postgres, "selects")
    for given in (url, url.replace("postgresql://", "postgresql+psycopg://")):
        with Corpus.open(Settings(data_dir=tmp_path, database_url=given, builtin_corpus=False)) as corpus:
            assert isinstance(corpus.store, PostgresStore)
    assert isinstance(open_store(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "unused.db"), SQLiteStore)
    with pytest.raises(ValueError, match="must start with sqlite:/// or postgresql://"):
        open_store("mysql://db/evidex", tmp_path / "evidex.db")
    with pytest.raises(ValueError, match="cannot connect to postgresql://evidex:\\*\\*\\*@127.0.0.1:9/none"):
        open_store("postgresql://evidex:secret@127.0.0.1:9/none", tmp_path / "evidex.db")


def test_apply_counts_every_kind_of_change_and_commits_the_checkpoint_with_it(store):
    counts = store.apply(Changes(documents={d.id: d for d in map(document, range(4))}), lambda c: {"job": f"{c.inserted}"})
    assert (counts.inserted, store.get_meta("job")) == (4, "4")
    changed = document(1, "Exercise did not reduce pain.")
    counts = store.apply(
        Changes(documents={changed.id: changed, "test:0": document(0)}, deletions={"test:2", "test:99"}, dropped={"test:3"}),
        lambda c: {"job": "second"},
    )
    assert (counts.updated, counts.unchanged, counts.deleted, counts.not_found) == (1, 1, 1, 1)
    assert store.contains(["test:0", "test:1", "test:2", "test:3"]) == {"test:0", "test:1"}
    assert store.get("test:1").passages[0].text == "Exercise did not reduce pain."
    assert store.meta_items("jo") == {"job": "second"}

    def failing(counts):
        raise RuntimeError("the job died while committing")

    with pytest.raises(RuntimeError):
        store.apply(Changes(documents={"test:7": document(7)}, deletions={"test:0"}), failing)
    # Nothing of a batch whose checkpoint failed is stored: they are one transaction.
    assert store.contains(["test:0", "test:7"]) == {"test:0"} and store.get_meta("job") == "second"
    assert store.count_documents() == 2 and store.passage_count() == 4


def test_retraction_notices_mark_documents_whichever_comes_first(store):
    store.apply(Changes(documents={"test:1": document(1)}))
    counts = store.apply(Changes(retractions=[Retraction(notice="test:90", retracted=["test:1", "test:2"])]))
    assert counts.retracted == 1 and store.get("test:1").retracted
    store.apply(Changes(documents={"test:2": document(2)}))  # arrives after its notice
    assert store.get("test:2").retracted
    hits = store.lexical_search('"exercise"', 10, SearchFilters())
    assert hits == []  # retracted documents are left out by default
    assert len(store.lexical_search('"exercise"', 10, SearchFilters(exclude_retracted=False))) == 4
    assert store.stats(MODEL).retracted == 2


def test_words_rank_before_vectors_exist_and_vectors_are_saved_once(store):
    store.apply(Changes(documents={d.id: d for d in [document(1), document(2, "Surgery for sciatica."), document(3)]}))
    ranked = store.lexical_search('"sciatica" OR "surgery"', 10, SearchFilters())
    assert [store.passages([r])[r].id for r, _ in ranked] == ["test:2#0"]
    assert store.count_passages_without_vectors(MODEL) == 6
    rows = store.passages_without_vectors(MODEL, 4)
    assert [r[1] for r in rows] == ["test:1#0", "test:1#1", "test:2#0", "test:2#1"]
    assert rows[0][2:] == ("Trial 1 of exercise", "Exercise therapy reduced pain in chronic low back pain.")
    newest = store.passages_without_vectors(MODEL, 2, newest_first=True)
    assert [r[1] for r in newest] == ["test:3#1", "test:3#0"]
    vectors = np.eye(8, dtype=np.float32)[:4]
    store.save_vectors(MODEL, zip((r[0] for r in rows), vectors))
    store.save_vectors(MODEL, zip((r[0] for r in rows), vectors))  # again: replaced, not duplicated
    assert store.count_passages_without_vectors(MODEL) == 2
    assert [r[1] for r in store.passages_without_vectors(MODEL, 10)] == ["test:3#0", "test:3#1"]
    rowids, matrix = store.load_vectors(MODEL)
    assert rowids.tolist() == sorted(r[0] for r in rows) and np.allclose(matrix, vectors)
    assert store.stats(MODEL).embedded_passages == 4 and store.stats("another-model").embedded_passages == 0
    store.delete(["test:1"])  # its vectors go with it
    assert store.load_vectors(MODEL)[0].tolist() == sorted(r[0] for r in rows[2:])


def test_dense_search_uses_the_index_and_applies_filters(postgres):
    store = PostgresStore(new_database(postgres, "dense_filters"))
    documents = [document(n, kind="rct" if n % 10 == 0 else "cohort") for n in range(300)]
    store.apply(Changes(documents={d.id: d for d in documents}))
    rng = np.random.default_rng(0)
    rows = store.passages_without_vectors(MODEL, 1000)
    vectors = rng.standard_normal((len(rows), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store.save_vectors(MODEL, zip((r[0] for r in rows), vectors))
    query = vectors[7]
    nearest = store.nearest_passages(MODEL, query, 5, SearchFilters())
    assert nearest[0][0] == rows[7][0] and nearest[0][1] == pytest.approx(1.0, abs=1e-3)
    # A narrow filter (30 of 300 documents) still gives as many passages as asked, all of that kind.
    only_rcts = store.nearest_passages(MODEL, query, 40, SearchFilters(kinds=["rct"]))
    assert len(only_rcts) == 40
    assert {store.passages([r])[r].document.kind.value for r, _ in only_rcts} == {"rct"}
    exact = sorted(((float(v @ query), r[0]) for r, v in zip(rows, vectors)
                    if documents[int(r[1].split(":")[1].split("#")[0])].kind.value == "rct"), reverse=True)[:40]
    assert [r for r, _ in only_rcts] == [r for _, r in exact]
    store.close()


def test_sync_applies_nlm_files_into_postgresql(postgres, tmp_path):
    nlm_files(tmp_path / "nlm")
    with FileServer(tmp_path / "nlm") as server:
        settings = Settings(
            data_dir=tmp_path / "data", builtin_corpus=False, database_url=new_database(postgres, "sync"),
            pubmed=PubMedSettings(baseline_url=server.url),
        )
        with Corpus.open(settings) as corpus:
            report = corpus.sync_pubmed(log=lambda line: None)
            assert [f.report.records for f in report.applied] == [3, 1, 5, 1]
            assert corpus.get(f"pmid:{A}").title == "A second version."
            assert [corpus.get(f"pmid:{p}").retracted for p in (A, B, R, X)] == [False, True, True, True]
            assert corpus.store.get(f"pmid:{C}") is None
            assert corpus.sync_pubmed(log=lambda line: None).already == 4
            # Found by words before any vector exists.
            hits = corpus.search("budesonide formoterol mild asthma", top_k=5).hits
            assert hits and all(h.document.id == f"pmid:{A}" for h in hits)


# --------------------------------------------------------------------------------------------------
# Parity with SQLite on the built-in corpus.

# Queries of the README, the tests and the benchmarks: words that FTS5 and PostgreSQL stem alike and
# some they may not (drugs, abbreviations, a misspelling, a lay term).
PARITY_QUERIES = [
    "slipped disc sciatica exercise",
    "Does exercise help chronic low back pain?",
    "metformin first line type 2 diabetes",
    "budesonide formoterol as needed in mild asthma",
    "what are the symptoms of gout",
    "high blood presure treatment in older adults",
    "Is cognitive behavioural therapy effective for depression?",
    "statins for primary prevention of cardiovascular disease",
    "colorectal cancer screening colonoscopy",
    "COPD exacerbation antibiotics",
]
TOP = 5
# Scores within this fraction of each other are a tie, whose order the two stores may decide
# differently.  The final scores of one passage differ between the stores by up to ~2 % (measured on
# these queries): fusion rescales each cosine between the lowest and highest of the dense ranking's
# 100 candidates, and pgvector's HNSW index is approximate, so its 100th candidate (the lowest
# cosine) is not always SQLite's exact one; BM25 scores agree to 1e-4 (Snowball and FTS5's Porter
# stemmer differ on few words).  The built-in corpus has many near-duplicate passages (one
# guideline's recommendations, MedQuAD's pages) whose scores differ in the third decimal.
TIE = 0.03


def same_top(expected: list[tuple[str, float]], got: list[tuple[str, float]]) -> list[str]:
    """Where ``got`` (passage id, final score, best first) disagrees with ``expected`` about the
    top :data:`TOP` beyond ties: a passage of ``expected``'s top is in ``got``'s, unless it ties
    with ``expected``'s last one; two passages keep their order unless they tie."""
    problems = []
    rank = {passage: n for n, (passage, _) in enumerate(got)}
    cut = expected[min(TOP, len(expected)) - 1][1] if expected else 0.0
    top = expected[:TOP]
    for passage, score in top:
        if rank.get(passage, len(got)) >= TOP and score > cut * (1 + TIE):
            problems.append(f"{passage} ({score:.4f}) is not in the top {TOP}")
    for (first, high), (second, low) in zip(top, top[1:]):
        if high > low * (1 + TIE) and rank.get(first, len(got)) > rank.get(second, len(got)):
            problems.append(f"{second} ({low:.4f}) comes before {first} ({high:.4f})")
    return problems


@pytest.fixture(scope="module")
def builtin_postgres(postgres, tmp_path_factory):
    """The built-in corpus in PostgreSQL, built as `evidex` builds it (shipped vectors included)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("pg-builtin"), database_url=new_database(postgres, "builtin"))
    with Corpus.open(settings) as corpus:
        corpus.prepare()
    return settings


@pytest.mark.slow  # the built-in corpus in PostgreSQL: about a minute to load and index
def test_search_gives_the_same_top_results_on_sqlite_and_postgresql(builtin_data_dir, builtin_postgres):
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as lite, Corpus.open(builtin_postgres) as pg:
        assert pg.stats().documents == lite.stats().documents and pg.stats().passages == lite.stats().passages
        assert pg.stats().embedded_passages == lite.stats().embedded_passages
        problems = {}
        for query in PARITY_QUERIES:
            expected = [(h.passage_id, h.parts.final) for h in lite.search(query, top_k=10).hits]
            got = [(h.passage_id, h.parts.final) for h in pg.search(query, top_k=10).hits]
            wrong = same_top(expected, got) + same_top(got, expected)
            if wrong:
                problems[query] = wrong
        assert not problems
        # Filters are applied by both stores alike.
        filters = SearchFilters(kinds=["guideline"], year_from=2010)
        lite_hits = lite.search("asthma inhaled corticosteroids", filters, top_k=10).hits
        pg_hits = pg.search("asthma inhaled corticosteroids", filters, top_k=10).hits
        assert {h.passage_id for h in pg_hits} == {h.passage_id for h in lite_hits}


@pytest.mark.slow
def test_ask_gives_the_same_answer_on_sqlite_and_postgresql(builtin_data_dir, builtin_postgres):
    questions = ["Does exercise help chronic low back pain?", "What are the most evidence-backed exercises for a herniated disc with sciatica?"]
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as lite, Corpus.open(builtin_postgres) as pg:
        for question in questions:
            expected, got = lite.ask(question), pg.ask(question)
            assert not expected.abstained and got.abstained == expected.abstained
            assert [c.text for c in got.claims()] == [c.text for c in expected.claims()]
            assert [r.doc_id for r in got.references] == [r.doc_id for r in expected.references]


@pytest.mark.slow
def test_cli_ingest_search_and_ask_give_the_same_results_on_both(builtin_postgres, builtin_copy, tmp_path):
    postgresql = {"EVIDEX_DATABASE_URL": builtin_postgres.database_url.replace("postgresql://", "postgresql+psycopg://")}
    runs = {"sqlite": (builtin_copy, {}), "postgresql": (tmp_path / "pg-data", postgresql)}
    found, answers = {}, {}
    try:
        for name, (data_dir, env) in runs.items():
            result = run_cli("ingest", str(DATA / "pubmed-29768149.xml"), data_dir=data_dir, env=env)
            assert result.returncode == 0, result.stderr
            assert "1 ingested, 0 updated, 0 unchanged" in result.stdout
            again = run_cli("ingest", str(DATA / "pubmed-29768149.xml"), data_dir=data_dir, env=env)
            assert "0 ingested, 0 updated, 1 unchanged" in again.stdout
            search = run_cli("search", "budesonide formoterol as needed mild asthma", "--json", data_dir=data_dir, env=env)
            found[name] = [(h["passage_id"], h["score"]["final"]) for h in json.loads(search.stdout)["hits"]]
            answer = run_cli("ask", "Is as-needed budesonide-formoterol effective in mild asthma?", "--json", data_dir=data_dir, env=env)
            assert answer.returncode == 0, answer.stderr
            answers[name] = [r["doc_id"] for r in json.loads(answer.stdout)["references"]]
        stats = json.loads(run_cli("corpus", "stats", "--json", data_dir=tmp_path, env=postgresql).stdout)
        assert stats["database"].startswith("postgresql://")
    finally:
        with Corpus.open(builtin_postgres) as pg:
            pg.store.delete(["pmid:29768149"])  # the built-in corpus in PostgreSQL is shared by this module
    assert any(p.startswith("pmid:29768149#") for p, _ in found["postgresql"])
    assert not same_top(found["sqlite"], found["postgresql"]) and not same_top(found["postgresql"], found["sqlite"])
    assert answers["postgresql"] == answers["sqlite"]
