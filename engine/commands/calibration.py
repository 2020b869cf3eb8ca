"""Calibration sessions: HR opens one over a cycle, names calibrators and a target
distribution; calibrators propose changes with a reason; HR accepts or rejects each;
closing writes the accepted values back as new revisions and moves waiting reviews on.

Each command is one transaction. Bad input raises :class:`SubmissionInvalid` (field ->
messages) and changes nothing; a refused act (:class:`NotAllowed`: not HR, not a
calibrator, someone outside the calibrator's scope) is rolled back, then recorded in the
session's history in a transaction of its own. Who sees what: :mod:`engine.calibration`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from engine import calibration as cal
from engine import directory, statements
from engine.clock import utc
from engine.commands.base import finish, run_for
from engine.connection import is_postgres
from engine.errors import Conflict, NotAllowed, NotFound, SubmissionInvalid
from engine.lifecycle import current_revision
from engine.locking import lock_instance, transaction
from engine.messages import N_
from engine.store import (
    CalibrationSession,
    Calibrator,
    Cycle,
    EventKind,
    Instance,
    InstanceStatus,
    Outbox,
    Person,
    Proposal,
    ProposalStatus,
    SessionEvent,
    SessionStatus,
    Submission,
)

MAX_REASON = 3000
MAX_NAME = 200


class refusals_recorded:  # noqa: N801 - used like a function: ``with refusals_recorded(...)``
    """Around a session command: on NotAllowed, record the refusal in the session's
    history (after the rollback), then let it propagate."""

    def __init__(self, session_id, actor: str, now: datetime, action: str,
                 instance_id: int | None = None):
        self.args = (session_id, actor, now, action, instance_id)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, NotAllowed):
            session_id, actor, now, action, instance_id = self.args
            if CalibrationSession.get_or_none(CalibrationSession.id == session_id):
                with transaction():
                    SessionEvent.create(session=session_id, at=now, actor=actor,
                                        kind="refused", instance=_existing(instance_id),
                                        detail={"action": action, "reason": exc.reason})
        return False


def _existing(instance_id):
    if instance_id is None:
        return None
    return instance_id if Instance.get_or_none(Instance.id == instance_id) else None


def _event(session_id: int, actor: str, now: datetime, kind: str, instance=None,
           **detail) -> None:
    SessionEvent.create(session=session_id, at=now, actor=actor, kind=kind,
                        instance=instance, detail=detail)


def _require_hr(actor: str, what: str) -> Person:
    me = directory.person(actor)
    if not cal.is_hr(me.email):
        raise NotAllowed(f"only HR may {what}")
    return me


def _lock_session(session_id: int) -> CalibrationSession:
    """Read the session row and hold it until the transaction ends (FOR UPDATE on
    PostgreSQL; SQLite's write lock is taken at BEGIN), so two HR members closing or
    accepting at once are served one after the other."""
    return statements.get_row(CalibrationSession, session_id, for_update=is_postgres())


def _require_open(session: CalibrationSession) -> None:
    if session.status != SessionStatus.OPEN:
        raise Conflict(f"calibration session {session.id} is closed")


# ------------------------------------------------------------------------ opening


def open_session(cycle_id, actor: str, name: str, fields: Iterable[str],
                 calibrators: Iterable[str] = (), department: str = "",
                 now: datetime | None = None) -> int:
    """Open a calibration session over cycle ``cycle_id`` (or its ``department``); return
    its id. Only HR may; ``fields`` are one or two of the fields the cycle's workflow lets
    a session calibrate (the first is the rating)."""
    now = utc(now)
    me = _require_hr(actor, "open a calibration session")
    cycle = Cycle.get_or_none(Cycle.id == _number(cycle_id))
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id}")
    fields = [f.strip() for f in fields if f and f.strip()]
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [N_("Give the session a name.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [N_("At most %(num)d characters.", num=MAX_NAME)]
    _check_fields(cycle, fields, errors)
    department = (department or "").strip()
    if department and department not in _departments(cycle.id):
        errors["department"] = [N_("Nobody of the cycle is in department %(name)s.",
                                   name=department)]
    people = _calibrators(calibrators, errors)
    if errors:
        raise SubmissionInvalid(errors)
    with transaction():
        session = CalibrationSession.create(
            cycle=cycle.id, name=name, department=department, fields=fields,
            created_at=now, created_by=me.email)
        _event(session.id, me.email, now, "opened", fields=fields, department=department)
        _name_calibrators(session.id, people, me.email, now)
    return session.id


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_fields(cycle: Cycle, fields: list[str], errors: dict) -> None:
    allowed = cal.calibrated_fields(cycle.definition_id)
    if not allowed:
        errors["fields"] = [N_("The workflow of this cycle has no calibration state, so "
                               "there is nothing to calibrate.")]
    elif not fields:
        errors["fields"] = [N_("Pick the rating to calibrate.")]
    elif len(fields) > cal.MAX_FIELDS or len(set(fields)) != len(fields):
        errors["fields"] = [N_("Pick a rating and at most one other field, each once.")]
    else:
        unknown = [f for f in fields if f not in allowed]
        if unknown:
            errors["fields"] = [N_("%(field)s cannot be calibrated in this cycle.",
                                   field=unknown[0])]


def _departments(cycle_id: int) -> set[str]:
    query = (Person.select(Person.department).join(Instance, on=(Instance.subject == Person.id))
             .where(Instance.cycle == cycle_id).distinct())
    return {p.department for p in query}


def _calibrators(emails: Iterable[str], errors: dict) -> list[Person]:
    """The people named, each once; a message per unknown or departed one."""
    found, messages, seen = [], [], set()
    for text in emails:
        email = directory.normalize_email(text or "")
        if not email or email in seen:
            continue
        seen.add(email)
        person = directory.person_by_email(email)
        if person is None:
            messages.append(N_("%(email)s is not in the directory.", email=email))
        elif not person.active:
            messages.append(N_("%(name)s has left and cannot calibrate.", name=person.name))
        else:
            found.append(person)
    if messages:
        errors["calibrators"] = messages
    return found


def _name_calibrators(session_id: int, people: list[Person], actor: str,
                      now: datetime) -> None:
    """Replace the calibrators; each one new to the session is told by mail (the outbox)."""
    before = cal.calibrator_ids(session_id)
    Calibrator.delete().where(Calibrator.session == session_id).execute()
    session = CalibrationSession.get_by_id(session_id)
    by = directory.person_by_email(actor)
    for person in people:
        Calibrator.create(session=session_id, person=person.id)
        if person.id not in before:
            Outbox.create(recipient=person.email, kind="calibrator", created_at=now,
                          subject=f"You calibrate: {session.name}",
                          body=f"{by.name if by else actor} named you a calibrator of "
                               f"{session.name}.",
                          params={"session_id": session_id, "session": session.name,
                                  "by": by.name if by else actor})
    _event(session_id, actor, now, "calibrators", calibrators=[p.email for p in people])


def set_calibrators(session_id, actor: str, emails: Iterable[str],
                    now: datetime | None = None) -> None:
    """Replace the session's calibrators with the people ``emails`` name (HR only)."""
    now = utc(now)
    session = cal.session_row(session_id)
    with refusals_recorded(session.id, actor, now, "calibrators"):
        me = _require_hr(actor, "name calibrators")
        _require_open(session)
        errors: dict = {}
        people = _calibrators(emails, errors)
        if errors:
            raise SubmissionInvalid(errors)
        with transaction():
            _name_calibrators(session.id, people, me.email, now)


def set_target(session_id, actor: str, target: dict | None,
               now: datetime | None = None) -> None:
    """Set (or clear, with None or {}) the target distribution of the session's rating:
    stored value -> whole percent, adding up to 100 (HR only)."""
    now = utc(now)
    session = cal.session_row(session_id)
    with refusals_recorded(session.id, actor, now, "target"):
        me = _require_hr(actor, "set the target distribution")
        _require_open(session)
        cleaned = _target(session, target or {})
        with transaction():
            CalibrationSession.update(target=cleaned or None).where(
                CalibrationSession.id == session.id).execute()
            _event(session.id, me.email, now, "target", target=cleaned)


def _target(session: CalibrationSession, target: dict) -> dict:
    from engine import versions

    rating = cal.field_info(versions.version_for(session.cycle.definition_id),
                            session.fields[0])
    keys = {str(v): v for v in rating.values}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value in target.items():
        if str(key) not in keys:
            errors.setdefault("target", []).append(
                N_("%(value)s is not a value of the rating.", value=key))
            continue
        if value in (None, ""):
            continue
        number = _number(value)
        if number is None or not 0 <= number <= 100 or str(value).strip() != str(number):
            errors[f"target.{key}"] = [N_("Write a whole percent from 0 to 100.")]
            continue
        cleaned[str(key)] = number
    if not errors and cleaned and sum(cleaned.values()) != 100:
        errors["target"] = [N_("The percents add up to %(num)d, not 100.",
                               num=sum(cleaned.values()))]
    if errors:
        raise SubmissionInvalid(errors)
    return cleaned


# ------------------------------------------------------------------------ proposals


def propose(session_id, actor: str, instance_id, field: str, value, reason: str,
            now: datetime | None = None) -> int:
    """A calibrator (or HR) proposes ``field`` = ``value`` for one process of their
    scope, with a reason; return the proposal's id."""
    now = utc(now)
    session = cal.session_row(session_id)
    instance = _number(instance_id)
    with refusals_recorded(session.id, actor, now, "propose", instance):
        viewer = cal.viewer_of(session, actor)
        if instance is None or not cal.in_scope(session, viewer, instance):
            raise NotAllowed(f"{viewer.person.email} may not calibrate process "
                             f"{instance_id}: it is not in their scope of the session")
        _require_open(session)
        if field not in session.fields:
            raise SubmissionInvalid({"field": [N_("This session does not calibrate that "
                                                  "field.")]})
        info = cal.field_info(_version(session), field)
        current = _current(instance, info.form_id)
        errors: dict[str, list[str]] = {}
        chosen = _value(info, value, errors)
        reason = (reason or "").strip()
        if not reason:
            errors["reason"] = [N_("Say why the rating should change.")]
        elif len(reason) > MAX_REASON:
            errors["reason"] = [N_("At most %(num)d characters.", num=MAX_REASON)]
        if current is None:
            errors.setdefault("value", []).append(N_("There is no answer to calibrate yet."))
        elif not cal.waiting_here(Instance.get_by_id(instance)):
            errors.setdefault("value", []).append(N_(
                "This review is not waiting for calibration any more: it has moved on."))
        elif chosen is not None and current.data.get(info.name) == chosen:
            errors.setdefault("value", []).append(N_("That is the value it has now."))
        if errors:
            raise SubmissionInvalid(errors)
        with transaction():
            row = Proposal.create(
                session=session.id, instance=instance, submission=current.id, field=field,
                old_value=current.data.get(info.name), new_value=chosen, reason=reason,
                proposed_by=viewer.person.email, proposed_at=now)
            _event(session.id, viewer.person.email, now, "proposed", instance,
                   proposal=row.id, field=field, to=chosen)
        return row.id


def _version(session: CalibrationSession):
    from engine import versions

    return versions.version_for(session.cycle.definition_id)


def _value(info: cal.FieldInfo, value, errors: dict):
    for v in info.values:
        if str(v) == str(value).strip():
            return v
    errors["value"] = [N_("Pick one of the rating's values.")]
    return None


def _current(instance_id: int, form_id: str) -> Submission | None:
    """The current revision of the instance's answer to ``form_id`` (the latest one)."""
    return (Submission.select().where((Submission.instance == instance_id)
                                      & (Submission.form_id == form_id) & current_revision())
            .order_by(Submission.id.desc()).first())


def decide(proposal_id, actor: str, accept: bool, note: str = "",
           now: datetime | None = None) -> None:
    """HR accepts or rejects a proposal (one accepted change per process and field)."""
    now = utc(now)
    proposal = Proposal.get_or_none(Proposal.id == _number(proposal_id))
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    session = cal.session_row(proposal.session_id)
    with refusals_recorded(session.id, actor, now, "decide", proposal.instance_id):
        me = _require_hr(actor, "accept or reject a proposal")
        if Instance.get_by_id(proposal.instance_id).subject_id == me.id:
            raise NotAllowed(f"{me.email} may not decide on a change of their own review")
        _require_open(session)
        with transaction():
            _require_open(_lock_session(session.id))  # one decision at a time per session
            fresh = Proposal.get_by_id(proposal.id)
            if fresh.status != ProposalStatus.PROPOSED:
                raise Conflict(f"proposal {proposal.id} is already {fresh.status}")
            if accept and Proposal.select().where(
                    (Proposal.session == session.id) & (Proposal.instance == fresh.instance_id)
                    & (Proposal.field == fresh.field)
                    & (Proposal.status == ProposalStatus.ACCEPTED)).exists():
                raise Conflict("another change of this rating is accepted already; "
                               "reject this one")
            status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
            Proposal.update(status=status, decided_by=me.email, decided_at=now,
                            note=(note or "").strip()[:MAX_REASON]).where(
                Proposal.id == fresh.id).execute()
            _event(session.id, me.email, now, status.value, fresh.instance_id,
                   proposal=fresh.id)


# ------------------------------------------------------------------------ closing


def close(session_id, actor: str, now: datetime | None = None) -> dict:
    """Close the session (HR only): every accepted change becomes a new revision of its
    answer (the original kept), with a ``calibrated`` event in the instance's history;
    proposals still waiting lapse; processes of the scope waiting in a calibration state
    move on. Return counts: ``revised`` answers and ``moved`` processes."""
    now = utc(now)
    session = cal.session_row(session_id)
    with refusals_recorded(session.id, actor, now, "close"):
        me = _require_hr(actor, "close a calibration session")
        _require_open(session)
        with transaction():
            _require_open(_lock_session(session.id))
            accepted = list(Proposal.select().where(
                (Proposal.session == session.id) & (Proposal.status == ProposalStatus.ACCEPTED))
                .order_by(Proposal.id))
            by_instance: dict[int, list[Proposal]] = {}
            for proposal in accepted:
                by_instance.setdefault(proposal.instance_id, []).append(proposal)
            scope = _waiting([i for i, _ in cal.instances_in_scope(session, None)])
            revised = moved = 0
            for instance_id in sorted(set(scope) | set(by_instance)):
                changed, went_on = _close_one(session, instance_id,
                                              by_instance.get(instance_id, []), me.email, now)
                revised += changed
                moved += went_on
            Proposal.update(status=ProposalStatus.LAPSED, decided_at=now).where(
                (Proposal.session == session.id)
                & (Proposal.status == ProposalStatus.PROPOSED)).execute()
            CalibrationSession.update(status=SessionStatus.CLOSED, closed_at=now,
                                      closed_by=me.email).where(
                CalibrationSession.id == session.id).execute()
            _event(session.id, me.email, now, "closed", revised=revised, moved=moved)
    return {"revised": revised, "moved": moved}


def _waiting(ids: list[int]) -> list[int]:
    """Those of ``ids`` that wait in a calibration state (the others need no lock)."""
    out = []
    for start in range(0, len(ids), 500):
        rows = Instance.select(Instance.id, Instance.definition, Instance.state).where(
            Instance.id.in_(ids[start:start + 500])
            & (Instance.status == InstanceStatus.RUNNING))
        out += [r.id for r in rows if cal.waiting_here(r)]
    return out


def _close_one(session, instance_id: int, proposals: list[Proposal], actor: str,
               now: datetime) -> tuple[int, int]:
    """Write one process's accepted changes and move it on if it waits; (revised, moved)."""
    run = run_for(lock_instance(instance_id), now)
    version = run.version
    revised = 0
    by_form: dict[str, list[tuple[cal.FieldInfo, Proposal]]] = {}
    for proposal in proposals:
        info = cal.field_info(version, proposal.field)
        by_form.setdefault(info.form_id, []).append((info, proposal))
    for form_id, changes in by_form.items():
        current = _current(instance_id, form_id)
        if current is None:
            continue
        data = dict(current.data)
        for info, proposal in changes:
            before = data.get(info.name)
            data[info.name] = proposal.new_value
            run.event(EventKind.CALIBRATED, actor, form=form_id, field=info.name,
                      before=before, after=proposal.new_value, reason=proposal.reason,
                      session=session.name, session_id=session.id,
                      proposed_by=proposal.proposed_by, submission=current.id,
                      author=current.author.email)
        Submission.create(instance=instance_id, task=current.task_id, form_id=form_id,
                          author=current.author_id, data=data, trigger=current.trigger,
                          entry=current.entry, state=current.state, submitted_at=now,
                          revision_of=current.id)
        run.note_revision(form_id, data)  # conditions read the calibrated answer
        revised += 1
    moved = 0
    state = run.spec.states.get(run.row.state)
    if run.row.status == InstanceStatus.RUNNING and state is not None and state.calibration:
        before = run.row.state
        run.calibrated = True
        run.advance(actor)
        moved = int(run.row.state != before)
    finish(run)
    return revised, moved
