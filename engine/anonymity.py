"""Anonymous answers stay anonymous in operator views (the CLI's `show` and `tasks`).

A task line with ``anonymous: true`` promises its authors that nobody pairs their answers
with their names, "for every page, export and command". The operator views read every
row, so before printing they mask: who holds an anonymous task, who wrote an anonymous
submission, and the history actors of those tasks. The answers themselves stay, detached
from their tasks and times and listed in an order derived from their content, so neither
a task id nor a timestamp links them back to a person. Revealing is an explicit,
recorded act (:func:`engine.commands.reveal_anonymous`).
"""

from __future__ import annotations

import json
from dataclasses import replace

from engine.visibility import line_for

MASK = "(anonymous)"


def mask_tasks(tasks) -> list:
    """Task items with the holder of each anonymous task hidden."""
    return [replace(t, assignee_email=None, assignee_name=MASK, escalated_to=None)
            if t.anonymous else t for t in tasks]


def mask_detail(detail):
    """An :class:`~engine.queries.InstanceDetail` that pairs no anonymous answer with its
    author (tasks, submissions and history)."""
    hidden = [t for t in detail.tasks if t.anonymous]
    if not hidden:
        return detail
    ids = {t.id for t in hidden}
    people = {e for t in hidden for e in (t.assignee_email, t.escalated_to) if e}
    named, anonymous = [], []
    for sub in detail.submissions:
        line = line_for(detail.spec, sub.state, sub.task_key)
        if line is not None and line.anonymous:
            anonymous.append(replace(sub, author_email=None, author_name=MASK, task_id=None,
                                     submitted_at=None))
        else:
            named.append(sub)
    anonymous.sort(key=lambda s: (s.form_id, json.dumps(s.data, sort_keys=True, default=str)))
    return replace(detail, tasks=mask_tasks(detail.tasks), submissions=named + anonymous,
                   history=[_mask_event(e, ids, people) for e in detail.history])


def _mask_event(event, task_ids: set, people: set):
    # an answer's auto transition carries its author as actor: masked too; the same
    # person's events about a named task of theirs are not
    if event.task_id is not None and event.task_id not in task_ids:
        return event
    actor = MASK if event.actor in people else event.actor
    detail = {k: (MASK if isinstance(v, str) and v in people else v)
              for k, v in event.detail.items()}
    return replace(event, actor=actor, detail=detail)
