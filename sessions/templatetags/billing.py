"""How billing writes money on pages: ``{{ amount|money }}`` -> "$1,234.50"."""

from decimal import Decimal

from django import template

from sessions.billing.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None) -> str:
    """``amount`` to the cent with its currency sign; None -> empty."""
    return "" if amount is None else format_money(amount)


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
