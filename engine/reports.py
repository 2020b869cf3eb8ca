"""A cycle's report: how far each step has got, per department and per manager, who is
overdue, and how the answers to every rating or choice question are spread.

A constant number of queries whatever the cycle's size (aggregates in SQL; one query per
charted question of the cycle's forms, a number the definition fixes), so a cycle of
10,000 people reports as fast as one of ten.

Who sees what (the reading rules of :mod:`engine.visibility`, applied to counts):

- HR sees the whole cycle; anyone else only the processes about their direct reports.
- The holders of an ``anonymous`` task line are never named: their overdue tasks are
  counted as "anonymous reviewers".
- A question of an anonymous line is charted only when at least the workflow's anonymity
  threshold of people in scope answered it; ``private`` fields are charted for HR only.
- Someone who is not HR sees the spread of the answers they wrote themselves (a manager's
  own ratings of their people), never others' answers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from engine import directory, queries, roles, statements, versions, visibility
from engine.clock import utc
from engine.connection import is_postgres
from engine.directory import People
from engine.errors import NotFound
from engine.queries.items import CycleItem, stored_datetime
from engine.store import Task, TaskStatus, db

#: A numeric question is charted when it has at most this many possible values.
MAX_SCALE = 11
#: Rows a page of the per-manager and overdue-holder tables shows (a 10,000-person cycle
#: has some 1,500 managers: the whole table was a third of a megabyte of HTML).
ROWS_PER_PAGE = 25


@dataclass(frozen=True)
class Scope:
    """Which processes of the cycle a report covers (all filters optional)."""

    department: str = ""
    manager: str = ""  # the subject's manager, by email
    state: str = ""


@dataclass(frozen=True)
class Pages:
    """Which page of each long table a report shows (1 is the first)."""

    managers: int = 1
    holders: int = 1


@dataclass
class Paged:
    """One page of a table the report counts whole: the counts sum the scope, only the rows
    shown are :data:`ROWS_PER_PAGE` at a time. Iterates over the page's rows."""

    rows: list = field(default_factory=list)
    page: int = 1
    total: int = 0

    @classmethod
    def of(cls, rows: list, page: int) -> Paged:
        paged = cls(total=len(rows))
        paged.page = min(max(1, page), paged.pages)  # past the end: the last page
        start = (paged.page - 1) * ROWS_PER_PAGE
        paged.rows = rows[start:start + ROWS_PER_PAGE]
        return paged

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / ROWS_PER_PAGE))

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class StepRow:
    state: str
    title: str
    form_id: str
    submitted: int = 0
    open: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.submitted + self.open

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0


@dataclass
class GroupRow:
    """Processes of one department or one manager's team."""

    key: str
    label: str
    processes: int = 0
    finished: int = 0
    open_tasks: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class HolderRow:
    email: str
    name: str
    overdue: int
    oldest_due: datetime | None


@dataclass
class Distribution:
    """How the answers to one question are spread: (label, count) per possible value."""

    form_id: str
    form_title: str
    field: str
    title: str
    buckets: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(n for _, n in self.buckets)

    @property
    def peak(self) -> int:
        return max((n for _, n in self.buckets), default=0)


@dataclass
class Report:
    cycle: CycleItem
    scope: Scope
    is_hr: bool
    processes: int = 0
    finished: int = 0
    by_state: list[tuple[str, str, int]] = field(default_factory=list)  # name, title, n
    steps: list[StepRow] = field(default_factory=list)
    departments: list[GroupRow] = field(default_factory=list)
    managers: Paged = field(default_factory=Paged)  # of GroupRow, by name
    holders: Paged = field(default_factory=Paged)  # of HolderRow, most overdue first
    anonymous_overdue: int = 0
    distributions: list[Distribution] = field(default_factory=list)
    choices: dict = field(default_factory=dict)  # filter values: departments, states


def cycle_report(cycle_id, viewer: str, scope: Scope = Scope(),
                 now: datetime | None = None, pages: Pages = Pages()) -> Report:
    """The report of cycle ``cycle_id`` as ``viewer`` may see it, its long tables at
    ``pages``; raise ``NotFound``."""
    cycle = queries.cycle(cycle_id)
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id}")
    me = directory.person(viewer)
    is_hr = roles.is_hr(me.email, People())
    spec = versions.version_for(cycle.definition_id).spec
    report = Report(cycle, scope, is_hr)
    where, params = _scope_sql(cycle.id, scope, None if is_hr else me.id)
    now = utc(now)
    _processes(report, spec, where, params)
    _tasks(report, spec, where, params, now)
    _groups(report, where, params, now, pages.managers)
    if any(step.overdue for step in report.steps):  # else no one holds an overdue task
        _holders(report, spec, where, params, now, pages.holders)
    _distributions(report, spec, where, params, None if is_hr else me.id)
    return report


def _scope_sql(cycle_id: int, scope: Scope, manager_id: int | None) -> tuple[str, list]:
    """SQL over instance ``i`` and its subject ``p`` selecting the report's processes."""
    p = db.obj.param
    where, params = [f'i."cycle_id" = {p}'], [cycle_id]
    if manager_id is not None:  # not HR: only one's own people
        where.append(f'p."manager_id" = {p}')
        params.append(manager_id)
    if scope.department:
        where.append(f'p."department" = {p}')
        params.append(scope.department)
    if scope.manager:
        where.append(f'p."manager_id" = (SELECT m."id" FROM "person" m WHERE m."email" = {p})')
        params.append(directory.normalize_email(scope.manager))
    if scope.state:
        where.append(f'i."state" = {p}')
        params.append(scope.state)
    return " AND ".join(where), params


_FROM = 'FROM "instance" i JOIN "person" p ON i."subject_id" = p."id" '


def _scope_from(where: str) -> str:
    """FROM the report's processes ``i``, joined to their subjects ``p`` only where the
    scope asks about them (:func:`_scope_sql` names them ``p."..."``): HR's whole-cycle
    report does not, and the join cost each of its queries a read of every subject."""
    return _FROM if 'p."' in where else 'FROM "instance" i '


def _state_title(spec, name: str) -> str:
    state = spec.states.get(name)
    return (state.title if state and state.title else name.replace("_", " ").capitalize())


def _processes(report: Report, spec, where: str, params: list) -> None:
    sql = (f'SELECT i."state", i."status", COUNT(*) {_scope_from(where)} WHERE {where} '
           'GROUP BY i."state", i."status"')
    counts: dict[str, int] = {}
    for state, status, n in db.execute_sql(sql, params).fetchall():
        counts[state] = counts.get(state, 0) + n
        report.processes += n
        report.finished += n if status != "running" else 0
    order = [s for s in spec.states if s in counts] + sorted(set(counts) - set(spec.states))
    report.by_state = [(s, _state_title(spec, s), counts[s]) for s in order]


def _overdue_case(now: datetime) -> tuple[str, list]:
    p = db.obj.param
    return (f'CASE WHEN t."status" = {p} AND t."due_at" < {p} THEN 1 ELSE 0 END',
            [TaskStatus.OPEN.value, _stored(now)])


def _stored(now: datetime):
    return Task.due_at.db_value(now)


def _tasks(report: Report, spec, where: str, params: list, now: datetime) -> None:
    """Completion per step: each task line's submitted and open tasks."""
    overdue, o_params = _overdue_case(now)
    sql = (f'SELECT t."state", t."task_key", t."form_id", t."status", COUNT(*), '
           f'SUM({overdue}) FROM "task" t WHERE {_in_scope(where)} AND '
           f'{_by_instance(_TASK_STATUS)} IN ({db.obj.param}, {db.obj.param}) '
           'GROUP BY t."state", t."task_key", t."form_id", t."status"')
    rows: dict[tuple, StepRow] = {}
    for state, key, form_id, status, n, late in db.execute_sql(
            sql, [*o_params, *params, TaskStatus.OPEN.value, TaskStatus.SUBMITTED.value]):
        line = visibility.line_for(spec, state, key)
        title = (line.title if line and line.title else None) or _form_title(report, form_id)
        row = rows.setdefault((state, key), StepRow(state, title, form_id))
        if status == TaskStatus.OPEN:
            row.open += n
            row.overdue += int(late or 0)
        else:
            row.submitted += n
    order = {name: i for i, name in enumerate(spec.states)}
    report.steps = sorted(rows.values(), key=lambda r: (order.get(r.state, len(order)),
                                                        r.title))


_TASK_STATUS = 't."status"'


def _in_scope(where: str) -> str:
    """A condition on task ``t``: its process is one of the report's, written so that each
    database reads this cycle's tasks by instance (PostgreSQL otherwise hashed all of the
    million tasks for the join; ``ANY(ARRAY(...))`` makes it an index scan)."""
    return statements.of_instances(f'SELECT i."id" {_scope_from(where)} WHERE {where}')


def _by_instance(column: str) -> str:
    """``column`` in a condition that must not pick the task table's index on it: SQLite
    would otherwise read every open or submitted task of every cycle (a million rows)
    rather than this cycle's tasks by instance (its unary ``+`` hides the index)."""
    return column if is_postgres() else f"+{column}"


def _form_title(report: Report, form_id: str) -> str:
    version = versions.version_for(report.cycle.definition_id)
    form = version.forms.get(form_id)
    return (form.title if form is not None and form.title else None) or form_id


def _groups(report: Report, where: str, params: list, now: datetime, page: int) -> None:
    """Processes, finished ones, open and overdue tasks per department and per manager
    (named in the query: building a person for each of a big cycle's managers cost more
    than counting)."""
    p = db.obj.param
    # The processes read once, and each one's open tasks (only those: a join of every task
    # of the cycle cost more than the rest of the report) counted by instance, then both
    # added up per group (joining each count back to its instance and subject took twice
    # as long on PostgreSQL: it planned for a handful of rows).
    in_scope = statements.of_instances('SELECT "id" FROM scope')
    sql = ('WITH scope AS MATERIALIZED (SELECT i."id" AS "id", i."status" AS "status", '
           f'p."department" AS "department", p."manager_id" AS "manager_id" {_FROM} '
           f'WHERE {where}), '
           'open_tasks AS MATERIALIZED (SELECT t."instance_id" AS "instance_id", '
           f'COUNT(*) AS "n", SUM(CASE WHEN t."due_at" < {p} THEN 1 ELSE 0 END) AS "late" '
           f'FROM "task" t WHERE {in_scope} AND t."status" = {p} GROUP BY t."instance_id") '
           'SELECT s."department", s."manager_id", m."email", m."name", COUNT(*), '
           f'SUM(CASE WHEN s."status" <> {p} THEN 1 ELSE 0 END), SUM(o."n"), SUM(o."late") '
           'FROM scope s LEFT JOIN open_tasks o ON o."instance_id" = s."id" '
           'LEFT JOIN "person" m ON m."id" = s."manager_id" '
           'GROUP BY s."department", s."manager_id", m."email", m."name"')
    departments: dict[str, GroupRow] = {}
    managers: dict[int | None, GroupRow] = {}

    def add(department, manager_id, **counts) -> None:
        for table, key in ((departments, department or ""), (managers, manager_id)):
            row = table.setdefault(key, GroupRow("", "—"))
            for name, n in counts.items():
                setattr(row, name, getattr(row, name) + int(n or 0))

    for department, manager_id, email, name, n, done, open_n, late in db.execute_sql(
            sql, [*params, _stored(now), TaskStatus.OPEN.value, "running"]):
        add(department, manager_id, processes=n, finished=done, open_tasks=open_n,
            overdue=late)
        if email is not None:
            managers[manager_id].key, managers[manager_id].label = email, name
    for key, row in departments.items():
        row.key, row.label = key, key or "—"
    report.departments = sorted(departments.values(), key=lambda r: r.label.lower())
    report.managers = Paged.of(sorted(managers.values(),
                                      key=lambda r: (r.label.lower(), r.key)), page)
    report.choices = {"departments": sorted(k for k in departments if k),
                      "states": [(s, t) for s, t, _ in report.by_state]}


def _holders(report: Report, spec, where: str, params: list, now: datetime,
             page: int) -> None:
    """Overdue open tasks by holder; holders of anonymous lines are only counted."""
    p = db.obj.param
    sql = (f'SELECT a."email", a."name", t."state", t."task_key", COUNT(*), MIN(t."due_at") '
           f'FROM "task" t JOIN "person" a ON t."assignee_id" = a."id" '
           f'WHERE {_in_scope(where)} AND t."status" = {p} AND t."due_at" < {p} '
           'GROUP BY a."email", a."name", t."state", t."task_key"')
    holders: dict[str, list] = {}
    for email, name, state, key, n, oldest in db.execute_sql(
            sql, [*params, TaskStatus.OPEN.value, _stored(now)]):
        line = visibility.line_for(spec, state, key)
        if line is not None and line.anonymous:
            report.anonymous_overdue += n
            continue
        entry = holders.setdefault(email, [name, 0, None])
        entry[1] += n
        oldest = stored_datetime(oldest)
        entry[2] = oldest if entry[2] is None or (oldest and oldest < entry[2]) else entry[2]
    report.holders = Paged.of(sorted((HolderRow(e, name, n, oldest)
                                      for e, (name, n, oldest) in holders.items()),
                                     key=lambda h: (-h.overdue, h.oldest_due or now, h.name)),
                              page)


def charted_questions(form) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(field, title, [(stored value, label)]) of a form's top-level questions that a
    chart can show: choices, yes/no, whole numbers on a short scale, and computed numbers
    (a weighted score: :data:`BANDED`, charted in bands of the values given)."""
    out = []
    computed_numbers = _computed_numbers(form)
    for name, prop in (form.schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        title = prop.get("title") if isinstance(prop.get("title"), str) else name
        options = _options(prop)
        if options:
            out.append((name, title, options))
        elif name in computed_numbers:
            out.append((name, title, BANDED))
    return out


#: The options of a computed number (a weighted score): charted in bands of its values.
BANDED: list[tuple[str, str]] = []
#: How many bands a computed number's chart has at most.
BANDS = 6


def _computed_numbers(form) -> set[str]:
    """Top-level computed values of ``form`` that are numbers (``score``), but those a
    rule pins (the weights in total, which a rule holds at 100: a chart of one bar)."""
    props = form.schema.get("properties") or {}
    pinned = {w for rule in getattr(form, "rules", ()) for w in re.findall(r"\w+", rule.check)}
    return {path for path, _text in getattr(form, "computed", ())
            if path in props and props[path].get("type") in ("number", "integer")
            and path not in pinned}


def banded(counts: list[tuple]) -> list[tuple[str, int]]:
    """(label, count) of a computed number's answers in up to :data:`BANDS` equal bands
    between the lowest and the highest value given ("80–90": at least 80, below 90; the
    last band includes its top)."""
    values = [(float(v), n) for v, n in counts
              if isinstance(v, int | float | str) and _is_number(v)]
    if not values:
        return []
    low, high = min(v for v, _ in values), max(v for v, _ in values)
    if low == high:
        return [(_plain(low), sum(n for _, n in values))]
    step = _nice_step((high - low) / BANDS)
    start = step * (low // step)
    edges = []
    while start <= high:
        edges.append(start)
        start += step
    buckets = [0] * len(edges)
    for v, n in values:
        buckets[min(int((v - edges[0]) // step), len(edges) - 1)] += n
    return [(f"{_plain(e)}–{_plain(e + step)}", n) for e, n in zip(edges, buckets, strict=True)]


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _nice_step(raw: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least ``raw``."""
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power  # pragma: no cover


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _options(prop: dict) -> list[tuple[str, str]]:
    kind = prop.get("type")
    if isinstance(prop.get("enum"), list):
        return [(_key(v), str(v)) for v in prop["enum"]]
    alternatives = prop.get("oneOf") or prop.get("anyOf")
    if isinstance(alternatives, list) and all(isinstance(a, dict) and "const" in a
                                              for a in alternatives):
        return [(_key(a["const"]), str(a.get("title", a["const"]))) for a in alternatives]
    if kind == "boolean":
        return [("true", "Yes"), ("false", "No")]
    low, high = prop.get("minimum"), prop.get("maximum")
    if kind == "integer" and isinstance(low, int) and isinstance(high, int) \
            and 0 < high - low + 1 <= MAX_SCALE:
        return [(_key(v), str(v)) for v in range(low, high + 1)]
    return []


def _key(value, boolean: bool = False) -> str:
    """One spelling of a stored JSON value, whatever the database's JSON functions give
    (SQLite answers ``true`` as 1, PostgreSQL's ``->>`` answers text)."""
    if boolean:
        return "true" if value in (True, 1, "true") else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json_value(column: str, name: str) -> str:
    if is_postgres():
        return f'(({column})::jsonb ->> {_literal(name)})'
    return f"json_extract({column}, {_literal('$.' + _quoted(name))})"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _charted_lines(spec) -> list[tuple]:
    """(form id, anonymous?, private fields) of every task line, once per form."""
    seen: dict[str, tuple] = {}
    for state in spec.states.values():
        for line in state.tasks:
            anonymous, private = seen.get(line.form, (False, frozenset()))
            seen[line.form] = (anonymous or line.anonymous, private | set(line.private))
    return [(form, a, p) for form, (a, p) in seen.items()]


def _distributions(report: Report, spec, where: str, params: list,
                   author_id: int | None) -> None:
    """One chart per charted question, over the latest answer of each person and task:
    one query for every form, the latest answers read once (a materialized CTE) and
    counted per question (a query per question, each reading every answer to its form,
    had the report of a 10,000-person cycle take seconds)."""
    version = versions.version_for(report.cycle.definition_id)
    limit = visibility.threshold(spec)
    charted = []  # (form, anonymous, [(name, title, options)])
    for form_id, anonymous, private in _charted_lines(spec):
        form = version.forms.get(form_id)
        if form is None or (anonymous and author_id is not None):
            continue  # others' anonymous answers: the pages show them per process only
        questions = [q for q in charted_questions(form)
                     if not (q[0] in private and author_id is not None)]
        if questions:
            charted.append((form, anonymous, questions))
    if not charted:
        return
    counts = _question_counts([(f.id, [q[0] for q in qs]) for f, _, qs in charted], where,
                              params, author_id)
    for form, anonymous, questions in charted:
        for name, title, options in questions:
            boolean = (form.schema["properties"][name].get("type") == "boolean")
            found: dict[str, int] = {}
            for v, n in counts.get((form.id, name), ()):
                if v is not None:
                    found[_key(v, boolean)] = found.get(_key(v, boolean), 0) + n
            if options is BANDED:
                buckets = banded(list(found.items()))
            else:
                buckets = [(label, found.get(key, 0)) for key, label in options]
            total = sum(n for _, n in buckets)
            if not total or (anonymous and total < limit):
                continue
            report.distributions.append(Distribution(form.id, _form_title(report, form.id),
                                                     name, title, buckets))


def _question_counts(questions: list[tuple[str, list[str]]], where: str, params: list,
                     author_id: int | None) -> dict[tuple[str, str], list[tuple]]:
    """{(form id, question): [(stored value, count)]} over the latest answer of each
    person and task to each form, in the report's processes (a calibrated revision
    replaces its original: it is the later row)."""
    p = db.obj.param
    forms = [form_id for form_id, _ in questions]
    # PostgreSQL parses each answer once (to jsonb) and looks its questions up in it;
    # SQLite reads each answer's JSON once for all its questions (json_extract per
    # question would parse it again for each)
    data = 's."data"::jsonb' if is_postgres() else 's."data"'
    latest = (f'SELECT s."form_id" AS f, {data} AS d {_scope_from(where)} JOIN "submission" s '
              f'ON s."instance_id" = i."id" WHERE {where} AND s."form_id" IN '
              f'({", ".join([p] * len(forms))}) AND NOT EXISTS (SELECT 1 FROM '
              f'"submission" n WHERE n."instance_id" = s."instance_id" AND n."form_id" = '
              f's."form_id" AND n."author_id" = s."author_id" AND (n."task_id" = s."task_id" '
              f'OR (n."task_id" IS NULL AND s."task_id" IS NULL)) AND n."id" > s."id")')
    args = [*params, *forms]
    if author_id is not None:
        latest += f' AND s."author_id" = {p}'
        args.append(author_id)
    if is_postgres():
        # (expanding every answer with jsonb_each_text took twice as long as the lookups)
        pairs = [(form_id, name) for form_id, names in questions for name in names]
        asked = ", ".join([f"({p}, {p})"] * len(pairs))
        args += [v for pair in pairs for v in pair]
        sql = (f'WITH latest AS MATERIALIZED ({latest}) SELECT q."f", q."k", '
               f'latest."d" ->> q."k", COUNT(*) FROM latest JOIN (VALUES {asked}) '
               'AS q("f", "k") ON q."f" = latest."f" GROUP BY 1, 2, 3')
    else:
        conditions = []
        for form_id, names in questions:
            conditions.append(f'(latest."f" = {p} AND j."key" IN '
                              f'({", ".join([p] * len(names))}))')
            args += [form_id, *names]
        sql = (f'WITH latest AS MATERIALIZED ({latest}) SELECT latest."f", j."key", '
               f'j."value", COUNT(*) FROM latest, json_each(latest."d") AS j '
               f'WHERE {" OR ".join(conditions)} GROUP BY latest."f", j."key", j."value"')
    out: dict[tuple[str, str], list[tuple]] = {}
    for form_id, name, value, count in db.execute_sql(sql, args):
        out.setdefault((form_id, name), []).append((value, count))
    return out
