"""The history timeline as a viewer may read it.

Events carry actor emails and details; shown as they are, they would tell the subject
who wrote an anonymous answer (the ``submitted`` event, or the transition that answer
set off). Non-HR viewers therefore see anonymous reviewers' actions without a name,
refusals only when they were theirs, and no drafts of others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine import queries, versions, visibility
from engine.queries import EventKind
from web.access import ANONYMOUS_LABEL, anonymous_task_ids, sees_raters
from web.helpers import humanize

KIND_TEXT = {
    EventKind.LAUNCHED: "started the process",
    EventKind.SUBMITTED: "submitted",
    EventKind.DRAFT_SAVED: "saved a draft of",
    EventKind.TRANSITION: "moved the process on",
    EventKind.FINISHED: "The process finished",
    EventKind.CANCELLED: "cancelled the process",
    EventKind.REASSIGNED: "reassigned",
    EventKind.DELEGATED: "delegated",
    EventKind.REMINDED: "A reminder was sent for",
    EventKind.ESCALATED: "The task was escalated:",
    EventKind.UNASSIGNED: "Nobody could be assigned to",
    EventKind.ROLE_PROBLEMS: "Some people could not be assigned to",
    EventKind.REPEATED: "A new recurring task was created:",
    EventKind.STARTED: "started a follow-up process",
    EventKind.NUDGED: "sent a reminder about",
    EventKind.REFUSED: "was refused",
    EventKind.TIMER_HELD: "A timer did not fire",
    EventKind.EXPRESSION_ERROR: "A condition could not be evaluated",
}

#: Events told as "<what> <form title>".
ABOUT_A_FORM = frozenset({
    EventKind.SUBMITTED, EventKind.DRAFT_SAVED, EventKind.REMINDED, EventKind.ESCALATED,
    EventKind.UNASSIGNED, EventKind.ROLE_PROBLEMS, EventKind.REPEATED, EventKind.NUDGED})
#: Events the system writes, shown without an actor.
BY_THE_SYSTEM = frozenset({
    EventKind.FINISHED, EventKind.REMINDED, EventKind.ESCALATED, EventKind.UNASSIGNED,
    EventKind.ROLE_PROBLEMS, EventKind.REPEATED, EventKind.TIMER_HELD,
    EventKind.EXPRESSION_ERROR})


@dataclass(frozen=True)
class Line:
    """One history line ready to show."""

    at: datetime
    kind: str
    who: str  # a name, an email, "An anonymous reviewer" or "" (the system)
    text: str
    note: str = ""


def _names(detail) -> dict[str, str]:
    actors = {e.actor for e in detail.history if e.actor != "system"}
    names = queries.people.names(actors)
    names[detail.subject["email"]] = detail.subject["name"]
    if detail.subject.get("manager_email"):
        names[detail.subject["manager_email"]] = detail.subject["manager_name"]
    for task in detail.tasks:
        if task.assignee_email:
            names[task.assignee_email] = task.assignee_name
    for sub in detail.submissions:
        names[sub.author_email] = sub.author_name
    return names


def _state_title(detail, state: str | None) -> str:
    spec_state = detail.spec.states.get(state or "")
    return (spec_state.title if spec_state and spec_state.title else humanize(state))


def _trigger_title(detail, trigger: str | None) -> str:
    for t in detail.spec.transitions:
        if t.trigger == trigger and t.title:
            return t.title
    return humanize(trigger)


def _form_title(detail, form_id: str | None) -> str:
    if not form_id:
        return ""
    form = versions.version_for(detail.definition_id).forms.get(form_id)
    title = (form.title or form.schema.get("title")) if form is not None else None
    return title or humanize(form_id)


def is_automatic(detail, event) -> bool:
    """A transition that fired by itself (``auto`` or a timer), whoever's action set it off."""
    if event.kind != EventKind.TRANSITION:
        return False
    return any(t.trigger == event.trigger and not t.manual for t in detail.spec.transitions)


def _text(event, detail) -> tuple[str, str]:
    kind = event.kind
    form = _form_title(detail, event.detail.get("form"))
    if kind == EventKind.TRANSITION:
        how = "Moved on" if is_automatic(detail, event) else _trigger_title(detail, event.trigger)
        return (f"{how}: {_state_title(detail, event.from_state)} → "
                f"{_state_title(detail, event.to_state)}", "")
    if kind == EventKind.LAUNCHED:
        return f"started the process in {_state_title(detail, event.to_state)}", ""
    if kind == EventKind.FINISHED:
        return f"The process finished in {_state_title(detail, event.to_state)}", ""
    if kind == EventKind.CANCELLED:
        return "cancelled the process", str(event.detail.get("reason") or "")
    if kind in (EventKind.REASSIGNED, EventKind.DELEGATED):
        to, reason = event.detail.get("to"), event.detail.get("reason")
        note = "; ".join(x for x in (f"to {to}" if to else "", reason or "") if x)
        return f"{KIND_TEXT[kind]} {form}".strip(), note
    if kind in ABOUT_A_FORM:
        return f"{KIND_TEXT[kind]} {form}".strip(), ""
    if kind == EventKind.EXPORTED:
        return ("exported the answers, private fields included",
                ", ".join(event.detail.get("private_fields") or ()))
    if kind == EventKind.REFUSED:
        return (f"tried {humanize(event.trigger) or 'an action'}, which was refused",
                str(event.detail.get("reason") or ""))
    return KIND_TEXT.get(kind, humanize(kind)), ""


def timeline(user, detail) -> list[Line]:
    """The instance's history for ``user``, oldest first."""
    hr = visibility.is_hr(user.email, detail)
    hidden_tasks = set() if sees_raters(user, detail) else anonymous_task_ids(detail)
    hidden_people = {t.assignee_email for t in detail.tasks if t.id in hidden_tasks}
    hidden_people.discard(user.email)
    names = _names(detail)
    out = []
    for event in detail.history:
        if not hr and event.kind == EventKind.REFUSED and event.actor != user.email:
            continue
        if event.kind == EventKind.DRAFT_SAVED and event.actor != user.email:
            continue
        text, note = _text(event, detail)
        who = "" if event.actor == "system" else names.get(event.actor, event.actor)
        if is_automatic(detail, event) or kind_is_system(event.kind):
            who = ""
        elif event.actor in hidden_people:
            who = ANONYMOUS_LABEL if event.task_id in hidden_tasks else ""
        if event.task_id in hidden_tasks:
            note = ""  # details of an anonymous task could name its holder
        out.append(Line(event.at, event.kind, who, text, note))
    return out


def kind_is_system(kind: str) -> bool:
    """Events that read as a sentence of their own, without an actor."""
    return kind in BY_THE_SYSTEM
