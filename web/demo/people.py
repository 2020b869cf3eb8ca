"""The demo company's directory: about 60 people in seven departments, four levels deep.

Deterministic (no randomness), so the demo and the screenshots look the same every time.
"""

from __future__ import annotations

import csv
import io

DOMAIN = "acme.example"

FIRST = ["Amelia", "Ben", "Chloe", "Daniel", "Ella", "Felix", "Grace", "Hugo", "Isla", "Jack",
         "Kara", "Leo", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Ravi", "Sofia", "Tom",
         "Uma", "Victor", "Wendy", "Xavier", "Yara", "Zoe", "Aaron", "Bea", "Carlos", "Dana",
         "Eli", "Fatima", "George", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nina",
         "Omar", "Paula", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xena", "Yusuf",
         "Zara", "Alex", "Bruno", "Cara", "Dev", "Emma", "Finn", "Gina", "Hal", "Iris"]
LAST = ["Walker", "Osei", "Martin", "Kim", "Novak", "Schmidt", "Hughes", "Lefebvre", "Moreau",
        "Costa", "Patel", "Okafor", "Rossi", "Jensen", "Bennett", "Sharma", "Doyle", "Iyer",
        "Garcia", "Fischer", "Nakamura", "Silva", "Brennan", "Dubois", "Haddad", "Larsen",
        "Mensah", "Ortiz", "Popescu", "Quinlan", "Reyes", "Sato", "Tanaka", "Ueda", "Varga",
        "Weber", "Yilmaz", "Zhou", "Abbott", "Byrne", "Chen", "Das", "Evans", "Ferreira",
        "Gallo", "Horvat", "Ibrahim", "Jovanovic", "Khan", "Lopez", "Murphy", "Nilsson",
        "Owusu", "Park", "Russo", "Stone", "Torres", "Vidal", "Wright", "Young"]

# department -> (head title, [(manager title, [report titles...]), ...], [direct report titles])
ORG = {
    "Engineering": ("VP Engineering", [
        ("Engineering Manager, Platform", ["Senior Engineer", "Engineer", "Engineer",
                                           "Engineer", "Junior Engineer"]),
        ("Engineering Manager, Product", ["Senior Engineer", "Senior Engineer", "Engineer",
                                          "Engineer", "Engineer", "Junior Engineer"]),
        ("Engineering Manager, Data", ["Data Engineer", "Data Engineer", "Data Scientist",
                                       "Analyst"]),
    ], ["Staff Engineer"]),
    "Sales": ("VP Sales", [
        ("Sales Manager, EMEA", ["Account Executive", "Account Executive", "Account Executive",
                                 "Sales Development Rep", "Sales Development Rep"]),
        ("Sales Manager, Americas", ["Account Executive", "Account Executive",
                                     "Account Executive", "Sales Development Rep"]),
    ], ["Sales Operations Lead"]),
    "Marketing": ("Head of Marketing", [
        ("Marketing Manager", ["Content Marketer", "Designer", "Marketing Specialist"]),
    ], ["Product Marketer", "Brand Lead"]),
    "Operations": ("Head of Operations", [], ["Office Manager", "Operations Analyst",
                                              "IT Administrator", "Support Lead",
                                              "Support Specialist"]),
    "Customer Success": ("Head of Customer Success", [], ["Customer Success Manager",
                                                          "Customer Success Manager",
                                                          "Onboarding Specialist",
                                                          "Support Engineer"]),
    "Finance": ("Head of Finance", [], ["Financial Controller", "Accountant",
                                        "Payroll Specialist"]),
    "People": ("Head of People", [], ["HR Business Partner", "HR Business Partner",
                                      "People Operations Specialist"]),
}
HR_GROUP_TITLES = {"Head of People", "HR Business Partner", "People Operations Specialist"}
LEVELS = {"ceo": "L6", "head": "L5", "manager": "L4", "report": "L2"}


class _Names:
    def __init__(self):
        self.index = 0

    def next(self) -> tuple[str, str]:
        first = FIRST[self.index % len(FIRST)]
        last = LAST[(self.index * 7) % len(LAST)]
        self.index += 1
        return f"{first} {last}", f"{first}.{last}".lower() + f"@{DOMAIN}"


#: Personas who read reviewflow in Danish or Swedish (the first person with the title):
#: the directory's ``language`` column, which their pages and mails follow.
PREFERS = {"Engineer": "da", "HR Business Partner": "da", "Marketing Manager": "sv",
           "Sales Manager, Americas": "sv"}
LANGUAGE_NAMES = {"da": "dansk", "sv": "svenska"}


def people() -> list[dict]:
    """Every person of the demo company as a directory row (manager before reports)."""
    names = _Names()
    rows = []

    def add(title, department, manager, level, groups=""):
        name, email = names.next()
        rows.append({"email": email, "name": name, "manager_email": manager,
                     "department": department, "title": title, "groups": groups,
                     "level": level, "location": ("Berlin", "London", "Lisbon")[len(rows) % 3]})
        return email

    ceo = add("Chief Executive Officer", "Executive", "", LEVELS["ceo"], "admin")
    for department, (head_title, teams, directs) in ORG.items():
        hr = "hr" if department == "People" else ""
        head = add(head_title, department, ceo, LEVELS["head"], "hr;admin" if hr else "")
        for manager_title, reports in teams:
            manager = add(manager_title, department, head, LEVELS["manager"])
            for title in reports:
                level = "L3" if title.startswith(("Senior", "Staff")) else LEVELS["report"]
                add(title, department, manager, level)
        for title in directs:
            add(title, department, head, "L3", "hr" if title in HR_GROUP_TITLES else "")
    for title, language in PREFERS.items():
        first = next((r for r in rows if r["title"] == title), None)
        if first is not None:
            first["language"] = language
    return rows


def company_csv() -> str:
    """The directory as the CSV ``reviewflow people import`` and the HR console accept."""
    out = io.StringIO()
    columns = ["email", "name", "manager_email", "department", "title", "groups", "level",
               "location", "language"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(people())
    return out.getvalue()
