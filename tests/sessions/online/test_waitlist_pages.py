"""The wait list's pages: joining (a new person, a signed-in patient, from a visit
link), one's own entry and offers by their links, and the front desk's list, add and
edit pages; who may use which, and links reaching only their own row."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from clinic.links import make_token
from clinic.models import AuditEvent
from clinic.roles import Role
from sessions.booking.models import Appointment
from sessions.online import services, waitlist
from sessions.online.models import WaitListEntry, WaitListOffer
from tests.factories import AppointmentFactory, PatientFactory, UserFactory, clinic_time
from tests.sessions.online.waitlist_world import MONDAY, NOW, entry_for, online_clinic

pytestmark = pytest.mark.django_db

TEN = clinic_time(2026, 12, 7, 10)


@pytest.fixture
def clinic():
    return online_clinic()


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def wishes(**extra):
    return {
        "practitioner": "any",
        "earliest": "2026-12-02",
        "latest": "2026-12-20",
        "weekdays": ["0", "2"],
        "time_of_day": "morning",
        **extra,
    }


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def offers_of_ten(clinic):
    return waitlist.slot_offer(
        location_id=clinic.location.pk, practitioner_id=clinic.physio.pk, start=TEN, now=NOW
    )


# Joining ------------------------------------------------------------------------------


def test_a_new_person_joins_for_an_assessment_and_gets_their_entry_link(
    client, clinic, django_capture_on_commit_callbacks
):
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.assessment.pk])
    data = wishes(first_name="Ann", last_name="New", email="Ann@Example.com", phone="403")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert b"You are on the wait list" in response.content
    entry = WaitListEntry.objects.get()
    assert (entry.patient, entry.email, entry.weekdays) == (None, "ann@example.com", [0, 2])
    assert entry.source == WaitListEntry.Source.ONLINE
    (sent,) = mail.outbox
    assert "/w/" in sent.body
    assert AuditEvent.objects.filter(action="create", role="patient").exists()


def test_a_new_person_cannot_join_for_a_returning_patients_service(client, clinic):
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.follow_up.pk])
    response = client.post(url, wishes(first_name="A", last_name="B", email="a@example.com"))
    assert b"Sign in" in response.content
    assert not WaitListEntry.objects.exists()


def test_a_signed_in_patient_joins_without_typing_their_details(client, clinic):
    patient = PatientFactory()
    session = client.session
    session["online_patient"] = {"id": patient.pk, "at": (NOW - timedelta(minutes=29)).isoformat()}
    session.save()
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.follow_up.pk])
    client.post(url, wishes(practitioner=str(clinic.physio.pk)))
    entry = WaitListEntry.objects.get()
    assert (entry.patient, entry.practitioner, entry.first_name) == (patient, clinic.physio, "")


@pytest.mark.parametrize(
    "stored",
    [
        {"id": 1, "at": (NOW - timedelta(minutes=31)).isoformat()},
        {"id": "x", "at": NOW.isoformat()},
        {"id": 1, "at": "yesterday"},
        {"id": 1, "at": "2026-12-01T08:00:00"},  # naive
        ["not", "a", "dict"],
        "garbage",
    ],
)
def test_a_stale_or_malformed_sign_in_counts_as_nobody(client, clinic, stored):
    PatientFactory()
    session = client.session
    session["online_patient"] = stored
    session.save()
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.follow_up.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_a_patient_joins_from_their_visit_link(client, clinic):
    visit = AppointmentFactory(
        practitioner=clinic.physio, location=clinic.location, type=clinic.follow_up, start=TEN
    )
    token = token_of(services.visit_link(visit))
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.follow_up.pk])
    client.post(url, wishes(visit=token))
    assert WaitListEntry.objects.get().patient == visit.patient


def test_join_refuses_a_location_or_service_not_online(client, clinic):
    clinic.follow_up.bookable_online = False
    clinic.follow_up.save()
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.follow_up.pk])
    assert client.get(url).status_code == 404


def test_join_with_bad_dates_keeps_what_was_typed(client, clinic):
    url = reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.assessment.pk])
    data = wishes(first_name="Ann", last_name="New", email="ann@example.com", latest="2026-12-01")
    data["earliest"] = "2026-12-05"
    response = client.post(url, data)
    assert response.status_code == 200
    assert b'value="Ann"' in response.content
    assert not WaitListEntry.objects.exists()


# Own entry and offers ------------------------------------------------------------------


def test_the_person_leaves_the_list_with_their_entry_link(client, clinic):
    entry = entry_for(clinic, PatientFactory())
    url = reverse("sessions:waitlist-entry", args=[token_of(waitlist.entry_link(entry))])
    assert b"Leave the wait list" in client.get(url).content
    client.post(url)
    entry.refresh_from_db()
    assert entry.status == WaitListEntry.Status.REMOVED


def test_an_offer_is_accepted_on_its_page_and_the_other_gets_the_taken_page(client, clinic):
    entry_for(clinic, PatientFactory())
    entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    first, second = offers_of_ten(clinic)
    first_url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(first))])
    second_url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(second))])
    assert b"Accept this time" in client.get(first_url).content
    booked = client.post(first_url, {"answer": "accept"})
    assert b"You are booked" in booked.content
    assert b"/v/" in booked.content
    taken = client.post(second_url, {"answer": "accept"})
    assert b"this time was taken" in taken.content
    assert b"this time was taken" in client.get(second_url).content
    assert Appointment.objects.get().patient == first.entry.patient
    event = AuditEvent.objects.filter(
        object_type="treatment_sessions.waitlistoffer", object_id=str(first.pk), action="update"
    ).get()
    assert (event.role, event.patient) == ("patient", first.entry.patient)


def test_an_offer_declined_on_its_page(client, clinic):
    entry_for(clinic, PatientFactory())
    (offer,) = offers_of_ten(clinic)
    url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(offer))])
    assert b"Thank you" in client.post(url, {"answer": "decline"}).content
    offer.refresh_from_db()
    assert offer.status == WaitListOffer.Status.DECLINED
    assert client.post(url, {"answer": "accept"}).status_code == 200
    assert not Appointment.objects.exists()


def test_links_reach_only_their_own_entry_and_offer(client, clinic):
    mine = entry_for(clinic, PatientFactory())
    theirs = entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    my_offer, their_offer = offers_of_ten(clinic)
    forged_entry = make_token(waitlist.ENTRY_PURPOSE, mine.pk, theirs.nonce)
    forged_offer = make_token(waitlist.OFFER_PURPOSE, my_offer.pk, their_offer.nonce)
    wrong_purpose = make_token(waitlist.ENTRY_PURPOSE, my_offer.pk, my_offer.nonce)
    assert client.post(reverse("sessions:waitlist-entry", args=[forged_entry])).status_code == 404
    for token in (forged_offer, wrong_purpose, "nonsense"):
        response = client.post(reverse("sessions:offer", args=[token]), {"answer": "accept"})
        assert response.status_code == 404
    assert not Appointment.objects.exists()
    mine.refresh_from_db()
    assert mine.status == WaitListEntry.Status.WAITING


# Front desk ----------------------------------------------------------------------------


def test_front_desk_sees_who_was_offered_what_and_when(client_for, front_desk, clinic):
    entry = entry_for(clinic, PatientFactory(legal_last_name="Waitington"))
    offers_of_ten(clinic)
    other = online_clinic_elsewhere()
    entry_for(clinic, PatientFactory(legal_last_name="Elsewhere"), location=other)
    page = client_for(front_desk).get(reverse("sessions:waitlist"))
    assert b"Waitington" in page.content and b"Elsewhere" in page.content
    assert b"Offered" in page.content
    filtered = client_for(front_desk).get(
        reverse("sessions:waitlist"), {"location": clinic.location.pk}
    )
    assert b"Waitington" in filtered.content and b"Elsewhere" not in filtered.content
    assert entry.offers.count() == 1


def online_clinic_elsewhere():
    return AppointmentFactory(start=clinic_time(2026, 12, 8, 9)).location


def test_the_list_s_queries_do_not_grow_with_entries(
    client_for, front_desk, clinic, django_assert_max_num_queries
):
    client = client_for(front_desk)
    for i in range(3):
        entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=i))
    offers_of_ten(clinic)
    client.get(reverse("sessions:waitlist"))  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("sessions:waitlist"))
    for i in range(12):
        entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(hours=1, minutes=i))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("sessions:waitlist"))


def test_a_physio_may_not_use_the_wait_list_pages(client_for, physio, clinic):
    entry = entry_for(clinic, PatientFactory())
    client = client_for(physio)
    for url in (
        reverse("sessions:waitlist"),
        reverse("sessions:waitlist-new"),
        reverse("sessions:waitlist-edit", args=[entry.pk]),
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("sessions:waitlist-edit", args=[entry.pk]), {"remove": "1"}).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.status == WaitListEntry.Status.WAITING


def test_front_desk_adds_a_patient_found_by_search(client_for, front_desk, clinic):
    patient = PatientFactory(legal_last_name="Findable")
    client = client_for(front_desk)
    found = client.get(reverse("sessions:waitlist-new"), {"q": "Findable"})
    assert f"?patient={patient.pk}".encode() in found.content
    data = wishes(
        patient=patient.pk,
        location=clinic.location.pk,
        type=clinic.follow_up.pk,
        priority=3,
        note="Prefers mornings",
    )
    response = client.post(reverse("sessions:waitlist-new") + f"?patient={patient.pk}", data)
    assert response.status_code == 302
    entry = WaitListEntry.objects.get()
    assert (entry.patient, entry.priority, entry.source, entry.created_by) == (
        patient,
        3,
        WaitListEntry.Source.FRONT_DESK,
        front_desk,
    )


def test_front_desk_edits_and_removes_an_entry(client_for, front_desk, clinic):
    entry = entry_for(clinic, PatientFactory())
    client = client_for(front_desk)
    url = reverse("sessions:waitlist-edit", args=[entry.pk])
    assert client.post(url, wishes(priority=7, note="")).status_code == 302
    entry.refresh_from_db()
    assert (entry.priority, entry.time_of_day) == (7, "morning")
    assert client.post(url, {"remove": "1"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitListEntry.Status.REMOVED


def test_admin_may_use_the_wait_list(client_for, clinic):
    admin = UserFactory(username="clinicadmin", role=Role.ADMIN)
    assert client_for(admin).get(reverse("sessions:waitlist")).status_code == 200


def test_front_desk_entry_dates_must_make_sense(client_for, front_desk, clinic):
    entry = entry_for(clinic, PatientFactory())
    response = client_for(front_desk).post(
        reverse("sessions:waitlist-edit", args=[entry.pk]),
        wishes(priority=1, earliest="2026-12-10", latest="2026-12-09"),
    )
    assert response.status_code == 200
    entry.refresh_from_db()
    assert (entry.priority, entry.latest) == (0, MONDAY + timedelta(days=3))


def test_the_add_page_survives_any_patient_asked_for(client_for, front_desk, clinic):
    client = client_for(front_desk)
    for raw in ("²", "99999999999999999999", "-1", "abc", ""):
        assert client.get(reverse("sessions:waitlist-new"), {"patient": raw}).status_code == 200
