"""Money on receipt pages, written as the PDF writes it (``printouts.money``)."""

from decimal import Decimal

from django import template

from sessions.billing.printouts import money

register = template.Library()


@register.filter
def receipt_money(amount: Decimal, currency: str = "CAD") -> str:
    """``Decimal("95")`` -> ``"$95.00 CAD"``."""
    return money(amount, currency)
