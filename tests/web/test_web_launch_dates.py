"""HR's launch page with dates: an optional due day per state with tasks and the dates the
workflow names, each with its own error, in the page's language, under CSRF."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from engine.directory import import_csv
from engine.store import Cycle, Instance, Task
from tests.web.conftest import LIBRARY, ORG, ROOT, make_app, sign_in

DATES = ROOT / "tests" / "acceptance" / "dates"
YEAR = datetime.now(UTC).year + 1


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path / "dates.sqlite3", WTF_CSRF_ENABLED=True,
                   LIBRARY_PATHS=[*LIBRARY, str(DATES / "workflows"), str(DATES / "forms")])
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
    yield app
    from engine import store

    store.close()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _errors(html: str, field: str) -> str:
    found = re.search(rf'<ul class="rf-errors" id="{field}-errors" role="alert">(.*?)</ul>',
                      html, re.S)
    return found.group(1) if found else ""


def test_the_launch_page_asks_for_the_workflows_dates_and_says_what_is_wrong_with_each(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get("/hr/launch?workflow=dated-year").get_data(as_text=True)
    for name in ("due-self_review", "due-manager_review", "date-period_end"):
        assert f'data-testid="{name}"' in page
    assert "due-decided" not in page  # a state without tasks has nothing to be due
    choice = {"workflow": "dated-year", "cycle": "Year", "department": "Engineering",
              "preview": "1", "csrf_token": _token(page)}
    assert hana.post("/hr/launch", data={k: v for k, v in choice.items()
                                         if k != "csrf_token"}).status_code == 400
    bad = hana.post("/hr/launch", data={**choice, "due-self_review": "2020-01-31",
                                        "due-manager_review": "31/01/2027"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Check the dates below." in html
    assert "2020-01-31 is not in the future" in _errors(html, "due-self_review")
    assert "Enter a date like 2027-01-31." in _errors(html, "due-manager_review")
    assert "a task is due counted from it" in _errors(html, "date-period_end")
    assert 'value="31/01/2027"' in html  # what was typed stays, to be corrected
    danish = hana.post("/hr/launch", headers={"Accept-Language": "da"},
                       data={**choice, "due-self_review": "2020-01-31"}).get_data(as_text=True)
    assert "2020-01-31 ligger ikke i fremtiden" in _errors(danish, "due-self_review")
    assert "Angiv denne dato" in _errors(danish, "date-period_end")
    swedish = hana.post("/hr/launch", headers={"Accept-Language": "sv"},
                        data=choice).get_data(as_text=True)
    assert "Ange det här datumet" in _errors(swedish, "date-period_end")
    with app.app_context():
        assert Cycle.select().count() == 0 and Instance.select().count() == 0


def test_dates_given_on_the_page_are_the_cycles(app, monkeypatch):
    monkeypatch.setenv("REVIEWFLOW_TIMEZONE", "Europe/Copenhagen")
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    token = _token(hana.get("/hr/launch").get_data(as_text=True))
    choice = {"workflow": "dated-year", "cycle": "Year", "department": "Sales",
              "due-self_review": f"{YEAR}-01-31", "date-period_end": f"{YEAR}-04-07",
              "csrf_token": token}
    html = hana.post("/hr/launch", data={**choice, "preview": "1"}).get_data(as_text=True)
    assert "Europe/Copenhagen" in html
    previewed = re.search(r'name="previewed" value="(\w+)"', html).group(1)
    changed = hana.post("/hr/launch", data={**choice, "date-period_end": f"{YEAR}-04-08",
                                            "previewed": previewed, "confirm": "1"})
    assert "changed since the preview" in changed.get_data(as_text=True)
    done = hana.post("/hr/launch", data={**choice, "previewed": previewed, "confirm": "1"})
    assert done.status_code == 303
    dashboard = hana.get(done.headers["Location"]).get_data(as_text=True)
    shown = re.search(r'data-testid="cycle-dates">(.*?)</p>', dashboard, re.S).group(1)
    assert f"“Self review” tasks due 31 Jan {YEAR}" in shown
    assert f"End of the review period 07 Apr {YEAR}" in shown
    with app.app_context():
        cycle = Cycle.get()
        assert cycle.dates == {"states": {"self_review": f"{YEAR}-01-31"},
                               "dates": {"period_end": f"{YEAR}-04-07"}}
        due = {t.due_at for t in Task.select()}
    # the end of 31 January in Copenhagen (CET): 22:59 UTC
    assert due == {datetime.combine(date(YEAR, 1, 31), datetime.min.time()).replace(
        hour=22, minute=59)}


def test_the_library_page_spells_months_and_dates_back(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    html = hana.get("/hr/library/workflows/dated-year").get_data(as_text=True)
    assert "due 6w" in html and "due 1w before End of the review period" in html
    assert "given at launch" in html
    html = hana.get("/hr/library/workflows/monthly-checkin").get_data(as_text=True)
    assert "due 1mo" in html and "after 1y" in html
    danish = hana.get("/hr/library/workflows/probation-dated",
                      headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "frist 6mo efter Start date" in danish and "<code>subject.start_date</code>" in danish
