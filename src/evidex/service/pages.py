"""The web page: server-rendered HTML on the same service as the JSON API.

No script and no external CDN: citations show their quote on hover and on
keyboard focus with CSS alone, the audience switch is a link, and every form
carries a CSRF token matched against an HttpOnly, SameSite=Strict cookie.
Jinja2 autoescaping escapes every text that came from a document or a user;
the answer fragment comes from :func:`evidex.answer.render.to_html`, which escapes
its own text.
"""

from __future__ import annotations

import secrets
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from evidex.answer.render import to_html
from evidex.answer.understand import MAX_QUESTION_CHARS, QuestionError
from evidex.corpus import without_control_characters
from evidex.service.accounts import User
from evidex.service.context import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Service,
    client_key,
    current_user,
    hidden_from,
    listed_statuses,
    sees_unlisted,
)
from evidex.service.publish import (
    AWAITING_REVIEW,
    STATUS_LABELS,
    TRANSITIONS,
    ArticleNotFound,
    ReviewError,
    ThreadNotFound,
    review_started_by,
)

AUDIENCE_CHOICES = (("clinician", "Healthcare professional"), ("patient", "Patient or carer"))
DECISION_LABELS = {
    "under_review": "Start review",
    "approved": "Approve",
    "changes_requested": "Request changes",
    "rejected": "Reject",
}

_folder = files("evidex.service") / "web"
templates = Jinja2Templates(directory=str(_folder / "templates"))
templates.env.globals.update(STATUS_LABELS=STATUS_LABELS, AUDIENCE_CHOICES=AUDIENCE_CHOICES,
                             MAX_QUESTION_CHARS=MAX_QUESTION_CHARS, DECISION_LABELS=DECISION_LABELS)
ERROR_TITLES = {
    400: "Please check the question", 401: "Please sign in", 403: "Not allowed", 404: "Not found",
    409: "Not possible now", 413: "Too large", 415: "Unsupported form", 422: "Please check the address",
    429: "Too many requests",
}


def _printable(value: Any) -> Any:
    """No control character reaches a page, whatever slipped past the checks at the edge."""
    if isinstance(value, Markup):
        return Markup(without_control_characters(value))
    return without_control_characters(value) if isinstance(value, str) else value


templates.env.finalize = _printable


def _csrf(request: Request) -> tuple[str, bool]:
    token = request.cookies.get(CSRF_COOKIE)
    return (token, False) if token else (secrets.token_urlsafe(24), True)


def _check_csrf(request: Request, submitted: str) -> None:
    expected = request.cookies.get(CSRF_COOKIE)
    if not expected or not submitted or not secrets.compare_digest(expected, submitted):
        raise HTTPException(403, "the form has expired or did not come from this site; reload the page and try again")


def _user(request: Request) -> User | None:
    try:
        return current_user(request)
    except HTTPException:
        return None


def page(request: Request, template: str, status: int = 200, noindex: bool = False, **context: Any) -> HTMLResponse:
    """Render ``template`` with the signed-in user and a CSRF token; sets the token cookie on first visit.

    ``noindex`` asks search engines to leave the page out (unreviewed articles, sign-in, errors)."""
    token, fresh = _csrf(request)
    svc: Service = request.app.state.service
    response = templates.TemplateResponse(
        request, template, {"user": _user(request), "csrf_token": token, "noindex": noindex, **context},
        status_code=status,
    )
    if noindex:
        response.headers["X-Robots-Tag"] = "noindex"
    if fresh:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=svc.settings.service.secure_cookies, path="/")
    return response


def error_page(request: Request, status: int, text: str) -> Response:
    """An error as a page for people (the API answers JSON)."""
    if not hasattr(request.app.state, "service"):
        return Response(text, status_code=status, media_type="text/plain")
    title = ERROR_TITLES.get(status, "Something went wrong")
    return page(request, "message.html", status=status, noindex=True, title=title, text=text)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def web_routes(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(_folder / "static")), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API, a page for people."""
        if request.url.path.startswith("/api/") or not hasattr(request.app.state, "service"):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        response = error_page(request, exc.status_code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        svc: Service = request.app.state.service
        recent = svc.articles.list(AWAITING_REVIEW, limit=10) if sees_unlisted(_user(request)) else []
        return page(request, "home.html", approved=svc.articles.list(["approved"], limit=10),
                    recent=recent, documents=svc.document_count())

    @app.post("/ask", include_in_schema=False)
    def ask(
        request: Request,
        question: str = Form(""),
        audience: str = Form("clinician"),
        csrf_token: str = Form(""),
        follow_up_to: str = Form(""),
    ) -> Response:
        _check_csrf(request, csrf_token)
        svc: Service = request.app.state.service
        user = _user(request)
        if audience not in ("clinician", "patient"):
            audience = "clinician"
        wait = svc.limiter.retry_after(client_key(request, user))
        if wait:
            raise HTTPException(429, f"You have asked many questions in the last minute; try again in {wait} seconds.",
                                headers={"Retry-After": str(wait)})
        thread_id = None
        if follow_up_to:
            try:
                earlier = svc.articles.summary(follow_up_to)
                if hidden_from(user, follow_up_to, earlier.status):
                    raise ArticleNotFound(follow_up_to)
            except ArticleNotFound as error:
                raise HTTPException(404, str(error)) from error
            thread_id = svc.articles.start_thread(audience, [*earlier.earlier, earlier.question]).id
        try:
            _, published = svc.ask(question, audience, None, thread_id, user.username if user else "anonymous")
        except (QuestionError, ThreadNotFound) as error:
            return page(request, "home.html", status=400, error=f"Please check the question: {error}.",
                        question=question[:MAX_QUESTION_CHARS],
                        approved=svc.articles.list(["approved"], limit=10),
                        recent=[], documents=svc.document_count())
        query = urlencode({"audience": audience})
        return RedirectResponse(f"/articles/{quote(published.article.slug)}?{query}", status_code=303)

    @app.get("/articles", response_class=HTMLResponse, include_in_schema=False)
    def article_list(request: Request, q: str = "", status: str = "") -> HTMLResponse:
        """Approved articles, or for reviewers articles of any (or the chosen) review status."""
        svc: Service = request.app.state.service
        user = _user(request)
        q = q[:200]
        statuses = listed_statuses([status] if status in STATUS_LABELS else [], user)
        found = [] if statuses is None else svc.articles.list(statuses, q or None, limit=100)
        return page(request, "articles.html", articles=found, q=q, chosen_status=status,
                    status_choices=STATUS_LABELS if sees_unlisted(user) else {})

    @app.get("/articles/{slug}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, slug: str, audience: str = "clinician", version: int | None = None) -> HTMLResponse:
        svc: Service = request.app.state.service
        if audience not in ("clinician", "patient"):
            audience = "clinician"
        user = _user(request)
        try:
            article = svc.articles.get(slug, audience, version)
            if hidden_from(user, slug, article.status):
                raise ArticleNotFound(slug)
        except ArticleNotFound as error:
            raise HTTPException(404, str(error)) from error
        decisions: tuple[str, ...] = TRANSITIONS[article.status] if user and user.can_review() else ()
        second_reviewer_needed = (
            "approved" in decisions and not svc.settings.service.single_review
            and review_started_by(article.review) == user.username
        )
        if second_reviewer_needed:
            decisions = tuple(d for d in decisions if d != "approved")
        return page(
            request, "article.html", noindex=article.status != "approved", article=article, audience=audience,
            answer_html=Markup(to_html(article.answer, heading=False, disclaimer=False, conversation=False)),
            related=svc.related(article.id, user), decisions=decisions,
            second_reviewer_needed=second_reviewer_needed,
        )

    @app.post("/articles/{slug}/review", include_in_schema=False)
    def review(request: Request, slug: str, status: str = Form(...), comment: str = Form(""),
               csrf_token: str = Form("")) -> Response:
        _check_csrf(request, csrf_token)
        svc: Service = request.app.state.service
        user = _user(request)
        if user is None:
            raise HTTPException(401, "Sign in as a reviewer to record a review decision.")
        if not user.can_review():
            raise HTTPException(403, f"{user.username} is a {user.role}; only reviewers can change review status.")
        try:
            svc.articles.review(slug, status, user, comment, svc.settings.service.single_review)
        except ArticleNotFound as error:
            raise HTTPException(404, str(error)) from error
        except ReviewError as error:
            raise HTTPException(409, str(error)) from error
        return RedirectResponse(f"/articles/{quote(slug)}", status_code=303)

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review_queue(request: Request) -> Response:
        svc: Service = request.app.state.service
        user = _user(request)
        if user is None:
            return RedirectResponse("/login?next=/review", status_code=303)
        if not user.can_review():
            raise HTTPException(403, f"{user.username} is a {user.role}; the review queue is for reviewers.")
        return page(request, "review.html", noindex=True,
                    queue=svc.articles.list(AWAITING_REVIEW, limit=200, oldest_first=True))

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "login.html", noindex=True, next=_safe_next(next))

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
              next: str = Form("/")) -> Response:
        _check_csrf(request, csrf_token)
        svc: Service = request.app.state.service
        wait = svc.login_limiter.retry_after(client_key(request, None))
        if wait:
            raise HTTPException(429, f"Too many sign-in attempts; try again in {wait} seconds.", headers={"Retry-After": str(wait)})
        user = svc.accounts.authenticate(username[:64], password[:1000])
        if user is None:
            return page(request, "login.html", status=401, noindex=True, next=_safe_next(next),
                        username=username[:64],
                        error="Wrong username or password.")
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(SESSION_COOKIE, svc.accounts.start_session(user, svc.settings.service.session_hours),
                            httponly=True, samesite="lax", secure=svc.settings.service.secure_cookies, path="/",
                            max_age=svc.settings.service.session_hours * 3600)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        _check_csrf(request, csrf_token)
        svc: Service = request.app.state.service
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            svc.accounts.end_session(session)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
