"""The optional LLM rewrite, against a local server that speaks the OpenAI chat-completions protocol."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evidex.answer.llm import ChatClient, check_rewrite, rewrite_claims
from evidex.corpus import Corpus
from evidex.settings import LLMSettings, Settings


class FakeOpenAI(ThreadingHTTPServer):
    """POST /v1/chat/completions; ``mode`` says how the 'model' rewrites the numbered sentences."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "faithful"
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802
        server: FakeOpenAI = self.server  # type: ignore[assignment]
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": "not found"}})
        if server.mode == "error":
            return self._send(500, {"error": {"message": "model overloaded"}})
        if server.mode == "slow":
            time.sleep(2)
        sentences = re.findall(r"^(\d+)\. (.+)$", body["messages"][1]["content"], re.MULTILINE)
        if server.mode == "prose":
            content = "Sure! Here are the rewritten sentences."
        else:
            rewrites = []
            for number, text in sentences:
                if server.mode == "faithful":
                    rewritten = f"In short, {text[0].lower()}{text[1:]}"
                else:  # "inventive": adds a number and a claim the source does not make
                    rewritten = f"{text.rstrip('.')}, and it cures 97% of patients within 2 days."
                rewrites.append({"id": int(number), "text": rewritten})
            content = "```json\n" + json.dumps({"rewrites": rewrites}) + "\n```"
        self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except BrokenPipeError:  # the client gave up first (the timeout test)
            pass


@pytest.fixture(scope="module")
def fake_openai():
    server = FakeOpenAI()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def answer(builtin_data_dir):
    with Corpus.open(Settings(data_dir=builtin_data_dir)) as corpus:
        return corpus.ask("Does exercise help chronic low back pain?")


def client_for(server: FakeOpenAI, **overrides) -> ChatClient:
    return ChatClient(LLMSettings(enabled=True, base_url=server.url, model="test-model", api_key="sk-test", **overrides))


def test_faithful_rewrites_are_used_and_say_so(fake_openai, answer):
    fake_openai.mode = "faithful"
    rewritten, report = rewrite_claims(answer, client_for(fake_openai), max_new_words=3)
    assert report.error is None and report.accepted == report.asked == len(answer.claims())
    for before, after in zip(answer.claims(), rewritten.claims()):
        assert after.text.startswith("In short, ") and after.quote == before.quote
        assert after.citations == before.citations and after.verification.startswith("LLM rewrite")
    request = fake_openai.requests[-1]
    assert request["auth"] == "Bearer sk-test" and request["body"]["model"] == "test-model"
    assert answer.claims()[0].text in request["body"]["messages"][1]["content"]


def test_rewrites_that_add_facts_keep_the_source_wording(fake_openai, answer):
    fake_openai.mode = "inventive"
    rewritten, report = rewrite_claims(answer, client_for(fake_openai), max_new_words=3)
    assert report.accepted == 0 and len(report.refused) == report.asked
    assert [c.text for c in rewritten.claims()] == [c.text for c in answer.claims()]
    assert all("not in the source" in why for _, why in report.refused)


@pytest.mark.parametrize(("mode", "message"), [("error", "HTTP 500"), ("prose", "no JSON"), ("slow", "ReadTimeout")])
def test_a_failing_endpoint_leaves_the_answer_extractive(fake_openai, answer, mode, message):
    fake_openai.mode = mode
    rewritten, report = rewrite_claims(answer, client_for(fake_openai, timeout_seconds=0.5), max_new_words=3)
    assert message in report.error
    assert rewritten == answer


def test_unreachable_endpoint(answer):
    client = ChatClient(LLMSettings(enabled=True, base_url="http://127.0.0.1:9/v1", model="m", timeout_seconds=2))
    rewritten, report = rewrite_claims(answer, client, max_new_words=3)
    assert "cannot reach" in report.error and rewritten == answer


def test_rewrite_check():
    source = "Exercise therapy reduced pain by 20% compared with usual care (95% CI 10 to 30)."
    assert check_rewrite("Compared with usual care, exercise therapy reduced pain by 20% (95% CI 10 to 30).", source, 3)[0]
    assert not check_rewrite("Exercise therapy reduced pain by 40% compared with usual care.", source, 3)[0]
    assert not check_rewrite("Exercise therapy did not reduce pain compared with usual care.", source, 3)[0]
    assert not check_rewrite("Exercise therapy reduced pain, disability, depression, insomnia and fatigue versus usual care.", source, 3)[0]


def test_ask_with_an_llm_end_to_end(fake_openai, builtin_data_dir):
    fake_openai.mode = "faithful"
    settings = Settings(data_dir=builtin_data_dir, llm={"enabled": True, "base_url": fake_openai.url, "model": "test-model"})
    with Corpus.open(settings) as corpus:
        answer = corpus.ask("Does exercise help chronic low back pain?", audience="patient")
        fake_openai.mode = "error"
        fallback = corpus.ask("Does exercise help chronic low back pain?", audience="patient")
    assert answer.provenance.mode == "extractive, reworded by test-model"
    rewritten = [c for c in answer.claims() if c.text.startswith("In short, ")]
    assert answer.provenance.llm_rewrites == len(rewritten) > 0
    assert len(rewritten) + len(answer.provenance.llm_refused) == len(answer.claims())
    assert all(c.verified and c.verification.startswith("LLM rewrite") for c in rewritten)
    assert fallback.provenance.mode == "extractive" and "HTTP 500" in fallback.provenance.llm_error
    assert not any(c.text.startswith("In short, ") for c in fallback.claims())


def test_llm_enabled_without_an_endpoint_is_a_clear_error(builtin_data_dir):
    from tests.conftest import run_cli

    result = run_cli("ask", "Does exercise help chronic low back pain?", data_dir=builtin_data_dir,
                     env={"EVIDEX_LLM__ENABLED": "true"})
    assert result.returncode == 2 and "llm.base_url" in result.stderr
