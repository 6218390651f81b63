"""Check-out at the desk: one form issues the invoice and takes split payments; a refused
payment issues nothing and keeps what was typed; a second press finds the first invoice;
the calendars link to it; physios see the status only."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.billing.documents import Invoice, Payment
from sessions.billing.models import MissedVisitFee
from sessions.models import Appointment
from tests.factories import AppointmentFactory, BillableItemFactory, FeeFactory, clinic_time

pytestmark = pytest.mark.django_db


def url(appointment):
    return reverse("sessions:checkout", args=[appointment.pk])


def split(**extra):
    data = {
        "quantity": "1",
        "method_1": "debit",
        "amount_1": "60.00",
        "reference_1": "T-1",
        "method_2": "cash",
        "amount_2": "35.00",
        "form_token": "t" * 20,
    }
    return {**data, **extra}


def test_the_page_shows_the_visit_balance_and_what_it_will_charge(
    client_for, clerk, completed, patient
):
    response = client_for(clerk).get(url(completed))
    assert response.status_code == 200
    page = response.content.decode()
    assert patient.full_name in page
    assert "IMS treatment" in page and "$95.00" in page
    assert 'name="amount_3"' in page and 'for="id_amount_1"' in page
    assert AuditEvent.objects.filter(
        action="view", url_name="sessions:checkout", patient=patient
    ).exists()


def test_one_press_issues_the_invoice_and_takes_a_split_payment(client_for, clerk, completed):
    response = client_for(clerk).post(url(completed), split())
    invoice = Invoice.objects.get(appointment=completed)
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:invoice", args=[invoice.pk])
    payments = Payment.objects.filter(patient=completed.patient).order_by("id")
    assert [(p.method, p.amount) for p in payments] == [("debit", D("60.00")), ("cash", D("35.00"))]
    page = client_for(clerk).get(response["Location"]).content.decode()
    assert 'data-testid="patient-due">$0.00' in page
    actions = AuditEvent.objects.filter(action="create", url_name="sessions:checkout")
    assert actions.count() == 3  # the invoice and two payments


def test_an_added_item_is_billed_with_its_quantity(client_for, clerk, completed):
    brace = BillableItemFactory(name="Knee brace")
    FeeFactory(item=brace, amount=D("40.00"))
    client_for(clerk).post(url(completed), {"item": brace.pk, "quantity": "2"})
    invoice = Invoice.objects.get(appointment=completed)
    assert invoice.total == D("175.00")
    assert [line.description for line in invoice.lines.all()] == ["IMS treatment", "Knee brace"]


@pytest.mark.parametrize(
    "amount, message",
    [
        ("abc", "Enter a number."),
        ("-5", "greater than or equal to 0.01"),
        ("99999999999", "Ensure that there are no more than 10 digits"),
        ("50000.01", "less than or equal to 50000"),
    ],
)
def test_bad_amounts_are_field_errors_and_nothing_is_issued(
    client_for, clerk, completed, amount, message
):
    response = client_for(clerk).post(url(completed), split(amount_2=amount))
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors["amount_2"])
    assert not Invoice.objects.exists() and not Payment.objects.exists()
    page = response.content.decode()
    assert 'value="T-1"' in page and 'value="60.00"' in page  # nothing typed is lost


def test_a_refused_payment_leaves_no_invoice(client_for, clerk, completed):
    """A payer payment is not taken here: the second row is refused by the service, so
    the first row's payment and the invoice roll back with it."""
    response = client_for(clerk).post(url(completed), split(method_2="payer"))
    assert response.status_code == 200
    assert "method_2" in response.context["form"].errors
    assert not Invoice.objects.exists() and not Payment.objects.exists()


def test_a_method_without_amount_is_a_field_error(client_for, clerk, completed):
    response = client_for(clerk).post(url(completed), {"quantity": "1", "method_1": "cash"})
    assert response.context["form"].errors["amount_1"] == ["Enter the amount paid."]
    assert not Invoice.objects.exists()


def test_a_second_press_finds_the_first_invoice(client_for, clerk, completed):
    client = client_for(clerk)
    client.post(url(completed), split())
    again = client.post(url(completed), split())
    invoice = Invoice.objects.get(appointment=completed)
    assert again.status_code == 302
    assert again["Location"] == reverse("sessions:invoice", args=[invoice.pk])
    assert Payment.objects.count() == 2
    # Opened again later, the page links to the invoice instead of offering a second.
    assert client.get(url(completed))["Location"] == again["Location"]


def test_a_check_out_from_an_older_tab_says_its_payment_was_not_taken(client_for, clerk, completed):
    client = client_for(clerk)
    client.post(url(completed), split())
    stale = client.post(url(completed), split(form_token="s" * 20), follow=True)
    text = stale.content.decode()
    assert "invoiced already (INV-" in text
    assert "The payment typed on the check-out was not taken" in text
    assert Payment.objects.count() == 2


def test_overpaying_leaves_credit_and_credit_pays_the_next_visit(
    client_for, clerk, completed, physio, location, treatment
):
    client = client_for(clerk)
    client.post(url(completed), {"quantity": "1", "method_1": "cash", "amount_1": "100"})
    later = AppointmentFactory(
        patient=completed.patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=clinic_time(2026, 11, 20, 8),
        status=Appointment.Status.COMPLETED,
    )
    client.post(
        url(later), {"quantity": "1", "use_credit": "on", "method_1": "debit", "amount_1": "90"}
    )
    invoice = Invoice.objects.get(appointment=later)
    page = client.get(reverse("sessions:invoice", args=[invoice.pk])).content.decode()
    assert 'data-testid="patient-due">$0.00' in page
    assert AuditEvent.objects.filter(
        action="update", object_id=str(invoice.pk), detail__startswith="credit applied $"
    ).exists()


@pytest.mark.parametrize("status", ["booked", "arrived", "cancelled"])
def test_a_visit_not_billable_is_refused_with_a_reason(client_for, clerk, completed, status):
    Appointment.objects.filter(pk=completed.pk).update(status=status)
    client = client_for(clerk)
    assert "Issue the invoice" not in client.get(url(completed)).content.decode()
    response = client.post(url(completed), split())
    assert response.status_code == 200 and response.context["refusal"]
    assert not Invoice.objects.exists()


def test_a_no_show_is_checked_out_at_its_fee(client_for, clerk, completed):
    Appointment.objects.filter(pk=completed.pk).update(status=Appointment.Status.NO_SHOW)
    fee = MissedVisitFee.objects.create(
        appointment=completed, kind=MissedVisitFee.Kind.NO_SHOW, amount=D("40.00")
    )
    client_for(clerk).post(url(completed), {"method_1": "cash", "amount_1": "40"})
    fee.refresh_from_db()
    assert fee.status == "charged" and fee.invoice.total == D("40.00")


def test_physios_cannot_open_it_but_see_the_status(client_for, physio, completed, clerk):
    client = client_for(physio)
    assert client.get(url(completed)).status_code == 403
    page = client.get(reverse("sessions:appointment-detail", args=[completed.pk])).content.decode()
    assert "Not invoiced" in page and url(completed) not in page


def test_the_desk_sees_check_out_then_the_invoice_on_the_appointment(client_for, clerk, completed):
    client = client_for(clerk)
    detail = reverse("sessions:appointment-detail", args=[completed.pk])
    assert url(completed) in client.get(detail).content.decode()
    client.post(url(completed), {"method_1": "cash", "amount_1": "50"})
    page = client.get(detail).content.decode()
    assert "Balance $45.00" in page and url(completed) not in page


def test_the_day_calendar_links_check_out_until_invoiced(client_for, clerk, completed):
    client = client_for(clerk)
    day = reverse("sessions:calendar-day") + f"?date=2026-11-19&location={completed.location_id}"
    assert url(completed) in client.get(day).content.decode()
    client.post(url(completed), {"quantity": "1"})
    assert url(completed) not in client.get(day).content.decode()


def test_check_out_queries_do_not_grow_with_history(
    client_for, clerk, completed, django_assert_max_num_queries
):
    client = client_for(clerk)
    client.get(url(completed))
    for n in range(30):
        AppointmentFactory(
            patient=completed.patient,
            practitioner=completed.practitioner,
            location=completed.location,
            type=completed.type,
            start=clinic_time(2026, 10, 1 + n, 9),
            status=Appointment.Status.COMPLETED,
        )
    with django_assert_max_num_queries(25):
        assert client.get(url(completed)).status_code == 200


def test_todays_list_offers_check_out_and_the_missed_fee(
    client_for, clerk, completed, physio, location, treatment
):
    Appointment.objects.filter(pk=completed.pk).update(
        start=clinic_time(2026, 11, 20, 8), end=clinic_time(2026, 11, 20, 8, 30)
    )
    missed = AppointmentFactory(
        patient=completed.patient,
        practitioner=physio,
        location=location,
        type=treatment,
        start=clinic_time(2026, 11, 20, 11),
        status=Appointment.Status.NO_SHOW,
    )
    fee = MissedVisitFee.objects.create(
        appointment=missed, kind=MissedVisitFee.Kind.NO_SHOW, amount=D("40.00")
    )
    text = client_for(clerk).get(reverse("home")).content.decode()
    assert url(completed) in text
    assert reverse("sessions:missed-fee", args=[fee.pk]) in text and "$40.00" in text


def test_physios_do_not_see_the_patients_balance_or_credit(
    client_for, physio, clerk, completed, patient
):
    Payment.objects.create(
        patient=patient, method="cash", amount=D("25.00"), received_at=clinic_time(2026, 11, 20, 9),
        recorded_by=clerk,
    )  # fmt: skip
    detail = reverse("sessions:appointment-detail", args=[completed.pk])
    page = client_for(physio).get(detail).content.decode()
    assert "Not invoiced" in page
    assert "patient-balance" not in page and "$25.00" not in page
    desk = client_for(clerk).get(detail).content.decode()
    assert 'data-testid="patient-balance"' in desk and "(credit $25.00)" in desk


def test_physios_see_that_a_balance_is_owing_but_not_how_much(client_for, physio, clerk, completed):
    client_for(clerk).post(url(completed), split(amount_1="10.00", amount_2="5.00"))
    detail = reverse("sessions:appointment-detail", args=[completed.pk])
    physio_page = client_for(physio).get(detail).content.decode()
    assert 'data-testid="visit-billing">Balance owing<' in physio_page
    assert "$80.00" not in physio_page
    desk_page = client_for(clerk).get(detail).content.decode()
    assert 'data-testid="visit-billing">Balance $80.00<' in desk_page
