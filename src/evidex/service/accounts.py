"""Users, roles, API tokens and sign-in sessions for the service.

Roles: ``reader`` (may ask and read; anonymous visitors are readers too),
``reviewer`` (the medical advisory board: moves articles through review) and
``admin`` (manages users).  Passwords are hashed with Argon2id; API tokens and
session ids are random secrets stored only as SHA-256 hashes, so a copy of
the database does not let anyone sign in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal, get_args

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from evidex.service.db import api_tokens, sessions, users

Role = Literal["reader", "reviewer", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")


class AccountError(ValueError):
    """A user could not be created, changed or found; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role

    def can_review(self) -> bool:
        return self.role == "reviewer"

    def can_manage_users(self) -> bool:
        return self.role == "admin"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Accounts:
    """User, token and session storage on the article database."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.hasher = PasswordHasher()

    # -- users ------------------------------------------------------------------------

    def add(self, username: str, password: str, role: Role = "reader") -> User:
        username = username.strip()
        if not _USERNAME.match(username):
            raise AccountError("a username is 2–64 letters, digits or . _ @ - and starts with a letter or digit")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self.engine.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise AccountError(f"user {username!r} already exists")
            row = conn.execute(
                users.insert().values(
                    username=username, password_hash=self.hasher.hash(password), role=role, created_at=_now()
                )
            )
            return User(row.inserted_primary_key[0], username, role)

    def get(self, username: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            raise AccountError(f"no user {username!r}")
        return User(row.id, row.username, row.role)

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
        return [User(r.id, r.username, r.role) for r in rows]

    def set_role(self, username: str, role: Role) -> User:
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        user = self.get(username)
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == user.id).values(role=role))
        return User(user.id, user.username, role)

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        user = self.get(username)
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == user.id).values(password_hash=self.hasher.hash(password)))
            conn.execute(sessions.delete().where(sessions.c.user_id == user.id))

    def remove(self, username: str) -> None:
        user = self.get(username)
        with self.engine.begin() as conn:
            conn.execute(api_tokens.delete().where(api_tokens.c.user_id == user.id))
            conn.execute(sessions.delete().where(sessions.c.user_id == user.id))
            conn.execute(users.delete().where(users.c.id == user.id))

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right; None otherwise (same answer for unknown users)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username.strip())).first()
        if row is None:
            self.hasher.hash(password)  # same cost as a real check, so timing does not reveal usernames
            return None
        try:
            self.hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(row.id, row.username, row.role)

    # -- API tokens ---------------------------------------------------------------------

    def issue_token(self, username: str, name: str = "api") -> str:
        """A new bearer token for ``username``; only its hash is stored, so show it once."""
        user = self.get(username)
        token = "evx_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                api_tokens.insert().values(user_id=user.id, token_hash=_digest(token), name=name[:100], created_at=_now())
            )
        return token

    def user_for_token(self, token: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users).join(api_tokens, api_tokens.c.user_id == users.c.id).where(
                    api_tokens.c.token_hash == _digest(token)
                )
            ).first()
        return User(row.id, row.username, row.role) if row else None

    def revoke_tokens(self, username: str) -> int:
        user = self.get(username)
        with self.engine.begin() as conn:
            return conn.execute(api_tokens.delete().where(api_tokens.c.user_id == user.id)).rowcount

    # -- sign-in sessions ---------------------------------------------------------------

    def start_session(self, user: User, hours: int) -> str:
        token = secrets.token_urlsafe(32)
        now = _now()
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))
            conn.execute(
                sessions.insert().values(
                    token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + timedelta(hours=hours)
                )
            )
        return token

    def user_for_session(self, token: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users, sessions.c.expires_at)
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == _digest(token))
            ).first()
        if row is None or _aware(row.expires_at) < _now():
            return None
        return User(row.id, row.username, row.role)

    def end_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == _digest(token)))
