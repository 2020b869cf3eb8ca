"""A generated organisation for the benchmark: a realistic manager tree with departments.

The tree is filled breadth first from the CEO: every manager gets a span of 4 to 10
direct reports (drawn from a seeded RNG), so about one person in seven manages someone and
the tree is 5-6 levels deep at 10,000 people. Each head of a level-1 unit owns a
department that everyone below inherits; the People department's members form the
directory group ``hr``. Everything is deterministic for a given ``(n, seed)``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

DEPARTMENTS = (
    "Engineering", "Sales", "Operations", "Finance", "Marketing",
    "Support", "Product", "Legal", "People",
)
HR_DEPARTMENT = "People"
FIRST = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
         "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara")
LAST = ("Abara", "Berg", "Costa", "Dahl", "Eze", "Fischer", "Garcia", "Haas", "Ito", "Jensen",
        "Kowalski", "Lind", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Silva", "Tan")


@dataclass
class Person:
    """One directory row as the benchmark imports it."""

    email: str
    name: str
    department: str
    manager: str | None  # the manager's email; None for the CEO
    groups: tuple[str, ...] = ()


@dataclass
class Org:
    """People in breadth-first order plus the indexes peer picking needs."""

    people: list[Person]
    by_email: dict[str, Person] = field(default_factory=dict)
    reports: dict[str | None, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_department: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for person in self.people:
            self.by_email[person.email] = person
            self.reports[person.manager].append(person.email)
            self.by_department[person.department].append(person.email)

    @property
    def hr(self) -> list[str]:
        """Emails of the ``hr`` group."""
        return [p.email for p in self.people if "hr" in p.groups]


def email_of(i: int) -> str:
    return f"p{i:07d}@bench.example"


def generate(n: int, seed: int = 7) -> Org:
    """Build an org of ``n`` people (n >= 2 * len(DEPARTMENTS) for every department)."""
    rng = random.Random(seed)
    people = [Person(email_of(0), "Casey Chief", "Executive", None)]
    managers = [0]  # queue of indexes still to receive reports
    head = 0
    while len(people) < n:
        boss = people[managers[head]]
        head += 1
        span = len(DEPARTMENTS) if boss.manager is None else rng.randint(4, 10)
        for k in range(min(span, n - len(people))):
            i = len(people)
            dept = DEPARTMENTS[k % len(DEPARTMENTS)] if boss.manager is None else boss.department
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
            groups = ("hr",) if dept == HR_DEPARTMENT else ()
            people.append(Person(email_of(i), name, dept, boss.email, groups))
            managers.append(i)
    hr = [p for p in people if "hr" in p.groups]
    if len(hr) < 2:  # nobody decides about themselves: a lone HR member needs a second
        people[0] = Person(people[0].email, people[0].name, people[0].department, None,
                           ("hr",))
    return Org(people)


def pick_peers(org: Org, email: str, k: int, rng: random.Random) -> list[str]:
    """``k`` colleagues to ask for feedback: teammates first, then the department.

    Never the subject nor their manager, the way an employee would nominate peers.
    """
    person = org.by_email[email]
    banned = {email, person.manager}
    pool = [e for e in org.reports[person.manager] if e not in banned]
    rng.shuffle(pool)
    chosen = pool[:k]
    department = org.by_department[person.department]
    while len(chosen) < k and len(chosen) < len(department) - 2:
        other = department[rng.randrange(len(department))]
        if other not in banned and other not in chosen:
            chosen.append(other)
    while len(chosen) < k:  # tiny departments: anyone in the company will do
        other = org.people[rng.randrange(len(org.people))].email
        if other not in banned and other not in chosen:
            chosen.append(other)
    return chosen


def subjects(org: Org) -> Iterator[str]:
    """Everyone with a manager (the CEO has no one to review them)."""
    return (p.email for p in org.people if p.manager is not None)
