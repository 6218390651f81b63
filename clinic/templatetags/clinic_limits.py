"""Limits from settings, for pages rendered without a view's context (the error pages)."""

from django import template
from django.conf import settings
from django.template.defaultfilters import filesizeformat

register = template.Library()


@register.simple_tag
def max_request_size() -> str:
    """The largest request body accepted (``MAX_REQUEST_BYTES``), as "1.0 MB"."""
    return filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
