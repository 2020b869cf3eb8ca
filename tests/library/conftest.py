"""Fixtures of the library scenarios: the shipped library and a small organisation.

Cleo (CEO) > Mia (manager) > Eve (the employee every scenario is about).
Pat, Quinn, Ray, Sam and Tom are Eve's colleagues under Lou; Hana and Hugo are HR.
"""

from __future__ import annotations

import pytest

from engine import directory
from engine.definitions.library import load_library
from tests.library.scenario import T0

ORG_CSV = """email,name,manager_email,department,title,groups
cleo@acme.test,Cleo Chief,,Exec,CEO,admin
mia@acme.test,Mia Manager,cleo@acme.test,Sales,Sales Manager,
eve@acme.test,Eve Employee,mia@acme.test,Sales,Account Executive,
lou@acme.test,Lou Lead,cleo@acme.test,Product,Product Lead,
pat@acme.test,Pat Peer,lou@acme.test,Product,Product Manager,
quinn@acme.test,Quinn Peer,lou@acme.test,Product,Designer,
ray@acme.test,Ray Peer,lou@acme.test,Product,Engineer,
sam@acme.test,Sam Peer,lou@acme.test,Product,Engineer,
tom@acme.test,Tom Peer,lou@acme.test,Product,Analyst,
hana@acme.test,Hana Hr,cleo@acme.test,People,HR Business Partner,hr
hugo@acme.test,Hugo Hr,cleo@acme.test,People,HR Generalist,hr
"""


@pytest.fixture(scope="session")
def library(project_root):
    """The shipped library, exactly as in the repository."""
    return load_library([project_root / "workflows", project_root / "forms"])


@pytest.fixture
def org(db):
    """The database with the small organisation imported."""
    directory.import_csv(ORG_CSV, now=T0)
    return db
