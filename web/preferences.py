"""Each person's own settings (the settings page): the language they read in, and whether
mail comes as it happens or as a daily summary.

Kept apart from the directory: a directory import never overwrites what someone chose.
One row per email, as for sign-in accounts; no row means "no choice made".
"""

from __future__ import annotations

from peewee import SQL, CharField, DateTimeField, Model

from engine import statements
from engine.store import db
from web.accounts import normalize_email


class Preference(Model):
    """What one person chose on their settings page."""

    email = CharField(unique=True)
    language = CharField(max_length=35, default="")  # "" = automatic
    updated_at = DateTimeField(null=True)
    # "" = mail as it happens; "HH:MM" = a daily summary then (the organisation's zone)
    digest = CharField(max_length=5, default="", constraints=[SQL("DEFAULT ''")])
    digest_sent_at = DateTimeField(null=True)  # when the last summary went

    class Meta:
        database = db
        table_name = "web_preference"


MODELS = [Preference]


def _preference_query():
    email = statements.marker()
    return Preference.select().where(Preference.email == email).limit(1), email


def preference_of(email: str) -> Preference | None:
    """The preference row of ``email``, or None (nothing chosen yet). A page's language
    asks on every sign-in, so the statement is built once."""
    found = statements.prepared("web.preference_of", _preference_query).objects(
        Preference, normalize_email(email))
    return found[0] if found else None


def _cache() -> dict:
    from flask import g, has_app_context

    # Asked by the locale selector on every page: once per request is enough.
    return g.setdefault("preferred_languages", {}) if has_app_context() else {}


def known_language(email: str, language: str) -> None:
    """Remember for this request that ``email`` chose ``language`` (read already with the
    signed-in person: :func:`web.accounts.signed_in`)."""
    _cache()[normalize_email(email)] = language


def language_of(email: str) -> str:
    """The language ``email`` chose, or "" for automatic."""
    cache = _cache()
    key = normalize_email(email)
    if key not in cache:
        row = preference_of(key)
        cache[key] = row.language if row is not None else ""
    return cache[key]


def save(email: str, now, **values) -> Preference:
    """Store ``values`` (column -> value) as ``email``'s settings."""
    from flask import g, has_app_context

    key = normalize_email(email)
    with db.atomic():
        row = preference_of(key) or Preference(email=key)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
        row.save()
    if has_app_context():
        g.pop("preferred_languages", None)
    return row
