"""Error pages a person understands, never a stack trace.

Engine failures map by their type (``http_status`` on the class), HTTP errors by their code.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, render_template, request
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import ReviewflowError

log = logging.getLogger(__name__)

# status -> (title, explanation) shown on the error page, in the reader's language.
MESSAGES = {
    400: (lazy_gettext("Something was wrong with that request"),
          lazy_gettext("The page could not use what was sent. Go back, reload the page and "
                       "try again.")),
    401: (lazy_gettext("Please sign in"), lazy_gettext("You need to sign in to see this page.")),
    403: (lazy_gettext("You don't have access to this"),
          lazy_gettext("This page belongs to a process you are not part of, or the step is "
                       "not yours to take.")),
    404: (lazy_gettext("Page not found"),
          lazy_gettext("There is nothing here. It may have been removed, or the link may be "
                       "mistyped.")),
    405: (lazy_gettext("That action isn't possible here"),
          lazy_gettext("This page does not accept that kind of request.")),
    409: (lazy_gettext("Someone else just moved this process on"),
          lazy_gettext("While you were working, someone else acted on this process, so your "
                       "action no longer applies. Open the process again to see where it is "
                       "now.")),
    413: (lazy_gettext("That upload is too large"), lazy_gettext("Please send a smaller file.")),
    429: (lazy_gettext("Too many attempts"),
          lazy_gettext("Please wait a few minutes and try again.")),
    422: (lazy_gettext("That could not be accepted"),
          lazy_gettext("Some of what was sent is not valid. Please correct it.")),
    503: (lazy_gettext("This part of reviewflow is not available right now"),
          lazy_gettext("An administrator needs to fix the configuration first.")),
    500: (lazy_gettext("Something went wrong on our side"),
          lazy_gettext("The problem has been logged. Please try again in a moment.")),
}

CSRF_MESSAGE = lazy_gettext("Your form expired or was sent from somewhere else. Go back, "
                            "reload the page and send it again.")


def render_error(status: int, detail: str | None = None):
    """Render the error page for ``status`` with an optional one-line ``detail``."""
    title, text = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    return render_template(
        "errors/error.html", status=status, title=str(title), text=str(text),
        detail=str(detail) if detail is not None else None
    ), status


def _http_error(error: HTTPException):
    status = error.code or 500
    detail = error.description if status in (403, 409, 422, 503) and _custom(error) else None
    return render_error(status, detail)


def _custom(error: HTTPException) -> bool:
    """True when a view passed its own description to abort(), safe to show to the user."""
    return error.description != type(error).description


def _csrf_error(error: CSRFError):
    return render_error(400, CSRF_MESSAGE)


def _engine_error(error: ReviewflowError):
    status = getattr(error, "http_status", 400)
    # NotAllowed and Conflict carry reasons written for people; NotFound carries an id.
    detail = str(error) if status in (403, 409, 422) else None
    return render_error(status, detail)


def _unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


NUL_MESSAGE = lazy_gettext("A value contains a NUL character, which no field accepts.")
TOO_LONG_MESSAGE = lazy_gettext("A value is too long for its field, or not valid for it. "
                                "Nothing was saved.")


def _refuse_nul() -> None:
    """No field takes a NUL character (PostgreSQL refuses it in any text): 400 up front,
    for every route, before anything is read or stored."""
    if request.method in ("POST", "PUT", "PATCH"):
        values = [*request.args.values(), *request.form.keys(), *request.form.values()]
    else:
        values = list(request.args.values())
    if any("\x00" in v for v in values if isinstance(v, str)):
        abort(400, description=str(NUL_MESSAGE))


def _data_error(error):
    """A value the database refuses (too long for its column on PostgreSQL): a clear
    refusal, nothing stored (the request's transaction is rolled back)."""
    log.warning("database refused a value: %s", error)
    return render_error(422, TOO_LONG_MESSAGE)


def init_app(app: Flask) -> None:
    """Register the handlers."""
    import peewee

    app.before_request(_refuse_nul)
    app.register_error_handler(peewee.DataError, _data_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ReviewflowError, _engine_error)
    if not app.testing:
        # In tests an unexpected error must fail loudly, not hide behind a 500 page.
        app.register_error_handler(Exception, _unexpected)
