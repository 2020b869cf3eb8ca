"""HR adds or edits one person of the directory (the CSV import does many at once).

One transaction; bad input raises :class:`SubmissionInvalid` (field -> messages) and
changes nothing; every change is recorded in the directory's history
(:class:`engine.store.DirectoryEvent`, ``person-added`` / ``person-edited``, with each
changed field's old and new value).
"""

from __future__ import annotations

from datetime import datetime

from engine import directory
from engine.clock import utcnow
from engine.errors import NotFound, SubmissionInvalid
from engine.locking import transaction
from engine.messages import N_
from engine.store import DirectoryEvent, Person, PersonGroup

FIELDS = ("name", "manager_email", "department", "title", "groups", "active")
_MAX = {"name": 200, "department": 200, "title": 200}


def save_person(actor: str, values: dict, person_id: int | None = None,
                now: datetime | None = None) -> int:
    """Create a person (``person_id`` None: ``values["email"]`` needed) or change one.

    ``values``: ``name``, ``manager_email`` (an active person, not themselves, no loop),
    ``department``, ``title``, ``groups`` (text separated by ``;`` or ``,``, or a list),
    ``active`` (bool). Returns the person's id.
    """
    now = now or utcnow()
    actor = directory.normalize_email(actor)
    with transaction():
        person = None
        if person_id is not None:
            person = Person.get_or_none(Person.id == person_id)
            if person is None:
                raise NotFound(f"no person {person_id} in the directory")
        wanted, errors = _check(values, person, actor)
        if errors:
            raise SubmissionInvalid(errors)
        before = _state(person) if person is not None else {}
        fields = {k: wanted[k] for k in ("name", "department", "title", "active")}
        manager = wanted["manager"]
        if person is None:
            person = Person.create(email=wanted["email"], manager=manager, updated_at=now,
                                   **fields)
        else:
            Person.update(manager=manager, updated_at=now, **fields).where(
                Person.id == person.id).execute()
        have = directory.groups_of(person.id)
        for group in sorted(set(wanted["groups"]) - have):
            PersonGroup.create(person=person.id, group=group)
        gone = have - set(wanted["groups"])
        if gone:
            PersonGroup.delete().where((PersonGroup.person == person.id)
                                       & PersonGroup.group.in_(sorted(gone))).execute()
        after = _state(Person.get_by_id(person.id))
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if changes or not before:
            DirectoryEvent.create(at=now, actor=actor, person=person.id,
                                  kind="person-edited" if before else "person-added",
                                  detail={"email": after["email"], "changes": changes})
        return person.id


def _state(person: Person) -> dict:
    manager = Person.get_or_none(Person.id == person.manager_id) if person.manager_id else None
    return {"email": person.email, "name": person.name,
            "manager_email": manager.email if manager else "",
            "department": person.department, "title": person.title,
            "groups": ";".join(sorted(directory.groups_of(person.id))),
            "active": bool(person.active)}


def _check(values: dict, person: Person | None, actor: str) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    wanted: dict = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if person is None:
        email = directory.normalize_email(values.get("email", ""))
        if not email:
            bad("email", N_("This field is required."))
        elif not directory.EMAIL.match(email):
            bad("email", N_("%(email)s is not an email address.", email=email))
        elif directory.person_by_email(email) is not None:
            bad("email", N_("%(email)s is already in the directory.", email=email))
        wanted["email"] = email
    for name in ("name", "department", "title"):
        text = str(values.get(name) or "").strip()
        if name == "name" and not text:
            bad("name", N_("This field is required."))
        if len(text) > _MAX[name]:
            bad(name, N_("At most %(max)d characters.", max=_MAX[name]))
        wanted[name] = text
    groups = values.get("groups") or ""
    wanted["groups"] = (directory.split_groups(groups) if isinstance(groups, str)
                        else tuple(sorted({str(g).strip() for g in groups if str(g).strip()})))
    if any(len(g) > 100 for g in wanted["groups"]):
        bad("groups", N_("A group name has at most 100 characters."))
    wanted["active"] = bool(values.get("active"))
    wanted["manager"] = _manager(values.get("manager_email", ""), person, wanted, bad)
    _check_hr_and_self(person, wanted, actor, bad)
    return wanted, errors


def _manager(text: str, person: Person | None, wanted: dict, bad) -> int | None:
    email = directory.normalize_email(text)
    if not email:
        return None
    manager = directory.person_by_email(email)
    own = person.email if person is not None else wanted.get("email")
    if manager is None:
        bad("manager_email", N_("%(email)s is not in the directory.", email=email))
        return None
    if manager.email == own:
        bad("manager_email", N_("A person cannot be their own manager."))
        return None
    if not manager.active:
        bad("manager_email", N_("%(name)s has left (choose an active person).",
                                 name=manager.name))
        return None
    if person is not None:  # would the new manager chain come back to this person?
        seen, current = {person.id}, manager
        while current is not None and current.manager_id is not None:
            if current.manager_id in seen:
                bad("manager_email", N_("%(manager)s reports to %(name)s (directly or further "
                                        "up): that would make a loop.",
                                        manager=manager.name, name=person.name))
                return None
            seen.add(current.id)
            current = Person.get_or_none(Person.id == current.manager_id)
    return manager.id


def _check_hr_and_self(person: Person | None, wanted: dict, actor: str, bad) -> None:
    if person is None:
        return
    if person.email == actor and not wanted["active"]:
        bad("active", N_("You cannot mark yourself as left."))
    was_hr = person.active and directory.HR_GROUP in directory.groups_of(person.id)
    stays_hr = wanted["active"] and directory.HR_GROUP in wanted["groups"]
    if was_hr and not stays_hr:
        others = (Person.select().join(PersonGroup)
                  .where((PersonGroup.group == directory.HR_GROUP)
                         & (Person.active == True) & (Person.id != person.id))  # noqa: E712
                  .count())
        if not others:
            field = "groups" if wanted["active"] else "active"
            bad(field, N_("%(name)s is the only active member of the group %(group)s: give "
                          "the group to someone else first.", name=person.name,
                          group=directory.HR_GROUP))
