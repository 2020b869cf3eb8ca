"""Read models for the web and the CLI: plain dataclasses, never peewee rows.

Each function runs a constant number of queries whatever the number of tasks (joins and
subqueries, no query per row); specs come from the per-version cache in
:mod:`engine.versions`. The modules: :mod:`.items` (the dataclasses and the shared
task-list SQL), :mod:`.inbox` (one person's work), :mod:`.instances` (one instance in
full), :mod:`.cycles` (HR views).
"""

from engine.queries.cycles import cycles, instances_of, team
from engine.queries.inbox import drafts, inbox, recently_done, task_detail, tasks
from engine.queries.instances import history, instance_detail
from engine.queries.items import (
    DECISION_LIMIT,
    CycleProgress,
    DecisionItem,
    EventItem,
    Inbox,
    InstanceDetail,
    InstanceItem,
    SubmissionItem,
    TaskItem,
    TriggerItem,
)

__all__ = [
    "DECISION_LIMIT", "CycleProgress", "DecisionItem", "EventItem", "Inbox", "InstanceDetail",
    "InstanceItem", "SubmissionItem", "TaskItem", "TriggerItem", "cycles", "drafts", "history",
    "inbox", "instance_detail", "instances_of", "recently_done", "task_detail", "tasks", "team",
]
