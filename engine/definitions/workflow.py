"""``workflows/<id>.yaml`` -> :class:`WorkflowSpec`.

Reading a workflow is two passes. First its structure, against our meta-schema
(``engine/schemas/workflow.schema.json``): unknown keys, wrong types, missing keys. Then
its meaning, by a table of small checkers in :mod:`engine.definitions.checks`: every
reference, role, duration, expression, and the shape of the state graph. Checkers yield
:class:`~engine.source.Issue` objects with paths; the library turns them into
``file:line:col`` problems.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.definitions import texts
from engine.definitions.roles_syntax import RoleSyntaxError, parse_role
from engine.definitions.specs import (
    DateSpec,
    ParentSpec,
    ReaderRule,
    RoleSpec,
    ScorePartSpec,
    ScoreSpec,
    StateSpec,
    TaskSpec,
    TransitionSpec,
    WorkflowSpec,
    frozen_map,
)
from engine.definitions.structure import structure_issues
from engine.durations import Duration, parse_duration
from engine.source import Issue, SourceDoc, read_document, read_yaml


class WorkflowDoc(SourceDoc):
    """A workflow file as read: its data, positions and the problems found so far."""

    @property
    def id(self) -> str:
        """The id the file declares, or its file name when it declares none."""
        data = self.data if isinstance(self.data, dict) else {}
        value = data.get("workflow")
        return value if isinstance(value, str) else self.stem


def read_workflow(path: Path) -> WorkflowDoc:
    """Read one workflow file and check its structure; problems are in ``doc.issues``."""
    doc = read_document(path, WorkflowDoc, read_yaml)
    if doc.broken:
        return doc
    if not isinstance(doc.data, dict):
        doc.broken = True
        doc.issues.append(Issue((), "a workflow file must be a mapping with 'workflow', "
                                "'version', 'initial', 'states' and 'transitions'"))
        return doc
    doc.issues += structure_issues("workflow", doc.data)
    texts.split_languages(doc, texts.workflow_text_paths(doc.data))
    return doc


# ---------------------------------------------------------------- building specs


def as_list(value) -> list:
    """``x`` -> ``[x]``; a list stays a list; nothing becomes ``[]``."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_roles(data: dict) -> dict[str, RoleSpec]:
    """The roles that parse; bad ones are the checker's to report."""
    out = {}
    for name, text in (data.get("roles") or {}).items():
        try:
            out[name] = parse_role(name, text)
        except RoleSyntaxError:
            continue
    return out


def final_states(data: dict) -> set[str]:
    """Names of the states marked ``final: true``."""
    return {n for n, s in (data.get("states") or {}).items() if isinstance(s, dict)
            and s.get("final") is True}


def expand_sources(value, data: dict) -> list[str]:
    """A transition's ``source`` as a list of states, ``"*"`` meaning every non-final one."""
    sources = as_list(value)
    if "*" in sources:
        finals = final_states(data)
        return [s for s in (data.get("states") or {}) if s not in finals]
    return [s for s in sources if isinstance(s, str)]


def _duration(value):
    return parse_duration(value) if value is not None else None


def due_parts(value) -> tuple[Duration | None, str | None, bool]:
    """A task's ``due`` as (duration, date it counts from, before it?): ``7d`` counts
    from entering the state; ``{after: 6mo, from: hire}`` and ``{before: 2w, from:
    period_end}`` from a date (``{from: period_end}``: that very day)."""
    if not isinstance(value, dict):
        return _duration(value), None, False
    before = value.get("before") is not None
    amount = value.get("before") if before else value.get("after")
    return (parse_duration(amount) if amount is not None else Duration(),
            str(value["from"]).strip(), before)


def build_dates(value) -> dict[str, DateSpec]:
    """The workflow's ``dates:`` as :class:`DateSpec` objects."""
    out = {}
    for name, item in (value or {}).items():
        item = item or {}
        out[name] = DateSpec(name, item.get("title"), item.get("value"))
    return out


def reader_rules(value) -> tuple[ReaderRule, ...]:
    """``readers: {hr: always, employee: after shared}`` as :class:`ReaderRule` objects."""
    readers = []
    for role, when in (value or {}).items():
        when = when.strip()
        readers.append(ReaderRule(role, None if when == "always" else when.split(None, 1)[1]))
    return tuple(readers)


def build_score(name: str, score: dict) -> ScoreSpec:
    """A :class:`ScoreSpec` from a checked ``scores`` entry."""
    return ScoreSpec(
        name=name,
        title=score.get("title"),
        missing=score.get("missing", "reweight"),
        parts=tuple(ScorePartSpec(p["value"], float(p.get("weight", 1)), p.get("title"))
                    for p in score["parts"]),
        readers=reader_rules(score.get("readers")),
    )


def build_task(index: int, task: dict) -> TaskSpec:
    """A :class:`TaskSpec` from a checked task mapping."""
    readers = reader_rules(task.get("readers"))
    due, due_from, due_before = due_parts(task.get("due"))
    return TaskSpec(
        form=task["form"],
        role=task["assignee"],
        index=index,
        title=task.get("title"),
        due=due,
        due_from=due_from,
        due_before=due_before,
        remind=tuple(parse_duration(r) for r in as_list(task.get("remind"))),
        escalate=task.get("escalate"),
        escalate_may_answer=bool(task.get("escalate_may_answer", False)),
        quorum=task.get("quorum"),
        anonymous=bool(task.get("anonymous", False)),
        anonymity_group=task.get("anonymity_group"),
        anonymity_threshold=task.get("anonymity_threshold"),
        below_threshold=task.get("below_threshold", "others"),
        show=tuple(as_list(task.get("show"))),
        readers=tuple(readers),
        private=tuple(as_list(task.get("private"))),
        repeat=_duration(task.get("repeat")),
        delegable=bool(task.get("delegable", False)),
        declinable=bool(task.get("declinable", False)),
        allow_subject=bool(task.get("allow_subject", False)),
        prefill=tuple((task.get("prefill") or {}).items()),
    )


def build_state(name: str, state: dict | None) -> StateSpec:
    """A :class:`StateSpec` from a checked state mapping (``None`` is an empty state)."""
    state = state or {}
    return StateSpec(
        name=name,
        title=state.get("title"),
        description=state.get("description"),
        tasks=tuple(build_task(i, t) for i, t in enumerate(state.get("tasks") or [])),
        final=bool(state.get("final", False)),
        calibration=tuple((state.get("calibration") or {}).get("fields") or ()),
    )


def build_transition(index: int, item: dict, data: dict) -> TransitionSpec:
    """A :class:`TransitionSpec`; it carries names and expressions, never callbacks."""
    return TransitionSpec(
        trigger=item["trigger"],
        sources=tuple(expand_sources(item["source"], data)),
        dest=item["dest"],
        index=index,
        title=item.get("title"),
        auto=bool(item.get("auto", False)),
        allowed=tuple(as_list(item.get("allowed"))),
        form=item.get("form"),
        after=_duration(item.get("after")),
        conditions=expression_texts(item.get("conditions")),
        unless=expression_texts(item.get("unless")),
        start=item.get("start"),
        condition_messages=refusal_messages(item.get("conditions")),
        unless_messages=refusal_messages(item.get("unless")),
        remind=tuple(parse_duration(r) for r in as_list(item.get("remind"))),
        revise=tuple((item.get("revise") or {}).items()),
    )


def build_parent(value) -> ParentSpec | None:
    """``parent: quarterly-goals`` or ``parent: {workflow: ..., after: ..., button: ...}``."""
    if value is None:
        return None
    if isinstance(value, str):
        return ParentSpec(value)
    return ParentSpec(value["workflow"], value.get("after"), value.get("button"))


def expression_texts(value) -> tuple[str, ...]:
    """``conditions``/``unless`` as expression texts (``{when: X, message: M}`` -> X)."""
    return tuple(e["when"] if isinstance(e, dict) else e for e in _expressions(value))


def refusal_messages(value) -> tuple[str | None, ...]:
    """The ``message`` of each expression of ``conditions``/``unless`` (None: none)."""
    return tuple(e.get("message") if isinstance(e, dict) else None for e in _expressions(value))


def _expressions(value) -> list:
    return [value] if isinstance(value, dict) else as_list(value)


def build_workflow(doc: WorkflowDoc, file: str) -> WorkflowSpec:
    """The :class:`WorkflowSpec` of a workflow file that has no problems, in its default
    language, with one spec per other language it is written in (``translations``)."""
    others = {lang: _build_workflow(doc, file, texts.localize(
        doc.raw, doc.text_paths, lang, doc.languages), language=lang)
        for lang in doc.languages[1:]}
    return _build_workflow(doc, file, doc.data, frozen_map(others), doc.languages[0])


def _build_workflow(doc: WorkflowDoc, file: str, data: dict, translations=None,
                language: str = "en") \
        -> WorkflowSpec:
    states = {name: build_state(name, s) for name, s in data["states"].items()}
    return WorkflowSpec(
        id=data["workflow"],
        version=data["version"],
        title=data.get("title") or data["workflow"],
        initial=data["initial"],
        roles=frozen_map(parse_roles(data)),
        states=frozen_map(states),
        transitions=tuple(build_transition(i, t, data)
                          for i, t in enumerate(data["transitions"])),
        subject=data.get("subject", "person"),
        description=data.get("description"),
        anonymity_threshold=data.get("anonymity_threshold", 3),
        started_by=tuple(as_list(data.get("started_by"))),
        parent=build_parent(data.get("parent")),
        scores=frozen_map({n: build_score(n, sc) for n, sc in (data.get("scores") or {}).items()}),
        dates=frozen_map(build_dates(data.get("dates"))),
        file=file,
        source_text=doc.text,
        sha256=hashlib.sha256(doc.text.encode("utf-8")).hexdigest(),
        languages=doc.languages,
        translations=translations if translations is not None else frozen_map({}),
        language=language,
    )
