"""The web's side of mail: letters worded in each recipient's language.

The engine composes letters from :class:`engine.messages.Message` objects; here they are
looked up in the same catalogues the pages use (``web/translations``), in the language
:func:`web.i18n.language_for` picks for the recipient (their choice on the settings page,
else the directory's ``language``, else the organisation's default).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale

from engine.mail import ENGLISH, Voice
from web.i18n import language_for, translate


class CatalogueVoice(Voice):
    """A recipient's language, through the web's gettext catalogues."""

    def __init__(self, language: str):
        self.language = language

    def say(self, message) -> str:
        with force_locale(self.language):
            return translate(message)


def voice_for(person) -> Voice:
    """How to word a letter to ``person`` (inside the app's context)."""
    language = language_for(person)
    return ENGLISH if language == "en" else CatalogueVoice(language)


def delivery_options(app: Flask) -> dict:
    """What :func:`engine.mail.deliver` needs from the web: voices and the time zone."""
    from web.i18n import zone

    with app.app_context():
        tz = zone()
    return {"voice_for": voice_for, "zone": tz}
