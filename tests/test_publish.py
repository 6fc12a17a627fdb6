"""Articles through the Python API: versions when evidence changes, review rules, migrations."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from evidex.corpus import Corpus
from evidex.service.accounts import Accounts
from evidex.service.db import current_revision, head_revision, open_database
from evidex.service.publish import (
    TRANSITIONS,
    ArticleStore,
    ReviewError,
    ask_and_publish,
)
from evidex.settings import Settings
from tests.conftest import HOSTILE_DOCUMENT, HOSTILE_QUESTION, new_database, run_cli


@pytest.fixture(params=["sqlite", "postgresql"])
def articles_url(request, builtin_copy) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{builtin_copy / 'articles.db'}"
    url = new_database(request.getfixturevalue("postgres"), f"evidex_{request.node.name.split('[')[0][-30:]}")
    return url.replace("postgresql://", "postgresql+psycopg://")


@pytest.fixture
def setup(builtin_copy, articles_url):
    corpus = Corpus.open(Settings(data_dir=builtin_copy))
    engine = open_database(articles_url)
    yield corpus, ArticleStore(engine), Accounts(engine)
    corpus.close()
    engine.dispose()


def test_new_evidence_makes_a_new_version_that_goes_back_to_review(setup, tmp_path):
    corpus, articles, accounts = setup
    reviewer = accounts.add("rita", "a-long-enough-password", "reviewer")
    first, published = ask_and_publish(corpus, articles, HOSTILE_QUESTION)
    assert first.abstained and published.created
    articles.review(published.article.id, "under_review", reviewer)
    articles.review(published.article.id, "rejected", reviewer, "No evidence indexed yet.")

    new_evidence = tmp_path / "new.jsonl"
    new_evidence.write_text(json.dumps(HOSTILE_DOCUMENT) + "\n")
    corpus.ingest([new_evidence])
    second, again = ask_and_publish(corpus, articles, HOSTILE_QUESTION)
    assert not second.abstained and again.new_version and not again.created
    article = articles.get(published.article.slug)
    assert (article.version, article.status) == (2, "submitted")
    assert article.review[-1].actor == "evidex" and article.review[-1].from_status == "rejected"
    assert articles.get(published.article.slug, version=1).answer.abstained
    assert [v.number for v in article.versions] == [1, 2]


def test_review_rules(setup):
    corpus, articles, accounts = setup
    reviewer = accounts.add("rita", "a-long-enough-password", "reviewer")
    reader = accounts.add("paul", "a-long-enough-password", "reader")
    _, published = ask_and_publish(corpus, articles, "Does exercise help chronic low back pain?")
    ref = published.article.slug
    with pytest.raises(PermissionError):
        articles.review(ref, "under_review", reader)
    for bad in ("approved", "changes_requested", "published"):
        with pytest.raises(ReviewError):
            articles.review(ref, bad, reviewer, "comment")
    articles.review(ref, "under_review", reviewer)
    with pytest.raises(ReviewError, match="comment is required"):
        articles.review(ref, "changes_requested", reviewer, "  ")
    with pytest.raises(ReviewError, match="characters"):
        articles.review(ref, "changes_requested", reviewer, "x" * 6000)
    articles.review(ref, "changes_requested", reviewer, "Bottom line is off-topic.")
    assert set(TRANSITIONS["changes_requested"]) == {"under_review", "rejected"}
    assert articles.summary(ref).status == "changes_requested"
    assert [e.to_status for e in articles.review_log(ref)] == ["submitted", "under_review", "changes_requested"]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), articles.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM review_events"))
    assert len(articles.review_log(ref)) == 3
    assert [a.slug for a in articles.list(query="EXERCISE back")] == [ref]
    assert articles.count(query="EXERCISE back") == 1 and articles.count(["approved"], "exercise") == 0
    assert articles.list(query="100%_") == []


def test_a_second_reviewer_approves_unless_single_review_is_set(setup):
    corpus, articles, accounts = setup
    rita = accounts.add("rita", "a-long-enough-password", "reviewer")
    sam = accounts.add("sam", "a-long-enough-password", "reviewer")
    _, published = ask_and_publish(corpus, articles, "Does exercise help chronic low back pain?")
    ref = published.article.slug
    articles.review(ref, "under_review", rita)
    with pytest.raises(ReviewError, match="second reviewer"):
        articles.review(ref, "approved", rita, "Looks right.")
    assert articles.get(ref).approval is None
    articles.review(ref, "approved", rita, "Looks right.", single_review=True)
    approval = articles.get(ref).approval
    assert (approval.by, approval.review_started_by, approval.single_reviewer, approval.version) == ("rita", "rita", True, 1)
    articles.review(ref, "under_review", sam, "Re-checking.")
    articles.review(ref, "approved", rita)
    approval = articles.get(ref).approval
    assert (approval.by, approval.review_started_by, approval.single_reviewer) == ("rita", "sam", False)
    with pytest.raises(ReviewError, match="control character"):
        articles.review(ref, "under_review", sam, "fine\x00")


def test_questions_without_a_shared_topic_are_not_related(setup):
    corpus, articles, _ = setup
    _, gout = ask_and_publish(corpus, articles, "What dose of colchicine for an acute gout flare?")
    ask_and_publish(corpus, articles, "Should adults be screened for lung cancer with low-dose CT?")
    _, gout_again = ask_and_publish(corpus, articles, "How much colchicine should be taken in a gout attack?")
    related = articles.related(gout.article.id, min_similarity=0.55)
    assert [r.slug for r in related] == [gout_again.article.slug]
    assert "Gout" in related[0].shared_topics


def test_upgrading_the_database_keeps_articles(builtin_copy):
    url = f"sqlite:///{builtin_copy / 'articles.db'}"
    engine = open_database(url)
    with Corpus.open(Settings(data_dir=builtin_copy)) as corpus:
        _, published = ask_and_publish(corpus, ArticleStore(engine), "Does exercise help chronic low back pain?")
    engine.dispose()

    result = run_cli("db", "upgrade", data_dir=builtin_copy)
    assert result.returncode == 0 and "up to date" in result.stderr
    engine = open_database(url)
    assert current_revision(engine) == head_revision()
    assert ArticleStore(engine).summary(published.article.slug).question == "Does exercise help chronic low back pain?"
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from review_events")).scalar_one() == 1
    engine.dispose()


def test_users_cli(builtin_copy):
    result = run_cli("users", "add", "rita", "--role", "reviewer", "--password-stdin", data_dir=builtin_copy,
                     input="a-long-enough-password\n")
    assert result.returncode == 0, result.stderr
    assert run_cli("users", "add", "rita", "--password-stdin", data_dir=builtin_copy,
                   input="a-long-enough-password\n").returncode == 1
    short = run_cli("users", "add", "bob", "--password-stdin", data_dir=builtin_copy, input="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    assert run_cli("users", "role", "rita", "admin", data_dir=builtin_copy).returncode == 0
    assert run_cli("users", "list", data_dir=builtin_copy).stdout.splitlines() == ["rita\tadmin"]
    token = run_cli("users", "token", "rita", data_dir=builtin_copy).stdout.strip()
    assert token.startswith("evx_") and len(token) > 40
    assert run_cli("users", "remove", "nobody", data_dir=builtin_copy).returncode == 1
