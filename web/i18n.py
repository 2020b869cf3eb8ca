"""Languages and the organisation's time zone, with Flask-Babel.

Which language a page speaks: the person's choice on their settings page, else the
``language`` column of the directory import, else the browser's ``Accept-Language``, else the
organisation's default (``REVIEWFLOW_LANGUAGE``, default ``en``). Mails use the same order
without the browser. Every date and time is shown in ``REVIEWFLOW_TIMEZONE`` (default UTC).

Catalogues live in ``web/translations/<lang>/LC_MESSAGES/messages.po``; ``make translations``
extracts, updates and compiles them (see docs/web.md, "Languages").
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import (
    Babel,
    force_locale,
    format_decimal,
    get_locale,
    get_translations,
    gettext,
    ngettext,
)
from flask_login import current_user

#: The languages reviewflow speaks, with their names in themselves (for the settings page).
LANGUAGES = {"en": "English", "da": "Dansk", "sv": "Svenska"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

babel = Babel()


def supported(tag: str | None) -> str | None:
    """The language of ``LANGUAGES`` that ``tag`` names (``sv-SE`` -> ``sv``), or None."""
    if not tag:
        return None
    first = tag.replace("_", "-").split("-")[0].lower()
    return first if first in LANGUAGES else None


def default_language() -> str:
    """The organisation's default language (``LANGUAGE`` setting, from REVIEWFLOW_LANGUAGE)."""
    return supported(current_app.config.get("LANGUAGE")) or "en"


def language_for(person) -> str:
    """The language to write to ``person`` in when there is no browser (mails): their choice,
    else the directory's, else the organisation's default."""
    from web import preferences

    if person is None:
        return default_language()
    chosen = preferences.language_of(person.email)
    return supported(chosen) or supported(getattr(person, "language", "")) or default_language()


def _select_locale() -> str:
    if "locale_choice" in g:
        return g.locale_choice
    choice = None
    user = current_user if has_request_context() else None
    if user is not None and user.is_authenticated:
        from web import preferences

        choice = supported(preferences.language_of(user.email)) or \
            supported(getattr(user.person, "language", ""))
    if choice is None and has_request_context():
        choice = request.accept_languages.best_match(list(LANGUAGES))
    g.locale_choice = choice or default_language()
    return g.locale_choice


def _translations():
    """The current locale's translations, remembered in ``g`` with the locale they are for.

    Flask-Babel looks them up anew on each call (about 30 microseconds), and a page calls
    ``_()`` a hundred times and more. A different locale object (``force_locale`` for a
    letter, ``refresh()`` after a change of language) looks them up again.
    """
    locale = get_locale()
    found = g.get("translations_of_locale")
    if found is None or found[0] is not locale:
        found = g.translations_of_locale = (locale, get_translations())
    return found[1]


def page_gettext(text: str, **variables) -> str:
    """Flask-Babel's ``gettext`` through the translations :func:`_translations` keeps
    for the page's locale: the same words, without Flask-Babel's domain and catalogue
    look-ups on every call (the inbox's due dates ask a few dozen times a page)."""
    if not has_app_context():
        return gettext(text, **variables)
    found = _translations().ugettext(text)
    return found % variables if variables else found


def page_ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ``ngettext`` the way :func:`page_gettext` is its ``gettext``."""
    if not has_app_context():
        return ngettext(singular, plural, num, **variables)
    variables.setdefault("num", num)
    return _translations().ungettext(singular, plural, num) % variables


def use_language(tag: str | None) -> None:
    """Write the rest of this request's page in ``tag`` when reviewflow speaks it (a
    rater outside the directory, in the language their nomination gives them)."""
    from flask_babel import refresh

    chosen = supported(tag)
    if chosen:
        g.locale_choice = chosen
        refresh()


def _select_timezone() -> str:
    return current_app.config["TIMEZONE"]


def zone() -> ZoneInfo:
    """The organisation's time zone."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def language() -> str:
    """The language of the page being rendered (``en``, ``da`` or ``sv``)."""
    return str(get_locale() or "en")


def localized(spec):
    """A workflow or form spec with its texts in the page's language (definitions may be
    written per language: ``title: {en: ..., da: ...}``; the default language otherwise)."""
    return spec.localized(language()) if spec is not None else None


def translate(text) -> str:
    """``text`` in the page's language: an engine :class:`~engine.messages.Message` is looked
    up by its id and its numbers written the local way; any other text is returned as is."""
    from engine.messages import Joined, Message

    if isinstance(text, Joined):
        return translate(text.separator).join(translate(w) for w in text.words)
    if not isinstance(text, Message):
        return text
    values = {k: _local_value(v) for k, v in text.params.items()}
    try:
        if text.plural is not None:
            return ngettext(text.msgid, text.plural, text.num, **values)
        return gettext(text.msgid, **values)
    except (TypeError, ValueError):  # a %(max)d placeholder takes the number itself
        if text.plural is not None:
            return ngettext(text.msgid, text.plural, text.num, **text.params)
        return gettext(text.msgid, **text.params)


def _local_value(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return translate(value) if isinstance(value, str) else value
    return format_decimal(value)


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone; else a ValueError that says what to set."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"REVIEWFLOW_TIMEZONE {name!r} is not a time zone; use an IANA name "
                         "such as Europe/Copenhagen or UTC") from None
    return name


def settings_from_env() -> dict:
    """The ``LANGUAGE`` and ``TIMEZONE`` settings from the environment."""
    return {"LANGUAGE": os.environ.get("REVIEWFLOW_LANGUAGE") or "en",
            "TIMEZONE": os.environ.get("REVIEWFLOW_TIMEZONE") or "UTC"}


def compile_catalogues(directory: Path = TRANSLATIONS, force: bool = False) -> None:
    """Compile each ``messages.po`` whose ``messages.mo`` is missing or older (fuzzy entries
    left out, as ``pybabel compile`` does). Written to a temporary file and renamed, so
    processes compiling at the same time never read half a file."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in directory.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalogue = read_po(handle, locale=po.parts[-3])
        tmp = mo.with_suffix(f".mo.{os.getpid()}")
        try:
            with tmp.open("wb") as out:
                write_mo(out, catalogue, use_fuzzy=False)
            os.replace(tmp, mo)
        except OSError:
            continue  # an installed, read-only copy: `make setup` compiled it already


def init_app(app: Flask) -> None:
    """Attach Flask-Babel with reviewflow's locale and time-zone choice."""
    app.config["LANGUAGE"] = supported(app.config.get("LANGUAGE")) or "en"
    app.config["TIMEZONE"] = check_timezone(app.config.get("TIMEZONE") or "UTC")
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    compile_catalogues()
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    # the templates' _() and ngettext(), through translations looked up once per locale
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n), newstyle=True)

    @app.context_processor
    def _language_globals():
        return {"page_language": language(), "LANGUAGES": LANGUAGES}

    app.jinja_env.filters["translate"] = translate


__all__ = ["LANGUAGES", "force_locale", "language", "language_for", "supported", "translate",
           "zone"]
