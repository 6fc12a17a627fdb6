"""The JSON API, through a real ``evidex serve`` on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import HOSTILE_QUESTION, EvidexServer, started_server

SCIATICA = "What are the most evidence-backed exercises for a herniated disc with sciatica?"


@pytest.fixture(scope="module")
def server(service_data_dir):
    server = started_server(service_data_dir, {"rita": "reviewer", "sam": "reviewer", "paul": "reader", "ada": "admin"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def tokens(server):
    from tests.conftest import run_cli

    found = {}
    for name in ("rita", "sam", "paul", "ada"):
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
    assert stored["question"] == SCIATICA and stored["approval"] is None
    assert stored["answer"]["sections"] == answer["sections"]
    assert stored["review"][0]["to_status"] == "submitted"
    patient = httpx.get(f"{server.url}/api/articles/{stored['slug']}", params={"audience": "patient"}).json()
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


def test_related_questions_share_a_topic_and_unrelated_ones_do_not_appear(server, asked, tokens):
    for question in ("Which exercises help sciatica from a slipped disc?", "What dose of colchicine for an acute gout flare?"):
        assert httpx.post(f"{server.url}/api/ask", json={"question": question}, timeout=60).status_code == 200
    url = f"{server.url}/api/articles/{asked['article']['slug']}/related"
    assert httpx.get(url).json() == []  # readers are shown approved articles only; none is yet
    related = httpx.get(url, headers=bearer(tokens["rita"])).json()
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
    status = httpx.get(f"{server.url}/api/articles/{asked['article']['slug']}").json()["status"]
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
    alone = httpx.post(url, json={"status": "approved", "comment": "Checked against sources."}, headers=rita)
    assert alone.status_code == 409 and "a second reviewer approves" in alone.json()["detail"]
    sam = bearer(tokens["sam"])
    assert httpx.post(url, json={"status": "approved", "comment": "Checked against sources."}, headers=sam).status_code == 200

    server.restart()

    article = httpx.get(f"{server.url}/api/articles/{created['article']['slug']}").json()
    assert article["status"] == "approved"
    log = httpx.get(url).json()
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in log] == [
        (None, "submitted", "anonymous"),
        ("submitted", "under_review", "rita"),
        ("under_review", "approved", "sam"),
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


def test_a_chunked_body_is_not_read_past_the_limit(server):
    """No Content-Length: the server must stop reading at 64 kB, not wait for the end of a 30 MB body."""
    import socket

    for path, content_type in (("/api/ask", "application/json"), ("/ask", "application/x-www-form-urlencoded")):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            chunk = b"x" * 16_384
            for _ in range(12):  # 192 kB, and the body never ends
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            head = sock.recv(4096).decode(errors="replace")
        assert head.startswith("HTTP/1.1 413"), head[:200]
        assert ("application/json" if path.startswith("/api/") else "text/html") in head
    assert httpx.get(f"{server.url}/api/health").status_code == 200


def test_a_body_that_is_not_json_gets_415(server, asked, tokens):
    wrong = httpx.post(f"{server.url}/api/ask", content=b'{"question": "Is aspirin safe?"}', headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415 and "application/json" in wrong.json()["detail"]
    form = httpx.post(f"{server.url}/api/articles/{asked['article']['slug']}/review", data={"status": "under_review"},
                      headers=bearer(tokens["rita"]))
    assert form.status_code == 415


def test_page_errors_are_pages(server, asked):
    bad_version = httpx.get(f"{server.url}/articles/{asked['article']['slug']}", params={"version": "two"})
    assert bad_version.status_code == 422 and bad_version.headers["content-type"].startswith("text/html")
    assert "version" in bad_version.text and "<h1>Please check the address</h1>" in bad_version.text
    too_big = httpx.post(f"{server.url}/ask", data={"question": "x" * 100_000})
    assert too_big.status_code == 413 and too_big.headers["content-type"].startswith("text/html")
    assert "64 kB" in too_big.text
    for query in ({"status": "approved"}, {"q": "exercise", "status": ""}, {"status": "no-such-status"}):
        assert httpx.get(f"{server.url}/articles", params=query).status_code == 200


def test_control_characters_are_refused_at_the_edge(server):
    asked = httpx.post(f"{server.url}/api/ask", json={"question": "Is aspirin\x00 safe in pregnancy?"}, timeout=60)
    assert asked.status_code == 400 and "U+0000" in asked.json()["detail"]
    searched = httpx.get(f"{server.url}/api/search", params={"q": "back\x07 pain"})
    assert searched.status_code == 400 and "U+0007" in searched.json()["detail"]
    page = httpx.get(f"{server.url}/login")
    form = httpx.post(f"{server.url}/ask", data={"question": "Is aspirin\x00 safe?", "csrf_token": page.cookies["evidex_csrf"]},
                      cookies=page.cookies)
    assert form.status_code == 400 and "U+0000" in form.text and "\x00" not in form.text


def test_links_do_not_come_from_the_host_header(server):
    page = httpx.get(f"{server.url}/", headers={"Host": "evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.text and 'href="/static/evidex.css"' in page.text


def test_cookie_signed_api_calls_need_the_csrf_token(server, tokens):
    client = httpx.Client(base_url=server.url)
    form = client.get("/login")
    signed_in = client.post("/login", data={"username": "rita", "password": server.passwords["rita"],
                                            "csrf_token": form.cookies["evidex_csrf"], "next": "/"})
    assert signed_in.status_code == 303 and "evidex_session" in client.cookies
    created = httpx.post(f"{server.url}/api/ask", json={"question": "Does tai chi help knee osteoarthritis?"}, timeout=60).json()
    url = f"/api/articles/{created['article']['slug']}/review"
    refused = client.post(url, json={"status": "under_review"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert client.post(url, json={"status": "under_review"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    accepted = client.post(url, json={"status": "under_review"}, headers={"X-CSRF-Token": client.cookies["evidex_csrf"]})
    assert accepted.status_code == 200 and accepted.json()["actor"] == "rita"
    assert client.get("/api/me").json()["username"] == "rita"  # reading needs no token
    client.close()


def test_unreviewed_questions_are_unlisted_until_a_second_reviewer_approves(server, tokens):
    created = httpx.post(f"{server.url}/api/ask", json={"question": "???"}, timeout=60)
    assert created.status_code == 200
    article = created.json()["article"]
    slug, number = article["slug"], article["id"]
    assert len(slug.rsplit("-", 1)[1]) == 16  # the address cannot be guessed
    # Not listed anywhere, not found by number, readable at its address with noindex.
    assert slug not in [a["slug"] for a in httpx.get(f"{server.url}/api/articles", params={"limit": 100}).json()["items"]]
    assert httpx.get(f"{server.url}/api/articles", params={"status": "submitted"}).json() == {"items": [], "total": 0}
    assert slug not in httpx.get(f"{server.url}/").text and slug not in httpx.get(f"{server.url}/articles").text
    assert httpx.get(f"{server.url}/api/articles/{number}").status_code == 404
    assert httpx.get(f"{server.url}/api/articles/{number}/review").status_code == 404
    form = httpx.get(f"{server.url}/login")
    follow_up = httpx.post(f"{server.url}/ask", cookies=form.cookies, data={
        "question": "What about children?", "follow_up_to": str(number), "csrf_token": form.cookies["evidex_csrf"]})
    assert follow_up.status_code == 404  # a follow-up by number would show the unlisted question
    page = httpx.get(f"{server.url}/articles/{slug}")
    assert page.status_code == 200 and page.headers["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in page.text and "Not yet approved" in page.text
    # Reviewers see it in their lists.
    listed = httpx.get(f"{server.url}/api/articles", params={"status": "submitted", "limit": 100}, headers=bearer(tokens["rita"]))
    assert slug in [a["slug"] for a in listed.json()["items"]]

    url = f"{server.url}/api/articles/{slug}/review"
    assert httpx.post(url, json={"status": "under_review"}, headers=bearer(tokens["rita"])).status_code == 200
    assert httpx.post(url, json={"status": "approved"}, headers=bearer(tokens["rita"])).status_code == 409
    assert httpx.post(url, json={"status": "approved"}, headers=bearer(tokens["sam"])).status_code == 200
    approved = httpx.get(f"{server.url}/api/articles/{number}").json()
    assert approved["approval"]["by"] == "sam" and approved["approval"]["review_started_by"] == "rita"
    assert not approved["approval"]["single_reviewer"]
    page = httpx.get(f"{server.url}/articles/{slug}")
    assert "noindex" not in page.text and "X-Robots-Tag" not in page.headers
    text = " ".join(page.text.split())
    assert "Approved by sam on" in text and "after a review started by rita" in text
    assert slug in [a["slug"] for a in httpx.get(f"{server.url}/api/articles", params={"limit": 100}).json()["items"]]


def test_limits_are_per_client_address_and_proxy_headers_are_a_setting(service_data_dir):
    """Searches are rate-limited too; X-Forwarded-For names the client only when proxy_headers is on."""
    direct = EvidexServer(service_data_dir, env={"EVIDEX_SERVICE__SEARCH_PER_MINUTE": "1"}).start()
    try:
        first = httpx.get(f"{direct.url}/api/search", params={"q": "gout"}, headers={"X-Forwarded-For": "198.51.100.7"})
        other = httpx.get(f"{direct.url}/api/search", params={"q": "gout"}, headers={"X-Forwarded-For": "203.0.113.9"})
        assert first.status_code == 200 and other.status_code == 429
        assert "too many searches" in other.json()["detail"] and int(other.headers["Retry-After"]) > 0
    finally:
        direct.stop()
    proxied = EvidexServer(service_data_dir, env={"EVIDEX_SERVICE__SEARCH_PER_MINUTE": "1",
                                                  "EVIDEX_SERVICE__PROXY_HEADERS": "true"}).start()
    try:
        codes = [
            httpx.get(f"{proxied.url}/api/search", params={"q": "gout"}, headers={"X-Forwarded-For": client}).status_code
            for client in ("198.51.100.7", "203.0.113.9", "198.51.100.7")
        ]
        assert codes == [200, 200, 429]
    finally:
        proxied.stop()
