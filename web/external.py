"""The page of a rater outside the directory: ``/x/<token>``, a signed link, no account.

The link (:mod:`engine.links`) opens one open task; the rater sees who the feedback is
about and the form, and submits once through the engine's ``submit`` (as the task's
holder: the same checks, the same history). Nothing else of reviewflow is reachable from
here, and nobody is signed in. A link that opens nothing says why (expired, answered,
withdrawn) without telling anything about the process.
"""

from __future__ import annotations

import functools

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import CombinedMultiDict

from engine import commands, links, versions
from engine.errors import Conflict, NotAllowed, ReviewflowError, SubmissionInvalid
from web import forms, i18n
from web.forms.builder import root_node
from web.forms.defaults import initial_data

bp = Blueprint("external", __name__, url_prefix="/x")

#: What a refused link says, by the reason engine.links gives.
REFUSALS = {
    "invalid": (lambda: _("This link is not valid"),
                lambda: _("Check that the whole link from the mail was opened.")),
    "expired": (lambda: _("This link has expired"),
                lambda: _("Ask the person who asked you for feedback to send a new request.")),
    "answered": (lambda: _("Thank you: your answer is in"),
                 lambda: _("This request was answered already. Nothing more is needed.")),
    "withdrawn": (lambda: _("This request was withdrawn"),
                  lambda: _("Nothing is needed from you any more.")),
}


def _refused(refusal: links.LinkRefused):
    title, text = REFUSALS[refusal.reason]
    status = 200 if refusal.reason == "answered" else 410 if refusal.reason in (
        "expired", "withdrawn") else 404
    return render_template("external/closed.html", title=title(), text=text()), status


def _page(token, request_, data=None, errors=None, status=200):
    task = request_.task
    version = versions.version_for(request_.definition_id)
    form = i18n.localized(version.form(task.form_id))
    spec = i18n.localized(version.spec)
    line = next((t for t in spec.states[task.state].tasks if t.key == task.task_key), None)
    title = (line.title if line and line.title else None) or form.title or \
        form.schema.get("title") or task.form_id
    return render_template("external/task.html", token=token, task=task,
                           declinable=bool(line and line.declinable),
                           rater=request_.rater, subject_name=request_.subject_name,
                           process=spec.title, title=title,
                           fields=forms.render_form(form, data, errors), errors=errors,
                           anonymous=bool(line and line.anonymous)), status


def _opened(view):
    """Run ``view(token, found)`` for a link that opens; its refusal page otherwise."""
    @functools.wraps(view)
    def wrapper(token: str):
        try:
            found = links.open_link(token)
        except links.LinkRefused as refusal:
            return _refused(refusal)
        i18n.use_language(found.rater.language)  # the nomination's language for them
        return view(token, found)
    return wrapper


@bp.route("/<token>", methods=["GET"])
@_opened
def show(token: str, found):
    """The request: who it is about, and the form."""
    return _page(token, found)


@bp.route("/<token>", methods=["POST"])
@_opened
def answer(token: str, found):
    """Submit the answer (once: the link then says it was answered)."""
    form = i18n.localized(versions.version_for(found.definition_id).form(found.task.form_id))
    parsed = forms.parse_form(form, CombinedMultiDict([request.form, request.files]),
                              previous=initial_data(root_node(form)))
    if parsed.action is not None:  # a row button: the page again with the row changed
        return _page(token, found, parsed.data, {})
    if parsed.errors:
        return _page(token, found, parsed.data, parsed.errors, 422)
    try:
        commands.submit(found.task.id, found.rater.email, parsed.data or {})
    except SubmissionInvalid as invalid:
        return _page(token, found, parsed.data, invalid.errors, 422)
    except (Conflict, NotAllowed):  # answered or closed meanwhile
        return _refused(links.LinkRefused("withdrawn", "closed meanwhile"))
    return render_template("external/closed.html", title=_("Thank you: your answer is in"),
                           text=_("You can close this page. The link now only says that "
                                  "you answered.")), 200


@bp.route("/<token>/decline", methods=["POST"])
@_opened
def decline(token: str, found):
    """Decline the request, with a reason (where its line is declinable)."""
    try:
        commands.decline(found.task.id, found.rater.email, request.form.get("reason", ""))
    except (Conflict, NotAllowed):
        return _refused(links.LinkRefused("withdrawn", "closed meanwhile"))
    except ReviewflowError:  # no reason given, or too long: the form again, with a word
        return _page(token, found, None, {"": [_("Say why you decline: the reason is "
                                                  "needed (at most 2000 characters).")]}, 422)
    return render_template("external/closed.html", title=_("You declined the request"),
                           text=_("Thank you for saying why. Nothing more is needed.")), 200
