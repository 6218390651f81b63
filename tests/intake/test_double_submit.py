"""Check-then-insert paths create one record however often, and however fast, they are sent."""

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import once
from intake import services
from intake.models import ConsentText, Intake, IntakeInvitation, Patient
from tests.factories import PatientFactory

NEW = {
    "legal_first_name": "Aoife",
    "legal_last_name": "O’Donnell",
    "date_of_birth": "1984-06-30",
    "sex": "female",
    "province": "AB",
    "email": "",
}
TOKEN = "t" * 32


@pytest.fixture
def desk(client_for, front_desk):
    return client_for(front_desk)


def create(client, **changes):
    return client.post(reverse("intake:patient-create"), {**NEW, **changes})


class TestOneTimeToken:
    def test_the_new_patient_form_carries_a_token(self, desk):
        page = desk.get(reverse("intake:patient-create")).content.decode()
        assert f'name="{once.FIELD}"' in page

    def test_a_resent_form_lands_on_the_patient_created_the_first_time(self, desk):
        first = create(desk, form_token=TOKEN)
        again = create(desk, form_token=TOKEN, legal_first_name="Aoife (again)")
        patient = Patient.objects.get()
        assert first.url == again.url == reverse("intake:patient-detail", args=[patient.pk])
        page = desk.get(again.url).content.decode()
        assert "already sent and saved" in page

    def test_a_refused_submission_does_not_spend_the_token(self, desk):
        PatientFactory(
            legal_first_name="Aoife", legal_last_name="ODonnell", date_of_birth="1984-06-30"
        )
        warned = create(desk, form_token=TOKEN)
        assert "Possibly already registered" in warned.content.decode()
        assert f'value="{TOKEN}"' in warned.content.decode()  # the re-shown form keeps it
        confirmed = create(desk, form_token=TOKEN, confirm_not_duplicate="on")
        assert confirmed.status_code == 302
        assert Patient.objects.count() == 2

    def test_resending_the_intake_link_form_sends_one_link(self, desk, mailoutbox):
        patient = PatientFactory(email="aoife@example.com")
        url = reverse("intake:intake-send", args=[patient.pk])
        with_token = {once.FIELD: TOKEN}
        desk.post(url, with_token)
        again = desk.post(url, with_token)
        assert again.url == reverse("intake:patient-detail", args=[patient.pk])
        assert IntakeInvitation.objects.filter(intake__patient=patient).count() == 1

    def test_quick_create_at_booking_is_once_per_token(self, desk):
        url = reverse("sessions:appointment-new")
        first = desk.post(url, {**NEW, once.FIELD: TOKEN})
        again = desk.post(url, {**NEW, once.FIELD: TOKEN})
        patient = Patient.objects.get()
        assert f"patient={patient.pk}" in first.url
        assert again.url == first.url

    def test_someone_elses_token_reveals_nothing(self, client_for, desk, physio):
        create(desk, form_token=TOKEN)
        other = client_for(physio).post(
            reverse("intake:patient-create"),
            {**NEW, "legal_first_name": "Other", "form_token": TOKEN},
        )
        assert other.url == reverse("intake:patient-list")
        assert Patient.objects.count() == 1


class TestDuplicateCheckWithoutToken:
    def test_the_same_person_sent_twice_warns_the_second_time(self, desk):
        create(desk)
        second = create(desk, legal_last_name="O'Donnell")
        assert "Possibly already registered" in second.content.decode()
        assert Patient.objects.count() == 1

    def test_the_confirmation_box_shows_only_after_a_possible_duplicate(self, desk):
        empty = desk.get(reverse("intake:patient-create")).content.decode()
        assert "This is a different person" not in empty
        create(desk)
        warned = create(desk).content.decode()
        assert "This is a different person" in warned


def test_one_unrevoked_link_per_intake_is_a_database_rule(db):
    patient = PatientFactory()
    intake = Intake.objects.create(patient=patient)
    common = dict(intake=intake, email="a@example.com", expires_at="2099-01-01T00:00Z")
    IntakeInvitation.objects.create(nonce="a", **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeInvitation.objects.create(nonce="b", **common)


def signed_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="test", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def at_once(calls) -> list:
    """Run the calls in threads released together; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list = []

    def run(call):
        close_old_connections()
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRacesOnPostgres:
    def test_three_identical_posts_at_once_create_one_patient(self, front_desk):
        clients = [signed_in_client(front_desk) for _ in range(3)]
        responses = at_once([lambda c=c: create(c, form_token=TOKEN) for c in clients])
        patient = Patient.objects.get()
        detail = reverse("intake:patient-detail", args=[patient.pk])
        assert [r.status_code for r in responses] == [302, 302, 302]
        assert {r.url for r in responses} == {detail}

    def test_three_posts_with_different_tokens_create_one_patient_and_warn(self, front_desk):
        clients = [signed_in_client(front_desk) for _ in range(3)]
        calls = [lambda c=c, i=i: create(c, form_token=f"{i}" * 20) for i, c in enumerate(clients)]
        responses = at_once(calls)
        assert Patient.objects.count() == 1
        assert sorted(r.status_code for r in responses) == [200, 200, 302]
        warned = [r for r in responses if r.status_code == 200]
        assert all("Possibly already registered" in r.content.decode() for r in warned)

    def test_two_bookings_at_once_send_one_intake_link(self, front_desk, mailoutbox):
        patient = PatientFactory(email="aoife@example.com")
        results = at_once(
            [
                lambda: services.intake_invite_unless_open(patient=patient, sent_by=front_desk)
                for _ in range(2)
            ]
        )
        assert sorted(r is None for r in results) == [False, True], results
        assert IntakeInvitation.objects.filter(intake__patient=patient).count() == 1
        assert Intake.objects.filter(patient=patient).count() == 1


def test_quick_create_at_booking_warns_of_an_apostrophe_variant(desk):
    PatientFactory(
        legal_first_name="Aoife", legal_last_name="O'Donnell", date_of_birth="1984-06-30"
    )
    response = desk.post(reverse("sessions:appointment-new"), NEW)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Possibly already registered" in page and "This is a different person" in page
    assert Patient.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_consent_versions_published_at_once_get_distinct_numbers():
    ConsentText.objects.all().delete()
    results = at_once([lambda i=i: ConsentText.objects.create(body=f"v{i}") for i in range(4)])
    assert all(isinstance(r, ConsentText) for r in results), results
    assert sorted(ConsentText.objects.values_list("version", flat=True)) == [1, 2, 3, 4]
