"""How screening's meanings look: the one mapping from a verdict level, or a rule's
kind, to a Bootstrap colour and a symbol. Screening (``intake/screening.py``) decides the
level and the words; every template that shows a verdict or a rule loads this library
(the patient page, the intake summary, the chart, the calendars and the home pages)."""

from django import template

from intake.screening import KIND_LEVEL, Level, Outcome

register = template.Library()

LEVEL_COLOUR: dict[Level, str] = {
    Level.GO: "success",
    Level.REVIEW: "warning",
    Level.STOP: "danger",
}
LEVEL_SYMBOL: dict[Level, str] = {
    Level.GO: "✓",
    Level.REVIEW: "!",
    Level.STOP: "✕",
}


@register.filter
def level_colour(level: str) -> str:
    """The Bootstrap colour of a verdict level (``text-bg-<colour>``, ``border-<colour>``)."""
    return LEVEL_COLOUR[Level(level)]


@register.filter
def level_symbol(level: str) -> str:
    """The symbol beside a verdict level's words, so colour is not the only signal."""
    return LEVEL_SYMBOL[Level(level)]


@register.filter
def kind_colour(kind: str) -> str:
    """The Bootstrap colour of a screening rule's kind: the colour of the level it brings."""
    return LEVEL_COLOUR[KIND_LEVEL[Outcome(kind)]]
