"""``{{ number|national }}``: a phone number as people in the clinic's region write it."""

from django import template
from django.conf import settings

from intake import phones

register = template.Library()


@register.filter
def national(number) -> str:
    """(403) 555-0101 for a number of the clinic's region, +44 7911 123456 for another."""
    return phones.national(number, settings.PHONE_DEFAULT_REGION)
