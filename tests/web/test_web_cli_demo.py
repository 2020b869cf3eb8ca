"""``reviewflow users ...``, ``reviewflow serve --help`` and the demo company of make run."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from engine.directory import import_csv
from tests.web.conftest import ORG, SHIPPED, make_app, sign_in
from web.cli import main


@pytest.fixture
def db_url(tmp_path):
    app = make_app(tmp_path / "cli.sqlite3")
    with app.app_context():
        import_csv(ORG)
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def _run(db_url, *args, **kwargs):
    return CliRunner().invoke(main, ["--db", db_url, *args], catch_exceptions=False, **kwargs)


def test_set_password_then_sign_in(db_url, tmp_path):
    result = _run(db_url, "users", "set-password", "Sam@acme.test", "--password", "a long one 1")
    assert result.exit_code == 0, result.output
    assert "password set for sam@acme.test" in result.output
    app = make_app(tmp_path / "cli.sqlite3")
    response = app.test_client().post("/login", data={"email": "sam@acme.test",
                                                      "password": "a long one 1"})
    assert response.status_code == 302


def test_set_password_prompts(db_url):
    result = _run(db_url, "users", "set-password", "sam@acme.test",
                  input="a long one 1\na long one 1\n")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("args,message", [
    (["users", "set-password", "nobody@acme.test", "--password", "a long one 1"],
     "no person 'nobody@acme.test' in the directory"),
    (["users", "set-password", "sam@acme.test", "--password", "short"], "at least 8"),
    (["users", "invite", "nobody@acme.test"], "no person 'nobody@acme.test'"),
])
def test_user_errors_are_clear(db_url, args, message):
    result = _run(db_url, *args)
    assert result.exit_code == 1
    assert message in result.output


def test_invite_refuses_someone_with_a_password(db_url):
    assert _run(db_url, "users", "set-password", "sam@acme.test", "--password",
                "a long one 1").exit_code == 0
    result = _run(db_url, "users", "invite", "sam@acme.test")
    assert result.exit_code == 1 and "has a password" in result.output


def test_invite_prints_a_working_link(db_url, tmp_path):
    result = _run(db_url, "users", "invite", "bob@acme.test", "--base-url",
                  "https://reviews.acme.test/")
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert re.fullmatch(r"https://reviews\.acme\.test/invite/[\w-]{20,}", link)
    app = make_app(tmp_path / "cli.sqlite3")
    page = app.test_client().get(link.replace("https://reviews.acme.test", ""))
    assert page.status_code == 200 and "Welcome, Bob Boss" in page.get_data(as_text=True)


def test_serve_is_a_command():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def test_demo_company(tmp_path, capsys):
    """``python -m web.demo --db PATH --fresh`` builds a company whose pages all open."""
    from web import demo

    path = tmp_path / "demo.sqlite3"
    path.write_text("not a database")  # --fresh replaces whatever was there
    assert demo.main(["--db", str(path), "--fresh"]) == 0
    out = capsys.readouterr().out
    assert "reviewflow-demo" in out and "@acme.example" in out
    app = make_app(path, LIBRARY_PATHS=SHIPPED)
    with app.app_context():
        from engine.store import Instance, Person

        assert 50 <= Person.select().count() <= 70
        workflows = {i.workflow_id for i in Instance.select()}
        states = {(i.workflow_id, i.state) for i in Instance.select()}
        hr = Person.get(Person.title == "Head of People").email
        manager = Person.get(Person.title == "Engineering Manager, Platform").email
    assert {"annual-review", "feedback-360", "pip"} <= workflows
    assert len({s for w, s in states if w == "annual-review"}) >= 3
    assert len({s for w, s in states if w == "feedback-360"}) >= 4
    hr_client = sign_in(app.test_client(), app, hr)
    for url in ["/", "/hr/cycles", "/hr/cycles/1", "/hr/cycles/2", "/hr/pips/",
                "/hr/library/", "/hr/people/", "/instances/1"]:
        assert hr_client.get(url).status_code == 200, url
    manager_client = sign_in(app.test_client(), app, manager)
    assert manager_client.get("/team/").status_code == 200
    # some personas read it in Danish or Swedish, and the printed list says who
    with app.app_context():
        engineer = Person.get(Person.title == "Engineer")
        marketing = Person.get(Person.title == "Marketing Manager")
    assert (engineer.language, marketing.language) == ("da", "sv")
    assert f"{engineer.email}  (reads it in dansk)" in out
    assert f"{marketing.email}  (reads it in svenska)" in out
    page = sign_in(app.test_client(), app, engineer.email).get("/").get_data(as_text=True)
    assert '<html lang="da">' in page and "Dine opgaver" in page
    # Passwords work, and the demo refuses to overwrite without --fresh.
    response = app.test_client().post("/login", data={"email": hr, "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert demo.main(["--db", str(path)]) == 0
    assert "keeping it" in capsys.readouterr().out
