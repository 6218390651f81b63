"""The patient's check-in answers, and the alert and call-back a worrying answer raises."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.followups import selectors as followup_selectors
from sessions.followups import services as followups
from sessions.models import Alert, CallTask, ScheduledMessage
from tests.sessions.conftest import NOW, local
from tests.sessions.followups.conftest import checkin, dispatch_and_send, make_visit


class TestCheckinAnswers:
    @pytest.fixture
    def sent(self, visit):
        message = checkin(visit)
        dispatch_and_send()
        message.refresh_from_db()
        return message

    def url(self, message):
        return followups.checkin_link(message).removeprefix("http://127.0.0.1:8000")

    ANSWER = {"soreness": "4", "compared": "expected", "comment": "Stiff but fine"}

    def test_a_calm_answer_is_kept_without_alert(self, client, sent):
        response = client.post(self.url(sent), self.ANSWER)
        assert "your answers are with the clinic" in response.content.decode()
        assert sent.answers.get().soreness == 4
        assert not Alert.objects.exists()
        assert AuditEvent.objects.filter(role="patient", action="create").exists()

    def test_answering_again_updates_and_keeps_history(self, client, sent):
        client.post(self.url(sent), self.ANSWER)
        page = client.get(self.url(sent)).content.decode()
        assert "You have answered before" in page and "Stiff but fine" in page
        client.post(self.url(sent), {**self.ANSWER, "soreness": "2"})
        assert list(sent.answers.values_list("soreness", flat=True)) == [2, 4]

    def test_answering_costs_the_same_queries_however_many_answers_came_before(
        self, client, sent, django_assert_max_num_queries
    ):
        client.post(self.url(sent), self.ANSWER)
        # 7 (the visit lock and the answer count included), + savepoints and the audit lock
        with django_assert_max_num_queries(10) as first:
            client.post(self.url(sent), self.ANSWER)
        queries = len(first.captured_queries)  # read now: each request resets the log
        for soreness in range(10):
            client.post(self.url(sent), {**self.ANSWER, "soreness": str(soreness)})
        with django_assert_max_num_queries(queries):
            response = client.post(self.url(sent), self.ANSWER)
        assert "your answers are with the clinic" in response.content.decode()
        assert sent.answers.count() == 13

    def test_a_red_flag_alerts_the_physio_and_asks_front_desk_to_call(
        self, client, sent, physio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.url(sent), {**self.ANSWER, "red_flags": ["fever"]})
        assert "the clinic will call you" in response.content.decode()
        alert = Alert.objects.get()
        assert alert.physio == physio
        assert CallTask.objects.get().patient == sent.patient
        (email,) = [m for m in mail.outbox if m.to == [physio.email]]
        assert "/alerts/" in email.body and sent.patient.legal_last_name not in email.body

    def test_soreness_of_eight_alerts(self, client, sent):
        client.post(self.url(sent), {**self.ANSWER, "soreness": "8"})
        assert Alert.objects.count() == 1

    def test_seven_does_not(self, client, sent):
        client.post(self.url(sent), {**self.ANSWER, "soreness": "7"})
        assert not Alert.objects.exists()

    def test_physio_sees_and_acknowledges_the_alert(self, client, client_for, sent, physio):
        client.post(self.url(sent), {**self.ANSWER, "red_flags": ["numbness_weakness"]})
        staff = client_for(physio)
        home = staff.get(reverse("home")).content.decode()
        assert "Check-ins needing attention" in home
        alert = Alert.objects.get()
        page = staff.get(reverse("sessions:alert", args=[alert.pk])).content.decode()
        assert "New numbness or weakness" in page
        response = staff.post(
            reverse("sessions:alert", args=[alert.pk]), {"action_taken": "Called; seen today"}
        )
        assert response.status_code == 302
        alert.refresh_from_db()
        assert (alert.acknowledged_by, alert.action_taken) == (physio, "Called; seen today")
        assert "Check-ins needing attention" not in staff.get(reverse("home")).content.decode()

    def test_front_desk_gets_a_call_task_without_clinical_detail(
        self, client, client_for, sent, front_desk
    ):
        client.post(
            self.url(sent),
            {**self.ANSWER, "soreness": "9", "red_flags": ["fever"], "comment": "Hot knee"},
        )
        desk = client_for(front_desk)
        home = desk.get(reverse("home")).content.decode()
        assert "Patients to call" in home and sent.patient.legal_last_name in home
        for detail in ("Fever", "9/10", "Hot knee", "soreness"):
            assert detail not in home
        alert = Alert.objects.get()
        assert desk.get(reverse("sessions:alert", args=[alert.pk])).status_code == 403
        task = CallTask.objects.get()
        desk.post(reverse("sessions:call-done", args=[task.pk]), {"note": "Left a message"})
        task.refresh_from_db()
        assert task.done_by == front_desk

    def test_the_link_expires_after_seven_days(self, client, sent, frozen_now):
        frozen_now.shift(timedelta(days=7, seconds=1))
        assert client.get(self.url(sent)).status_code == 404

    def test_a_tampered_or_unsent_link_is_refused(self, client, visit):
        unsent = checkin(visit, due_at=NOW + timedelta(days=1))
        assert client.get(self.url(unsent)).status_code == 404
        assert client.get(reverse("sessions:checkin", args=["x"])).status_code == 404

    def test_soreness_starts_empty_and_must_be_chosen(self, client, sent):
        page = client.get(self.url(sent)).content.decode()
        select = page[page.index('name="soreness"') :]
        select = select[: select.index("</select>")]
        assert '<option value="" selected>Choose 0 to 10</option>' in select
        response = client.post(self.url(sent), {"compared": "expected"})
        assert "Choose a number from 0 to 10." in response.content.decode()
        assert not sent.answers.exists()

    def test_out_of_range_answers_get_messages(self, client, sent):
        response = client.post(self.url(sent), {"soreness": "11", "compared": "nope"})
        page = response.content.decode()
        assert response.status_code == 200 and "Select a valid choice" in page

    RED_FLAG = {**ANSWER, "red_flags": ["fever"]}

    def test_a_worrying_answer_given_twice_keeps_one_alert_call_and_email(
        self, client, sent, physio, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(self.url(sent), self.RED_FLAG)
            client.post(self.url(sent), {**self.RED_FLAG, "soreness": "9"})
        alert = Alert.objects.get()
        assert alert.answer == sent.answers.first()  # the latest, soreness 9
        assert alert.answer.soreness == 9
        assert CallTask.objects.count() == 1
        assert len([m for m in mail.outbox if m.to == [physio.email]]) == 1

    def test_the_two_checkins_of_a_visit_share_its_open_alert(self, client, sent, visit):
        later = checkin(visit, key=f"checkin:{visit.pk}:48h", due_at=NOW)
        dispatch_and_send()
        later.refresh_from_db()
        client.post(self.url(sent), self.RED_FLAG)
        client.post(self.url(later), {**self.ANSWER, "soreness": "8"})
        alert = Alert.objects.get()
        assert alert.answer.message == later
        assert CallTask.objects.count() == 1

    def test_the_alert_page_keeps_an_earlier_red_flag_in_view(
        self, client, client_for, sent, physio
    ):
        client.post(self.url(sent), self.RED_FLAG)
        client.post(self.url(sent), {**self.ANSWER, "soreness": "9"})
        alert = Alert.objects.get()
        page = client_for(physio).get(reverse("sessions:alert", args=[alert.pk])).content
        assert "Fever or chills" in page.decode()

    def test_a_worrying_answer_after_acknowledgement_opens_a_new_alert_but_no_second_call(
        self, client, client_for, sent, physio
    ):
        client.post(self.url(sent), self.RED_FLAG)
        first = Alert.objects.get()
        followups.alert_acknowledge(alert=first, by=physio, action_taken="Advice by email")
        client.post(self.url(sent), {**self.ANSWER, "soreness": "9"})
        assert Alert.objects.count() == 2
        assert Alert.objects.filter(acknowledged_at__isnull=True).get().answer.soreness == 9
        assert CallTask.objects.filter(done_at__isnull=True).count() == 1

    def test_the_database_refuses_a_second_open_alert_for_a_visit(self, client, sent, visit):
        client.post(self.url(sent), self.RED_FLAG)
        client.post(self.url(sent), self.ANSWER)
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(answer=sent.answers.first(), visit=visit, physio=visit.author)

    def test_a_link_takes_at_most_the_configured_number_of_answers(self, client, sent, settings):
        settings.CHECKIN_MAX_ANSWERS = 3
        for soreness in ("1", "2", "3"):
            client.post(self.url(sent), {**self.ANSWER, "soreness": soreness})
        response = client.post(self.url(sent), {**self.ANSWER, "comment": "Much worse now"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "answered as many times as it can be" in page and "call the clinic" in page
        assert "Much worse now" in page  # what the patient typed is still in the form
        assert sent.answers.count() == 3
        assert "answered as many times" in client.get(self.url(sent)).content.decode()

    def test_response_rate(self, client, sent, physio):
        assert followup_selectors.checkin_response_rate(physio) == (0, 1)
        client.post(self.url(sent), self.ANSWER)
        assert followup_selectors.checkin_response_rate(physio) == (1, 1)


def test_acknowledging_after_speaking_to_the_patient_closes_the_call(
    client, client_for, visit, physio, front_desk
):
    message = checkin(visit)
    dispatch_and_send()
    message.refresh_from_db()
    client.post(
        followups.checkin_link(message).removeprefix("http://127.0.0.1:8000"),
        {"soreness": "9", "compared": "worse"},
    )
    alert = Alert.objects.get()
    response = client_for(physio).post(
        reverse("sessions:alert", args=[alert.pk]),
        {"action_taken": "Phoned, advice given", "call_handled": "on"},
    )
    assert response.status_code == 302, response.content.decode()[-800:]
    task = CallTask.objects.get()
    assert task.done_by == physio and "spoke to the patient" in task.note
    assert "Patients to call" not in client_for(front_desk).get(reverse("home")).content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_worrying_answers_at_once_raise_one_alert(physio, patient, location, treatment):
    visit = make_visit(physio, patient, location, treatment, local(2026, 11, 20, 9, 30))
    message = checkin(visit, status=ScheduledMessage.Status.SENT, sent_at=NOW)
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def run(soreness):
        close_old_connections()
        try:
            barrier.wait()
            followups.checkin_answer(
                message=ScheduledMessage.objects.get(pk=message.pk),
                soreness=soreness,
                compared="worse",
                bruising=False,
                red_flags=["fever"],
                comment="",
            )
        except Exception as exc:  # collected: the test fails on any
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in (8, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert message.answers.count() == 2
    assert Alert.objects.count() == 1 and CallTask.objects.count() == 1
