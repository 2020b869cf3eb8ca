"""A cycle's results: the report page (``engine.reports``) and the exports (CSV and
XLSX, ``engine.exports``).

Anyone signed in may ask; the engine's reading rules decide what they get (HR the whole
cycle, a manager their own people; someone with nothing in the cycle gets 404, as if it
did not exist). An export that includes private fields is recorded in the history of each
instance it covers, so the download is a POST.
"""

from __future__ import annotations

import io
import re

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user, login_required

from engine import exports, queries, reports
from web.helpers import utcnow

bp = Blueprint("reports", __name__, url_prefix="/cycles")

MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _file_name(cycle: str, file_format: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", cycle).strip("-").lower() or "cycle"
    return f"{slug}.{file_format}"


@bp.route("/<int:cycle_id>/export", methods=["POST"])
@login_required
def export(cycle_id: int):
    """Download the cycle's answers as the signed-in person may read them."""
    cycle = queries.cycle(cycle_id)
    file_format = request.form.get("format", "")
    if cycle is None:
        abort(404)
    if file_format not in exports.FORMATS:
        abort(400)
    table = exports.cycle_export(cycle.name, current_user.email)
    if not table.rows and not current_user.may_use_console:
        abort(404)  # nothing of this cycle is theirs to read: as if it did not exist
    body = exports.render(table, file_format)
    exports.record(table, file_format)
    return send_file(io.BytesIO(body), mimetype=MIMETYPES[file_format], as_attachment=True,
                     download_name=_file_name(cycle.name, file_format))


@bp.route("/<int:cycle_id>/report")
@login_required
def report(cycle_id: int):
    """The cycle's report, filtered by department, manager and step."""
    if queries.cycle(cycle_id) is None:
        abort(404)
    scope = reports.Scope(department=request.args.get("department", "").strip(),
                          manager=request.args.get("manager", "").strip(),
                          state=request.args.get("state", "").strip())
    # anything but a whole number is the first page; one past the end, the last
    pages = reports.Pages(managers=request.args.get("managers_page", 1, type=int),
                          holders=request.args.get("holders_page", 1, type=int))
    found = reports.cycle_report(cycle_id, current_user.email, scope, now=utcnow(),
                                 pages=pages)
    if not found.is_hr and not found.processes and not scope.department \
            and not scope.manager and not scope.state:
        abort(404)
    return render_template("reports/cycle.html", report=found)
