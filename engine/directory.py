"""The directory: people, their managers and groups, imported from a CSV file.

An import is all or nothing: every row is checked first (email shape, duplicates,
unknown managers, cycles in the manager chain, dates), and a file with any bad row is
rejected with each row's line number. People missing from a re-import are marked
inactive, never deleted, so their history stays.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from engine import statements
from engine.clock import utcnow
from engine.errors import ImportRejected, NotFound
from engine.locking import transaction
from engine.store import Person, PersonGroup

REQUIRED_COLUMNS = ("email", "name", "manager_email", "department", "title", "groups")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "start_date", "language")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# A BCP 47 language tag as HR systems export it: ``da``, ``sv-SE``, ``en_GB``.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
_BATCH = 500


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed."""

    created: int
    updated: int
    deactivated: int
    unchanged: int


@dataclass
class _Row:
    line: int
    email: str
    name: str
    manager_email: str
    department: str
    title: str
    groups: tuple[str, ...]
    start_date: date | None
    attributes: dict
    language: str = ""


def normalize_email(text: str) -> str:
    """Emails compare case-insensitively; store them lower-cased and stripped."""
    return (text or "").strip().lower()


def import_people(path: str | Path, now: datetime | None = None) -> ImportSummary:
    """Import a directory CSV file; all or nothing."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([(1, f"the file is not UTF-8 text: {exc.reason}")]) from None
    return import_csv(text, now)


def import_csv(text: str, now: datetime | None = None) -> ImportSummary:
    """Import directory CSV text; all or nothing (``ImportRejected`` lists bad rows)."""
    rows = parse_csv(text)
    with transaction():
        return _apply(rows, now or utcnow())


def parse_csv(text: str) -> list[_Row]:
    """Check every row of a directory CSV; raise ``ImportRejected`` listing all bad rows."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRejected([(1, "the file is empty (expected a header line)")]) from None
    except csv.Error as exc:
        raise ImportRejected([(1, f"unreadable CSV: {exc}")]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRejected([(1, f"missing column(s): {', '.join(missing)} "
                                  f"(the header must be {','.join(REQUIRED_COLUMNS)})")])
    errors: list[tuple[int, str]] = []
    rows = _read_rows(reader, header, errors)
    _check_references(rows, errors)
    if errors:
        raise ImportRejected(sorted(errors))
    return rows


def _read_rows(reader, header: list[str], errors: list) -> list[_Row]:
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            row = _row(line, header, values, errors)
            if row is None:
                continue
            if row.email in seen:
                first = seen[row.email]
                errors.append((line, f"duplicate email {row.email} (first on line {first})"))
                continue
            seen[row.email] = line
            rows.append(row)
    except csv.Error as exc:
        errors.append((reader.line_num, f"unreadable CSV: {exc}"))
    return rows


def _row(line: int, header: list[str], values: list[str], errors: list) -> _Row | None:
    if len(values) != len(header):
        errors.append((line, f"expected {len(header)} columns, found {len(values)}"))
        return None
    cells = {h: v.strip() for h, v in zip(header, values, strict=True)}
    email = normalize_email(cells["email"])
    problems = []
    if not email:
        problems.append("email is missing")
    elif not EMAIL.match(email):
        problems.append(f"malformed email {cells['email']!r}")
    if not cells["name"]:
        problems.append("name is empty")
    manager = normalize_email(cells["manager_email"])
    if manager and not EMAIL.match(manager):
        problems.append(f"malformed manager_email {cells['manager_email']!r}")
    start = None
    if cells.get("start_date"):
        try:
            start = date.fromisoformat(cells["start_date"])
        except ValueError:
            problems.append(f"start_date {cells['start_date']!r} is not a date (use YYYY-MM-DD)")
    language = cells.get("language", "").replace("_", "-")
    if language and not LANGUAGE_TAG.match(language):
        problems.append(f"language {cells['language']!r} is not a language tag "
                        "(use e.g. da, sv or en-GB)")
    errors.extend((line, p) for p in problems)
    if problems:
        return None
    groups = tuple(sorted({g.strip() for g in cells["groups"].split(";") if g.strip()}))
    attributes = {h: v for h, v in cells.items() if h not in KNOWN_COLUMNS and h}
    return _Row(line, email, cells["name"], manager, cells["department"], cells["title"],
                groups, start, attributes, _language_tag(language))


def _language_tag(tag: str) -> str:
    """``DA`` -> ``da``, ``sv-se`` -> ``sv-SE``: the spelling BCP 47 recommends."""
    if not tag:
        return ""
    first, *rest = tag.split("-")
    return "-".join([first.lower(), *(p.upper() if len(p) == 2 else p for p in rest)])


def _check_references(rows: list[_Row], errors: list) -> None:
    by_email = {r.email: r for r in rows}
    for row in rows:
        if row.manager_email and row.manager_email not in by_email:
            errors.append((row.line, f"unknown manager {row.manager_email} "
                                     "(the manager must be a row of the same file)"))
    for row in rows:
        cycle = _cycle_from(row, by_email)
        if cycle:
            errors.append((row.line, "cycle in the manager chain: " + " -> ".join(cycle)))


def _cycle_from(row: _Row, by_email: dict) -> list[str] | None:
    chain = [row.email]
    current = row
    while current.manager_email and current.manager_email in by_email:
        if current.manager_email == row.email:
            return chain + [row.email]
        if current.manager_email in chain:
            return None  # a cycle further up; reported on its own rows
        chain.append(current.manager_email)
        current = by_email[current.manager_email]
    return None


def _apply(rows: list[_Row], now: datetime) -> ImportSummary:
    existing = {p.email: p for p in Person.select()}
    created = updated = unchanged = 0
    new_rows = []
    for row in rows:
        person = existing.get(row.email)
        if person is None:
            new_rows.append(_fields(row, now))
            created += 1
        elif _changed(person, row):
            _update(person, row, now)
            updated += 1
        else:
            unchanged += 1
    for chunk in _chunks(new_rows, _BATCH):
        Person.insert_many(chunk).execute()
    ids = {p.email: p.id for p in Person.select(Person.id, Person.email)}
    _set_managers(rows, existing, ids)
    _set_groups(rows, ids)
    present = {r.email for r in rows}
    gone = [p.id for e, p in existing.items() if e not in present and p.active]
    for chunk in _chunks(gone, _BATCH):
        Person.update(active=False, updated_at=now).where(Person.id.in_(chunk)).execute()
    return ImportSummary(created, updated, len(gone), unchanged)


def _fields(row: _Row, now: datetime) -> dict:
    return {
        "email": row.email, "name": row.name, "department": row.department,
        "title": row.title, "start_date": row.start_date, "attributes": row.attributes,
        "language": row.language, "active": True, "updated_at": now,
    }


def _changed(person: Person, row: _Row) -> bool:
    return (person.name, person.department, person.title, person.start_date,
            person.attributes, person.language, person.active) != (
        row.name, row.department, row.title, row.start_date, row.attributes, row.language, True)


def _update(person: Person, row: _Row, now: datetime) -> None:
    fields = _fields(row, now)
    del fields["email"]
    Person.update(**fields).where(Person.id == person.id).execute()


def _set_managers(rows: list[_Row], existing: dict, ids: dict) -> None:
    wanted: dict[int | None, list[int]] = {}
    for row in rows:
        manager_id = ids[row.manager_email] if row.manager_email else None
        old = existing.get(row.email)
        if old is not None and old.manager_id == manager_id:
            continue
        wanted.setdefault(manager_id, []).append(ids[row.email])
    for manager_id, people in wanted.items():
        for chunk in _chunks(people, _BATCH):
            Person.update(manager=manager_id).where(Person.id.in_(chunk)).execute()


def _set_groups(rows: list[_Row], ids: dict) -> None:
    current: dict[int, set[str]] = {}
    for link in PersonGroup.select(PersonGroup.person, PersonGroup.group):
        current.setdefault(link.person_id, set()).add(link.group)
    add, remove = [], []
    for row in rows:
        pid = ids[row.email]
        have, want = current.get(pid, set()), set(row.groups)
        add += [{"person": pid, "group": g} for g in sorted(want - have)]
        remove += [(pid, g) for g in have - want]
    for chunk in _chunks(add, _BATCH):
        PersonGroup.insert_many(chunk).execute()
    for pid, group in remove:
        PersonGroup.delete().where(
            (PersonGroup.person == pid) & (PersonGroup.group == group)).execute()


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ------------------------------------------------------------------ lookups


def person(email: str) -> Person:
    """The person with ``email`` (any case); raise ``NotFound``."""
    found = person_by_email(email)
    if found is None:
        raise NotFound(f"no person {email!r} in the directory")
    return found


def person_by_email(email: str) -> Person | None:
    """The person with ``email`` (any case), or None."""
    found = statements.select_matching(Person, {"email": normalize_email(email)})
    return found[0] if found else None


def person_by_id(person_id) -> Person | None:
    """The person with id ``person_id``, or None (also for ids that are not numbers)."""
    try:
        return statements.get_row(Person, int(person_id))
    except (TypeError, ValueError):
        return None


def is_active(person: Person | None) -> bool:
    """Is this person in the directory's latest import (people who left are inactive)?"""
    return person is not None and bool(person.active)


def groups_of(person_id: int) -> set[str]:
    """Names of the groups a person belongs to."""
    return {row.group for row in statements.select_matching(PersonGroup, {"person": person_id})}


class People:
    """Person rows fetched in bulk and kept for one command (no query per row)."""

    def __init__(self):
        self.by_id: dict[int, Person] = {}
        self.by_email: dict[str, Person] = {}
        self._groups: dict[str, list[Person]] = {}
        self._member_of: dict[int, set[str]] = {}
        self._unknown: set[str] = set()  # emails looked up and not in the directory

    def add(self, people: Iterable[Person]) -> None:
        """Remember rows fetched elsewhere."""
        for p in people:
            self.by_id[p.id] = p
            self.by_email[p.email] = p

    def load_ids(self, ids: Iterable[int | None]) -> None:
        """Fetch the rows of ``ids`` not known yet, in one query per batch."""
        missing = sorted({i for i in ids if i is not None and i not in self.by_id})
        if len(missing) == 1:  # the common case in commands: a prepared statement
            self.add(r for r in [statements.get_row(Person, missing[0])] if r is not None)
            return
        for chunk in _chunks(missing, _BATCH):
            self.add(statements.fetch(Person, Person.select().where(Person.id.in_(chunk))))

    def load_emails(self, emails: Iterable[str]) -> None:
        """Fetch the rows of ``emails`` not known yet."""
        missing = sorted({normalize_email(e) for e in emails} - set(self.by_email)
                         - self._unknown)
        if len(missing) == 1:
            self.add(statements.select_matching(Person, {"email": missing[0]}))
        else:
            for chunk in _chunks(missing, _BATCH):
                self.add(Person.select().where(Person.email.in_(chunk)))
        self._unknown.update(e for e in missing if e not in self.by_email)

    def get(self, person_id: int | None) -> Person | None:
        """The row of ``person_id`` (fetched if needed)."""
        if person_id is None:
            return None
        if person_id not in self.by_id:
            self.load_ids([person_id])
        return self.by_id.get(person_id)

    def find(self, email: str) -> Person | None:
        """The row of ``email`` (fetched if needed)."""
        email = normalize_email(email)
        if email not in self.by_email and email not in self._unknown:
            self.load_emails([email])
        return self.by_email.get(email)

    def preload_chains(self, people: Iterable[Person], depth: int) -> None:
        """Fetch managers ``depth`` levels up for all ``people`` (one query per level)."""
        layer = list(people)
        for _ in range(depth):
            ids = [p.manager_id for p in layer if p.manager_id]
            self.load_ids(ids)
            layer = [self.by_id[i] for i in ids if i in self.by_id]

    def group(self, name: str) -> list[Person]:
        """Active members of directory group ``name``, by email."""
        if name not in self._groups:
            query = (Person.select().join(PersonGroup)
                     .where((PersonGroup.group == name) & (Person.active == True))  # noqa: E712
                     .order_by(Person.email))
            members = list(query)
            self.add(members)
            self._groups[name] = members
        return self._groups[name]

    def load_groups(self, names: Iterable[str]) -> None:
        """Fetch the active members of several groups in one query (for :meth:`group`)."""
        wanted = sorted(set(names) - set(self._groups))
        if not wanted:
            return
        found: dict[str, list[Person]] = {n: [] for n in wanted}
        query = (Person.select(Person, PersonGroup.group).join(PersonGroup)
                 .where(PersonGroup.group.in_(wanted) & (Person.active == True))  # noqa: E712
                 .order_by(Person.email).objects())
        for p in query:
            found[p.group].append(self.by_id.setdefault(p.id, p))
            self.by_email.setdefault(p.email, p)
        self._groups.update(found)

    def remember_groups(self, person_id: int, groups: Iterable[str]) -> None:
        """Keep the groups of a person read elsewhere (no query for :meth:`groups_of`)."""
        self._member_of[person_id] = set(groups)

    def groups_of(self, person_id: int) -> set[str]:
        """Groups of one person (cached)."""
        if person_id not in self._member_of:
            self._member_of[person_id] = groups_of(person_id)
        return self._member_of[person_id]


def subject_view(person: Person, people: People | None = None, groups=None) -> dict:
    """A person as expressions see it: ``subject.department``, ``subject.manager`` (email)."""
    manager = people.get(person.manager_id) if people is not None else None
    view = dict(person.attributes or {})
    view.update({
        "email": person.email, "name": person.name, "department": person.department,
        "title": person.title, "start_date": person.start_date,
        "manager": manager.email if manager else None, "active": person.active,
        "groups": sorted(groups) if groups is not None else [],
    })
    return view
