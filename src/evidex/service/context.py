"""What the JSON API (:mod:`evidex.service.server`) and the web page
(:mod:`evidex.service.pages`) share: the per-process service, who is asking,
and rate limits.  Both import it; neither imports the other."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import HTTPException, Request

from evidex.answer.render import search_result_data
from evidex.corpus import BackgroundEmbedding, Corpus
from evidex.evidence.store import SearchFilters, SQLiteStore
from evidex.service.accounts import Accounts, User
from evidex.service.db import open_database
from evidex.service.publish import ArticleStore, ask_and_publish
from evidex.settings import Settings

SESSION_COOKIE = "evidex_session"
LOGIN_ATTEMPTS_PER_MINUTE = 10


class RateLimiter:
    """At most ``per_minute`` requests per client in any 60-second window (per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.seen: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """0 if ``client`` may go ahead now (and counts the request), else seconds to wait."""
        if self.per_minute <= 0:
            return 0
        now = time.monotonic()
        with self.lock:
            times = self.seen[client]
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(1, int(60 - (now - times[0])) + 1)
            times.append(now)
            return 0


@dataclass
class Service:
    """What every request handler shares, created once per process."""

    settings: Settings
    corpus: Corpus
    articles: ArticleStore
    accounts: Accounts
    limiter: RateLimiter
    login_limiter: RateLimiter
    ask_lock: threading.Lock
    # Pages and health checks read the corpus size on their own connection, so they never wait for a question.
    counter: SQLiteStore
    counter_lock: threading.Lock
    # Passages without vectors (a large ingest, live PubMed records) are embedded in the background:
    # the service answers at once, finding them by words until their vectors exist.
    embedding: BackgroundEmbedding | None = None

    @classmethod
    def open(cls, settings: Settings) -> Service:
        corpus = Corpus.open(settings)
        corpus.ensure_builtin()
        corpus.engine  # load models now, not on the first question
        engine = open_database(settings.articles_url)
        return cls(
            settings, corpus, ArticleStore(engine), Accounts(engine),
            limiter=RateLimiter(settings.service.ask_per_minute), login_limiter=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE),
            ask_lock=threading.Lock(), counter=SQLiteStore(settings.database_path), counter_lock=threading.Lock(),
            embedding=corpus.embed_in_background(),
        )

    def ask(self, question: str, audience, filters, thread_id, actor: str):  # noqa: ANN001, ANN201
        with self.ask_lock:
            published = ask_and_publish(self.corpus, self.articles, question, audience, filters, thread_id, actor)
        if self.embedding is not None:
            self.embedding.wake()  # a live PubMed search may have stored new passages
        return published

    def search(self, query: str, filters: SearchFilters, top_k: int) -> dict:
        with self.ask_lock:
            return search_result_data(self.corpus.search(query, filters, top_k))

    def document_count(self) -> int:
        with self.counter_lock:
            return self.counter.count_documents()

    def close(self) -> None:
        if self.embedding is not None:
            self.embedding.stop()
        self.counter.close()
        self.corpus.close()
        self.articles.engine.dispose()



# -- identity ---------------------------------------------------------------------------------


def service(request: Request) -> Service:
    return request.app.state.service


def current_user(request: Request) -> User | None:
    """The caller: a bearer token (API) or a session cookie (web page); None if anonymous.

    A token that is sent but not valid is an error, never a silent fall-back to anonymous.
    """
    svc: Service = request.app.state.service
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "use 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
        user = svc.accounts.user_for_token(token.strip())
        if user is None:
            raise HTTPException(401, "the API token is not valid", headers={"WWW-Authenticate": "Bearer"})
        return user
    session = request.cookies.get(SESSION_COOKIE)
    return svc.accounts.user_for_session(session) if session else None


def client_key(request: Request, user: User | None) -> str:
    return f"user:{user.id}" if user else f"ip:{request.client.host if request.client else 'unknown'}"
