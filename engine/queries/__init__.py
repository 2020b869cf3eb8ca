"""Read models for the web and the CLI: plain dataclasses, never peewee rows.

Each function runs a constant number of queries whatever the number of tasks (joins and
subqueries, no query per row); specs come from the per-version cache in
:mod:`engine.versions`. The modules: :mod:`.items` (the dataclasses and the shared
task-list SQL), :mod:`.inbox` (one person's work), :mod:`.instances` (one instance in
full), :mod:`.cycles` (HR views), :mod:`.people` (the directory as pages list it),
:mod:`.starting` (what a person may start themselves).

The stored vocabulary (task and instance statuses, history event kinds) is re-exported
here, so pages compare with it without reaching into :mod:`engine.store`.
"""

from engine.queries import calibration, people
from engine.queries.cycles import (
    DASHBOARD_PAGE,
    about,
    cycle,
    cycle_instances,
    cycle_named,
    cycle_progress,
    cycle_subject_ids,
    cycles,
    instances_of,
    overdue_in_cycle,
    team,
)
from engine.queries.inbox import (
    draft,
    drafts,
    inbox,
    open_tasks_of,
    recently_done,
    task_detail,
    task_draft,
    tasks,
)
from engine.queries.instances import history, instance_detail, submissions_of
from engine.queries.items import (
    DECISION_LIMIT,
    CycleItem,
    CycleProgress,
    DecisionItem,
    EventItem,
    Inbox,
    InstanceDetail,
    InstanceItem,
    PersonItem,
    SubmissionItem,
    TaskItem,
    TriggerItem,
)
from engine.queries.outbox import OUTBOX_PAGE, OutboxItem, outbox, outbox_counts
from engine.queries.settings import setting
from engine.queries.starting import StartOptions, changes_offered, start_options
from engine.store import EventKind, InstanceStatus, TaskStatus

__all__ = [
    "DASHBOARD_PAGE", "DECISION_LIMIT", "OUTBOX_PAGE", "CycleItem", "CycleProgress",
    "DecisionItem", "EventItem", "EventKind", "OutboxItem", "outbox", "outbox_counts",
    "Inbox", "InstanceDetail", "InstanceItem", "InstanceStatus", "PersonItem", "StartOptions",
    "SubmissionItem", "TaskItem", "TaskStatus", "TriggerItem", "about", "cycle",
    "cycle_instances", "cycle_named", "cycle_progress", "cycle_subject_ids", "cycles", "draft",
    "drafts",
    "history", "inbox", "instance_detail", "instances_of", "open_tasks_of", "overdue_in_cycle",
    "calibration", "changes_offered", "people", "recently_done", "setting", "start_options",
    "submissions_of",
    "task_detail", "task_draft", "tasks", "team",
]
