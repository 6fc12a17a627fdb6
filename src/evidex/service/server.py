"""The web service: a JSON API for integrators and the web page for people,
on the same ``ask`` core and the same article database.

``create_app(settings)`` builds the FastAPI application; ``evidex serve``
runs it with uvicorn.  The corpus and its models load once per process;
questions are answered one at a time per process (the pipeline is CPU-bound
and its SQLite connection is shared), so run more ``--workers`` to use more
cores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evidex.answer.types import Answer
from evidex.answer.understand import MAX_QUESTION_CHARS, QuestionError
from evidex.evidence.documents import EvidenceKind
from evidex.evidence.store import SearchFilters
from evidex.service.accounts import AccountError, Role, User
from evidex.service.context import (
    Service,
    client_key,
    current_user,
    hidden_from,
    listed_statuses,
    service,
)
from evidex.service.pages import error_page, web_routes
from evidex.service.publish import (
    Article,
    ArticleNotFound,
    ArticleSummary,
    RelatedArticle,
    ReviewError,
    ReviewEvent,
    ReviewStatus,
    ThreadNotFound,
    VersionInfo,
)
from evidex.settings import Settings

MAX_BODY_BYTES = 64 * 1024
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestGuard:
    """Refuses what no route should read, before any route reads it.

    A request body over ``limit`` bytes gets 413 as soon as it is known to be
    too long: at once if its Content-Length says so, else while it is being
    read (a chunked body is never read past the limit).  An API call with a
    body that is not JSON gets 415.  Pure ASGI, so that it sees the body as it
    arrives; the 413 is raised inside the route's own body reading and so
    answered like any error: JSON for the API, a page for people.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        if scope["path"].startswith("/api/") and scope["method"] in WRITE_METHODS and has_body:
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                response = JSONResponse(
                    {"detail": f"send the request body as JSON (Content-Type: application/json), not {media_type or 'untyped'}"},
                    status_code=415,
                )
                await response(scope, receive, send)
                return
        declared = headers.get("content-length", "")
        too_long = StarletteHTTPException(413, f"The request is too large: the limit is {self.limit // 1024} kB.")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > self.limit:
                raise too_long
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise too_long
            return message

        await self.app(scope, limited_receive, send)


# -- request and response models ---------------------------------------------------------------


class Filters(BaseModel):
    """Restrict the evidence an answer may use."""

    model_config = ConfigDict(extra="forbid")

    since: int | None = Field(default=None, ge=1800, le=2100, description="Earliest publication year")
    until: int | None = Field(default=None, ge=1800, le=2100, description="Latest publication year")
    kinds: list[EvidenceKind] = Field(default_factory=list, description="Only these evidence kinds, e.g. guideline, rct")
    sources: list[str] = Field(default_factory=list, description="Only these sources, e.g. pubmed, ngc")
    include_retracted: bool = Field(default=False, description="Also use retracted documents (never recommended)")

    def search_filters(self) -> SearchFilters:
        return SearchFilters(
            year_from=self.since, year_to=self.until, kinds=list(self.kinds), sources=list(self.sources),
            exclude_retracted=not self.include_retracted,
        )


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The clinical question")
    audience: Literal["clinician", "patient"] | None = Field(
        default=None, description="Language of the answer; default: the conversation's, else clinician"
    )
    filters: Filters | None = None
    thread_id: str | None = Field(
        default=None, max_length=64, description="Continue a conversation: the thread_id of an earlier answer"
    )


class AskResponse(BaseModel):
    answer: Answer
    article: ArticleSummary
    article_url: str
    thread_id: str = Field(description="Send it with a follow-up question to continue this conversation")
    created: bool
    new_version: bool


class ArticleList(BaseModel):
    items: list[ArticleSummary]
    total: int


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ReviewStatus
    comment: str = Field(default="", max_length=5000)


class UserRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=1000)
    role: Role = "reader"


class UserOut(BaseModel):
    username: str
    role: Role


class Health(BaseModel):
    status: Literal["ok"]
    documents: int
    articles: int
    time: datetime


# -- identity ---------------------------------------------------------------------------------


def require_reviewer(user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise HTTPException(401, "sign in as a reviewer (send an API token)", headers={"WWW-Authenticate": "Bearer"})
    if not user.can_review():
        raise HTTPException(403, f"{user.username} is a {user.role}; only reviewers can change review status")
    return user


def require_admin(user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise HTTPException(401, "sign in as an admin (send an API token)", headers={"WWW-Authenticate": "Bearer"})
    if not user.can_manage_users():
        raise HTTPException(403, f"{user.username} is a {user.role}; only admins manage users")
    return user


# -- the application ------------------------------------------------------------------------------


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = Service.open(settings)
        yield
        app.state.service.close()

    app = FastAPI(
        title="evidex",
        summary="Evidence-based clinical answers with verified citations",
        description=(
            "Ask a clinical question and get a structured answer in which every sentence is extracted from, "
            "and cites, a guideline or study in the indexed corpus. Answers are stored as versioned articles "
            "that medical reviewers approve. Not medical advice."
        ),
        version=_version(),
        lifespan=lifespan,
        # The interactive docs pages load scripts from a CDN; the schema itself is served locally.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings

    app.add_middleware(RequestGuard, limit=MAX_BODY_BYTES)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # The page runs no script at all; this keeps it so even if some text escaped escaping.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        )
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            if error.get("type") == "json_invalid":
                problems.append(f"the request body is not valid JSON (near character {error['loc'][-1]})")
                continue
            where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")) or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        status = 400 if any(e.get("type") == "json_invalid" for e in exc.errors()) else 422
        if not request.url.path.startswith("/api/"):
            return error_page(request, status, "Please check the address: " + "; ".join(problems) + ".")
        return JSONResponse({"detail": "; ".join(problems), "errors": _plain_errors(exc)}, status_code=status)

    _api_routes(app)
    web_routes(app)
    return app


def app_from_environment() -> FastAPI:
    """The app with settings from the environment and config file (what ``evidex serve`` runs)."""
    return create_app(Settings())


def _plain_errors(exc: RequestValidationError) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]


def _version() -> str:
    from importlib.metadata import version

    return version("evidex")


def _readable(svc: Service, ref: str, user: User | None, read):  # noqa: ANN001, ANN202
    """``read()``, or 404 when there is no such article or ``user`` may not find it by ``ref``."""
    try:
        if hidden_from(user, ref, svc.articles.summary(ref).status):
            raise ArticleNotFound(ref)
        return read()
    except ArticleNotFound as error:
        raise HTTPException(404, str(error)) from error


Svc = Annotated[Service, Depends(service)]
Caller = Annotated[User | None, Depends(current_user)]


def _api_routes(app: FastAPI) -> None:
    @app.post("/api/ask", response_model=AskResponse, tags=["answers"],
              responses={400: {"description": "Unusable question"}, 404: {"description": "Unknown thread_id"},
                         429: {"description": "Too many questions from this client"}})
    def api_ask(body: AskRequest, request: Request, svc: Svc, user: Caller) -> AskResponse:
        """Answer a clinical question and store the answer as an article (or a new version of one)."""
        wait = svc.limiter.retry_after(client_key(request, user))
        if wait:
            raise HTTPException(429, f"too many questions; try again in {wait} s", headers={"Retry-After": str(wait)})
        filters = body.filters.search_filters() if body.filters else None
        try:
            answer, published = svc.ask(body.question, body.audience, filters, body.thread_id,
                                        user.username if user else "anonymous")
        except QuestionError as error:
            raise HTTPException(400, str(error)) from error
        except ThreadNotFound as error:
            raise HTTPException(404, str(error)) from error
        return AskResponse(
            answer=answer, article=published.article, article_url=f"/articles/{published.article.slug}",
            thread_id=published.thread_id, created=published.created, new_version=published.new_version,
        )

    @app.get("/api/search", tags=["search"], responses={400: {"description": "Unusable query"},
                                                        429: {"description": "Too many searches from this client"}})
    def api_search(
        request: Request,
        svc: Svc,
        user: Caller,
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, description="What to look for")],
        kind: Annotated[list[EvidenceKind], Query(description="Only these evidence kinds")] = [],  # noqa: B006
        since: Annotated[int | None, Query(ge=1800, le=2100)] = None,
        until: Annotated[int | None, Query(ge=1800, le=2100)] = None,
        source: Annotated[list[str], Query(description="Only these sources, e.g. pubmed, ngc")] = [],  # noqa: B006
        top_k: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict:
        """Ranked passages for a query with every score component (same data as `evidex search --json`)."""
        wait = svc.search_limiter.retry_after(client_key(request, user))
        if wait:
            raise HTTPException(429, f"too many searches; try again in {wait} s", headers={"Retry-After": str(wait)})
        filters = Filters(since=since, until=until, kinds=kind, sources=source).search_filters()
        try:
            return svc.search(q, filters, top_k)
        except QuestionError as error:
            raise HTTPException(400, str(error)) from error

    @app.get("/api/articles", response_model=ArticleList, tags=["articles"])
    def api_articles(
        svc: Svc,
        user: Caller,
        status: Annotated[list[ReviewStatus], Query(description="Only these review statuses")] = [],  # noqa: B006
        q: Annotated[str | None, Query(max_length=200, description="Words that must appear in the question")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> ArticleList:
        """Approved articles, most recently changed first (reviewers: articles of any status).

        An article is public once a reviewer approves it; before that it is unlisted, readable only at
        the address its asker was given."""
        statuses = listed_statuses(status, user)
        if statuses is None:
            return ArticleList(items=[], total=0)
        return ArticleList(items=svc.articles.list(statuses, q, limit, offset), total=svc.articles.count(statuses, q))

    @app.get("/api/articles/{ref}", response_model=Article, tags=["articles"],
             responses={404: {"description": "No such article or version"}})
    def api_article(
        ref: str,
        svc: Svc,
        user: Caller,
        audience: Literal["clinician", "patient"] = "clinician",
        version: Annotated[int | None, Query(ge=1)] = None,
    ) -> Article:
        """One article by slug (or, once approved, by id), in one audience's language, at its current
        (or a given) version."""
        return _readable(svc, ref, user, lambda: svc.articles.get(ref, audience, version))

    @app.get("/api/articles/{ref}/versions", response_model=list[VersionInfo], tags=["articles"])
    def api_versions(ref: str, svc: Svc, user: Caller) -> list[VersionInfo]:
        return _readable(svc, ref, user, lambda: svc.articles.get(ref).versions)

    @app.get("/api/articles/{ref}/review", response_model=list[ReviewEvent], tags=["review"])
    def api_review_log(ref: str, svc: Svc, user: Caller) -> list[ReviewEvent]:
        """The article's review log: every status change with who, when and why. Read-only."""
        return _readable(svc, ref, user, lambda: svc.articles.review_log(ref))

    @app.post("/api/articles/{ref}/review", response_model=ReviewEvent, tags=["review"],
              responses={401: {"description": "Not signed in"}, 403: {"description": "Not a reviewer"},
                         404: {"description": "No such article"}, 409: {"description": "Transition not allowed"}})
    def api_review(ref: str, body: ReviewRequest, svc: Svc, reviewer: Annotated[User, Depends(require_reviewer)]) -> ReviewEvent:
        """Record a review decision on the article's current version (reviewers only).

        Allowed: submitted → under_review | rejected; under_review → approved | changes_requested |
        rejected; changes_requested → under_review | rejected; approved or rejected → under_review.
        A second reviewer approves: the one who started the review cannot, unless the service
        allows single review (``service.single_review``).
        """
        try:
            return svc.articles.review(ref, body.status, reviewer, body.comment, svc.settings.service.single_review)
        except ArticleNotFound as error:
            raise HTTPException(404, str(error)) from error
        except ReviewError as error:
            raise HTTPException(409, str(error)) from error

    @app.get("/api/articles/{ref}/related", response_model=list[RelatedArticle], tags=["articles"])
    def api_related(ref: str, svc: Svc, user: Caller) -> list[RelatedArticle]:
        """Other approved articles about the same condition or intervention (none rather than loosely similar ones)."""
        return _readable(svc, ref, user, lambda: svc.related(ref, user))

    @app.get("/api/me", response_model=UserOut | None, tags=["users"])
    def api_me(user: Caller) -> UserOut | None:
        return UserOut(username=user.username, role=user.role) if user else None

    @app.get("/api/users", response_model=list[UserOut], tags=["users"])
    def api_users(svc: Svc, _: Annotated[User, Depends(require_admin)]) -> list[UserOut]:
        return [UserOut(username=u.username, role=u.role) for u in svc.accounts.list()]

    @app.post("/api/users", response_model=UserOut, status_code=201, tags=["users"])
    def api_add_user(body: UserRequest, svc: Svc, _: Annotated[User, Depends(require_admin)]) -> UserOut:
        try:
            user = svc.accounts.add(body.username, body.password, body.role)
        except AccountError as error:
            raise HTTPException(400, str(error)) from error
        return UserOut(username=user.username, role=user.role)

    @app.get("/api/health", response_model=Health, tags=["service"])
    def api_health(svc: Svc) -> Health:
        return Health(status="ok", documents=svc.document_count(), articles=svc.articles.count(),
                      time=datetime.now().astimezone())

