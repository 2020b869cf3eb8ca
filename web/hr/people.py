"""HR console: the directory, CSV import (all or nothing, with per-row errors), invites."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine import commands, queries
from engine.directory import import_csv
from engine.errors import ImportRejected
from web import accounts
from web.auth import hr_required

bp = Blueprint("hr_people", __name__, url_prefix="/hr/people")
PAGE = 100


def _accounts(emails: list[str]) -> dict[str, accounts.Account]:
    if not emails:
        return {}
    return {a.email: a for a in accounts.Account.select().where(
        accounts.Account.email.in_(emails))}


@bp.route("/")
@hr_required
def index(row_errors=None, status=200, filename=None):
    """The directory (first 100 matches) and the import form."""
    search = request.args.get("q", "").strip()
    people = queries.people.directory_page(search, limit=PAGE)
    managers = queries.people.people_by_id(p.manager_id for p in people)
    return render_template("admin/people.html", people=people, search=search,
                           groups=queries.people.groups_by_person(p.id for p in people),
                           managers=managers, accounts=_accounts([p.email for p in people]),
                           total=queries.people.headcount(), row_errors=row_errors,
                           filename=filename, page=PAGE), status


@bp.route("/import", methods=["POST"])
@hr_required
def import_people():
    """Import a directory CSV: every row checked first; any bad row and nothing changes."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a CSV file to import.", "error")
        return redirect(url_for("hr_people.index"), code=303)
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return index(row_errors=[(1, "the file is not UTF-8 text (save it as CSV UTF-8)")],
                     status=422, filename=upload.filename)
    try:
        summary = import_csv(text)
    except ImportRejected as rejected:
        return index(row_errors=rejected.row_errors, status=422, filename=upload.filename)
    flash(f"Imported: {summary.created} added, {summary.updated} updated, "
          f"{summary.deactivated} marked as left, {summary.unchanged} unchanged.", "success")
    return redirect(url_for("hr_people.index"), code=303)


@bp.route("/<int:person_id>/invite", methods=["POST"])
@hr_required
def invite(person_id: int):
    """Make a sign-in link for someone (valid 7 days) and queue it to them by email."""
    person = queries.people.person(person_id)
    if person is None or not person.active:
        abort(404)
    token = accounts.create_invite(person.email)
    base = current_app.config.get("BASE_URL") or request.host_url
    link = accounts.invite_link(token, base)
    commands.queue_mail(person.email, "invite", "Your reviewflow sign-in",
                        f"{current_user.name} invited you to reviewflow. Choose your "
                        f"password here (the link works for 7 days):\n{link}\n")
    flash(f"Invite for {person.name} queued by email. You can also send them this link "
          f"yourself: {link}", "success")
    return redirect(url_for("hr_people.index", q=person.email), code=303)
