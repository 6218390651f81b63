"""The world the matrix requests URLs in: two patients with every kind of record, staff
of each role, and a physiotherapist who authored none of them."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.utils import timezone

from clinic.roles import Role
from intake import services as intake_services
from intake.models import Intake, IntakeInvitation, MessagesLink, Patient
from sessions.billing import services as billing
from sessions.booking import feeds
from sessions.documents import files
from sessions.documents.models import Document, DocumentRequest, Kind
from sessions.models import (
    AftercareDelivery,
    Alert,
    Appointment,
    AppointmentType,
    CalendarFeed,
    CallTask,
    EmailCheck,
    Invoice,
    Location,
    MissedVisitFee,
    NeedlingSite,
    PayerCase,
    ReceiptLink,
    ScheduledMessage,
    SlotHold,
    Visit,
    VisitLink,
    WaitListEntry,
    WaitListOffer,
)
from sessions.outcomes.models import OutcomeSchedule, Questionnaire
from sessions.outcomes.services import questionnaire_create
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CheckinAnswerFactory,
    LocationFactory,
    MuscleFactory,
    NeedlingSiteFactory,
    PatientFactory,
    PayerCaseFactory,
    ScheduledMessageFactory,
    UserFactory,
    VisitFactory,
)
from tests.sessions.documents.samples import make_pdf_bytes


@dataclass
class World:
    front_desk: User
    physio: User
    admin: User
    author: User  # the other physiotherapist: author of every visit here
    patient: Patient  # patient A, whose records every URL names
    other_patient: Patient  # patient B, who holds links of their own
    intake: Intake  # A's submitted intake
    invitation: IntakeInvitation  # A's open intake link
    other_invitation: IntakeInvitation
    document_request: DocumentRequest  # a "send us a document" link of A's
    other_document_request: DocumentRequest
    appointment: Appointment  # A's appointment, its visit a draft
    visit: Visit
    site: NeedlingSite
    signed_visit: Visit  # A's earlier, signed visit
    delivery: AftercareDelivery
    other_delivery: AftercareDelivery
    checkin: ScheduledMessage
    other_checkin: ScheduledMessage
    alert: Alert
    call: CallTask
    feed: CalendarFeed  # the author's calendar feed
    other_feed: CalendarFeed  # the physio's own
    attempt: AccessAttempt
    invoice: Invoice  # A's invoice for the signed visit
    # A receipt link each of A and B hold.
    receipt_link: ReceiptLink
    other_receipt_link: ReceiptLink
    payer_case: PayerCase  # A's workers' compensation case
    missed_fee: MissedVisitFee  # a fee proposed for A's no-show
    # Online booking's wait list and self-service links: A's and B's own.
    visit_link: VisitLink  # A's link to a future visit
    other_visit_link: VisitLink
    waitlist_entry: WaitListEntry
    other_waitlist_entry: WaitListEntry
    offer: WaitListOffer  # a freed slot offered to A's entry
    other_offer: WaitListOffer
    # Online booking: a location and a type offered online, A's and B's held times and
    # the email checks (sign-in, and a new person's confirmation) each of them holds.
    online_location: Location
    online_type: AppointmentType
    hold: SlotHold
    other_hold: SlotHold
    sign_in_check: EmailCheck
    other_sign_in_check: EmailCheck
    confirm_check: EmailCheck
    other_confirm_check: EmailCheck
    # A message-preferences link each of A and B hold.
    messages_link: MessagesLink
    other_messages_link: MessagesLink
    # Outcome measures: a questionnaire link each of A and B hold, and a schedule.
    questionnaire: Questionnaire
    other_questionnaire: Questionnaire
    outcome_schedule: OutcomeSchedule
    # Documents: A's referral (front desk never opens one) and its file's bytes, which
    # each test puts in its own documents folder (conftest's ``world``).
    document: Document
    document_content: bytes


def _appointment(patient, practitioner, location, kind, start, **fields) -> Appointment:
    return AppointmentFactory(
        patient=patient,
        practitioner=practitioner,
        location=location,
        type=kind,
        start=start,
        **fields,
    )


def _signed_visit(patient, author, location, kind, start) -> Visit:
    appointment = _appointment(
        patient, author, location, kind, start, status=Appointment.Status.COMPLETED
    )
    return VisitFactory(
        appointment=appointment,
        status=Visit.Status.SIGNED,
        signed_at=start + timedelta(minutes=30),
        nprs_before=5,
    )


def _aftercare(visit) -> AftercareDelivery:
    return AftercareDelivery.objects.create(
        visit=visit, email=visit.patient.email, nonce=secrets.token_urlsafe(24)
    )


def _sent_checkin(visit, now) -> ScheduledMessage:
    return ScheduledMessageFactory(
        key=f"checkin:{visit.pk}:24h",
        visit=visit,
        due_at=now - timedelta(hours=1),
        status=ScheduledMessage.Status.SENT,
        sent_at=now - timedelta(hours=1),
    )


def _invoice(patient, location, clerk) -> Invoice:
    line = billing.LineIn(description="IMS treatment", unit_price=Decimal("95.00"))
    return billing.invoice_issue(
        patient=patient,
        lines=[line],
        location=location,
        issued_by=clerk,
        service_date=timezone.now().date(),
    )


def _receipt_link(invoice, clerk) -> ReceiptLink:
    return ReceiptLink.objects.create(
        invoice=invoice,
        email=invoice.patient.email,
        nonce=secrets.token_urlsafe(24),
        sent_by=clerk,
    )


def _waitlist(patient, location, kind, practitioner, now) -> tuple[WaitListEntry, WaitListOffer]:
    """The patient's wait-list entry and an open offer of a freed slot to it."""
    day = now.date() + timedelta(days=3)
    entry = WaitListEntry.objects.create(
        patient=patient,
        location=location,
        type=kind,
        earliest=day,
        latest=day + timedelta(days=7),
        source=WaitListEntry.Source.FRONT_DESK,
    )
    start = now + timedelta(days=4)
    hold = SlotHold.objects.create(
        location=location,
        practitioner=practitioner,
        type=kind,
        start=start,
        end=start + kind.duration,
        expires_at=now + timedelta(minutes=30),
    )
    offer = WaitListOffer.objects.create(
        entry=entry, hold=hold, expires_at=now + timedelta(minutes=30)
    )
    return entry, offer


def _hold(location, kind, practitioner, start, email) -> SlotHold:
    return SlotHold.objects.create(
        location=location,
        type=kind,
        practitioner=practitioner,
        start=start,
        end=start + kind.duration,
        status=SlotHold.Status.AWAITING,
        expires_at=timezone.now() + timedelta(minutes=30),
        first_name="Pat",
        last_name="Newcomer",
        date_of_birth=date(1990, 1, 1),
        email=email,
    )


def _email_check(purpose, email, *, patient=None, hold=None) -> EmailCheck:
    return EmailCheck.objects.create(
        purpose=purpose,
        email=email,
        patient=patient,
        hold=hold,
        expires_at=timezone.now() + timedelta(minutes=30),
    )


def _messages_link(patient) -> MessagesLink:
    return MessagesLink.objects.create(patient=patient, nonce=secrets.token_urlsafe(24))


def _questionnaire(patient) -> Questionnaire:
    return questionnaire_create(patient=patient, instrument="nprs", by=None, trigger="manual")


def _referral(patient, by) -> Document:
    """A's referral letter, its row only: the file goes to each test's own storage."""
    kept = files.accept("referral.pdf", make_pdf_bytes())
    return Document.objects.create(
        patient=patient,
        kind=Kind.REFERRAL,
        title="Referral from Dr Singh",
        storage_name=f"patients/{patient.pk}/matrix-referral.pdf",
        original_name="referral.pdf",
        content_type=kept.content_type,
        size=len(kept.content),
        sha256=kept.sha256,
        thumbnail=kept.thumbnail,
        uploaded_by=by,
    )


def build_world() -> World:
    now = timezone.now()
    front_desk = UserFactory(username="frontdesk", role=Role.FRONT_DESK)
    physio = UserFactory(username="physio", role=Role.PHYSIO)
    admin = UserFactory(username="clinicadmin", role=Role.ADMIN)
    author = UserFactory(username="author", role=Role.PHYSIO)
    location = LocationFactory(name="Kensington")
    kind = AppointmentTypeFactory()
    muscle = MuscleFactory()
    alice = PatientFactory(email="alice@example.com")
    bob = PatientFactory(email="bob@example.com")

    intake = Intake.objects.create(
        patient=alice,
        status=Intake.Status.SUBMITTED,
        submitted_at=now - timedelta(days=3),
        answers={"needles": {"pregnancy": "no", "needle_fear": "none"}},
    )
    invitation = intake_services.intake_invite(patient=alice, sent_by=front_desk)
    other_invitation = intake_services.intake_invite(patient=bob, sent_by=front_desk)
    document_request = DocumentRequest.objects.create(patient=alice, created_by=front_desk)
    other_document_request = DocumentRequest.objects.create(patient=bob, created_by=front_desk)

    appointment = _appointment(alice, author, location, kind, now - timedelta(hours=1))
    visit = VisitFactory(appointment=appointment)
    site = NeedlingSiteFactory(visit=visit, muscle=muscle, depth_cm=Decimal("4.5"), twitch="weak")
    signed_visit = _signed_visit(alice, author, location, kind, now - timedelta(days=1))
    other_signed = _signed_visit(bob, author, location, kind, now - timedelta(days=1, hours=2))

    checkin = _sent_checkin(signed_visit, now)
    invoice = billing.invoice_issue(
        patient=alice,
        lines=[billing.LineIn(description="IMS treatment", unit_price=Decimal("95.00"))],
        location=location,
        issued_by=front_desk,
        service_date=signed_visit.appointment.day,
        practitioner=author,
        appointment=signed_visit.appointment,
    )
    no_show = _appointment(
        alice, author, location, kind, now - timedelta(days=2), status=Appointment.Status.NO_SHOW
    )
    missed_fee = MissedVisitFee.objects.create(
        appointment=no_show, kind=MissedVisitFee.Kind.NO_SHOW, amount=Decimal("40.00")
    )
    answer = CheckinAnswerFactory(
        message=checkin, soreness=9, compared="worse", red_flags=["fever"]
    )
    alert = Alert.objects.create(answer=answer, visit=signed_visit, physio=author)
    online_location = LocationFactory(name="Online", books_online=True)
    online_type = AppointmentType.objects.create(
        name="Online assessment",
        duration_minutes=60,
        involves_needling=False,
        bookable_online=True,
        for_new_patients=True,
    )
    soon = now + timedelta(days=3)
    hold = _hold(online_location, online_type, author, soon, "new.a@example.com")
    other_hold = _hold(online_location, online_type, author, soon + timedelta(hours=2), "b@x.org")
    sign_in, confirm = EmailCheck.Purpose.SIGN_IN, EmailCheck.Purpose.CONFIRM

    future = _appointment(alice, author, location, kind, now + timedelta(days=5))
    other_future = _appointment(bob, author, location, kind, now + timedelta(days=5, hours=2))
    entry, offer = _waitlist(alice, location, kind, author, now)
    other_entry, other_offer = _waitlist(bob, location, kind, physio, now)

    document = _referral(alice, front_desk)
    return World(
        visit_link=VisitLink.objects.create(appointment=future),
        other_visit_link=VisitLink.objects.create(appointment=other_future),
        waitlist_entry=entry,
        other_waitlist_entry=other_entry,
        offer=offer,
        other_offer=other_offer,
        front_desk=front_desk,
        physio=physio,
        admin=admin,
        author=author,
        patient=alice,
        other_patient=bob,
        intake=intake,
        invitation=invitation,
        other_invitation=other_invitation,
        document_request=document_request,
        other_document_request=other_document_request,
        appointment=appointment,
        visit=visit,
        site=site,
        signed_visit=signed_visit,
        delivery=_aftercare(signed_visit),
        other_delivery=_aftercare(other_signed),
        checkin=checkin,
        other_checkin=_sent_checkin(other_signed, now),
        alert=alert,
        call=CallTask.objects.create(patient=alice, alert=alert),
        feed=feeds.feed_create(practitioner=author),
        other_feed=feeds.feed_create(practitioner=physio),
        attempt=AccessAttempt.objects.create(
            username=author.username,
            ip_address="203.0.113.9",
            user_agent="test",
            http_accept="*/*",
            path_info="/accounts/login/",
            attempt_time=now,
            get_data="",
            post_data="",
            failures_since_start=5,
        ),
        invoice=invoice,
        receipt_link=_receipt_link(invoice, front_desk),
        other_receipt_link=_receipt_link(_invoice(bob, location, front_desk), front_desk),
        payer_case=PayerCaseFactory(patient=alice),
        missed_fee=missed_fee,
        online_location=online_location,
        online_type=online_type,
        hold=hold,
        other_hold=other_hold,
        sign_in_check=_email_check(sign_in, alice.email, patient=alice),
        other_sign_in_check=_email_check(sign_in, bob.email, patient=bob),
        confirm_check=_email_check(confirm, hold.email, hold=hold),
        other_confirm_check=_email_check(confirm, other_hold.email, hold=other_hold),
        messages_link=_messages_link(alice),
        other_messages_link=_messages_link(bob),
        questionnaire=_questionnaire(alice),
        other_questionnaire=_questionnaire(bob),
        outcome_schedule=OutcomeSchedule.objects.create(
            instrument="nprs", visit_numbers=[1], created_by=admin
        ),
        document=document,
        document_content=files.accept("referral.pdf", make_pdf_bytes()).content,
    )
