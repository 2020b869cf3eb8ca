"""Who plays a role: one table, one entry per role kind of the language.

- ``subject``: the instance's subject.
- ``subject.manager.manager`` (``chain``): up the subject's manager chain.
- ``subject.reports`` / ``subject.all_reports`` / ``subject.manager.reports``
  (``reports``): the direct reports, everyone under, the peers by manager (the people
  under the person the ``.manager`` steps reach, the subject never among them).
- ``subject.hrbp`` (``column``): the person whose email is in the subject's directory
  column ``hrbp_email`` (an extra column of the people import).
- ``group:hr``: every member of the directory group.
- ``field:peer-nomination.peers``: the emails submitted in that field (a string, a list of
  strings, or a list of objects with an ``email`` key).
- ``external:client-nomination.clients``: as ``field:``; the emails nobody in the
  directory has are ``Resolved.outside`` (raters outside the directory, each given the
  task through a signed link), not problems.
- ``person:ceo@example.com``: one fixed person.

Each entry of :data:`KINDS` knows, for one role of one instance, the people it names
(:func:`resolve`, :func:`emails`), whether one given person plays it (:func:`plays`, which
decides who may fire a trigger), and the SQL the inbox uses to find the instances where
someone plays it (:func:`inbox_sql`). Everything about roles is asked here, so the engine's
commands, the inbox, the instance page and the web's buttons give the same answer.

The rule for people who left: only *active* people of the directory play a role. An
inactive person, or an email nobody in the directory has, gets no task, fires no trigger,
and is not listed among an instance's role players. A role that resolves to nobody is the
caller's to handle (see docs/runtime.md: the task is created unassigned and HR is told).

"HR" has one meaning, :func:`is_hr`: an active member of the directory group ``hr``.
Other groups (``admin``) may open the web's console, but are not HR to the engine.

Separation of duties: the subject of an instance plays no role about themselves but
``subject`` (:func:`resolve` leaves them out and says so, :func:`plays` and
:func:`inbox_sql` answer no, :func:`is_hr_for` is HR about someone else), unless a
task line allows it (``allow_subject: true``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from engine.definitions.specs import HR_GROUP, RoleSpec, TransitionSpec, WorkflowSpec
from engine.directory import People, normalize_email
from engine.store import Person

# ------------------------------------------------------------------ who is HR


def hr_in(groups: Iterable[str]) -> bool:
    """Do these directory groups make an (active) person HR? The one rule: group ``hr``."""
    return HR_GROUP in set(groups)


def is_hr(email: str, people: People) -> bool:
    """Is ``email`` HR: an active member of the directory group ``hr``?"""
    person = people.find(email)
    return person is not None and bool(person.active) and hr_in(people.groups_of(person.id))


def hr_members(people: People) -> list[Person]:
    """Everyone who is HR (active members of group ``hr``), by email."""
    return people.group(HR_GROUP)


def deciders(transition: TransitionSpec) -> tuple[str, ...]:
    """Roles that may fire a manual transition: its ``allowed``, else HR (:data:`HR_GROUP`)."""
    return transition.allowed or (HR_GROUP,)


# ------------------------------------------------------------------ one instance


class Facts:
    """One instance as its roles see it: the subject, the directory and the forms.

    ``forms`` may be a dict or a callable returning one (called only when a ``field:``
    role needs it). ``chain`` (the ids of the subject's manager, their manager, ...) may be
    given by a caller that read it already (the inbox's rows); otherwise it is followed
    in ``people``.
    """

    def __init__(self, subject_id: int, people: People,
                 forms: dict | Callable[[], dict] | None = None,
                 chain: Sequence[int | None] | None = None):
        self.subject_id = subject_id
        self.people = people
        self._forms = forms
        self._chain = chain

    @property
    def subject(self) -> Person | None:
        return self.people.get(self.subject_id)

    def forms(self) -> dict:
        """The instance's ``forms`` (latest submission per form)."""
        if callable(self._forms):
            self._forms = self._forms()
        return self._forms or {}

    def manager_id(self, depth: int) -> int | None:
        """The id of the subject's ``depth``-th manager (1: the manager), or None."""
        if self._chain is not None:
            return self._chain[depth - 1] if depth <= len(self._chain) else None
        current = self.subject
        for _ in range(depth):
            if current is None or current.manager_id is None:
                return None
            current = self.people.get(current.manager_id)
        return current.id if current is not None else None


@dataclass
class Resolved:
    """The people of a role, plus what could not be resolved (for the history)."""

    people: list[Person] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: emails outside the directory an ``external:`` role names (each gets a link)
    outside: list[str] = field(default_factory=list)
    #: nobody plays the role and that is no fault (a ``.reports`` role of someone nobody
    #: reports to): the line gets no task instead of an unassigned one for HR
    nobody_is_fine: bool = False
    _ids: set[int] = field(default_factory=set, init=False, repr=False, compare=False)

    def add(self, person: Person | None, what: str) -> None:
        """Keep ``person`` if active; otherwise say why nobody was kept."""
        if person is None:
            self.problems.append(f"{what}: nobody in the directory")
        elif not person.active:
            self.problems.append(f"{person.email} is no longer active")
        elif person.id not in self._ids:  # a group of hundreds: no quadratic scan
            self._ids.add(person.id)
            self.people.append(person)


# ------------------------------------------------------------------ the kinds


class Kind:
    """One role kind. ``collect`` adds the role's people; the rest derive from it unless
    a kind can answer more cheaply."""

    def collect(self, role: RoleSpec, facts: Facts, out: Resolved) -> None:
        raise NotImplementedError

    def holds(self, role: RoleSpec, person: Person, facts: Facts) -> bool:
        """Does (active) ``person`` play ``role`` in the instance?"""
        found = Resolved()
        self.collect(role, facts, found)
        return any(p.id == person.id for p in found.people)

    def sql(self, role: RoleSpec, me: Person, groups: set[str]) -> tuple[str, list] | None:
        """SQL over instance ``i`` selecting where ``me`` may play ``role`` (it may
        over-select: :meth:`holds` decides afterwards), or None when ``me`` never can."""
        raise NotImplementedError


class Subject(Kind):
    def collect(self, role, facts, out):
        out.add(facts.subject, "the subject")

    def holds(self, role, person, facts):
        return person.id == facts.subject_id

    def sql(self, role, me, groups):
        return 'i."subject_id" = {p}', [me.id]


class Chain(Kind):
    def collect(self, role, facts, out):
        depth = len(role.steps)
        for k in range(1, depth + 1):
            if facts.manager_id(k) is None:
                out.problems.append("subject" + ".manager" * k + ": nobody")
                return
        out.add(facts.people.get(facts.manager_id(depth)), role.source or role.name)

    def holds(self, role, person, facts):
        return facts.manager_id(len(role.steps)) == person.id

    def sql(self, role, me, groups):
        return reports_at(len(role.steps)), [me.id]


def _head(role: RoleSpec, facts: Facts, out: Resolved) -> Person | None:
    """The person a role's ``.manager`` steps reach (the subject for none), or None with
    the problem said."""
    depth = len(role.steps)
    head_id = facts.subject_id if depth == 0 else facts.manager_id(depth)
    if head_id is None:
        out.problems.append(f"{role.source}: subject{'.manager' * depth} is nobody")
        return None
    return facts.people.get(head_id)


class Reports(Kind):
    def collect(self, role, facts, out):
        head = _head(role, facts, out)
        if head is None:
            return
        people = (facts.people.reports(head.id) if role.reach == "reports"
                  else facts.people.under(head.id))
        for person in people:
            if person.id != facts.subject_id:  # peers by manager: everyone but the subject
                out.add(person, role.source)
        if not out.people:
            out.problems.append(f"{role.source}: nobody (no one reports to {head.email})")
            out.nobody_is_fine = not any(p.id != facts.subject_id for p in people)

    def holds(self, role, person, facts):
        head_id = facts.subject_id if not role.steps else facts.manager_id(len(role.steps))
        if head_id is None or person.id == facts.subject_id:
            return False
        if role.reach == "reports":
            return person.manager_id == head_id
        return head_id in _managers_of(person, facts.people)

    def sql(self, role, me, groups):
        # instances whose "head" (the subject, or its k-th manager) is my manager (reports)
        # or any manager above me (all_reports)
        above = [me.manager_id] if role.reach == "reports" else [
            i for i in _manager_ids(me) if i is not None]
        if not above:
            return None
        marks = ", ".join("{p}" for _ in above)
        if not role.steps:
            return f'i."subject_id" IN ({marks})', above
        return reports_at(len(role.steps)).replace("= {p}", f"IN ({marks})"), above


def _managers_of(person: Person, people: People) -> list[int]:
    """Ids up ``person``'s manager chain (a cycle in a directory stops the walk)."""
    out, current = [], person
    while current is not None and current.manager_id and current.manager_id not in out:
        out.append(current.manager_id)
        current = people.get(current.manager_id)
    return out


def _manager_ids(me: Person) -> list[int]:
    return _managers_of(me, People())


class Column(Kind):
    def collect(self, role, facts, out):
        head = _head(role, facts, out)
        if head is None:
            return
        email = column_email(head, role.column)
        if not email:
            out.problems.append(f"{role.source}: {head.email} has no {role.column}_email in "
                                "the directory")
            return
        out.add(facts.people.find(email), f"{role.source} ({email})")

    def holds(self, role, person, facts):
        found = Resolved()
        self.collect(role, facts, found)
        return any(p.id == person.id for p in found.people)

    def sql(self, role, me, groups):
        # over-selects (LIKE on the JSON text); holds() decides
        depth = len(role.steps)
        if depth == 0:
            return ('i."subject_id" IN (SELECT "id" FROM "person" '
                    'WHERE LOWER("attributes") LIKE {p})', [f"%{me.email}%"])
        joins = "".join(f' JOIN "person" r{k} ON r{k - 1}."manager_id" = r{k}."id"'
                        for k in range(1, depth + 1))
        return (f'i."subject_id" IN (SELECT r0."id" FROM "person" r0{joins} '
                f'WHERE LOWER(r{depth}."attributes") LIKE {{p}})', [f"%{me.email}%"])


def column_email(person: Person, column: str | None) -> str:
    """The email in ``person``'s directory column ``COLUMN_email`` (or "")."""
    value = (person.attributes or {}).get(f"{column}_email")
    return normalize_email(value) if isinstance(value, str) else ""


class Group(Kind):
    def collect(self, role, facts, out):
        for person in facts.people.group(role.group):
            out.add(person, role.group)
        if not out.people:
            out.problems.append(f"group '{role.group}' has no active members")

    def holds(self, role, person, facts):
        return role.group in facts.people.groups_of(person.id)

    def sql(self, role, me, groups):
        return ("1 = 1", []) if role.group in groups else None


class Field(Kind):
    def collect(self, role, facts, out):
        for email in field_emails(facts.forms(), role.form, role.field):
            out.add(facts.people.find(email), email)
        if not out.people and not out.problems:
            out.problems.append(f"nobody was named in {role.form}.{role.field}")

    def holds(self, role, person, facts):
        named = field_emails(facts.forms(), role.form, role.field)
        return person.email in {normalize_email(e) for e in named}

    def sql(self, role, me, groups):
        # which submission counts (the latest) is decided by holds(); LIKE may over-select
        return ('i."id" IN (SELECT "instance_id" FROM "submission" '
                'WHERE "form_id" = {p} AND LOWER("data") LIKE {p})',
                [role.form, f"%{me.email}%"])


class External(Field):
    def collect(self, role, facts, out):
        for email in field_emails(facts.forms(), role.form, role.field):
            person = facts.people.find(email)
            if person is None or person.external:
                key = normalize_email(email)
                if key not in out.outside:
                    out.outside.append(key)
            else:
                out.add(person, email)
        if not out.people and not out.outside and not out.problems:
            out.problems.append(f"nobody was named in {role.form}.{role.field}")


class Fixed(Kind):
    def collect(self, role, facts, out):
        out.add(facts.people.find(role.email or ""), role.email or "")

    def holds(self, role, person, facts):
        return person.email == normalize_email(role.email or "")

    def sql(self, role, me, groups):
        return ("1 = 1", []) if normalize_email(role.email or "") == me.email else None


#: Role kind (:data:`engine.definitions.specs.RoleKind`) -> how it names people.
KINDS: dict[str, Kind] = {
    "subject": Subject(), "chain": Chain(), "reports": Reports(), "column": Column(),
    "group": Group(), "field": Field(), "external": External(),
    "person": Fixed(),
}


# ------------------------------------------------------------------ asking


def resolve(role: RoleSpec, facts: Facts, allow_subject: bool = False) -> Resolved:
    """The active people playing ``role`` in the instance of ``facts``.

    Separation of duties: the subject plays no role about themselves but ``subject``
    (left out, and the problem says so), unless ``allow_subject`` (a task line's
    ``allow_subject: true``).
    """
    out = Resolved()
    KINDS[role.kind].collect(role, facts, out)
    if not allow_subject and role.kind != "subject":
        kept = [p for p in out.people if p.id != facts.subject_id]
        if len(kept) != len(out.people):
            out.problems.append(subject_left_out(facts.subject.email, role.name))
            out.people = kept
    return out


def subject_left_out(email: str, role_name: str) -> str:
    """The history's reason why the subject holds nothing through ``role_name``."""
    return f"{email} is the subject of this instance (left out of role '{role_name}')"


def excludes_subject(spec: WorkflowSpec, role_name: str | None,
                     allow_subject: bool = False) -> bool:
    """Is the subject kept out of role ``role_name`` (every role but ``subject``)?"""
    role = spec.roles.get(role_name) if role_name else None
    return not allow_subject and (role is None or role.kind != "subject")


def emails(role: RoleSpec, facts: Facts) -> list[str]:
    """The emails of the active people playing ``role`` (and of the raters outside the
    directory an ``external:`` role names)."""
    found = resolve(role, facts)
    return [p.email for p in found.people] + found.outside


def plays(person: Person | None, name: str, spec: WorkflowSpec, facts: Facts) -> bool:
    """Does ``person`` play role ``name`` (a declared role, or HR for the default ``hr``)?

    The subject plays no role about themselves but ``subject`` (separation of duties).
    """
    if person is None or not person.active:
        return False
    role = spec.roles.get(name)
    if person.id == facts.subject_id and (role is None or role.kind != "subject"):
        return False
    if role is None:
        return name == HR_GROUP and hr_in(facts.people.groups_of(person.id))
    return KINDS[role.kind].holds(role, person, facts)


class RolePlayers(Mapping):
    """Role name -> the emails of whoever plays it in one instance, each role resolved
    only when first asked for. :meth:`plays` answers for one person without listing the
    role at all: a page asking "is the viewer HR?" must not read a group of hundreds."""

    def __init__(self, spec: WorkflowSpec, facts: Facts):
        self._spec, self._facts = spec, facts
        self._lists: dict[str, list[str]] = {}

    def __getitem__(self, name: str) -> list[str]:
        if name not in self._lists:
            self._lists[name] = emails(self._spec.roles[name], self._facts)
        return self._lists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._spec.roles)

    def __len__(self) -> int:
        return len(self._spec.roles)

    def plays(self, email: str, name: str) -> bool:
        """Is ``email`` among the players of declared role ``name``? (The same answer as
        ``email in self[name]``: active, never the subject but for ``subject``.)"""
        role = self._spec.roles.get(name)
        if role is None:
            return False
        if name in self._lists or role.kind == "external":  # outsiders are not people
            return email in self[name]
        return plays(self._facts.people.find(email), name, self._spec, self._facts)


class HrOf:
    """The HR members of one instance (its subject left out), listed only when iterated:
    ``email in hr`` reads the viewer's groups, not the whole group."""

    def __init__(self, people: People, subject_id: int):
        self._people, self._subject_id = people, subject_id

    def __contains__(self, email: object) -> bool:
        return isinstance(email, str) and is_hr_for(email, self._people, self._subject_id)

    def __iter__(self) -> Iterator[str]:
        return iter([p.email for p in hr_members(self._people) if p.id != self._subject_id])


def is_hr_for(email: str, people: People, subject_id: int) -> bool:
    """May ``email`` act as HR on an instance about ``subject_id``: HR, and not its
    subject (nobody acts as HR about themselves)?"""
    person = people.find(email)
    return person is not None and person.id != subject_id and is_hr(email, people)


def plays_any(email: str, names: Iterable[str], spec: WorkflowSpec, facts: Facts) -> str | None:
    """The first of ``names`` that ``email`` plays in the instance, or ``None``."""
    person = facts.people.find(email)
    return next((n for n in names if plays(person, n, spec, facts)), None)


def inbox_sql(spec: WorkflowSpec, names: Iterable[str], me: Person,
              groups: set[str]) -> tuple[str | None, list]:
    """SQL for "``me`` plays one of ``names``" over instance ``i`` (None: never)."""
    if not me.active:
        return None, []
    conds, params = [], []
    for name in names:
        role = spec.roles.get(name)
        if role is None:
            found = ("1 = 1", []) if name == HR_GROUP and hr_in(groups) else None
        else:
            found = KINDS[role.kind].sql(role, me, groups)
        if found is not None:
            if role is None or role.kind != "subject":  # never about themselves
                found = (f'(({found[0]}) AND i."subject_id" <> {{p}})', [*found[1], me.id])
            conds.append(found[0])
            params += found[1]
    if not conds:
        return None, []
    return " OR ".join(conds), params


def reports_at(depth: int) -> str:
    """SQL: the instance's subject has me as their ``depth``-th manager (driven from the
    person.manager_id index, not from every instance)."""
    if depth == 1:
        return 'i."subject_id" IN (SELECT "id" FROM "person" WHERE "manager_id" = {p})'
    joins = "".join(f' JOIN "person" r{k} ON r{k - 1}."manager_id" = r{k}."id"'
                    for k in range(1, depth))
    return (f'i."subject_id" IN (SELECT r0."id" FROM "person" r0{joins} '
            f'WHERE r{depth - 1}."manager_id" = {{p}})')


# ------------------------------------------------------------------ helpers


def field_emails(forms: dict, form_id: str | None, field_path: str | None) -> list[str]:
    """Emails named in ``form_id``'s field (dotted path) of the latest submission(s)."""
    value = forms.get(form_id)
    datas = value if isinstance(value, list) else [value]
    found_emails: list[str] = []
    for data in datas:
        found = data
        for part in (field_path or "").split("."):
            found = found.get(part) if isinstance(found, dict) else None
        found_emails.extend(_emails_in(found))
    return found_emails


def named_languages(forms: dict, form_id: str | None, field_path: str | None) -> dict[str, str]:
    """Email -> the language a nomination gives the rater it names: a row's own
    ``language`` (``{email, language}`` rows), else the form's top-level ``language``
    field (one for everyone it names); raters without one are left out."""
    value = forms.get(form_id)
    out: dict[str, str] = {}
    for data in value if isinstance(value, list) else [value]:
        if not isinstance(data, dict):
            continue
        everyone = data.get("language") if isinstance(data.get("language"), str) else ""
        found = data
        for part in (field_path or "").split("."):
            found = found.get(part) if isinstance(found, dict) else None
        for item in found if isinstance(found, list) else [found]:
            own = item.get("language") if isinstance(item, dict) else None
            for email in _emails_in(item):
                language = own if isinstance(own, str) and own else everyone
                if language:
                    out[email.strip().lower()] = language
    return out


def _emails_in(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, dict):
        return _emails_in(value.get("email"))
    if isinstance(value, list):
        return [e for item in value for e in _emails_in(item)]
    return []


def chain_depth(spec: WorkflowSpec, names: Iterable[str] | None = None) -> int:
    """The longest manager chain a workflow's roles (or only ``names``) follow (the
    ``.manager`` steps of chains, and those before ``.reports`` or a column)."""
    chosen = spec.roles.values() if names is None else [
        spec.roles[n] for n in names if n in spec.roles]
    return max((len(r.steps) for r in chosen), default=0)
