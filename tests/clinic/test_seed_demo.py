import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.management.commands.devserver import Command
from clinic.management.commands.seed_demo import DEMO_PATIENTS
from clinic.roles import Role, primary_role
from intake.models import Intake, Patient
from sessions.documents.models import Document
from sessions.models import AppointmentType, Location, NeedlingAuthorisation, OnlineBookingPolicy
from sessions.online import eligibility
from sessions.online.eligibility import Refusal
from tests.sessions.documents.samples import GPS_IFD, exif_of


def test_demo_data_refuses_to_load_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_demo_data_has_every_role_and_is_idempotent(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    users = {u.username: primary_role(u) for u in get_user_model().objects.all()}
    assert users == {
        "admin": Role.ADMIN,
        "physio": Role.PHYSIO,
        "physio2": Role.PHYSIO,
        "frontdesk": Role.FRONT_DESK,
    }
    assert Location.objects.count() == 2
    assert Patient.objects.count() == 10
    today = timezone.localdate()
    authorised = NeedlingAuthorisation.objects.valid_on(today).values_list(
        "practitioner__username", flat=True
    )
    assert list(authorised) == ["physio"]


def test_demo_staff_can_pass_the_second_step_with_the_printed_code(db, settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    out = io.StringIO()
    call_command("demo_totp", "physio", stdout=out)
    code = out.getvalue().strip()
    client.post("/accounts/login/", {"username": "physio", "password": "demo-clinic-2026"})
    response = client.post("/accounts/mfa/", {"token": code, "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_demo_totp_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development only"):
        call_command("demo_totp", "physio")


def test_demo_patients_look_real_with_a_number_to_call(db, settings):
    settings.DEBUG = True
    first, last, dob, phone, _ = DEMO_PATIENTS[2]
    Patient.objects.create(legal_first_name=first, legal_last_name=last, date_of_birth=dob)
    call_command("seed_demo")  # also fills the blanks of a demo record seeded earlier
    for patient in Patient.objects.all():
        assert patient.phone and patient.address and patient.postal_code, patient
        assert patient.emergency_contact_name and patient.emergency_contact_phone, patient
        assert patient.full_clean() is None
    assert Patient.objects.get(legal_last_name=last).phone == phone


def test_seeding_again_leaves_a_reset_authenticator_reset(db, settings):
    """The person's own re-enrolled device stays the only one: no demo device beside it."""
    settings.DEBUG = True
    call_command("seed_demo")
    physio = get_user_model().objects.get(username="physio")
    physio.last_login = timezone.now()
    physio.save()
    TOTPDevice.objects.filter(user=physio).delete()  # what "Reset authenticator" does
    call_command("seed_demo")
    assert not TOTPDevice.objects.filter(user=physio).exists()
    TOTPDevice.objects.create(user=physio, name="Authenticator app")
    call_command("seed_demo")
    assert list(TOTPDevice.objects.filter(user=physio).values_list("name", flat=True)) == [
        "Authenticator app"
    ]


def test_demo_billing_is_seeded_once_without_number_gaps(db, settings):
    from decimal import Decimal

    from sessions.billing.documents import Invoice, Payment
    from sessions.billing.models import BillingPolicy, DocumentSequence, Fee, PayerCase
    from sessions.billing.selectors import invoice_balances
    from sessions.models import Appointment

    settings.DEBUG = True
    call_command("seed_demo")
    counts = (Invoice.objects.count(), Payment.objects.count(), Fee.objects.count())
    call_command("seed_demo")
    assert (Invoice.objects.count(), Payment.objects.count(), Fee.objects.count()) == counts
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert DocumentSequence.objects.get(series="invoice").next_number == len(numbers) + 1
    wcb_rates = Fee.objects.filter(item__name="IMS treatment", payer_kind="workers_comp")
    assert sorted(wcb_rates.values_list("amount", flat=True)) == [
        Decimal("85.00"),
        Decimal("88.50"),
    ]
    policy = BillingPolicy.get()
    assert (policy.no_show_fee_on, policy.no_show_fee, policy.late_cancel_fee) == (
        True,
        Decimal("50.00"),
        Decimal("40.00"),
    )
    case = PayerCase.objects.get(payer_name="WCB-Alberta")
    assert (case.authorised_visits, case.payer_share_percent) == (8, Decimal("100.00"))
    assert case.invoices.count() == 2
    assert all(i.total == Decimal("88.50") and i.patient_portion == 0 for i in case.invoices.all())
    assert Appointment.objects.filter(payer_case=case, status="booked").count() == 3
    balances = invoice_balances(invoice_ids=list(Invoice.objects.values_list("id", flat=True)))
    assert sorted(b.patient_due for b in balances.values() if b.patient_due) == [
        Decimal("55.00"),  # partial
        Decimal("95.00"),
        Decimal("95.00"),
    ]
    gordon = Invoice.objects.get(patient__legal_last_name="MacLeod")
    assert gordon.total == Decimal("142.25")  # brace with GST
    methods = set(Payment.objects.values_list("method", flat=True))
    assert {"debit", "credit_card", "cash", "payer"} <= methods
    physio = get_user_model().objects.get(username="physio")
    assert physio.practitioner_profile.registration_number == "PT-04417"


def test_demo_has_a_signed_visit_today_ready_for_check_out(db, settings):
    """A front-desk user can check a visit out at once; today's demo invoices bill real
    visits of today."""
    from clinic import clock
    from sessions.billing.documents import Invoice
    from sessions.models import Appointment

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # once a day
    today = clock.clinic_today()
    todays = [
        a
        for a in Appointment.objects.filter(status="completed").select_related("visit")
        if clock.clinic_day(a.start) == today
    ]
    ready = [a for a in todays if not a.invoices.exists()]
    assert len(ready) == 1
    assert ready[0].visit.is_signed and ready[0].start <= timezone.now()
    for invoice in Invoice.objects.filter(service_date=today):
        assert invoice.appointment is not None, invoice
        assert clock.clinic_day(invoice.appointment.start) == today
        assert invoice.appointment.visit.is_signed


def test_demo_clinic_books_online_with_a_cleared_and_a_contraindicated_patient(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    policy = OnlineBookingPolicy.get()
    assert {u.username for u in policy.practitioners.all()} == {"physio", "physio2"}
    online = {
        loc.name: loc.online_needs_approval for loc in Location.objects.filter(books_online=True)
    }
    assert online == {"Calgary – Kensington": False, "Cochrane": True}
    assessment = AppointmentType.objects.get(name="Initial assessment")
    assert assessment.bookable_online and assessment.for_new_patients
    assert not assessment.involves_needling
    follow_up = AppointmentType.objects.get(name="IMS treatment")
    assert follow_up.bookable_online and follow_up.involves_needling
    today = timezone.localdate()
    cleared = Patient.objects.get(legal_first_name="Mei", legal_last_name="Chen")
    assert cleared.email == "mei.chen@example.com"
    assert eligibility.needling_refusal(patient=cleared, day=today) is None
    refused = Patient.objects.get(legal_first_name="Daniel", legal_last_name="Whitehorse")
    assert eligibility.needling_refusal(patient=refused, day=today) == Refusal.NOT_CLEARED
    assert Intake.objects.filter(status=Intake.Status.SUBMITTED).count() == 2


def test_seeding_again_keeps_the_admin_s_online_switches(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    Location.objects.update(books_online=False)
    call_command("seed_demo")
    assert not Location.objects.filter(books_online=True).exists()


def test_make_run_prints_the_public_booking_address(settings):
    settings.EMAIL_FILE_PATH = "var/mail"
    out = io.StringIO()
    Command(stdout=out).print_banner("127.0.0.1", 8000, site_url="http://127.0.0.1:8000")
    assert "Patients book online at:  http://127.0.0.1:8000/book/" in out.getvalue()
    assert "mei.chen@example.com" in out.getvalue()


def test_a_new_person_finds_the_demo_assessment_and_times_online(db, settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    kensington = Location.objects.get(name="Calgary – Kensington")
    assessment = AppointmentType.objects.get(name="Initial assessment")
    start = client.get(reverse("sessions:online-start")).content.decode()
    assert "Kensington" in start and "Cochrane" in start
    services = client.get(reverse("sessions:online-services", args=[kensington.pk]))
    assert "Initial assessment" in services.content.decode()
    slots = client.get(reverse("sessions:online-slots", args=[kensington.pk, assessment.pk]))
    assert slots.status_code == 200
    assert slots.context["days"], "the demo's assessment has free times online"


def test_demo_writes_sample_files_to_upload_and_ravi_has_his_referral(db, settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")

    [referral] = Document.objects.filter(patient__legal_first_name="Ravi")
    assert (referral.kind, referral.content_type) == ("referral", "application/pdf")
    assert referral.uploaded_by.username == "frontdesk"
    samples = tmp_path / "demo-files"
    assert sorted(p.name for p in samples.iterdir()) == [
        "insurance-card.jpg",
        "referral-letter.pdf",
    ]
    # The photo carries a position, so trying it shows the upload stripping it.
    assert exif_of((samples / "insurance-card.jpg").read_bytes()).get_ifd(GPS_IFD)
