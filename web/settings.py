"""The personal settings page (``/settings``): the language someone reads reviewflow in,
and whether mail comes as it happens or as a daily summary at a time of their choosing
(reminders and escalations always come at once).
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from web import preferences
from web.helpers import utcnow
from web.i18n import LANGUAGES, default_language, supported

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _directory_language() -> str | None:
    return supported(getattr(current_user.person, "language", ""))


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """Show and save the signed-in person's settings."""
    chosen = preferences.language_of(current_user.email)
    if request.method == "POST":
        wanted = request.form.get("language", "")
        if wanted and wanted not in LANGUAGES:
            flash(_("Choose one of the languages in the list."), "error")
            return render_template("settings/index.html", **_page(chosen)), 422
        digest = _digest(request.form.get("mail", "now"), request.form.get("digest_at", ""))
        if digest is None:
            flash(_("Give the time of your daily summary as HH:MM, for example 08:30."),
                  "error")
            return render_template("settings/index.html", **_page(chosen)), 422
        now = utcnow()
        values = {"language": wanted, "digest": digest}
        if digest and digest != _chosen_digest():  # the first summary: at the next HH:MM
            values["digest_sent_at"] = now
        preferences.save(current_user.email, now, **values)
        # The new language applies from this response on: the flash is already in it.
        g.pop("locale_choice", None)
        refresh()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("settings.index"))
    return render_template("settings/index.html", **_page(chosen))


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _digest(mail: str, at: str) -> str | None:
    """"" for mail as it happens, "HH:MM" for a daily summary, None for a bad time."""
    if mail != "daily":
        return ""
    at = at.strip()
    return at if _TIME.match(at) else None


def _chosen_digest() -> str:
    row = preferences.preference_of(current_user.email)
    return row.digest if row is not None else ""


def _page(chosen: str) -> dict:
    return {"chosen": chosen, "languages": LANGUAGES, "digest": _chosen_digest(),
            "directory_language": _directory_language(),
            "organisation_language": default_language(),
            "timezone": current_app.config["TIMEZONE"]}
