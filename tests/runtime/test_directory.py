"""Directory import: people, managers, groups, attributes; all or nothing."""

import pytest

from engine import directory
from engine.errors import ImportRejected
from engine.store import Person, PersonGroup

from .conftest import ORG_CSV, T0, snapshot

HEADER = "email,name,manager_email,department,title,groups"


def test_import_creates_people_with_managers_groups_and_attributes(org):
    ann = Person.get(Person.email == "ann@x.com")
    assert ann.manager.email == "mia@x.com"
    assert ann.manager.manager.email == "ceo@x.com"
    assert ann.attributes == {"location": "Lyon"}
    assert str(ann.start_date) == "2020-01-01"
    assert directory.groups_of(Person.get(Person.email == "hal@x.com").id) == {
        "hr", "people-team"}
    assert Person.select().count() == 6


def test_a_sync_updates_and_marks_missing_people_inactive(org):
    changed = ORG_CSV.replace("Bob Rep,mia@x.com,Sales", "Bob Rep,cat@x.com,Support")
    changed = "\n".join(line for line in changed.splitlines() if not line.startswith("ann@"))
    changed = changed.replace("hr;people-team", "hr")
    summary = directory.import_csv(changed + "\n", now=T0, sync=True)
    assert (summary.created, summary.updated, summary.deactivated) == (0, 2, 1)  # bob, hal
    bob = Person.get(Person.email == "bob@x.com")
    assert (bob.manager.email, bob.department) == ("cat@x.com", "Support")
    ann = Person.get(Person.email == "ann@x.com")
    assert ann.active is False  # kept, with her history, but inactive
    hal = Person.get(Person.email == "hal@x.com")
    assert directory.groups_of(hal.id) == {"hr"}
    again = directory.import_csv(ORG_CSV, now=T0)  # ann comes back
    assert Person.get(Person.email == "ann@x.com").active is True
    assert again.created == 0


@pytest.mark.parametrize(("row", "message"), [
    ("zed@x.com,Zed,nobody@x.com,Sales,Rep,,,Lyon", "unknown manager nobody@x.com"),
    ("ANN@x.com,Ann Again,mia@x.com,Sales,Rep,,,Lyon",
     "duplicate email ann@x.com (first on line 4)"),
    ("not-an-email,Zed,mia@x.com,Sales,Rep,,,Lyon", "malformed email 'not-an-email'"),
    (",Zed,mia@x.com,Sales,Rep,,,Lyon", "email is missing"),
    ("   ,Zed,mia@x.com,Sales,Rep,,,Lyon", "email is missing"),
    ("zed@x.com,Zed,mia@x.com,Sales,Rep", "expected 8 columns, found 5"),
    ("zed@x.com,,mia@x.com,Sales,Rep,,,Lyon", "name is empty"),
    ("zed@x.com,Zed,zed@x.com,Sales,Rep,,,Lyon", "cycle in the manager chain"),
])
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_applied(org, row, message):
    before = snapshot()
    bad = ORG_CSV.replace("hal@x.com,Hal Hr,ceo@x.com,HR,HRBP,hr;people-team,,Paris",
                          "hal@x.com,Hal Renamed,ceo@x.com,HR,HRBP,hr,,Paris")
    with pytest.raises(ImportRejected) as info:
        directory.import_csv(bad + row + "\n", now=T0)
    assert any(line == 8 and message in msg for line, msg in info.value.row_errors), \
        info.value.row_errors
    assert snapshot() == before


def test_a_cycle_in_the_manager_chain_is_rejected(db):
    text = (HEADER + "\na@x.com,A,b@x.com,S,T,\nb@x.com,B,c@x.com,S,T,\n"
            "c@x.com,C,a@x.com,S,T,\n")
    with pytest.raises(ImportRejected) as info:
        directory.import_csv(text)
    assert [line for line, _ in info.value.row_errors] == [2, 3, 4]
    assert "cycle in the manager chain: a@x.com -> b@x.com -> c@x.com -> a@x.com" in str(
        info.value)
    assert Person.select().count() == 0


def test_missing_column_and_bad_date_are_rejected(db):
    with pytest.raises(ImportRejected, match="missing column"):
        directory.import_csv("email,name,department\na@x.com,A,S\n")
    with pytest.raises(ImportRejected, match="line 2: start_date 'yesterday' is not a date"):
        directory.import_csv(HEADER + ",start_date\na@x.com,A,,S,T,,yesterday\n")
    with pytest.raises(ImportRejected, match="empty"):
        directory.import_csv("")
    assert Person.select().count() == 0 and PersonGroup.select().count() == 0


def test_import_from_a_file(db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(ORG_CSV, encoding="utf-8")
    summary = directory.import_people(path)
    assert summary.created == 6
