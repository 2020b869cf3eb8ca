"""Directory look-ups the sign-in needs (who is this email, which groups, still active).

The engine's directory answers; this module only names what the sign-in asks.
"""

from __future__ import annotations

from engine import directory


def person_by_email(email: str):
    """The directory person with ``email`` (any case), or None."""
    return directory.person_by_email(email)


def person_by_id(person_id):
    """The directory person with id ``person_id`` (a string from the session), or None."""
    try:
        return directory.person_by_id(person_id)
    except OverflowError:  # an id beyond 64 bits in a forged session
        return None


def groups_of(person) -> set[str]:
    """Names of the directory groups ``person`` belongs to."""
    return directory.groups_of(person.id)


def is_active(person) -> bool:
    """People who left (inactive after a directory import) cannot sign in."""
    return directory.is_active(person)
