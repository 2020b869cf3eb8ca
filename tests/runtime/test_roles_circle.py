"""The roles of the full 360 circle: direct reports (upward feedback), everyone under the
subject, peers by manager, and a person named in a directory column (the HR business
partner), asked from every side: resolve(), plays() and the inbox's SQL agree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine import directory, roles, statements
from engine.definitions.roles_syntax import RoleSyntaxError, parse_role
from engine.directory import People
from engine.store import Cycle, Definition, Instance, Person, db

from .conftest import T0

#: ceo > mia > ann, bob, cat; ann > dan > eve; hal is HR; zed left (was ann's report).
CIRCLE_CSV = """email,name,manager_email,department,title,groups,hrbp_email
ceo@x.com,Cee Oh,,Exec,CEO,,
mia@x.com,Mia Manager,ceo@x.com,Sales,Manager,,hal@x.com
ann@x.com,Ann Lead,mia@x.com,Sales,Lead,,hal@x.com
bob@x.com,Bob Rep,mia@x.com,Sales,Rep,,
cat@x.com,Cat Rep,mia@x.com,Sales,Rep,,nobody@x.com
dan@x.com,Dan Junior,ann@x.com,Sales,Rep,,
eve@x.com,Eve Intern,dan@x.com,Sales,Intern,,
zed@x.com,Zed Gone,ann@x.com,Sales,Rep,,
hal@x.com,Hal Hr,ceo@x.com,HR,HRBP,hr,
"""

CASES = {
    # role text: {subject: expected emails}
    "subject.reports": {"ann@x.com": ["dan@x.com"], "mia@x.com": ["ann@x.com", "bob@x.com",
                                                                  "cat@x.com"],
                        "eve@x.com": []},
    "subject.all_reports": {"ann@x.com": ["dan@x.com", "eve@x.com"],
                            "ceo@x.com": ["ann@x.com", "bob@x.com", "cat@x.com", "dan@x.com",
                                          "eve@x.com", "hal@x.com", "mia@x.com"]},
    "subject.manager.reports": {"ann@x.com": ["bob@x.com", "cat@x.com"],
                                "eve@x.com": [], "ceo@x.com": []},
    "subject.manager.manager.reports": {"dan@x.com": ["ann@x.com", "bob@x.com", "cat@x.com"]},
    "subject.hrbp": {"ann@x.com": ["hal@x.com"], "bob@x.com": [], "cat@x.com": []},
    "subject.manager.hrbp": {"ann@x.com": ["hal@x.com"], "mia@x.com": []},
}


@pytest.fixture
def circle(db):
    directory.import_csv(CIRCLE_CSV, now=T0)
    Person.update(active=False).where(Person.email == "zed@x.com").execute()
    return db


def _instances_about(emails: list[str]) -> dict[str, int]:
    """One bare running instance per subject (the inbox SQL reads instance rows)."""
    definition = Definition.create(workflow_id="w", version=1, sha256="x", created_at=T0)
    cycle = Cycle.create(name="c", workflow_id="w", definition=definition, created_at=T0)
    out = {}
    for email in emails:
        person = Person.get(Person.email == email)
        out[email] = Instance.create(definition=definition, workflow_id="w", cycle=cycle,
                                     subject=person, state="s", started_at=T0,
                                     entered_at=T0).id
    return out


@pytest.mark.parametrize("text", sorted(CASES))
def test_each_circle_role_names_the_same_people_from_every_side(circle, text):
    role = parse_role("r", text)
    people = People()
    everyone = [p.email for p in Person.select().order_by(Person.email)]
    instances = _instances_about(sorted(CASES[text]))
    for subject, expected in CASES[text].items():
        facts = roles.Facts(people.find(subject).id, people, {})
        assert roles.emails(role, facts) == expected, (text, subject)
        for email in everyone:
            me = people.find(email)
            plays = roles.plays(me, "r", SimpleNamespace(roles={"r": role}), facts)
            assert plays == (email in expected), (text, subject, email)
    for email in everyone:  # the inbox's SQL selects at least where the person plays it
        me = People().find(email)
        sql, params = roles.inbox_sql(SimpleNamespace(roles={"r": role}), ["r"], me,
                                      set(People().groups_of(me.id)))
        found = set()
        if sql is not None:
            query = f'SELECT i."id" FROM "instance" i WHERE {sql}'.format(p=db.obj.param)
            found = {row[0] for row in db.execute_sql(query, params).fetchall()}
        wanted = {instances[s] for s, expected in CASES[text].items() if email in expected}
        assert wanted <= found, (text, email)


def test_a_role_with_nobody_says_why(circle):
    people = People()

    def problems(text, subject):
        facts = roles.Facts(people.find(subject).id, people, {})
        return roles.resolve(parse_role("r", text), facts).problems

    assert problems("subject.reports", "eve@x.com") == [
        "subject.reports: nobody (no one reports to eve@x.com)"]
    assert problems("subject.manager.reports", "ceo@x.com") == [
        "subject.manager.reports: subject.manager is nobody"]
    assert problems("subject.hrbp", "bob@x.com") == [
        "subject.hrbp: bob@x.com has no hrbp_email in the directory"]
    assert problems("subject.hrbp", "cat@x.com") == [
        "subject.hrbp (nobody@x.com): nobody in the directory"]


def test_circle_roles_parse_to_their_kinds_and_reports_stand_for_several():
    assert parse_role("u", "subject.reports") == parse_role("u", "subject.reports")
    peers = parse_role("p", "subject.manager.reports")
    assert (peers.kind, peers.steps, peers.reach, peers.multi) == (
        "reports", ("manager",), "reports", True)
    hrbp = parse_role("h", "subject.hrbp")
    assert (hrbp.kind, hrbp.steps, hrbp.column, hrbp.multi) == ("column", (), "hrbp", False)


@pytest.mark.parametrize(("text", "message", "hint"), [
    ("subject.reprots", "unknown step 'reprots' in 'subject.reprots'",
     "did you mean 'reports'?"),
    ("subject.reports.manager", "'manager' follows 'reports' in 'subject.reports.manager'",
     "'reports' ends a role: only '.manager' steps come before it (e.g. "
     "subject.manager.reports for the subject's peers)"),
    ("subject.HRBP-Email", "unknown step 'HRBP-Email' in 'subject.HRBP-Email'",
     "after 'subject' come '.manager' steps, then '.reports', '.all_reports' or a "
     "directory column in lower case (subject.hrbp reads the column hrbp_email)"),
])
def test_bad_circle_roles_are_refused_with_a_hint(text, message, hint):
    with pytest.raises(RoleSyntaxError) as caught:
        parse_role("r", text)
    assert (caught.value.message, caught.value.hint) == (message, hint)


def test_the_inbox_sql_of_all_reports_is_one_statement(circle):
    me = People().find("eve@x.com")
    sql, params = roles.inbox_sql(SimpleNamespace(roles={"r": parse_role(
        "r", "subject.all_reports")}), ["r"], me, set())
    assert sorted(params[:-1]) == sorted(
        statements.get_row(Person, i).id for i in params[:-1])  # ids of eve's managers
    assert len(params) == 5  # dan, ann, mia, ceo, and eve herself (never about herself)
