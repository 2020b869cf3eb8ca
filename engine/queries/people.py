"""The directory as pages read it: people, a manager's reports, names for emails, the
departments and groups a launch can pick, and HR's paged directory.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.directory import normalize_email
from engine.queries.items import PersonItem
from engine.store import Person, PersonGroup


def person_item(p: Person) -> PersonItem:
    return PersonItem(p.id, p.email, p.name, p.title, p.department, p.manager_id,
                      bool(p.active), p.language or "")


def person(person_id) -> PersonItem | None:
    """The person with id ``person_id`` (a number or its text), or None."""
    try:
        row = Person.get_or_none(Person.id == int(person_id))
    except (TypeError, ValueError, OverflowError):
        return None
    return person_item(row) if row is not None else None


def reports(manager_id: int | None) -> list[PersonItem]:
    """Active direct reports of the person ``manager_id``, by name."""
    if manager_id is None:
        return []
    return [person_item(p) for p in Person.select()
            .where((Person.manager == manager_id) & (Person.active == True))  # noqa: E712
            .order_by(Person.name, Person.id)]


def has_reports(manager_id: int | None) -> bool:
    """Does the person ``manager_id`` manage anyone active?"""
    return manager_id is not None and (
        Person.select(Person.id)
        .where((Person.manager == manager_id) & (Person.active == True))  # noqa: E712
        .exists())


def names(emails: Iterable[str]) -> dict[str, str]:
    """Directory names of ``emails`` (those not in the directory are left out)."""
    wanted = sorted({normalize_email(e) for e in emails if e})
    if not wanted:
        return {}
    return {p.email: p.name for p in Person.select(Person.email, Person.name)
            .where(Person.email.in_(wanted))}


def departments() -> list[str]:
    """Departments of active people, sorted."""
    return [r.department for r in Person.select(Person.department).distinct()
            .where((Person.active == True) & (Person.department != ""))  # noqa: E712
            .order_by(Person.department)]


def group_names() -> list[str]:
    """Every directory group name, sorted."""
    return [r.group for r in PersonGroup.select(PersonGroup.group).distinct()
            .order_by(PersonGroup.group)]


def groups_by_person(ids: Iterable[int]) -> dict[int, list[str]]:
    """Group names of each of the people ``ids`` (one query)."""
    ids = sorted(set(ids))
    out: dict[int, list[str]] = {}
    if ids:
        for row in (PersonGroup.select().where(PersonGroup.person.in_(ids))
                    .order_by(PersonGroup.group)):
            out.setdefault(row.person_id, []).append(row.group)
    return out


def directory_page(search: str = "", limit: int = 100) -> list[PersonItem]:
    """HR's directory: active people first, by department and name; ``search`` matches a
    part of the name, email, department or title."""
    query = Person.select().order_by(Person.active.desc(), Person.department, Person.name)
    if search:
        like = f"%{search}%"
        query = query.where(Person.name ** like | Person.email ** like
                            | Person.department ** like | Person.title ** like)
    return [person_item(p) for p in query.limit(limit)]


def people_by_id(ids: Iterable[int | None]) -> dict[int, PersonItem]:
    """The people ``ids`` (``None`` ignored), by id (one query)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {p.id: person_item(p) for p in Person.select().where(Person.id.in_(wanted))}


def headcount() -> int:
    """Everybody in the directory, people who left included."""
    return Person.select().count()

