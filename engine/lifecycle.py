"""One instance during one command: entering and leaving states, tasks, timers, auto steps.

Entering a state creates its tasks and timers, a done state fires its first auto
transition whose conditions hold, leaving a state cancels its open tasks. New rows are
collected in a :class:`Pending` unit and inserted in bulk, so a launch of thousands of
instances costs a few statements per batch. The state itself is moved by
:func:`engine.machine.move`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime

import peewee as pw

from engine import carry, computed, connection, dates, links, roles, scores, statements
from engine.clock import end_of_day
from engine.definitions.specs import PARENT_PREFIX, TaskSpec, TransitionSpec, WorkflowSpec
from engine.directory import People, subject_view
from engine.errors import Conflict, Refusal
from engine.expressions import ExpressionError, compile_expression
from engine.machine import move
from engine.messages import N_
from engine.store import (
    Cycle,
    Event,
    EventKind,
    Instance,
    InstanceStatus,
    MailStatus,
    Outbox,
    Person,
    Submission,
    Task,
    TaskStatus,
)

#: Auto transitions one command may fire before it stops (a definition that loops).
MAX_AUTO_STEPS = 50
TASK_FIELDS = tuple(Task._meta.sorted_field_names)


@dataclass
class Pending:
    """New rows of one command, inserted together at the end."""

    tasks: list[Task] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    outbox: list[dict] = field(default_factory=list)
    #: outbox rows announcing new tasks to their assignees, waiting for the tasks' ids
    announce: list[tuple[Task, dict]] = field(default_factory=list)

    def flush(self) -> None:
        """Insert everything collected, in bulk."""
        rows = [{f: t.__data__.get(f) for f in TASK_FIELDS if f != "id"} for t in self.tasks]
        if self.announce:
            self._insert_announced(rows)
        else:
            statements.insert_rows(Task, rows)
        for model, items in ((Event, self.events), (Outbox, self.outbox)):
            statements.insert_rows(model, items)
        self.tasks, self.events, self.outbox, self.announce = [], [], [], []

    def _insert_announced(self, rows: list[dict]) -> None:
        """Insert the tasks, learn their ids, and queue the outbox rows naming them."""
        key = ("instance", "entry", "task_key", "assignee")  # one task each per flush
        if statements.can_return():
            made = statements.insert_returning(Task, rows, ("id", *key))
        else:
            statements.insert_rows(Task, rows)
            instances = sorted({r["instance"] for r in rows})
            made = list(Task.select(Task.id, *(getattr(Task, k) for k in key))
                        .where(Task.instance.in_(instances)).order_by(Task.id).tuples())
        ids = {tuple(r[1:]): r[0] for r in made}
        for task, row in self.announce:
            data = task.__data__
            found = ids.get(tuple(data[k] for k in key))
            if found is not None:
                data["id"] = found
                row["task"] = found
                self.outbox.append(row)


def aware(moment: datetime | None) -> datetime | None:
    """Naive UTC (as stored) -> timezone-aware UTC (as expressions see ``now``)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


_many_forms: dict[int, tuple[WorkflowSpec, frozenset[str]]] = {}


def many_forms(spec: WorkflowSpec) -> frozenset[str]:
    """Forms filled by several tasks of a line (several people, quorum, repeat): a list.

    Cached per spec object (specs are frozen; one is shared by every instance of a version).
    """
    found = _many_forms.get(id(spec))
    if found is not None and found[0] is spec:
        return found[1]
    if len(_many_forms) > 256:  # specs of libraries loaded and dropped (tests): forget them
        _many_forms.clear()
    out = _find_many_forms(spec)
    _many_forms[id(spec)] = (spec, out)
    return out


def _find_many_forms(spec: WorkflowSpec) -> frozenset[str]:
    out = set()
    for state in spec.states.values():
        for line in state.tasks:
            role = spec.roles.get(line.role)
            if line.repeat or line.quorum or (role is not None and role.multi):
                out.add(line.form)
    return frozenset(out)


def current_revision():
    """Submissions no later revision replaces (a calibration keeps the original row)."""
    Revised = Submission.alias("revised")  # noqa: N806 (a table alias)
    return ~pw.fn.EXISTS(Revised.select(Revised.id).where(Revised.revision_of == Submission.id))


def load_forms(spec: WorkflowSpec, instance_id: int) -> dict:
    """Form id -> the latest submission's data (a list of the latest visit's for many)."""
    return forms_from_rows(spec, submission_rows(instance_id))


def submission_rows(instance_id: int) -> list[tuple[str, dict, int]]:
    """(form_id, data, entry) of every submission of the instance, in order (the current
    revision of a calibrated answer, not the one it replaced)."""
    return [row[:3] for row in statements.submissions_of(instance_id)]


def counts_from_rows(rows) -> dict[str, int]:
    """Form id -> how many submissions it has in the instance, every visit counted: the
    ``count(form)`` of expressions (a loop "until 4 check-ins" re-enters its state, and
    ``forms`` keeps only the latest visit's)."""
    out: dict[str, int] = {}
    for form_id, *_ in rows:
        out[form_id] = out.get(form_id, 0) + 1
    return out


def forms_from_rows(spec: WorkflowSpec, rows: list[tuple[str, dict, int]]) -> dict:
    """Build the ``forms`` name of expressions from (form_id, data, entry) rows in order."""
    many = many_forms(spec)
    grouped: dict[str, list[tuple[dict, int]]] = {}
    for form_id, data, entry in rows:
        grouped.setdefault(form_id, []).append((data, entry))
    out = {}
    for form_id, items in grouped.items():
        if form_id in many:
            last = items[-1][1]
            out[form_id] = [d for d, e in items if e == last]
        else:
            out[form_id] = items[-1][0]
    for form_id in many - set(out):
        out[form_id] = []
    return out


def next_reminder(due: datetime | None, offsets, now: datetime) -> datetime | None:
    """The earliest reminder time (``due - offset``, a month back on the organisation's
    calendar) still ahead of ``now``."""
    if due is None:
        return None
    times = sorted(t for t in (o.subtract_from(due) for o in offsets) if t > now)
    return times[0] if times else None


class Run:
    """One instance during one command (rows read once, new rows collected in Pending)."""

    def __init__(self, row: Instance, version, people: People, now: datetime,
                 pending: Pending, new: bool = False,
                 cycle_dates: dates.CycleDates | None = None):
        self.row = row
        self.version = version
        self.spec: WorkflowSpec = version.spec
        self.people = people
        self.now = now
        self.pending = pending
        self._tasks: list[Task] | None = [] if new else None
        #: the instance's current submissions (statements.submissions_of): read once per
        #: command, again after this command adds one
        self._submissions: list[tuple] | None = [] if new else None
        self._forms: dict | None = forms_from_rows(self.spec, []) if new else None
        self._counts: dict | None = {} if new else None
        self._earlier: dict | None = None  # (state, task line, author) -> last answers
        self.dirty: dict = {}
        #: set by closing a calibration session: the instance's calibration state is done
        self.calibrated = False
        self.fired: list[str] = []
        self.children: list[Run] = []
        self.sent_back: dict | None = None  # a manual transition with a reason, being taken
        self.due_at: datetime | None = None  # a launch's --due-date for the first tasks
        # the cycle's dates: given by a launch (no query), none outside a cycle, else read
        self._dates = cycle_dates or (None if row.cycle_id else dates.NONE)

    # ----------------------------------------------------------------- reading

    @property
    def subject(self) -> Person:
        return self.people.get(self.row.subject_id)

    def tasks(self) -> list[Task]:
        """Tasks of the current visit of the current state."""
        if self._tasks is None:
            self._tasks = statements.select_matching(
                Task, {"instance": self.row.id, "entry": self.row.entry})
        return self._tasks

    @property
    def facts(self) -> roles.Facts:
        """The instance as its roles see it (subject, directory, forms)."""
        return roles.Facts(self.row.subject_id, self.people, self.forms)

    def resolve(self, role_name: str, allow_subject: bool = False) -> roles.Resolved:
        """The active people playing the workflow's role ``role_name`` now (never the
        subject, but through ``subject`` or with ``allow_subject``)."""
        return roles.resolve(self.spec.roles[role_name], self.facts, allow_subject)

    def plays(self, email: str, role_names) -> str | None:
        """The first of ``role_names`` that ``email`` plays in the instance, or None."""
        return roles.plays_any(email, role_names, self.spec, self.facts)

    def hr(self) -> list[str]:
        """Emails of HR (told when nobody plays a role), the subject left out."""
        return [p.email for p in roles.hr_members(self.people) if p.id != self.row.subject_id]

    def is_hr(self, email: str) -> bool:
        """May ``email`` act as HR on this instance (HR, and not its subject)?"""
        return roles.is_hr_for(email, self.people, self.row.subject_id)

    def forms(self) -> dict:
        """The ``forms`` name of expressions (loaded once per command)."""
        if self._forms is None:
            rows = [row[:3] for row in self.submissions()]
            self._forms = forms_from_rows(self.spec, rows)
            self._counts = counts_from_rows(rows)
        return self._forms

    def counts(self) -> dict[str, int]:
        """Form id -> its submissions in the instance, every visit (``count(form)``)."""
        if self._counts is None:
            self._forms = None
            self.forms()
        return self._counts

    def submissions(self) -> list[tuple]:
        """``(form_id, data, entry, author_id, state, task_key)`` of each current submission
        of the instance, in order (what ``forms`` and the earlier answers are made of)."""
        if self._submissions is None:
            self._submissions = statements.submissions_of(self.row.id)
        return self._submissions

    def note_submission(self, form_id: str, data: dict, author_id: int,
                        task: Task | None = None) -> None:
        """Keep ``forms``, the counts and the submissions true after a submission made in
        this command by ``author_id`` (for ``task``; None: a transition's form)."""
        if self._submissions is not None:
            entry = task.entry if task is not None else self.row.entry
            self._submissions.append((form_id, data, entry, author_id,
                                      *((task.state, task.task_key) if task else (None, None))))
        if self._forms is None:
            return
        if self._counts is not None:
            self._counts[form_id] = self._counts.get(form_id, 0) + 1
        if form_id in many_forms(self.spec):
            self._forms = None  # rebuilt from rows: the list belongs to the latest visit
        else:
            self._forms[form_id] = data

    def note_revision(self, form_id: str, data: dict) -> None:
        """Keep ``forms`` true after a calibration replaced an answer (a revision, not one
        more submission: ``count(form)`` stays as it was)."""
        self._submissions = None
        if self._forms is not None:
            if form_id in many_forms(self.spec):
                self._forms = None
            else:
                self._forms[form_id] = data

    def context(self) -> dict:
        """Names for expressions: subject, forms, now, instance."""
        subject = self.subject
        cycle = None
        if self.row.cycle_id:
            cycle = Cycle.select(Cycle.name).where(Cycle.id == self.row.cycle_id).scalar()
        context = {
            "subject": subject_view(subject, self.people, self.people.groups_of(subject.id)),
            "forms": self.forms(),
            "counts": self.counts(),
            "now": aware(self.now),
            "instance": {
                "id": self.row.id, "state": self.row.state, "workflow": self.spec.id,
                "started_at": aware(self.row.started_at), "entered_at": aware(self.row.entered_at),
                "cycle": cycle, "entry": self.row.entry,
            },
        }
        context["scores"] = scores.values(scores.work_out(self.spec, context))
        context["previous"] = carry.Previous(self.row)  # read only when asked
        context["instances"] = carry.instances_function(self.row)
        context["parent"] = carry.Parent(self.row)
        return context

    # ----------------------------------------------------------------- writing

    def set(self, **fields) -> None:
        """Change instance fields (saved by :meth:`save`)."""
        for name, value in fields.items():
            setattr(self.row, name, value)
        self.dirty.update(fields)

    def event(self, kind: EventKind, actor: str = "system", *, trigger: str | None = None,
              from_state: str | None = None, to_state: str | None = None,
              task_id: int | None = None, **detail) -> None:
        """Append a history event (inserted with the command)."""
        self.pending.events.append({
            "instance": self.row.id, "at": self.now, "actor": actor, "kind": kind,
            "trigger": trigger, "from_state": from_state, "to_state": to_state,
            "task": task_id, "detail": detail,
        })

    def notify(self, recipients, kind: str, subject: str, body: str,
               task_id: int | None = None, **params) -> None:
        """Queue a message in the outbox (delivered by :mod:`engine.mail` later); ``params``
        are the facts the mail is composed from (a reason, a trigger)."""
        for email in sorted(set(recipients)):
            self.pending.outbox.append(outbox_row(
                email, kind, subject, body, self.now, self.row.id, task_id, params or None))

    def announce(self, task: Task, person: Person, line: TaskSpec) -> None:
        """Tell ``person`` the new ``task`` is theirs (or sent back to them, with the reason)."""
        title = line.title or line.form
        kind, params = "assigned", None
        if self.sent_back is not None:
            kind, params = "sent-back", self.sent_back
        self.pending.announce.append((task, outbox_row(
            person.email, kind, f"{title} about {self.subject.name}",
            f"Your task '{title}' about {self.subject.name}.", self.now, self.row.id, None,
            params)))

    def save(self) -> None:
        """Write changed instance fields (this run's and its children's)."""
        if self.dirty:
            statements.update_row(Instance, self.row.id, **self.dirty)
            self.dirty = {}
        for child in self.children:
            child.save()

    # ----------------------------------------------------------------- states

    def enter(self, state_name: str) -> None:
        """Create the state's tasks and timers, or finish the instance on a final state."""
        state = self.spec.states[state_name]
        if state.final:
            self.set(status=InstanceStatus.FINISHED, finished_at=self.now, timer_at=None)
            self.event(EventKind.FINISHED, to_state=state_name)
            self.tell_parent(state_name)
            return
        for line in state.tasks:
            self.create_tasks(line)
        self.tell_deciders(state_name)
        self.tell_readers(state_name)
        timer = self.timer_after()
        if timer != self.row.timer_at:
            self.set(timer_at=timer)

    def tell_parent(self, state_name: str) -> None:
        """A ``parent:`` instance (a proposed change) ended: its parent's history says how
        (approved, declined), where the people of the running quarter read it."""
        if self.spec.parent is None or self.row.parent_id is None:
            return
        self.pending.events.append({
            "instance": self.row.parent_id, "at": self.now, "actor": "system",
            "kind": EventKind.FOLLOW_UP_FINISHED, "trigger": self.fired[-1] if self.fired
            else None, "from_state": None, "to_state": None, "task": None,
            "detail": {"child": self.row.id, "workflow": self.spec.id, "state": state_name}})

    def tell_deciders(self, state_name: str) -> None:
        """A state of decisions only (no tasks): tell the people whose role may fire its
        manual transitions (a manager, a skip-level). Transitions from every state (HR's
        "cancel" from ``*``) wait on nobody; a group's (HR's) decisions are in its console:
        a mail to every member for every instance would drown them."""
        if self.spec.states[state_name].tasks:
            return
        for email, triggers in sorted(self._deciders(
                self.spec.transitions_from(state_name)).items()):
            self.notify([email], "decision", f"A decision about {self.subject.name}",
                        f"{self.spec.title} about {self.subject.name} waits for your "
                        f"decision ({', '.join(triggers)}).", triggers=triggers)

    def remind_deciders(self, transitions) -> int:
        """A transition's ``remind:`` time came and its decision still waits: remind the
        people who may make it (as :meth:`tell_deciders` told them) of every choice of the
        state that is theirs, and record it."""
        due = self._deciders(transitions)
        choices = self._deciders(self.spec.transitions_from(self.row.state))
        deciders = {email: choices.get(email, triggers) for email, triggers in due.items()}
        for email, triggers in sorted(deciders.items()):
            self.notify([email], "decision-reminder",
                        f"Reminder: a decision about {self.subject.name}",
                        f"{self.spec.title} about {self.subject.name} still waits for your "
                        f"decision ({', '.join(triggers)}).", triggers=triggers)
            self.event(EventKind.REMINDED, triggers=triggers, recipients=[email])
        return len(deciders)

    def _deciders(self, transitions) -> dict[str, list[str]]:
        """Who may fire which of ``transitions`` by hand: {email: [trigger, ...]}, for the
        personal roles (a group, HR, decides from its console, not one mail each), leaving
        out the transitions from every state (HR's "cancel" waits on nobody)."""
        everywhere = {s.name for s in self.spec.states.values() if not s.final}
        by_person: dict[str, list[str]] = {}
        for t in transitions:
            if not t.manual or set(t.sources) >= everywhere and len(everywhere) > 1:
                continue
            for role in roles.deciders(t):
                spec = self.spec.roles.get(role)
                if spec is None or spec.kind == "group":
                    continue
                for email in self._players(role):
                    by_person.setdefault(email, []).append(t.trigger)
        return by_person

    def tell_readers(self, state_name: str) -> None:
        """``readers: {role: after STATE}``: on entering STATE, tell the role that the
        form's answers (if any) may now be read."""
        for state in self.spec.states.values():
            for line in state.tasks:
                for rule in line.readers:
                    if rule.after != state_name or not self._submitted(line.form):
                        continue
                    title = line.title or line.form
                    self.notify(self._players(rule.role), "readable",
                                f"{title} about {self.subject.name} is ready to read",
                                f"You may now read '{title}' about {self.subject.name}.",
                                form=line.form)

    def _submitted(self, form_id: str) -> bool:
        found = self.forms().get(form_id)
        return bool(found)

    def _players(self, role: str) -> list[str]:
        if role in self.spec.roles:
            return [p.email for p in self.resolve(role).people]
        return self.hr() if role == roles.HR_GROUP else []

    def timer_after(self, after: datetime | None = None) -> datetime | None:
        """When the next ``after:`` timer or decision reminder of the current state is due
        (strictly after ``after``)."""
        times = [t for t in timer_times(self.spec, self.row.state, self.row.entered_at)
                 if after is None or t > after]
        return min(times) if times else None

    def reminders_due(self, since: datetime, now: datetime) -> list[TransitionSpec]:
        """The manual transitions of the current state with a ``remind:`` time in
        [``since``, ``now``]: the instance's timer was at ``since``, so the times before
        it were handled by earlier rounds (one reminder per round, however many passed)."""
        entered = self.row.entered_at
        return [t for t in self.spec.transitions_from(self.row.state) if t.manual
                and any(since <= r.add_to(entered) <= now for r in t.remind)]

    def create_tasks(self, line: TaskSpec) -> None:
        """One task per person of the line's role; unassigned (and HR told) for nobody."""
        found = self.resolve(line.role, line.allow_subject)
        for person in found.people:
            self.announce(self.new_task(line, person), person, line)
        for email in found.outside:  # raters outside the directory answer through a link
            person = external_person(email, self.people, self.now,
                                     self.rater_language(line.role, email))
            self.announce(self.new_task(line, person, external=True), person, line)
        if not found.people and not found.outside and found.nobody_is_fine:
            # nobody reports to an individual contributor: no upward task, nothing to fix
            self.event(EventKind.ROLE_PROBLEMS, role=line.role, form=line.form,
                       problems=found.problems, tasks=0)
        elif not found.people and not found.outside:
            self.new_task(line, None)
            self.event(EventKind.UNASSIGNED, role=line.role, form=line.form,
                       problems=found.problems)
            self.notify(self.hr(), "unassigned",
                        f"Unassigned task: {line.form} for {self.subject.name}",
                        f"Nobody plays '{line.role}' for {self.subject.name} "
                        f"({'; '.join(found.problems)}). Please reassign the task.",
                        form=line.form, state=self.row.state, key=line.key,
                        problems=[str(p) for p in found.problems])
        elif found.problems:
            self.event(EventKind.ROLE_PROBLEMS, role=line.role, problems=found.problems)
            self.tell_role_problems(line, found)

    def nominator(self, role) -> Person | None:
        """Who last named the people of a ``field:``-like role (the latest author of its
        form in this instance), if they are still active."""
        named_by = (Submission.select(Submission.author)
                    .where((Submission.instance == self.row.id)
                           & (Submission.form_id == role.form))
                    .order_by(Submission.id.desc()).first())
        author = self.people.get(named_by.author_id) if named_by else None
        return author if author is not None and author.active else None

    def tell_role_problems(self, line: TaskSpec, found: roles.Resolved) -> None:
        """Some people of a role could not be given their task: HR and, for a ``field:``
        role, whoever named them are told, so nobody is dropped (nor a quorum shrunk)
        without a word."""
        role = self.spec.roles[line.role]
        told = list(self.hr())
        author = self.nominator(role) if role.named else None
        if author is not None:
            told.append(author.email)
        count = len(found.people)
        quorum = f" (the quorum is {line.quorum})" if line.quorum else ""
        self.notify(told, "role-problems",
                    f"Not everyone could be asked: {line.form} for {self.subject.name}",
                    f"{count} task(s) of '{line.form}' were created for {self.subject.name}"
                    f"{quorum}; these people could not be given one: "
                    f"{'; '.join(found.problems)}. HR can give a task to someone else "
                    "from the process page.", form=line.form, state=self.row.state,
                    key=line.key, created=count, problems=[str(p) for p in found.problems])

    def rater_language(self, role_name: str, email: str) -> str:
        """The language the nomination an ``external:`` role reads gives ``email`` (its
        mail and its link's page are written in it), or "" (the organisation's default)."""
        role = self.spec.roles.get(role_name)
        if role is None or role.kind != "external":
            return ""
        return roles.named_languages(self.forms(), role.form, role.field).get(
            email.strip().lower(), "")

    def new_task(self, line: TaskSpec, person: Person | None, created: datetime | None = None,
                 external: bool = False):
        """Add one task of ``line`` for ``person`` (None: unassigned); ``external``: the
        person is outside the directory and answers through a signed link."""
        created = created or self.now
        due = self.due_for(line, created)
        task = Task(__no_default__=True)  # filled directly: launch makes thousands
        task.__data__ = {
            "instance": self.row.id, "entry": self.row.entry, "state": self.row.state,
            "task_key": line.key, "form_id": line.form, "role": line.role,
            "assignee": person.id if person else None, "status": TaskStatus.OPEN,
            "draft": self.starting_answers(line, person), "created_at": created, "due_at": due,
            "remind_at": next_reminder(due, line.remind, self.now),
            "escalate_at": due if (line.escalate and due) else None, "escalated_to": None,
            "repeat_at": line.repeat.add_to(created) if line.repeat else None,
            "submitted_at": None, "submitted_by": None, "cancelled_at": None,
            "link_nonce": links.new_nonce() if external else None,
            "link_expires_at": links.expiry(created, due) if external else None,
        }
        self.tasks().append(task)
        self.pending.tasks.append(task)
        return task

    def cycle_dates(self) -> dates.CycleDates:
        """The dates the instance's cycle was launched with (read once per process)."""
        if self._dates is None:
            self._dates = launched_dates(self.row.cycle_id)
        return self._dates

    def due_for(self, line: TaskSpec, created: datetime) -> datetime | None:
        """When a new task of ``line`` is due: the launch's ``--due-date`` (first step),
        the cycle's date for this state, a date the line counts from, or its ``due`` after
        ``created``."""
        if self.due_at is not None:
            return self.due_at
        cycle_dates = self.cycle_dates()
        day = cycle_dates.states.get(self.row.state)
        if day is not None:
            return end_of_day(day)
        if line.due_from is None:
            return line.due.add_to(created) if line.due else None
        try:
            day = dates.date_of(self.spec, line.due_from, cycle_dates, self.subject,
                                self.people)
        except ExpressionError as exc:  # no start date: no due date, and HR can see why
            self.event(EventKind.EXPRESSION_ERROR, form=line.form, due_from=line.due_from,
                       error=str(exc))
            return None
        return dates.counted_due(line, day)

    def starting_answers(self, line: TaskSpec, person: Person | None) -> dict | None:
        """Where a new task's form starts: the same person's answers when the step is
        done again (sent back), else the line's ``prefill`` (engine/carry.py)."""
        earlier = self.earlier_answers(line, person)
        if earlier is not None or not line.prefill:
            return earlier
        draft = carry.prefilled(line, self.context())
        return computed.apply(self.version.form(line.form), draft) if draft else None

    def earlier_answers(self, line: TaskSpec, person: Person | None) -> dict | None:
        """Back at a step (sent back, redone), a task starts from what the same person
        submitted for the same task line last time, as their draft; None otherwise."""
        if person is None or self.row.entry <= 1:
            return None
        if self._earlier is None:  # once per command: this instance's submissions by line
            self._earlier = {}
            for _form, data, entry, author, state, key in self.submissions():
                if key is not None and entry < self.row.entry:  # a task's, an earlier visit's
                    self._earlier[(state, key, author)] = data
        data = self._earlier.get((self.row.state, line.key, person.id))
        # a copy: the draft it becomes is the new task's, the answers stay what ``forms`` says
        return copy.deepcopy(data)

    def line_of(self, task: Task) -> TaskSpec | None:
        """The task line (spec) a task row was created from."""
        state = self.spec.states.get(task.state)
        for line in state.tasks if state else ():
            if line.key == task.task_key:
                return line
        return None

    def is_done(self) -> bool:
        """Is every task line of the current state done (all submitted, or quorum)?"""
        state = self.spec.states[self.row.state]
        if state.final or (state.calibration and self.row.cycle_id is not None
                           and not self.calibrated):
            # A calibration state waits for its session to close; a process outside any
            # cycle (started on its own) has nothing to be calibrated against.
            return False
        tasks = self.tasks()
        for line in state.tasks:
            live = [t for t in tasks if t.task_key == line.key and t.status != TaskStatus.CANCELLED]
            submitted = sum(1 for t in live if t.status == TaskStatus.SUBMITTED)
            need = min(line.quorum, len(live)) if line.quorum else len(live)
            if submitted < need:
                return False
        return True

    # ----------------------------------------------------------------- transitions

    def holds(self, transition: TransitionSpec) -> tuple[bool, str | None]:
        """Do ``conditions`` all hold and no ``unless`` hold? (False + reason otherwise)."""
        if not transition.conditions and not transition.unless:
            return True, None
        context = self.context()
        try:
            for i, text in enumerate(transition.conditions):
                if not compile_expression(text).evaluate(context):
                    return False, refusal(transition, "conditions", i,
                                          f"condition {text!r} does not hold")
            for i, text in enumerate(transition.unless):
                if compile_expression(text).evaluate(context):
                    return False, refusal(transition, "unless", i, f"unless {text!r} holds")
        except ExpressionError as exc:
            self.event(EventKind.EXPRESSION_ERROR, trigger=transition.trigger, error=str(exc))
            return False, str(exc)
        return True, None

    def take(self, transition: TransitionSpec, actor: str) -> None:
        """Leave the current state through ``transition`` and enter its destination."""
        source = self.row.state
        self.cancel_open_tasks()
        dest = move(self.spec, source, transition)
        self.set(state=dest, entry=self.row.entry + 1, entered_at=self.now, timer_at=None)
        self._tasks = []
        self.event(EventKind.TRANSITION, actor, trigger=transition.trigger, from_state=source,
                   to_state=dest)
        self.fired.append(transition.trigger)
        if transition.manual and transition.form:
            self.sent_back = self._reason(transition, actor)
        for target, source in transition.revise:
            if target.startswith(PARENT_PREFIX):
                self.revise_parent(target[len(PARENT_PREFIX):], source, actor)
            else:
                self.revise(target, source, actor)
        try:
            self.enter(dest)
        finally:
            self.sent_back = None
        if transition.start:
            self.start_child(transition.start, actor)

    def revise(self, target: str, source: str, actor: str) -> None:
        """``revise:``: the fields of ``source``'s latest answer that ``target`` has become
        a new revision of ``target``'s answer (checked against its form: an invalid change
        refuses the whole command); the earlier revision stays, for the history."""
        current = self.current_answer(target)
        proposal = self.forms().get(source)
        if isinstance(proposal, dict) and current is not None:
            self.write_revision(current, proposal, actor, source=source)

    def current_answer(self, form_id: str) -> Submission | None:
        """The current revision of the instance's latest answer to ``form_id``."""
        return (Submission.select().where((Submission.instance == self.row.id)
                                          & (Submission.form_id == form_id)
                                          & current_revision())
                .order_by(Submission.id.desc()).first())

    def write_revision(self, current: Submission, proposal: dict, actor: str,
                       **detail) -> list[str] | None:
        """Write ``proposal``'s fields of ``current``'s form over it as a new revision
        (SubmissionInvalid when the result breaks the form); the fields that changed, or
        None when nothing did (no revision is written)."""
        from engine.submissions import check_submission, strip_unknown

        target = current.form_id
        form = self.version.form(target)
        fields = set(form.schema.get("properties") or {})
        changed = {k: v for k, v in proposal.items() if k in fields}
        data = computed.apply(form, strip_unknown(form, {**current.data, **changed}))
        if data == current.data:
            return None  # nothing changed: no revision
        check_submission(form, data)
        Submission.create(instance=self.row.id, task=current.task_id, form_id=target,
                          author=current.author_id, data=data, trigger=current.trigger,
                          entry=current.entry, state=current.state, submitted_at=self.now,
                          revision_of=current.id)
        self.note_revision(target, data)
        names = sorted(k for k in changed if current.data.get(k) != data.get(k))
        self.event(EventKind.REVISED, actor, form=target, fields=names,
                   submission=current.id, **detail)
        return names

    def revise_parent(self, target: str, source: str, actor: str) -> None:
        """``revise: {parent.FORM: SOURCE}``: the approved proposal becomes a new revision
        of the parent instance's answer, the parent left in the state it is in. The parent
        row is locked first (two proposals approved at once both land, one after the
        other); a parent that finished meanwhile, or has no answer to revise, refuses the
        whole command (Conflict), and nothing changes."""
        parent = self.parent_run()
        if parent.row.status != InstanceStatus.RUNNING:
            raise Conflict(N_("Process #%(num)s (%(parent)s) has ended: its '%(form)s' can "
                              "no longer be changed; decline the proposal instead",
                              num=parent.row.id, parent=parent.spec.id, form=target))
        current = parent.current_answer(target)
        if current is None:
            raise Conflict(N_("Process #%(num)s (%(parent)s) has no answer of '%(form)s' to "
                              "change yet", num=parent.row.id, parent=parent.spec.id,
                              form=target))
        proposal = self.forms().get(source)
        before = parent.context()
        before = dict(before, forms=dict(before["forms"]))  # revisions replace its entries
        fields = parent.write_revision(current, proposal if isinstance(proposal, dict) else {},
                                       actor, source=source, child=self.row.id,
                                       child_workflow=self.spec.id)
        if fields:
            parent.follow_revision(before)
        self.event(EventKind.REVISED, actor, form=target, source=source, fields=fields or [],
                   parent=parent.row.id)

    def parent_run(self) -> Run:
        """The instance this one was started from, locked, as a Run sharing this command's
        pending rows (its events are written with the command's)."""
        from engine import versions
        from engine.locking import lock_instance

        if self.row.parent_id is None:
            raise Conflict(f"instance {self.row.id} was not started from another instance, "
                           "so it has no parent to change")
        row = lock_instance(self.row.parent_id)
        parent = Run(row, versions.version_for(row.definition_id), self.people, self.now,
                     self.pending)
        self.children.append(parent)  # saved with this run
        return parent

    def follow_revision(self, before: dict) -> None:
        """After a new revision: the open tasks' prefilled fields that nobody changed since
        (a check-in listing the goals) follow it, so they never bring the old goals back."""
        after = self.context()
        for task in self.tasks():
            line = self.line_of(task)
            if task.status != TaskStatus.OPEN or not task.draft or not line or not line.prefill:
                continue
            form = self.version.form(line.form)
            old = computed.apply(form, carry.prefilled(line, before) or {})
            new = computed.apply(form, carry.prefilled(line, after) or {})
            draft = dict(task.draft)
            for key, _text in line.prefill:
                if key in old and draft.get(key) == old[key] and key in new:
                    draft[key] = new[key]
            draft = computed.apply(form, draft)
            if draft != task.draft:
                task.draft = draft
                statements.update_row(Task, task.id, draft=draft)

    def _reason(self, transition: TransitionSpec, actor: str) -> dict:
        """The words of a transition's form (a send-back reason) and who gave them."""
        data = self.forms().get(transition.form) or {}
        words = [str(v) for v in data.values() if isinstance(v, str) and v.strip()]
        person = self.people.find(actor)
        return {"trigger": transition.trigger, "reason": "\n".join(words),
                "by": person.name if person else actor}

    def cancel_open_tasks(self) -> None:
        """Cancel the current visit's open tasks (they stay in history)."""
        fields = {"status": TaskStatus.CANCELLED, "cancelled_at": self.now, "remind_at": None,
                  "escalate_at": None, "repeat_at": None}
        if self._tasks is not None:  # read under the lock: what they say is so
            still_open = [t for t in self._tasks if t.status == TaskStatus.OPEN]
            if not still_open:
                return  # (every submit that ends a step: the last task was just submitted)
            for task in still_open:
                for name, value in fields.items():
                    setattr(task, name, value)
        # not read in this command: no need to, the UPDATE finds the open ones itself
        statements.update_matching(Task, fields, {"instance": self.row.id, "entry": self.row.entry,
                                             "status": TaskStatus.OPEN})

    def advance(self, actor: str = "system") -> None:
        """Fire auto transitions (and elapsed timers) while one applies; guard loops."""
        for _ in range(MAX_AUTO_STEPS):
            if self.row.status != InstanceStatus.RUNNING:
                return
            chosen = self.next_automatic()
            if chosen is None:
                return
            self.take(chosen, actor)
        self.event(EventKind.AUTO_LOOP_STOPPED, state=self.row.state, limit=MAX_AUTO_STEPS)

    def next_automatic(self) -> TransitionSpec | None:
        """The first auto transition of a done state, or elapsed timer, whose conditions hold."""
        done = None
        for t in self.spec.transitions_from(self.row.state):
            if t.auto:
                done = self.is_done() if done is None else done
                if not done:
                    continue
            elif t.after is None or t.after.add_to(self.row.entered_at) > self.now:
                continue
            if self.holds(t)[0]:
                return t
        return None

    def start_child(self, workflow_id: str, actor: str) -> None:
        """``start:``: launch ``workflow_id`` for the same subject, linked to this instance.

        While another instance of it runs for the subject (a PIP HR started by hand), that
        one is linked instead of a second one created, as :func:`engine.commands.start`
        does; the subject's row is locked for the check, so racing starts make one."""
        from engine import connection, versions

        version = versions.version_for(versions.latest(workflow_id).id)
        spec = version.spec
        statements.get_row(Person, self.row.subject_id, for_update=connection.is_postgres())
        running = (Instance.select(Instance.id).where(
            (Instance.workflow_id == spec.id) & (Instance.subject == self.row.subject_id)
            & (Instance.status == InstanceStatus.RUNNING) & (Instance.id != self.row.id))
            .order_by(Instance.id).first())
        if running is not None:
            self.event(EventKind.STARTED, actor, child=running.id, workflow=spec.id,
                       running=True)
            return
        row = Instance.create(
            definition=version.definition_id, workflow_id=spec.id, cycle=None,
            subject=self.row.subject_id, state=spec.initial, status=InstanceStatus.RUNNING,
            entry=1, started_at=self.now, entered_at=self.now, parent=self.row.id)
        child = Run(row, version, self.people, self.now, self.pending, new=True)
        child.event(EventKind.LAUNCHED, actor, to_state=spec.initial, parent=self.row.id)
        child.enter(spec.initial)
        child.advance(actor)
        self.children.append(child)
        self.event(EventKind.STARTED, actor, child=row.id, workflow=spec.id)

    def cancel(self, actor: str, reason: str) -> None:
        """Stop the instance: open tasks cancelled, status cancelled."""
        self.cancel_open_tasks()
        self.set(status=InstanceStatus.CANCELLED, finished_at=self.now, timer_at=None)
        self.event(EventKind.CANCELLED, actor, from_state=self.row.state, reason=reason)


def refusal(transition: TransitionSpec, kind: str, index: int, text: str) -> Refusal:
    """Why ``transition`` does not apply, with the definition's message when it has one
    (kept in history next to the expression: ``... does not hold: MESSAGE``)."""
    message = transition.refusal_message(kind, index)
    if message:
        text = f"{text}: {message}"
    return Refusal(text, message, (transition.index, kind, index))


def external_person(email: str, people: People, now: datetime, language: str = "") -> Person:
    """The row of a rater outside the directory (made at first need): inactive, so they
    play no role and sign in nowhere; ``external``, so the directory never lists them.
    ``language``: the one their nomination gives them (a later nomination's wins)."""
    person = people.find(email)
    if person is None:
        email = email.strip().lower()
        Person.insert(email=email, name=email, department="", title="", attributes={},
                      language=language[:35], active=False, external=True,
                      updated_at=now).on_conflict_ignore().execute()
        person = Person.get(Person.email == email)
        people.add([person])
    elif language and person.external and person.language != language[:35]:
        statements.update_row(Person, person.id, language=language[:35])
        person.language = language[:35]
    return person


def outbox_row(recipient: str, kind: str, subject: str, body: str, now: datetime,
               instance_id: int | None, task_id: int | None, params: dict | None) -> dict:
    """An outbox row (every column), queued and due now."""
    return {"recipient": recipient, "subject": subject[:300], "body": body, "kind": kind,
            "created_at": now, "sent_at": None, "instance": instance_id, "task": task_id,
            "status": MailStatus.QUEUED.value, "attempts": 0, "next_attempt_at": None,
            "error": None, "message_id": None, "params": params}


def timer_times(spec: WorkflowSpec, state: str, entered: datetime) -> list[datetime]:
    """When ``state``, entered at ``entered``, has something to do by itself: its
    ``after:`` timers, and the ``remind:`` times of its manual transitions."""
    times = [t.after.add_to(entered) for t in spec.transitions_from(state) if t.after is not None]
    times += [r.add_to(entered) for t in spec.transitions_from(state) if t.manual
              for r in t.remind]
    return times


def first_timer(spec: WorkflowSpec, state: str, entered: datetime) -> datetime | None:
    """When the first timer (or decision reminder) of ``state`` entered at ``entered`` is
    due."""
    times = timer_times(spec, state, entered)
    return min(times) if times else None


#: cycle id -> the dates it was launched with. A cycle's dates never change once it is
#: made (a launch again with others is refused), so each process reads them once rather
#: than once per command that enters a state.
_LAUNCHED_DATES: dict[int, dates.CycleDates] = {}
_LAUNCHED_DATES_KEPT = 1024
connection.reset_hooks.append(_LAUNCHED_DATES.clear)  # ids of another database differ


def launched_dates(cycle_id: int) -> dates.CycleDates:
    """The dates cycle ``cycle_id`` was launched with (none for a cycle not found)."""
    found = _LAUNCHED_DATES.get(cycle_id)
    if found is None:
        row = statements.prepared("cycle-dates", _cycle_dates_query).execute(
            cycle_id).fetchone()
        if row is None:
            return dates.CycleDates.read(None)  # not kept: no such cycle (yet)
        found = dates.CycleDates.read(Cycle.dates.python_value(row[0]))
        if len(_LAUNCHED_DATES) >= _LAUNCHED_DATES_KEPT:
            _LAUNCHED_DATES.clear()
        _LAUNCHED_DATES[cycle_id] = found
    return found


def _cycle_dates_query():
    """A cycle's dates by id (a command entering a state in a cycle reads them; built once)."""
    cycle = statements.marker()
    return Cycle.select(Cycle.dates).where(Cycle.id == cycle), cycle
