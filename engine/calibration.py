"""What a calibration session is about, shared by its commands and its reads.

A session calibrates one cycle, or one department of it. Its fields are ``form.field``
answers that a ``calibration:`` state of the cycle's workflow names (the definition is
the authority on what may be changed). Who sees which rows:

- HR (directory group ``hr``) sees every process of the session's scope but their own;
- a calibrator sees, of that scope, the people of the session's department; in a session
  over the whole cycle, the people of their own department and their direct reports;
  never their own review;
- nobody else sees the session at all (the employee only ever sees the final rating,
  through the review itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import roles, versions
from engine.definitions.calibration_checks import scale_of
from engine.directory import People
from engine.errors import NotAllowed, NotFound
from engine.store import (
    CalibrationSession,
    Calibrator,
    Instance,
    Person,
    db,
)

#: A session calibrates a rating and, optionally, a second field (the 9-box's other axis).
MAX_FIELDS = 2
#: The 9-box's bands, low to high.
BANDS = 3


@dataclass(frozen=True)
class FieldInfo:
    """One calibrated field: its form, name, title and scale (value, label) low to high."""

    ref: str  # form.field
    form_id: str
    name: str
    title: str
    options: tuple[tuple[object, str], ...]

    @property
    def values(self) -> tuple:
        return tuple(v for v, _ in self.options)

    def label(self, value) -> str:
        """The choice's label of a stored value (the value itself when it has none)."""
        for v, text in self.options:
            if v == value:
                return text
        return "" if value is None else str(value)

    def band(self, value) -> int | None:
        """Which of the 9-box's bands (0 low, 1 middle, 2 high) ``value`` falls in."""
        if value not in self.values:
            return None
        last = len(self.values) - 1  # the lowest and highest values reach the outer bands
        return 1 if last == 0 else min(BANDS - 1, self.values.index(value) * BANDS // last)


def field_info(version, ref: str, language: str | None = None) -> FieldInfo:
    """The :class:`FieldInfo` of ``form.field`` in a definition version's forms."""
    form_id, _, name = ref.partition(".")
    form = version.forms.get(form_id)
    if form is None:
        raise NotFound(f"no form {form_id!r}")
    form = form.localized(language)
    prop = (form.schema.get("properties") or {}).get(name)
    if not isinstance(prop, dict):
        raise NotFound(f"form {form_id!r} has no field {name!r}")
    titles = {a.get("const"): a.get("title") for a in prop.get("oneOf") or prop.get("anyOf")
              or () if isinstance(a, dict)}
    options = tuple((v, str(titles.get(v) or v)) for v in scale_of(prop))
    return FieldInfo(ref, form_id, name, str(prop.get("title") or name), options)


def calibrated_fields(cycle_definition_id: int) -> tuple[str, ...]:
    """The fields a session over a cycle of this definition version may calibrate."""
    return versions.version_for(cycle_definition_id).spec.calibrated_fields()


def session_row(session_id) -> CalibrationSession:
    """The session row; raise ``NotFound``."""
    try:
        found = CalibrationSession.get_or_none(CalibrationSession.id == int(session_id))
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound(f"no calibration session {session_id}")
    return found


def is_hr(email: str) -> bool:
    """Is ``email`` a member of an HR group of the directory?"""
    return roles.is_hr(email, People())


def calibrator_ids(session_id: int) -> set[int]:
    """The ids of the people named to calibrate in the session."""
    return {c.person_id for c in Calibrator.select(Calibrator.person)
            .where(Calibrator.session == session_id)}


@dataclass(frozen=True)
class Viewer:
    """Who looks at a session and what they may see (``None`` fields: everything)."""

    person: Person
    hr: bool
    calibrator: bool


def viewer_of(session: CalibrationSession, email: str) -> Viewer:
    """The viewer ``email`` of ``session``; raise ``NotAllowed`` for someone who is
    neither HR nor one of its calibrators (``NotFound`` for nobody of the directory)."""
    from engine import directory

    me = directory.person(email)
    hr = is_hr(me.email)
    calibrator = me.id in calibrator_ids(session.id)
    if not hr and not calibrator:
        raise NotAllowed(f"{me.email} is neither HR nor a calibrator of session "
                         f"{session.id}")
    return Viewer(me, hr, calibrator)


def scope_sql(session: CalibrationSession, viewer: Viewer | None) -> tuple[str, list]:
    """SQL over instance ``i`` and subject ``p``: the processes ``viewer`` may see (None:
    every process of the session, as closing it moves them)."""
    p = db.obj.param
    where, params = [f'i."cycle_id" = {p}', 'i."status" <> \'cancelled\''], [session.cycle_id]
    if session.department:
        where.append(f'p."department" = {p}')
        params.append(session.department)
    if viewer is not None:
        where.append(f'p."id" <> {p}')  # never one's own review, not even for HR
        params.append(viewer.person.id)
    if viewer is not None and not viewer.hr:
        if not session.department:
            where.append(f'(p."department" = {p} OR p."manager_id" = {p})')
            params += [viewer.person.department, viewer.person.id]
    return " AND ".join(where), params


def instances_in_scope(session: CalibrationSession, viewer: Viewer | None) -> list[tuple]:
    """(instance id, subject id) of every process ``viewer`` may see, by subject name."""
    where, params = scope_sql(session, viewer)
    sql = (f'SELECT i."id", p."id" FROM "instance" i JOIN "person" p '
           f'ON i."subject_id" = p."id" WHERE {where} ORDER BY p."name", i."id"')
    return [tuple(r) for r in db.execute_sql(sql, params).fetchall()]


def in_scope(session: CalibrationSession, viewer: Viewer, instance_id: int) -> bool:
    """May ``viewer`` see (and, as a calibrator, propose for) ``instance_id``?"""
    where, params = scope_sql(session, viewer)
    sql = (f'SELECT 1 FROM "instance" i JOIN "person" p ON i."subject_id" = p."id" '
           f'WHERE {where} AND i."id" = {db.obj.param}')
    return db.execute_sql(sql, [*params, instance_id]).fetchone() is not None


def waiting_here(instance: Instance) -> bool:
    """Is the instance in a state that waits for a calibration session?"""
    state = versions.version_for(instance.definition_id).spec.states.get(instance.state)
    return bool(state and state.calibration)
