"""Publish: answers become versioned articles that medical reviewers approve.

An article is one question (with the conversation before it and the filters
it was asked with).  Each version holds the answer in both audiences, so the
reviewed text is exactly what clinicians and patients see.  Asking the same
question again stores a new version only when the answer changed, and a new
version goes back to review.  Every status change is an append-only
:class:`ReviewEvent`.  Related questions are other articles whose questions
are close in meaning *and* share a MeSH condition or intervention.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel, Field

from evidex.answer.types import Answer
from evidex.answer.understand import Audience
from evidex.corpus import control_character
from evidex.evidence.store import SearchFilters
from evidex.service.db import article_versions, articles, review_events, threads

if TYPE_CHECKING:
    from evidex.corpus import Corpus
    from evidex.service.accounts import User

ReviewStatus = Literal["submitted", "under_review", "approved", "changes_requested", "rejected"]
REVIEW_STATUSES: tuple[str, ...] = get_args(ReviewStatus)
STATUS_LABELS: dict[str, str] = {
    "submitted": "Submitted",
    "under_review": "Under Review",
    "approved": "Approved",
    "changes_requested": "Changes requested",
    "rejected": "Rejected",
}
# Which review decisions may follow which.  A changed answer starts again at "submitted".
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("under_review", "rejected"),
    "under_review": ("approved", "changes_requested", "rejected"),
    "changes_requested": ("under_review", "rejected"),
    "approved": ("under_review",),
    "rejected": ("under_review",),
}
AWAITING_REVIEW: tuple[str, ...] = ("submitted", "under_review", "changes_requested")
SYSTEM_ACTOR = "evidex"
MAX_COMMENT_CHARS = 5000


class ArticleNotFound(LookupError):
    def __str__(self) -> str:
        return f"no article {self.args[0]!r}"


class ThreadNotFound(LookupError):
    def __str__(self) -> str:
        return f"no conversation with thread_id {self.args[0]!r}; start one by asking without a thread_id"


class ReviewError(ValueError):
    """A review decision that the workflow does not allow."""


class ReviewEvent(BaseModel):
    """One entry of an article's review log."""

    version: int
    from_status: ReviewStatus | None
    to_status: ReviewStatus
    actor: str = Field(description="Username of the reviewer, or 'evidex' for a new version")
    comment: str
    at: datetime


class VersionInfo(BaseModel):
    number: int
    created_at: datetime
    content_hash: str


class ArticleSummary(BaseModel):
    """An article as listed: enough to link to it and show its review status."""

    id: int
    slug: str
    question: str
    earlier: list[str] = Field(description="The conversation's earlier questions, oldest first")
    status: ReviewStatus
    status_label: str
    version: int = Field(description="Current version number")
    topics: list[str] = Field(description="MeSH conditions and interventions the question is about")
    created_at: datetime
    updated_at: datetime = Field(description="When the answer last changed")


class Approval(BaseModel):
    """Who approved the article's current version, and when."""

    by: str = Field(description="The reviewer who approved it")
    at: datetime
    version: int
    review_started_by: str | None = Field(description="The reviewer who moved it to under review")
    single_reviewer: bool = Field(description="Started and approved by the same reviewer (allowed by service.single_review)")


class Article(ArticleSummary):
    """An article with one version's answer in one audience."""

    filters: dict
    audience: Audience
    shown_version: int
    answer: Answer
    versions: list[VersionInfo]
    review: list[ReviewEvent]
    approval: Approval | None = Field(description="Set while the article is approved")


class RelatedArticle(BaseModel):
    slug: str
    question: str
    status: ReviewStatus
    similarity: float
    shared_topics: list[str]


class Thread(BaseModel):
    id: str
    audience: Audience
    questions: list[str]


class Published(BaseModel):
    """What publishing an answer did."""

    article: ArticleSummary
    thread_id: str
    created: bool = Field(description="A new article was created")
    new_version: bool = Field(description="A new version was stored (the answer changed, or the article is new)")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _normalise(question: str) -> str:
    return " ".join(question.lower().split()).rstrip("?. ")


def question_key(question: str, earlier: Sequence[str], filters: dict) -> str:
    """Questions that differ only in case, spacing or a final '?' are the same article."""
    payload = json.dumps([_normalise(question), [_normalise(q) for q in earlier], filters], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def content_hash(answers: dict[str, Answer]) -> str:
    """Hash of what readers see, ignoring when and how it was generated and how the question was typed."""
    shown = {
        audience: answer.model_dump(mode="json", exclude={"question", "provenance", "disclaimer"})
        for audience, answer in sorted(answers.items())
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def slugify(question: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", question).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 80:
            break
        slug = f"{slug}-{word}" if slug else word
    # Unlisted until approved: the random part keeps the address from being guessed.
    return f"{slug or 'question'}-{secrets.token_hex(8)}"


def filters_dict(filters: SearchFilters | None) -> dict:
    """The filters that differ from the defaults, as JSON-ready data."""
    if filters is None:
        return {}
    default = asdict(SearchFilters())
    data = asdict(filters)
    data["kinds"] = [str(getattr(k, "value", k)) for k in filters.kinds]
    return {key: value for key, value in data.items() if value != default[key]}


class ArticleStore:
    """Articles, their versions, review log and conversation threads."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- conversations --------------------------------------------------------------------

    def thread(self, thread_id: str) -> Thread:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(threads).where(threads.c.id == thread_id)).first()
        if row is None:
            raise ThreadNotFound(thread_id)
        return Thread(id=row.id, audience=row.audience, questions=row.questions)

    def start_thread(self, audience: Audience, questions: Sequence[str] = ()) -> Thread:
        thread = Thread(id=secrets.token_hex(12), audience=audience, questions=list(questions))
        with self.engine.begin() as conn:
            conn.execute(threads.insert().values(**thread.model_dump(), created_at=_now()))
        return thread

    # -- publishing -----------------------------------------------------------------------

    def publish(
        self,
        answers: dict[str, Answer],
        thread: Thread,
        filters: dict,
        question_vector: np.ndarray,
        actor: str,
    ) -> Published:
        """Store ``answers`` (one per audience, same question) as an article or a new version of it."""
        first = next(iter(answers.values()))
        question = first.question
        key = question_key(question, thread.questions, filters)
        digest = content_hash(answers)
        now = _now()
        created = new_version = False
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(articles).where(articles.c.question_key == key)).first()
            if row is None:
                article_id = conn.execute(
                    articles.insert().values(
                        slug=slugify(question),
                        question=question,
                        question_key=key,
                        earlier=list(thread.questions),
                        filters=filters,
                        topics=list(dict.fromkeys(first.conditions + first.interventions)),
                        question_vector=np.asarray(question_vector, dtype=np.float32).tobytes(),
                        status="submitted",
                        current_version=1,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
                self._add_version(conn, article_id, 1, digest, answers, now)
                self._log(conn, article_id, 1, None, "submitted", actor, "Asked and answered; awaiting medical review.", now)
                created = new_version = True
            else:
                article_id = row.id
                current = conn.execute(
                    sa.select(article_versions.c.content_hash).where(
                        article_versions.c.article_id == row.id, article_versions.c.number == row.current_version
                    )
                ).scalar_one()
                if current != digest:
                    number = row.current_version + 1
                    self._add_version(conn, row.id, number, digest, answers, now)
                    conn.execute(
                        articles.update()
                        .where(articles.c.id == row.id)
                        .values(current_version=number, status="submitted", updated_at=now)
                    )
                    self._log(
                        conn, row.id, number, row.status, "submitted", SYSTEM_ACTOR,
                        f"Version {number}: the answer changed when the question was asked again; it needs review.", now,
                    )
                    new_version = True
            conn.execute(
                threads.update().where(threads.c.id == thread.id).values(questions=[*thread.questions, question])
            )
        return Published(article=self.summary(article_id), thread_id=thread.id, created=created, new_version=new_version)

    @staticmethod
    def _add_version(conn: sa.Connection, article_id: int, number: int, digest: str, answers: dict[str, Answer], now: datetime) -> None:
        conn.execute(
            article_versions.insert().values(
                article_id=article_id,
                number=number,
                content_hash=digest,
                clinician=answers["clinician"].model_dump(mode="json"),
                patient=answers["patient"].model_dump(mode="json"),
                created_at=now,
            )
        )

    @staticmethod
    def _log(conn, article_id, version, from_status, to_status, actor, comment, now) -> None:  # noqa: ANN001
        conn.execute(
            review_events.insert().values(
                article_id=article_id, version=version, from_status=from_status, to_status=to_status,
                actor=actor, comment=comment, at=now,
            )
        )

    # -- reading --------------------------------------------------------------------------

    def _row(self, conn: sa.Connection, ref: str | int) -> sa.Row:
        ref = str(ref).strip()
        column = articles.c.id if ref.isdigit() else articles.c.slug
        value = int(ref) if ref.isdigit() else ref
        row = conn.execute(sa.select(articles).where(column == value)).first()
        if row is None:
            raise ArticleNotFound(ref)
        return row

    @staticmethod
    def _summary(row: sa.Row) -> ArticleSummary:
        return ArticleSummary(
            id=row.id, slug=row.slug, question=row.question, earlier=row.earlier, status=row.status,
            status_label=STATUS_LABELS[row.status], version=row.current_version, topics=row.topics,
            created_at=_aware(row.created_at), updated_at=_aware(row.updated_at),
        )

    def summary(self, ref: str | int) -> ArticleSummary:
        with self.engine.connect() as conn:
            return self._summary(self._row(conn, ref))

    def get(self, ref: str | int, audience: Audience = "clinician", version: int | None = None) -> Article:
        """The article by id or slug, with the answer of ``version`` (default: current) for ``audience``."""
        with self.engine.connect() as conn:
            row = self._row(conn, ref)
            number = version or row.current_version
            stored = conn.execute(
                sa.select(article_versions).where(
                    article_versions.c.article_id == row.id, article_versions.c.number == number
                )
            ).first()
            if stored is None:
                raise ArticleNotFound(f"{ref} version {number}")
            versions = conn.execute(
                sa.select(article_versions.c.number, article_versions.c.created_at, article_versions.c.content_hash)
                .where(article_versions.c.article_id == row.id)
                .order_by(article_versions.c.number)
            ).all()
            events = self._events(conn, row.id)
        return Article(
            **self._summary(row).model_dump(),
            filters=row.filters,
            audience=audience,
            shown_version=number,
            answer=Answer.model_validate(getattr(stored, audience)),
            versions=[VersionInfo(number=v.number, created_at=_aware(v.created_at), content_hash=v.content_hash) for v in versions],
            review=events,
            approval=approval(events) if row.status == "approved" else None,
        )

    @staticmethod
    def _events(conn: sa.Connection, article_id: int) -> list[ReviewEvent]:
        rows = conn.execute(
            sa.select(review_events).where(review_events.c.article_id == article_id).order_by(review_events.c.id)
        ).all()
        return [
            ReviewEvent(version=r.version, from_status=r.from_status, to_status=r.to_status, actor=r.actor,
                        comment=r.comment, at=_aware(r.at))
            for r in rows
        ]

    def review_log(self, ref: str | int) -> list[ReviewEvent]:
        with self.engine.connect() as conn:
            return self._events(conn, self._row(conn, ref).id)

    @staticmethod
    def _matching(select: sa.Select, statuses: Sequence[str], query: str | None) -> sa.Select:
        if statuses:
            select = select.where(articles.c.status.in_(list(statuses)))
        for word in (query or "").split()[:10]:
            escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            select = select.where(sa.func.lower(articles.c.question).like(f"%{escaped}%", escape="\\"))
        return select

    def list(
        self,
        statuses: Sequence[str] = (),
        query: str | None = None,
        limit: int = 20,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[ArticleSummary]:
        """Articles, newest change first; ``query`` matches words of the question."""
        select = self._matching(sa.select(articles), statuses, query)
        order = articles.c.updated_at.asc() if oldest_first else articles.c.updated_at.desc()
        select = select.order_by(order, articles.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [self._summary(row) for row in conn.execute(select).all()]

    def count(self, statuses: Sequence[str] = (), query: str | None = None) -> int:
        select = self._matching(sa.select(sa.func.count()).select_from(articles), statuses, query)
        with self.engine.connect() as conn:
            return conn.execute(select).scalar_one()

    # -- review ---------------------------------------------------------------------------

    def review(
        self, ref: str | int, to_status: str, reviewer: User, comment: str = "", single_review: bool = False
    ) -> ReviewEvent:
        """Move the article's current version to ``to_status``; only reviewers may.

        Two people approve: the reviewer who moved the article to under review
        cannot also approve it, unless ``single_review`` (``service.single_review``)."""
        if not reviewer.can_review():
            raise PermissionError(f"{reviewer.username} is a {reviewer.role}; only reviewers can change review status")
        if to_status not in REVIEW_STATUSES:
            raise ReviewError(f"unknown review status {to_status!r}; one of {', '.join(REVIEW_STATUSES)}")
        comment = (comment or "").strip()
        if control_character(comment):
            raise ReviewError(f"the comment contains an invisible control character ({control_character(comment)}); remove it")
        if len(comment) > MAX_COMMENT_CHARS:
            raise ReviewError(f"the comment is {len(comment):,} characters; the limit is {MAX_COMMENT_CHARS:,}")
        if to_status in ("changes_requested", "rejected") and not comment:
            raise ReviewError("say what needs to change: a comment is required to request changes or reject")
        now = _now()
        with self.engine.begin() as conn:
            row = self._row(conn, ref)
            if to_status not in TRANSITIONS[row.status]:
                allowed = ", ".join(TRANSITIONS[row.status])
                raise ReviewError(f"an article that is {row.status} can move to {allowed}, not {to_status}")
            if to_status == "approved" and not single_review:
                started = review_started_by(self._events(conn, row.id))
                if started == reviewer.username:
                    raise ReviewError(
                        f"{reviewer.username} started this review, so a second reviewer approves it"
                        " (or the site allows single review: service.single_review)"
                    )
            changed = conn.execute(
                articles.update()
                .where(articles.c.id == row.id, articles.c.status == row.status)
                .values(status=to_status)
            ).rowcount
            if not changed:
                raise ReviewError("the article's status changed meanwhile; reload and try again")
            self._log(conn, row.id, row.current_version, row.status, to_status, reviewer.username, comment, now)
        return ReviewEvent(version=row.current_version, from_status=row.status, to_status=to_status,
                           actor=reviewer.username, comment=comment, at=now)

    # -- related questions ----------------------------------------------------------------

    def related(self, ref: str | int, min_similarity: float, limit: int = 5) -> list[RelatedArticle]:
        """Other articles about the same thing: similar questions that share a MeSH topic.

        Both conditions must hold, so an article with no MeSH topic has no
        related questions rather than loosely similar ones.
        """
        with self.engine.connect() as conn:
            row = self._row(conn, ref)
            topics = set(row.topics)
            if not topics:
                return []
            others = conn.execute(
                sa.select(articles.c.id, articles.c.slug, articles.c.question, articles.c.status,
                          articles.c.topics, articles.c.question_vector).where(articles.c.id != row.id)
            ).all()
        if not others:
            return []
        mine = np.frombuffer(row.question_vector, dtype=np.float32)
        found = []
        for other in others:
            shared = [t for t in other.topics if t in topics]
            if not shared:
                continue
            similarity = float(np.dot(mine, np.frombuffer(other.question_vector, dtype=np.float32)))
            if similarity >= min_similarity:
                found.append(RelatedArticle(slug=other.slug, question=other.question, status=other.status,
                                            similarity=round(similarity, 3), shared_topics=shared))
        found.sort(key=lambda r: r.similarity, reverse=True)
        return found[:limit]


def review_started_by(events: Sequence[ReviewEvent]) -> str | None:
    """Who made the latest move to under review."""
    return next((e.actor for e in reversed(events) if e.to_status == "under_review"), None)


def approval(events: Sequence[ReviewEvent]) -> Approval | None:
    """The latest approval in ``events`` (a review log, oldest first)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.to_status == "approved":
            started = review_started_by(events[:index])
            return Approval(by=event.actor, at=event.at, version=event.version, review_started_by=started,
                            single_reviewer=started == event.actor)
    return None


def ask_and_publish(
    corpus: Corpus,
    store: ArticleStore,
    question: str,
    audience: Audience | None = None,
    filters: SearchFilters | None = None,
    thread_id: str | None = None,
    actor: str = "anonymous",
) -> tuple[Answer, Published]:
    """Answer ``question`` for both audiences, store it as an article, and
    return the answer in the audience asked for (default: the thread's, else clinician).

    With ``thread_id`` the question is a follow-up: it inherits the
    conversation's condition, patient details and audience.
    """
    thread = store.thread(thread_id) if thread_id else None
    earlier = thread.questions if thread else []
    chosen: Audience = audience or (thread.audience if thread else "clinician")
    answers = {a: corpus.ask(question, a, filters, earlier) for a in ("clinician", "patient")}
    if thread is None:
        thread = store.start_thread(chosen)
    # The question as searched carries an inherited topic, so follow-ups relate by what they are about.
    # (a question that names nothing was not searched: its own words stand for it)
    searched = (answers["clinician"].provenance.searched or [answers["clinician"].question])[0]
    vector = corpus.question_embedder.embed_query(searched)
    published = store.publish(answers, thread, filters_dict(filters), vector, actor)
    return answers[chosen], published
