"""Missed-visit fees: proposed by the clinic's policy when a visit is marked no-show or
cancelled late (booking's services call ``missed_fee_propose``), then charged
(``services.missed_fee_charge``, an invoice) or waived with a reason by the front desk."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.types import StaffUser
from sessions.billing.models import BillingPolicy, MissedVisitFee
from sessions.billing.rules import is_late_cancellation
from sessions.billing.services import missed_fee_charge
from sessions.booking.models import Appointment

__all__ = ["missed_fee_charge", "missed_fee_propose", "missed_fee_waive"]


@transaction.atomic
def missed_fee_propose(
    *,
    appointment: Appointment,
    previous_status: str = Appointment.Status.BOOKED,
    now: datetime | None = None,
) -> MissedVisitFee | None:
    """Propose the policy's fee for a visit just marked no-show, or cancelled at
    ``now`` with less notice than the policy's hours; returns it, or None when the
    policy does not apply (off, zero amount, enough notice, another status) or a fee is
    already there. A late cancel is only of a visit still booked (``previous_status``,
    the status before the cancel) and cancelled before its start: one cancelled after
    the patient arrived, or after its start (a no-show decision), gets none."""
    now = now or timezone.now()
    policy = BillingPolicy.get()
    if appointment.status == Appointment.Status.NO_SHOW:
        on, kind, amount = policy.no_show_fee_on, MissedVisitFee.Kind.NO_SHOW, policy.no_show_fee
    elif appointment.status == Appointment.Status.CANCELLED:
        if previous_status != Appointment.Status.BOOKED or now >= appointment.start:
            return None
        late = is_late_cancellation(
            start=appointment.start, cancelled_at=now, notice_hours=policy.late_cancel_hours
        )
        on = policy.late_cancel_fee_on and late
        kind, amount = MissedVisitFee.Kind.LATE_CANCEL, policy.late_cancel_fee
    else:
        return None
    if not on or amount <= 0:
        return None
    fee, _ = MissedVisitFee.objects.get_or_create(
        appointment=appointment, defaults={"kind": kind, "amount": amount, "proposed_at": now}
    )
    return fee


@transaction.atomic
def missed_fee_waive(
    *, fee: MissedVisitFee, reason: str, decided_by: StaffUser, now: datetime | None = None
) -> MissedVisitFee:
    """Waive a proposed fee with a reason; returns it. Raises ValidationError keyed by
    ``reason`` (empty), or with no field when it was decided already."""
    fee = MissedVisitFee.objects.select_for_update().get(pk=fee.pk)
    if fee.status != MissedVisitFee.Status.PROPOSED:
        raise ValidationError(f"This fee was {fee.get_status_display().lower()} already.")
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for waiving the fee."})
    fee.status = MissedVisitFee.Status.WAIVED
    fee.waive_reason = reason.strip()[:300]
    fee.decided_by, fee.decided_at = decided_by, now or timezone.now()
    fee.save(update_fields=["status", "waive_reason", "decided_by", "decided_at"])
    return fee
