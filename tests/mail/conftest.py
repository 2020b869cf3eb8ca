"""Fixtures of the mail tests: a real SMTP server on loopback, the shipped library and
the small organisation of the library scenarios."""

from __future__ import annotations

import pytest

from engine.mail import parse_smtp_url
from tests.library.conftest import library, org  # noqa: F401 (fixtures)
from tests.mail.smtpd import SmtpServer

BASE = "http://reviewflow.test"


@pytest.fixture
def smtp():
    """A running SMTP server on 127.0.0.1 that keeps what it receives."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(smtp):
    return parse_smtp_url(smtp.url, "reviewflow@acme.test", BASE)
