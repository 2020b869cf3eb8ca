"""Calibration sessions as their pages show them: the list, and one session with every
process of the viewer's scope, the rating's distribution against HR's target, and the
9-box of two fields.

A constant number of queries per page whatever the session's size (instances, answers,
proposals, calibrators and history each in one). The scope rules are
:mod:`engine.calibration`'s: a viewer who is neither HR nor a calibrator gets
:class:`~engine.errors.NotAllowed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import peewee as pw

from engine import calibration as cal
from engine import directory, versions
from engine.lifecycle import current_revision
from engine.store import (
    CalibrationSession,
    Calibrator,
    Cycle,
    Instance,
    Person,
    Proposal,
    ProposalStatus,
    SessionEvent,
    SessionStatus,
    Submission,
)


@dataclass(frozen=True)
class SessionItem:
    id: int
    name: str
    cycle_id: int
    cycle: str
    department: str
    fields: tuple[str, ...]
    target: dict | None
    status: str
    created_at: datetime
    created_by: str
    closed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN


@dataclass(frozen=True)
class ProposalItem:
    id: int
    instance_id: int
    field: str
    old_value: object
    new_value: object
    reason: str
    proposed_by: str
    proposed_by_name: str
    proposed_at: datetime
    status: str
    decided_by: str | None
    note: str


@dataclass
class PersonRow:
    """One process of the session: its subject, answers and proposals."""

    instance_id: int
    email: str
    name: str
    department: str
    manager: str
    state: str
    state_title: str
    waiting: bool  # in a state that waits for the session
    values: dict = field(default_factory=dict)  # field ref -> current value
    calibrated: dict = field(default_factory=dict)  # field ref -> value with accepted changes
    proposals: list[ProposalItem] = field(default_factory=list)

    def changed(self, ref: str) -> bool:
        return self.calibrated.get(ref) != self.values.get(ref)


@dataclass(frozen=True)
class Bucket:
    value: object
    label: str
    count: int
    percent: float
    target: int | None

    @property
    def deviation(self) -> float | None:
        """Percentage points above (positive) or below the target."""
        return None if self.target is None else round(self.percent - self.target, 1)


@dataclass(frozen=True)
class Box:
    """One cell of the 9-box: bands of the rating (x) and the second field (y)."""

    x: int
    y: int
    people: tuple[PersonRow, ...]


@dataclass
class SessionView:
    session: SessionItem
    is_hr: bool
    fields: list[cal.FieldInfo]
    rows: list[PersonRow]
    calibrators: list[tuple[str, str]]  # (email, name)
    distribution: list[Bucket]
    rated: int  # rows with a rating
    ninebox: list[list[Box]] | None  # rows high to low of the second field, or None
    history: list[dict]

    @property
    def pending(self) -> list[ProposalItem]:
        return [p for r in self.rows for p in r.proposals if p.status == ProposalStatus.PROPOSED]

    @property
    def waiting(self) -> int:
        return sum(1 for r in self.rows if r.waiting)


def _item(row: CalibrationSession, cycle_name: str) -> SessionItem:
    return SessionItem(row.id, row.name, row.cycle_id, cycle_name, row.department,
                       tuple(row.fields or ()), row.target, row.status, row.created_at,
                       row.created_by, row.closed_at)


def sessions(email: str, cycle_id: int | None = None) -> list[SessionItem]:
    """The sessions ``email`` may open (HR: all; a calibrator: theirs), newest first."""
    me = directory.person(email)
    query = (CalibrationSession.select(CalibrationSession, Cycle.name.alias("cycle_name"))
             .join(Cycle, on=(CalibrationSession.cycle == Cycle.id)))
    if cycle_id is not None:
        query = query.where(CalibrationSession.cycle == cycle_id)
    if not cal.is_hr(me.email):
        mine = Calibrator.select(Calibrator.session).where(Calibrator.person == me.id)
        query = query.where(CalibrationSession.id.in_(mine))
    rows = query.order_by(CalibrationSession.created_at.desc(), CalibrationSession.id.desc())
    return [_item(r, r.cycle_name) for r in rows.objects()]


def session_view(session_id, email: str, language: str | None = None) -> SessionView:
    """Session ``session_id`` as ``email`` may see it (NotFound, NotAllowed)."""
    row = cal.session_row(session_id)
    viewer = cal.viewer_of(row, email)
    version = versions.version_for(row.cycle.definition_id)
    infos = [cal.field_info(version, ref, language) for ref in row.fields]
    rows = _rows(row, viewer, infos, version.spec.localized(language))
    calibrators = [(p.email, p.name) for p in Person.select().join(
        Calibrator, on=(Calibrator.person == Person.id))
        .where(Calibrator.session == row.id).order_by(Person.name)]
    distribution, rated = _distribution(infos[0], rows, row.target or {})
    view = SessionView(_item(row, row.cycle.name), viewer.hr, infos, rows, calibrators,
                       distribution, rated, _ninebox(infos, rows) if len(infos) > 1 else None,
                       _history(row) if viewer.hr else [])
    return view


def _rows(session, viewer, infos, spec) -> list[PersonRow]:
    scope = cal.instances_in_scope(session, viewer)
    ids = [i for i, _ in scope]
    if not ids:
        return []
    out: dict[int, PersonRow] = {}
    Manager = Person.alias("manager")  # noqa: N806 (a table alias)
    query = (Instance.select(Instance.id, Instance.state, Person.email, Person.name,
                             Person.department, Manager.name.alias("manager_name"))
             .join(Person, on=(Instance.subject == Person.id))
             .join(Manager, pw.JOIN.LEFT_OUTER, on=(Person.manager == Manager.id))
             .where(Instance.id.in_(ids)).dicts())
    for r in query:
        state = spec.states.get(r["state"])
        out[r["id"]] = PersonRow(r["id"], r["email"], r["name"], r["department"],
                                 r["manager_name"] or "", r["state"],
                                 (state.title if state and state.title else r["state"]),
                                 bool(state and state.calibration))
    forms = {i.form_id for i in infos}
    answers = (Submission.select(Submission.instance, Submission.form_id, Submission.data)
               .where(Submission.instance.in_(ids) & Submission.form_id.in_(sorted(forms))
                      & current_revision()).order_by(Submission.id))
    latest: dict[tuple, dict] = {}
    for s in answers:
        latest[(s.instance_id, s.form_id)] = s.data or {}
    for instance_id, person in out.items():
        for info in infos:
            value = latest.get((instance_id, info.form_id), {}).get(info.name)
            person.values[info.ref] = person.calibrated[info.ref] = value
    _proposals(session, out)
    return [out[i] for i in ids if i in out]


def _proposals(session, rows: dict[int, PersonRow]) -> None:
    query = (Proposal.select(Proposal, Person.name.alias("by_name"))
             .join(Person, pw.JOIN.LEFT_OUTER, on=(Person.email == Proposal.proposed_by))
             .where((Proposal.session == session.id) & Proposal.instance.in_(list(rows)))
             .order_by(Proposal.id))
    for p in query.objects():
        row = rows.get(p.instance_id)
        if row is None:
            continue
        row.proposals.append(ProposalItem(
            p.id, p.instance_id, p.field, p.old_value, p.new_value, p.reason, p.proposed_by,
            p.by_name or p.proposed_by, p.proposed_at, p.status, p.decided_by, p.note))
        if p.status == ProposalStatus.ACCEPTED:
            row.calibrated[p.field] = p.new_value


def _distribution(info: cal.FieldInfo, rows: list[PersonRow], target: dict):
    """(buckets, rated) of the rating with the accepted changes applied."""
    values = [r.calibrated.get(info.ref) for r in rows]
    rated = sum(1 for v in values if v in info.values)
    out = []
    for value, label in info.options:
        n = values.count(value)
        goal = target.get(str(value))
        out.append(Bucket(value, label, n, round(100.0 * n / rated, 1) if rated else 0.0,
                          int(goal) if goal is not None else (0 if target else None)))
    return out, rated


def _ninebox(infos, rows: list[PersonRow]) -> list[list[Box]]:
    """3 x 3 cells: x the rating's band, y the second field's; the top row is high."""
    x_info, y_info = infos[0], infos[1]
    cells: dict[tuple[int, int], list[PersonRow]] = {}
    for r in rows:
        x, y = x_info.band(r.calibrated.get(x_info.ref)), y_info.band(r.calibrated.get(y_info.ref))
        if x is not None and y is not None:
            cells.setdefault((x, y), []).append(r)
    return [[Box(x, y, tuple(cells.get((x, y), ()))) for x in range(cal.BANDS)]
            for y in reversed(range(cal.BANDS))]


def _history(session) -> list[dict]:
    """The session's events, oldest first, each with its actor's name (two queries)."""
    events = list(SessionEvent.select().where(SessionEvent.session == session.id)
                  .order_by(SessionEvent.id))
    actors = sorted({e.actor for e in events})
    names = {p.email: p.name for p in Person.select(Person.email, Person.name)
             .where(Person.email.in_(actors))} if actors else {}
    return [{"at": e.at, "actor": e.actor, "name": names.get(e.actor, e.actor), "kind": e.kind,
             "instance": e.instance_id, "detail": e.detail or {}} for e in events]


def cycle_managers(cycle_id: int) -> list[tuple[str, str, str]]:
    """(email, name, department) of the active managers of the cycle's people, by name:
    the calibrators HR is offered first."""
    Report = Person.alias("report")  # noqa: N806 (a table alias)
    query = (Person.select(Person.email, Person.name, Person.department)
             .join(Report, on=(Report.manager == Person.id))
             .join(Instance, on=(Instance.subject == Report.id))
             .where((Instance.cycle == cycle_id) & (Person.active == True))  # noqa: E712
             .distinct().order_by(Person.name, Person.email))
    return [(p.email, p.name, p.department) for p in query]


def cycle_departments(cycle_id: int) -> list[str]:
    """The departments of the cycle's people, sorted."""
    query = (Person.select(Person.department).join(Instance, on=(Instance.subject == Person.id))
             .where((Instance.cycle == cycle_id) & (Person.department != "")).distinct())
    return sorted(p.department for p in query)


def session_of_proposal(proposal_id) -> int | None:
    """The session a proposal belongs to, or None."""
    try:
        return Proposal.select(Proposal.session).where(Proposal.id == int(proposal_id)).scalar()
    except (TypeError, ValueError):
        return None
