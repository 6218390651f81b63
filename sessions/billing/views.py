"""The front desk's billing pages: check-out (invoice and payments in one form), the
invoice page and its actions (payment, credit, void, credit note) and a missed-visit
fee's decision. Front desk and clinic admin only (``BILLERS``). Audit: every page that
shows patient data records a view of its visit, invoice or fee (a refused form as
"refused <form>"); every change that goes through records the objects the action
returned, as create (a fee's decision: update); a double press replayed by clinic/once.py
records nothing more. No page here reads charting: nothing clinical is shown."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic import audit, once
from clinic.access import require_roles
from clinic.form_errors import add_refusal
from clinic.roles import BILLERS
from sessions.billing import money, selectors
from sessions.billing.checkout import PayIn, checkout_preview, checkout_take
from sessions.billing.documents import CreditNote, Invoice, PaymentAllocation
from sessions.billing.forms import (
    CheckoutForm,
    CreditApplyForm,
    CreditNoteForm,
    MissedFeeForm,
    PaymentForm,
    VoidForm,
)
from sessions.billing.missed import missed_fee_charge, missed_fee_waive
from sessions.billing.models import MissedVisitFee
from sessions.billing.payments import AllocationIn, credit_apply, payment_take
from sessions.billing.services import BILLABLE_REFUSALS, LineIn, invoice_void
from sessions.billing.services import credit_note_issue as note_issue
from sessions.booking.models import Appointment

CHECKOUT_STATES = (
    Appointment.Status.COMPLETED,
    Appointment.Status.NO_SHOW,
    Appointment.Status.CANCELLED,
)


def _appointment(pk: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related(
            "patient", "practitioner", "location", "type", "payer_case", "missed_fee", "course"
        ).with_visit_number(),
        pk=pk,
    )


def _checkout_context(appointment: Appointment, form: CheckoutForm | None) -> dict:
    case = appointment.payer_case
    fee = getattr(appointment, "missed_fee", None)
    return {
        "appointment": appointment,
        "form": form,
        "account": selectors.patient_account(patient=appointment.patient),
        "authorisation": (
            selectors.case_authorisation(
                case=case, start=appointment.start, exclude_id=appointment.pk
            )
            if case is not None
            else None
        ),
        "missed_fee": fee,
        "existing": Invoice.objects.live().filter(appointment=appointment).first(),
        "refusal": _refusal(appointment, fee),
        "preview": checkout_preview(appointment=appointment),
        "pay_rows": form.pay_rows() if form is not None else [],
    }


def _refusal(appointment: Appointment, fee: MissedVisitFee | None) -> str:
    status = Appointment.Status(appointment.status)
    if status in (Appointment.Status.NO_SHOW, Appointment.Status.CANCELLED):
        if fee is None or fee.status != MissedVisitFee.Status.PROPOSED:
            return "There is no missed-visit fee to charge for this visit."
        return ""
    if status != Appointment.Status.COMPLETED:
        return BILLABLE_REFUSALS[status]
    return ""


def _invoiced_already(request, invoice: Invoice) -> str:
    """What the desk reads when the visit had its invoice already; a check-out sent
    from an older tab also hears that the payment typed there was not taken."""
    text = f"This visit is invoiced already ({invoice.display_number})."
    if request.method == "POST" and any(request.POST.get(f"amount_{i}") for i in (1, 2, 3)):
        text += " The payment typed on the check-out was not taken: take it here if it is due."
    return text


@require_roles(*BILLERS)
def checkout(request, pk: int):
    """Check-out: the visit, the patient's balance, the invoice it will issue and its
    payments, in one form; one press issues and takes them, or nothing."""
    appointment = _appointment(pk)
    missed = appointment.status != Appointment.Status.COMPLETED
    form = CheckoutForm(request.POST or None, allow_items=not missed)
    context = _checkout_context(appointment, form)
    if context["existing"] is not None:
        audit.record(request, audit.Action.VIEW, obj=context["existing"], detail="check-out")
        messages.info(request, _invoiced_already(request, context["existing"]))
        return redirect("sessions:invoice", context["existing"].pk)
    if request.method == "POST" and not context["refusal"] and form.is_valid():
        item = form.cleaned_data.get("item")
        quantity = form.cleaned_data.get("quantity") or 1
        extra = [LineIn(item=item, quantity=quantity)] if item else []
        pays = [PayIn(row, method, amount, ref) for row, method, amount, ref in form.payments()]
        try:
            with once.claim(request) as claim:
                invoice, taken, credited = checkout_take(
                    appointment=appointment,
                    issued_by=request.user,
                    extra=extra,
                    payments=pays,
                    use_credit=form.cleaned_data["use_credit"],
                )
                claim.result_url = reverse("sessions:invoice", args=[invoice.pk])
        except once.Replayed as replay:
            return replay.response(request, fallback=request.path)
        except ValidationError as exc:
            first = Invoice.objects.live().filter(appointment=appointment).first()
            if first is not None:  # another press issued it meanwhile
                messages.info(request, _invoiced_already(request, first))
                return redirect("sessions:invoice", first.pk)
            add_refusal(form, exc)
        else:
            audit.record(request, audit.Action.CREATE, obj=invoice, detail="check-out")
            if credited:
                audit.record(
                    request, audit.Action.UPDATE, obj=invoice, detail=_credit_detail(credited)
                )
            for payment in taken:
                audit.record(
                    request, audit.Action.CREATE, obj=payment, detail=invoice.display_number
                )
            paid = money.format_money(sum((p.amount for p in taken), money.ZERO))
            messages.success(request, f"{invoice.display_number} issued; {paid} taken.")
            return redirect(claim.result_url)
    audit.record(request, audit.Action.VIEW, obj=appointment, detail="check-out")
    return render(request, "sessions/billing/checkout.html", context)


def _invoice(pk: int) -> Invoice:
    queryset = selectors.with_balances(Invoice.objects.all()).select_related(
        "patient", "practitioner", "location", "payer_case", "issued_by", "voided_by", "appointment"
    )
    allocations = PaymentAllocation.objects.select_related("payment").order_by("allocated_at", "id")
    return get_object_or_404(
        queryset.prefetch_related(
            "lines",
            Prefetch("allocations", queryset=allocations),
            Prefetch("credit_notes", queryset=CreditNote.objects.order_by("issued_at", "id")),
        ),
        pk=pk,
    )


def _invoice_page(request, invoice: Invoice, **forms):
    context = {
        "invoice": invoice,
        "account": selectors.patient_account(patient=invoice.patient),
        "pay_form": PaymentForm(initial={"amount": getattr(invoice, "patient_due", None) or None}),
        "credit_form": CreditApplyForm(),
        "void_form": VoidForm(),
        "note_form": CreditNoteForm(),
        **forms,
    }
    return render(request, "sessions/billing/invoice.html", context)


@require_roles(*BILLERS)
def invoice(request, pk: int):
    found = _invoice(pk)
    audit.record(request, audit.Action.VIEW, obj=found)
    return _invoice_page(request, found)


def _invoice_action(request, pk: int, form_class, form_name: str, act):
    """Run ``act(invoice, cleaned_data)`` for a valid form; on a refusal show the
    invoice page again with the form as typed and the message on its field."""
    found = _invoice(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            with once.claim(request) as claim:
                done, message = act(found, form.cleaned_data)
                claim.result_url = reverse("sessions:invoice", args=[found.pk])
        except once.Replayed as replay:
            return replay.response(request, fallback=reverse("sessions:invoice", args=[found.pk]))
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            for obj in done:
                if isinstance(obj, tuple):  # (action, obj, detail)
                    audit.record(request, obj[0], obj=obj[1], detail=obj[2])
                else:
                    audit.record(request, audit.Action.CREATE, obj=obj, detail=found.display_number)
            messages.success(request, message)
            return redirect("sessions:invoice", found.pk)
    audit.record(request, audit.Action.VIEW, obj=found, detail=f"refused {form_name}")
    return _invoice_page(request, found, **{form_name: form})


@require_roles(*BILLERS)
@require_POST
def invoice_pay(request, pk: int):
    def act(inv, data):
        payment = payment_take(
            patient=inv.patient,
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            recorded_by=request.user,
            allocations=[AllocationIn(invoice=inv)],
            location=inv.location,
        )
        return [payment], f"{money.format_money(payment.amount)} taken."

    return _invoice_action(request, pk, PaymentForm, "pay_form", act)


@require_roles(*BILLERS)
@require_POST
def invoice_credit_apply(request, pk: int):
    def act(inv, data):
        made = credit_apply(invoice=inv, amount=data["amount"])
        if not made:
            raise ValidationError({"amount": "There is no credit to use, or nothing is owed."})
        used = money.format_money(sum((a.amount for a in made), money.ZERO))
        return [(audit.Action.UPDATE, inv, _credit_detail(made))], f"{used} of credit used."

    return _invoice_action(request, pk, CreditApplyForm, "credit_form", act)


def _credit_detail(made) -> str:
    """The audit detail of credit put toward an invoice: the amount and the payments
    whose remainders were used ("credit applied $25.00 from payments 3, 7")."""
    used = money.format_money(sum((a.amount for a in made), money.ZERO))
    ids = ", ".join(str(a.payment_id) for a in made)
    return f"credit applied {used} from payments {ids}"


@require_roles(*BILLERS)
@require_POST
def invoice_void_view(request, pk: int):
    def act(inv, data):
        voided = invoice_void(invoice=inv, reason=data["reason"], voided_by=request.user)
        return [voided], f"{voided.display_number} is void."

    return _invoice_action(request, pk, VoidForm, "void_form", act)


@require_roles(*BILLERS)
@require_POST
def credit_note_add(request, pk: int):
    def act(inv, data):
        note = note_issue(
            invoice=inv,
            amount=data["amount"],
            portion=data["portion"],
            reason=data["reason"],
            issued_by=request.user,
        )
        return [note], f"{note.display_number} issued for {money.format_money(note.amount)}."

    return _invoice_action(request, pk, CreditNoteForm, "note_form", act)


@require_roles(*BILLERS)
def missed_fee(request, pk: int):
    """A proposed missed-visit fee: charge it (an invoice) or waive it with a reason."""
    fee = get_object_or_404(
        MissedVisitFee.objects.select_related(
            "appointment__patient", "appointment__type", "appointment__location", "invoice"
        ),
        pk=pk,
    )
    form = MissedFeeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with once.claim(request) as claim:
                done: Invoice | MissedVisitFee
                if form.cleaned_data["decision"] == "confirm":
                    inv = missed_fee_charge(fee=fee, decided_by=request.user)
                    done, url = inv, reverse("sessions:invoice", args=[inv.pk])
                else:
                    reason = form.cleaned_data["reason"]
                    done = missed_fee_waive(fee=fee, reason=reason, decided_by=request.user)
                    url = reverse("sessions:appointment-detail", args=[fee.appointment_id])
                claim.result_url = url
        except once.Replayed as replay:
            return replay.response(request, fallback=request.path)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            audit.record(request, audit.Action.UPDATE, obj=fee, patient=fee.appointment.patient)
            if isinstance(done, Invoice):
                audit.record(request, audit.Action.CREATE, obj=done, detail="missed-visit fee")
                messages.success(request, f"Fee charged on {done.display_number}.")
            else:
                messages.success(request, "Fee waived.")
            return redirect(url)
    audit.record(request, audit.Action.VIEW, obj=fee, patient=fee.appointment.patient)
    return render(request, "sessions/billing/missed_fee.html", {"fee": fee, "form": form})
