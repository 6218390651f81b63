"""Intake answers for reading: as (step title, [(question, answer as text)]) sections,
for the intake summary and the record export."""

from collections.abc import Mapping
from typing import Any

from intake.answers import IntakeAnswers
from intake.forms import STEP_TITLES, STEPS, BaseSurgeryFormSet

Sections = list[tuple[str, list[tuple[str, str]]]]


def _text(value: Any, choices: dict) -> str:
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value) or "None"
    if value in (None, ""):
        return "—"
    return str(choices.get(value, choices.get(str(value), value)))


def answer_sections(answers: Mapping[str, Any] | None) -> Sections:
    """Stored intake answers (``Intake.answers``) as questions and answers, step by step."""
    stored = IntakeAnswers.from_json(answers)
    sections: Sections = []
    for slug, form_class in STEPS:
        if issubclass(form_class, BaseSurgeryFormSet):  # the surgeries step
            items = [(s.day.isoformat(), s.description) for s in stored.surgeries]
            sections.append((STEP_TITLES[slug], items or [("Surgeries", "None")]))
            continue
        values = stored.step(slug)
        items = []
        for name, field in form_class.base_fields.items():
            choices = dict(getattr(field, "choices", []) or [])
            items.append((str(field.label), _text(values.get(name), choices)))
        sections.append((STEP_TITLES[slug], items))
    return sections


def draft_sections(drafts: Mapping[str, Any] | None) -> Sections:
    """What was typed but not yet accepted (``Intake.drafts``: per step, each posted name
    with its values), under the question's wording where the name is a question."""
    forms = dict(STEPS)
    sections: Sections = []
    for slug, typed in (drafts or {}).items():
        fields = getattr(forms.get(slug), "base_fields", {})
        items = []
        for name, values in (typed or {}).items():
            field = fields.get(name)
            label = str(field.label) if field is not None and field.label else name
            choices = dict(getattr(field, "choices", []) or [])
            items.append((label, _text(values, choices)))
        sections.append((STEP_TITLES.get(slug, slug), items))
    return sections
