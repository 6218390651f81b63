"""Every number a person types has the domain's limit and says it plainly: no count,
depth or rating is accepted up to the database's range, and no message reads
"less than or equal to 32767" (or 9223372036854775807)."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from clinic.forms import AuditFilterForm
from sessions.booking.forms import CourseForm
from sessions.charting.forms import NoteForm
from sessions.models import NeedlingSite, Visit

# Numbers the code sets, never a person: no form shows them.
SET_BY_CODE = {
    ("ScheduledMessage", "hours_after"),
    ("ScheduledMessage", "attempts"),
    ("SmsDelivery", "segments"),  # what the SMS provider reports
    ("Questionnaire", "score"),  # computed by the instrument's scoring rule
    ("Questionnaire", "answered_items"),
}
NUMBERS = (models.IntegerField, models.DecimalField, models.FloatField)
# Money (billing's amounts, 2 decimal places) has a limit in dollars, not in counts.
MONEY_LIMIT = 100_000


def _typed_numbers():
    for label in ("intake", "treatment_sessions", "clinic"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, NUMBERS) or not field.editable or field.primary_key:
                    continue
                if field.choices or (model.__name__, field.name) in SET_BY_CODE:
                    continue
                yield model, field


def test_every_typed_number_has_a_domain_maximum_with_its_own_message():
    fields = list(_typed_numbers())
    assert len(fields) >= 10
    for model, field in fields:
        money = isinstance(field, models.DecimalField) and field.decimal_places == 2
        ceiling = MONEY_LIMIT if money and field.max_digits == 10 else 1000
        maxima = [
            v
            for v in field.validators
            if isinstance(v, MaxValueValidator) and v.limit_value < ceiling
        ]
        assert maxima, (
            f"{model.__name__}.{field.name}: add a MaxValueValidator with the domain's limit"
        )
        assert all("Ensure this value" not in str(v.message) for v in maxima), (
            f"{model.__name__}.{field.name}: say the limit plainly"
        )


@pytest.mark.parametrize("name", ["needles_out", "needles_back"])
def test_a_needle_count_over_200_is_refused_plainly(name):
    field = Visit._meta.get_field(name)
    field.clean(200, None)
    with pytest.raises(ValidationError) as refused:
        field.clean(201, None)
    assert refused.value.messages == ["A visit uses at most 200 needles: check the count."]


def test_insertions_over_30_are_refused_plainly():
    with pytest.raises(ValidationError, match="at most 30 insertions"):
        NeedlingSite._meta.get_field("insertions").clean(31, None)


def test_a_course_of_a_thousand_visits_is_refused_plainly(db):
    form = CourseForm(data={"planned_min": 8, "planned_max": 1000})
    assert not form.is_valid()
    assert form.errors["planned_max"] == ["Plan at most 60 visits in a course."]


def test_the_audit_filter_s_patient_number_has_a_plain_message(db):
    form = AuditFilterForm(data={"patient": "9" * 20})
    assert not form.is_valid()
    assert form.errors["patient"] == ["No patient has a number that large."]


@pytest.mark.parametrize("name", ["nprs_before", "nprs_after"])
def test_the_nprs_inputs_tell_the_browser_the_zero_to_ten_range(name):
    # Found by the newcomer run: the server refused 11, but the input allowed it.
    attrs = NoteForm().fields[name].widget.attrs
    assert (attrs["min"], attrs["max"]) == (0, 10)
