"""How billing writes money on pages, the one filter for it: ``{{ amount|money }}`` ->
"$1,234.50" (negative "-$20.00"), in ``settings.CLINIC_CURRENCY``."""

from decimal import Decimal

from django import template
from django.conf import settings

from sessions.billing import printouts
from sessions.billing.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, style: str = "") -> str:
    """``amount`` to the cent, half up, by ``money.format_money``; None -> empty.
    ``{{ amount|money:"code" }}`` also names the currency, as the receipt's PDF does
    (``printouts.money``): "$95.00 CAD". Any other ``style`` raises ValueError."""
    if style not in ("", "code"):
        raise ValueError(f'money: unknown style {style!r} (use "code" or nothing)')
    if amount is None:
        return ""
    if style == "code":
        return printouts.money(amount, settings.CLINIC_CURRENCY)
    return format_money(amount, settings.CLINIC_CURRENCY)


@register.filter
def checkout_due(appointment) -> bool:
    """Whether the desk should check the visit out: completed, or missed with a fee
    still proposed, and not invoiced (``is_invoiced``, annotated by the calendars)."""
    if getattr(appointment, "is_invoiced", False):
        return False
    if appointment.status == "completed":
        return True
    fee = getattr(appointment, "missed_fee", None)
    return fee is not None and fee.status == "proposed"


@register.filter
def proposed_fee(appointment):
    """The visit's missed-visit fee while it waits for the desk's decision, else None."""
    fee = getattr(appointment, "missed_fee", None)
    return fee if fee is not None and fee.status == "proposed" else None
