"""Who may read which submission and which field: the definition's rules, enforced here.

Pure functions over :class:`engine.queries.InstanceDetail` (no database access), so the
web and the CLI apply the same rules:

- a submission is read by its author, by HR, by the assignees of tasks whose line
  ``show``s its form, and by its line's ``readers`` (``always`` or ``after STATE``: once
  the instance has entered that state);
- a transition's form (a send-back reason) is read by everyone taking part in the
  instance;
- ``private`` fields never leave the author and HR;
- an ``anonymous`` form is shown to anyone but its author only as an aggregate, and only
  once at least ``anonymity_threshold`` answers exist (never fewer than 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.anonymity import (  # noqa: F401 (the one)
    MIN_ANONYMITY,
    Aggregate,
    aggregate,
    group_answers,
)
from engine.definitions.specs import HR_GROUP, TaskSpec, WorkflowSpec


@dataclass(frozen=True)
class SubmissionView:
    """A submission as one viewer may see it (private fields removed for others)."""

    id: int
    form_id: str
    author_email: str | None  # None when anonymous
    data: dict
    submitted_at: object
    state: str


def line_for(spec: WorkflowSpec, state: str, task_key: str | None) -> TaskSpec | None:
    """The task line a submission came from (None for a transition's form)."""
    st = spec.states.get(state)
    for line in st.tasks if st else ():
        if line.key == task_key:
            return line
    return None


def is_hr(viewer: str, detail) -> bool:
    """Is ``viewer`` HR (:func:`engine.roles.is_hr`, listed on the detail as ``hr``)?"""
    return viewer in detail.hr


def revealed_to(viewer: str, detail) -> bool:
    """Did HR member ``viewer`` reveal who wrote the instance's anonymous answers (the
    recorded act of :func:`engine.commands.reveal_anonymous`)? Only then are raters named
    to them; never to the subject, who is not HR about themselves."""
    return is_hr(viewer, detail) and any(
        e.kind == "anonymity-revealed" and e.actor == viewer for e in detail.history)


def plays_any(viewer: str, names, detail) -> str | None:
    """The first of ``names`` that ``viewer`` plays in the instance (from the detail's role
    lists, built by :mod:`engine.roles`; the undeclared ``hr`` is HR), or None."""
    for name in names:
        if name in detail.spec.roles:
            if _plays(viewer, name, detail):
                return name
        elif name == HR_GROUP and is_hr(viewer, detail):
            return name
    return None


def can_view_instance(viewer: str, detail) -> bool:
    """May ``viewer`` open the instance page at all: its subject, HR, a player of one of
    its roles, or a task's assignee (asked for the viewer alone, never listing a role)?"""
    return (viewer == detail.subject["email"] or is_hr(viewer, detail)
            or any(_plays(viewer, name, detail) for name in detail.spec.roles)
            or any(t.assignee_email == viewer for t in detail.tasks))


def roles_played(viewer: str, detail) -> set[str]:
    """The declared roles ``viewer`` plays in the instance."""
    return {name for name in detail.spec.roles if _plays(viewer, name, detail)}


def _plays(viewer: str, name: str, detail) -> bool:
    """Is ``viewer`` among the players of declared role ``name``?"""
    return detail.roles.plays(viewer, name)


def _shown_to(viewer: str, form_id: str, detail) -> bool:
    """Is ``viewer`` the assignee of a task whose line shows ``form_id``?"""
    for task in detail.tasks:
        if task.assignee_email != viewer and task.escalated_to != viewer:
            continue
        line = line_for(detail.spec, task.state, task.task_key)
        if line is not None and form_id in line.show:
            return True
    return False


def _reader(viewer: str, line: TaskSpec, detail) -> bool:
    for rule in line.readers:
        if plays_any(viewer, (rule.role,), detail) and (
                rule.after is None or rule.after in detail.states_entered):
            return True
    return False


def can_read_submission(viewer: str, submission, detail) -> bool:
    """May ``viewer`` read ``submission`` (individually or, if anonymous, as part of an
    aggregate)?"""
    if viewer in _own(submission) or is_hr(viewer, detail):
        return True
    line = line_for(detail.spec, submission.state, submission.task_key)
    if line is None:
        return can_view_instance(viewer, detail)
    return _shown_to(viewer, submission.form_id, detail) or _reader(viewer, line, detail)


def _own(submission) -> set[str]:
    """Whose answer it is: its author, and the assignee it was written for (escalation)."""
    return {submission.author_email, getattr(submission, "written_for", None)} - {None}


def _without_private(data: dict, line: TaskSpec | None, keep: bool) -> dict:
    if keep or line is None or not line.private:
        return dict(data)
    return {k: v for k, v in data.items() if k not in line.private}


def threshold(spec: WorkflowSpec) -> int:
    """The anonymity threshold of a workflow (configurable, never below 2)."""
    return max(MIN_ANONYMITY, spec.anonymity_threshold or MIN_ANONYMITY)


def visible_submissions(viewer: str, detail) -> tuple[list[SubmissionView], list[Aggregate]]:
    """What ``viewer`` may see of the instance's submissions: individual views, and
    aggregates of anonymous forms that reached the threshold."""
    views, anonymous = [], {}  # form id -> [(line, data)]
    for sub in detail.submissions:
        if not can_read_submission(viewer, sub, detail):
            continue
        line = line_for(detail.spec, sub.state, sub.task_key)
        own = viewer in _own(sub)
        if line is not None and line.anonymous and not own:
            anonymous.setdefault(sub.form_id, []).append(
                (line, _without_private(sub.data, line, False)))
            continue
        data = _without_private(sub.data, line, own or is_hr(viewer, detail))
        views.append(SubmissionView(sub.id, sub.form_id, sub.author_email, data,
                                    sub.submitted_at, sub.state))
    limit = threshold(detail.spec)
    aggregates = []
    for form_id, items in sorted(anonymous.items()):
        for group in group_answers(form_id, items, limit):
            if group.shown:
                found = aggregate(form_id, group.datas, group.threshold)
                found.group, found.merged = group.label, list(group.merged)
                aggregates.append(found)
    return views, aggregates
