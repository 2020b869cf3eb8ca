"""Roles of a workflow resolved to people for one instance, from the directory as it is now.

- ``subject``: the instance's subject.
- ``subject.manager.manager``: follow the chain; a step other than ``manager`` reads a
  directory attribute holding an email (``subject.mentor``).
- ``group:hr``: every active member of the group.
- ``field:peer-nomination.peers``: the emails submitted in that field (a string, a list of
  strings, or a list of objects with an ``email`` key).
- ``person:ceo@example.com``: one fixed person.

People who are inactive (they left) never get work. A role that resolves to nobody is the
caller's to handle (see docs/runtime.md: the task is created unassigned and HR is told).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.definitions.specs import RoleSpec, WorkflowSpec
from engine.directory import People
from engine.store import Person

HR_GROUP = "hr"
SINGLE_KINDS = ("subject", "chain", "person")


@dataclass
class Resolved:
    """The people of a role, plus what could not be resolved (for the history)."""

    people: list[Person] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def is_multi(role: RoleSpec) -> bool:
    """Can this role stand for several people (one task each)?"""
    return role.kind not in SINGLE_KINDS


def resolve(role: RoleSpec, subject: Person, people: People, forms: dict | None) -> Resolved:
    """The active people playing ``role`` for an instance about ``subject``."""
    out = Resolved()
    if role.kind == "subject":
        _add(out, subject, "the subject")
    elif role.kind == "chain":
        _add(out, _follow(role.steps, subject, people, out), role.source or role.name)
    elif role.kind == "group":
        out.people.extend(people.group(role.group))
        if not out.people:
            out.problems.append(f"group '{role.group}' has no active members")
    elif role.kind == "field":
        for email in field_emails(forms or {}, role.form, role.field):
            _add(out, people.find(email), email)
        if not out.people and not out.problems:
            out.problems.append(f"nobody was named in {role.form}.{role.field}")
    elif role.kind == "person":
        _add(out, people.find(role.email), role.email)
    return _unique(out)


def _add(out: Resolved, person: Person | None, what: str) -> None:
    if person is None:
        out.problems.append(f"{what}: nobody in the directory")
    elif not person.active:
        out.problems.append(f"{person.email} is no longer active")
    else:
        out.people.append(person)


def _follow(steps, subject: Person, people: People, out: Resolved) -> Person | None:
    current = subject
    path = "subject"
    for step in steps:
        path += "." + step
        if step == "manager":
            current = people.get(current.manager_id)
        else:
            email = (current.attributes or {}).get(step)
            current = people.find(email) if email else None
        if current is None:
            out.problems.append(f"{path}: nobody")
            return None
    return current


def _unique(out: Resolved) -> Resolved:
    seen, people = set(), []
    for p in out.people:
        if p.id not in seen:
            seen.add(p.id)
            people.append(p)
    out.people = people
    return out


def field_emails(forms: dict, form_id: str | None, field_path: str | None) -> list[str]:
    """Emails named in ``form_id``'s field (dotted path) of the latest submission(s)."""
    value = forms.get(form_id)
    datas = value if isinstance(value, list) else [value]
    emails: list[str] = []
    for data in datas:
        found = data
        for part in (field_path or "").split("."):
            found = found.get(part) if isinstance(found, dict) else None
        emails.extend(_emails_in(found))
    return emails


def _emails_in(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return _emails_in(value.get("email"))
    if isinstance(value, list):
        return [e for item in value for e in _emails_in(item)]
    return []


def chain_depth(spec: WorkflowSpec) -> int:
    """The longest manager chain a workflow's roles follow (to preload in bulk)."""
    return max((len(r.steps) for r in spec.roles.values() if r.kind == "chain"), default=0)


def plays(email: str, role_names, spec: WorkflowSpec, subject: Person, people: People,
          forms_loader) -> str | None:
    """The first of ``role_names`` that ``email`` plays in the instance, or ``None``.

    ``forms_loader`` is called only when a ``field:`` role needs the submissions.
    """
    for name in role_names:
        role = spec.roles.get(name)
        if role is None:
            continue
        if role.kind == "group":  # ask about this one person, not the whole group
            if in_group(email, role.group, people):
                return name
            continue
        forms = forms_loader() if role.kind == "field" else None
        if any(p.email == email for p in resolve(role, subject, people, forms).people):
            return name
    return None


def in_group(email: str, group: str, people: People) -> bool:
    """Is ``email`` an active member of directory group ``group``?"""
    person = people.find(email)
    return person is not None and person.active and group in people.groups_of(person.id)


def is_hr(email: str, people: People) -> bool:
    """Is ``email`` an active member of the HR group?"""
    return in_group(email, HR_GROUP, people)
