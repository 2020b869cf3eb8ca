"""Directory look-ups the sign-in needs (who is this email, which groups, still active)."""

from __future__ import annotations

from engine.directory import groups_of as _groups_of
from engine.directory import normalize_email
from engine.store import Person


def person_by_email(email: str) -> Person | None:
    """The directory person with ``email``, or None."""
    return Person.get_or_none(Person.email == normalize_email(email))


def person_by_id(person_id) -> Person | None:
    """The directory person with id ``person_id`` (a string from the session), or None."""
    try:
        return Person.get_or_none(Person.id == int(person_id))
    except (TypeError, ValueError):
        return None


def groups_of(person: Person) -> set[str]:
    """Names of the directory groups ``person`` belongs to."""
    return _groups_of(person.id)


def is_active(person: Person) -> bool:
    """People who left (inactive after a directory import) cannot sign in."""
    return bool(person.active)
