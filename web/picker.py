"""The people picker's search: as someone types a name into a field that names people
(a nomination, calibrators), the page asks here for the directory's matches.

Any signed-in person may ask: every one of them may name a colleague in a nomination, and
the answer carries no more than the page's own list shows (name, title, department).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import login_required

from engine import queries

bp = Blueprint("picker", __name__, url_prefix="/people")


@bp.route("/picker")
@login_required
def search():
    """``[{"email": ..., "label": "Name (title, department)"}]`` for ``?q=`` (at least two
    characters; at most :data:`engine.queries.people.SEARCH_LIMIT` matches)."""
    found = queries.people.picker_search(request.args.get("q", "")[:100])
    response = jsonify([{"email": email, "label": label} for email, label in found])
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
