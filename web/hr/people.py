"""HR console: the directory, CSV import (all or nothing, with per-row errors), invites."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from engine import commands, directory, queries
from engine.errors import ImportRefused, ImportRejected, SubmissionInvalid
from engine.mail import settings_from_env
from web import accounts
from web.auth import hr_required

bp = Blueprint("hr_people", __name__, url_prefix="/hr/people")


def _accounts(emails: list[str]) -> dict[str, accounts.Account]:
    if not emails:
        return {}
    return {a.email: a for a in accounts.Account.select().where(
        accounts.Account.email.in_(emails))}


def _person_key(name: str) -> int | None:
    """A page's key from the query string (the id of a person), or None."""
    text = request.args.get(name, "")
    return int(text) if text.isdigit() and len(text) < 20 else None


@bp.route("/")
@hr_required
def index(row_errors=None, status=200, filename=None, refusal=None):
    """The directory, a page of 100 at a time (search narrows it), and the import form."""
    search = request.args.get("q", "").strip()
    page = queries.people.people_page(search, after=_person_key("after"),
                                      before=_person_key("before"),
                                      last=request.args.get("last") == "1")
    return render_template("admin/people.html", people=page.people, listing=page,
                           search=search, accounts=_accounts([p.email for p in page.people]),
                           total=page.total, row_errors=row_errors, filename=filename,
                           refusal=refusal, page=page.per_page), status


@bp.route("/export.csv")
@hr_required
def export():
    """The directory's active people as a CSV file in the import's format."""
    return Response(queries.people.directory_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=directory.csv"})


@bp.route("/new", methods=["GET", "POST"])
@hr_required
def new_person():
    """Add one person."""
    return _person_form(None)


@bp.route("/<int:person_id>", methods=["GET", "POST"])
@hr_required
def edit_person(person_id: int):
    """Change one person: name, manager, department, title, groups, active."""
    return _person_form(person_id)


def _person_form(person_id: int | None):
    detail = queries.people.person_detail(person_id) if person_id is not None else None
    if person_id is not None and detail is None:
        abort(404)
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in
                  ("email", "name", "manager_email", "department", "title", "groups")}
        values["active"] = bool(request.form.get("active"))
        try:
            saved = commands.save_person(current_user.email, values, person_id)
        except SubmissionInvalid as invalid:
            return render_template("admin/person.html", detail=detail, values=values,
                                   errors=invalid.errors), 422
        flash(_("Saved: %(name)s.", name=values["name"].strip()), "success")
        return redirect(url_for("hr_people.edit_person", person_id=saved), code=303)
    if detail is None:
        values = {"email": "", "name": "", "manager_email": "", "department": "",
                  "title": "", "groups": "", "active": True}
    else:
        p = detail.person
        values = {"email": p.email, "name": p.name, "manager_email": p.manager_email,
                  "department": p.department, "title": p.title, "groups": ";".join(p.groups),
                  "active": p.active}
    return render_template("admin/person.html", detail=detail, values=values, errors={})


@bp.route("/import", methods=["POST"])
@hr_required
def import_people():
    """Import a directory CSV: every row checked first; any bad row and nothing changes.

    By default the import adds and updates people. With ``mode=sync`` it also marks the
    people missing from the file as left, after a preview HR confirms (``confirm``: the
    previewed file comes back in the form, with the counts it was previewed with).
    """
    sync = request.form.get("mode") == "sync"
    if request.form.get("confirm"):
        text, filename = request.form.get("csv", ""), request.form.get("filename", "")
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a CSV file to import."), "error")
            return redirect(url_for("hr_people.index"), code=303)
        filename = upload.filename
        try:
            text = directory.decode(upload.read())
        except ImportRejected as rejected:
            return index(row_errors=rejected.row_errors, status=422, filename=filename)
    try:
        if sync:
            preview = directory.preview_csv(text, sync=True, actor=current_user.email)
            if request.form.get("expected") != _counts(preview):
                changed = bool(request.form.get("confirm"))
                return render_template("admin/people_sync.html", preview=preview, csv=text,
                                       filename=filename, counts=_counts(preview),
                                       changed=changed), 200
        summary = directory.import_csv(text, sync=sync, actor=current_user.email)
    except ImportRejected as rejected:
        return index(row_errors=rejected.row_errors, status=422, filename=filename)
    except ImportRefused as refused:
        return index(refusal=refused.reason, status=409, filename=filename)
    flash(_("Imported: %(added)d added, %(updated)d updated, %(left)d marked as left, "
            "%(unchanged)d unchanged.", added=summary.created, updated=summary.updated,
            left=summary.deactivated, unchanged=summary.unchanged), "success")
    return redirect(url_for("hr_people.index"), code=303)


def _counts(preview: directory.ImportSummary) -> str:
    """What a sync preview promised, to refuse a confirmation if the directory moved."""
    return (f"{preview.created}:{preview.updated}:{preview.deactivated}:"
            f"{preview.deactivated_hr}:{preview.open_tasks}")


def _active_person(person_id: int):
    """The active person ``person_id`` of the directory, or 404 (nobody signs in for
    someone who left)."""
    person = queries.people.person(person_id)
    if person is None or not person.active:
        abort(404)
    return person


def _mail_is_set_up() -> bool:
    try:
        return settings_from_env() is not None
    except ValueError:  # a broken URL delivers nothing either (the outbox page says why)
        return False


@bp.route("/<int:person_id>/invite", methods=["POST"])
@hr_required
def invite(person_id: int):
    """Invite someone without a password (a link valid 7 days). With mail set up it goes to
    them by mail, its link made as the mail goes (only a hash is ever kept, so HR never sees
    it); without mail, HR is shown the link to pass on, and it is recorded."""
    person = _active_person(person_id)
    if accounts.has_password(person.email):  # an invite must not take over an account
        abort(409, description=_("%(name)s already has a password. Send them a password "
                                 "reset instead: it goes to them by mail.", name=person.name))
    if _mail_is_set_up():
        commands.queue_account_mail(
            person.email, "invite", "Your reviewflow sign-in",
            f"{current_user.name} invited you to reviewflow (the sign-in link is made when "
            "this mail goes, and works once, for 7 days).",
            actor=current_user.email, params={"by": current_user.name})
        return render_template("admin/invite_sent.html", person=person, link=None,
                               kind="invite")
    token = accounts.create_invite(person.email)
    commands.record_directory_event("invite-shown", person.email, actor=current_user.email)
    base = current_app.config.get("BASE_URL") or request.host_url
    # shown on this page only, never flashed: a flash would keep the link in the cookie
    return render_template("admin/invite_sent.html", person=person, kind="invite",
                           link=accounts.invite_link(token, base))


@bp.route("/<int:person_id>/reset", methods=["POST"])
@hr_required
def reset(person_id: int):
    """Send someone who has a password a reset link, to them only (by mail, recorded in
    the directory's history). Their password keeps working until they use it."""
    person = _active_person(person_id)
    commands.queue_account_mail(
        person.email, "password-reset", "Reset your reviewflow password",
        f"{current_user.name} (HR) sent a link to choose a new reviewflow password (made "
        "when this mail goes; it works once, for 7 days).",
        actor=current_user.email, params={"by": current_user.name})
    return render_template("admin/invite_sent.html", person=person, link=None,
                           kind="password-reset")
