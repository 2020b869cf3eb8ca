"""The directory as pages read it: people, a manager's reports, names for emails, the
departments and groups a launch can pick, and HR's paged directory (a page of people,
one person with their directory history, the whole directory as a CSV file in the
import's format).

Every function runs a constant number of queries, whatever the size of the directory
(a page is paged by key, not by offset; its groups and managers come in one query each).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import peewee as pw

from engine import server_prepared, statements
from engine.directory import KNOWN_COLUMNS, REQUIRED_COLUMNS, normalize_email
from engine.queries.items import PersonItem
from engine.store import DirectoryEvent, Person, PersonGroup, db


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
    """One page of the directory (``page`` counts from 1), with the keys of the pages
    around it: the ids of its first and last person."""

    people: list[DirectoryEntry]
    page: int
    pages: int
    matching: int  # people matching the search
    total: int  # people in the directory
    per_page: int = PAGE_SIZE
    first_id: int | None = None
    last_id: int | None = None
    has_previous: bool = False
    has_next: bool = False


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


def people_page(search: str = "", after: int | None = None, before: int | None = None,
                last: bool = False, per_page: int = PAGE_SIZE) -> PeoplePage:
    """People matching ``search`` (name, email, department, title), active first, by
    department, name and id: the page after the person with id ``after``, the page before
    ``before``, the last page, or the first. Paged by key (an index walk that starts
    where the page starts, however deep), in a constant number of queries."""
    listed = _search(Person.select().where(Person.external == False), search)  # noqa: E712
    total = Person.select().where(Person.external == False).count()  # noqa: E712
    matching = listed.count() if search else total
    key = _listing_key(after if after is not None else before)
    if key is not None:
        rows = _walk(listed, key, forward=before is None, limit=per_page)
    elif last:
        rows = _walk(listed, None, forward=False, limit=(matching % per_page) or per_page)
    else:
        rows = _walk(listed, None, forward=True, limit=per_page)
    ahead = _count_before(listed, _listing_key_of(rows[0])) if rows else 0
    pages = max(1, -(-matching // per_page))
    return PeoplePage(_entries(rows), min(pages, ahead // per_page + 1), pages, matching,
                      total, per_page, first_id=rows[0].id if rows else None,
                      last_id=rows[-1].id if rows else None,
                      has_previous=ahead > 0, has_next=ahead + len(rows) < matching)


# The listing's order: the active people (part 0), then those who left (part 1); in each
# part by department, name and id. Each part is one range of the index
# person(active, department, name, id), walked from where a page starts.
_ORDER = (Person.department, Person.name, Person.id)


def _listing_key(person_id) -> tuple | None:
    """``(part, (department, name, id))`` of a person of the directory, or None."""
    try:
        found = (Person.select(Person.id, Person.active, *_ORDER)
                 .where(Person.id == statements.row_id(person_id)).first())
    except (TypeError, ValueError):
        return None
    return _listing_key_of(found) if found is not None else None


def _listing_key_of(p: Person) -> tuple:
    return (0 if p.active else 1, (p.department, p.name, p.id))


def _part(query, part: int):
    return query.where(Person.active == (part == 0))


def _walk(query, key: tuple | None, forward: bool, limit: int) -> list[Person]:
    """Up to ``limit`` people right after (``forward``) or right before ``key`` in the
    listing's order (from the start or the end without one), in that order."""
    parts = (0, 1) if forward else (1, 0)
    rows: list[Person] = []
    for part in parts:
        if len(rows) >= limit:
            break
        if key is not None and (part < key[0] if forward else part > key[0]):
            continue  # a part wholly on the other side of the key
        q = _part(query, part)
        if key is not None and part == key[0]:
            row, mark = pw.Tuple(*_ORDER), pw.Tuple(*key[1])
            q = q.where(row > mark if forward else row < mark)
        order = _ORDER if forward else tuple(c.desc() for c in _ORDER)
        rows += list(q.order_by(*order).limit(limit - len(rows)))
    return rows if forward else rows[::-1]


def _count_before(query, key: tuple) -> int:
    """How many people of ``query`` come before ``key`` in the listing's order."""
    ahead = _part(query, 0).count() if key[0] == 1 else 0
    return ahead + _part(query, key[0]).where(pw.Tuple(*_ORDER) < pw.Tuple(*key[1])).count()


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
    directory into the page. One statement (a task page opens it), the chain read by key
    and the people through the ``manager_id`` index."""
    rows = server_prepared.execute(_NEAR.format(p=db.obj.param),
                                   [normalize_email(email), False, int(limit)])
    return [(e, describe(name, title, department)) for e, name, title, department in rows]


# "active <> false" rather than "active = true": SQLite (no statistics) would otherwise read
# every active person through the (active, department, ...) index instead of the few the
# chain names through ``manager_id``.
_NEAR = ('WITH me AS (SELECT p."id", p."manager_id", b."manager_id" AS "skip_id" '
         'FROM "person" p LEFT JOIN "person" b ON p."manager_id" = b."id" '
         'WHERE p."email" = {p}) '
         'SELECT n."email", n."name", n."title", n."department" FROM me, "person" n '
         'WHERE (n."manager_id" IN (me."id", me."manager_id", me."skip_id") '
         'OR n."id" = me."manager_id") AND n."active" <> {p} AND n."id" <> me."id" '
         'ORDER BY n."name", n."email" LIMIT {p}')


def picker_search(text: str, limit: int = SEARCH_LIMIT) -> list[tuple[str, str]]:
    """Active people whose name or email contains ``text`` (two characters at least), by
    name: what the picker offers as someone types."""
    text = text.strip()
    return picker_options(text, limit) if len(text) >= 2 else []
