"""Money arithmetic, the one place it is done: amounts are ``Decimal`` in the clinic's
currency (``settings.CLINIC_CURRENCY``), rounded to the cent half up. Plain functions
over plain values; no database, no floats (a float argument is refused)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def _decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money is never a float: pass a Decimal, an int or a string")
    return value if isinstance(value, Decimal) else Decimal(value)


def cents(value: Decimal | int | str) -> Decimal:
    """``value`` rounded to the cent, half up (2.345 -> 2.35, -2.345 -> -2.35)."""
    return _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """The sum of ``amounts``, to the cent (0.00 for none)."""
    return cents(sum((_decimal(a) for a in amounts), ZERO))


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal  # quantity × unit price
    tax: Decimal
    total: Decimal  # net + tax


def line_amounts(
    *, quantity: int | Decimal, unit_price: Decimal, tax_rate: Decimal = ZERO
) -> LineAmounts:
    """An invoice line's net, tax and total, each to the cent; ``tax_rate`` is a percent
    (5 for 5 %). Tax is rounded per line, as receipts show it per line."""
    net = cents(_decimal(quantity) * _decimal(unit_price))
    tax = cents(net * _decimal(tax_rate) / HUNDRED)
    return LineAmounts(net=net, tax=tax, total=net + tax)


@dataclass(frozen=True)
class Split:
    payer: Decimal
    patient: Decimal


def split(
    amount: Decimal, *, payer_percent: Decimal | None = None, payer_amount: Decimal | None = None
) -> Split:
    """Split ``amount`` between a payer and the patient: the payer pays ``payer_percent``
    of it (rounded to the cent, half up) or ``payer_amount`` (at most all of it), the
    patient the rest, so the two always add up to ``amount``. Neither given: the patient
    pays all. Raises ValueError when both are given or either is out of range."""
    amount = cents(amount)
    if payer_percent is not None and payer_amount is not None:
        raise ValueError("give the payer's share as a percent or an amount, not both")
    if payer_percent is not None:
        percent = _decimal(payer_percent)
        if not ZERO <= percent <= HUNDRED:
            raise ValueError("the payer's percent runs from 0 to 100")
        payer = cents(amount * percent / HUNDRED)
    elif payer_amount is not None:
        if _decimal(payer_amount) < 0:
            raise ValueError("the payer's amount cannot be negative")
        payer = min(cents(payer_amount), amount)
    else:
        payer = ZERO
    return Split(payer=payer, patient=amount - payer)


def format_money(amount: Decimal, currency: str = "CAD") -> str:
    """``amount`` as a receipt shows it: "$1,234.50" (negative "-$5.00"); a currency
    other than dollars is named: "1,234.50 EUR"."""
    value = cents(amount)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.2f}"
    if currency in ("CAD", "USD", "AUD", "NZD"):
        return f"{sign}${text}"
    return f"{sign}{text} {currency}"
