"""The directory: people, their managers and groups, imported from a CSV file.

An import is all or nothing: every row is checked first (email shape, duplicates,
unknown managers, cycles in the manager chain, dates), and a file with any bad row is
rejected with each row's line number. The file may separate its columns with ``,`` or
``;`` (Excel writes ``;`` in Danish and Swedish locales): the header line decides. It is
UTF-8, with or without a byte order mark.

By default an import adds and updates people and never marks anyone as left, so a
partial file is safe. A *sync* (``sync=True``) also marks the active people missing from
the file as left (inactive, never deleted, so their history stays); a sync that would
leave no active HR member, or mark the importing person as left, is refused
(:class:`ImportRefused`, recorded in the directory's history). A file with only its header
line is always refused.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from engine import statements
from engine.clock import utcnow
from engine.errors import ImportRefused, ImportRejected, NotFound
from engine.locking import transaction
from engine.messages import N_
from engine.store import DirectoryEvent, Person, PersonGroup, Task, TaskStatus

REQUIRED_COLUMNS = ("email", "name", "manager_email", "department", "title", "groups")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "start_date", "language")
DELIMITERS = (",", ";")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
# A BCP 47 language tag as HR systems export it: ``da``, ``sv-SE``, ``en_GB``.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
#: The directory group whose members are HR (as in the definitions' ``group:hr``).
HR_GROUP = "hr"
_BATCH = 500


@dataclass(frozen=True)
class ImportSummary:
    """What an import changed (or, from :func:`preview_csv`, would change)."""

    created: int
    updated: int
    deactivated: int
    unchanged: int
    deactivated_hr: int = 0  # of ``deactivated``: members of the group hr
    open_tasks: int = 0  # open tasks held by the people marked as left (need a new holder)
    sync: bool = False

    def __str__(self) -> str:
        return (f"{self.created} added, {self.updated} updated, {self.deactivated} marked "
                f"as left, {self.unchanged} unchanged")


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
    columns: frozenset = frozenset(KNOWN_COLUMNS)  # the optional columns the file has

    def target(self, person: Person) -> dict:
        """The fields ``person`` gets from this row: a column the file does not have keeps
        its value (``start_date``, ``language``, and each attribute not named)."""
        return {
            "name": self.name, "department": self.department, "title": self.title,
            "start_date": self.start_date if "start_date" in self.columns
            else person.start_date,
            "attributes": {**(person.attributes or {}), **self.attributes},
            "language": self.language if "language" in self.columns else person.language,
            "active": True, "external": False,  # a client who joins is in the directory now
        }


@dataclass
class _Plan:
    rows: list[_Row]
    existing: dict[str, Person]
    created: list[_Row] = field(default_factory=list)
    updated: list[_Row] = field(default_factory=list)
    unchanged: int = 0
    gone: list[Person] = field(default_factory=list)
    gone_hr: int = 0
    open_tasks: int = 0
    refusal: str | None = None

    def summary(self, sync: bool) -> ImportSummary:
        return ImportSummary(len(self.created), len(self.updated), len(self.gone),
                             self.unchanged, self.gone_hr, self.open_tasks, sync)


def normalize_email(text: str) -> str:
    """Emails compare case-insensitively; store them lower-cased and stripped."""
    return (text or "").strip().lower()


def decode(data: bytes) -> str:
    """The text of an uploaded directory file: UTF-8 with or without a BOM, else
    ``ImportRejected`` naming the line and column of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ImportRejected([(line, N_(
            "column %(column)d: the file is not UTF-8 text (byte 0x%(byte)s cannot be read); "
            "save it as \"CSV UTF-8\" and import it again", column=column,
            byte=format(data[exc.start], "02x")))]) from None


def import_people(path: str | Path, now: datetime | None = None, *, sync: bool = False,
                  actor: str | None = None) -> ImportSummary:
    """Import a directory CSV file; all or nothing (see :func:`import_csv`)."""
    return import_csv(decode(Path(path).read_bytes()), now, sync=sync, actor=actor)


def import_csv(text: str, now: datetime | None = None, *, sync: bool = False,
               actor: str | None = None) -> ImportSummary:
    """Import directory CSV text; all or nothing (``ImportRejected`` lists bad rows).

    Adds and updates people; with ``sync`` also marks the active people missing from the
    file as left. ``actor`` (an email) is who imports, for the history and for the rule
    that a sync never marks its own importer as left.
    """
    rows, errors = _parse(text)
    now = now or utcnow()
    with transaction():
        plan = _plan(rows, errors, sync, actor)
        if plan.refusal is None:
            _apply(plan, now)
            summary = plan.summary(sync)
            _record("synced" if sync else "imported", actor, now,
                    {k: v for k, v in summary.__dict__.items() if k != "sync"})
            return summary
        _record("import-refused", actor, now, {"reason": plan.refusal, "sync": sync})
    raise ImportRefused(plan.refusal)


def preview_csv(text: str, *, sync: bool = False, actor: str | None = None) -> ImportSummary:
    """What :func:`import_csv` would change, without changing anything; raises what it
    would raise (a refusal is not recorded: nothing was attempted)."""
    rows, errors = _parse(text)
    plan = _plan(rows, errors, sync, actor)
    if plan.refusal is not None:
        raise ImportRefused(plan.refusal)
    return plan.summary(sync)


def _record(kind: str, actor: str | None, now: datetime, detail: dict,
            person: Person | None = None) -> None:
    DirectoryEvent.create(at=now, actor=normalize_email(actor) if actor else "system",
                          kind=kind, person=person, detail=detail)


def parse_csv(text: str) -> list[_Row]:
    """Check every row of a directory CSV; raise ``ImportRejected`` listing all bad rows.

    (References to managers are checked against the directory too, in :func:`import_csv`.)
    """
    rows, errors = _parse(text)
    _check_managers(rows, {}, errors)
    if errors:
        raise ImportRejected(sorted(set(errors)))
    return rows


def _parse(text: str) -> tuple[list[_Row], list[tuple[int, str]]]:
    """The good rows and the errors of the bad ones (a bad header raises at once)."""
    text = text.removeprefix("\ufeff")
    delimiter = _sniff(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise ImportRejected([(1, N_("unreadable CSV: %(problem)s", problem=str(exc)))]) \
            from None
    _check_header(header, delimiter)
    errors: list[tuple[int, str]] = []
    rows = _read_rows(reader, header, errors)
    if not rows and not errors:
        raise ImportRejected([(1, N_("the file has only the header line and no people; "
                                     "nothing was imported"))])
    return rows, errors


def _sniff(text: str) -> str:
    """The delimiter the header line uses: the one of ``,`` and ``;`` naming more columns."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise ImportRejected([(1, N_("the file is empty (expected a header line: "
                                     "%(columns)s)", columns=",".join(REQUIRED_COLUMNS)))])
    best, best_known = None, 0
    for delimiter in DELIMITERS:
        cells = next(csv.reader([first], delimiter=delimiter))
        known = len({c.strip().lower() for c in cells} & set(REQUIRED_COLUMNS))
        if len(cells) > 1 and known > best_known:
            best, best_known = delimiter, known
    if best is None:
        shown = first if len(first) <= 80 else first[:77] + "..."
        raise ImportRejected([(1, N_(
            "the header line is not a directory header: expected the columns %(columns)s "
            "separated by ',' or ';' (found %(found)s)", columns=",".join(REQUIRED_COLUMNS),
            found=repr(shown)))])
    return best


def _check_header(header: list[str], delimiter: str) -> None:
    first: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name and name in first:
            raise ImportRejected([(1, N_(
                "column %(column)d: the column %(name)s appears twice (first as column "
                "%(first)d); keep one of them", column=column, name=repr(name),
                first=first[name]))])
        first.setdefault(name, column)
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRejected([(1, N_("missing column(s): %(missing)s (the header must be "
                                     "%(header)s)", missing=", ".join(missing),
                                     header=delimiter.join(REQUIRED_COLUMNS)))])


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
                errors.append((line, N_("duplicate email %(email)s (first on line "
                                        "%(first)d)", email=row.email, first=first)))
                continue
            seen[row.email] = line
            rows.append(row)
    except csv.Error as exc:
        errors.append((reader.line_num, N_("unreadable CSV: %(problem)s", problem=str(exc))))
    return rows


def _row(line: int, header: list[str], values: list[str], errors: list) -> _Row | None:
    if len(values) != len(header):
        errors.append((line, N_("expected %(expected)d columns, found %(found)d",
                                expected=len(header), found=len(values))))
        return None
    cells = {h: v.strip() for h, v in zip(header, values, strict=True)}
    email = normalize_email(cells["email"])
    problems = []
    if not email:
        problems.append(N_("email is missing"))
    elif not EMAIL.match(email):
        problems.append(N_("malformed email %(email)s", email=repr(cells["email"])))
    if not cells["name"]:
        problems.append(N_("name is empty"))
    manager = normalize_email(cells["manager_email"])
    if manager and not EMAIL.match(manager):
        problems.append(N_("malformed manager_email %(email)s",
                           email=repr(cells["manager_email"])))
    start = None
    if cells.get("start_date"):
        try:
            start = date.fromisoformat(cells["start_date"])
        except ValueError:
            problems.append(N_("start_date %(value)s is not a date (use YYYY-MM-DD)",
                               value=repr(cells["start_date"])))
    language = cells.get("language", "").replace("_", "-")
    if language and not LANGUAGE_TAG.match(language):
        problems.append(N_("language %(value)s is not a language tag (use e.g. da, sv or "
                           "en-GB)", value=repr(cells["language"])))
    errors.extend((line, p) for p in problems)
    if problems:
        return None
    attributes = {h: v for h, v in cells.items() if h not in KNOWN_COLUMNS and h}
    return _Row(line, email, cells["name"], manager, cells["department"], cells["title"],
                split_groups(cells["groups"]), start, attributes, _language_tag(language),
                frozenset(header) & frozenset(KNOWN_COLUMNS))


def split_groups(text: str) -> tuple[str, ...]:
    """The groups of a ``groups`` cell, separated by ``;`` (or ``,`` in a ``;`` file)."""
    return tuple(sorted({g.strip() for g in re.split(r"[;,]", text or "") if g.strip()}))


def _language_tag(tag: str) -> str:
    """``DA`` -> ``da``, ``sv-se`` -> ``sv-SE``: the spelling BCP 47 recommends."""
    if not tag:
        return ""
    first, *rest = tag.split("-")
    return "-".join([first.lower(), *(p.upper() if len(p) == 2 else p for p in rest)])


def _check_managers(rows: list[_Row], outside: dict[str, str], errors: list,
                                 known: set[str] | None = None) -> None:
    """Managers must exist (in the file, or in ``known``: the directory's active people
    when the import is not a sync); no chain of managers may loop. ``outside`` maps the
    email of people not in the file to their manager's email."""
    by_email = {r.email: r for r in rows}
    if known is not None:
        for row in rows:
            if row.manager_email and row.manager_email not in by_email \
                    and row.manager_email not in known:
                errors.append((row.line, N_(
                    "unknown manager %(email)s (the manager must be a row of the same file)",
                    email=row.manager_email) if not known else N_(
                    "unknown manager %(email)s (the manager must be a row of the same file or "
                    "an active person of the directory)", email=row.manager_email)))
    chain_of = dict(outside)
    chain_of.update({r.email: r.manager_email for r in rows})
    for row in rows:
        cycle = _cycle_from(row.email, chain_of)
        if cycle:
            errors.append((row.line, N_("cycle in the manager chain: %(chain)s",
                                        chain=" -> ".join(cycle))))


def _cycle_from(email: str, manager_of: dict[str, str]) -> list[str] | None:
    chain = [email]
    current = email
    while manager_of.get(current):
        manager = manager_of[current]
        if manager == email:
            return chain + [email]
        if manager in chain:
            return None  # a cycle further up; reported on its own rows
        chain.append(manager)
        current = manager
    return None


def _current_groups() -> dict[int, set[str]]:
    current: dict[int, set[str]] = {}
    for link in PersonGroup.select(PersonGroup.person, PersonGroup.group):
        current.setdefault(link.person_id, set()).add(link.group)
    return current


def _plan(rows: list[_Row], errors: list, sync: bool, actor: str | None) -> _Plan:
    existing = {p.email: p for p in Person.select()}
    email_of = {p.id: p.email for p in existing.values()}
    groups = _current_groups()
    present = {r.email for r in rows}
    if sync:
        _check_managers(rows, {}, errors, known=set())
    else:
        outside = {e: email_of.get(p.manager_id, "") for e, p in existing.items()
                   if e not in present}
        active = {e for e, p in existing.items() if p.active}
        _check_managers(rows, outside, errors, known=active)
    if errors:
        raise ImportRejected(sorted(set(errors)))
    plan = _Plan(rows, existing)
    for row in rows:
        person = existing.get(row.email)
        if person is None:
            plan.created.append(row)
        elif _changed(person, row, email_of.get(person.manager_id, ""),
                      groups.get(person.id, set())):
            plan.updated.append(row)
        else:
            plan.unchanged += 1
    if sync:
        plan.gone = [p for e, p in existing.items() if e not in present and p.active]
    gone = {p.email for p in plan.gone}
    plan.gone_hr = sum(HR_GROUP in groups.get(p.id, ()) for p in plan.gone)
    hr_before = sum(1 for p in existing.values() if p.active and HR_GROUP in groups.get(p.id, ()))
    hr_after = sum(HR_GROUP in r.groups for r in rows) + sum(
        1 for e, p in existing.items() if e not in present and e not in gone and p.active
        and HR_GROUP in groups.get(p.id, ()))
    if plan.gone:
        ids = [p.id for p in plan.gone]
        plan.open_tasks = sum(
            Task.select().where(Task.assignee.in_(chunk)
                                & (Task.status == TaskStatus.OPEN)).count()
            for chunk in _chunks(ids, _BATCH))
    me = normalize_email(actor) if actor else None
    if me and me in gone:
        plan.refusal = N_("the sync would mark you (%(me)s) as left: add your own row to "
                          "the file; nothing was changed", me=me)
    elif hr_before and not hr_after:
        plan.refusal = N_(
            "the sync would leave no active HR member (nobody would be in the group "
            "%(group)s): keep the group %(group)s on at least one person of the file; "
            "nothing was changed", group=HR_GROUP) if sync else N_(
            "the import would leave no active HR member (nobody would be in the group "
            "%(group)s): keep the group %(group)s on at least one person of the file; "
            "nothing was changed", group=HR_GROUP)
    return plan


def _apply(plan: _Plan, now: datetime) -> None:
    existing = plan.existing
    for chunk in _chunks([_fields(r, now) for r in plan.created], _BATCH):
        Person.insert_many(chunk).execute()
    for row in plan.updated:
        _update(existing[row.email], row, now)
    ids = {p.email: p.id for p in Person.select(Person.id, Person.email)}
    _set_managers(plan.rows, existing, ids)
    _set_groups(plan.rows, ids)
    for chunk in _chunks([p.id for p in plan.gone], _BATCH):
        Person.update(active=False, updated_at=now).where(Person.id.in_(chunk)).execute()


def _fields(row: _Row, now: datetime) -> dict:
    return {
        "email": row.email, "name": row.name, "department": row.department,
        "title": row.title, "start_date": row.start_date, "attributes": row.attributes,
        "language": row.language, "active": True, "external": False, "updated_at": now,
    }


def _changed(person: Person, row: _Row, manager_email: str, groups: set[str]) -> bool:
    """Does the row change anything of ``person``: a field, the manager or the groups?"""
    target = row.target(person)
    return (any(getattr(person, name) != value for name, value in target.items())
            or manager_email != row.manager_email or set(groups) != set(row.groups))


def _update(person: Person, row: _Row, now: datetime) -> None:
    Person.update(**row.target(person), updated_at=now).where(Person.id == person.id).execute()


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
    current = _current_groups()
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
        return statements.get_row(Person, statements.row_id(person_id))
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
        self._reports: dict[int, list[Person]] = {}

    def add(self, people: Iterable[Person]) -> None:
        """Remember rows fetched elsewhere."""
        for p in people:
            self.by_id[p.id] = p
            self.by_email[p.email] = p
            self._unknown.discard(p.email)

    def load_ids(self, ids: Iterable[int | None]) -> None:
        """Fetch the rows of ``ids`` not known yet, in one query per batch."""
        missing = sorted({i for i in ids if i is not None and i not in self.by_id})
        if len(missing) == 1:  # the common case in commands: a prepared statement
            self.add(r for r in [statements.get_row(Person, missing[0])] if r is not None)
            return
        for chunk in _chunks(missing, _BATCH):
            self.add(statements.select_in(Person, "id", chunk))

    def load_emails(self, emails: Iterable[str]) -> None:
        """Fetch the rows of ``emails`` not known yet."""
        missing = sorted({normalize_email(e) for e in emails} - set(self.by_email)
                         - self._unknown)
        if len(missing) == 1:
            self.add(statements.select_matching(Person, {"email": missing[0]}))
        else:
            for chunk in _chunks(missing, _BATCH):
                self.add(statements.select_in(Person, "email", chunk))
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

    def reports(self, person_id: int) -> list[Person]:
        """Active direct reports of ``person_id``, by email (cached)."""
        if person_id not in self._reports:
            found = list(Person.select().where((Person.manager == person_id)
                                               & (Person.active == True))  # noqa: E712
                         .order_by(Person.email))
            self.add(found)
            self._reports[person_id] = found
        return self._reports[person_id]

    def under(self, person_id: int) -> list[Person]:
        """Active people under ``person_id`` at any depth (one query per level), by email.

        An inactive person between two levels still links them: a manager who left does
        not cut their team off from the one above."""
        found: dict[int, Person] = {}
        layer, seen = [person_id], {person_id}
        while layer:
            rows = list(Person.select().where(Person.manager.in_(layer)))
            self.add(rows)
            layer = [p.id for p in rows if p.id not in seen]
            seen.update(layer)
            found.update((p.id, p) for p in rows if p.active)
        return sorted(found.values(), key=lambda p: p.email)

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
