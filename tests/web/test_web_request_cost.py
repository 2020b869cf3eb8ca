"""What every request pays before its page stays small: a static file touches no database,
a signed-in page reads its reader in one statement, and the shortcuts keep the rules (a
sign-out ends other sessions, a person who left is refused, a Reload elsewhere is followed)
at the very next request."""

from __future__ import annotations

import pytest

from engine import commands
from engine.directory import import_csv
from engine.queries.menu import MenuRoles
from tests.web.conftest import ORG, PASSWORD, make_app, sign_in
from tests.web.test_web_query_counts import counting
from web import accounts, library

#: What a signed-in page runs before its own queries, at most: the reader (person, session
#: version, language, groups, the menu's two role questions and the library generation at
#: once) and the menu's inbox count (assigned and escalated tasks, HR's unassigned ones,
#: the definitions for decisions).
FIXED_STATEMENTS = 4


@pytest.fixture
def any_app(db, tmp_path):
    """The app on SQLite and on PostgreSQL, with the company, signing in by header too."""
    app = make_app(tmp_path / "unused.sqlite3", DATABASE_URL=db, TRUSTED_HEADER="X-Remote-User")
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
    return app


def _statements(app, client, path: str, **kwargs) -> list[str]:
    client.get(path, **kwargs).close()  # warm the caches of the first request
    with counting(app) as seen:
        response = client.get(path, **kwargs)
        response.close()  # a static file is streamed
    assert response.status_code == 200, (path, response.status_code)
    return [sql for sql, _ in seen]


def test_a_static_file_runs_no_query_signed_in_or_not(any_app):
    sam = sign_in(any_app.test_client(), any_app, "sam@acme.test")
    assert _statements(any_app, sam, "/static/app.css") == []
    header = {"headers": {"X-Remote-User": "sam@acme.test"}}
    assert _statements(any_app, any_app.test_client(), "/static/app.css", **header) == []
    assert _statements(any_app, any_app.test_client(), "/static/app.css") == []


@pytest.mark.parametrize("email", ["sam@acme.test", "hana@acme.test", "bob@acme.test"])
def test_a_signed_in_page_pays_a_few_fixed_statements(any_app, email):
    client = sign_in(any_app.test_client(), any_app, email)
    seen = _statements(any_app, client, "/settings")
    assert len(seen) <= FIXED_STATEMENTS + 1, seen  # the settings page reads the choices
    # the inbox count takes the reader as read: no look-up of the person or groups again
    assert not [sql for sql in seen if 'FROM "person" WHERE' in sql
                or 'FROM "person_group" WHERE' in sql], seen
    assert sum("web_account" in sql for sql in seen) == 1  # with the person, not again
    inbox = _statements(any_app, client, "/")  # the language comes with the reader too
    assert sum("web_preference" in sql or "web_account" in sql for sql in inbox) == 1, inbox


def test_a_sign_in_by_header_reads_the_reader_as_a_signed_in_page_does(any_app):
    """Behind an SSO proxy every client's first request signs in: the person by email,
    then their groups, session version and language in the one statement every later
    request runs, not a statement each."""
    header = {"X-Remote-User": "hana@acme.test"}
    signed_in = sign_in(any_app.test_client(), any_app, "hana@acme.test")
    later = _statements(any_app, signed_in, "/settings")
    first = any_app.test_client()
    with counting(any_app) as seen:
        assert first.get("/settings", headers=header).status_code == 200
    assert len(seen) == len(later) + 1, seen  # + the person by email
    assert sum('"person_group"' in sql for sql, _ in seen) == 1, seen
    assert first.get("/settings", headers=header).status_code == 200  # and signed in


def test_the_reader_comes_with_their_groups_session_version_and_language(any_app):
    with any_app.app_context():
        from web.people import person_by_email

        hana = person_by_email("hana@acme.test")
        uma = person_by_email("uma@acme.test")
        from web import preferences

        accounts.set_password("hana@acme.test", PASSWORD)
        accounts.end_sessions("hana@acme.test")

        preferences.save("hana@acme.test", None, language="da")
        found = accounts.signed_in(hana.id)
        assert (found.person.email, found.groups, found.session_version, found.language) == (
            "hana@acme.test", frozenset({"hr"}), 1, "da")
        assert found.person.manager_id == hana.manager_id and found.person.active is True
        plain = accounts.signed_in(uma.id)
        assert (plain.groups, plain.session_version, plain.language) == (frozenset(), 0, "")
        assert accounts.signed_in(10**6) is None
        # the menu's role questions come with them: Carla manages Hana; Uma nobody
        carla = person_by_email("carla@acme.test")
        assert accounts.signed_in(carla.id).menu == MenuRoles(manages=True, calibrates=False)
        assert plain.menu == MenuRoles(manages=False, calibrates=False)


def test_a_sign_out_elsewhere_ends_this_session_at_its_next_request(any_app):
    sam = sign_in(any_app.test_client(), any_app, "sam@acme.test")
    assert sam.get("/").status_code == 200
    with any_app.app_context():
        accounts.set_password("sam@acme.test", PASSWORD)
    with sam.session_transaction() as session:
        session["sv"] = 0  # the version this session began with
    assert sam.get("/").status_code == 200
    with any_app.app_context():
        accounts.end_sessions("sam@acme.test")  # signed out on another device
    assert sam.get("/").status_code == 302


def test_a_person_who_left_is_refused_at_their_next_request(any_app):
    sam = sign_in(any_app.test_client(), any_app, "sam@acme.test")
    assert sam.get("/").status_code == 200
    with any_app.app_context():
        import_csv("\n".join(line for line in ORG.splitlines() if not line.startswith("sam@")),
                   sync=True)
    assert sam.get("/").status_code == 302
    header = {"X-Remote-User": "sam@acme.test"}
    assert any_app.test_client().get("/", headers=header).status_code == 403


def test_a_reload_in_another_process_is_followed_at_the_next_request(any_app):
    client = sign_in(any_app.test_client(), any_app, "sam@acme.test")
    client.get("/")
    with any_app.app_context():
        commands.put_setting(library.GENERATION, "from another process")
    with any_app.test_request_context():
        assert library.state().generation != "from another process"
    with client.get("/static/app.css") as response:  # a static file does not read it
        assert response.status_code == 200
    assert client.get("/").status_code == 200
    with any_app.test_request_context():
        assert library.state().generation == "from another process"


@pytest.mark.parametrize("signed_in", [True, False])
def test_the_library_generation_is_read_with_the_reader_or_on_its_own(any_app, signed_in):
    """A signed-in page learns a Reload made elsewhere from its reader's statement (no
    look-up of its own); the sign-in page, with no reader, asks for it alone."""
    client = any_app.test_client()
    if signed_in:
        client = sign_in(client, any_app, "sam@acme.test")
    path = "/settings" if signed_in else "/login"
    seen = _statements(any_app, client, path)
    generation = [sql for sql in seen if '"setting"' in sql]
    assert len(generation) == 1, seen
    assert ('"web_account"' in generation[0]) is signed_in, generation
    with any_app.app_context():
        commands.put_setting(library.GENERATION, f"reloaded elsewhere {signed_in}")
    assert client.get(path).status_code == 200
    with any_app.test_request_context():
        assert library.state().generation == f"reloaded elsewhere {signed_in}"
