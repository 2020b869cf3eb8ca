"""Which language a page speaks, and in which time zone it shows times.

Order: the person's choice on /settings, else the directory's ``language`` column, else the
browser's Accept-Language, else the organisation's default (LANGUAGE).
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.web.conftest import ORG, make_app, sign_in


def with_languages(languages: dict[str, str]) -> str:
    """The company CSV with a ``language`` column ({email: tag}; others left empty)."""
    header, *rows = ORG.strip().splitlines()
    return "\n".join([header + ",language"] + [
        row + "," + languages.get(row.split(",")[0], "") for row in rows]) + "\n"


def lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_organisation_default_then_browser(app, as_user):
    sam = as_user("sam@acme.test")
    assert lang(sam.get("/")) == "en"
    page = sam.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
    assert lang(page) == "sv" and "Inkorg" in page.get_data(as_text=True)
    # a language reviewflow does not speak is skipped for the next one the browser names
    assert lang(sam.get("/", headers={"Accept-Language": "fr-FR, da;q=0.8"})) == "da"


def test_organisation_default_from_setting(tmp_path):
    from engine.directory import import_csv

    app = make_app(tmp_path / "da.sqlite3", LANGUAGE="da")
    with app.app_context():
        import_csv(ORG)
    client = sign_in(app.test_client(), app, "sam@acme.test")
    page = client.get("/")
    assert lang(page) == "da" and "Indbakke" in page.get_data(as_text=True)
    assert lang(app.test_client().get("/login")) == "da"


def test_directory_language_beats_the_browser_and_the_choice_beats_both(app, as_user):
    from engine.directory import import_csv

    with app.app_context():
        import_csv(with_languages({"sam@acme.test": "da"}))
    sam = as_user("sam@acme.test")
    swedish = {"Accept-Language": "sv"}
    assert lang(sam.get("/", headers=swedish)) == "da"
    settings = sam.get("/settings", headers=swedish).get_data(as_text=True)
    assert "Dansk" in settings and "medarbejderregistret" in settings
    saved = sam.post("/settings", data={"language": "sv"}, follow_redirects=True)
    assert lang(saved) == "sv" and "Dina inställningar är sparade." in saved.get_data(as_text=True)
    assert lang(sam.get("/", headers={"Accept-Language": "en"})) == "sv"
    sam.post("/settings", data={"language": ""})  # back to automatic: the directory's again
    assert lang(sam.get("/", headers=swedish)) == "da"


def test_a_language_outside_the_list_is_refused_and_changes_nothing(app, as_user):
    sam = as_user("sam@acme.test")
    sam.post("/settings", data={"language": "da"})
    refused = sam.post("/settings", data={"language": "xx"})
    assert refused.status_code == 422
    assert "Vælg et af sprogene på listen." in refused.get_data(as_text=True)
    assert lang(sam.get("/")) == "da"


def test_settings_need_sign_in_and_a_csrf_token(tmp_path):
    from engine.directory import import_csv

    app = make_app(tmp_path / "csrf.sqlite3", WTF_CSRF_ENABLED=True)
    with app.app_context():
        import_csv(ORG)
    anonymous = app.test_client()
    assert anonymous.get("/settings").status_code == 302
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    assert sam.post("/settings", data={"language": "da"}).status_code == 400
    assert lang(sam.get("/")) == "en"


def test_directory_language_column_is_checked_and_normalised(app):
    from engine.directory import import_csv, parse_csv
    from engine.errors import ImportRejected
    from engine.store import Person

    header = "email,name,manager_email,department,title,groups,language\n"
    with pytest.raises(ImportRejected) as rejected:
        parse_csv(header + "a@acme.test,A,,X,Y,,dansk!\n")
    assert "language 'dansk!' is not a language tag" in str(rejected.value)
    with app.app_context():
        import_csv(header + "a@acme.test,A,,X,Y,,SV_se\nb@acme.test,B,,X,Y,,\n")
        assert Person.get(Person.email == "a@acme.test").language == "sv-SE"
        assert Person.get(Person.email == "b@acme.test").language == ""


def test_a_bad_time_zone_stops_the_app_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match="Europe/Copenhagen"):
        make_app(tmp_path / "tz.sqlite3", TIMEZONE="Mars/Olympus")


def test_dates_follow_the_language_and_the_organisation_time_zone(tmp_path):
    from flask_babel import force_locale

    from web import helpers

    app = make_app(tmp_path / "tz.sqlite3", TIMEZONE="Europe/Copenhagen")
    late_evening_utc = datetime(2026, 12, 3, 23, 30)  # 00:30 on 4 December in Copenhagen
    with app.test_request_context():
        with force_locale("da"):
            assert helpers.when(late_evening_utc) == "4. december 2026 kl. 00:30 CET"
            assert helpers.relative_due(datetime(2026, 12, 6, 12), datetime(2026, 12, 3, 12)) \
                == "frist om 3 dage"
            assert helpers.number(0.7) == "0,7"
        with force_locale("sv"):
            assert helpers.day(late_evening_utc) == "4 december 2026"
            assert helpers.relative_due(datetime(2026, 12, 1), datetime(2026, 12, 3, 12)) \
                == "2 dagar försenad"
        with force_locale("en"):
            assert helpers.when(datetime(2026, 7, 1, 10)) == "01 Jul 2026, 12:00 CEST"
    # the evening of 3 December UTC is already "tomorrow" for a task due 4 December there
    with app.test_request_context():
        assert helpers.relative_due(datetime(2026, 12, 4, 12), late_evening_utc) == "due today"


def test_the_page_words_and_days_remembered_per_locale_are_flask_babels(tmp_path):
    import flask_babel
    from flask_babel import force_locale

    from web import helpers, i18n

    app = make_app(tmp_path / "words.sqlite3")
    day = datetime(2026, 3, 12, 9)
    with app.test_request_context():
        for _round in range(2):  # the second time from what the first remembered
            for language in ("en", "da", "sv", "en"):
                with force_locale(language):
                    assert helpers.day(day) == flask_babel.format_date(
                        day.date(), "dd MMM y" if language == "en" else "long")
                    assert i18n.page_gettext("due today") == flask_babel.gettext("due today")
                    assert i18n.page_gettext("was due %(date)s", date="x") == \
                        flask_babel.gettext("was due %(date)s", date="x")
                    for n in (1, 3):
                        assert i18n.page_ngettext("due in %(num)d day", "due in %(num)d days",
                                                  n) == flask_babel.ngettext(
                            "due in %(num)d day", "due in %(num)d days", n)
        with force_locale("da"):
            assert helpers.day(day) == "12. marts 2026"
        assert helpers.day(day) == "12 Mar 2026"


def test_engine_messages_are_english_text_that_the_web_translates(app):
    from flask_babel import force_locale

    from engine.messages import N_, Nn_
    from web.i18n import translate

    message = N_("was due %(date)s", date="3 Dec 2026")
    plural = Nn_("due in %(num)d day", "due in %(num)d days", 3)
    assert (message, plural) == ("was due 3 Dec 2026", "due in 3 days")  # the CLI's words
    with app.test_request_context(), force_locale("da"):
        assert translate(plural) == "frist om 3 dage"
        assert translate(message) == "havde frist 3 Dec 2026"
        assert translate("plain text") == "plain text"


def test_anonymous_summaries_speak_the_page_language_with_decimal_commas(app):
    from engine.anonymity import aggregate
    from web.forms import render_aggregate

    with app.app_context():
        from tests.web.webscenario import library

        form = library(app).forms["peer-feedback"]
    datas = [{"collaboration": 3}, {"collaboration": 4}, {"collaboration": 4},
             {"collaboration": 3}]
    summary = aggregate("peer-feedback", datas, threshold=3)
    with app.test_request_context("/", headers={"Accept-Language": "da"}):
        html = str(render_aggregate(form, summary))
    assert "4 svar, samlet uden navne" in html and "Gennemsnit 3,50" in html
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert "Average 3.50" in str(render_aggregate(form, summary))
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert "Svaren visas" in str(render_aggregate(form, None))


def test_the_process_diagram_speaks_the_page_language(app):
    from tests.web import webscenario as scenario

    with app.app_context():
        iid = scenario.start_360(app)
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    danish = hana.get(f"/instances/{iid}", headers={"Accept-Language": "da"})
    svg = danish.get_data(as_text=True).split('data-testid="diagram"', 1)[1]
    assert "(slut)" in svg and "(end)" not in svg
    english = hana.get(f"/instances/{iid}", headers={"Accept-Language": "en"})
    assert "(end)" in english.get_data(as_text=True).split('data-testid="diagram"', 1)[1]


def test_hrs_people_page_and_the_imports_row_messages_speak_the_page_language(app):
    import io

    hana = sign_in(app.test_client(), app, "hana@acme.test")
    page = hana.get("/hr/people/", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Importér medarbejderoversigten" in page and "personer i medarbejderoversigten" in page
    bad = ("email;name;manager_email;department;title;groups\n"
           "ny@acme.test;;nobody@acme.test;Salg;Sælger;\n")
    answer = hana.post("/hr/people/import", headers={"Accept-Language": "sv"},
                       data={"file": (io.BytesIO(bad.encode()), "ny.csv"), "mode": "add"},
                       content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Inget importerades från ny.csv" in html and "namnet är tomt" in html
    assert "1 rad måste rättas" in html and "name is empty" not in html
