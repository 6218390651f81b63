"""How a verdict looks: ``intake/templatetags/verdicts.py`` maps screening's levels and
rule kinds to Bootstrap colours and symbols, the one place that does."""

import pytest
from django.template import Context, Template

from intake.screening import Level, Outcome
from intake.templatetags.verdicts import kind_colour, level_colour, level_symbol


@pytest.mark.parametrize(
    ("level", "colour", "symbol"),
    [(Level.GO, "success", "✓"), (Level.REVIEW, "warning", "!"), (Level.STOP, "danger", "✕")],
)
def test_each_level_has_its_colour_and_symbol(level, colour, symbol):
    assert level_colour(level) == colour
    assert level_symbol(level) == symbol


def test_the_three_levels_differ_in_colour_and_symbol():
    assert len({level_colour(level) for level in Level}) == 3
    assert len({level_symbol(level) for level in Level}) == 3


@pytest.mark.parametrize(
    ("kind", "colour"),
    [
        (Outcome.CONTRAINDICATED, "danger"),
        (Outcome.PRECAUTIONS, "warning"),
        (Outcome.CLEAR, "success"),
    ],
)
def test_a_rule_kind_takes_the_colour_of_the_level_it_brings(kind, colour):
    assert kind_colour(kind) == colour


def test_a_template_maps_a_level_given_as_its_stored_text():
    rendered = Template(
        '{% load verdicts %}<span class="badge text-bg-{{ level|level_colour }}">'
        "{{ level|level_symbol }}</span>"
    ).render(Context({"level": "stop"}))
    assert rendered == '<span class="badge text-bg-danger">✕</span>'
