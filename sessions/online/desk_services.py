"""The front desk's and clinic admin's writes for online booking: approving or
declining an online booking that waits for approval, and saving the online settings.

An online booking at a location that asks for approval holds its time at once
(``Appointment.needs_approval``); the patient's confirmation waits until front desk
approves it. Declining cancels it (the clinic's decision: no late-cancellation fee)
and tells the patient politely, without the reason, which may be clinical.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic import clock, emails
from clinic.types import StaffUser
from sessions.billing.missed import missed_fee_waive
from sessions.billing.models import MissedVisitFee
from sessions.booking import services as booking
from sessions.booking.models import Appointment
from sessions.followups import services as followups
from sessions.online.desk_forms import SettingsForms

NOT_WAITING = "This booking is not waiting for approval (someone may have just dealt with it)."
DECLINED_FEE_REASON = "The clinic declined the online booking."


def _waiting(appointment: Appointment) -> Appointment:
    """The appointment locked, still booked and waiting for approval; else raises
    ValidationError keyed by no field."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not locked.needs_approval or locked.status != Appointment.Status.BOOKED:
        raise ValidationError(NOT_WAITING)
    return locked


@transaction.atomic
def appointment_approve(*, appointment: Appointment) -> Appointment:
    """Approve an online booking; returns it. The patient's confirmation goes once this
    commits (patients who agreed to email). Raises ValidationError keyed by no field
    when it is not waiting for approval."""
    locked = _waiting(appointment)
    locked.needs_approval = False
    locked.save(update_fields=["needs_approval", "updated_at"])
    # The reminder booked with the visit is still pending unless the dispatcher skipped
    # it while the booking waited; then this schedules it again (a no-op otherwise).
    followups.reminder_schedule(appointment=locked)
    if locked.patient.email and locked.patient.email_reminders:
        transaction.on_commit(lambda: booking.send_confirmation(locked.pk))
    return locked


def _send_declined(appointment_id: int) -> None:
    appointment = Appointment.objects.select_related("patient", "location").get(pk=appointment_id)
    emails.online_declined(
        to=appointment.patient.email,
        first_name=appointment.patient.greeting_name,
        start=clock.clinic_localtime(appointment.start),
        location=appointment.location,
    )


@transaction.atomic
def appointment_decline(
    *, appointment: Appointment, reason: str, by: StaffUser, now=None
) -> Appointment:
    """Decline an online booking waiting for approval: cancel it with ``reason`` (kept
    on the visit, never sent), waive any late-cancellation fee the cancel proposed (the
    clinic declined, the patient did not cancel), and email the patient once this
    commits. Returns it. Raises ValidationError keyed by no field when it is not
    waiting for approval, keyed by ``reason`` when none is given."""
    now = now or timezone.now()
    locked = _waiting(appointment)
    if not reason.strip():
        raise ValidationError({"reason": "Please give the reason for declining."})
    locked.needs_approval = False
    locked.save(update_fields=["needs_approval", "updated_at"])
    cancelled = booking.appointment_cancel(
        appointment=locked, reason=f"Online booking declined: {reason.strip()}"[:300], now=now
    )
    for fee in MissedVisitFee.objects.filter(
        appointment=cancelled, status=MissedVisitFee.Status.PROPOSED
    ):
        missed_fee_waive(fee=fee, reason=DECLINED_FEE_REASON, decided_by=by, now=now)
    if cancelled.patient.email:
        transaction.on_commit(lambda: _send_declined(cancelled.pk))
    return cancelled


def _switch_changes(forms: SettingsForms) -> list[str]:
    changed = []
    if forms.policy.has_changed():
        changed.append("policy " + ", ".join(forms.policy.changed_data))
    for form in [*forms.locations, *forms.types]:
        if form.has_changed():
            changed.append(f"{form.instance} " + ", ".join(form.changed_data))
    return changed


@transaction.atomic
def online_settings_save(*, forms: SettingsForms) -> list[str]:
    """Save the policy and every switch from the settings page's valid forms in one
    transaction; returns what changed, in words for the audit log (empty: nothing).
    Raises ValidationError keyed by the field ``full_clean`` refuses."""
    changed = _switch_changes(forms)
    for form in forms.all:
        if form.has_changed():
            form.save()
    return changed
