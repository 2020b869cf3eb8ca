"""The directory as pages read it: people, a manager's reports, names for emails, the
departments and groups a launch can pick, and HR's paged directory (a page of people,
one person with their directory history, the whole directory as a CSV file in the
import's format).

Every function runs a constant number of queries, whatever the size of the directory
(a page is an ``OFFSET``/``LIMIT`` slice; its groups and managers come in one query each).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import peewee as pw

from engine import statements
from engine.directory import KNOWN_COLUMNS, REQUIRED_COLUMNS, normalize_email
from engine.queries.items import PersonItem
from engine.store import DirectoryEvent, Person, PersonGroup


def person_item(p: Person) -> PersonItem:
    return PersonItem(p.id, p.email, p.name, p.title, p.department, p.manager_id,
                      bool(p.active), p.language or "")


def person(person_id) -> PersonItem | None:
    """The person with id ``person_id`` (a number or its text), or None."""
    try:
        row = Person.get_or_none(Person.id == statements.row_id(person_id))
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




def people_by_id(ids: Iterable[int | None]) -> dict[int, PersonItem]:
    """The people ``ids`` (``None`` ignored), by id (one query)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {p.id: person_item(p) for p in Person.select().where(Person.id.in_(wanted))}




#: People on one page of the HR console's directory.
PAGE_SIZE = 100


@dataclass(frozen=True)
class DirectoryEntry:
    """One person of HR's directory: with their manager's email and name and groups."""

    id: int
    email: str
    name: str
    title: str
    department: str
    manager_email: str
    manager_name: str
    groups: tuple[str, ...]
    active: bool
    start_date: date | None = None
    language: str = ""


@dataclass(frozen=True)
class DirectoryEventItem:
    at: datetime
    actor: str
    kind: str
    detail: dict


@dataclass(frozen=True)
class PeoplePage:
    """One page of the directory (``page`` counts from 1)."""

    people: list[DirectoryEntry]
    page: int
    pages: int
    matching: int  # people matching the search
    total: int  # people in the directory
    per_page: int = PAGE_SIZE


@dataclass(frozen=True)
class PersonDetail:
    person: DirectoryEntry
    history: list[DirectoryEventItem] = field(default_factory=list)


def _search(query, search: str):
    if search:
        like = f"%{search}%"
        query = query.where(Person.name ** like | Person.email ** like
                            | Person.department ** like | Person.title ** like)
    return query


def _entries(rows: list[Person]) -> list[DirectoryEntry]:
    ids = [p.id for p in rows]
    groups: dict[int, list[str]] = {}
    managers: dict[int, Person] = {}
    if ids:
        for link in (PersonGroup.select(PersonGroup.person, PersonGroup.group)
                     .where(PersonGroup.person.in_(ids)).order_by(PersonGroup.group)):
            groups.setdefault(link.person_id, []).append(link.group)
        manager_ids = sorted({p.manager_id for p in rows if p.manager_id})
        if manager_ids:
            managers = {m.id: m for m in Person.select(Person.id, Person.email, Person.name)
                        .where(Person.id.in_(manager_ids))}
    out = []
    for p in rows:
        manager = managers.get(p.manager_id)
        out.append(DirectoryEntry(p.id, p.email, p.name, p.title, p.department,
                              manager.email if manager else "", manager.name if manager else "",
                              tuple(groups.get(p.id, ())), bool(p.active), p.start_date,
                              p.language or ""))
    return out


def people_page(search: str = "", page: int = 1, per_page: int = PAGE_SIZE) -> PeoplePage:
    """People matching ``search`` (name, email, department, title), active first, by
    department and name; page ``page`` of ``per_page``. Four queries."""
    directory = Person.select().where(Person.external == False)  # noqa: E712 (raters outside)
    total = directory.count()
    matching = _search(directory, search).count() if search else total
    pages = max(1, -(-matching // per_page))
    page = min(max(1, page), pages)
    query = (_search(directory, search)
             .order_by(Person.active.desc(), Person.department, Person.name, Person.id)
             .limit(per_page).offset((page - 1) * per_page))
    return PeoplePage(_entries(list(query)), page, pages, matching, total, per_page)


def person_detail(person_id: int, history_limit: int = 50) -> PersonDetail | None:
    """One person with the latest directory events about them, or None."""
    row = Person.get_or_none(Person.id == person_id)
    if row is None:
        return None
    events = (DirectoryEvent.select().where(DirectoryEvent.person == person_id)
              .order_by(DirectoryEvent.id.desc()).limit(history_limit))
    return PersonDetail(_entries([row])[0],
                        [DirectoryEventItem(e.at, e.actor, e.kind, e.detail) for e in events])


def directory_csv() -> str:
    """The whole directory as a CSV file the import reads back unchanged: the header
    ``email,name,manager_email,department,title,groups,start_date,language`` then every
    attribute column. Only active people: importing a row makes its person active, so the
    file is the natural starting point of the next import or sync."""
    email_of = dict(Person.select(Person.id, Person.email).tuples())
    groups: dict[int, list[str]] = {}
    for person_id, group in (PersonGroup.select(PersonGroup.person, PersonGroup.group)
                             .order_by(PersonGroup.group).tuples()):
        groups.setdefault(person_id, []).append(group)
    people = list(Person.select().where(Person.active == True)  # noqa: E712
                  .order_by(Person.email))
    extra = sorted({k for p in people for k in (p.attributes or {})} - set(KNOWN_COLUMNS))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REQUIRED_COLUMNS, "start_date", "language", *extra])
    for p in people:
        attributes = p.attributes or {}
        writer.writerow([p.email, p.name, email_of.get(p.manager_id, ""), p.department,
                         p.title, ";".join(groups.get(p.id, [])),
                         p.start_date.isoformat() if p.start_date else "", p.language or "",
                         *(attributes.get(k, "") for k in extra)])
    return out.getvalue()


def describe(name: str, title: str, department: str) -> str:
    """``Ann Rep (Rep, Sales)``: a person as a list shows them."""
    extra = ", ".join(x for x in (title, department) if x)
    return f"{name} ({extra})" if extra else name


def labels(emails: Iterable[str]) -> dict[str, str]:
    """``{email: "Name (title, department)"}`` of the ``emails`` in the directory (one
    query): how answers that name people show them."""
    wanted = sorted({normalize_email(e) for e in emails if e})
    if not wanted:
        return {}
    out = {}
    for start in range(0, len(wanted), 500):
        for p in (Person.select(Person.email, Person.name, Person.title, Person.department,
                                Person.active)
                  .where(Person.email.in_(wanted[start:start + 500]))):
            out[p.email] = describe(p.name, p.title, p.department)
    return out


#: The most people a picker's list offers (a search narrows the rest).
PICKER_LIMIT = 3000
#: The most people a task page's picker offers before anything is typed: those nearest
#: the person filling it in (the rest are found by the search as they type)
NEAR_LIMIT = 200
#: The most matches the picker's search sends back for what is typed
SEARCH_LIMIT = 20


def picker_options(search: str = "", limit: int = PICKER_LIMIT) -> list[tuple[str, str]]:
    """``(email, "Name (title, department)")`` of active people, by name: the choices of a
    people picker (an HTML datalist, searched by name without JavaScript)."""
    query = (Person.select(Person.email, Person.name, Person.title, Person.department)
             .where(Person.active == True))  # noqa: E712
    if search:
        like = f"%{search}%"
        query = query.where(Person.name ** like | Person.email ** like)
    return [(p.email, describe(p.name, p.title, p.department))
            for p in query.order_by(Person.name, Person.email).limit(limit)]


def picker_near(email: str, limit: int = NEAR_LIMIT) -> list[tuple[str, str]]:
    """The picker's first choices for ``email``: their manager, their team (the others with
    the same manager), their reports and their manager's peers (the people who share the
    next manager up), by name: who a nomination usually names, without listing the whole
    directory into the page. Two queries, each driven by the ``manager_id`` index."""
    boss = Person.alias()
    me = (Person.select(Person.id, Person.manager, boss.manager.alias("skip_id"))
          .join(boss, pw.JOIN.LEFT_OUTER, on=(Person.manager == boss.id))
          .where(Person.email == normalize_email(email)).objects().first())
    if me is None:
        return []
    heads = [me.id] + [m for m in (me.manager_id, me.skip_id) if m]
    near = Person.manager.in_(heads)
    if me.manager_id:
        near = near | (Person.id == me.manager_id)
    query = (Person.select(Person.email, Person.name, Person.title, Person.department)
             .where(near & (Person.active == True) & (Person.id != me.id))  # noqa: E712
             .order_by(Person.name, Person.email).limit(limit))
    return [(p.email, describe(p.name, p.title, p.department)) for p in query]


def picker_search(text: str, limit: int = SEARCH_LIMIT) -> list[tuple[str, str]]:
    """Active people whose name or email contains ``text`` (two characters at least), by
    name: what the picker offers as someone types."""
    text = text.strip()
    return picker_options(text, limit) if len(text) >= 2 else []
