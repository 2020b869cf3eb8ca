"""Fields that name people: the email fields a ``field:`` role reads (nominations,
feedback requests). A submission naming someone who cannot hold the role's tasks is
refused at that field, so nobody named is dropped later without a word: an email not in
the directory, a person who left, the subject of the instance (unless every task line of
the role has ``allow_subject``), the same person twice. A field an ``external:`` role reads
may also name people outside the directory (a client, a partner): any well-formed email.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.definitions.specs import WorkflowSpec
from engine.directory import EMAIL, People, normalize_email
from engine.errors import SubmissionInvalid
from engine.form_schema import field_path
from engine.messages import N_


def people_fields(spec: WorkflowSpec, form_id: str) -> list[tuple[str, bool]]:
    """``(dotted field path, subject allowed)`` of each ``field:``/``external:`` role
    reading ``form_id``."""
    out = []
    for role in spec.roles.values():
        if not role.named or role.form != form_id or not role.field:
            continue
        lines = [line for state in spec.states.values() for line in state.tasks
                 if line.role == role.name]
        out.append((role.field, bool(lines) and all(line.allow_subject for line in lines)))
    return out


def _named(value, path: tuple) -> Iterator[tuple[tuple, str]]:
    """``(path, email)`` of each email in a field's value (text, list, ``{email: ...}``)."""
    if isinstance(value, str):
        if value.strip():
            yield path, value
    elif isinstance(value, dict):
        yield from _named(value.get("email"), (*path, "email"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _named(item, (*path, i))


def outside_allowed(spec: WorkflowSpec, form_id: str) -> set[str]:
    """Dotted paths of ``form_id``'s fields that ``external:`` roles read."""
    return {r.field for r in spec.roles.values()
            if r.kind == "external" and r.form == form_id and r.field}


def check_named_people(spec: WorkflowSpec, form_id: str, data: dict, people: People,
                       subject_id: int | None) -> None:
    """Raise :class:`SubmissionInvalid` (field -> message) for each person ``data`` names
    in a ``field:`` role's field who could not be given the role's tasks."""
    errors: dict[str, list[str]] = {}
    outside = outside_allowed(spec, form_id)
    for dotted, subject_allowed in people_fields(spec, form_id):
        value, base = data, ()
        for part in dotted.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            base = (*base, part)
        found = list(_named(value, base))
        people.load_emails(email for _, email in found)
        seen: set[str] = set()
        for path, email in found:
            key = normalize_email(email)
            person = people.find(key)
            if dotted in outside and (person is None or person.external):
                if not EMAIL.match(key):
                    message = N_("%(email)s is not an email address.", email=email.strip())
                elif key in seen:
                    message = N_("%(name)s is named twice.", name=key)
                else:
                    seen.add(key)
                    continue
            elif person is None:
                message = N_("%(email)s is not in the directory.", email=email.strip())
            elif not person.active:
                message = N_("%(name)s has left and cannot be named.", name=person.name)
            elif person.id == subject_id and not subject_allowed:
                message = N_("%(name)s is the person this process is about and cannot be "
                             "named here.", name=person.name)
            elif key in seen:
                message = N_("%(name)s is named twice.", name=person.name)
            else:
                seen.add(key)
                continue
            errors.setdefault(field_path(path), []).append(message)
    if errors:
        raise SubmissionInvalid(errors)
