"""The history timeline as a viewer may read it.

Events carry actor emails and details; shown as they are, they would tell the subject
who wrote an anonymous answer (the ``submitted`` event, or the transition that answer
set off). Non-HR viewers therefore see anonymous reviewers' actions without a name,
refusals only when they were theirs, and no drafts of others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from engine import queries, versions, visibility
from engine.queries import EventKind
from web import i18n, library
from web.access import ANONYMOUS_LABEL, anonymous_task_ids, sees_raters
from web.helpers import humanize, task_title

#: Events the system writes, shown without an actor.
BY_THE_SYSTEM = frozenset({
    EventKind.FINISHED, EventKind.REMINDED, EventKind.ESCALATED, EventKind.UNASSIGNED,
    EventKind.ROLE_PROBLEMS, EventKind.REPEATED, EventKind.TIMER_HELD,
    EventKind.EXPRESSION_ERROR, EventKind.AUTO_LOOP_STOPPED, EventKind.FOLLOW_UP_FINISHED})


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
    if form is None:  # another instance's form (a change to the parent's plan)
        form = library.current().forms.get(form_id)
    title = (form.title or form.schema.get("title")) if form is not None else None
    return title or humanize(form_id)


def _line_title(detail, form_id: str | None, role: str | None = None) -> str:
    """A task line's name where no task row is at hand: its ``title``, else its form's."""
    for state in detail.spec.states.values():
        for line in state.tasks:
            if line.form == form_id and (role is None or line.role == role) and line.title:
                return line.title
    return _form_title(detail, form_id)


def is_automatic(detail, event) -> bool:
    """A transition that fired by itself (``auto`` or a timer), whoever's action set it off."""
    if event.kind != EventKind.TRANSITION:
        return False
    return any(t.trigger == event.trigger and not t.manual for t in detail.spec.transitions)


class _Story:
    """What one viewer may read of the instance's events, as whole sentences."""

    def __init__(self, detail, names: dict, hidden_tasks: set, hr: bool, viewer: str = "",
                 readable=()):
        self.detail, self.names, self.hidden, self.hr = detail, names, hidden_tasks, hr
        self.tasks = {t.id: t for t in detail.tasks}
        self.viewer, self.readable = viewer, readable

    def task(self, event) -> str:
        """The task's one name (the one its own page and the inbox show)."""
        task = self.tasks.get(event.task_id)
        if task is not None:
            return task_title(task)
        return _line_title(self.detail, event.detail.get("form"), event.detail.get("role"))

    def holder(self, event, email: str | None = None) -> str:
        """Who held the task then (``email`` from the event), else now."""
        if event.task_id in self.hidden:
            return _("an anonymous reviewer")
        if email:
            return self.person(email)
        task = self.tasks.get(event.task_id)
        if task is None or not task.assignee_email:
            return _("nobody yet")
        return task.assignee_name or task.assignee_email

    def person(self, email) -> str:
        return self.names.get(email, email)

    def people(self, emails) -> str:
        if isinstance(emails, str):
            emails = [emails]
        return ", ".join(self.person(e) for e in emails or ()) or _("HR")

    def calibrated(self, event) -> tuple[str, str]:
        """A calibration's change: both values and the reason for HR and the answer's
        author; the new value alone for whoever may read the answer now; else that it
        happened (the employee sees the final rating only, once the definition says)."""
        detail, d = self.detail, event.detail
        form = versions.version_for(detail.definition_id).forms.get(d.get("form"))
        form = i18n.localized(form) if form is not None else None
        prop = ((form.schema.get("properties") or {}).get(d.get("field")) or {}) if form else {}
        field = str(prop.get("title") or humanize(d.get("field")))
        session = d.get("session") or ""
        if self.sees_calibration(event):
            return _("changed “%(field)s” in the calibration session “%(session)s” from "
                     "%(before)s to %(after)s.", field=field, session=session,
                     before=_choice(prop, d.get("before")), after=_choice(prop, d.get("after"))
                     ), _("Reason: %(reason)s", reason=d.get("reason") or "")
        if self.reads_form(d.get("form")):
            return _("The calibration set “%(field)s” to %(after)s.", field=field,
                     after=_choice(prop, d.get("after"))), ""
        return _("The review was calibrated."), ""

    def amended(self, event) -> tuple[str, str]:
        """A decision changed a nomination: who was added and removed (named to HR and to
        whoever changed it; others read how many)."""
        d = event.detail
        added, removed = list(d.get("added") or ()), list(d.get("removed") or ())
        text = _("changed the list when deciding: %(added)d added, %(removed)d removed.",
                 added=len(added), removed=len(removed))
        if not (self.hr or event.actor == self.viewer):
            return text, ""
        parts = []
        if added:
            parts.append(_("added %(people)s", people=", ".join(added)))
        if removed:
            parts.append(_("removed %(people)s", people=", ".join(removed)))
        return text, "; ".join(parts)

    def follow_up_finished(self, d: dict) -> str:
        """A proposal started from this instance ended (approved, declined), in the words
        of its own definition."""
        spec = library.current().workflows.get(d.get("workflow"))
        spec = i18n.localized(spec) if spec is not None else None
        state = spec.states.get(d.get("state")) if spec is not None else None
        return _("“%(workflow)s” (process #%(num)s) ended: %(state)s.",
                 workflow=(spec.title if spec else None) or humanize(d.get("workflow")),
                 num=d.get("child", "?"),
                 state=(state.title if state and state.title else humanize(d.get("state"))))

    def sees_calibration(self, event) -> bool:
        """HR and the calibrated answer's author read both values and the reason."""
        return self.hr or self.viewer == event.detail.get("author")

    def reads_form(self, form_id) -> bool:
        """May the viewer read the instance's current answer to ``form_id``?"""
        return any(v.form_id == form_id for v in self.readable)

    def text(self, event) -> tuple[str, str]:
        """The sentence (after the actor's name, if shown) and a note."""
        detail, kind, d = self.detail, event.kind, event.detail
        state = lambda name: _state_title(detail, name)  # noqa: E731
        if kind == EventKind.TRANSITION:
            moved = {"from": state(event.from_state), "to": state(event.to_state)}
            if is_automatic(detail, event):
                return _("The process moved on from “%(from)s” to “%(to)s”.", **moved), ""
            return _("chose “%(decision)s”: the process moved from “%(from)s” to “%(to)s”.",
                     decision=_trigger_title(detail, event.trigger), **moved), ""
        if kind == EventKind.LAUNCHED:
            return _("started the process in “%(state)s”.", state=state(event.to_state)), ""
        if kind == EventKind.FINISHED:
            return _("The process finished in “%(state)s”.", state=state(event.to_state)), ""
        if kind == EventKind.CANCELLED:
            return _("cancelled the process."), str(d.get("reason") or "")
        if kind == EventKind.SUBMITTED:
            if d.get("written_for") and event.task_id not in self.hidden:
                return _("submitted “%(task)s” for %(holder)s.", task=self.task(event),
                         holder=self.person(d["written_for"])), ""
            return _("submitted “%(task)s”.", task=self.task(event)), ""
        if kind == EventKind.DRAFT_SAVED:
            return _("saved a draft of “%(task)s”.", task=self.task(event)), ""
        if kind in (EventKind.REASSIGNED, EventKind.DELEGATED):
            to = d.get("to")
            if event.task_id in self.hidden or not to:
                text = (_("gave “%(task)s” to someone else.", task=self.task(event))
                        if kind == EventKind.REASSIGNED else
                        _("handed “%(task)s” on to someone else.", task=self.task(event)))
            else:
                text = (_("gave “%(task)s” to %(to)s.", task=self.task(event),
                          to=self.person(to)) if kind == EventKind.REASSIGNED else
                        _("handed “%(task)s” on to %(to)s.", task=self.task(event),
                          to=self.person(to)))
            return text, "" if event.task_id in self.hidden else str(d.get("reason") or "")
        if kind == EventKind.REMINDED and d.get("triggers"):  # a decision's remind: time
            sent_to = d.get("recipients") or []
            return _("A reminder of the decision waiting on them (%(choices)s) was sent to "
                     "%(holder)s.", choices=", ".join(
                         _trigger_title(detail, t) for t in d["triggers"]),
                     holder=", ".join(self.person(e) for e in sent_to)), ""
        if kind == EventKind.REMINDED:
            sent_to = d.get("recipients")
            sent_to = sent_to[0] if isinstance(sent_to, list) and sent_to else sent_to
            return _("A reminder about “%(task)s” was sent to %(holder)s.",
                     task=self.task(event), holder=self.holder(event, sent_to)), ""
        if kind == EventKind.NUDGED:
            return _("sent %(holder)s a reminder about “%(task)s”.", task=self.task(event),
                     holder=self.holder(event, d.get("to"))), ""
        if kind == EventKind.ESCALATED:
            return _("“%(task)s”, held by %(holder)s, was overdue and escalated to %(to)s.",
                     task=self.task(event), holder=self.holder(event, d.get("holder")),
                     to=self.people(d.get("to"))), ""
        if kind == EventKind.UNASSIGNED:
            return _("Nobody could be given “%(task)s” (role %(role)s): HR needs to give it "
                     "to someone.", task=self.task(event), role=d.get("role") or "?"), (
                "; ".join(d.get("problems") or ()) if self.hr else "")
        if kind == EventKind.ROLE_PROBLEMS and d.get("tasks") == 0:
            return _("Nobody plays %(role)s here, so “%(task)s” was asked of nobody.",
                     task=_line_title(detail, d.get("form"), d.get("role")) if d.get("form")
                     else d.get("role") or "?", role=d.get("role") or "?"), ""
        if kind == EventKind.ROLE_PROBLEMS:
            return _("Some people could not be given “%(task)s” (role %(role)s); HR and "
                     "whoever named them were told.", task=self.task(event),
                     role=d.get("role") or "?"), (
                "; ".join(d.get("problems") or ()) if self.hr else "")
        if kind == EventKind.REPEATED:
            return _("A new “%(task)s” was created (the task repeats).",
                     task=self.task(event)), ""
        if kind == EventKind.STARTED:
            if d.get("running"):  # one of it was already running for the person
                return _("started a follow-up process; one was already running for this "
                         "person, so it is linked instead of a second one."), ""
            return _("started a follow-up process."), ""
        if kind == EventKind.EXPORTED:
            return _("exported the answers, private fields included."), ", ".join(
                d.get("private_fields") or ())
        if kind == EventKind.REFUSED:
            action = _trigger_title(detail, event.trigger) if event.trigger else _("an action")
            return _("tried “%(action)s”, which was refused.", action=action), str(
                d.get("reason") or "")
        if kind == EventKind.TIMER_HELD:
            return _("“%(trigger)s” came due but did not fire: its conditions did not hold.",
                     trigger=_trigger_title(detail, event.trigger)), str(d.get("reason") or "")
        if kind == EventKind.EXPRESSION_ERROR:
            return _("A condition of “%(trigger)s” could not be evaluated.",
                     trigger=_trigger_title(detail, event.trigger)), (
                str(d.get("error") or "") if self.hr else "")
        if kind == EventKind.AUTO_LOOP_STOPPED:
            return _("The process stopped moving on by itself after %(limit)s steps in a row.",
                     limit=d.get("limit", "?")), ""
        if kind == EventKind.CALIBRATED:
            return self.calibrated(event)
        if kind == EventKind.REVISED and d.get("parent"):  # the change, seen from the proposal
            return _("approved the change: it is now “%(form)s” of process #%(num)s.",
                     form=_form_title(self.detail, d.get("form")), num=d["parent"]), ", ".join(
                d.get("fields") or ()) or _("Nothing differed from the answer as it was.")
        if kind == EventKind.REVISED:  # revise: an approved change became the answer
            return _("approved the proposed change: “%(form)s” now has it.",
                     form=_form_title(self.detail, d.get("form"))), ", ".join(d.get("fields") or ())
        if kind == EventKind.FOLLOW_UP_FINISHED:
            return self.follow_up_finished(d), ""
        if kind == EventKind.MIGRATED:
            return _("moved the process from version %(old)s to version %(new)s.",
                     old=d.get("from_version", "?"), new=d.get("to_version", "?")), ""
        if kind == EventKind.DECLINED:
            return _("declined “%(task)s”.", task=self.task(event)), (
                str(d.get("reason") or "") if self.hr or event.actor == self.viewer
                or event.task_id not in self.hidden else "")
        if kind == EventKind.AMENDED:
            return self.amended(event)
        if kind == EventKind.ANONYMITY_REVEALED:
            return _("looked at who wrote the anonymous answers."), str(d.get("reason") or "")
        return _("%(what)s.", what=humanize(kind)), ""


def _choice(prop: dict, value) -> str:
    """A stored value as its choice's label (``4 - Exceeded expectations``)."""
    for option in prop.get("oneOf") or prop.get("anyOf") or ():
        if isinstance(option, dict) and option.get("const") == value:
            return str(option.get("title") or value)
    return "–" if value is None else str(value)


def timeline(user, detail) -> list[Line]:
    """The instance's history for ``user``, oldest first."""
    hr = visibility.is_hr(user.email, detail)
    hidden_tasks = set() if sees_raters(user, detail) else anonymous_task_ids(detail)
    hidden_people = {t.assignee_email for t in detail.tasks if t.id in hidden_tasks}
    hidden_people.discard(user.email)
    names = _names(detail)
    readable = (visibility.visible_submissions(user.email, detail)[0]
                if any(e.kind == EventKind.CALIBRATED for e in detail.history) else ())
    story = _Story(detail, names, hidden_tasks, hr, user.email, readable)
    out = []
    for event in detail.history:
        if not hr and event.kind == EventKind.REFUSED and event.actor != user.email:
            continue
        if event.kind == EventKind.DRAFT_SAVED and event.actor != user.email:
            continue
        text, note = story.text(event)
        who = "" if event.actor == "system" else names.get(event.actor, event.actor)
        if is_automatic(detail, event) or kind_is_system(event.kind):
            who = ""
        elif event.kind == EventKind.CALIBRATED and not story.sees_calibration(event):
            who = ""  # the sentence says what happened; who calibrated is HR's to know
        elif event.actor in hidden_people:
            who = ANONYMOUS_LABEL if event.task_id in hidden_tasks else ""
        if event.task_id in hidden_tasks:
            note = ""  # details of an anonymous task could name its holder
        if not who and text[:1].islower():
            who = _("Someone")  # a sentence needs its subject, even one not named
        out.append(Line(event.at, event.kind, who, text, note))
    return out


def kind_is_system(kind: str) -> bool:
    """Events that read as a sentence of their own, without an actor."""
    return kind in BY_THE_SYSTEM
