"""What the header menu of every signed-in page asks about its reader, in one statement."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from engine import statements
from engine.store import CalibrationSession, Calibrator, Person, SessionStatus


@dataclass(frozen=True)
class MenuRoles:
    """Which of the menu's role pages apply to the reader."""

    manages: bool  # manages someone active ('My team')
    calibrates: bool  # a calibrator of a session still open ('Calibration')


def _menu_query():
    manager, calibrator = statements.marker(), statements.marker()
    reports = Person.select(Person.id).where(
        (Person.manager == manager) & (Person.active == True))  # noqa: E712
    sessions = (Calibrator.select(Calibrator.id)
                .join(CalibrationSession, on=(Calibrator.session == CalibrationSession.id))
                .where((Calibrator.person == calibrator)
                       & (CalibrationSession.status == SessionStatus.OPEN)))
    query = pw.Select(columns=[pw.fn.EXISTS(reports), pw.fn.EXISTS(sessions)])
    query.bind(Person._meta.database)
    return query, manager, calibrator


def menu_roles(person_id: int) -> MenuRoles:
    """Both of the menu's role questions about ``person_id`` at once: the menu asks them on
    every page (SQL built once per backend, one round trip)."""
    manages, calibrates = statements.prepared("menu_roles", _menu_query).execute(
        person_id, person_id).fetchone()
    return MenuRoles(bool(manages), bool(calibrates))
