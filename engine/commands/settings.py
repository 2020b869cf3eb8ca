"""Storing a value every process of the installation reads (the library generation)."""

from __future__ import annotations

from datetime import datetime

from engine.clock import utc
from engine.store import Setting, db


def put_setting(key: str, value: str, now: datetime | None = None) -> None:
    """Store ``value`` under ``key`` (created or replaced, in one statement)."""
    with db.atomic():
        Setting.insert(key=key, value=value, updated_at=utc(now)).on_conflict(
            conflict_target=[Setting.key],
            update={Setting.value: value, Setting.updated_at: utc(now)}).execute()
