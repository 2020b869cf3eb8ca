"""Signed links for raters outside the directory: a client answers through a link, no account.

A link carries ``[task id, nonce]`` signed (``itsdangerous``, HMAC-SHA1 with a salt) with
a key of the installation, kept in the ``setting`` table (made at first use) so the web
app and the worker that mails the link sign alike. Nothing secret is stored with the
task: only its nonce (a new nonce withdraws the old link) and ``link_expires_at``. A link
opens its task while the task is open, the nonce matches and the expiry has not passed;
once answered, it says so and accepts nothing more.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer

from engine import statements
from engine.clock import utc
from engine.errors import NotFound
from engine.store import Instance, Person, Setting, Task, TaskStatus, db

KEY_SETTING = "external-link-key"
_SALT = "reviewflow-external-task"
#: How long a link works after its task's due date (a late answer is still welcome).
AFTER_DUE = timedelta(days=7)
#: How long a link works for a task without a due date.
WITHOUT_DUE = timedelta(days=30)


class LinkRefused(NotFound):
    """A link that opens nothing: ``reason`` is one of ``invalid``, ``expired``,
    ``answered``, ``withdrawn`` (a page says which, in words)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def new_nonce() -> str:
    """A fresh nonce for a task's link."""
    return secrets.token_urlsafe(16)


def expiry(created: datetime, due: datetime | None) -> datetime:
    """When a link made at ``created`` for a task due ``due`` stops working."""
    return due + AFTER_DUE if due is not None else created + WITHOUT_DUE


def _key(create: bool = True) -> str | None:
    """The installation's key (made at the first link; a check never makes one)."""
    row = Setting.get_or_none(Setting.key == KEY_SETTING)
    if row is not None:
        return row.value
    if not create:
        return None
    with db.atomic():
        Setting.insert(key=KEY_SETTING, value=secrets.token_urlsafe(32),
                       updated_at=utc(None)).on_conflict_ignore().execute()
    return Setting.get(Setting.key == KEY_SETTING).value


def token_for(task_id: int, nonce: str) -> str:
    """The token of the link to task ``task_id`` (goes after ``/x/`` in the URL)."""
    return URLSafeSerializer(_key(), salt=_SALT).dumps([int(task_id), nonce])


def path_for(task_id: int, nonce: str) -> str:
    """The path of the link (the mail prefixes the base URL)."""
    return f"/x/{token_for(task_id, nonce)}"


@dataclass(frozen=True)
class Request:
    """What a link opens: the task, its rater outside the directory, and what the page
    names (the definition version it runs on, who the feedback is about)."""

    task: Task
    rater: Person
    definition_id: int
    subject_name: str


def open_link(token: str, now: datetime | None = None) -> Request:
    """The open task a link leads to, as a :class:`Request`; :class:`LinkRefused` with
    the reason otherwise."""
    now = utc(now)
    key = _key(create=False)  # no key yet: no link was ever made, and a check writes nothing
    try:
        task_id, nonce = URLSafeSerializer(key or "", salt=_SALT).loads(token)
        task = statements.get_row(Task, int(task_id)) if key else None
    except (BadData, TypeError, ValueError):
        task = None
    if task is None or task.link_nonce is None:
        raise LinkRefused("invalid", "this link is not valid")
    person = statements.get_row(Person, task.assignee_id) if task.assignee_id else None
    if person is None or not person.external or not secrets.compare_digest(
            str(nonce), task.link_nonce):
        raise LinkRefused("withdrawn", "this link was withdrawn")
    if task.status == TaskStatus.SUBMITTED:
        raise LinkRefused("answered", "this request was answered already")
    if task.status != TaskStatus.OPEN:
        raise LinkRefused("withdrawn", "this request was withdrawn")
    if task.link_expires_at is not None and task.link_expires_at <= now:
        raise LinkRefused("expired", "this link has expired")
    instance = statements.get_row(Instance, task.instance_id)
    subject = statements.get_row(Person, instance.subject_id)
    return Request(task, person, instance.definition_id, subject.name)
