"""PIP tracker (HR): active improvement plans, the next check-in, days left, outcomes.

Which workflow is a PIP, and which form fields give the plan's dates, are settings
(``PIP_WORKFLOW``, ``PIP_PLAN_FORM``...) defaulting to the shipped library's names; a
plan without them still shows, without days left.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, render_template

from engine import queries, versions
from web.auth import hr_required
from web.helpers import humanize, utcnow

bp = Blueprint("pips", __name__, url_prefix="/hr/pips")

DEFAULTS = {
    "PIP_WORKFLOW": "pip",
    "PIP_PLAN_FORM": "pip-plan",
    "PIP_START_FIELD": "start_date",
    "PIP_DAYS_FIELD": "duration_days",
    "PIP_EXTENSION_FORM": "pip-extension",
    "PIP_EXTRA_DAYS_FIELD": "extra_days",
}


def _setting(name: str) -> str:
    return current_app.config.get(name, DEFAULTS[name])


def _as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def plan_end(submissions: list) -> date | None:
    """Start + duration of the latest plan, plus every extension after it."""
    plan_form, ext_form = _setting("PIP_PLAN_FORM"), _setting("PIP_EXTENSION_FORM")
    plans = [s for s in submissions if s.form_id == plan_form]
    if not plans:
        return None
    plan = plans[-1].data
    start = _as_date(plan.get(_setting("PIP_START_FIELD")))
    days = plan.get(_setting("PIP_DAYS_FIELD"))
    if start is None or not isinstance(days, int):
        return None
    extra = sum(s.data.get(_setting("PIP_EXTRA_DAYS_FIELD"), 0) or 0 for s in submissions
                if s.form_id == ext_form and s.submitted_at >= plans[-1].submitted_at
                and isinstance(s.data.get(_setting("PIP_EXTRA_DAYS_FIELD"), 0), int))
    return start + timedelta(days=days + extra)


def _submissions(ids: list[int]) -> dict[int, list]:
    forms = [_setting("PIP_PLAN_FORM"), _setting("PIP_EXTENSION_FORM")]
    return queries.submissions_of(ids, forms)


def pip_rows(status: str) -> list[dict]:
    """PIPs of ``status`` with their manager, step, next task, end date and days left."""
    items = queries.instances_of(_setting("PIP_WORKFLOW"), status=status, now=utcnow())
    ids = [i.id for i in items]
    subs = _submissions(ids)
    today = utcnow().date()
    rows = []
    for item in items:
        spec = versions.version_for(item.definition_id).spec
        state = spec.states.get(item.state)
        end = plan_end(subs.get(item.id, []))
        rows.append({
            "item": item, "state_title": state.title if state and state.title
            else humanize(item.state), "next": item.next_task, "end": end,
            "days_left": (end - today).days if end else None,
            "finished_at": item.finished_at,
            "outcome": state.title if state and state.final else humanize(item.status)})
    return rows


@bp.route("/")
@hr_required
def index():
    """Active PIPs first, then the closed ones with their outcome."""
    active = pip_rows("running")
    closed = pip_rows("finished") + pip_rows("cancelled")
    closed.sort(key=lambda r: r["finished_at"] or datetime.min, reverse=True)
    return render_template("pips/index.html", active=active, closed=closed[:50])
