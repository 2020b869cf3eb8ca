"""Sign-in accounts: a password (hashed with werkzeug) or a pending invite, per email.

People themselves live in the engine's directory; an account only says how someone proves
they are that person. Invite tokens are stored hashed, so a copy of the database does not
hand out sign-in links.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from peewee import JOIN, CharField, DateTimeField, IntegerField, Model
from werkzeug.security import check_password_hash, generate_password_hash

from engine import statements
from engine.clock import utcnow
from engine.queries import menu
from engine.store import Person, PersonGroup, Setting, db

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
    # sessions carry the version they began with; a sign-out or a new password moves it on,
    # so a captured session cookie stops working
    session_version = IntegerField(default=0)

    class Meta:
        database = db
        table_name = "web_account"


class SignInFailure(Model):
    """One failed sign-in, counted per account and per client address in the database, so
    every server process (gunicorn workers) shares the limit. ``key`` is a hash: an email
    of any length costs the same few bytes."""

    key = CharField(max_length=64, index=True)
    at = DateTimeField(index=True)

    class Meta:
        database = db
        table_name = "web_sign_in_failure"


MODELS = [Account, SignInFailure]


class AccountHasPassword(ValueError):
    """An invite would replace the password of someone who has one (send a reset)."""


_dummy_hash: list[str] = []


def _dummy() -> str:
    """A hash to check wrong emails against, so they cost what a wrong password costs."""
    if not _dummy_hash:
        _dummy_hash.append(generate_password_hash(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


def failure_key(kind: str, value: str) -> str:
    """The stored key of a sign-in counter (``email`` or ``address``)."""
    return hashlib.sha256(f"{kind}:{value}".encode("utf-8", "replace")).hexdigest()


def recent_failures(key: str, since: datetime) -> int:
    return SignInFailure.select().where((SignInFailure.key == key)
                                        & (SignInFailure.at >= since)).count()


def record_failure(keys: list[str], now: datetime, forget_before: datetime) -> None:
    """Count one failed sign-in under each key (and forget those older than the window)."""
    with db.atomic():
        SignInFailure.delete().where(SignInFailure.at < forget_before).execute()
        SignInFailure.insert_many([{"key": k, "at": now} for k in keys]).execute()


def clear_failures(key: str) -> None:
    SignInFailure.delete().where(SignInFailure.key == key).execute()


def has_password(email: str) -> bool:
    account = account_for(email)
    return account is not None and bool(account.password_hash)


def _signed_in_query():
    from web.library import GENERATION
    from web.preferences import Preference

    person_id = statements.marker()
    generation = Setting.select(Setting.value).where(Setting.key == GENERATION)
    query = (Person.select(*Person._meta.sorted_fields, Account.session_version,
                           Preference.language.alias("chosen_language"),
                           *menu.role_columns(Person.id), PersonGroup.group,
                           generation.alias("library_generation"))
             .join(Account, JOIN.LEFT_OUTER, on=(Account.email == Person.email))
             .join_from(Person, Preference, JOIN.LEFT_OUTER, on=(Preference.email == Person.email))
             .join_from(Person, PersonGroup, JOIN.LEFT_OUTER, on=(PersonGroup.person == Person.id))
             .where(Person.id == person_id))
    return query, person_id


@dataclass(frozen=True)
class SignedIn:
    """What every signed-in request needs to know of its person, read in one statement."""

    person: Person
    session_version: int  # the version a session must carry (0 without an account)
    language: str  # the language chosen on the settings page, "" for automatic
    groups: frozenset[str]
    menu: menu.MenuRoles  # which of the header menu's role pages apply to them
    library_generation: str | None = None  # the stored one (web.library), read alongside


def signed_in(person_id: int) -> SignedIn | None:
    """The person with id ``person_id``, their account's session version, their chosen
    language, the menu's role questions and their groups, in one prepared statement (one
    row per group); None when no such person. Every signed-in request asks, so its SQL is
    built once; it reads the library generation too, which every request compares with
    the one its process loaded (:func:`web.library.follow_reloads`)."""
    rows = statements.prepared("web.signed_in", _signed_in_query).execute(person_id).fetchall()
    if not rows:
        return None
    fields = Person._meta.sorted_fields
    count = len(fields)
    person = Person(__no_default__=True)
    person.__data__ = {f.name: None if v is None else f.python_value(v)
                       for f, v in zip(fields, rows[0], strict=False)}
    version, language, manages, calibrates = rows[0][count:count + 4]
    return SignedIn(person, version or 0, language or "",
                    frozenset(r[count + 4] for r in rows if r[count + 4] is not None),
                    menu.MenuRoles(bool(manages), bool(calibrates)), rows[0][count + 5])


def end_sessions(email: str) -> None:
    """Every session of ``email`` ends (sign-out, new password)."""
    Account.update(session_version=Account.session_version + 1).where(
        Account.email == normalize_email(email)).execute()


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def _account_query():
    email = statements.marker()
    return Account.select().where(Account.email == email).limit(1), email


def account_for(email: str) -> Account | None:
    """The account of ``email``, or None. Every sign-in asks (its session version), so
    the statement is built once."""
    found = statements.prepared("web.account_for", _account_query).objects(
        Account, normalize_email(email))
    return found[0] if found else None


def _account(email: str) -> Account:
    account = account_for(email)
    if account is None:
        account = Account.create(email=normalize_email(email))
    return account


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
    if password.strip() != password:
        return _("A password cannot start or end with a space.")
    return None


def set_password(email: str, password: str) -> Account:
    """Store a new password for ``email`` (any pending invite is used up)."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    account = _account(email)
    if account.password_hash:  # a new password ends every session begun with the old one
        account.session_version += 1
    account.password_hash = generate_password_hash(password)
    account.invite_hash = None
    account.invite_expires_at = None
    account.save()
    return account


def check_password(email: str, password: str) -> Account | None:
    """The account if ``password`` is right for ``email``; None otherwise."""
    account = account_for(email)
    if account is None or not account.password_hash:
        # Check a hash anyway so a wrong email costs the same time as a wrong password.
        check_password_hash(_dummy(), password)
        return None
    if not check_password_hash(account.password_hash, password):
        return None
    account.last_sign_in_at = utcnow()
    account.save()
    return account


def create_invite(email: str, now: datetime | None = None, *, reset: bool = False) -> str:
    """A new invite token for ``email`` (replacing an older one); only its hash is kept.

    An invite is for someone without a password (:class:`AccountHasPassword` otherwise);
    ``reset=True`` makes a password-reset token, which goes to the person only, by mail.
    Their password works until they use it.
    """
    token = secrets.token_urlsafe(32)
    account = _account(email)
    if account.password_hash and not reset:
        raise AccountHasPassword(f"{account.email} has a password; send a password reset "
                                 "to them instead")
    account.invite_hash = _token_hash(token)
    account.invite_expires_at = (now or utcnow()) + INVITE_LIFETIME
    account.save()
    return token


def token_for_mail(email: str, kind: str, now: datetime | None = None) -> str | None:
    """The token of an invite or password-reset mail, made as the mail goes (the mailer's
    ``sign_in_token``): None for an invite to someone who has a password by now."""
    try:
        return create_invite(email, now, reset=kind == "password-reset")
    except AccountHasPassword:
        return None


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
