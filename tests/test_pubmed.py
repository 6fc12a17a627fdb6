"""Live PubMed for a question, against a real E-utilities server on 127.0.0.1."""

from __future__ import annotations

import json

from evidex.answer.understand import understand
from evidex.corpus import Corpus
from evidex.evidence.pubmed.eutils import build_query
from evidex.settings import PubMedSettings, Settings
from tests.conftest import free_port, run_cli
from tests.pubmed_servers import EutilsBehaviour, EutilsServer, record

QUESTION = "Is as-needed budesonide-formoterol effective for mild asthma?"


def records() -> dict[str, str]:
    """The real record, two copies that are only journal articles, and one on another topic."""
    found = {"29768149": record(29768149, title="Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma.")}
    for pmid in (61000001, 61000002):
        found[str(pmid)] = record(pmid, publication_types=["Journal Article"])
    found["61000009"] = record(61000009, title="Knee taping for patellofemoral pain.", publication_types=["Journal Article"])
    found["61000009"] = found["61000009"].replace("Asthma", "Knee Injuries").replace("asthma", "knee pain").replace("udesonide", "andage").replace("ormoterol", "ape")
    return found


def settings(tmp_path, server: EutilsServer | None, **pubmed) -> Settings:
    url = server.url if server else f"http://127.0.0.1:{free_port()}/entrez/eutils/"
    options = {"eutils_url": url, "tool": "evidex-tests", "email": "tests@example.org", **pubmed}
    return Settings(data_dir=tmp_path / "data", builtin_corpus=False, pubmed=PubMedSettings(**options))


def test_the_query_asks_for_mesh_terms_text_words_strong_evidence_and_a_date_window():
    from datetime import date

    from evidex.search.vocab import Vocabulary

    question = understand(QUESTION, Vocabulary.load())
    query = build_query(question.main_conditions, question.interventions, question.expanded.terms, PubMedSettings(years=10), date(2026, 6, 1))
    assert '"Asthma"[MeSH Terms]' in query.focus and '"asthma"[Title/Abstract]' in query.focus
    assert '"Budesonide"[MeSH Terms]' in query.focus and " AND " in query.focus
    assert '"Meta-Analysis"[Publication Type]' in query.strongest and '"Practice Guideline"[Publication Type]' in query.strongest
    assert (query.mindate, query.maxdate) == ("2016", "3000")
    # Nothing a user types can break out of a quoted phrase.
    odd = understand('asthma "[MeSH Terms]) OR (cancer', Vocabulary.load())
    term = build_query(odd.main_conditions, odd.interventions, odd.expanded.terms, PubMedSettings()).focus
    assert term.count('"') % 2 == 0 and "(cancer" not in term


def test_ask_fetches_stores_and_answers_then_answers_again_offline(tmp_path):
    with EutilsServer(records()) as server:
        with Corpus.open(settings(tmp_path, server, max_records=3)) as corpus:
            answer = corpus.ask(QUESTION, pubmed=True)
            live = answer.provenance.live_search
            assert live is not None and live.error is None
            # Strongest evidence first: the randomised trial, then journal articles to fill up to max_records.
            assert live.pmids[0] == "pmid:29768149" and len(live.pmids) == 3 and live.fetched == 3
            assert "pmid:61000009" not in live.pmids
            assert "pmid:29768149" in {r.doc_id for r in answer.references}
            assert not answer.abstained
        assert all(r["tool"] == "evidex-tests" and r["email"] == "tests@example.org" for r in server.behaviour.requests)
        assert [r["path"].rsplit("/", 1)[-1] for r in server.behaviour.requests] == ["esearch.fcgi", "esearch.fcgi", "efetch.fcgi"]
    # PubMed is gone: the same question is answered from what was stored, and says when it was searched.
    with Corpus.open(settings(tmp_path, None)) as corpus:
        again = corpus.ask(QUESTION, pubmed=True)
        assert again.provenance.live_search.cached_at is not None and again.provenance.live_search.error is None
        assert "pmid:29768149" in {r.doc_id for r in again.references}
        assert corpus.stats().documents == 3


def test_unreachable_pubmed_answers_from_the_local_corpus_and_says_so(tmp_path):
    with EutilsServer(records()) as server, Corpus.open(settings(tmp_path, server)) as corpus:
        corpus.search_pubmed(QUESTION)
    with Corpus.open(settings(tmp_path, None, query_cache_days=0)) as corpus:
        answer = corpus.ask(QUESTION, pubmed=True)
        live = answer.provenance.live_search
        assert live.error and "cannot reach 127.0.0.1" in live.error
        assert "local corpus" in live.note
        assert "pmid:29768149" in {r.doc_id for r in answer.references}


def test_a_slow_pubmed_times_out_after_retries(tmp_path):
    behaviour = EutilsBehaviour(delay_seconds=1.5)
    with EutilsServer(records(), behaviour) as server, Corpus.open(settings(tmp_path, server, timeout_seconds=0.3, retries=1)) as corpus:
        fetched = corpus.search_pubmed(QUESTION)
        assert fetched.error == "127.0.0.1 did not answer within 0.3 s (2 tries)"
        assert len(behaviour.requests) == 2
        assert corpus.stats().documents == 0


def test_too_many_requests_are_retried_after_backoff(tmp_path):
    behaviour = EutilsBehaviour(per_second_without_key=1)  # stricter than the client's 3 a second
    with EutilsServer(records(), behaviour) as server, Corpus.open(settings(tmp_path, server)) as corpus:
        fetched = corpus.search_pubmed(QUESTION)
        assert fetched.error is None and fetched.fetched == 3
        assert len(behaviour.requests) > 3  # some requests were refused with 429 and sent again
        assert corpus.stats().documents == 3


def test_the_api_key_is_sent_and_a_wrong_one_is_reported(tmp_path):
    behaviour = EutilsBehaviour(api_key="right")
    with EutilsServer(records(), behaviour) as server:
        with Corpus.open(settings(tmp_path, server, api_key="wrong")) as corpus:
            fetched = corpus.search_pubmed(QUESTION)
            assert fetched.error == "127.0.0.1 answered 400: API key invalid"
        with Corpus.open(settings(tmp_path, server, api_key="right", query_cache_days=0)) as corpus:
            assert corpus.search_pubmed(QUESTION).error is None
        assert behaviour.requests[-1]["api_key"] == "right"


def test_server_errors_are_retried_then_reported(tmp_path):
    behaviour = EutilsBehaviour(fail_with=503)
    with EutilsServer(records(), behaviour) as server, Corpus.open(settings(tmp_path, server, retries=2)) as corpus:
        answer = corpus.ask(QUESTION, pubmed=True)
        assert answer.provenance.live_search.error == "127.0.0.1 answered 503: server trouble"
        assert len(behaviour.requests) == 3
        assert answer.abstained  # nothing local, nothing fetched: no answer rather than a guess


def test_cli_pubmed_search_and_ask_with_pubmed(tmp_path):
    with EutilsServer(records()) as server:
        env = {"EVIDEX_BUILTIN_CORPUS": "false", "EVIDEX_PUBMED__EUTILS_URL": server.url, "EVIDEX_PUBMED__EMAIL": "tests@example.org"}
        data = tmp_path / "data"
        searched = run_cli("pubmed", "search", "budesonide formoterol for mild asthma", "--no-embed", data_dir=data, env=env)
        assert searched.returncode == 0, searched.stderr
        assert "3 records match; took 3" in searched.stdout and "3 fetched, 3 stored" in searched.stdout
        assert "pmid:29768149  RCT · 2018 · Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma." in searched.stdout
        asked = run_cli("ask", QUESTION, "--pubmed", "--json", data_dir=data, env=env)
        assert asked.returncode == 0, asked.stderr
        live = json.loads(asked.stdout)["provenance"]["live_search"]
        # `pubmed search` ran the same PubMed search a moment ago: not asked again.
        assert live["fetched"] == 0 and live["cached_at"] and "pmid:29768149" in live["pmids"]
        assert "PubMed was searched on" in asked.stderr and "3 records, all in the local corpus" in asked.stderr
        without = run_cli("ask", QUESTION, "--json", data_dir=data, env=env)
        assert json.loads(without.stdout)["provenance"]["live_search"] is None
