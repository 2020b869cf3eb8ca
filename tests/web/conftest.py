"""Web fixtures: an app on a fresh SQLite file with a small company, and signed-in clients.

The company (``ORG``): Carla runs it; Bob manages Sam (the subject of most tests), Pat
and Quinn; Rita is in Sales under Carla; Hana is HR; Uma has nothing to do with anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# A frozen copy of the shipped 360, annual review and PIP (plus an HR trigger in the 360's
# collect step), so these tests do not move when the shipped library is tuned.
LIBRARY = [str(HERE / "library" / "workflows"), str(HERE / "library" / "forms")]
SHIPPED = [str(ROOT / "workflows"), str(ROOT / "forms")]

ORG = """email,name,manager_email,department,title,groups
carla@acme.test,Carla Chief,,Executive,CEO,
bob@acme.test,Bob Boss,carla@acme.test,Engineering,Engineering Manager,
sam@acme.test,Sam Subject,bob@acme.test,Engineering,Engineer,
pat@acme.test,Pat Peer,bob@acme.test,Engineering,Engineer,
quinn@acme.test,Quinn Peer,bob@acme.test,Engineering,Engineer,
rita@acme.test,Rita Peer,carla@acme.test,Sales,Account Executive,
hana@acme.test,Hana Human,carla@acme.test,People,HR Partner,hr
uma@acme.test,Uma Unrelated,carla@acme.test,Sales,Account Executive,
"""
PASSWORD = "correct horse battery"


def make_app(db_path: Path, **config):
    """An app on ``db_path`` with the shipped library (CSRF off unless asked)."""
    from web import create_app

    settings = {"TESTING": True, "DATABASE_URL": f"sqlite:///{db_path}",
                "LIBRARY_PATHS": LIBRARY, "SECRET_KEY": "test-secret",
                "WTF_CSRF_ENABLED": False, "SERVER_NAME": None}
    settings.update(config)
    return create_app(settings)


def one_off_app(tmp_path: Path, files: dict[str, str], workflow_id: str):
    """An app on a small library of ``files`` ({"workflows/x.yaml": text, ...}), the
    company imported and ``workflow_id`` started about Sam by Hana.

    Returns ``(app, instance_id, id of Bob's open task)``."""
    from engine import commands
    from engine.directory import import_csv
    from tests.web import webscenario as scenario

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    app = make_app(tmp_path / f"{workflow_id}.sqlite3",
                   LIBRARY_PATHS=[str(tmp_path / "workflows"), str(tmp_path / "forms")])
    with app.app_context():
        import_csv(ORG)
        iid = commands.start(scenario.library(app), workflow_id, "sam@acme.test",
                             "hana@acme.test").instance_id
        task = scenario.open_task(iid, "bob@acme.test").id
    return app, iid, task


@pytest.fixture
def app(tmp_path):
    """The app with the company imported."""
    from engine.directory import import_csv

    app = make_app(tmp_path / "web.sqlite3")
    with app.app_context():
        from web.database import open_connection

        open_connection()
        import_csv(ORG)
    yield app
    from engine import store

    store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, app, email: str):
    """Sign ``client`` in as ``email`` (straight into the session, as Flask-Login would)."""
    with app.app_context():
        from web.people import person_by_email

        person = person_by_email(email)
        assert person is not None, email
        person_id = str(person.id)
    with client.session_transaction() as session:
        session["_user_id"] = person_id
        session["_fresh"] = True
    return client


@pytest.fixture
def as_user(app):
    """``as_user("sam@acme.test")`` -> a test client signed in as Sam."""
    clients = {}

    def make(email: str):
        if email not in clients:
            clients[email] = sign_in(app.test_client(), app, email)
        return clients[email]

    return make
