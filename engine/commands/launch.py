"""Creating instances: a cycle for a population (launch), or one instance (start).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

import peewee as pw

from engine import connection, roles, statements, versions
from engine.clock import end_of_day
from engine.commands import parents
from engine.commands.base import (
    LAUNCH_BATCH,
    STANDARD_FILTERS,
    SYSTEM,
    CommandResult,
    LaunchResult,
    finish,
    result_of,
    utc,
)
from engine.dates import NONE, CycleDates, DatesInvalid, check_launch_dates
from engine.definitions.specs import Library
from engine.directory import People, normalize_email
from engine.errors import Conflict, NotAllowed, NotFound, ReviewflowError
from engine.lifecycle import Pending, Run, first_timer
from engine.locking import transaction
from engine.store import (
    Cycle,
    EventKind,
    Instance,
    InstanceStatus,
    Person,
    PersonGroup,
)


def _filters(where: Iterable) -> list[tuple[str, str]]:
    out = []
    for item in where or ():
        key, value = item if isinstance(item, tuple | list) else str(item).split("=", 1)
        out.append((str(key).strip(), str(value).strip()))
    return out


def _unindexed(field: pw.Field) -> pw.Node:
    """``field`` as a term no index look-up starts from: ``+field`` on SQLite.

    A launch reads its population in batches of the next people by id. Left to choose,
    SQLite (it keeps no statistics) found them through person(active, department, ...)
    and sorted them: every batch read everyone who matched, so a launch of 100,000
    people read 100,000 rows 200 times. Without an index for these broad terms, it reads
    the primary key in order and stops at the batch's size. PostgreSQL's planner weighs
    the terms by its statistics and needs no hint (nor has unary plus for text).
    """
    if connection.is_postgres():
        return field
    return pw.NodeList((pw.SQL("+"), field), glue="")


def _population(filters: list[tuple[str, str]]):
    """Active people matching every filter key (several values of one key: any of them)."""
    query = Person.select().where(_unindexed(Person.active) == True)  # noqa: E712
    by_key: dict[str, list[str]] = {}
    for key, value in filters:
        by_key.setdefault(key, []).append(value)
    extra = {}
    for key, values in by_key.items():
        if key in ("department", "title"):  # broad: each matches many (email does not)
            query = query.where(_unindexed(getattr(Person, key)).in_(values))
        elif key == "email":
            query = query.where(Person.email.in_([normalize_email(v) for v in values]))
        elif key == "group":
            members = PersonGroup.select(PersonGroup.person).where(PersonGroup.group.in_(values))
            query = query.where(Person.id.in_(members))
        elif key == "manager":
            managers = Person.select(Person.id).where(
                Person.email.in_([normalize_email(v) for v in values]))
            query = query.where(Person.manager.in_(managers))
        else:
            extra[key] = set(values)
    return query, extra


def _check_filters(filters: list[tuple[str, str]]) -> None:
    """An unknown field would silently match nobody: say so instead."""
    for key, _value in filters:
        if key in STANDARD_FILTERS:
            continue
        pattern = pw.Value(f'%"{key}":%', converter=False)  # raw text, not JSON-encoded
        if not Person.select().where(
                pw.Expression(Person.attributes, pw.OP.ILIKE, pattern)).exists():
            raise NotFound(f"no directory field '{key}' (filters: "
                           f"{', '.join(STANDARD_FILTERS)} or a column of the people CSV)")


def check_filters(where: Iterable = ()) -> list[tuple[str, str]]:
    """``where`` as ``(field, value)`` pairs; ``NotFound`` names a field that is neither
    standard nor a column of the directory (it would silently match nobody)."""
    filters = _filters(where)
    _check_filters(filters)
    return filters


def population(where: Iterable = ()) -> list[Person]:
    """Active people a launch with ``where`` would cover, by name (for a preview)."""
    query, extra = _population(_filters(where))
    return [p for p in query.order_by(Person.name, Person.id) if _matches(p, extra)]


def _matches(person: Person, extra: dict) -> bool:
    attrs = person.attributes or {}
    return all(str(attrs.get(key, "")) in values for key, values in extra.items())


def _cycle(name: str, version: versions.Version, filters, actor: str, now: datetime,
           given: CycleDates, first_day: date | None) -> tuple[Cycle, CycleDates]:
    """The cycle called ``name`` (made now, with ``given`` dates) and the dates it runs
    with. A cycle launched before keeps its dates: others given now are a conflict."""
    if not name or not name.strip():
        raise ReviewflowError("a cycle needs a name (--cycle NAME)")
    found = Cycle.get_or_none(Cycle.name == name)
    if found is not None:
        _same_workflow(found, version)
        stored = CycleDates.read(found.dates)
        if given != NONE and given != stored:
            raise Conflict(f"cycle '{name}' was launched with other dates "
                           f"({_dates_text(stored)}); launch it again without dates, or "
                           "choose another cycle name")
        return found, stored
    problems = check_launch_dates(version.spec, given, now, first_day)
    if problems:
        raise DatesInvalid(problems)
    try:
        with transaction():
            found = Cycle.create(name=name, workflow_id=version.spec.id,
                                 definition=version.definition_id, filters=filters,
                                 created_at=now, created_by=actor, dates=given.stored())
    except pw.IntegrityError:
        found = Cycle.get(Cycle.name == name)
    _same_workflow(found, version)
    return found, CycleDates.read(found.dates)


def _same_workflow(found: Cycle, version: versions.Version) -> None:
    if found.workflow_id != version.spec.id:
        raise Conflict(f"cycle '{found.name}' runs workflow '{found.workflow_id}', "
                       f"not '{version.spec.id}' (choose another cycle name)")


def _dates_text(dates: CycleDates) -> str:
    items = [f"--due {k}={v}" for k, v in dates.states.items()]
    items += [f"--date {k}={v}" for k, v in dates.named.items()]
    return " ".join(items) or "none"


def launch(library: Library, workflow_id: str, cycle: str, where: Iterable = (),
           actor: str = SYSTEM, now: datetime | None = None,
           batch_size: int = LAUNCH_BATCH, due_date: date | None = None,
           dates: CycleDates = NONE) -> LaunchResult:
    """Launch ``workflow_id`` (its current version) for everyone matching ``where``.

    One instance per subject and cycle; launching again adds only the missing subjects.
    The population is streamed in batches, each batch one transaction. ``due_date``: the
    tasks the launch creates are due at the end of that day in the organisation's time
    zone, instead of their ``due`` after now (reminders count back from it). ``dates``:
    a due day per state (whenever the state starts) and the workflow's named dates, kept
    on the cycle; :class:`DatesInvalid` says, by field, what is wrong with them.
    """
    now = utc(now)
    due_at = end_of_day(due_date) if due_date is not None else None
    if due_at is not None and due_at <= now:
        raise ReviewflowError(f"--due-date {due_date.isoformat()} is not in the future")
    version = versions.ensure(library, workflow_id, now)
    filters = _filters(where)
    _check_filters(filters)
    cycle_row, cycle_dates = _cycle(cycle, version, filters, actor, now, dates, due_date)
    query, extra = _population(filters)
    after, first, last = statements.marker(), statements.marker(), statements.marker()
    # built once, run per batch: the next people by id, and who of them has an instance
    people_after = statements.Prepared(
        query.where(Person.id > after).order_by(Person.id).limit(batch_size), after)
    launched = statements.Prepared(Instance.select(Instance.subject).where(
        (Instance.cycle == cycle_row.id) & (Instance.subject > first)
        & (Instance.subject <= last)), first, last)
    created = existing = 0
    last_id = 0
    token = uuid.uuid4().hex[:20]  # + "-<last id>" per batch, within the 40-char column
    while True:
        batch = people_after.objects(Person, last_id)
        if not batch:
            break
        subjects = [p for p in batch if _matches(p, extra)]
        if subjects:
            # a token per batch: the rows this batch inserted are the ones carrying it
            with transaction():
                have = {r[0] for r in launched.execute(last_id, batch[-1].id).fetchall()}
                made = _launch_batch(version, cycle_row, subjects, have,
                                     f"{token}-{batch[-1].id}", actor, now, due_at,
                                     cycle_dates)
            created += made
            existing += len(subjects) - made
        last_id = batch[-1].id
    return LaunchResult(cycle_row.id, cycle_row.name, version.spec.id, version.spec.version,
                        created, existing)


def _launch_batch(version, cycle_row: Cycle, subjects: list[Person], have: set[int],
                  token: str, actor: str, now: datetime, due_at: datetime | None = None,
                  cycle_dates: CycleDates = NONE) -> int:
    """Instances for the ``subjects`` not in ``have`` (inside the caller's transaction)."""
    spec = version.spec
    common = {
        "definition": version.definition_id, "workflow_id": spec.id, "cycle": cycle_row.id,
        "state": spec.initial, "status": InstanceStatus.RUNNING.value, "entry": 1,
        "started_at": now, "entered_at": now, "timer_at": first_timer(spec, spec.initial, now),
        "launch_token": token,
    }
    rows = [dict(common, subject=p.id) for p in subjects if p.id not in have]
    if not rows:
        return 0
    mine = _insert_instances(rows, cycle_row.id, token)
    people = People()
    people.add(subjects)
    people.preload_chains(subjects, roles.chain_depth(spec))
    pending = Pending()
    runs = []
    for row in mine:
        run = Run(row, version, people, now, pending, new=True, cycle_dates=cycle_dates)
        run.event(EventKind.LAUNCHED, actor, to_state=spec.initial, cycle=cycle_row.name,
                  **({"due_at": due_at.isoformat()} if due_at else {}))
        run.due_at = due_at  # the first step's tasks only: later steps count their own
        run.enter(spec.initial)
        run.due_at = None
        run.advance(actor)
        runs.append(run)
    for run in runs:
        run.save()
    pending.flush()
    return len(mine)


_INSTANCE_FIELDS = tuple(Instance._meta.sorted_field_names)


def _insert_instances(rows: list[dict], cycle_id: int, token: str) -> list[Instance]:
    """Insert the batch's instances and return those this batch created, by id (a subject
    launched meanwhile by a concurrent launch is skipped by the unique (cycle, subject))."""
    if not statements.can_return():
        statements.insert_rows(Instance, rows, ignore_conflicts=True)
        return statements.select_matching(Instance, {"cycle": cycle_id, "launch_token": token})
    made = statements.insert_returning(Instance, rows, ("id", "subject"), ignore_conflicts=True)
    by_subject = {row["subject"]: row for row in rows}
    mine = []
    for row_id, subject_id in sorted(made):
        instance = Instance(__no_default__=True)
        # the row as a SELECT would give it back: every column, the ones not written NULL
        instance.__data__ = dict.fromkeys(_INSTANCE_FIELDS)
        instance.__data__.update(by_subject[subject_id], id=row_id)
        mine.append(instance)
    return mine


def start(library: Library, workflow_id: str, subject_email: str, actor: str,
          now: datetime | None = None, parent=None) -> CommandResult:
    """Start one instance of ``workflow_id`` for one person, outside any cycle.

    HR always may; then the roles of the workflow's ``started_by`` (the employee asking
    for feedback about themselves), or, without it, the subject's manager (a PIP).

    While one instance of the workflow runs for the subject, starting it again returns the
    running one (nothing new is created): a second click, or two people starting a PIP at
    once. The subject's row is locked for the check, so racing starts make one instance.
    A workflow with ``parent:`` starts from a running instance (``parent``, an id, or the
    subject's running one) and is linked to it (engine/commands/parents.py).
    """
    now = utc(now)
    actor = normalize_email(actor)
    version = versions.ensure(library, workflow_id, now)
    people = People()
    subject = people.find(subject_email)
    if subject is None or not subject.active:
        raise NotFound(f"no active person {subject_email!r} in the directory")
    spec = version.spec
    needed = spec.dates_needed()
    if needed:
        raise ReviewflowError(f"'{workflow_id}' counts a due from {', '.join(needed)}, "
                              "given at launch: launch it in a cycle (reviewflow launch "
                              f"{workflow_id} --cycle NAME --date {needed[0]}=YYYY-MM-DD)")
    may, who = may_start(spec, subject, actor, people)
    if not may:
        raise NotAllowed(f"{actor} may not start '{workflow_id}' for {subject.email} "
                         f"(only {who} may)")
    with transaction():
        statements.get_row(Person, subject.id, for_update=connection.is_postgres())
        running = (Instance.select().where(
            (Instance.workflow_id == spec.id) & (Instance.subject == subject.id)
            & (Instance.status == InstanceStatus.RUNNING)).order_by(Instance.id).first())
        if running is not None:
            return CommandResult(running.id, running.state, running.status)
        from_row = parents.parent_for(spec, subject, parent)
        row = Instance.create(
            definition=version.definition_id, workflow_id=spec.id, cycle=None,
            subject=subject.id, state=spec.initial, status=InstanceStatus.RUNNING, entry=1,
            started_at=now, entered_at=now, timer_at=first_timer(spec, spec.initial, now),
            parent=from_row.id if from_row else None)
        run = Run(row, version, people, now, Pending(), new=True)
        run.event(EventKind.LAUNCHED, actor, to_state=spec.initial)
        parents.announce_child(run, from_row, actor)
        run.enter(spec.initial)
        run.advance(actor)
        finish(run)
    return result_of(run)


def may_start(spec, subject: Person, actor: str, people: People) -> tuple[bool, str]:
    """May ``actor`` start ``spec`` about ``subject``? And who may, in words."""
    if roles.is_hr(actor, people):
        return True, "HR"
    if spec.started_by:
        who = f"HR or {' or '.join(spec.started_by)}"
        facts = roles.Facts(subject.id, people, {})
        return roles.plays_any(actor, spec.started_by, spec, facts) is not None, who
    manager = people.get(subject.manager_id)
    return bool(manager and manager.email == actor), "HR or the manager"
