"""The demo company for ``make run``: ``python -m web.demo --db PATH --fresh``.

About 60 people in seven departments, an HR group, an annual review cycle in Engineering
well under way (some people overdue, a closed calibration session and an open one, a
few reviews closed), a 360 cycle
in Marketing with one process in each step, and two performance improvement plans (one
running, one closed). Every person can sign in with the demo password; the main
personas are printed at the end.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from werkzeug.security import generate_password_hash

from engine import commands, config, store, timers
from engine.clock import utcnow
from engine.definitions.library import load_library
from engine.directory import import_csv
from engine.errors import ReviewflowError
from engine.store import Person, Task, TaskStatus
from web import accounts
from web.database import create_tables
from web.demo.data import answers
from web.demo.people import LANGUAGE_NAMES, company_csv, people

DEMO_PASSWORD = "reviewflow-demo"
DAY = timedelta(days=1)


class Demo:
    """Builds the demo's processes, moving a simulated clock forward."""

    def __init__(self, library, now: datetime):
        self.library = library
        self.now = now
        self.hr = _first(title="Head of People")

    def at(self, days_ago: float) -> datetime:
        return self.now - days_ago * DAY

    def form(self, form_id: str):
        return self.library.form(form_id)

    def task(self, instance_id: int, form_id: str, email: str | None = None) -> Task | None:
        query = Task.select().where((Task.instance == instance_id) & (Task.form_id == form_id)
                                    & (Task.status == TaskStatus.OPEN))
        if email:
            query = query.join(Person, on=(Task.assignee == Person.id)).where(
                Person.email == email)
        return query.first()

    def answer(self, instance_id: int, form_id: str, days_ago: float, index: int = 0,
               email: str | None = None, trigger: str | None = None, **overrides) -> bool:
        """Submit the open ``form_id`` task of an instance as its holder; False if none."""
        task = self.task(instance_id, form_id, email)
        if task is None or task.assignee_id is None:
            return False
        data = answers(self.form(form_id), index, **overrides)
        try:
            commands.submit(task.id, task.assignee.email, data, trigger=trigger,
                            now=self.at(days_ago))
        except ReviewflowError as error:  # the shipped library changed: keep going
            print(f"  (demo: skipped {form_id}: {error})", file=sys.stderr)
            return False
        return True


    def fire(self, instance_id: int, trigger: str, actor: str, days_ago: float) -> bool:
        """Press a manual trigger as ``actor``; False if the library no longer has it."""
        try:
            commands.fire(instance_id, trigger, actor, now=self.at(days_ago))
        except ReviewflowError as error:
            print(f"  (demo: skipped {trigger}: {error})", file=sys.stderr)
            return False
        return True


def _first(**where) -> Person:
    query = Person.select()
    for name, value in where.items():
        query = query.where(getattr(Person, name) == value)
    return query.order_by(Person.id).first()


def _instances(cycle_id: int) -> list:
    from engine.store import Instance

    return list(Instance.select().join(Person, on=(Instance.subject == Person.id))
                .where(Instance.cycle == cycle_id).order_by(Person.id))


def annual_review(demo: Demo) -> None:
    """Engineering's annual review, launched 20 days ago: every step has someone in it."""
    result = commands.launch(demo.library, "annual-review", "Annual review 2026",
                             where=[("department", "Engineering")], actor=demo.hr.email,
                             now=demo.at(20))
    rows = _instances(result.cycle_id)
    for i, inst in enumerate(rows[:14]):
        demo.answer(inst.id, "self-review", 15 - i * 0.2, i)
    for i, inst in enumerate(rows[:4]):
        demo.answer(inst.id, "manager-review", 8 - i * 0.3, i, rating=3 + i % 2,
                    potential=1 + i % 3)
    managers = _managers(rows)
    # A first session, closed: one rating raised; its four reviews moved on.
    first = calibration(demo, result.cycle_id, "Engineering, first round", managers, 6)
    _change(demo, first, rows[0], managers, 4, 5.5, accept=True)
    commands.calibration.close(first, demo.hr.email, now=demo.at(5))
    for i, inst in enumerate(rows[:2]):
        manager = Person.get_by_id(inst.subject.manager_id)
        demo.fire(inst.id, "share", manager.email, 1.5)
        demo.answer(inst.id, "acknowledgement", 1, i)
    for i, inst in enumerate(rows[4:8], start=4):
        demo.answer(inst.id, "manager-review", 4 - i * 0.3, i, rating=3 + i % 2,
                    potential=1 + i % 3)
    # A second session, still open: its reviews wait, one proposal waits for HR.
    second = calibration(demo, result.cycle_id, "Engineering, second round", managers, 1)
    commands.calibration.set_target(second, demo.hr.email, {"1": 5, "2": 15, "3": 50,
                                                            "4": 25, "5": 5}, now=demo.at(1))
    _change(demo, second, rows[5], managers, 2, 0.5, accept=None)


def _managers(rows) -> list[str]:
    """Two managers of the cycle's people (the calibrators of the demo's sessions)."""
    ids = sorted({inst.subject.manager_id for inst in rows if inst.subject.manager_id})
    return [Person.get_by_id(i).email for i in ids[:2]]


def calibration(demo: Demo, cycle_id: int, name: str, calibrators: list[str],
                days_ago: float) -> int:
    """A calibration session over Engineering, the rating and potential."""
    return commands.calibration.open_session(
        cycle_id, demo.hr.email, name, ["manager-review.rating", "manager-review.potential"],
        calibrators=calibrators, department="Engineering", now=demo.at(days_ago))


def _change(demo: Demo, session: int, inst, managers: list[str], rating: int,
            days_ago: float, accept: bool | None) -> None:
    """A calibrator (not the subject themselves) proposes ``rating``; HR decides."""
    by = next(m for m in managers if m != inst.subject.email)
    try:
        proposal = commands.calibration.propose(
            session, by, inst.id, "manager-review.rating", rating,
            "Compared with the team's other senior engineers, the year's results were "
            "different from what the rating says.", now=demo.at(days_ago))
        if accept is not None:
            commands.calibration.decide(proposal, demo.hr.email, accept,
                                        now=demo.at(days_ago))
    except ReviewflowError as error:  # the shipped library changed: keep going
        print(f"  (demo: skipped a calibration proposal: {error})", file=sys.stderr)


def feedback_360(demo: Demo) -> None:
    """Marketing's 360, launched 12 days ago: one process per step."""
    result = commands.launch(demo.library, "feedback-360", "360 feedback, autumn 2026",
                             where=[("department", "Marketing")], actor=demo.hr.email,
                             now=demo.at(12))
    rows = _instances(result.cycle_id)
    reviewers = [p.email for p in Person.select().where(Person.department == "Sales")
                 .order_by(Person.id).limit(4)]
    for step, inst in enumerate(rows[1:6], start=1):
        demo.answer(inst.id, "peer-nomination", 10, step, peers=reviewers[:3])
        if step >= 2:
            demo.answer(inst.id, "nomination-approval", 9, step, trigger="approve")
        if step == 2:
            for k, email in enumerate(reviewers[:2]):
                demo.answer(inst.id, "peer-feedback", 6 - k, k, email=email)
        if step >= 3:
            for k, email in enumerate(reviewers[:3]):
                demo.answer(inst.id, "peer-feedback", 6 - k, k + step, email=email)
            demo.answer(inst.id, "self-assessment", 5, step)
        if step >= 4:
            demo.answer(inst.id, "debrief-notes", 2, step)
        if step >= 5:
            demo.answer(inst.id, "acknowledgement", 1, step)


def pip(demo: Demo, subject: Person, started: float, close: bool) -> None:
    """A PIP for ``subject``: plan, HR approval, acknowledgement, weekly check-ins; the
    closed one went through its 30-day review and was closed as successful."""
    result = commands.start(demo.library, "pip", subject.email, demo.hr.email,
                            now=demo.at(started))
    iid = result.instance_id
    start_date = demo.at(started - 3).date().isoformat()
    demo.answer(iid, "pip-plan", started - 1, 0, start_date=start_date, duration_days=60)
    demo.answer(iid, "pip-hr-review", started - 2, 0, trigger="approve")
    demo.answer(iid, "pip-acknowledgement", started - 3, 0)
    day = started - 3
    while day - 7 > 0:
        day -= 7
        timers.tick(demo.at(day))
        demo.answer(iid, "pip-checkin", day - 0.5, int(day), meeting_date=demo.at(day).date()
                    .isoformat(), on_track="on_track" if close else "at_risk")
    timers.tick(demo.at(max(day - 1, 0)))
    if close:
        demo.answer(iid, "pip-review", max(day - 1, 0), 0, recommendation="successful",
                    objectives_met="all")
        try:
            commands.fire(iid, "successful", demo.hr.email,
                          data=answers(demo.form("pip-outcome"), 0), now=demo.at(0.5))
        except ReviewflowError as error:
            print(f"  (demo: PIP not closed: {error})", file=sys.stderr)


def set_passwords() -> None:
    """Everyone signs in with the demo password (hashed once: it is the same for all)."""
    hashed = generate_password_hash(DEMO_PASSWORD)
    rows = [{"email": p.email, "password_hash": hashed} for p in Person.select()]
    accounts.Account.insert_many(rows).on_conflict_ignore().execute()


def build(db_path: Path, now: datetime | None = None) -> None:
    """Create the demo company and its processes in a new database at ``db_path``."""
    now = now or utcnow()
    store.connect(f"sqlite:///{db_path}")
    create_tables()
    import_csv(company_csv(), now=now - 60 * DAY)
    set_passwords()
    library = load_library(config.library_paths())
    demo = Demo(library, now)
    annual_review(demo)
    feedback_360(demo)
    sales = list(Person.select().where((Person.department == "Sales")
                                       & (Person.title == "Account Executive"))
                 .order_by(Person.id))
    pip(demo, sales[-1], started=40, close=False)
    pip(demo, sales[-2], started=75, close=True)
    # The made-up past is not mailed: the demo's mailbox shows what the visitor's own
    # actions cause (the outbox page still lists these rows, as skipped).
    store.Outbox.update(status=store.MailStatus.SKIPPED,
                        error="made up by the demo's history, not mailed") \
        .where(store.Outbox.status == store.MailStatus.QUEUED).execute()
    store.close()


PERSONAS = [
    ("HR (console, PIP tracker)", {"title": "Head of People"}),
    ("HR business partner", {"title": "HR Business Partner"}),
    ("CEO (admin)", {"title": "Chief Executive Officer"}),
    ("Engineering manager", {"title": "Engineering Manager, Platform"}),
    ("Engineer (annual review)", {"title": "Engineer"}),
    ("Marketing manager (360s)", {"title": "Marketing Manager"}),
    ("Sales manager (PIP)", {"title": "Sales Manager, Americas"}),
]


def print_accounts(out=sys.stdout) -> None:
    """The personas to sign in as, with the shared demo password."""
    rows = people()
    print("\nDemo company ready. Sign in at http://127.0.0.1:5000/ as, for example:", file=out)
    for label, where in PERSONAS:
        match = next((r for r in rows if all(r[k] == v for k, v in where.items())), None)
        if match:
            language = LANGUAGE_NAMES.get(match.get("language", ""), "")
            print(f"  {label:<28} {match['email']}" + (f"  (reads it in {language})"
                                                       if language else ""), file=out)
    print(f"Every one of the {len(rows)} people has the password: {DEMO_PASSWORD}", file=out)


def main(argv: list[str] | None = None) -> int:
    """``python -m web.demo --db PATH [--fresh]``."""
    parser = argparse.ArgumentParser(prog="python -m web.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="SQLite file to create")
    parser.add_argument("--fresh", action="store_true", help="replace the file if it exists")
    args = parser.parse_args(argv)
    if args.db.exists() and not args.fresh:
        print(f"{args.db} exists; keeping it (use --fresh to rebuild the demo)")
        print_accounts()
        return 0
    args.db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    build(args.db)
    print_accounts()
    return 0
