"""HR console: the outbox (to whom, what, queued/sent/failed, when, the error), filtered by
cycle and person, with "send again"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import commands, queries
from engine.errors import Conflict, NotFound
from engine.mail import settings_from_env
from web.auth import hr_required, safe_path
from web.helpers import utcnow

bp = Blueprint("hr_outbox", __name__, url_prefix="/hr/outbox")
STATUSES = ("queued", "sent", "failed", "skipped")


def _filters() -> dict:
    cycle = request.args.get("cycle", "")
    status = request.args.get("status", "")
    return {"cycle_id": int(cycle) if cycle.isdigit() else None,
            "person": request.args.get("person", "").strip() or None,
            "status": status if status in STATUSES else None}


@bp.route("/")
@hr_required
def index():
    """The newest messages matching the filters, and how many are in each status."""
    filters = _filters()
    try:
        mail = settings_from_env()
        problem = None
    except ValueError as error:
        mail, problem = None, str(error)
    return render_template(
        "admin/outbox.html", rows=queries.outbox(**filters),
        counts=queries.outbox_counts(filters["cycle_id"], filters["person"]),
        cycles=queries.cycles(now=utcnow()), filters=filters, statuses=STATUSES,
        mail=mail.describe() if mail else None, problem=problem, page=queries.OUTBOX_PAGE)


@bp.route("/<int:row_id>/again", methods=["POST"])
@hr_required
def again(row_id: int):
    """Queue a sent, failed or skipped message again (the worker's next round sends it)."""
    try:
        commands.send_again(row_id, now=utcnow())
    except NotFound:
        abort(404)
    except Conflict:
        flash(_("That message is already queued."), "info")
    else:
        flash(_("Queued again: the worker sends it in its next round."), "success")
    return redirect(safe_path(request.form.get("back"), url_for("hr_outbox.index")), code=303)
