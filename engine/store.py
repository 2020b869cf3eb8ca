"""Rows of the runtime: people, definition versions, cycles, instances, tasks, history.

The models live here; the database handle they use is :mod:`engine.connection`'s, and the
statements the hot paths reuse are :mod:`engine.statements`'s (both re-exported, so
``store.connect`` and ``store.select_matching`` keep working). State lives in rows, never
in a serialized blob rewritten per step (see design/performance.md). JSON columns are TEXT
on both backends.
"""

from __future__ import annotations

import json
from enum import StrEnum

import peewee as pw

from engine import schema
from engine.connection import (  # noqa: F401  (re-exported: the store's public API)
    BUSY_TIMEOUT_S,
    close,
    connect,
    database_for,
    db,
    init,
    is_postgres,
    reset_hooks,
    run_reset_hooks,
)
from engine.statements import (  # noqa: F401  (re-exported: the store's public API)
    Prepared,
    can_return,
    fetch,
    get_row,
    insert_returning,
    insert_rows,
    marker,
    select_matching,
    update_matching,
    update_row,
)


class TaskStatus(StrEnum):
    """A task is open until submitted, or cancelled when its state is left."""

    OPEN = "open"
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"


class InstanceStatus(StrEnum):
    """An instance runs until it enters a final state or HR cancels it."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    """What a history event records. The values are what the ``event.kind`` column holds,
    so they never change (databases written before stay readable)."""

    LAUNCHED = "launched"  # an instance was created (launch, start, or a start: child)
    STARTED = "started"  # a transition's start: launched a follow-up instance
    DRAFT_SAVED = "draft-saved"
    SUBMITTED = "submitted"
    TRANSITION = "transition"  # the state moved (by hand, auto or a timer)
    FINISHED = "finished"  # a final state was entered
    CANCELLED = "cancelled"  # HR stopped the instance
    REASSIGNED = "reassigned"  # HR gave a task to someone else
    DELEGATED = "delegated"  # the assignee handed a delegable task on
    REMINDED = "reminded"  # a remind: time came
    NUDGED = "nudged"  # HR sent a reminder by hand
    ESCALATED = "escalated"
    REPEATED = "repeated"  # a repeat: task was created again
    UNASSIGNED = "unassigned"  # nobody plays the role: the task waits for HR
    ROLE_PROBLEMS = "role-problems"  # some of a role's people could not be assigned
    REFUSED = "refused"  # a forbidden action (recorded after its rollback)
    TIMER_HELD = "timer-held"  # an after: timer elapsed but its conditions did not hold
    EXPRESSION_ERROR = "expression-error"
    AUTO_LOOP_STOPPED = "auto-loop-stopped"  # MAX_AUTO_STEPS reached in one command
    ANONYMITY_REVEALED = "anonymity-revealed"  # HR looked at anonymous authors
    EXPORTED = "exported"  # HR exported answers with private fields (engine.exports)
    MIGRATED = "migrated"  # HR moved the instance to another version of its definition
    CALIBRATED = "calibrated"  # a calibration session changed an answer (a new revision)
    REVISED = "revised"  # an approved change became a new revision of an answer (revise:)
    DECLINED = "declined"  # a rater declined a request (the task is cancelled), with why
    AMENDED = "amended"  # a decision changed who a nomination names (added, removed)
    FOLLOW_UP_FINISHED = "follow-up-finished"  # a parent: instance's proposal ended (how)


class JSONField(pw.TextField):
    """A JSON document stored as text (portable between SQLite and PostgreSQL)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, sort_keys=True, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Person(BaseModel):
    email = pw.CharField(max_length=320, unique=True)
    name = pw.CharField(max_length=200)
    manager = pw.ForeignKeyField("self", null=True, backref="reports", on_delete="SET NULL")
    department = pw.CharField(max_length=200, default="", index=True)
    title = pw.CharField(max_length=200, default="")
    start_date = pw.DateField(null=True)
    attributes = JSONField(default=dict)
    # The directory's preferred language (a tag such as ``da`` or ``sv-SE``), or "".
    language = pw.CharField(max_length=35, default="", constraints=[pw.SQL("DEFAULT ''")])
    active = pw.BooleanField(default=True)
    updated_at = pw.DateTimeField(null=True)
    # A rater outside the directory (a client named in an external: field), kept so their
    # task and answers have an author; never active, never listed with the directory.
    external = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])

    class Meta:
        # HR's directory listing, paged by key: active people first, by department and name
        indexes = ((("active", "department", "name", "id"), False),)


class PersonGroup(BaseModel):
    person = pw.ForeignKeyField(Person, backref="group_rows", on_delete="CASCADE")
    group = pw.CharField(max_length=100)

    class Meta:
        indexes = ((("group", "person"), True),)


class Definition(BaseModel):
    workflow_id = pw.CharField(max_length=100)
    version = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    title = pw.CharField(max_length=300, default="")
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("workflow_id", "version"), True),)


class DefinitionSource(BaseModel):
    definition = pw.ForeignKeyField(Definition, backref="sources", on_delete="CASCADE")
    kind = pw.CharField(max_length=20)  # "workflow" | "form"
    name = pw.CharField(max_length=100)
    sha256 = pw.CharField(max_length=64)
    text = pw.TextField()

    class Meta:
        indexes = ((("definition", "kind", "name"), True),)


class Cycle(BaseModel):
    name = pw.CharField(max_length=200, unique=True)
    workflow_id = pw.CharField(max_length=100)
    definition = pw.ForeignKeyField(Definition)
    filters = JSONField(default=list)
    created_at = pw.DateTimeField()
    created_by = pw.CharField(max_length=320, default="system")
    #: the dates it was launched with (engine.dates.CycleDates): a due day per state and
    #: the workflow's named dates; None without
    dates = JSONField(null=True)


class Instance(BaseModel):
    # A foreign key that leads one of Meta.indexes has no index of its own (``index=False``,
    # here and below): the longer index serves its look-ups, and every insert wrote both.
    definition = pw.ForeignKeyField(Definition, index=False)
    workflow_id = pw.CharField(max_length=100)
    cycle = pw.ForeignKeyField(Cycle, null=True, backref="instances", index=False)
    subject = pw.ForeignKeyField(Person, backref="instances", index=False)
    state = pw.CharField(max_length=100)
    status = pw.CharField(max_length=20, default=InstanceStatus.RUNNING)
    entry = pw.IntegerField(default=1)
    started_at = pw.DateTimeField()
    entered_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)
    parent = pw.ForeignKeyField("self", null=True, backref="children")
    timer_at = pw.DateTimeField(null=True)  # indexed where set (timer_index, below)
    launch_token = pw.CharField(max_length=40, null=True)

    class Meta:
        indexes = (
            (("cycle", "subject"), True),
            (("definition", "state", "status"), False),
            (("workflow_id", "status"), False),
            (("subject", "status"), False),
            (("cycle", "launch_token"), False),
        )


class Task(BaseModel):
    instance = pw.ForeignKeyField(Instance, backref="tasks", index=False)
    entry = pw.IntegerField()
    state = pw.CharField(max_length=100)
    task_key = pw.CharField(max_length=200)
    form_id = pw.CharField(max_length=100)
    role = pw.CharField(max_length=100)
    assignee = pw.ForeignKeyField(Person, null=True, backref="tasks", index=False)
    status = pw.CharField(max_length=20, default=TaskStatus.OPEN)
    draft = JSONField(null=True)
    created_at = pw.DateTimeField()
    due_at = pw.DateTimeField(null=True)
    # the three timers of a task are indexed where set (timer_index, below)
    remind_at = pw.DateTimeField(null=True)
    escalate_at = pw.DateTimeField(null=True)
    escalated_to = pw.ForeignKeyField(Person, null=True, backref="escalated_tasks",
                                      index=False)
    repeat_at = pw.DateTimeField(null=True)
    submitted_at = pw.DateTimeField(null=True)
    submitted_by = pw.CharField(max_length=320, null=True)
    cancelled_at = pw.DateTimeField(null=True)
    # An external rater's link (engine.links): the nonce it is signed with (a new one
    # withdraws the old link) and when it stops working.
    link_nonce = pw.CharField(max_length=40, null=True)
    link_expires_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("assignee", "status", "due_at"), False),
            (("escalated_to", "status"), False),
            (("instance", "entry"), False),
            # "recently done": one person's submitted tasks, newest first
            (("submitted_by", "status", "submitted_at"), False),
            # open and overdue tasks counted per cycle without reading closed ones
            (("status", "instance", "due_at"), False),
        )


def timer_index(model: type[pw.Model], column: str) -> pw.ModelIndex:
    """The index the worker's tick finds due rows by: (column, id) over the rows where the
    timer is set.

    Most rows have no timer (every task once done), so an index of every row would be
    mostly NULLs, and each submit or transition that clears a timer already NULL would
    still rewrite its entry (SQLite and PostgreSQL both update an index whenever its
    column is assigned): three such indexes made a task's UPDATE three times as slow. The
    id after the column lets the tick page through the due rows in (due, id) order.
    """
    field = model._meta.fields[column]
    return pw.ModelIndex(model, (field, model.id), where=field.is_null(False))


#: (model, column) of every timer the tick looks for (engine.timers).
TIMERS = ((Instance, "timer_at"), (Task, "remind_at"), (Task, "escalate_at"),
          (Task, "repeat_at"))
for _model, _column in TIMERS:
    _model.add_index(timer_index(_model, _column))


class Submission(BaseModel):
    instance = pw.ForeignKeyField(Instance, backref="submissions", index=False)
    task = pw.ForeignKeyField(Task, null=True, backref="submissions")
    form_id = pw.CharField(max_length=100)
    author = pw.ForeignKeyField(Person)
    data = JSONField()
    trigger = pw.CharField(max_length=100, null=True)
    entry = pw.IntegerField()
    state = pw.CharField(max_length=100)
    submitted_at = pw.DateTimeField()
    #: the submission this one replaces (a calibrated rating: a new revision, the
    #: original kept for HR); None for an answer as its author sent it
    revision_of = pw.ForeignKeyField("self", null=True, backref="revisions")

    class Meta:
        indexes = ((("instance", "form_id"), False),)


class Event(BaseModel):
    instance = pw.ForeignKeyField(Instance, backref="events", index=False)
    at = pw.DateTimeField()
    actor = pw.CharField(max_length=320)
    kind = pw.CharField(max_length=40)
    trigger = pw.CharField(max_length=100, null=True)
    from_state = pw.CharField(max_length=100, null=True)
    to_state = pw.CharField(max_length=100, null=True)
    task = pw.ForeignKeyField(Task, null=True, backref="events")
    detail = JSONField(default=dict)

    class Meta:
        indexes = ((("instance", "id"), False),)


class MailStatus(StrEnum):
    """An outbox row waits (queued) until the SMTP server accepted it (sent), or said no for
    good (failed, with its answer in ``error``), or it had nothing left to say (skipped)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # its task was done or given away before the mail went (``error`` says)


class Outbox(BaseModel):
    """One thing to tell one person. The mailer (:mod:`engine.mail`) puts every row due for
    a person into one mail; ``subject``/``body`` are the English words of the fact (what HR
    sees on the outbox page, and the mail text of kinds the mailer does not compose)."""

    recipient = pw.CharField(max_length=320)
    subject = pw.CharField(max_length=300)
    body = pw.TextField()
    kind = pw.CharField(max_length=40)
    created_at = pw.DateTimeField()
    sent_at = pw.DateTimeField(null=True, index=True)
    instance = pw.ForeignKeyField(Instance, null=True)
    task = pw.ForeignKeyField(Task, null=True)
    # Columns added with the mailer; the DEFAULTs let older rows (and bulk inserts that
    # leave them out) read as queued, due now.
    status = pw.CharField(max_length=10, default=MailStatus.QUEUED,
                          constraints=[pw.SQL("DEFAULT 'queued'")])
    attempts = pw.IntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])
    next_attempt_at = pw.DateTimeField(null=True)  # None: as soon as possible
    error = pw.TextField(null=True)  # the server's last answer (or why it was unreachable)
    message_id = pw.CharField(max_length=200, null=True)  # the Message-ID it went out with
    params = JSONField(null=True)  # facts for composing the mail (reason, trigger, link...)

    class Meta:
        indexes = ((("status", "recipient", "id"), False),)


class DirectoryEvent(BaseModel):
    """The directory's own history: imports, syncs, refused syncs, one person added or edited."""

    at = pw.DateTimeField()
    actor = pw.CharField(max_length=320)
    kind = pw.CharField(max_length=40)  # imported, synced, import-refused, person-added, ...
    person = pw.ForeignKeyField(Person, null=True, backref="directory_events",
                                on_delete="SET NULL")
    detail = JSONField(default=dict)

    class Meta:
        indexes = ((("person", "id"), False),)


class SessionStatus(StrEnum):
    """A calibration session is open (proposals, decisions) until HR closes it."""

    OPEN = "open"
    CLOSED = "closed"


class ProposalStatus(StrEnum):
    """A calibrator's proposed change waits for HR, who accepts or rejects it; one still
    waiting when the session closes lapses."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LAPSED = "lapsed"


class CalibrationSession(BaseModel):
    """HR's calibration of one cycle (or one department of it). ``fields`` are the one or
    two ``form.field`` answers it calibrates (the first the rating; the second, such as
    potential, makes the 9-box); ``target`` is HR's target distribution of the rating
    (stored value -> percent), or None."""

    cycle = pw.ForeignKeyField(Cycle, backref="calibrations")
    name = pw.CharField(max_length=200)
    department = pw.CharField(max_length=200, default="")  # "": the whole cycle
    fields = JSONField(default=list)
    target = JSONField(null=True)
    status = pw.CharField(max_length=10, default=SessionStatus.OPEN)
    created_at = pw.DateTimeField()
    created_by = pw.CharField(max_length=320)
    closed_at = pw.DateTimeField(null=True)
    closed_by = pw.CharField(max_length=320, null=True)


class Calibrator(BaseModel):
    """A person HR named to calibrate in a session."""

    session = pw.ForeignKeyField(CalibrationSession, backref="calibrators", on_delete="CASCADE")
    person = pw.ForeignKeyField(Person, backref="calibrations")

    class Meta:
        indexes = ((("session", "person"), True),)


class Proposal(BaseModel):
    """A calibrator's proposed change of one answer of one instance, with the reason."""

    session = pw.ForeignKeyField(CalibrationSession, backref="proposals", on_delete="CASCADE")
    instance = pw.ForeignKeyField(Instance, backref="proposals")
    submission = pw.ForeignKeyField(Submission)  # the answer as it was when proposed
    field = pw.CharField(max_length=200)  # form.field
    old_value = JSONField(null=True)
    new_value = JSONField()
    reason = pw.TextField()
    proposed_by = pw.CharField(max_length=320)
    proposed_at = pw.DateTimeField()
    status = pw.CharField(max_length=10, default=ProposalStatus.PROPOSED)
    decided_by = pw.CharField(max_length=320, null=True)
    decided_at = pw.DateTimeField(null=True)
    note = pw.TextField(default="")  # HR's word on the decision

    class Meta:
        indexes = ((("session", "instance"), False),)


class SessionEvent(BaseModel):
    """A calibration session's own history: opened, calibrators named, target set,
    proposals and decisions, refusals, closed."""

    session = pw.ForeignKeyField(CalibrationSession, backref="events", on_delete="CASCADE")
    at = pw.DateTimeField()
    actor = pw.CharField(max_length=320)
    kind = pw.CharField(max_length=40)
    instance = pw.ForeignKeyField(Instance, null=True)
    detail = JSONField(default=dict)

    class Meta:
        indexes = ((("session", "id"), False),)


class Setting(BaseModel):
    """A value every process of an installation shares (the library generation a Reload
    bumps, so each web process knows to read the library again)."""

    key = pw.CharField(max_length=100, unique=True)
    value = pw.TextField()
    updated_at = pw.DateTimeField()


MODELS = (
    Person,
    PersonGroup,
    DirectoryEvent,
    Definition,
    DefinitionSource,
    Cycle,
    Instance,
    Task,
    Submission,
    Event,
    Outbox,
    Setting,
    CalibrationSession,
    Calibrator,
    Proposal,
    SessionEvent,
)


#: The engine's tables and the steps that brought them to their present shape. A release
#: that adds a column to an existing table adds a step at the end (see docs/runtime.md,
#: "Upgrading the database"): ``schema.Step(2, "add task.x", schema.add_column(Task, "x"))``.
#: A new table is a new model in MODELS plus ``schema.create_table(Model)``.
def _calibration(migrator) -> None:
    """Step 2: calibration sessions (their four tables) and revisions of a submission
    (``submission.revision_of``, indexed: every read of the current answers asks it)."""
    schema.add_column(Submission, "revision_of")(migrator)
    schema.add_index(Submission, ("revision_of_id",))(migrator)
    for model in (CalibrationSession, Calibrator, Proposal, SessionEvent):
        schema.create_table(model)(migrator)


#: (table, index) of step 6: the single-column indexes peewee made for a foreign key that
#: also leads a longer index (``task.instance`` leads ``(instance, entry)``).
LED_BY_LONGER_INDEXES = (
    ("instance", "instance_definition_id"), ("instance", "instance_cycle_id"),
    ("instance", "instance_subject_id"), ("task", "task_instance_id"),
    ("task", "task_assignee_id"), ("task", "task_escalated_to_id"),
    ("submission", "submission_instance_id"), ("event", "event_instance_id"),
)


def _timers_indexed_where_set() -> schema.Action:
    """Step 7: each timer's index over the rows where it is set (:func:`timer_index`) in
    place of peewee's index of every row."""
    actions = []
    for model, column in TIMERS:
        table = model._meta.table_name
        actions.append(schema.drop_index(table, f"{table}_{column}"))
        actions.append(schema.create_index(model, timer_index(model, column)._name))
    return schema.all_of(*actions)


ENGINE = schema.Part("engine", MODELS, (
    schema.Step(1, "catch up with the tables of releases before schema versions",
                schema.catch_up(MODELS)),
    schema.Step(2, "calibration sessions, and submission.revision_of", _calibration),
    schema.Step(3, "external raters: person.external, task.link_nonce, task.link_expires_at",
                schema.all_of(schema.add_column(Person, "external"),
                              schema.add_column(Task, "link_nonce"),
                              schema.add_column(Task, "link_expires_at"))),
    schema.Step(4, "calendar dates of a cycle: cycle.dates", schema.add_column(Cycle, "dates")),
    schema.Step(5, "the directory listing's index: person(active, department, name, id)",
                schema.add_index(Person, ("active", "department", "name", "id"))),
    schema.Step(6, "no index of their own for the foreign keys a longer index leads",
                schema.all_of(*(schema.drop_index(table, name)
                                for table, name in LED_BY_LONGER_INDEXES))),
    schema.Step(7, "timers indexed by (due, id) where set: instance.timer_at, task.remind_at, "
                "task.escalate_at, task.repeat_at", _timers_indexed_where_set()),
))


def create_tables() -> None:
    """Create the tables of a fresh database, or upgrade an older one (idempotent)."""
    schema.upgrade(ENGINE)


def drop_tables() -> None:
    """Drop every table of the runtime (tests and ``db init --fresh``)."""
    db.drop_tables(MODELS, safe=True, cascade=is_postgres())
    schema.forget(ENGINE)
    run_reset_hooks()
