"""Plausible answers for any form of the demo, made from its JSON Schema.

The demo must keep working when HR tunes the shipped forms, so answers are derived from
each schema (required fields, types, bounds, choices) rather than written per form.
"""

from __future__ import annotations

from engine.clock import utcnow

SENTENCES = [
    "Delivered the platform migration on time and kept the team informed throughout.",
    "Communicates clearly in planning and writes thorough design notes.",
    "Could share early drafts sooner so others can help shape the work.",
    "Took ownership of the on-call rota and improved the runbooks.",
    "Mentored two new joiners and made onboarding noticeably faster.",
    "Would benefit from saying no to lower-priority requests more often.",
]


def _text(schema: dict, index: int) -> str:
    fmt = schema.get("format")
    if fmt == "date":
        return utcnow().date().isoformat()
    if fmt == "email":
        return "someone@acme.example"
    text = SENTENCES[index % len(SENTENCES)]
    low = schema.get("minLength", 0)
    while len(text) < low:
        text += " " + SENTENCES[(index + 1) % len(SENTENCES)]
    return text[: schema.get("maxLength", len(text))]


def _choice(schema: dict, index: int):
    options = [o.get("const") for o in schema.get("oneOf", []) + schema.get("anyOf", [])
               if isinstance(o, dict) and "const" in o]
    options = options or list(schema.get("enum", []))
    return options[index % len(options)] if options else None


def sample(schema: dict, index: int = 0, optional: bool = False):
    """A value valid for ``schema`` (required properties filled; ``optional`` fills all)."""
    if "const" in schema:
        return schema["const"]
    choice = _choice(schema, index)
    if choice is not None:
        return choice
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        names = props if optional else schema.get("required", [])
        return {name: sample(props.get(name, {}), index + i, optional)
                for i, name in enumerate(names)}
    if kind == "array":
        count = max(schema.get("minItems", 0), 1)
        return [sample(schema.get("items", {}), index + i, optional) for i in range(count)]
    if kind == "integer" or kind == "number":
        low, high = schema.get("minimum", 1), schema.get("maximum", 5)
        return min(high, max(low, 3 + index % 2))
    if kind == "boolean":
        return True
    return _text(schema, index)


def answers(form, index: int = 0, **overrides) -> dict:
    """Answers to a form (a FormSpec), with some fields set by the caller."""
    data = sample(form.schema, index, optional=True)
    data.update(overrides)
    return data
