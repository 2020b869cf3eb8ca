"""Template filters and globals shared by every page: dates and numbers in the page's
language and the organisation's time zone, due dates, status pills."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime

from babel.numbers import get_group_symbol
from flask import Flask, g
from flask_babel import format_date, format_decimal, format_time, get_locale
from flask_login import current_user

from engine.clock import utcnow  # noqa: F401  (templates' and pages' now)
from web import i18n
from web.i18n import page_gettext as _
from web.i18n import page_ngettext as ngettext

STATUS_PILLS = {
    "open": "pill-info", "submitted": "pill-ok", "cancelled": "pill",
    "running": "pill-info", "finished": "pill-ok",
}


def local(value: datetime) -> datetime:
    """A stored (naive UTC) time in the organisation's time zone."""
    return value.replace(tzinfo=UTC).astimezone(i18n.zone()) if value.tzinfo is None \
        else value.astimezone(i18n.zone())


def local_date(value: datetime | date) -> date:
    """The calendar day ``value`` falls on in the organisation's time zone."""
    return local(value).date() if isinstance(value, datetime) else value


def day(value: datetime | date | None) -> str:
    """``12 Mar 2026`` / ``12. marts 2026`` / ``12 mars 2026``, in the organisation's zone."""
    if not value:
        return ""
    locale = get_locale()
    if locale is None:  # no app: as English, the way format_date does it without one
        return format_date(local_date(value), "dd MMM y")
    return _day_text(str(locale), local_date(value))


@functools.lru_cache(maxsize=4096)
def _day_text(language: str, value: date) -> str:
    """:func:`day`'s text of a calendar day in ``language`` (the current locale's name):
    a page shows the same few due dates on row after row, and Babel's formatting is the
    same every time."""
    return format_date(value, "dd MMM y" if language == "en" else "long")


def when(value: datetime | date | None) -> str:
    """``12 Mar 2026, 14:05 UTC`` (the clock of the organisation's zone) or, for a date,
    ``12 Mar 2026``; an empty string for None."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return day(value)
    # naive UTC, rebased to the organisation's zone; "CET"/"CEST"/"UTC" as people write it
    clock = f"{format_time(value, 'HH:mm')} {local(value).tzname()}"
    return _("%(date)s, %(time)s", date=day(value), time=clock)


def relative_due(due: datetime | None, now: datetime | None = None) -> str:
    """``due in 3 days``, ``due today``, ``3 days overdue``; empty without a due date.

    Days are counted on the organisation's calendar, not in UTC."""
    if due is None:
        return ""
    now = now or utcnow()
    days = (local_date(due) - local_date(now)).days
    if days < 0:
        return ngettext("%(num)d day overdue", "%(num)d days overdue", -days)
    if days == 0:
        return _("due today") if due >= now else _("overdue since today")
    if days == 1:
        return _("due tomorrow")
    return ngettext("due in %(num)d day", "due in %(num)d days", days)


def due_text(task, now: datetime | None = None) -> str:
    """How a task stands against its due date, in words: ``3 days overdue`` only while it
    is open; ``submitted 2 days late`` or ``submitted on time`` once done; ``was due 12 Mar
    2026`` for a withdrawn one. Empty without a due date."""
    due = getattr(task, "due_at", None)
    if due is None:
        return ""
    if str(getattr(task, "status", "open")) == "open":
        return relative_due(due, now)
    done = getattr(task, "submitted_at", None)
    if str(task.status) == "submitted" and done is not None:
        late = (local_date(done) - local_date(due)).days
        if late > 0:
            return ngettext("submitted %(num)d day late", "submitted %(num)d days late", late)
        return _("submitted on time")
    return _("was due %(date)s", date=day(due))


def days_left(due: datetime | None, now: datetime | None = None) -> int | None:
    """Whole days from today until ``due`` (negative when past), on the organisation's
    calendar."""
    if due is None:
        return None
    return (local_date(due) - local_date(now or utcnow())).days


def number(value) -> str:
    """A number as the page's language writes it (``0,7`` in Danish and Swedish)."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, int):  # a count: Babel's pattern machinery costs more than the page
        return f"{value:,}".replace(",", _group_symbol(str(get_locale())))
    return format_decimal(value)


@functools.lru_cache(maxsize=16)
def _group_symbol(locale: str) -> str:
    """The thousands separator of ``locale`` (``1,234``, ``1.234``, ``1\u00a0234``)."""
    return get_group_symbol(locale)


def humanize(name: str | None) -> str:
    """``approve_nominations`` -> ``Approve nominations`` (for names without a title)."""
    if not name:
        return ""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def task_title(task) -> str:
    """The task line's ``title`` from the definition, else its form's title.

    Read from the loaded library (no query); a version whose line has gone falls back to the
    form title, which the task item always carries."""
    from web.library import state

    library = state().library
    if not library:
        return task.form_title
    language = i18n.language()  # once for both specs
    spec = library.workflows.get(task.workflow_id)
    st = spec.localized(language).states.get(task.state) if spec is not None else None
    for line in st.tasks if st is not None else ():
        if line.key == task.task_key and line.form == task.form_id and line.title:
            return line.title
    form = library.forms.get(task.form_id)
    form = form.localized(language) if form is not None else None
    return (form.title if form is not None and form.title else None) or task.form_title


def workflow_title(item) -> str:
    """The title of an item's workflow in the reader's language (from the loaded library;
    the item's own title when the library no longer has it)."""
    from web.library import state

    library = state().library
    spec = i18n.localized(library.workflows.get(item.workflow_id)) if library else None
    return (spec.title if spec is not None and spec.title else None) or item.workflow_title


def refusal_messages(spec, refused) -> list[str]:
    """The definition's own words for a refused button (``conditions: [{when: ...,
    message: ...}]``) in the page's language (``spec`` is the localized workflow), or []
    when the conditions that refused carry none."""
    out = []
    for reason in getattr(refused, "messages", ()):
        text = reason.message
        index, kind, i = reason.ref or (None, None, None)
        if spec is not None and index is not None and index < len(spec.transitions):
            text = spec.transitions[index].refusal_message(kind, i) or text
        if text and text not in out:
            out.append(text)
    return out


def status_pill(status: str) -> str:
    """The CSS class of a status pill."""
    return STATUS_PILLS.get(status, "pill")


def status_text(status: str) -> str:
    """A task's or a process's status in the reader's language."""
    words = {"open": _("open"), "submitted": _("submitted"), "cancelled": _("cancelled"),
             "not needed": _("not needed"), "running": _("running"),
             "finished": _("finished")}
    return words.get(status, status)


def _nav() -> dict:
    """Header data (inbox count, whether 'My team' and 'Calibration' show), computed once
    per request."""
    if "nav" in g:
        return g.nav
    nav = {"inbox_count": 0, "has_team": False, "calibrates": False}
    if current_user.is_authenticated:
        from web.inbox import badge_count

        nav["inbox_count"] = badge_count(current_user)
        roles = current_user.menu  # read with the reader (web.accounts.signed_in)
        nav["has_team"] = roles.manages
        # HR finds sessions in the console; a calibrator in the menu while one is open
        nav["calibrates"] = not current_user.is_hr and roles.calibrates
    g.nav = nav
    return nav


def init_app(app: Flask) -> None:
    """Register the filters and the ``nav`` global."""
    app.jinja_env.filters.update(when=when, day=day, relative_due=relative_due, due_text=due_text,
                                 humanize=humanize, status_pill=status_pill, days_left=days_left,
                                 number=number, status_text=status_text,
                                 task_title=task_title, workflow_title=workflow_title)

    @app.context_processor
    def _globals():
        return {"nav": _nav() if current_user else {}, "now": utcnow()}
