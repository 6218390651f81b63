"""What a receipt and a statement carry, as plain values, and how money is written.

Billing's services fill these from their rows; ``sessions.billing.pdf`` lays them out.
Money is ``Decimal`` in ``currency`` (CAD by default), dates are ``date``. Nothing
clinical belongs here: no diagnosis, no note, no treated site.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sessions.billing.money import format_money

ZERO = Decimal("0")


@dataclass(frozen=True)
class ClinicHeader:
    """The clinic (or its location) as printed at the top: ``address`` may hold newlines."""

    name: str
    address: str
    phone: str = ""

    @classmethod
    def at(cls, name: str, location: object | None) -> "ClinicHeader":
        """The header for a location (anything with ``name``, ``address`` and ``phone``,
        as ``sessions.Location``): its address (its name when it has none) and phone;
        None gives the clinic's name alone."""
        if location is None:
            return cls(name=name, address="")
        address = getattr(location, "address", "") or getattr(location, "name", "")
        return cls(name=name, address=address, phone=getattr(location, "phone", ""))


@dataclass(frozen=True)
class ReceiptLine:
    """One service or item. ``line_total`` is quantity x unit price plus ``tax``."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal
    tax_name: str = ""
    tax: Decimal = ZERO


@dataclass(frozen=True)
class ReceiptPayment:
    """A payment as the patient and insurer read it; ``method`` is the label ("Debit")."""

    paid_on: date
    method: str
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class ReceiptData:
    """Everything an insurer asks for on a receipt. Raises ``ValueError`` when the figures
    disagree (total is not the sum of the lines, balance is not total minus paid)."""

    clinic: ClinicHeader
    invoice_number: str
    issue_date: date
    service_date: date
    patient_name: str
    lines: tuple[ReceiptLine, ...]
    total: Decimal
    amount_paid: Decimal
    balance: Decimal
    practitioner_name: str
    practitioner_designation: str
    registration_number: str
    regulatory_body: str = ""
    patient_birth_date: date | None = None
    payments: tuple[ReceiptPayment, ...] = ()
    payer_name: str = ""
    claim_number: str = ""
    payer_portion: Decimal | None = None
    patient_portion: Decimal | None = None
    currency: str = "CAD"

    def __post_init__(self) -> None:
        if sum((line.line_total for line in self.lines), ZERO) != self.total:
            raise ValueError("The receipt's total is not the sum of its lines.")
        if self.total - self.amount_paid != self.balance:
            raise ValueError("The receipt's balance is not its total minus the amount paid.")


@dataclass(frozen=True)
class StatementRow:
    """One invoice, credit note, payment or refund; ``balance`` is the running balance
    after it (negative: the patient is in credit). ``kind`` is a label ("Invoice")."""

    on: date
    kind: str
    number: str
    description: str
    balance: Decimal
    charge: Decimal | None = None
    payment: Decimal | None = None


@dataclass(frozen=True)
class StatementData:
    """A patient's account over ``period_start``..``period_end``, oldest row first.
    Raises ``ValueError`` when the totals are not the sums of the rows."""

    clinic: ClinicHeader
    patient_name: str
    statement_date: date
    period_start: date
    period_end: date
    rows: tuple[StatementRow, ...]
    total_charges: Decimal
    total_payments: Decimal
    balance: Decimal
    credit: Decimal = ZERO
    opening_balance: Decimal = ZERO
    patient_birth_date: date | None = None
    currency: str = "CAD"

    def __post_init__(self) -> None:
        if sum((r.charge or ZERO for r in self.rows), ZERO) != self.total_charges:
            raise ValueError("The statement's total charges are not the sum of its rows.")
        if sum((r.payment or ZERO for r in self.rows), ZERO) != self.total_payments:
            raise ValueError("The statement's total payments are not the sum of its rows.")
        if self.opening_balance + self.total_charges - self.total_payments != self.balance:
            raise ValueError("The statement's balance does not follow from its totals.")


def money(amount: Decimal, currency: str = "CAD", *, code: bool = True) -> str:
    """``Decimal("1234.5")`` -> ``"$1,234.50 CAD"`` (``"$1,234.50"`` without ``code``);
    negative -> ``"-$5.00 CAD"``. Rounded half up to the cent by ``money.format_money``."""
    text = format_money(amount, currency)
    return f"{text} {currency}" if code and currency not in text else text


def day(value: date) -> str:
    """ISO 8601 (2026-11-30): unambiguous for any reader, English or French."""
    return value.isoformat()
