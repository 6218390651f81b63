"""Is this request really from the SMS provider? Twilio signs every webhook (status
callbacks, incoming texts) with the account's auth token over the full URL it called and
the POSTed fields (header X-Twilio-Signature); the library checks it."""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from twilio.request_validator import RequestValidator


def request_urls(request: HttpRequest) -> list[str]:
    """The addresses the provider may have signed for ``request``: the public one
    (``SITE_URL`` and the path; the callback URLs we give the provider are built from
    it), and the one the request reached, as Django sees it (behind a TLS proxy
    ``BEHIND_TLS_PROXY`` makes it honour X-Forwarded-Proto)."""
    urls = [settings.SITE_URL + request.get_full_path()]
    try:
        urls.append(request.build_absolute_uri())
    except DisallowedHost:
        pass
    return list(dict.fromkeys(urls))


def verify_webhook(request: HttpRequest) -> bool:
    """Whether ``request`` carries a valid Twilio signature made with
    ``TWILIO_AUTH_TOKEN``. False without a token, a signature or a POST."""
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature or request.method != "POST":
        return False
    validator = RequestValidator(token)
    # A JSON body is signed through its SHA-256 in the URL (bodySHA256); a form through
    # its fields.
    params: object = (
        request.body.decode("utf-8", "replace") if "bodySHA256" in request.GET else request.POST
    )
    return any(validator.validate(url, params, signature) for url in request_urls(request))
