"""The personal settings page (``/settings``): the language someone reads reviewflow in.

Other personal settings (such as the mail digest) join this page as further fieldsets of
``settings/index.html`` and further columns of ``web.preferences.Preference``.
"""

from __future__ import annotations

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
        preferences.save(current_user.email, utcnow(), language=wanted)
        # The new language applies from this response on: the flash is already in it.
        g.pop("locale_choice", None)
        refresh()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("settings.index"))
    return render_template("settings/index.html", **_page(chosen))


def _page(chosen: str) -> dict:
    return {"chosen": chosen, "languages": LANGUAGES,
            "directory_language": _directory_language(),
            "organisation_language": default_language(),
            "timezone": current_app.config["TIMEZONE"]}
