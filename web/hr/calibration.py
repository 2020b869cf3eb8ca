"""Calibration sessions: HR opens one over a cycle and runs it; calibrators propose changes.

The list and a session's page are for HR and the session's calibrators; the engine
decides the rows each of them sees (:mod:`engine.calibration`), and anyone else gets 403,
recorded in the session's history. Opening a session, naming calibrators, setting the
target, deciding on proposals and closing are HR's; proposing is a calibrator's (or HR's).
Every form is a POST with its CSRF token; bad input re-renders the page with the
engine's field messages (422), in the reader's language.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine import calibration as cal
from engine import queries
from engine.commands import calibration as commands
from engine.errors import Conflict, NotAllowed, NotFound, SubmissionInvalid
from web import i18n
from web.auth import hr_required
from web.helpers import utcnow

bp = Blueprint("calibration", __name__, url_prefix="/calibration")

#: Free email fields of the calibrators form, beside the suggested managers.
EXTRA_CALIBRATORS = 3


@bp.route("/")
@login_required
def index():
    """The sessions the signed-in person may open (HR: every one; a calibrator: theirs)."""
    found = queries.calibration.sessions(current_user.email)
    if not found and not current_user.is_hr:
        abort(404)
    return render_template("calibration/index.html", sessions=found)


@bp.route("/new/<int:cycle_id>", methods=["GET", "POST"])
@hr_required
def new(cycle_id: int):
    """Open a session over a cycle: name, department, fields, calibrators."""
    cycle = queries.cycle(cycle_id)
    if cycle is None:
        abort(404)
    if not current_user.is_hr:
        abort(403)
    if request.method == "POST":
        values = _new_values()
        try:
            session_id = commands.open_session(
                cycle_id, current_user.email, values["name"],
                [values["rating"], values["second"]], values["calibrators"],
                values["department"], now=utcnow())
        except SubmissionInvalid as invalid:
            return _new_page(cycle, values, invalid.errors), 422
        flash(_("The calibration session is open."), "success")
        return redirect(url_for("calibration.show", session_id=session_id), code=303)
    return _new_page(cycle, {"name": _("Calibration of %(cycle)s", cycle=cycle.name),
                             "department": "", "rating": "", "second": "",
                             "calibrators": []}, {})


def _new_values() -> dict:
    emails = [e for e in request.form.getlist("calibrators") if e.strip()]
    return {"name": request.form.get("name", ""),
            "department": request.form.get("department", ""),
            "rating": request.form.get("rating", ""),
            "second": request.form.get("second", ""),
            "calibrators": list(dict.fromkeys(emails))}


def _field_choices(cycle) -> list[tuple[str, str]]:
    from engine import versions

    version = versions.version_for(cycle.definition_id)
    out = []
    for ref in cal.calibrated_fields(cycle.definition_id):
        info = cal.field_info(version, ref, i18n.language())
        form = i18n.localized(version.forms[info.form_id])
        out.append((ref, f"{info.title} ({form.title or info.form_id})"))
    return out


def _new_page(cycle, values: dict, errors: dict):
    managers = queries.calibration.cycle_managers(cycle.id)
    chosen = set(values["calibrators"])
    extra = [e for e in values["calibrators"] if e not in {m[0] for m in managers}]
    extra += [""] * max(0, EXTRA_CALIBRATORS - len(extra))
    return render_template(
        "calibration/new.html", cycle=cycle, values=values, errors=errors,
        fields=_field_choices(cycle), departments=queries.calibration.cycle_departments(
            cycle.id), managers=managers, chosen=chosen, extra=extra,
        people_picker=queries.people.picker_options())


def _view(session_id: int, status: int = 200, **page):
    """The session page as the signed-in person may see it; 403 (recorded) for others."""
    now = utcnow()
    try:
        with commands.refusals_recorded(session_id, current_user.email, now, "view"):
            view = queries.calibration.session_view(session_id, current_user.email,
                                                    i18n.language())
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403, description=_("Only HR and the calibrators of this session may open it."))
    picker = queries.people.picker_options() if view.is_hr and view.session.is_open else []
    return render_template("calibration/session.html", view=view, people_picker=picker,
                           row_errors=page.get("row_errors") or {},
                           errors=page.get("errors") or {}, values=page.get("values") or {},
                           bands=(_("low"), _("medium"), _("high"))), status


@bp.route("/<int:session_id>")
@login_required
def show(session_id: int):
    """One session: people, distribution against the target, the 9-box, proposals."""
    return _view(session_id)


def _act(session_id: int, action, done: str, **page):
    """Run one command of the session page; its refusals and bad input answered alike."""
    try:
        action()
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403, description=_("You may not do that in this calibration session."))
    except Conflict:
        abort(409, description=_("The session is closed, or HR already decided on this "
                                 "change. Reload the page to see it as it is now."))
    except SubmissionInvalid as invalid:
        return _view(session_id, 422, **{key: value(invalid.errors)
                                         for key, value in page.items()})
    if done:
        flash(done, "success")
    return redirect(url_for("calibration.show", session_id=session_id), code=303)


@bp.route("/<int:session_id>/calibrators", methods=["POST"])
@login_required
def calibrators(session_id: int):
    """HR names the session's calibrators again (a person per field)."""
    emails = [e for e in request.form.getlist("calibrators") if e.strip()]
    return _act(session_id, lambda: commands.set_calibrators(
        session_id, current_user.email, emails, now=utcnow()),
        _("The calibrators are saved."), errors=lambda e: e,
        values=lambda e: {"calibrators": emails})


@bp.route("/<int:session_id>/target", methods=["POST"])
@login_required
def target(session_id: int):
    """HR sets the target distribution: a whole percent per rating value."""
    given = {k.removeprefix("target-"): v.strip() for k, v in request.form.items()
             if k.startswith("target-")}
    return _act(session_id, lambda: commands.set_target(
        session_id, current_user.email, given, now=utcnow()),
        _("The target distribution is saved."), errors=lambda e: e,
        values=lambda e: {"target": given})


@bp.route("/<int:session_id>/propose", methods=["POST"])
@login_required
def propose(session_id: int):
    """A calibrator proposes a new value for one person's rating, with a reason."""
    instance = request.form.get("instance", "")
    form = {k: request.form.get(k, "") for k in ("field", "value", "reason")}
    return _act(session_id, lambda: commands.propose(
        session_id, current_user.email, instance, form["field"], form["value"],
        form["reason"], now=utcnow()),
        _("Your proposal is saved; HR decides on it."),
        row_errors=lambda e: {_number(instance): (e, form)})


def _number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@bp.route("/proposals/<int:proposal_id>", methods=["POST"])
@login_required
def decide(proposal_id: int):
    """HR accepts or rejects a proposal (with an optional note)."""
    session_id = queries.calibration.session_of_proposal(proposal_id)
    if session_id is None:
        abort(404)
    accept = request.form.get("decision") == "accept"
    return _act(session_id, lambda: commands.decide(
        proposal_id, current_user.email, accept, request.form.get("note", ""), now=utcnow()),
        _("The change is accepted.") if accept else _("The change is rejected."))


@bp.route("/<int:session_id>/close", methods=["POST"])
@login_required
def close(session_id: int):
    """HR closes the session: accepted changes written back, waiting reviews move on."""
    counts = {}
    result = _act(session_id, lambda: counts.update(commands.close(
        session_id, current_user.email, now=utcnow())), "")
    if counts:
        flash(_("The session is closed: %(revised)d ratings changed, %(moved)d reviews "
                "moved on.", **counts), "success")
    return result
