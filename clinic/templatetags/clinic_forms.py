from django import template
from django.utils.html import format_html

from clinic import once
from clinic.form_errors import first_error_field

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context) -> str:
    """A hidden one-time token (``clinic.once``); a re-shown form keeps the token it sent."""
    request = context.get("request")
    token = (once.token_of(request) if request is not None else None) or once.token_new()
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, token)


@register.filter
def focuses_summary(form) -> bool:
    """Whether a refused form's error summary takes the focus: no one field is in error."""
    return first_error_field(form) is None
