"""The one loader deciding who may open or act on a task or an instance.

Every view that shows or changes a task or an instance goes through
:func:`load_task_for` or :func:`load_instance_for`. The rules come from the definition
(roles, ``show``, ``readers``, ``anonymous``, ``private``) through
:mod:`engine.visibility`; this module adds what only the web needs: who may press which
button, and how anonymous assignees are hidden in task lists and history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

from flask import abort

from engine import queries, roles, versions, visibility
from engine.anonymity import AnswerGroup, group_answers
from engine.definitions.specs import TaskSpec
from engine.errors import NotFound
from engine.queries import TaskStatus
from web import i18n

ANONYMOUS_LABEL = "An anonymous reviewer"


@dataclass
class TaskAccess:
    """A task as its viewer may see it, with the instance it belongs to (read when first
    asked for: an action on the task needs the task alone until it shows a page)."""

    task: queries.TaskItem
    line: TaskSpec | None
    holder: bool  # the viewer holds the task (assignee, or escalated to them)
    assignee: bool  # the viewer is its assignee (not only its escalation target)
    read_detail: Callable[[], queries.InstanceDetail] = field(repr=False)
    viewer: str = ""

    @cached_property
    def detail(self) -> queries.InstanceDetail:
        detail = self.read_detail()
        # the task as the instance was read with it, so a page shows the two alike
        self.task = next((t for t in detail.tasks if t.id == self.task.id), self.task)
        return detail

    @cached_property
    def author(self) -> bool:
        """The viewer submitted it."""
        return any(s.task_id == self.task.id and s.author_email == self.viewer
                   for s in self.detail.submissions)

    @property
    def escalated(self) -> bool:
        """The viewer holds it only as its escalation target (they may remind its
        assignee or hand it on; answer only where the line says ``escalate_may_answer``)."""
        return self.holder and not self.assignee

    @property
    def can_act(self) -> bool:
        """May the viewer submit it now?"""
        answers = self.assignee or (self.escalated and self.line is not None
                                    and self.line.escalate_may_answer)
        return (answers and self.task.status == TaskStatus.OPEN
                and self.task.instance_status == "running")


def _escalated_or_authors(detail) -> set[str]:
    people = {t.escalated_to for t in detail.tasks if t.escalated_to}
    people.update(s.author_email for s in detail.submissions)
    return people


def may_view_instance(user, detail) -> bool:
    """Participants of the instance (roles, task holders, authors), HR and the console."""
    return (visibility.can_view_instance(user.email, detail)
            or user.email in _escalated_or_authors(detail) or user.may_use_console)


def _instance(user, instance_id):
    try:
        detail = queries.instance_detail(instance_id, reader=(user.person, user.groups))
    except NotFound:
        abort(404)
    # the same rules, with the definition's texts in the reader's language
    detail.spec = i18n.localized(detail.spec)
    detail.workflow_title = detail.spec.title
    state = detail.spec.states.get(detail.state)
    detail.state_title = state.title if state else detail.state_title
    titles = {t.trigger: t.title for t in detail.spec.transitions if t.title}
    detail.triggers = [replace(t, title=titles.get(t.trigger, t.title))
                       for t in detail.triggers]
    return detail


def load_instance_for(user, instance_id) -> queries.InstanceDetail:
    """The instance if ``user`` may open it; 404 when it does not exist, 403 otherwise."""
    detail = _instance(user, instance_id)
    if not may_view_instance(user, detail):
        abort(403)
    return detail


def load_task_for(user, task_id) -> TaskAccess:
    """The task if ``user`` may open it; 404 when it does not exist, 403 otherwise.

    Its holder (assignee or escalation target) and its author may open it; HR may open
    any task to see where it stands and reassign it, without its draft.
    """
    acc = _task_access(user, task_id)
    if not (acc.holder or acc.author or user.may_use_console):
        abort(403)
    return acc


def load_task_to_act(user, task_id) -> TaskAccess:
    """The task if ``user`` holds it, to act on it (submit, save a draft, decline,
    remind); 404 when it does not exist, 403 otherwise. Only the holder acts, so the
    instance is read only if the action goes on to need it (a page shown again, a
    decision's roles): a draft save or a plain submit reads the task alone."""
    acc = _task_access(user, task_id)
    if not acc.holder:
        abort(403)
    return acc


def _task_access(user, task_id) -> TaskAccess:
    try:
        task = queries.task_detail(task_id)
    except NotFound:
        abort(404)
    line = visibility.line_for(task_spec(task), task.state, task.task_key)
    return TaskAccess(task, line, user.email in (task.assignee_email, task.escalated_to),
                      user.email == task.assignee_email,
                      lambda: _instance(user, task.instance_id), user.email)


def task_spec(task: queries.TaskItem):
    """The definition a task's instance runs on, in the reader's language."""
    return i18n.localized(versions.version_for(task.definition_id).spec)


# ------------------------------------------------------------------ triggers (buttons)


def may_fire(user, detail, trigger: queries.TriggerItem) -> bool:
    """Does ``user`` play one of the trigger's ``allowed`` roles (HR when none is named)?

    The engine decides for good (conditions included); this only picks the buttons.
    """
    return visibility.plays_any(user.email, roles.deciders(trigger), detail) is not None


def triggers_for(user, detail) -> list[queries.TriggerItem]:
    """The manual triggers ``user`` may fire from the instance's current state."""
    return [t for t in detail.triggers if may_fire(user, detail, t)]


def task_decisions(access: TaskAccess, user) -> list[queries.TriggerItem]:
    """Decision buttons on a task page: the holder's triggers from the task's state."""
    state = access.task.instance_state
    if not access.can_act or access.task.state != state:
        return []
    if not any(t.manual for t in task_spec(access.task).transitions_from(state)):
        return []  # none to press: the instance's roles need not be read
    return triggers_for(user, access.detail)


# ------------------------------------------------------------------ anonymity


def anonymous_task_ids(detail) -> set[int]:
    """Tasks of ``anonymous`` lines (their assignees are hidden from others than HR)."""
    out = set()
    for task in detail.tasks:
        line = visibility.line_for(detail.spec, task.state, task.task_key)
        if line is not None and line.anonymous:
            out.add(task.id)
    return out


def sees_raters(user, detail) -> bool:
    """May ``user`` see who holds the anonymous tasks: HR (not the subject) after a
    recorded reveal (:func:`engine.visibility.revealed_to`)."""
    return visibility.revealed_to(user.email, detail)


def sees_names(user, detail, task) -> bool:
    """May ``user`` see who holds ``task``? Always, except on anonymous lines."""
    return (task.id not in anonymous_task_ids(detail) or sees_raters(user, detail)
            or user.email in (task.assignee_email, task.escalated_to))


def anonymous_answers(user, detail) -> dict[str, list[AnswerGroup]]:
    """Form id -> the groups of answers of anonymous lines ``user`` may read only as an
    aggregate (their own answer excluded; private fields removed), grouped by the lines'
    ``anonymity_group`` (see :func:`engine.anonymity.group_answers`)."""
    items: dict[str, list] = {}
    spec = i18n.localized(detail.spec)  # the group names in the reader's language
    for sub in detail.submissions:
        line = visibility.line_for(spec, sub.state, sub.task_key)
        if line is None or not line.anonymous or sub.author_email == user.email:
            continue
        if not visibility.can_read_submission(user.email, sub, detail):
            continue
        data = {k: v for k, v in sub.data.items() if k not in line.private}
        items.setdefault(sub.form_id, []).append((line, data))
    limit = visibility.threshold(detail.spec)
    return {form_id: group_answers(form_id, found, limit) for form_id, found in items.items()}


def amendable(user, detail, form_id: str) -> dict | None:
    """The latest answers of ``form_id`` the viewer may read, when a decision's form is a
    nomination (a form a ``field:``/``external:`` role reads) already answered here: the
    decision starts from that list, so the manager adds or removes one person instead of
    sending the whole list back."""
    if not any(r.named and r.form == form_id for r in detail.spec.roles.values()):
        return None
    views = [v for v in visible_views(user, detail) if v.form_id == form_id]
    return dict(views[-1].data) if views else None


def visible_views(user, detail) -> list:
    """Submissions ``user`` may read individually (anonymous ones never included)."""
    views, _ = visibility.visible_submissions(user.email, detail)
    return views
