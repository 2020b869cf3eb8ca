"""Directory files as HR systems and Excel write them, each with the exact answer expected.

Every ``directory_files/NAME.csv`` is imported into the small organisation of the fixtures
(``NAME.sync.csv`` as a sync); ``NAME.expected`` holds the summary of an import that is
applied, or the message of one that is refused. A refused file changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import commands, directory
from engine.errors import ImportRefused, ImportRejected
from engine.store import DirectoryEvent, Person, Task, TaskStatus

from .conftest import ORG_CSV, T0, snapshot

FILES = Path(__file__).resolve().parent / "directory_files"
CASES = sorted(FILES.glob("*.csv"))
HEADER = "email,name,manager_email,department,title,groups\n"


def _without_history(snap: dict) -> dict:
    return {k: v for k, v in snap.items() if k != "directory_event"}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_directory_file_gives_the_expected_answer(org, path):
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").strip()
    before = snapshot()
    try:
        answer = str(directory.import_people(path, now=T0, sync=".sync" in path.name))
    except (ImportRejected, ImportRefused) as refused:
        answer = str(refused)
        assert _without_history(snapshot()) == _without_history(before)
    assert answer == expected


def test_each_case_has_its_expected_answer():
    assert CASES and all(p.with_suffix(".expected").exists() for p in CASES)


def test_a_semicolon_file_reads_names_and_groups(org):
    directory.import_people(FILES / "semicolon.csv", now=T0)
    zed = Person.get(Person.email == "zed@x.com")
    assert (zed.name, zed.manager.email) == ("Zed Søgaard", "mia@x.com")
    assert directory.groups_of(zed.id) == {"hr", "people-team"}
    yun = Person.get(Person.email == "yun@x.com")
    assert (yun.name, directory.groups_of(yun.id)) == ("Yun Åberg", {"people-team", "sales"})


def test_the_default_import_never_marks_anyone_as_left(org):
    summary = directory.import_csv(HEADER + "ann@x.com,Ann Rep,mia@x.com,Sales,Rep,\n", now=T0)
    assert summary.deactivated == 0
    assert Person.select().where(Person.active == False).count() == 0  # noqa: E712


def test_a_manager_change_counts_as_updated_and_is_applied(org):
    summary = directory.import_csv(ORG_CSV.replace("Bob Rep,mia@x.com", "Bob Rep,cat@x.com"),
                                   now=T0)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 5)
    assert Person.get(Person.email == "bob@x.com").manager.email == "cat@x.com"


def test_a_sync_preview_counts_who_leaves_hr_among_them_and_their_open_tasks(org, library):
    commands.launch(library, "review", "2026", now=T0)
    keep = "".join(line + "\n" for line in ORG_CSV.splitlines()
                   if line.startswith(("email", "ceo@", "hal@")))
    with_second_hr = ORG_CSV.replace("cat@x.com,Cat Rep,mia@x.com,Sales,Senior Rep,,",
                                     "cat@x.com,Cat Rep,mia@x.com,Sales,Senior Rep,hr,")
    directory.import_csv(with_second_hr, now=T0)
    before = snapshot()
    preview = directory.preview_csv(keep, sync=True, actor="hal@x.com")
    assert snapshot() == before  # a preview changes nothing
    leaving = Person.select().where(Person.email.in_(
        ["mia@x.com", "ann@x.com", "bob@x.com", "cat@x.com"]))
    open_tasks = Task.select().where(Task.assignee.in_(leaving)
                                     & (Task.status == TaskStatus.OPEN)).count()
    assert open_tasks > 0
    assert (preview.deactivated, preview.deactivated_hr, preview.open_tasks) == (
        4, 1, open_tasks)
    done = directory.import_csv(keep, now=T0, sync=True, actor="hal@x.com")
    assert done == preview
    assert not Person.get(Person.email == "cat@x.com").active
    assert DirectoryEvent.select().order_by(DirectoryEvent.id.desc()).get().kind == "synced"


def test_a_sync_that_marks_the_importer_as_left_is_refused_and_recorded(org):
    without_hal_but_hr = ORG_CSV.replace("cat@x.com,Cat Rep,mia@x.com,Sales,Senior Rep,,",
                                         "cat@x.com,Cat Rep,mia@x.com,Sales,Senior Rep,hr,")
    without_hal = "".join(line + "\n" for line in without_hal_but_hr.splitlines()
                          if not line.startswith("hal@"))
    before = _without_history(snapshot())
    with pytest.raises(ImportRefused, match=r"the sync would mark you \(hal@x.com\) as left"):
        directory.import_csv(without_hal, now=T0, sync=True, actor="HAL@x.com")
    assert _without_history(snapshot()) == before
    refused = DirectoryEvent.get(DirectoryEvent.kind == "import-refused")
    assert refused.actor == "hal@x.com" and "mark you" in refused.detail["reason"]
    # the same file by someone else is a sync like any other
    assert directory.import_csv(without_hal, now=T0, sync=True, actor="cat@x.com").deactivated == 1


def test_a_default_import_may_not_take_the_last_hr_member_out_of_hr(org):
    with pytest.raises(ImportRefused, match="would leave no active HR member"):
        directory.import_csv(HEADER + "hal@x.com,Hal Hr,ceo@x.com,HR,HRBP,people-team\n",
                             now=T0)
