"""The data and helpers of test_e2e_accessibility: a clinic with something on every page,
the refused submit, and the audit fixture that hands its lesser findings to the run's
closing list."""

import importlib
from datetime import datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page

from intake import services as intake_services
from intake.models import ConsentText, Patient
from sessions.billing import receipts
from sessions.billing import services as billing
from sessions.billing.payments import AllocationIn, payment_take
from sessions.charting.aftercare import aftercare_link
from sessions.followups import services as followup_services
from sessions.models import (
    AftercareDelivery,
    AppointmentType,
    CheckinAnswer,
    Location,
    Muscle,
    ScheduledMessage,
)
from sessions.outcomes.links import questionnaire_link
from sessions.outcomes.services import questionnaire_create
from tests.charting_helpers import visit_chart
from tests.e2e.axe import MINOR_FINDINGS, Audit, signed_in_client
from tests.factories import AppointmentFactory, ScheduledMessageFactory


def refuse(page: Page, button: str, *, within: str = "main") -> None:
    """Send the form as it is, past the browser's own checks, so the server refuses it."""
    page.evaluate("() => document.querySelectorAll('form').forEach(f => (f.noValidate = true))")
    with page.expect_navigation():
        page.locator(within).get_by_role("button", name=button).first.click()


@pytest.fixture(name="audit")
def audit_fixture(request) -> Audit:
    audit = Audit()
    yield audit
    request.config.stash.setdefault(MINOR_FINDINGS, []).extend(audit.minor)


@pytest.fixture(name="clinic")
def clinic_fixture(demo_clinic, settings, live_server):
    """The demo clinic with a visit charted and signed yesterday (Aisha, with an adverse
    event, a check-in answered with a red flag, and one still open), a visit of Marcus
    under way now, and an intake link for Sofia."""
    settings.SITE_URL = live_server.url
    migration = importlib.import_module("sessions.migrations.0005_muscles_aftercare_and_locks")
    migration.add_catalogues(apps, None)
    if not ConsentText.objects.exists():
        ConsentText.objects.create(body="IMS uses fine needles. You may stop at any time.")
    users = get_user_model().objects
    physio, front_desk = users.get(username="physio"), users.get(username="frontdesk")
    location = Location.objects.order_by("name").first()
    treatment = AppointmentType.objects.get(name="IMS treatment")
    aisha = Patient.objects.get(legal_first_name="Aisha")
    marcus = Patient.objects.get(legal_first_name="Marcus")

    now = timezone.localtime()
    yesterday = datetime.combine(now.date() - timedelta(days=1), time(9), tzinfo=now.tzinfo)
    signed = AppointmentFactory(
        patient=aisha, practitioner=physio, location=location, type=treatment, start=yesterday
    )
    visit = visit_chart(
        signed_in_client(physio),
        signed,
        muscle=Muscle.objects.order_by("name").first(),
        adverse_event={"kind": "fainting", "description": "Felt faint", "action_taken": "Lay flat"},
    )
    answered = ScheduledMessageFactory(
        visit=visit, status=ScheduledMessage.Status.SENT, sent_at=timezone.now()
    )
    answer = followup_services.checkin_answer(
        message=answered,
        soreness=6,
        compared=CheckinAnswer.Compared.WORSE,
        bruising=False,
        red_flags=[next(iter(CheckinAnswer.RED_FLAGS))],
        comment="Hot and red.",
    )
    open_checkin = ScheduledMessageFactory(
        visit=visit, status=ScheduledMessage.Status.SENT, sent_at=timezone.now()
    )
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    today = AppointmentFactory(
        patient=marcus,
        practitioner=physio,
        location=location,
        type=treatment,
        start=max(now - timedelta(minutes=5), midnight),
    )
    # Aisha again, just before Marcus: her chart offers to repeat yesterday's sites.
    repeat = AppointmentFactory(
        patient=aisha,
        practitioner=physio,
        location=location,
        type=treatment,
        start=today.start - timedelta(minutes=40),
    )
    sofia = Patient.objects.get(legal_first_name="Sofia")
    invitation = intake_services.intake_invite(patient=sofia, sent_by=front_desk)
    invoice = _paid_invoice(signed, front_desk)
    return SimpleNamespace(
        url=live_server.url,
        physio=physio,
        front_desk=front_desk,
        admin=users.get(username="admin"),
        signed=signed,
        visit=visit,
        today=today,
        repeat=repeat,
        alert=answer.alert,
        marcus=marcus,
        aisha=aisha,
        sofia=sofia,
        checkin_link=followup_services.checkin_link(open_checkin),
        aftercare_link=aftercare_link(AftercareDelivery.objects.get(visit=visit)),
        intake_link=intake_services.invitation_link(invitation),
        messages_link=intake_services.preferences_link(sofia),  # no texts agreed yet
        invoice=invoice,
        receipt_link=receipts.receipt_link(
            receipts.receipt_send(invoice=invoice, sent_by=front_desk)
        ),
        questionnaire_link=questionnaire_link(
            questionnaire_create(patient=sofia, instrument="nprs", by=physio, trigger="manual")
        ),
    )


def _paid_invoice(appointment, clerk):
    """Aisha's visit of yesterday invoiced by hand and paid by debit (the receipt pages)."""
    invoice = billing.invoice_issue(
        patient=appointment.patient,
        lines=[billing.LineIn(description="IMS treatment", unit_price=Decimal("95.00"))],
        location=appointment.location,
        issued_by=clerk,
        service_date=appointment.day,
        practitioner=appointment.practitioner,
        appointment=appointment,
    )
    payment_take(
        patient=invoice.patient,
        amount=Decimal("95.00"),
        method="debit",
        recorded_by=clerk,
        allocations=[AllocationIn(invoice)],
        location=invoice.location,
    )
    return invoice
