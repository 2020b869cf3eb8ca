"""Sign-in accounts: a password (hashed with werkzeug) or a pending invite, per email.

People themselves live in the engine's directory; an account only says how someone proves
they are that person. Invite tokens are stored hashed, so a copy of the database does not
hand out sign-in links.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from peewee import CharField, DateTimeField, Model
from werkzeug.security import check_password_hash, generate_password_hash

from engine.clock import utcnow
from engine.store import db

INVITE_LIFETIME = timedelta(days=7)
MIN_PASSWORD_LENGTH = 8


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Account(Model):
    """How one person of the directory signs in."""

    email = CharField(unique=True)
    password_hash = CharField(null=True)
    invite_hash = CharField(null=True, index=True)
    invite_expires_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_sign_in_at = DateTimeField(null=True)

    class Meta:
        database = db
        table_name = "web_account"


MODELS = [Account]


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def account_for(email: str) -> Account | None:
    """The account of ``email``, or None."""
    return Account.get_or_none(Account.email == normalize_email(email))


def _account(email: str) -> Account:
    account = account_for(email)
    if account is None:
        account = Account.create(email=normalize_email(email))
    return account


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if password.strip() != password:
        return "A password cannot start or end with a space."
    return None


def set_password(email: str, password: str) -> Account:
    """Store a new password for ``email`` (any pending invite is used up)."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    account = _account(email)
    account.password_hash = generate_password_hash(password)
    account.invite_hash = None
    account.invite_expires_at = None
    account.save()
    return account


def check_password(email: str, password: str) -> Account | None:
    """The account if ``password`` is right for ``email``; None otherwise."""
    account = account_for(email)
    if account is None or not account.password_hash:
        # Hash anyway so a wrong email costs the same time as a wrong password.
        check_password_hash(generate_password_hash("x"), password)
        return None
    if not check_password_hash(account.password_hash, password):
        return None
    account.last_sign_in_at = utcnow()
    account.save()
    return account


def create_invite(email: str, now: datetime | None = None) -> str:
    """A new invite token for ``email`` (replacing an older one); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    account = _account(email)
    account.invite_hash = _token_hash(token)
    account.invite_expires_at = (now or utcnow()) + INVITE_LIFETIME
    account.save()
    return token


def account_for_invite(token: str, now: datetime | None = None) -> Account | None:
    """The account a still-valid invite token belongs to, or None."""
    if not token:
        return None
    account = Account.get_or_none(Account.invite_hash == _token_hash(token))
    if account is None or account.invite_expires_at is None:
        return None
    if account.invite_expires_at < (now or utcnow()):
        return None
    return account


def invite_link(token: str, base_url: str) -> str:
    """The full sign-up link for an invite token."""
    return f"{base_url.rstrip('/')}/invite/{token}"
