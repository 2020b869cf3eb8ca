"""Frozen spec objects: what a definition says, apart from any running instance.

Loaders in this package build them from YAML/JSON; the runtime refers to a spec by
``(workflow_id, version)`` and never mutates one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from engine.durations import Duration

RoleKind = Literal["subject", "chain", "reports", "column", "group", "field", "external",
                   "person"]
#: The directory group that is HR (who decides when a transition names no ``allowed``).
HR_GROUP = "hr"
#: Kinds that may stand for several people (one task each; ``quorum`` counts them).
MULTI_KINDS = ("group", "field", "external", "reports")
#: Kinds that read the people named in a form's field.
NAMED_KINDS = ("field", "external")


@dataclass(frozen=True)
class RoleSpec:
    """How a role resolves to people for one instance.

    - ``subject``: the instance's subject.
    - ``chain``: ``subject.manager.manager`` -> ``steps=("manager", "manager")``.
    - ``reports``: ``subject.reports`` (direct reports), ``subject.all_reports`` (everyone
      under), ``subject.manager.reports`` (peers by manager): ``steps`` go up first,
      ``reach`` is ``reports`` or ``all_reports``; the subject is never one of them.
    - ``column``: ``subject.hrbp`` -> the person whose email is in the directory column
      ``hrbp_email`` of the subject (``steps`` up first: ``subject.manager.hrbp``).
    - ``group``: ``group:hr`` -> every directory member of group ``hr``.
    - ``field``: ``field:peer-nomination.peers`` -> emails submitted in that form field.
    - ``external``: ``external:client-nomination.clients`` -> like ``field``, and the
      emails outside the directory are raters too (a client, a partner): each gets the
      task through a signed link (:mod:`engine.links`).
    - ``person``: ``person:ceo@example.com`` -> one fixed person of the directory.
    """

    name: str
    kind: RoleKind
    steps: tuple[str, ...] = ()
    group: str | None = None
    form: str | None = None
    field: str | None = None
    email: str | None = None
    reach: str | None = None  # reports: "reports" (direct) or "all_reports" (every level)
    column: str | None = None  # column: "hrbp" reads the directory column hrbp_email
    source: str = ""

    @property
    def multi(self) -> bool:
        """Can this role stand for several people (one task each)?"""
        return self.kind in MULTI_KINDS

    @property
    def named(self) -> bool:
        """Does this role read the people named in a form's field (``field:``,
        ``external:``)?"""
        return self.kind in NAMED_KINDS


@dataclass(frozen=True)
class ReaderRule:
    """``readers: {employee: after shared}`` -> role may read from entering ``after``."""

    role: str
    after: str | None = None  # None means "always"


@dataclass(frozen=True)
class TaskSpec:
    """One task line of a state: a form assigned to a role.

    ``role`` is the name of a role of the workflow (the YAML key ``assignee``): who holds
    the task is decided per instance, when the task is created.
    """

    form: str
    role: str
    index: int = 0
    title: str | None = None
    due: Duration | None = None
    remind: tuple[Duration, ...] = ()
    #: ``due: {after: 6mo, from: hire}``: ``due`` counts from this date (a name under
    #: ``dates:``, or an expression over the subject) instead of from entering the state
    due_from: str | None = None
    due_before: bool = False  # ``{before: 2w, from: period_end}``: that long before it
    escalate: str | None = None
    escalate_may_answer: bool = False  # may the escalation target answer instead
    quorum: int | None = None
    anonymous: bool = False
    anonymity_group: str | None = None  # the raters' relationship: summarised apart
    anonymity_threshold: int | None = None  # that group's own threshold
    below_threshold: str = "others"  # a group below it: merged into "others", or "hide"
    show: tuple[str, ...] = ()
    readers: tuple[ReaderRule, ...] = ()
    private: tuple[str, ...] = ()
    repeat: Duration | None = None
    delegable: bool = False  # may the assignee hand the task to someone else
    declinable: bool = False  # may the assignee decline it, with a reason
    allow_subject: bool = False  # may the subject hold it through a role other than subject
    prefill: tuple[tuple[str, str], ...] = ()  # (field, expression): where a new task starts

    @property
    def key(self) -> str:
        """Stable name of the task line within its state (used on task rows)."""
        return f"{self.index}:{self.form}"


@dataclass(frozen=True)
class ScorePartSpec:
    """One part of a score: an expression giving a number, and its weight."""

    value: str
    weight: float
    title: str | None = None


@dataclass(frozen=True)
class ScoreSpec:
    """``scores: {final: {parts: [...], missing: reweight}}``: a weighted mean of parts
    (see :mod:`engine.scores`); ``readers`` may see it beside HR."""

    name: str
    parts: tuple[ScorePartSpec, ...]
    title: str | None = None
    missing: str = "reweight"
    readers: tuple[ReaderRule, ...] = ()


@dataclass(frozen=True)
class DateSpec:
    """``dates: {period_end: {title: ..., value: EXPR}}``: a date the workflow names, given
    at launch (``--date period_end=2026-12-31``) or worked out per subject by ``value``
    (``subject.start_date``); a task's ``due`` may count from it."""

    name: str
    title: str | None = None
    value: str | None = None  # an expression over the subject; None: given at launch


@dataclass(frozen=True)
class StateSpec:
    name: str
    title: str | None = None
    description: str | None = None
    tasks: tuple[TaskSpec, ...] = ()
    final: bool = False
    #: ``calibration: {fields: [form.field, ...]}``: instances wait here until a calibration
    #: session over them closes (the fields it may change); () for an ordinary state.
    calibration: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]  # "*" already expanded to every non-final state
    dest: str
    index: int = 0
    title: str | None = None
    auto: bool = False
    allowed: tuple[str, ...] = ()
    form: str | None = None
    after: Duration | None = None
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    start: str | None = None
    # what a person is told when the condition (or unless) at the same index refuses
    # their button; None: the expression itself is reported
    condition_messages: tuple[str | None, ...] = ()
    unless_messages: tuple[str | None, ...] = ()
    # (form, from form): the second's latest answer becomes the first's new revision
    revise: tuple[tuple[str, str], ...] = ()
    # reminders to the people who may fire a manual transition, this long after its source
    # state was entered, while the decision waits
    remind: tuple[Duration, ...] = ()

    def refusal_message(self, kind: str, index: int) -> str | None:
        """The message of ``conditions[index]`` (``kind="conditions"``) or ``unless[index]``."""
        messages = self.condition_messages if kind == "conditions" else self.unless_messages
        return messages[index] if 0 <= index < len(messages) else None

    @property
    def manual(self) -> bool:
        """Fired by a person (a button), rather than by completion or a timer."""
        return not self.auto and self.after is None


@dataclass(frozen=True)
class RuleSpec:
    """A form rule: ``check`` must hold, else ``message`` is shown at ``field``
    (``objectives`` or ``objectives[].target``: at each row's)."""

    field: str
    check: str
    message: str


@dataclass(frozen=True)
class FormSpec:
    """A JSON-Schema form with its optional react-jsonschema-form uiSchema."""

    id: str
    schema: dict
    ui_schema: dict = field(default_factory=dict)
    title: str | None = None
    file: str = ""
    source_text: str = ""
    sha256: str = ""
    dialect: str = "http://json-schema.org/draft-07/schema#"
    description: str | None = None
    form_data: Any = None  # the data a new form starts with (rjsf ``formData``)
    languages: tuple[str, ...] = ("en",)  # the languages its texts are in, default first
    translations: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    language: str = "en"  # the language of this spec's texts
    # (field path, expression) in the order written: values the engine works out
    computed: tuple[tuple[str, str], ...] = ()
    rules: tuple[RuleSpec, ...] = ()

    def localized(self, language: str | None) -> FormSpec:
        """This form with its texts in ``language`` (the default language's when the form
        is not written in it)."""
        return _localized(self, language)

    def __hash__(self) -> int:  # schemas are dicts; identity by content hash
        return hash((self.id, self.sha256))


@dataclass(frozen=True)
class ParentSpec:
    """``parent:``: an instance of this workflow is started from a running instance of
    ``workflow`` about the same subject (a proposed change to a running OKR quarter) and
    linked to it; ``after``: only once that instance has entered this state; ``button``:
    the label of the button on that instance's page (default: this workflow's title)."""

    workflow: str
    after: str | None = None
    button: str | None = None


#: ``revise: {parent.okr-plan: goal-change}``: a key naming a form of the parent instance.
PARENT_PREFIX = "parent."


@dataclass(frozen=True)
class WorkflowSpec:
    id: str
    version: int
    title: str
    initial: str
    roles: MappingProxyType  # name -> RoleSpec
    states: MappingProxyType  # name -> StateSpec (definition order)
    transitions: tuple[TransitionSpec, ...]
    subject: str = "person"
    description: str | None = None
    anonymity_threshold: int = 3
    file: str = ""
    source_text: str = ""
    sha256: str = ""
    started_by: tuple[str, ...] = ()  # roles that may start it themselves; () = HR or manager
    parent: ParentSpec | None = None  # started from a running instance of another workflow
    scores: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    languages: tuple[str, ...] = ("en",)  # the languages its texts are in, default first
    translations: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    language: str = "en"  # the language of this spec's texts
    dates: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # DateSpec

    def localized(self, language: str | None) -> WorkflowSpec:
        """This workflow with its texts in ``language`` (the default language's when the
        workflow is not written in it)."""
        return _localized(self, language)

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.sha256))

    def transitions_from(self, state: str) -> tuple[TransitionSpec, ...]:
        """Transitions whose source includes ``state``, in definition order."""
        return tuple(t for t in self.transitions if state in t.sources)

    def calibrated_fields(self) -> tuple[str, ...]:
        """Every ``form.field`` a calibration state of the workflow names, in order."""
        out: dict[str, None] = {}
        for state in self.states.values():
            out.update(dict.fromkeys(state.calibration))
        return tuple(out)

    def dates_needed(self) -> tuple[str, ...]:
        """Names of ``dates:`` some task counts from that have no ``value``: a launch
        must give them."""
        used = {t.due_from for s in self.states.values() for t in s.tasks}
        return tuple(n for n, d in self.dates.items() if d.value is None and n in used)

    def forms_used(self) -> set[str]:
        """Every form id the workflow refers to (tasks and transition forms)."""
        used = {t.form for s in self.states.values() for t in s.tasks}
        used |= {t.form for t in self.transitions if t.form}
        return used


@dataclass(frozen=True)
class Library:
    """A checked set of workflows and forms; never built from files with errors."""

    workflows: MappingProxyType  # id -> WorkflowSpec
    forms: MappingProxyType  # id -> FormSpec
    root: str = ""
    warnings: tuple = ()  # Problems of severity "warning" (missing translations)

    def workflow(self, workflow_id: str) -> WorkflowSpec:
        return self.workflows[workflow_id]

    def form(self, form_id: str) -> FormSpec:
        return self.forms[form_id]


def _localized(spec, language: str | None):
    if not language:
        return spec
    base = language.replace("_", "-").split("-")[0]
    return spec.translations.get(language) or spec.translations.get(base) or spec


def frozen_map(items: dict[str, Any]) -> MappingProxyType:
    """A read-only view of a dict, for spec fields."""
    return MappingProxyType(dict(items))
