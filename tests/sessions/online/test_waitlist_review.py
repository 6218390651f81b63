"""Review fixes of the wait list and the online sign-in (issue 17): who a visit link
proves, the one sign-in rule, audit of a booking from the wait list, the lock, mail from
the worker (a mail server's failure is no error page), offers inside the minimum
notice, new hours offered to the list, the front desk's list, and link lifetimes."""

import smtplib
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import RequestFactory
from django.urls import reverse

from clinic import emails, locks
from clinic.models import AuditEvent
from clinic.roles import Role
from sessions.booking import services as booking
from sessions.booking.models import Appointment, TimeOff, WorkingHours
from sessions.online import services, signin, visits, waitlist
from sessions.online.models import (
    EmailCheck,
    OnlineBookingPolicy,
    SlotHold,
    WaitListEntry,
    WaitListOffer,
)
from tests.factories import AppointmentFactory, PatientFactory, UserFactory, clinic_time
from tests.sessions.online.waitlist_world import MONDAY, NOW, entry_for, online_clinic

pytestmark = pytest.mark.django_db

TEN = clinic_time(2026, 12, 7, 10)


@pytest.fixture
def clinic():
    return online_clinic()


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def offers_of_ten(clinic, now=NOW):
    return waitlist.slot_offer(
        location_id=clinic.location.pk, practitioner_id=clinic.physio.pk, start=TEN, now=now
    )


def join_url(clinic):
    return reverse("sessions:waitlist-join", args=[clinic.location.pk, clinic.follow_up.pk])


WISHES = {
    "practitioner": "any",
    "earliest": "2026-12-02",
    "latest": "2026-12-20",
    "time_of_day": "any",
}


@pytest.fixture
def smtp_down(monkeypatch):
    """Every message fails as a refused connection to the mail server would; counts tries."""
    tries = []

    def refuse(self, messages):
        tries.append(len(messages))
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    return tries


# 2. Who a visit link proves ------------------------------------------------------------


def _visit(clinic, start, **fields):
    return AppointmentFactory(
        practitioner=clinic.physio,
        location=clinic.location,
        type=clinic.follow_up,
        start=start,
        **fields,
    )


def test_a_future_booked_visit_s_link_proves_the_patient(client, clinic):
    visit = _visit(clinic, TEN)
    client.post(join_url(clinic), {**WISHES, "visit": token_of(services.visit_link(visit))})
    assert WaitListEntry.objects.get().patient == visit.patient


@pytest.mark.parametrize("case", ["past visit", "cancelled by the clinic", "cancelled long ago"])
def test_a_visit_link_that_no_longer_proves_who_you_are_asks_to_sign_in(
    client, clinic, case, pinned
):
    if case == "past visit":
        visit = _visit(clinic, NOW - timedelta(days=2))
    else:
        visit = _visit(clinic, TEN)
        reason = "Clinic closed" if case == "cancelled by the clinic" else visits.CANCEL_REASON
        booking.appointment_cancel(appointment=visit, reason=reason, now=NOW)
    if case == "cancelled long ago":
        pinned.shift(timedelta(days=8))
    token = token_of(services.visit_link(visit))
    response = client.post(join_url(clinic), {**WISHES, "visit": token})
    assert response.status_code == 200 and b"Sign in" in response.content
    assert not WaitListEntry.objects.exists()


def test_a_visit_the_patient_cancelled_this_week_still_proves_them(client, clinic, pinned):
    visit = _visit(clinic, TEN)
    visits.visit_cancel_self(appointment=visit, now=NOW)
    pinned.shift(timedelta(days=6))
    token = token_of(services.visit_link(visit))
    client.post(join_url(clinic), {**WISHES, "earliest": "2026-12-08", "visit": token})
    assert WaitListEntry.objects.get().patient == visit.patient


@pytest.mark.parametrize(
    "at",
    [
        "2026-12-01T08:00:00",  # naive
        (NOW + timedelta(minutes=5)).isoformat(),  # in the future
        "not a time",
        None,
    ],
)
def test_session_patient_treats_a_naive_future_or_malformed_time_as_nobody(at):
    patient = PatientFactory()
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.session[signin.SESSION_KEY] = {"id": patient.pk, "at": at}
    assert signin.session_patient(request, now=NOW) is None
    assert signin.SESSION_KEY not in request.session


def test_session_patient_keeps_a_fresh_sign_in():
    patient = PatientFactory()
    request = RequestFactory().get("/")
    request.session = SessionStore()
    signin.session_sign_in(request, patient, NOW - timedelta(minutes=29))
    assert signin.session_patient(request, now=NOW) == patient


# 3. Audit of a booking from the wait list ---------------------------------------------


def test_accepting_an_offer_audits_the_new_visit_and_the_new_record(client, clinic):
    entry_for(
        clinic,
        None,
        type=clinic.assessment,
        first_name="Wanda",
        last_name="Newlist",
        email="wanda@example.com",
    )
    (offer,) = offers_of_ten(clinic)
    url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(offer))])
    response = client.post(url, {"answer": "accept", "date_of_birth": "1980-02-03"})
    assert b"You are booked" in response.content
    appointment = Appointment.objects.get()
    booked = AuditEvent.objects.get(
        action="create", object_type="treatment_sessions.appointment", object_id=appointment.pk
    )
    assert (booked.role, booked.detail) == ("patient", "booked online from the wait list")
    assert booked.patient == appointment.patient
    registered = AuditEvent.objects.get(action="create", detail="registered online")
    assert (registered.role, registered.patient) == ("patient", appointment.patient)


def test_accepting_an_offer_for_a_patient_on_file_makes_no_registration_event(client, clinic):
    entry_for(clinic, PatientFactory())
    (offer,) = offers_of_ten(clinic)
    client.post(
        reverse("sessions:offer", args=[token_of(waitlist.offer_link(offer))]), {"answer": "accept"}
    )
    assert AuditEvent.objects.filter(detail="booked online from the wait list").count() == 1
    assert not AuditEvent.objects.filter(detail="registered online").exists()


# 4. One lock ----------------------------------------------------------------------------


def test_confirm_request_takes_the_one_practitioner_lock(clinic, monkeypatch):
    hold = services.hold_create(
        location=clinic.location,
        type=clinic.assessment,
        practitioner_id=clinic.physio.pk,
        start=TEN,
        patient=None,
        now=NOW,
    )
    taken = []
    monkeypatch.setattr(locks, "hold", taken.append)
    signin.confirm_request(
        hold=hold,
        first_name="Ann",
        last_name="New",
        date_of_birth=MONDAY.replace(year=1990),
        email="ann@example.com",
        phone="",
        now=NOW,
    )
    assert taken == [f"online-slot:{clinic.physio.pk}"]  # SlotHold.lock_practitioner's key


# 5. Mail from the worker ----------------------------------------------------------------


def test_the_confirmation_email_leaves_from_the_worker_with_ids_only(
    clinic, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    from sessions import tasks

    monkeypatch.setattr(tasks.online_confirm_send, "delay", lambda *a: queued.append(a))
    hold = services.hold_create(
        location=clinic.location,
        type=clinic.assessment,
        practitioner_id=clinic.physio.pk,
        start=TEN,
        patient=None,
        now=NOW,
    )
    with django_capture_on_commit_callbacks(execute=True):
        check = signin.confirm_request(
            hold=hold,
            first_name="Ann",
            last_name="New",
            date_of_birth=MONDAY.replace(year=1990),
            email="ann@example.com",
            phone="",
            now=NOW,
        )
    assert queued == [(check.pk,)] and not mail.outbox
    assert tasks.online_confirm_send.apply((check.pk,)).get() is True
    (sent,) = mail.outbox
    assert "/book/confirm/" in sent.body and sent.to == ["ann@example.com"]


def test_a_mail_server_failure_on_the_details_page_is_no_error_and_is_retried(
    client, clinic, django_capture_on_commit_callbacks, smtp_down
):
    response = client.post(
        reverse("sessions:online-slots", args=[clinic.location.pk, clinic.assessment.pk]),
        {"slot": f"{clinic.physio.pk}:{int(TEN.timestamp())}"},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    details = {
        "first_name": "Ann",
        "last_name": "New",
        "date_of_birth": "1990-01-01",
        "email": "ann@example.com",
        "phone": "403-555-0101",
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(response["Location"], details)
    assert answer.status_code == 302 and answer["Location"].endswith("/sent/")
    assert SlotHold.objects.get().status == SlotHold.Status.AWAITING
    assert EmailCheck.objects.filter(purpose=EmailCheck.Purpose.CONFIRM).exists()
    assert len(smtp_down) > 1  # tried again


def test_a_mail_server_failure_on_an_offer_decline_is_no_error(
    client, clinic, django_capture_on_commit_callbacks, smtp_down
):
    entry_for(clinic, PatientFactory())
    entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    OnlineBookingPolicy.objects.update(offers_per_slot=1)
    (offer,) = offers_of_ten(clinic)
    url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(offer))])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"answer": "decline"})
    assert response.status_code == 200 and b"Thank you" in response.content
    assert WaitListOffer.objects.filter(status=WaitListOffer.Status.OFFERED).count() == 1


def test_a_mail_server_failure_when_others_are_told_taken_is_no_error(
    client, clinic, django_capture_on_commit_callbacks, monkeypatch
):
    # Only the "taken" note fails here (booking's own mail is booking's to queue).
    tries = []

    def refuse(**kwargs):
        tries.append(kwargs["to"])
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr(emails, "waitlist_taken", refuse)
    entry_for(clinic, PatientFactory())
    entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=1))
    first, _ = offers_of_ten(clinic)
    url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(first))])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"answer": "accept"})
    assert response.status_code == 200 and b"You are booked" in response.content
    assert len(tries) > 1  # the worker tried again


def test_the_wait_list_mail_arrives_through_the_task(clinic, django_capture_on_commit_callbacks):
    entry_for(clinic, PatientFactory(email="wait@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        offers_of_ten(clinic)
    (sent,) = mail.outbox
    assert sent.to == ["wait@example.com"] and "/o/" in sent.body


# 6. Minimum notice and opened hours ----------------------------------------------------


def test_an_offer_is_answered_before_the_minimum_notice_starts(clinic):
    entry_for(clinic, PatientFactory())
    policy = OnlineBookingPolicy.get()
    OnlineBookingPolicy.objects.update(min_notice_hours=12, offer_minutes=120)
    now = TEN - timedelta(hours=13)
    (offer,) = offers_of_ten(clinic, now=now)
    assert offer.expires_at == TEN - timedelta(hours=12)
    assert offer.hold.expires_at == offer.expires_at
    assert policy.pk


def test_a_freed_slot_inside_the_minimum_notice_is_not_offered(clinic):
    entry_for(clinic, PatientFactory())
    OnlineBookingPolicy.objects.update(min_notice_hours=12)
    assert offers_of_ten(clinic, now=TEN - timedelta(hours=11)) == []
    assert not SlotHold.objects.exists()


def test_new_working_hours_offer_the_opened_time_to_the_wait_list(
    clinic, django_capture_on_commit_callbacks
):
    # Wants a Tuesday morning; the physio works only Mondays so far.
    entry = entry_for(clinic, PatientFactory(), weekdays=[1], time_of_day="morning")
    with django_capture_on_commit_callbacks(execute=True):
        WorkingHours.objects.create(
            practitioner=clinic.physio,
            location=clinic.location,
            weekday=1,
            starts=time(9),
            ends=time(12),
        )
    (offer,) = entry.offers.all()
    assert offer.hold.start == clinic_time(2026, 12, 8, 9)
    assert len(mail.outbox) == 1


def test_time_off_taken_back_offers_the_time_again(clinic, django_capture_on_commit_callbacks):
    off = TimeOff.objects.create(practitioner=clinic.physio, day=MONDAY)
    entry = entry_for(clinic, PatientFactory(), earliest=MONDAY, latest=MONDAY)
    assert waitlist.offer_opened_time(practitioner_id=clinic.physio.pk, now=NOW) == 0
    with django_capture_on_commit_callbacks(execute=True):
        off.delete()
    (offer,) = entry.offers.all()
    assert offer.hold.start == clinic_time(2026, 12, 7, 9)


def test_opened_hours_of_a_practitioner_not_online_offer_nothing(clinic):
    entry_for(clinic, PatientFactory())
    other = UserFactory(role=Role.PHYSIO)
    assert waitlist.offer_opened_time(practitioner_id=other.pk, now=NOW) == 0


# 7. The front desk's list ----------------------------------------------------------------


def test_the_list_hides_entries_past_their_last_date_unless_asked(client_for, front_desk, clinic):
    entry_for(clinic, PatientFactory(legal_last_name="Current"))
    entry_for(
        clinic,
        PatientFactory(legal_last_name="Bygone"),
        earliest=NOW.date() - timedelta(days=10),
        latest=NOW.date() - timedelta(days=1),
    )
    client = client_for(front_desk)
    page = client.get(reverse("sessions:waitlist"))
    assert b"Current" in page.content and b"Bygone" not in page.content
    page = client.get(reverse("sessions:waitlist"), {"show": "past"})
    assert b"Current" in page.content and b"Bygone" in page.content


def test_the_list_is_paged(client_for, front_desk, clinic, monkeypatch):
    from sessions.online import waitlist_pages

    monkeypatch.setattr(waitlist_pages, "ENTRIES_PER_PAGE", 2)
    for i in range(3):
        entry_for(
            clinic,
            PatientFactory(legal_last_name=f"Pager{i}"),
            created_at=NOW + timedelta(minutes=i),
        )
    client = client_for(front_desk)
    first = client.get(reverse("sessions:waitlist")).content
    second = client.get(reverse("sessions:waitlist"), {"page": "2"}).content
    assert b"Pager0" in first and b"Pager1" in first and b"Pager2" not in first
    assert b"Pager2" in second and b"Page 2 of 2" in second
    assert client.get(reverse("sessions:waitlist"), {"page": "x' OR 1"}).status_code == 200


def _offered(entry, count, at):
    for i in range(count):
        start = at + timedelta(hours=i)
        hold = SlotHold.objects.create(
            location=entry.location,
            practitioner_id=entry.location.working_hours.first().practitioner_id,
            type=entry.type,
            start=start,
            end=start + entry.type.duration,
            status=SlotHold.Status.RELEASED,
            expires_at=NOW,
            created_at=NOW,
        )
        WaitListOffer.objects.create(
            entry=entry,
            hold=hold,
            status=WaitListOffer.Status.DECLINED,
            offered_at=NOW - timedelta(hours=i),
            expires_at=NOW,
        )


def test_the_list_s_queries_do_not_grow_with_entries_or_offers(
    client_for, front_desk, clinic, django_assert_max_num_queries
):
    client = client_for(front_desk)
    _offered(entry_for(clinic, PatientFactory()), 2, datetime(2026, 11, 1, 9, tzinfo=NOW.tzinfo))
    client.get(reverse("sessions:waitlist"))  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("sessions:waitlist"))
    for i in range(8):
        entry = entry_for(clinic, PatientFactory(), created_at=NOW + timedelta(minutes=i))
        _offered(entry, 6, datetime(2026, 11, 2 + i, 9, tzinfo=NOW.tzinfo))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("sessions:waitlist"))
    shown = page.content.decode().count("Declined")
    assert shown == 2 + 8 * waitlist_pages_offers_shown()


def waitlist_pages_offers_shown():
    from sessions.online import waitlist_pages

    return waitlist_pages.OFFERS_SHOWN


# 1. Link lifetimes ------------------------------------------------------------------------


def test_an_entry_link_works_until_the_day_after_its_last_date(client, clinic, pinned):
    entry = entry_for(clinic, PatientFactory())  # latest: Thursday 10 December
    url = reverse("sessions:waitlist-entry", args=[token_of(waitlist.entry_link(entry))])
    pinned.move_to(clinic_time(2026, 12, 11, 23, 59))
    assert client.get(url).status_code == 200
    pinned.move_to(clinic_time(2026, 12, 12, 0, 1))
    assert client.get(url).status_code == 404


def test_an_entry_link_ends_once_the_entry_is_not_waiting(client, clinic):
    entry = entry_for(clinic, PatientFactory())
    url = reverse("sessions:waitlist-entry", args=[token_of(waitlist.entry_link(entry))])
    assert client.post(url).status_code == 200  # leaves the list
    assert client.get(url).status_code == 404


def test_an_offer_past_its_time_says_it_has_run_out(client, clinic, pinned):
    entry_for(clinic, PatientFactory())
    (offer,) = offers_of_ten(clinic)
    url = reverse("sessions:offer", args=[token_of(waitlist.offer_link(offer))])
    pinned.move_to(offer.expires_at)
    page = client.get(url)
    assert page.status_code == 200 and b"this offer has run out" in page.content
    assert b"Accept this time" not in page.content
    response = client.post(url, {"answer": "accept"})
    assert response.status_code == 200 and not Appointment.objects.exists()
