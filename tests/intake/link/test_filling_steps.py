"""The patient fills the intake step by step: resuming, keeping what was typed, and the
messages for answers that cannot be kept."""

import pytest

from intake.models import HealthUpdate, Intake
from tests.intake.link.conftest import STEP_DATA, step_url


def test_link_opens_the_first_step_then_resumes_where_the_patient_stopped(client, link):
    assert client.get(link).url == step_url(link, "visit")
    client.post(step_url(link, "visit"), STEP_DATA["visit"])
    client.post(step_url(link, "nerve"), STEP_DATA["nerve"])
    assert client.get(link).url == step_url(link, "history")


def test_saving_a_step_costs_the_same_queries_with_a_long_history(
    client, link, patient, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8) as first:  # 5-6, + savepoints and the audit lock
        client.post(step_url(link, "visit"), STEP_DATA["visit"])
    queries = len(first.captured_queries)  # read now: each request resets the log
    for n in range(2, 12):  # earlier intakes and health updates of a long-standing patient
        Intake.objects.create(patient=patient, number=100 + n, status=Intake.Status.SUBMITTED)
        HealthUpdate.objects.create(patient=patient, source="visit")
    with django_assert_max_num_queries(queries):
        response = client.post(step_url(link, "nerve"), STEP_DATA["nerve"])
    assert response.status_code == 302


def test_invalid_step_keeps_what_was_typed_even_after_closing(client, link, invitation):
    data = {**STEP_DATA["visit"], "onset_date": "2099-01-01", "reason": "Sore <b>neck</b>"}
    response = client.post(step_url(link, "visit"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The start date cannot be in the future." in page
    assert "Sore &lt;b&gt;neck&lt;/b&gt;" in page
    # Reopening the link later shows the same typing and the same message.
    page = client.get(step_url(link, "visit")).content.decode()
    assert "Sore &lt;b&gt;neck&lt;/b&gt;" in page
    assert "The start date cannot be in the future." in page
    assert "visit" not in Intake.objects.get().answers


def test_best_pain_above_worst_is_explained(client, link):
    response = client.post(step_url(link, "visit"), {**STEP_DATA["visit"], "pain_best": "9"})
    assert "cannot be higher than at its worst" in response.content.decode()


def test_over_long_text_gets_a_message(client, link):
    response = client.post(step_url(link, "visit"), {**STEP_DATA["visit"], "reason": "x" * 2001})
    assert "at most 2000 characters" in response.content.decode()


@pytest.mark.parametrize(
    "day, message",
    [("1950-01-01", "before your date of birth"), ("2099-01-01", "more than a year ahead")],
)
def test_absurd_surgery_dates_are_refused(client, link, day, message):
    data = {**STEP_DATA["surgeries"], "surgeries-0-date": day}
    assert message in client.post(step_url(link, "surgeries"), data).content.decode()


def test_surgery_without_date_is_explained(client, link):
    data = {**STEP_DATA["surgeries"], "surgeries-0-date": ""}
    assert "Please give the date" in client.post(step_url(link, "surgeries"), data).content.decode()


def test_broken_formset_data_is_not_a_server_error(client, link):
    response = client.post(step_url(link, "surgeries"), {"surgeries-TOTAL_FORMS": "x"})
    assert response.status_code == 200


def test_save_and_add_another_keeps_rows(client, link):
    response = client.post(step_url(link, "surgeries"), {**STEP_DATA["surgeries"], "add_row": "1"})
    assert response.url == step_url(link, "surgeries")
    page = client.get(step_url(link, "surgeries")).content.decode()
    assert 'value="Knee arthroscopy"' in page
    assert "surgeries-1-date" in page


def test_finish_later_confirms_the_save(client, link):
    response = client.post(step_url(link, "nerve"), {**STEP_DATA["nerve"], "later": "1"})
    assert "Your answers are saved" in response.content.decode()
    assert "nerve" in Intake.objects.get().answers


EVERY_FIELD = {
    "visit": {**STEP_DATA["visit"], "goals": "Lift my child", "worse_with": "Sitting"},
    "nerve": STEP_DATA["nerve"],
    "history": {**STEP_DATA["history"], "allergies": "Latex"},
    # No earlier treatment ticked, yet an experience described: both are kept.
    "needles": {
        "pregnancy": "not_applicable",
        "needle_fear": "some",
        "previous_experience": "Fainted once at a blood test",
    },
}


@pytest.mark.parametrize("step", EVERY_FIELD)
def test_every_answer_typed_on_a_step_is_kept(client, link, step):
    response = client.post(step_url(link, step), EVERY_FIELD[step])
    assert response.status_code == 302, response.content.decode()[-1500:]
    kept = Intake.objects.get().answers[step]
    for name, value in EVERY_FIELD[step].items():
        assert str(kept[name]) == value or kept[name] == value, name


def test_nprs_pain_ratings_start_empty_and_must_be_chosen(client, link):
    page = client.get(step_url(link, "visit")).content.decode()
    for name in ("pain_now", "pain_best", "pain_worst"):
        select = page[page.index(f'name="{name}"') :]
        select = select[: select.index("</select>")]
        assert '<option value="" selected>Choose 0 to 10</option>' in select
        assert '<option value="0" selected>' not in select
    data = {k: v for k, v in STEP_DATA["visit"].items() if k != "pain_now"}
    response = client.post(step_url(link, "visit"), data)
    assert "Choose a number from 0 to 10." in response.content.decode()
    assert "visit" not in Intake.objects.get().answers
