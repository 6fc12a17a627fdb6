"""Articles, versions, review events, threads, users, API tokens and sessions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

# The review log is append-only: the database itself refuses to change or delete an event.
SQLITE_AUDIT_GUARDS = [
    """CREATE TRIGGER review_events_no_update BEFORE UPDATE ON review_events
       BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END""",
    """CREATE TRIGGER review_events_no_delete BEFORE DELETE ON review_events
       BEGIN SELECT RAISE(ABORT, 'review events are append-only'); END""",
]
POSTGRES_AUDIT_GUARDS = [
    """CREATE FUNCTION review_events_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'review events are append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER review_events_no_change BEFORE UPDATE OR DELETE ON review_events
       FOR EACH ROW EXECUTE FUNCTION review_events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
    )
    op.create_table(
        "threads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("questions", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(120), nullable=False, unique=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("question_key", sa.String(64), nullable=False, unique=True),
        sa.Column("earlier", sa.JSON, nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
            sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("question_vector", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_articles_status_updated", "articles", ["status", "updated_at"])
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("clinician", sa.JSON, nullable=False),
        sa.Column("patient", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("article_id", "number"),
    )
    op.create_table(
        "review_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("at", TZ, nullable=False),
    )
    op.create_index("ix_review_events_article", "review_events", ["article_id"])
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_AUDIT_GUARDS, "postgresql": POSTGRES_AUDIT_GUARDS}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    for table in ("review_events", "article_versions", "articles", "threads", "sessions", "api_tokens", "users"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS review_events_append_only()")
