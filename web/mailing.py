"""The web's side of mail: letters worded in each recipient's language, and daily
summaries for those who chose one on their settings page.

The engine composes letters from :class:`engine.messages.Message` objects; here they are
looked up in the same catalogues the pages use (``web/translations``), in the language
:func:`web.i18n.language_for` picks for the recipient (their choice on the settings page,
else the directory's ``language``, else the organisation's default).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import force_locale

from engine.mail import ENGLISH, Voice
from web import preferences
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


def summary_moment(now: datetime, at: str, zone: ZoneInfo) -> datetime:
    """The latest daily ``at`` (``HH:MM`` in ``zone``) at or before ``now`` (naive UTC),
    as naive UTC."""
    local = now.replace(tzinfo=UTC).astimezone(zone)
    hour, minute = (int(x) for x in at.split(":"))
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment > local:
        moment = (local - timedelta(days=1)).replace(hour=hour, minute=minute, second=0,
                                                     microsecond=0)
    return moment.astimezone(UTC).replace(tzinfo=None)


class Summaries:
    """Who chose a daily summary, read once per round: ``hold`` keeps their mail until
    the summary is due, ``sent`` notes that it went."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone
        self._round: datetime | None = None
        self._chosen: dict[str, tuple[str, datetime | None]] = {}

    def _load(self, now: datetime) -> None:
        if self._round != now:
            self._round = now
            self._chosen = {p.email: (p.digest, p.digest_sent_at)
                            for p in preferences.Preference.select().where(
                                preferences.Preference.digest != "")}

    def hold(self, email: str, now: datetime) -> bool:
        """Does ``email``'s mail wait for their daily summary?"""
        self._load(now)
        chosen = self._chosen.get(email)
        if chosen is None:
            return False
        at, last = chosen
        return last is not None and last >= summary_moment(now, at, self.zone)

    def sent(self, email: str, now: datetime) -> None:
        """``email``'s mail went: their next summary is at the next ``HH:MM``."""
        if email in self._chosen:
            preferences.Preference.update(digest_sent_at=now).where(
                preferences.Preference.email == email).execute()


def delivery_options(app: Flask) -> dict:
    """What :func:`engine.mail.deliver` needs from the web: voices, the time zone, the
    daily summaries people chose, and the accounts that make sign-in links."""
    from web.accounts import token_for_mail
    from web.i18n import zone

    with app.app_context():
        tz = zone()
    summaries = Summaries(tz)
    return {"voice_for": voice_for, "zone": tz, "hold": summaries.hold,
            "sent": summaries.sent, "sign_in_token": token_for_mail}
