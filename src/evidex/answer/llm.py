"""Optional rewording of verified claims by an OpenAI-compatible chat endpoint.

The LLM never chooses evidence and never writes a claim of its own: it gets
the sentences that were already extracted and verified, and may only reword
each one for the audience (prompts in ``data/prompts/rewrite.toml``).  Every
rewrite is checked against its source sentence like any claim (numbers,
negation, direction of effect, shared words) and may bring in only a few
words of its own; a rewrite that fails keeps the source wording.  If the
endpoint is down, slow or answers nonsense, the answer stays extractive and
its provenance says why.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files

import httpx

from evidex.answer.types import Answer
from evidex.answer.verify import check_claim
from evidex.settings import LLMSettings

_CONTENT_WORD = re.compile(r"[a-z]{4,}")
_COMMON = frozenset(
    """
    about also because been being both could does doing each from have having here into just like more most much
    must only other over same should some such than that their them then there these they this those through very
    were what when where which while will with would your people person patients patient help helps helped using used
    """.split()
)


class LLMUnavailable(RuntimeError):
    """The endpoint could not be used; the message says why."""


@lru_cache(maxsize=1)
def prompts() -> dict[str, str]:
    return tomllib.loads((files("evidex") / "data" / "prompts" / "rewrite.toml").read_text())


@dataclass
class RewriteReport:
    model: str
    asked: int = 0
    accepted: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (rewrite, reason)
    error: str | None = None


class ChatClient:
    """POST /chat/completions on an OpenAI-compatible endpoint."""

    def __init__(self, settings: LLMSettings, transport: httpx.BaseTransport | None = None) -> None:
        if not settings.base_url or not settings.model:
            raise LLMUnavailable("set llm.base_url and llm.model to use an LLM")
        headers = {"Content-Type": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        self.model = settings.model
        self.http = httpx.Client(
            base_url=settings.base_url.rstrip("/"), headers=headers, timeout=settings.timeout_seconds, transport=transport
        )

    def complete(self, system: str, user: str) -> str:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        }
        try:
            response = self.http.post("/chat/completions", json=body)
        except httpx.HTTPError as error:
            raise LLMUnavailable(f"cannot reach the LLM endpoint: {type(error).__name__}: {error}") from error
        if response.status_code != 200:
            raise LLMUnavailable(f"the LLM endpoint answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise LLMUnavailable("the LLM endpoint's reply is not an OpenAI chat completion") from error

    def close(self) -> None:
        self.http.close()


def parse_rewrites(content: str) -> dict[int, str]:
    """``{"rewrites": [{"id": 1, "text": "…"}]}`` from the model's reply (tolerates a code fence)."""
    match = re.search(r"\{.*\}", content, re.DOTALL)
    if not match:
        raise LLMUnavailable("the LLM's reply holds no JSON object")
    try:
        data = json.loads(match.group(0))
        return {int(item["id"]): str(item["text"]).strip() for item in data["rewrites"] if str(item.get("text", "")).strip()}
    except (ValueError, KeyError, TypeError) as error:
        raise LLMUnavailable("the LLM's JSON is not a list of rewrites") from error


def check_rewrite(rewrite: str, source: str, max_new_words: int) -> tuple[bool, str]:
    """A rewrite must pass the claim check and bring at most ``max_new_words`` content words of its own."""
    ok, how = check_claim(rewrite, source)
    if not ok:
        return False, how
    source_words = set(_CONTENT_WORD.findall(source.lower()))
    new = sorted({w for w in _CONTENT_WORD.findall(rewrite.lower()) if w not in source_words and w not in _COMMON})
    if len(new) > max_new_words:
        return False, f"{len(new)} words not in the source ({', '.join(new[:6])})"
    return True, f"LLM rewrite of the cited sentence, checked: {how.removeprefix('constrained rewrite: ')}"


def rewrite_claims(answer: Answer, client: ChatClient, max_new_words: int) -> tuple[Answer, RewriteReport]:
    """The answer with each claim reworded where the rewrite passes its check."""
    report = RewriteReport(model=client.model)
    claims = answer.claims()
    if not claims:
        return answer, report
    report.asked = len(claims)
    listing = "\n".join(f"{i}. {claim.text}" for i, claim in enumerate(claims, start=1))
    try:
        rewrites = parse_rewrites(client.complete(prompts()["system"], prompts()[answer.audience].format(sentences=listing)))
    except LLMUnavailable as error:
        report.error = str(error)
        return answer, report
    numbered = iter(range(1, len(claims) + 1))
    sections = []
    for section in answer.sections:
        kept = []
        for claim in section.claims:
            rewrite = rewrites.get(next(numbered))
            if rewrite and rewrite != claim.text:
                ok, how = check_rewrite(rewrite, claim.quote.text, max_new_words)
                if ok:
                    report.accepted += 1
                    claim = claim.model_copy(update={"text": rewrite, "verification": how})
                else:
                    report.refused.append((rewrite, how))
            kept.append(claim)
        sections.append(section.model_copy(update={"claims": kept}))
    return answer.model_copy(update={"sections": sections}), report
