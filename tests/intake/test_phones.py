"""Phone numbers: read as E.164 in the clinic's region, existing phones migrated into the
mobile number, the unreadable ones listed for front desk to fix."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AuditEvent
from intake import phones
from intake.models import Patient
from tests.factories import PatientFactory

migration = importlib.import_module("intake.migrations.0012_mobile_from_phone")


# --- Reading numbers (no database) -------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["403-555-0101", "(403) 555-0101", "+1 403 555 0101", "1-403-555-0101", "+14035550101"],
)
def test_a_north_american_number_in_any_spelling_reads_as_one_e164_number(typed):
    assert phones.mobile_from_phone(typed, "CA") == "+14035550101"


def test_the_factory_s_fictional_555_numbers_are_valid():
    assert all(phones.mobile_from_phone(f"403-555-{n:04d}", "CA") for n in range(0, 10000, 97))


@pytest.mark.parametrize("typed", ["call Mary", "555-1234", "403 555 01xx", "n/a", "0", "x" * 500])
def test_text_that_is_not_a_phone_number_is_unreadable(typed):
    assert phones.is_unreadable(typed, "CA")
    assert phones.mobile_from_phone(typed, "CA") == ""


@pytest.mark.parametrize("typed", ["", "   "])
def test_a_blank_phone_is_neither_unreadable_nor_a_mobile(typed):
    assert not phones.is_unreadable(typed, "CA")
    assert phones.mobile_from_phone(typed, "CA") == ""


def test_a_number_with_an_extension_is_readable_but_texts_cannot_go_to_it():
    assert not phones.is_unreadable("403-555-0101 ext 5", "CA")
    assert phones.mobile_from_phone("403-555-0101 ext 5", "CA") == ""


def test_a_toll_free_number_is_not_a_mobile():
    assert phones.mobile_from_phone("1-800-555-0199", "CA") == ""


def test_a_foreign_mobile_with_its_country_code_is_kept_in_e164():
    assert phones.mobile_from_phone("+44 7911 123456", "CA") == "+447911123456"


def test_national_format_for_the_clinic_s_region_and_international_for_others():
    assert phones.national("+14035550101", "CA") == "(403) 555-0101"
    assert phones.national("+447911123456", "CA") == "+44 7911 123456"
    assert phones.national("", "CA") == ""


# --- The data migration ------------------------------------------------------------


def _legacy(phone: str) -> Patient:
    """A patient as they were before the migration: only the phone, as typed then."""
    patient = PatientFactory(phone=phone)
    Patient.objects.filter(pk=patient.pk).update(mobile="", phone_unreadable=False)
    return patient


@pytest.mark.django_db
def test_the_migration_moves_good_phones_into_mobile_and_marks_bad_ones():
    good = _legacy("(403) 555-0120")
    e164 = _legacy("+14035550121")
    bad = _legacy("ask for Mary")
    blank = _legacy("")
    extension = _legacy("403-555-0122 ext 9")
    migration.mobile_from_phone(apps, None)
    rows = {p.pk: p for p in Patient.objects.all()}
    assert str(rows[good.pk].mobile) == "+14035550120"
    assert rows[good.pk].phone == "(403) 555-0120"  # the phone itself is kept as typed
    assert str(rows[e164.pk].mobile) == "+14035550121"
    assert rows[bad.pk].mobile == "" and rows[bad.pk].phone_unreadable
    assert rows[blank.pk].mobile == "" and not rows[blank.pk].phone_unreadable
    assert rows[extension.pk].mobile == "" and not rows[extension.pk].phone_unreadable
    assert not rows[good.pk].phone_unreadable


@pytest.mark.django_db
def test_the_migration_keeps_a_mobile_already_on_file():
    patient = PatientFactory(phone="403-555-0130", mobile="+14035550131")
    migration.mobile_from_phone(apps, None)
    assert str(Patient.objects.get(pk=patient.pk).mobile) == "+14035550131"


@pytest.mark.django_db
def test_saving_a_patient_keeps_the_unreadable_mark_in_step_with_the_phone():
    patient = PatientFactory(phone="ring the office")
    assert patient.phone_unreadable
    patient.phone = "403-555-0140"
    patient.save()
    assert not Patient.objects.get(pk=patient.pk).phone_unreadable


# --- The front desk's list of phones to fix ----------------------------------------


def test_front_desk_sees_the_unreadable_phones_each_linking_to_its_edit_form(
    client_for, front_desk
):
    bad = PatientFactory(phone="ask for Mary", legal_last_name="Unreadable")
    fine = PatientFactory(phone="403-555-0150", legal_last_name="Readable")
    page = client_for(front_desk).get(reverse("intake:phones-to-fix"))
    text = page.content.decode()
    assert page.status_code == 200
    assert reverse("intake:patient-edit", args=[bad.pk]) in text
    assert "ask for Mary" in text
    assert fine.legal_last_name not in text
    assert AuditEvent.objects.filter(user=front_desk, url_name="intake:phones-to-fix").exists()


def test_the_list_of_phones_to_fix_takes_the_same_queries_for_5_or_60_patients(
    client_for, front_desk
):
    client = client_for(front_desk)
    url = reverse("intake:phones-to-fix")
    PatientFactory.create_batch(5, phone="unknown")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    PatientFactory.create_batch(55, phone="unknown")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.content.decode().count("/edit/") == 50  # one page


def test_a_physio_cannot_open_the_list_of_phones_to_fix(client_for, physio):
    assert client_for(physio).get(reverse("intake:phones-to-fix")).status_code == 403


@pytest.mark.django_db
def test_the_list_query_uses_the_partial_index_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    PatientFactory.create_batch(30, phone="403-555-0160")
    PatientFactory(phone="nope")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        qs = Patient.objects.filter(phone_unreadable=True).order_by(
            "legal_last_name", "legal_first_name", "id"
        )
        plan = qs.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "patient_phone_unreadable_idx" in plan


# --- The patient form ---------------------------------------------------------------

FORM = {
    "legal_first_name": "Hélène",
    "legal_last_name": "Tremblay",
    "date_of_birth": "1978-04-12",
    "sex": "female",
    "province": "AB",
    "phone": "(403) 555-0141",
    "email": "helene@example.com",
    "email_reminders": "on",
}


def test_a_mobile_typed_nationally_is_stored_as_e164_and_shown_nationally(client_for, front_desk):
    client = client_for(front_desk)
    client.post(reverse("intake:patient-create"), {**FORM, "mobile": "403 555 0142"})
    patient = Patient.objects.get()
    assert str(patient.mobile) == "+14035550142"
    edit = client.get(reverse("intake:patient-edit", args=[patient.pk])).content.decode()
    assert 'value="(403) 555-0142"' in edit
    detail = client.get(reverse("intake:patient-detail", args=[patient.pk])).content.decode()
    assert "(403) 555-0142" in detail


def test_a_fullwidth_mobile_is_read_too(client_for, front_desk):
    client_for(front_desk).post(
        reverse("intake:patient-create"), {**FORM, "mobile": "４０３ ５５５ ０１４３"}
    )
    assert str(Patient.objects.get().mobile) == "+14035550143"


@pytest.mark.parametrize("typed", ["403 555 01", "my cell", "403-555-0144 ext 3"])
def test_a_bad_mobile_is_refused_with_a_clear_message_and_what_was_typed_stays(
    client_for, front_desk, typed
):
    response = client_for(front_desk).post(
        reverse("intake:patient-create"), {**FORM, "mobile": typed}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert not Patient.objects.exists()
    assert f'value="{typed}"' in page
    assert "not a phone number we can read" in page or "Texts cannot go to this number" in page
