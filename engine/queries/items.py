"""The read models' dataclasses and the task-list SQL they share.

Every query function returns these plain dataclasses, never peewee rows.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from engine import connection, server_prepared, versions
from engine.dates import NONE, CycleDates
from engine.definitions.specs import WorkflowSpec
from engine.store import (
    Person,
    Task,
    TaskStatus,
    db,
)

Subject = Person.alias("subject")
Manager = Person.alias("manager")
DECISION_LIMIT = 200


@dataclass(frozen=True)
class TaskItem:
    """A task as lists show it."""

    id: int
    instance_id: int
    workflow_id: str
    workflow_title: str
    form_id: str
    form_title: str
    state: str
    role: str
    subject_email: str
    subject_name: str
    assignee_email: str | None
    assignee_name: str | None
    status: str
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    submitted_at: datetime | None = None
    has_draft: bool = False
    cycle: str | None = None
    entry: int = 0
    escalated_to: str | None = None
    task_key: str = ""
    anonymous: bool = False  # its line is ``anonymous``: operator views hide the holder
    submitted_by: str | None = None  # who submitted it (its escalation target, for one)
    definition_id: int = 0  # the definition version its instance runs on
    instance_state: str = ""  # where its instance stands now
    instance_status: str = ""


@dataclass(frozen=True)
class DecisionItem:
    """An instance waiting in a state where this person may fire manual triggers."""

    instance_id: int
    workflow_id: str
    workflow_title: str
    state: str
    subject_email: str
    subject_name: str
    triggers: tuple[str, ...]
    entered_at: datetime
    task_id: int | None = None
    cycle: str | None = None


@dataclass
class Inbox:
    tasks: list[TaskItem] = field(default_factory=list)
    decisions: list[DecisionItem] = field(default_factory=list)
    unassigned: list[TaskItem] = field(default_factory=list)
    #: my own open tasks with a saved draft, oldest first (what :func:`drafts` finds)
    drafts: list[TaskItem] = field(default_factory=list)


@dataclass(frozen=True)
class SubmissionItem:
    id: int
    task_id: int | None
    form_id: str
    author_email: str
    author_name: str
    data: dict
    trigger: str | None
    entry: int
    state: str
    submitted_at: datetime
    task_key: str | None = None
    instance_id: int | None = None
    written_for: str | None = None  # the task's assignee, when someone else wrote it
    revision_of: int | None = None  # the submission this revision (a calibration) replaced


@dataclass(frozen=True)
class EventItem:
    id: int
    at: datetime
    actor: str
    kind: str
    trigger: str | None
    from_state: str | None
    to_state: str | None
    task_id: int | None
    detail: dict


@dataclass(frozen=True)
class TriggerItem:
    trigger: str
    title: str | None
    dest: str
    allowed: tuple[str, ...]
    form: str | None


@dataclass
class InstanceDetail:
    id: int
    workflow_id: str
    workflow_title: str
    version: int
    definition_id: int
    state: str
    state_title: str | None
    status: str
    entry: int
    subject: dict
    cycle: str | None
    started_at: datetime
    entered_at: datetime
    finished_at: datetime | None
    parent_id: int | None
    children: list[dict]
    tasks: list[TaskItem]
    submissions: list[SubmissionItem]
    history: list[EventItem]
    triggers: list[TriggerItem]
    #: role name -> [emails], resolved from the directory as it is now (a
    #: :class:`~engine.roles.RolePlayers`: each role read when first asked for)
    roles: Mapping[str, list[str]]
    hr: Container[str]  # HR but the subject (:class:`~engine.roles.HrOf`; iterable)
    states_entered: set[str]
    spec: WorkflowSpec = field(repr=False, default=None)
    #: answers a later revision replaced (the manager's rating before calibration): for
    #: HR's eyes only; ``submissions`` holds the current revision of each answer
    replaced: list[SubmissionItem] = field(default_factory=list)
    scores: dict = field(default_factory=dict)  # name -> ScoreResult, where asked for


@dataclass(frozen=True)
class CycleProgress:
    id: int
    name: str
    workflow_id: str
    created_at: datetime
    total: int
    running: int
    finished: int
    cancelled: int
    by_state: dict
    completion: float  # percent of instances no longer running
    open_tasks: int
    overdue_tasks: int
    definition_id: int = 0


@dataclass(frozen=True)
class InstanceItem:
    id: int
    workflow_id: str
    subject_email: str
    subject_name: str
    state: str
    status: str
    started_at: datetime
    entered_at: datetime
    cycle: str | None
    next_task: TaskItem | None = None
    waiting_on: tuple[TaskItem, ...] = ()
    definition_id: int = 0
    subject_department: str = ""
    finished_at: datetime | None = None


@dataclass(frozen=True)
class CycleItem:
    """A cycle as its dashboard heads it."""

    id: int
    name: str
    workflow_id: str
    definition_id: int
    filters: list
    created_at: datetime
    created_by: str
    created_by_name: str  # the launcher's directory name, else the stored email
    dates: CycleDates = NONE  # a due day per state and the named dates it was launched with


@dataclass(frozen=True)
class PersonItem:
    """A directory entry as pages list it."""

    id: int
    email: str
    name: str
    title: str
    department: str
    manager_id: int | None
    active: bool
    language: str = ""


# ------------------------------------------------------------------------- helpers


def _form_title(definition_id: int, form_id: str) -> str:
    version = versions.version_for(definition_id)
    form = version.forms.get(form_id)
    if form is None:
        return form_id
    return form.title or form.schema.get("title") or form_id


# Task lists are the hottest reads (the inbox), so their SQL is written once by hand:
# peewee's builder costs more than running the query on these machines.
_TASK_SELECT = (
    'SELECT t."id", t."instance_id", t."form_id", t."state", t."role", t."status", '
    't."created_at", t."due_at", t."submitted_at", t."draft" IS NOT NULL, t."entry", '
    't."task_key", i."workflow_id", i."definition_id", s."email", s."name", a."email", '
    'a."name", c."name", e."email", t."submitted_by", i."state", i."status" '
    'FROM "task" t JOIN "instance" i ON t."instance_id" = i."id" '
    'JOIN "person" s ON i."subject_id" = s."id" '
    'LEFT JOIN "person" a ON t."assignee_id" = a."id" '
    'LEFT JOIN "person" e ON t."escalated_to_id" = e."id" '
    'LEFT JOIN "cycle" c ON i."cycle_id" = c."id" ')
#: Open work first by due date (undated last), then by id.
DUE_ORDER = ' ORDER BY t."due_at" IS NULL, t."due_at", t."id"'
#: A stored time as read back from a raw row (text on SQLite) -> datetime.
stored_datetime = Task.due_at.python_value


def task_list(where: str, params: list, order: str = ' ORDER BY t."id"',
               limit: int | None = None, now: datetime | None = None,
               prepare: bool = True) -> list[TaskItem]:
    """Task items matching ``where`` (SQL with ``{p}`` for each parameter); on PostgreSQL
    a prepared statement unless ``prepare`` is False (a list of ids, whose number of
    rows a plan made without the values cannot know)."""
    sql = _TASK_SELECT + "WHERE " + where.format(p=db.obj.param) + order
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cursor = server_prepared.execute(sql, params) if prepare else db.execute_sql(sql, params)
    return [_task_item(row, now) for row in cursor.fetchall()]


def task_list_union(parts: list[tuple[str, list]], now: datetime | None = None
                    ) -> list[TaskItem]:
    """Task items matching any of ``parts`` (``(where, params)`` pairs that no task meets
    twice), in one prepared statement and no set order: each part is a SELECT of its own
    (UNION ALL), searched through its own index, where one OR would scan."""
    sql = " UNION ALL ".join(_TASK_SELECT + "WHERE " + where.format(p=db.obj.param)
                             for where, _ in parts)
    cursor = server_prepared.execute(sql, [v for _, params in parts for v in params])
    return [_task_item(row, now) for row in cursor.fetchall()]


def _task_item(row, now: datetime) -> TaskItem:
    (tid, instance_id, form_id, state, role, status, created, due, submitted, has_draft, entry,
     key, workflow_id, definition_id, s_email, s_name, a_email, a_name, cycle, e_email,
     submitted_by, instance_state, instance_status) = row
    version = versions.version_for(definition_id)
    due = stored_datetime(due)
    return TaskItem(
        id=tid, instance_id=instance_id, workflow_id=workflow_id,
        workflow_title=version.spec.title, form_id=form_id,
        form_title=_form_title(definition_id, form_id), state=state, role=role,
        subject_email=s_email, subject_name=s_name, assignee_email=a_email,
        assignee_name=a_name, status=status, created_at=stored_datetime(created), due_at=due,
        overdue=status == TaskStatus.OPEN and due is not None and due < now,
        submitted_at=stored_datetime(submitted), has_draft=bool(has_draft), cycle=cycle,
        entry=entry, escalated_to=e_email, task_key=key, submitted_by=submitted_by,
        definition_id=definition_id, instance_state=instance_state,
        instance_status=instance_status,
        anonymous=(state, key) in _anonymous_lines(definition_id))


def _anonymous_lines(definition_id: int) -> frozenset:
    """``(state, task_key)`` of a version's anonymous task lines (cached per version)."""
    found = _ANONYMOUS.get(definition_id)
    if found is None:
        spec = versions.version_for(definition_id).spec
        found = frozenset((name, line.key) for name, state in spec.states.items()
                          for line in state.tasks if line.anonymous)
        _ANONYMOUS[definition_id] = found
    return found


_ANONYMOUS: dict[int, frozenset] = {}
connection.reset_hooks.append(_ANONYMOUS.clear)  # definition ids of another database differ


