"""What the JSON API (:mod:`evidex.service.server`) and the web page
(:mod:`evidex.service.pages`) share: the per-process service, who is asking,
and rate limits.  Both import it; neither imports the other."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException, Request

from evidex.answer.render import search_result_data
from evidex.corpus import BackgroundEmbedding, Corpus
from evidex.evidence.store import SearchFilters, Store, open_store
from evidex.service.accounts import Accounts, User
from evidex.service.db import open_database
from evidex.service.publish import ArticleStore, RelatedArticle, ask_and_publish
from evidex.settings import Settings

SESSION_COOKIE = "evidex_session"
CSRF_COOKIE = "evidex_csrf"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_ATTEMPTS_PER_MINUTE = 10
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RateLimiter:
    """At most ``per_minute`` requests per client in any 60-second window.

    Counted in this process's memory: each ``--workers`` process keeps its own
    counts, and a restart forgets them."""

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
    search_limiter: RateLimiter
    login_limiter: RateLimiter
    ask_lock: threading.Lock
    # Pages and health checks read the corpus size on their own connection, so they never wait for a question.
    counter: Store
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
            limiter=RateLimiter(settings.service.ask_per_minute),
            search_limiter=RateLimiter(settings.service.search_per_minute),
            login_limiter=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE),
            ask_lock=threading.Lock(), counter=open_store(settings.database_url, settings.database_path), counter_lock=threading.Lock(),
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

    def related(self, ref: str | int, user: User | None) -> list[RelatedArticle]:
        """Related articles that ``user`` may see listed."""
        found = self.articles.related(ref, self.settings.service.related_min_similarity)
        return found if sees_unlisted(user) else [r for r in found if r.status in PUBLIC_STATUSES]

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
    An API call that changes something and is signed in by the cookie alone must also send
    the page's CSRF token in the ``X-CSRF-Token`` header: a browser sends the cookie along
    with requests that other sites make.
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
    user = svc.accounts.user_for_session(session) if session else None
    if user and request.url.path.startswith("/api/") and request.method not in SAFE_METHODS:
        expected = request.cookies.get(CSRF_COOKIE)
        sent = request.headers.get(CSRF_HEADER, "")
        if not expected or not secrets.compare_digest(expected.encode(), sent.encode()):
            raise HTTPException(
                403, f"signed in by cookie: send the page's CSRF token in the {CSRF_HEADER} header, or use an API token"
            )
    return user


def client_key(request: Request, user: User | None) -> str:
    return f"user:{user.id}" if user else f"ip:{request.client.host if request.client else 'unknown'}"


# -- who sees which article ----------------------------------------------------------------
# An article is public once a reviewer approves it.  Until then it is unlisted: readable at its
# address (a slug with a random part, given to the asker), but in no list, under no guessable
# number, and marked noindex; reviewers see everything.

PUBLIC_STATUSES = ("approved",)


def sees_unlisted(user: User | None) -> bool:
    return bool(user and user.can_review())


def listed_statuses(requested: Sequence[str], user: User | None) -> list[str] | None:
    """The review statuses ``user`` may list, of those ``requested`` (all when empty); None: none of them."""
    if sees_unlisted(user):
        return list(requested)
    allowed = [s for s in (requested or PUBLIC_STATUSES) if s in PUBLIC_STATUSES]
    return allowed or None


def hidden_from(user: User | None, ref: str | int, status: str) -> bool:
    """An unlisted article asked for by its number rather than its address."""
    return status not in PUBLIC_STATUSES and str(ref).strip().isdigit() and not sees_unlisted(user)
