"""Values shared by every process of an installation (:class:`engine.store.Setting`)."""

from __future__ import annotations

from engine.store import Setting


def setting(key: str) -> str | None:
    """The stored value of ``key``, or None when it was never set."""
    return Setting.select(Setting.value).where(Setting.key == key).scalar()
