"""The JSON API, through a real ``evidex serve`` on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import HOSTILE_QUESTION, EvidexServer, started_server

SCIATICA = "What are the most evidence-backed exercises for a herniated disc with sciatica?"


@pytest.fixture(scope="module")
def server(service_data_dir):
    server = started_server(service_data_dir, {"rita": "reviewer", "paul": "reader", "ada": "admin"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(server):
    from tests.conftest import run_cli

    found = {}
    for name in ("rita", "paul", "ada"):
        result = run_cli("users", "token", name, data_dir=server.data_dir)
        assert result.returncode == 0, result.stderr
        found[name] = result.stdout.strip()
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def asked(server):
    """One question asked once for the module."""
    response = httpx.post(f"{server.url}/api/ask", json={"question": SCIATICA}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_openapi_schema_documents_the_api(server):
    schema = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/api/ask", "/api/articles", "/api/articles/{ref}", "/api/articles/{ref}/review",
            "/api/articles/{ref}/related", "/api/articles/{ref}/versions"} <= set(schema["paths"])
    ask = schema["paths"]["/api/ask"]["post"]
    assert ask["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskRequest")
    components = schema["components"]["schemas"]
    assert {"Answer", "Claim", "Reference", "ArticleSummary", "ReviewEvent"} <= set(components)
    assert "thread_id" in components["AskRequest"]["properties"]


def test_ask_returns_a_cited_answer_stored_as_an_article(server, asked):
    answer = asked["answer"]
    numbers = {ref["number"] for ref in answer["references"]}
    cited = {n for section in answer["sections"] for claim in section["claims"] for n in claim["citations"]}
    assert cited and cited == numbers
    assert asked["article"]["status"] == "submitted" and asked["created"] and asked["thread_id"]
    stored = httpx.get(f"{server.url}/api/articles/{asked['article']['slug']}").json()
    assert stored["question"] == SCIATICA
    assert stored["answer"]["sections"] == answer["sections"]
    assert stored["review"][0]["to_status"] == "submitted"
    patient = httpx.get(f"{server.url}/api/articles/{stored['id']}", params={"audience": "patient"}).json()
    assert patient["answer"]["audience"] == "patient"
    assert {r["doc_id"] for r in patient["answer"]["references"]}


def test_asking_again_reuses_the_article(server, asked):
    again = httpx.post(f"{server.url}/api/ask", json={"question": SCIATICA.upper() + "  "}, timeout=60).json()
    assert again["article"]["id"] == asked["article"]["id"]
    assert not again["created"] and not again["new_version"] and again["article"]["version"] == 1


def test_follow_up_inherits_the_condition(server, asked):
    response = httpx.post(
        f"{server.url}/api/ask", json={"question": "What about after surgery?", "thread_id": asked["thread_id"]}, timeout=60
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "Sciatica" in body["answer"]["conditions"]
    assert "Recent surgery / post-operative" in body["answer"]["modifiers"]
    assert any("Sciatica" in line for line in body["answer"]["inherited"])
    assert body["article"]["earlier"] == [SCIATICA]
    assert body["thread_id"] == asked["thread_id"]


def test_related_questions_share_a_topic_and_unrelated_ones_do_not_appear(server, asked):
    for question in ("Which exercises help sciatica from a slipped disc?", "What dose of colchicine for an acute gout flare?"):
        assert httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=60).status_code == 200
    related = httpx.get(f"{server.url}/api/articles/{asked['article']['slug']}/related").json()
    questions = [r["question"] for r in related]
    assert "Which exercises help sciatica from a slipped disc?" in questions
    assert not any("colchicine" in q for q in questions)
    assert all(r["shared_topics"] for r in related)


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"question": ""}, 422, "question"),
        ({"question": "   "}, 400, "empty"),
        ({"question": "x" * 3000}, 422, "at most 2000 characters"),
        ({"question": "Is aspirin safe?", "audience": "doctor"}, 422, "audience"),
        ({"question": "Is aspirin safe?", "colour": "red"}, 422, "colour"),
        ({"question": "Is aspirin safe?", "thread_id": "nope"}, 404, "no conversation"),
        ({"question": "Is aspirin safe?", "filters": {"kinds": ["horoscope"]}}, 422, "kinds"),
    ],
)
def test_bad_questions_get_a_clear_4xx(server, payload, status, message):
    response = httpx.post(f"{server.url}/api/ask", json=payload, timeout=60)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_search_returns_ranked_passages_with_score_parts(server):
    response = httpx.get(f"{server.url}/api/search", params={"q": "slipped disc sciatica exercise", "kind": "guideline", "top_k": 5})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert 1 <= len(hits) <= 5 and all(h["kind"] == "guideline" for h in hits)
    assert {"lexical_rank", "dense_score", "evidence", "final"} <= set(hits[0]["score"])
    assert httpx.get(f"{server.url}/api/search", params={"q": "back pain", "kind": "horoscope"}).status_code == 422


def test_huge_and_malformed_bodies_are_refused(server):
    huge = httpx.post(f"{server.url}/api/ask", json={"question": "x" * 100_000}, timeout=60)
    assert huge.status_code == 413 and "kB" in huge.json()["detail"]
    broken = httpx.post(f"{server.url}/api/ask", content=b'{"question": "Is', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]
    missing = httpx.get(f"{server.url}/api/articles/no-such-article")
    assert missing.status_code == 404 and "no article" in missing.json()["detail"]


def test_only_reviewers_change_review_status(server, asked, tokens):
    url = f"{server.url}/api/articles/{asked['article']['id']}/review"
    decision = {"status": "under_review"}
    assert httpx.post(url, json=decision).status_code == 401
    assert httpx.post(url, json=decision, headers=bearer("evx_not-a-token")).status_code == 401
    assert httpx.post(url, json=decision, headers={"Authorization": "Basic cml0YTpwdw=="}).status_code == 401
    reader = httpx.post(url, json=decision, headers=bearer(tokens["paul"]))
    assert reader.status_code == 403 and "only reviewers" in reader.json()["detail"]
    assert httpx.post(url, json=decision, headers=bearer(tokens["ada"])).status_code == 403
    status = httpx.get(f"{server.url}/api/articles/{asked['article']['id']}").json()["status"]
    assert status == "submitted"


def test_review_workflow_is_logged_and_survives_a_restart(server, tokens):
    created = httpx.post(f"{server.url}/api/ask", json={"question": "Does exercise help chronic low back pain?"}, timeout=60).json()
    url = f"{server.url}/api/articles/{created['article']['id']}/review"
    rita = bearer(tokens["rita"])
    skipped = httpx.post(url, json={"status": "approved"}, headers=rita)
    assert skipped.status_code == 409 and "can move to under_review" in skipped.json()["detail"]
    no_reason = httpx.post(url, json={"status": "under_review"}, headers=rita)
    assert no_reason.status_code == 200
    assert httpx.post(url, json={"status": "changes_requested"}, headers=rita).status_code == 409
    assert httpx.post(url, json={"status": "approved", "comment": "Checked against sources."}, headers=rita).status_code == 200

    server.restart()

    article = httpx.get(f"{server.url}/api/articles/{created['article']['slug']}").json()
    assert article["status"] == "approved"
    log = httpx.get(url).json()
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in log] == [
        (None, "submitted", "anonymous"),
        ("submitted", "under_review", "rita"),
        ("under_review", "approved", "rita"),
    ]
    assert log[-1]["comment"] == "Checked against sources."
    # The log is read-only through the API, and the database refuses edits too.
    assert httpx.put(url, json=log[0]).status_code == 405
    assert httpx.delete(url).status_code == 405
    engine = sa.create_engine(f"sqlite:///{server.data_dir / 'articles.db'}")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("UPDATE review_events SET actor = 'mallory'"))
    engine.dispose()
    approved = httpx.get(f"{server.url}/api/articles", params={"status": "approved"}).json()
    assert [a["slug"] for a in approved["items"]] == [created["article"]["slug"]]


def test_only_admins_manage_users(server, tokens):
    new_user = {"username": "newbie", "password": "a-long-enough-password", "role": "reviewer"}
    assert httpx.post(f"{server.url}/api/users", json=new_user, headers=bearer(tokens["rita"])).status_code == 403
    assert httpx.get(f"{server.url}/api/users").status_code == 401
    made = httpx.post(f"{server.url}/api/users", json=new_user, headers=bearer(tokens["ada"]))
    assert made.status_code == 201 and made.json() == {"username": "newbie", "role": "reviewer"}
    again = httpx.post(f"{server.url}/api/users", json=new_user, headers=bearer(tokens["ada"]))
    assert again.status_code == 400 and "already exists" in again.json()["detail"]
    short = httpx.post(f"{server.url}/api/users", json={**new_user, "username": "x2", "password": "short"},
                       headers=bearer(tokens["ada"]))
    assert short.status_code == 400 and "at least 12" in short.json()["detail"]
    assert httpx.get(f"{server.url}/api/me", headers=bearer(tokens["paul"])).json() == {"username": "paul", "role": "reader"}


def test_document_markup_is_escaped_on_the_article_page(server):
    response = httpx.post(f"{server.url}/api/ask", json={"question": HOSTILE_QUESTION}, timeout=60)
    assert response.status_code == 200
    body = response.json()
    assert any(r["doc_id"] == "test:hostile-1" for r in body["answer"]["references"])
    page = httpx.get(f"{server.url}{body['article_url']}").text
    assert "&lt;script&gt;alert(" in page
    assert "<script" not in page and "<b>of</b>" not in page


def test_asking_is_rate_limited_per_client(service_data_dir, tmp_path):
    server = EvidexServer(service_data_dir, env={"EVIDEX_SERVICE__ASK_PER_MINUTE": "2"}).start()
    try:
        codes = [
            httpx.post(f"{server.url}/api/ask", json={"question": "Is aspirin safe in pregnancy?"}, timeout=60)
            for _ in range(3)
        ]
        assert [c.status_code for c in codes] == [200, 200, 429]
        assert int(codes[-1].headers["Retry-After"]) > 0
        assert "too many questions" in codes[-1].json()["detail"]
    finally:
        server.stop()
