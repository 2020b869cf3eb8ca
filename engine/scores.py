"""Scores across forms: a review's final score from its parts, with weights in the workflow.

::

    scores:
      final:
        title: Final score
        missing: reweight          # or: zero, block
        parts:
          - {value: "forms['self-assessment'].score", weight: 20}
          - {value: "forms['manager-assessment'].score", weight: 50}
          - {value: "forms['objectives-results'].score", weight: 30}

A score is the weighted mean of its parts' values (each an expression over the
instance's forms, like a condition). A part is *missing* when its expression cannot be
worked out (the form is not submitted yet) or gives no number. What then is the score's
``missing`` choice, so that nobody has to guess:

- ``reweight`` (the default): the part is skipped and the other weights count in
  proportion (20/50/30 without the self score: 50/80 and 30/80);
- ``zero``: the part counts as 0 with its weight;
- ``block``: the score has no value until every part has one.

Scores are worked out from the stored submissions whenever they are read (expressions'
``scores.final``, the instance page, ``reviewflow show``, exports), so they always agree
with the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.computed import tidy
from engine.expressions import ExpressionError, compile_expression

MISSING_CHOICES = ("reweight", "zero", "block")


@dataclass(frozen=True)
class PartResult:
    """One part of a score as worked out: its value (None: missing) and weight."""

    title: str
    value: float | None
    weight: float
    counted: float  # the weight it counted with (0 when skipped)


@dataclass(frozen=True)
class ScoreResult:
    """A score as worked out for one instance."""

    name: str
    title: str
    value: float | None
    missing: str
    parts: tuple[PartResult, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        """Has every part a value?"""
        return all(p.value is not None for p in self.parts)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return tidy(float(value))


def part_value(text: str, context: dict) -> float | None:
    """A part's value for ``context`` (the names of expressions), None when missing."""
    try:
        return _number(compile_expression(text).evaluate(context))
    except ExpressionError:
        return None


def work_out(spec, context: dict) -> dict[str, ScoreResult]:
    """Every score of workflow ``spec`` for the instance whose names are ``context``."""
    return {name: _one(score, context) for name, score in spec.scores.items()}


def _one(score, context: dict) -> ScoreResult:
    values = [part_value(p.value, context) for p in score.parts]
    known = [(p, v) for p, v in zip(score.parts, values, strict=True) if v is not None]
    if score.missing == "zero":
        counted = [(p, v if v is not None else 0.0, p.weight)
                   for p, v in zip(score.parts, values, strict=True)]
    elif score.missing == "block" and len(known) < len(score.parts):
        counted = [(p, v, 0.0) for p, v in zip(score.parts, values, strict=True)]
    else:  # reweight: the known parts share the whole weight in proportion
        counted = [(p, v, p.weight if v is not None else 0.0)
                   for p, v in zip(score.parts, values, strict=True)]
    total = sum(w for _p, _v, w in counted)
    value = None
    if total > 0:
        value = tidy(sum((v or 0.0) * w for _p, v, w in counted) / total)
    parts = tuple(PartResult(p.title or p.value, values[i], p.weight, w)
                  for i, (p, _v, w) in enumerate(counted))
    return ScoreResult(score.name, score.title or score.name, value, score.missing, parts)


def values(results: dict[str, ScoreResult]) -> dict[str, float | None]:
    """``scores`` as expressions see it: name -> value (None when it has none)."""
    return {name: r.value for name, r in results.items()}


def of_instance(instance_id: int, now=None) -> dict[str, ScoreResult]:
    """The scores of one instance as they stand now (read from its stored answers)."""
    from engine.clock import utc
    from engine.commands.base import run_for  # lazily: commands build on the lifecycle
    from engine.store import Instance

    row = Instance.get_by_id(instance_id)
    run = run_for(row, utc(now))
    if not run.spec.scores:
        return {}
    context = run.context()
    return work_out(run.spec, context)


def may_read(score, plays: set[str], entered: set[str], is_hr: bool) -> bool:
    """May someone who plays ``plays`` (roles) read ``score``, the instance having entered
    the states ``entered``? HR always; ``readers`` as for a task's readers."""
    if is_hr:
        return True
    return any(rule.role in plays and (rule.after is None or rule.after in entered)
               for rule in score.readers)


__all__ = ["MISSING_CHOICES", "PartResult", "ScoreResult", "may_read", "of_instance",
           "part_value", "values", "work_out"]
