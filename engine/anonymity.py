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
from dataclasses import dataclass, field, replace

MASK = "(anonymous)"
#: Never fewer answers than this in an aggregate (whatever a workflow says).
MIN_ANONYMITY = 2


# ------------------------------------------------------------------ the one Aggregate


@dataclass
class QuestionSummary:
    """One question's answers, without who gave them.

    ``kind`` is ``number``, ``choice``, ``text``, or ``withheld``: fewer people than the
    threshold answered this question (an optional one), so nothing of it is shown, even
    when the form as a whole reached the threshold.
    """

    path: str
    title: str
    kind: str
    answered: int = 0
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    distribution: list[tuple[str, int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    out_of: str | None = None  # a score's maximum ("5"), so the mean reads "4.2 out of 5"

    @property
    def count(self) -> int:
        """How many answers the question got."""
        return self.answered


@dataclass
class Aggregate:
    """The answers of an anonymous form put together, per question (the web's summaries
    and the engine's/CLI's are this one class). The threshold holds per question: see
    :func:`withhold_below`."""

    form_id: str
    count: int
    fields: list[QuestionSummary] = field(default_factory=list)
    threshold: int = MIN_ANONYMITY
    group: str | None = None  # the relationship summarised (None: the form's one summary)
    merged: list[str] = field(default_factory=list)  # groups gathered into OTHERS

    def field(self, path: str) -> QuestionSummary:
        """The summary of the question at ``path`` (``goals[].goal`` inside rows)."""
        return next(f for f in self.fields if f.path == path)

    @property
    def numbers(self) -> dict:
        """Numeric questions shown: path -> {avg, min, max, count}."""
        return {f.path: {"avg": f.mean, "min": f.minimum, "max": f.maximum,
                         "count": f.answered}
                for f in self.fields if f.kind == "number" and f.mean is not None}

    @property
    def texts(self) -> dict:
        """Text questions shown: path -> answers (order tells no author)."""
        return {f.path: f.texts for f in self.fields if f.kind == "text" and f.texts}


def withhold_below(summary: QuestionSummary, threshold: int,
                   people: int | None = None) -> QuestionSummary:
    """``summary``, or a ``withheld`` one when fewer than ``threshold`` people answered
    that question (``people``, default ``summary.answered``; nothing of the answers kept)."""
    if (summary.answered if people is None else people) >= max(threshold, MIN_ANONYMITY):
        return summary
    return QuestionSummary(summary.path, summary.title, "withheld", answered=summary.answered)


def aggregate(form_id: str, datas: list[dict], threshold: int = MIN_ANONYMITY) -> Aggregate:
    """Answers put together by top-level field (numbers averaged, texts sorted so order
    reveals no author), each question withheld below ``threshold`` answers."""
    out = Aggregate(form_id, len(datas), threshold=max(threshold, MIN_ANONYMITY))
    for key in sorted({k for d in datas for k in d}):
        values = [d.get(key) for d in datas if d.get(key) not in (None, "", [])]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(values):
            summary = QuestionSummary(key, key, "number", len(numbers),
                                      mean=sum(numbers) / len(numbers), minimum=min(numbers),
                                      maximum=max(numbers))
        else:
            summary = QuestionSummary(key, key, "text", len(values),
                                      texts=sorted(str(v) for v in values))
        out.fields.append(withhold_below(summary, threshold))
    return out


# ------------------------------------------------------------------ groups by relationship

#: The label of the group that gathers the small groups of a form (the web words it).
OTHERS = "others"


@dataclass
class AnswerGroup:
    """Anonymous answers of one form summarised together: those of one relationship
    (``label``, a line's ``anonymity_group``), of the lines without one (``label`` None),
    or the small groups merged (``label`` :data:`OTHERS`, ``merged`` names them)."""

    form_id: str
    label: str | None
    threshold: int
    datas: list = field(default_factory=list)
    merged: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        """Enough answers to show their summary?"""
        return len(self.datas) >= self.threshold


def group_answers(form_id: str, items, default: int) -> list[AnswerGroup]:
    """``items`` ``(task line, data)`` of one form's anonymous answers -> the groups to
    summarise, in the order their lines come: one per ``anonymity_group`` that reached
    its threshold, the lines without a group together (as ever), and the groups below
    their threshold merged into :data:`OTHERS` unless their line says ``hide`` (their
    answers then appear nowhere). The others are shown once they reach ``default`` and
    the threshold of each group merged into them."""
    default = max(default, MIN_ANONYMITY)
    groups: dict[str | None, AnswerGroup] = {}
    below: dict[str | None, str] = {}
    for line, data in items:
        label = line.anonymity_group if line is not None else None
        if label not in groups:
            own = line.anonymity_threshold if line is not None and label else None
            groups[label] = AnswerGroup(form_id, label, max(own or default, MIN_ANONYMITY))
            below[label] = line.below_threshold if line is not None else OTHERS
        groups[label].datas.append(data)
    out, others = [], AnswerGroup(form_id, OTHERS, default)
    for label, group in groups.items():
        if label is None or group.shown:
            out.append(group)
        elif below[label] == OTHERS:
            others.datas.extend(group.datas)
            others.merged.append(label)
            # never below a merged group's own threshold: "others" made of one small
            # group alone would show it with fewer answers than it asked for
            others.threshold = max(others.threshold, group.threshold)
    if others.datas:
        out.append(others)
    return out


# ------------------------------------------------------------------ operator views


def mask_tasks(tasks) -> list:
    """Task items with the holder of each anonymous task hidden."""
    return [replace(t, assignee_email=None, assignee_name=MASK, escalated_to=None)
            if t.anonymous else t for t in tasks]


def mask_detail(detail):
    """An :class:`~engine.queries.InstanceDetail` that pairs no anonymous answer with its
    author (tasks, submissions and history)."""
    from engine.visibility import line_for

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
