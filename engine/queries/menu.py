"""What the header menu of every signed-in page asks about its reader: two questions
asked inside the statement that reads the reader (``web.accounts.signed_in``)."""

from __future__ import annotations

from dataclasses import dataclass

import peewee as pw

from engine.store import CalibrationSession, Calibrator, Person, SessionStatus


@dataclass(frozen=True)
class MenuRoles:
    """Which of the menu's role pages apply to the reader."""

    manages: bool  # manages someone active ('My team')
    calibrates: bool  # a calibrator of a session still open ('Calibration')


def role_columns(person) -> list:
    """The menu's two questions about ``person`` (a column or a marker) as two ``EXISTS``
    columns, for a statement that reads the person anyway (the signed-in reader's)."""
    report = Person.alias("menu_report")
    reports = report.select(report.id).where(
        (report.manager == person) & (report.active == True))  # noqa: E712
    sessions = (Calibrator.select(Calibrator.id)
                .join(CalibrationSession, on=(Calibrator.session == CalibrationSession.id))
                .where((Calibrator.person == person)
                       & (CalibrationSession.status == SessionStatus.OPEN)))
    return [pw.fn.EXISTS(reports), pw.fn.EXISTS(sessions)]
