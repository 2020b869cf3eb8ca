"""Conditions of the definition language: small expressions evaluated in a sandbox.

``conditions: "count('peer-feedback') >= 2 and avg('peer-feedback', 'rating') > 3"``

Expressions use Jinja2's expression syntax and are compiled by Jinja2's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: never ``eval``, no access to
attributes starting with ``_``, no mutation of the data. They are checked when the
definition is loaded (syntax, unknown names, ``_`` attributes, forms the workflow does
not use) and compiled once per text.

Names (see docs/definitions.md):

- ``subject``: the subject's directory attributes (``subject.department``).
- ``forms``: form id -> the latest submission's data; a list for a form with many tasks.
- ``count(form)``: how many submissions of the form exist in the instance, every visit of
  its state counted (``counts`` in the context; without it, those in ``forms``).
- ``avg(form, field)``, ``min(form, field)``, ``max(form, field)``, ``sum(form, field)``:
  over the numeric values of ``field`` in every submission of ``form`` (``None`` when
  there are none). With other arguments ``min``/``max``/``sum`` are Python's.
- ``len(x)``: Python's ``len``.
- ``now``: the current time (a timezone-aware datetime).
- ``instance``: ``state``, ``started_at``, ``entered_at``, ``cycle``.
- ``scores``: the workflow's scores across forms (``scores.final``; None without a value).
- ``previous``: the previous instance of the same workflow for the same subject
  (``previous.forms['okr-plan'].objectives``), and ``instances(workflow)``: every
  instance of a workflow for the subject, oldest first, and ``parent``: the instance this
  one was started from (see engine/carry.py).
- ``days(n)``: a duration of ``n`` days, to compare or add to times
  (``now - instance.entered_at > days(14)``).
"""

from __future__ import annotations

import builtins
import functools
import re
from datetime import timedelta
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.source import did_you_mean

DATA_NAMES = ("subject", "forms", "now", "instance", "scores", "previous", "parent")
#: Functions the context supplies (they read other instances: see engine/carry.py).
CONTEXT_FUNCTIONS = ("instances",)
FUNCTION_NAMES = ("count", "avg", "min", "max", "sum", "len", "days", *CONTEXT_FUNCTIONS)
NAMES = DATA_NAMES + FUNCTION_NAMES
_FORM_FUNCTIONS = {"count": 1, "avg": 2, "min": 2, "max": 2, "sum": 2}

#: The cost bound of every evaluation (at check time and at run time): numbers of at most
#: this many bits, strings and lists of at most this many items. Loops are not in the
#: language (no range(), no for), so sizes bound the time too.
MAX_INT_BITS = 4096
MAX_LENGTH = 100_000
#: String methods an expression may call (none that builds a string from a size).
SAFE_STR_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "title",
    "capitalize", "casefold", "isdigit", "isalpha", "isalnum", "isspace", "islower",
    "isupper", "count", "find", "index", "split"})
#: Filters an expression may use (``x | length``); none that pads, repeats or formats.
SAFE_FILTERS = ("abs", "count", "d", "default", "first", "float", "int", "last", "length",
                "lower", "max", "min", "round", "string", "sum", "trim", "upper", "list",
                # rows of a list: the open ones, one field of each (bounded by the list)
                "selectattr", "rejectattr", "map")


class _Bounded(ImmutableSandboxedEnvironment):
    """The sandbox with a cost bound: ``**``, ``*``, ``+`` and ``%`` are checked before
    they run (and, being intercepted, are never folded at compile time, which is what
    made ``10**(10**9)`` hang a check); only safe string methods may be called."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def call_binop(self, context, operator, left, right):
        return bounded_binop(operator, left, right)

    def is_safe_attribute(self, obj, attr, value):
        if isinstance(obj, str) and callable(value) and attr not in SAFE_STR_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)


_env = _Bounded(undefined=StrictUndefined)
_env.globals.clear()  # only our names: no range(), lipsum(), cycler() and the like
_env.filters = {name: _env.filters[name] for name in SAFE_FILTERS}


class CostExceeded(ArithmeticError):
    """An operation of an expression over the cost bound (reported as its failure)."""


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sized(value) -> bool:
    return isinstance(value, str | list | tuple)


def bounded_binop(operator: str, left, right):
    """``left operator right``, refused with :class:`CostExceeded` past the bound."""
    if operator == "**":
        if _int(left) and _int(right) and right > 0 and abs(left) > 1 and (
                right * abs(left).bit_length() > MAX_INT_BITS):
            raise CostExceeded(f"number too large (over {MAX_INT_BITS} bits)")
        return left ** right
    if operator == "*":
        if _int(left) and _int(right) and (
                abs(left).bit_length() + abs(right).bit_length() > MAX_INT_BITS):
            raise CostExceeded(f"number too large (over {MAX_INT_BITS} bits)")
        for seq, times in ((left, right), (right, left)):
            if _sized(seq) and _int(times) and len(seq) * times > MAX_LENGTH:
                raise CostExceeded(f"text or list too large (over {MAX_LENGTH} items)")
        return left * right
    if operator == "+":
        if _sized(left) and _sized(right) and len(left) + len(right) > MAX_LENGTH:
            raise CostExceeded(f"text or list too large (over {MAX_LENGTH} items)")
        return left + right
    if operator == "%":
        if isinstance(left, str):
            raise CostExceeded("text formatting with % is not allowed in expressions")
        return left % right
    raise CostExceeded(f"operator {operator!r} is not allowed")  # pragma: no cover


class ExpressionError(ValueError):
    """An expression that does not compile, names something unknown, or fails to run."""

    def __init__(self, message: str, name: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.name = name
        self.hint = hint


class Expression:
    """A compiled condition; :meth:`evaluate` runs it against one instance's names."""

    def __init__(self, text: str):
        self.text = text
        self._compiled = _env.compile_expression(text, undefined_to_none=False)

    def evaluate(self, context: dict) -> Any:
        """The expression's value; raise :class:`ExpressionError` if it fails to run.

        ``context`` supplies ``subject``, ``forms``, ``now`` and ``instance``; the
        functions are added here, bound to ``context["forms"]``.
        """
        names = {name: context.get(name) for name in DATA_NAMES}
        names.update(_functions(context.get("forms") or {}, context.get("counts")))
        names.update({n: context.get(n) or _nothing for n in CONTEXT_FUNCTIONS})
        try:
            return self._compiled(**names)
        except Exception as exc:  # any failure of HR's expression is reported, never raised raw
            reason = f"{exc}{_missing_form(exc, self.text, names['forms'])}"
            raise ExpressionError(f"expression {self.text!r} failed: {reason}") from exc

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


_MISSING_KEY = re.compile(r"^'dict object' has no (?:attribute|element) '([^']+)'$")


def _missing_form(exc: Exception, text: str, forms) -> str:
    """Jinja's "'dict object' has no attribute 'x'" explained in HR's words when ``x`` is
    a form the expression reads and nobody has submitted yet (``forms['x'].rating``)."""
    match = _MISSING_KEY.match(str(exc))
    if not (match and isinstance(forms, dict)) or match.group(1) in forms:
        return ""
    if match.group(1) not in _named_forms(_env.parse("{{ (" + text + ") }}")):
        return ""
    return f" (no submission of the form '{match.group(1)}' yet)"


@functools.lru_cache(maxsize=1024)
def compile_expression(text: str) -> Expression:
    """Compile ``text`` (cached per text); raise :class:`ExpressionError` if it is unsafe,
    names something unknown or is not an expression."""
    problems = _problems(text, None)
    if problems:
        message, name, hint = problems[0]
        raise ExpressionError(message, name, hint)
    return Expression(text)


def expression_problems(text: str, known_forms) -> list[str]:
    """Every problem of ``text`` as a message, ``known_forms`` being the forms it may name."""
    out = []
    for message, _name, hint in _problems(text, set(known_forms)):
        out.append(f"{message} ({hint})" if hint else message)
    return out


def expression_issues(text: str, known_forms) -> list[tuple[str, str | None]]:
    """Like :func:`expression_problems`, as ``(message, hint)`` pairs for the checker."""
    return [(m, h) for m, _n, h in _problems(text, set(known_forms))]


def formula_issues(text: str, names) -> list[tuple[str, str | None]]:
    """Problems of a form's computed value or rule (``row.actual / row.target``) as
    ``(message, hint)`` pairs: the same syntax, sandbox and cost bound as conditions, with
    ``names`` (the form's fields, ``row``, ``data``) and :data:`FORMULA_FUNCTIONS`."""
    allowed = tuple(names) + FORMULA_FUNCTIONS
    return [(m, h) for m, _n, h in _problems(text, None, allowed)]


def compile_formula(text: str) -> Expression:
    """Compile a computed value or rule checked by :func:`formula_issues` (cached)."""
    return _compile_formula(text)


@functools.lru_cache(maxsize=1024)
def _compile_formula(text: str) -> Expression:
    return Expression(text)


#: Functions of computed values and form rules (Python's, over plain numbers and lists).
FORMULA_FUNCTIONS = ("min", "max", "sum", "len", "abs", "round")
_FORMULA_BUILTINS = {name: getattr(builtins, name) for name in FORMULA_FUNCTIONS}


def evaluate_formula(expression: Expression, names: dict) -> Any:
    """Run a compiled formula with ``names`` (the data it reads) and the formula functions;
    raise :class:`ExpressionError` if it fails (a missing field, a division by zero)."""
    try:
        return expression._compiled(**{**names, **_FORMULA_BUILTINS})
    except Exception as exc:  # any failure of HR's formula is reported, never raised raw
        raise ExpressionError(f"expression {expression.text!r} failed: {exc}") from exc


def _problems(text: str, known_forms: set | None,
              names: tuple = NAMES) -> list[tuple[str, str | None, str | None]]:
    if not isinstance(text, str) or not text.strip():
        return [("an expression must be a non-empty string", None, None)]
    try:
        _env.compile_expression(text)
        tree = _env.parse("{{ (" + text + ") }}")
    except TemplateSyntaxError as exc:
        return [(f"expression {text!r} is not valid: {exc.message}", None, None)]
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return [(f"expression {text!r} is not valid: not a single expression", None, None)]
    out = []
    cost = _constant_cost(body[0].nodes[0])
    if cost:
        out.append((f"expression {text!r} is too costly: {cost}", None,
                    "keep numbers and texts small; the bound is the same when it runs"))
    for name in sorted(meta.find_undeclared_variables(tree) - set(names)):
        out.append((f"unknown name '{name}' in expression", name,
                    did_you_mean(name, names) or "names: " + ", ".join(names)))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = _attr_name(node)
        if isinstance(attr, str) and attr.startswith("_"):
            out.append((f"attribute '{attr}' is not allowed in expressions "
                        "(names starting with '_' are private)", attr, None))
    if known_forms is not None:
        out.extend(_unknown_forms(tree, known_forms))
    return out


_BINOPS = {nodes.Pow: "**", nodes.Mul: "*", nodes.Add: "+", nodes.Mod: "%"}


class _NotConstant(Exception):
    pass


def _constant_cost(node: nodes.Node) -> str | None:
    """Why a constant part of the expression is over the cost bound (it would fail every
    time it runs), or None. Constants are worked out with the same bounded operations."""
    for sub in [node, *node.find_all(nodes.BinExpr)]:
        try:
            _constant(sub)
        except CostExceeded as exc:
            return str(exc)
        except (_NotConstant, ArithmeticError, TypeError, ValueError):
            continue
    return None


def _constant(node: nodes.Node, depth: int = 0):
    if depth > 100:
        raise _NotConstant
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Neg):
        return -_constant(node.node, depth + 1)
    if isinstance(node, nodes.Pos):
        return _constant(node.node, depth + 1)
    if isinstance(node, nodes.BinExpr):
        left, right = _constant(node.left, depth + 1), _constant(node.right, depth + 1)
        if type(node) in _BINOPS:
            return bounded_binop(_BINOPS[type(node)], left, right)
        if isinstance(node, nodes.Sub):
            return left - right
        if isinstance(node, nodes.Div):
            return left / right
        if isinstance(node, nodes.FloorDiv):
            return left // right
    raise _NotConstant


def _attr_name(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const):
        return node.arg.value
    return None


def _unknown_forms(tree: nodes.Template, known: set) -> list:
    out = []
    for form in _named_forms(tree):
        if form not in known:
            hint = did_you_mean(form, known) or (
                "forms of this workflow: " + ", ".join(sorted(known)) if known else None)
            out.append((f"unknown form '{form}' in expression", form, hint))
    return out


def _named_forms(tree: nodes.Template) -> list[str]:
    """Form ids written literally: ``forms['x']``, ``forms.x``, ``count('x')``, ``avg('x', 'f')``.
    """
    found = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Call)):
        if isinstance(node, nodes.Call):
            name = node.node.name if isinstance(node.node, nodes.Name) else None
            arity = _FORM_FUNCTIONS.get(name)
            args = node.args
            if arity and len(args) == arity and all(_is_str(a) for a in args):
                found.append(args[0].value)
        elif isinstance(node.node, nodes.Name) and node.node.name == "forms":
            attr = _attr_name(node)
            if isinstance(attr, str):
                found.append(attr)
    return found


def _is_str(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and isinstance(node.value, str)


# ---------------------------------------------------------------- run-time functions


def submissions_of(forms: dict, form_id: str) -> list[dict]:
    """Every submission of ``form_id`` in a ``forms`` mapping (a dict or a list of dicts)."""
    value = forms.get(form_id)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None]
    return [value]


def _values(forms: dict, form_id: str, field: str) -> list:
    out = []
    for data in submissions_of(forms, form_id):
        value = data.get(field) if isinstance(data, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            out.append(value)
    return out


def _nothing(*_args) -> list:
    """A context function the context did not supply (a check-time evaluation): nothing."""
    return []


def _functions(forms: dict, counts: dict | None = None) -> dict:
    def count(form_id):
        """Number of submissions of ``form_id`` in the instance (all visits when known)."""
        if counts is not None:
            return counts.get(form_id, 0)
        return len(submissions_of(forms, form_id))

    def avg(form_id, field):
        values = _values(forms, form_id, field)
        return sum(values) / len(values) if values else None

    def over(builtin):
        def aggregate(*args):
            if len(args) == 2 and all(isinstance(a, str) for a in args):
                values = _values(forms, args[0], args[1])
                return builtin(values) if values else None
            return builtin(*args)
        return aggregate

    return {
        "count": count,
        "avg": avg,
        "min": over(builtins.min),
        "max": over(builtins.max),
        "sum": over(builtins.sum),
        "len": builtins.len,
        "days": lambda n: timedelta(days=n),
    }
