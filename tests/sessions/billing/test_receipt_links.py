"""The receipt emailed by link: the mail carries no health data, the link opens that one
invoice's receipt and PDF on a phone, and stops working when it expires (at the
instant), is revoked, tampered with, pointed at another invoice, or its invoice voided."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic.links import make_token
from clinic.models import AuditEvent
from sessions.billing import services
from sessions.billing.receipts import RECEIPT_PURPOSE
from sessions.models import Appointment, ReceiptLink
from tests.factories import AppointmentFactory, clinic_time
from tests.sessions.billing.receipt_helpers import (
    DESIGNATION,
    NAME_LAST,
    REGISTRATION,
    issued,
    pay,
    pdf_text,
    profile_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(completed, clerk, physio, settings):
    settings.SITE_URL = "https://clinic.example.com"
    patient = completed.patient
    patient.legal_last_name = NAME_LAST
    patient.save()
    profile_for(physio)
    invoice = issued(completed, clerk)
    pay(invoice, clerk, "95", "debit")
    return invoice


def send(client_for, clerk, invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client_for(clerk).post(reverse("sessions:receipt-send", args=[invoice.pk]))


@pytest.fixture
def link(invoice, clerk, client, client_for, mailoutbox, django_capture_on_commit_callbacks):
    """The path of the link the patient was mailed (the client signed out again)."""
    send(client_for, clerk, invoice, django_capture_on_commit_callbacks)
    client.logout()
    (mail,) = mailoutbox
    return re.search(r"https://clinic\.example\.com(/r/[^/\s]+/)", mail.body).group(1)


def test_the_email_carries_the_link_and_no_health_data(
    invoice, clerk, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    response = send(client_for, clerk, invoice, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.to == [invoice.patient.email]
    assert mail.subject == "Your receipt from Bow River Physiotherapy & IMS"
    html = mail.alternatives[0][0]
    for body in (mail.body, html):
        assert "Your receipt is ready" in body
        assert "https://clinic.example.com/r/" in body
        assert "2026-12-20" in body or "20 December 2026" in body
        for health in ["IMS", "treatment", DESIGNATION, REGISTRATION, "95.00", "Physiotherapist"]:
            assert health not in body.replace(mail.subject, "").replace(
                "Bow River Physiotherapy &amp; IMS", ""
            ).replace("Bow River Physiotherapy & IMS", ""), health
    row = ReceiptLink.objects.get()
    assert row.sent_at is not None and row.sent_by == clerk
    assert AuditEvent.objects.filter(action="create", patient=invoice.patient).exists()


def test_no_email_address_is_refused_with_a_message(
    invoice, clerk, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    type(invoice.patient).objects.filter(pk=invoice.patient.pk).update(email="")
    response = send(client_for, clerk, invoice, django_capture_on_commit_callbacks)
    page = client_for(clerk).get(response["Location"]).content.decode()
    assert "no email address on file" in page
    assert mailoutbox == []
    assert not ReceiptLink.objects.exists()


def test_the_link_opens_the_receipt_and_its_pdf(invoice, link, client):
    response = client.get(link)
    assert response.status_code == 200
    html = response.content.decode()
    assert NAME_LAST in html and invoice.display_number in html and REGISTRATION in html
    pdf = client.get(link + "receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert REGISTRATION in pdf_text(pdf.content)
    details = set(
        AuditEvent.objects.filter(role="patient", patient=invoice.patient).values_list(
            "detail", flat=True
        )
    )
    assert details == {"receipt link", "receipt link pdf"}


def test_the_link_works_until_the_instant_it_expires(link, client, settings):
    sent = ReceiptLink.objects.get().created_at
    with time_machine.travel(sent + timedelta(days=30, seconds=-1), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(sent + timedelta(days=30), tick=False):
        response = client.get(link)
        assert response.status_code == 404
        assert "intake/link_invalid.html" in {t.name for t in response.templates}
        assert client.get(link + "receipt.pdf").status_code == 404


def test_a_revoked_link_is_refused(invoice, link, clerk, client_for, client):
    staff = client_for(clerk)
    staff.post(reverse("sessions:receipt-links-revoke", args=[invoice.pk]))
    staff.logout()
    assert client.get(link).status_code == 404
    assert client.get(link + "receipt.pdf").status_code == 404


def test_a_tampered_link_is_refused(link, client):
    assert client.get(link[:-3] + "x/").status_code == 404


def test_a_link_cannot_reach_another_invoice(
    invoice, link, clerk, patient, physio, location, treatment, client
):
    other = issued(
        AppointmentFactory(
            patient=patient,
            practitioner=physio,
            location=location,
            type=treatment,
            start=clinic_time(2026, 11, 18, 9),
            status=Appointment.Status.COMPLETED,
        ),
        clerk,
    )
    row = ReceiptLink.objects.get()
    other_row = ReceiptLink.objects.create(
        invoice=other, email="zoe@example.com", nonce="other-nonce-" * 3, sent_by=clerk
    )
    # The genuine link's nonce signed for the other invoice's link: refused.
    forged = make_token(RECEIPT_PURPOSE, other_row.pk, row.nonce)
    assert client.get(reverse("sessions:receipt-link", args=[forged])).status_code == 404
    # The genuine link shows its own invoice only.
    html = client.get(link).content.decode()
    assert invoice.display_number in html and other.display_number not in html
    # And a link signed for another purpose (an aftercare link's) opens no receipt.
    wrong = make_token("aftercare", row.pk, row.nonce)
    assert client.get(reverse("sessions:receipt-link", args=[wrong])).status_code == 404


def test_voiding_the_invoice_kills_its_links(completed, clerk, client_for, client, settings):
    invoice = issued(completed, clerk)
    with time_machine.travel(timezone.now(), tick=False):
        row = ReceiptLink.objects.create(
            invoice=invoice, email="zoe@example.com", nonce="n" * 32, sent_by=clerk
        )
    services.invoice_void(invoice=invoice, reason="Wrong visit", voided_by=clerk)
    token = make_token(RECEIPT_PURPOSE, row.pk, row.nonce)
    assert client.get(reverse("sessions:receipt-link", args=[token])).status_code == 404


def test_a_void_invoice_is_not_sent(
    completed, clerk, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = issued(completed, clerk)
    services.invoice_void(invoice=invoice, reason="Wrong visit", voided_by=clerk)
    send(client_for, clerk, invoice, django_capture_on_commit_callbacks)
    assert mailoutbox == [] and not ReceiptLink.objects.exists()


def test_a_physiotherapist_may_not_send_or_stop_receipts(invoice, physio, client_for, mailoutbox):
    client = client_for(physio)
    assert client.post(reverse("sessions:receipt-send", args=[invoice.pk])).status_code == 403
    revoke = reverse("sessions:receipt-links-revoke", args=[invoice.pk])
    assert client.post(revoke).status_code == 403
    assert mailoutbox == []


def test_the_link_page_takes_the_same_queries_with_more_payments(
    invoice, link, client, clerk, django_assert_max_num_queries
):
    client.get(link)
    with django_assert_max_num_queries(30) as few:
        client.get(link)
    services.credit_note_issue(invoice=invoice, amount="10", reason="Courtesy", issued_by=clerk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(link).status_code == 200
