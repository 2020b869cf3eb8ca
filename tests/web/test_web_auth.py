"""Sign-in, invites, trusted-header sign-in, CSRF, security headers and error pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import clock
from engine.directory import import_csv
from engine.store import Outbox
from tests.web.conftest import ORG, PASSWORD, make_app, sign_in
from web import accounts


@pytest.fixture
def with_password(app):
    with app.app_context():
        accounts.set_password("sam@acme.test", PASSWORD)
    return app


def _login(client, email, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password})


def test_sign_in_and_out(with_password):
    client = with_password.test_client()
    assert client.get("/").status_code == 302
    response = _login(client, "Sam@Acme.test ", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Sam Subject" in client.get("/").get_data(as_text=True)
    assert client.get("/logout").status_code == 405  # a link cannot sign anyone out
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("email,password", [
    ("sam@acme.test", "wrong password"), ("nobody@acme.test", PASSWORD),
    ("bob@acme.test", PASSWORD)])  # Bob has no password yet
def test_wrong_credentials_are_refused_alike(with_password, email, password):
    client = with_password.test_client()
    response = _login(client, email, password)
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_next_only_goes_to_this_site(with_password):
    client = with_password.test_client()
    assert _login(client, "sam@acme.test", PASSWORD,
                  "//evil.example/x").headers["Location"] == "/"
    client = with_password.test_client()
    assert _login(client, "sam@acme.test", PASSWORD,
                  "/team/").headers["Location"] == "/team/"


def test_people_who_left_cannot_sign_in(with_password):
    with with_password.app_context():
        import_csv("\n".join(line for line in ORG.splitlines() if not line.startswith("sam@")),
                   sync=True)
    response = _login(with_password.test_client(), "sam@acme.test", PASSWORD)
    assert response.status_code == 401


def test_invite_from_the_hr_console(app):
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    with app.app_context():
        from web.people import person_by_email

        bob_id = person_by_email("bob@acme.test").id
    response = hana.post(f"/hr/people/{bob_id}/invite", follow_redirects=True)
    html = response.get_data(as_text=True)
    link = re.search(r"http://localhost/invite/[\w-]+", html).group(0)
    with app.app_context():  # no mail set up here: the link is HR's to pass on, not queued
        assert Outbox.select().where(Outbox.recipient == "bob@acme.test").count() == 0
    path = link.replace("http://localhost", "")
    bob = app.test_client()
    assert "Welcome, Bob Boss" in bob.get(path).get_data(as_text=True)
    mismatch = bob.post(path, data={"password": "long enough 1", "confirm": "other 12345"})
    assert mismatch.status_code == 422
    short = bob.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 8" in short.get_data(as_text=True)
    done = bob.post(path, data={"password": "long enough 1", "confirm": "long enough 1"})
    assert done.status_code == 302
    assert "Bob Boss" in bob.get("/").get_data(as_text=True)
    assert app.test_client().get(path).status_code == 404  # used up
    assert _login(app.test_client(), "bob@acme.test", "long enough 1").status_code == 302


def test_expired_invite(app):
    with app.app_context():
        token = accounts.create_invite("bob@acme.test",
                                       now=clock.utcnow() - accounts.INVITE_LIFETIME
                                       - timedelta(minutes=1))
    response = app.test_client().get(f"/invite/{token}")
    assert response.status_code == 404
    assert "no longer works" in response.get_data(as_text=True)


def test_trusted_header_is_off_by_default(app):
    response = app.test_client().get("/", headers={"X-Remote-User": "sam@acme.test"})
    assert response.status_code == 302


def test_trusted_header_signs_in_behind_a_proxy(tmp_path):
    app = make_app(tmp_path / "sso.sqlite3", TRUSTED_HEADER="X-Remote-User")
    with app.app_context():
        import_csv(ORG)
    client = app.test_client()
    response = client.get("/", headers={"X-Remote-User": "Sam@acme.test"})
    assert response.status_code == 200 and "Sam Subject" in response.get_data(as_text=True)
    response = client.get("/", headers={"X-Remote-User": "bob@acme.test"})
    assert "Bob Boss" in response.get_data(as_text=True)  # the header wins over the session
    assert client.get("/", headers={"X-Remote-User": "stranger@x.test"}).status_code == 403


def test_post_without_csrf_token_is_refused(tmp_path):
    app = make_app(tmp_path / "csrf.sqlite3", WTF_CSRF_ENABLED=True)
    with app.app_context():
        import_csv(ORG)
        accounts.set_password("sam@acme.test", PASSWORD)
    client = app.test_client()
    response = _login(client, "sam@acme.test", PASSWORD)
    assert response.status_code == 400
    assert "expired or was sent from somewhere else" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "sam@acme.test", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302


def test_every_form_of_the_pages_carries_a_csrf_token(app):
    from tests.web import webscenario as scenario

    with app.app_context():
        iid = scenario.to_collect(app)
        task = scenario.open_task(iid, "sam@acme.test").id
    hana = sign_in(app.test_client(), app, "hana@acme.test")
    sam = sign_in(app.test_client(), app, "sam@acme.test")
    pages = [sam.get(f"/tasks/{task}"), hana.get(f"/instances/{iid}"), hana.get("/hr/launch"),
             hana.get("/hr/people/"), hana.get("/hr/library/forms/peer-feedback")]
    for response in pages:
        html = response.get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
        assert forms
        for body in forms:
            assert 'name="csrf_token"' in body


def test_security_headers_on_pages_and_errors(with_password):
    client = with_password.test_client()
    for response in (client.get("/login"), client.get("/no/such/page")):
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
    cookie = _login(client, "sam@acme.test", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_are_a_setting(tmp_path):
    app = make_app(tmp_path / "s.sqlite3", SESSION_COOKIE_SECURE=True, WTF_CSRF_ENABLED=True)
    assert "Secure" in app.test_client().get("/login").headers["Set-Cookie"]


def test_secret_key_is_generated_per_installation(tmp_path, monkeypatch):
    monkeypatch.delenv("REVIEWFLOW_SECRET_KEY", raising=False)
    from web import create_app

    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}", "SECRET_KEY": None,
              "INSTANCE_PATH": tmp_path / "instance"}
    first = create_app(config)
    key_file = tmp_path / "instance" / "secret_key"
    first_key = first.config["SECRET_KEY"]
    assert len(first_key) >= 32 and key_file.read_text() == first_key
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert create_app(config).config["SECRET_KEY"] == first_key
    monkeypatch.setenv("REVIEWFLOW_SECRET_KEY", "from-the-environment")
    assert create_app(config).config["SECRET_KEY"] == "from-the-environment"


def test_unexpected_errors_are_a_page_not_a_trace(tmp_path):
    app = make_app(tmp_path / "e.sqlite3", TESTING=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_not_found_page(app):
    response = sign_in(app.test_client(), app, "sam@acme.test").get("/tasks/424242")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_repeated_wrong_passwords_are_throttled(tmp_path):
    app = make_app(tmp_path / "t.sqlite3", LOGIN_ATTEMPTS=3)
    with app.app_context():
        import_csv(ORG)
        accounts.set_password("sam@acme.test", PASSWORD)
    client = app.test_client()
    assert [_login(client, "sam@acme.test", "nope").status_code for _ in range(3)] == [401] * 3
    blocked = _login(client, "SAM@acme.test", PASSWORD)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_data(
        as_text=True)
    assert _login(client, "bob@acme.test", "nope").status_code == 401  # per email
