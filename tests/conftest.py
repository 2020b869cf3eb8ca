"""Shared fixtures. Storage fixtures (sqlite|postgresql) live here too."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
