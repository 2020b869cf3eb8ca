"""The role syntax of a workflow's ``roles:`` section, parsed into :class:`RoleSpec`.

- ``subject``: the person the instance is about.
- ``subject.manager``, ``subject.manager.manager``...: up the manager chain.
- ``subject.reports``: the subject's direct reports (upward feedback);
  ``subject.all_reports``: everyone under the subject; ``subject.manager.reports``: the
  subject's peers by manager (the subject left out).
- ``subject.hrbp``: the person whose email is in the subject's directory column
  ``hrbp_email`` (any column ``NAME_email`` of the people import; after ``.manager``
  steps, the manager's).
- ``group:hr``: every member of the directory group ``hr``.
- ``field:peer-nomination.peers``: the people named (by email) in a field of a form.
- ``external:client-nomination.clients``: as ``field:``, and emails outside the
  directory (clients, partners) are raters too, answering through a signed link.
- ``person:ceo@example.com``: one fixed person of the directory.

Whether ``field:`` names an existing form and field is checked by the workflow checker,
which knows the library; this module only reads the text.
"""

from __future__ import annotations

import re

from engine.definitions.specs import RoleSpec
from engine.source import did_you_mean

CHAIN_STEPS = ("manager",)
#: Steps that end a role: the people under someone.
REACH_STEPS = ("reports", "all_reports")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_FORM_FIELD = re.compile(r"^([a-z0-9][a-z0-9_\-]*)\.([A-Za-z_][A-Za-z0-9_\-]*)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SYNTAX = ("subject, subject.manager[.manager...], subject.reports, subject.all_reports, "
          "subject.manager.reports, subject.COLUMN (the directory column COLUMN_email), "
          "group:NAME, field:FORM.FIELD, external:FORM.FIELD, person:EMAIL")


class RoleSyntaxError(ValueError):
    """Role text that is none of the role forms; ``hint`` says what would be."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_role(name: str, text: str) -> RoleSpec:
    """``parse_role("manager", "subject.manager")`` -> a chain :class:`RoleSpec`."""
    if not isinstance(text, str):
        raise RoleSyntaxError(f"role '{name}' must be a string like 'subject.manager'",
                              SYNTAX)
    text = text.strip()
    kind, sep, rest = text.partition(":")
    if sep:
        return _prefixed(name, kind.strip(), rest.strip(), text)
    return _chain(name, text)


def _chain(name: str, text: str) -> RoleSpec:
    parts = text.split(".")
    if parts[0] != "subject":
        raise RoleSyntaxError(f"unknown role syntax '{text}'", "write " + SYNTAX)
    ups = 0
    while ups + 1 < len(parts) and parts[ups + 1] in CHAIN_STEPS:
        ups += 1
    steps, rest = tuple(parts[1:ups + 1]), parts[ups + 1:]
    if not rest:
        kind = "chain" if steps else "subject"
        return RoleSpec(name=name, kind=kind, steps=steps, source=text)
    last = rest[0]
    _check_last_step(last, text)
    if len(rest) > 1:
        raise RoleSyntaxError(
            f"'{rest[1]}' follows '{last}' in '{text}'",
            f"'{last}' ends a role: only '.manager' steps come before it "
            "(e.g. subject.manager.reports for the subject's peers)")
    if last in REACH_STEPS:
        return RoleSpec(name=name, kind="reports", steps=steps, reach=last, source=text)
    return RoleSpec(name=name, kind="column", steps=steps, column=last, source=text)


def _check_last_step(step: str, text: str) -> None:
    """A step after the ``.manager`` ones: reports, all_reports, or a directory column."""
    close = did_you_mean(step, (*CHAIN_STEPS, *REACH_STEPS))
    if close and step not in REACH_STEPS:
        # "subject.manger" would read a column "manger_email": a typo is likelier
        raise RoleSyntaxError(f"unknown step '{step}' in '{text}'", close)
    if not _COLUMN.match(step):
        raise RoleSyntaxError(
            f"unknown step '{step}' in '{text}'",
            "after 'subject' come '.manager' steps, then '.reports', '.all_reports' or a "
            "directory column in lower case (subject.hrbp reads the column hrbp_email)")


def _prefixed(name: str, kind: str, rest: str, text: str) -> RoleSpec:
    if kind == "group":
        if not _NAME.match(rest):
            raise RoleSyntaxError(f"bad group name in '{text}'", "write group:NAME, e.g. group:hr")
        return RoleSpec(name=name, kind="group", group=rest, source=text)
    if kind in ("field", "external"):
        match = _FORM_FIELD.match(rest)
        if not match:
            example = "peer-nomination.peers" if kind == "field" else "nomination.clients"
            raise RoleSyntaxError(f"bad field reference in '{text}'",
                                  f"write {kind}:FORM.FIELD, e.g. {kind}:{example}")
        return RoleSpec(name=name, kind=kind, form=match.group(1), field=match.group(2),
                        source=text)
    if kind == "person":
        if not _EMAIL.match(rest):
            raise RoleSyntaxError(f"bad email in '{text}'",
                                  "write person:EMAIL, e.g. person:ceo@example.com")
        return RoleSpec(name=name, kind="person", email=rest.lower(), source=text)
    hint = did_you_mean(kind, ("group", "field", "external", "person"))
    raise RoleSyntaxError(f"unknown role kind '{kind}:' in '{text}'", hint or "write " + SYNTAX)
