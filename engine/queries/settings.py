"""Values shared by every process of an installation (:class:`engine.store.Setting`)."""

from __future__ import annotations

from engine import statements
from engine.store import Setting


def _setting_query():
    key = statements.marker()
    return Setting.select(Setting.value).where(Setting.key == key), key


def setting(key: str) -> str | None:
    """The stored value of ``key``, or None when it was never set (SQL built once: every
    web request asks for the library generation)."""
    row = statements.prepared("setting", _setting_query).execute(key).fetchone()
    return row[0] if row else None
