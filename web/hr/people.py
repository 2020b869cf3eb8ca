"""HR console: the directory, CSV import (all or nothing, with per-row errors), invites."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import commands, directory, queries
from engine.errors import ImportRefused, ImportRejected
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
def index(row_errors=None, status=200, filename=None, refusal=None):
    """The directory (first 100 matches) and the import form."""
    search = request.args.get("q", "").strip()
    people = queries.people.directory_page(search, limit=PAGE)
    managers = queries.people.people_by_id(p.manager_id for p in people)
    return render_template("admin/people.html", people=people, search=search,
                           groups=queries.people.groups_by_person(p.id for p in people),
                           managers=managers, accounts=_accounts([p.email for p in people]),
                           total=queries.people.headcount(), row_errors=row_errors,
                           filename=filename, refusal=refusal, page=PAGE), status


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
