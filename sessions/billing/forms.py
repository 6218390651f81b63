"""The front desk's billing forms: check-out (invoice and payments in one), a payment,
credit, void, credit note, refund, a by-hand invoice and a missed-visit fee's decision.
Amounts are ``Decimal`` to the cent, above zero and at most the domain's limit, so a
malformed, negative or huge amount is a field error, never a 500."""

from datetime import timedelta
from decimal import Decimal

from django import forms

from clinic import clock
from clinic.roles import display_name
from sessions.billing.documents import Payment, Portion
from sessions.billing.models import BillableItem, PayerCase
from sessions.booking.models import Appointment, Location

AMOUNT_LIMIT = Decimal("50000.00")
# How far back a by-hand invoice may date its service (insurers take claims for a year or two).
BACKDATE_DAYS = 2 * 365
PAY_ROWS = 3
# Methods the desk takes from a patient (payer payments and credit notes are not taken here).
DESK_METHODS = [
    (value, label)
    for value, label in Payment.Method.choices
    if value not in (Payment.Method.PAYER, Payment.Method.CREDIT_NOTE)
]


def amount_field(label: str = "Amount ($)", *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=AMOUNT_LIMIT,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def goods_items():
    """Items billed besides a visit's type (a brace, tape)."""
    return BillableItem.objects.filter(is_active=True, appointment_type__isnull=True)


class CheckoutForm(forms.Form):
    """The invoice's extra item and up to ``PAY_ROWS`` payments (method, amount,
    reference), plus the patient's credit. ``payments()`` gives the filled rows."""

    item = forms.ModelChoiceField(
        label="Add an item", queryset=BillableItem.objects.none(), required=False
    )
    quantity = forms.IntegerField(
        label="Quantity", min_value=1, max_value=100, initial=1, required=False
    )
    use_credit = forms.BooleanField(label="Use the patient's credit first", required=False)

    def __init__(self, *args, allow_items: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if allow_items:
            self.fields["item"].queryset = goods_items()  # type: ignore[attr-defined]
        else:
            del self.fields["item"], self.fields["quantity"]
        for i in range(1, PAY_ROWS + 1):
            self.fields[f"method_{i}"] = forms.ChoiceField(
                label=f"Payment {i}: method", choices=[("", "—"), *DESK_METHODS], required=False
            )
            self.fields[f"amount_{i}"] = amount_field(f"Payment {i}: amount ($)", required=False)
            self.fields[f"reference_{i}"] = forms.CharField(
                label=f"Payment {i}: reference", max_length=100, required=False
            )

    def clean(self):
        data = super().clean()
        for i in range(1, PAY_ROWS + 1):
            method, amount = data.get(f"method_{i}"), data.get(f"amount_{i}")
            if method and amount is None and f"amount_{i}" not in self.errors:
                self.add_error(f"amount_{i}", "Enter the amount paid.")
            if amount is not None and not method:
                self.add_error(f"method_{i}", "Say how it was paid.")
        return data

    def pay_rows(self) -> list[tuple]:
        """The bound fields of each payment row: (method, amount, reference)."""
        return [
            (self[f"method_{i}"], self[f"amount_{i}"], self[f"reference_{i}"])
            for i in range(1, PAY_ROWS + 1)
        ]

    def payments(self) -> list[tuple[int, str, Decimal, str]]:
        """The filled payment rows: (row number, method, amount, reference)."""
        rows = []
        for i in range(1, PAY_ROWS + 1):
            method, amount = (
                self.cleaned_data.get(f"method_{i}"),
                self.cleaned_data.get(f"amount_{i}"),
            )
            if method and amount is not None:
                rows.append((i, method, amount, self.cleaned_data.get(f"reference_{i}", "")))
        return rows


class PaymentForm(forms.Form):
    method = forms.ChoiceField(label="Method", choices=DESK_METHODS)
    amount = amount_field()
    reference = forms.CharField(
        label="Reference (cheque or terminal number)", max_length=100, required=False
    )


class CreditApplyForm(forms.Form):
    amount = amount_field("Amount of credit to use ($), blank: as much as possible", required=False)


class VoidForm(forms.Form):
    reason = forms.CharField(label="Reason for voiding", max_length=300)


class CreditNoteForm(forms.Form):
    amount = amount_field()
    portion = forms.ChoiceField(label="Portion", choices=Portion.choices, initial=Portion.PATIENT)
    reason = forms.CharField(label="Reason", max_length=300)


class RefundForm(forms.Form):
    """A refund from credit, at a location (the day sheet it appears on). ``patient``
    picks the initial location: their last visit's if still open, else the first open."""

    amount = amount_field()
    method = forms.ChoiceField(label="Paid back by", choices=DESK_METHODS)
    reason = forms.CharField(label="Reason", max_length=300)
    location = forms.ModelChoiceField(
        label="Paid back at", queryset=Location.objects.filter(is_active=True), empty_label=None
    )

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        last = None
        if patient is not None:
            last = (
                Appointment.objects.filter(patient=patient, location__is_active=True)
                .order_by("-start")
                .values_list("location_id", flat=True)
                .first()
            )
        first = Location.objects.filter(is_active=True).values_list("pk", flat=True).first()
        self.fields["location"].initial = last or first


class InvoiceNewForm(forms.Form):
    """A by-hand invoice: a date of service, who it is billed to (the patient, or one
    of their open cases: its share covers treatment items only) and up to three items
    with quantities."""

    service_date = forms.DateField(
        label="Date of service", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, locations=None, patient=None, practitioners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"] = forms.ModelChoiceField(
            label="Provided by",
            queryset=practitioners,
            required=False,
            help_text="Needed for treatment items: the receipt names the practitioner.",
        )
        self.fields["practitioner"].label_from_instance = display_name
        self.fields["bill_to"] = forms.ModelChoiceField(
            label="Bill to",
            queryset=PayerCase.objects.filter(patient=patient, closed_on__isnull=True),
            required=False,
            empty_label="The patient",
            help_text="A case pays its share of treatment items; goods go to the patient.",
        )
        self.fields["location"] = forms.ModelChoiceField(label="Location", queryset=locations)
        items = BillableItem.objects.filter(is_active=True)
        for i in range(1, 4):
            self.fields[f"item_{i}"] = forms.ModelChoiceField(
                label=f"Item {i}", queryset=items, required=i == 1
            )
            self.fields[f"quantity_{i}"] = forms.IntegerField(
                label=f"Item {i}: quantity", min_value=1, max_value=100, initial=1, required=False
            )

    def clean(self):
        data = super().clean()
        case, day = data.get("bill_to"), data.get("service_date")
        today = clock.clinic_today()
        if day is not None and day > today:
            self.add_error("service_date", "The date of service cannot be after today.")
        elif day is not None and day < today - timedelta(days=BACKDATE_DAYS):
            self.add_error(
                "service_date",
                f"The date of service must be within {BACKDATE_DAYS // 365} years of today.",
            )
        treatment = any(item.appointment_type_id for item, _ in self.lines())
        if treatment and data.get("practitioner") is None:
            self.add_error(
                "practitioner", "Name who provided the treatment: the receipt must show it."
            )
        if case is not None and day is not None and case.opened_on > day:
            self.add_error(
                "bill_to", f"{case} opened on {case.opened_on:%Y-%m-%d}, after that date."
            )
        return data

    def lines(self) -> list[tuple[BillableItem, int]]:
        out = []
        for i in range(1, 4):
            item = self.cleaned_data.get(f"item_{i}")
            if not isinstance(item, BillableItem):
                continue
            if item is not None:
                out.append((item, self.cleaned_data.get(f"quantity_{i}") or 1))
        return out


class MissedFeeForm(forms.Form):
    """Confirm (charge) or waive, with the reason a waiver needs."""

    decision = forms.ChoiceField(
        label="Decision", choices=[("confirm", "Charge the fee"), ("waive", "Waive the fee")]
    )
    reason = forms.CharField(label="Reason for waiving", max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "waive" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Give the reason for waiving the fee.")
        return data
