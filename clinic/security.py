"""Staff session limits, multi-factor authentication rules and login auditing."""

import re
import time
import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.dispatch import receiver
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request

from clinic import audit
from clinic.mfa import sign_in_completed
from clinic.roles import mfa_required

LOGIN_AT = "clinic_login_at"
SEEN_AT = "clinic_seen_at"
SEEN_RESOLUTION = 60  # seconds


def request_body_limit(path: str, content_type: str) -> int:
    """The largest body accepted at ``path``, in bytes: DATA_UPLOAD_MAX_MEMORY_SIZE, or
    for a multipart form sent to one of the ``UPLOAD_URL_NAMES`` (the document uploads)
    room for a full upload's files besides (DOCUMENT_MAX_FILES_PER_UPLOAD x
    DOCUMENT_MAX_FILE_BYTES). A file over its own limit inside that is skipped and named
    by clinic.uploads, not refused with the request."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not content_type.lower().startswith("multipart/form-data"):
        return limit
    try:
        view_name = resolve(path).view_name
    except Resolver404:
        return limit
    if view_name in settings.UPLOAD_URL_NAMES:
        limit += settings.DOCUMENT_MAX_FILES_PER_UPLOAD * settings.DOCUMENT_MAX_FILE_BYTES
    return limit


class RequestSizeLimitMiddleware:
    """Refuses any body over ``request_body_limit`` up front: Django's own limit skips
    file parts and non-form bodies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > request_body_limit(request.path_info, request.META.get("CONTENT_TYPE", "")):
            raise RequestDataTooBig("Request body exceeded its limit.")
        return self.get_response(request)


def _has_control_chars(text: str, allowed: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


_C0_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # all but the tab


class RequestInputMiddleware:
    """Refuses (400) a request whose path, query string or headers carry control
    characters: a NUL cannot be stored or searched in PostgreSQL, and no browser sends
    one there. Form bodies are checked by the forms themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = [text for key, values in request.GET.lists() for text in (key, *values)]
        # Header values arrive as latin-1 text, where a UTF-8 byte such as 0x80 reads as a
        # C1 control; only C0 controls (and DEL) are refused there.
        headers = [str(v) for k, v in request.META.items() if k.startswith("HTTP_")]
        if (
            _has_control_chars(request.path, "")
            or any(_has_control_chars(text, "\t\r\n") for text in query)
            or any(_C0_CONTROLS.search(text) for text in headers)
        ):
            raise BadRequest("Control characters in the address or headers.")
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A number too large for any column or date (``?at__year=`` followed by thirty
        nines, in the admin's date drill-down) is the request's fault: a 400, not a 500.
        Ids in paths never get this far (``clinic.converters.RecordId``)."""
        if isinstance(exception, OverflowError):
            return bad_request(request, BadRequest("A number in the request is too large."))
        return None


class NoStoreMiddleware:
    """Every page defaults to ``Cache-Control: no-store, private``: staff pages and
    patient links show health data that a shared computer's browser must not keep or
    show again from its history. The one exception is static files (whitenoise
    serves them with their long cache before this runs; skipped here by path too).
    A view that sets its own Cache-Control still gets no-store and private added."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            patch_cache_control(response, no_store=True, private=True)
        return response


class SessionTimeoutMiddleware:
    """Signs staff out after SESSION_IDLE_SECONDS without a request, and in any case
    SESSION_COOKIE_AGE after they signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            login_at = request.session.get(LOGIN_AT, now)
            seen_at = request.session.get(SEEN_AT, now)
            reason = None
            if now - seen_at > settings.SESSION_IDLE_SECONDS:
                reason = "You were signed out after a period without activity."
            elif now - login_at > settings.SESSION_COOKIE_AGE:
                reason = "Your session reached its time limit; please sign in again."
            if reason:
                logout(request)
                messages.info(request, reason)
                return redirect_to_login(request.get_full_path())
            if LOGIN_AT not in request.session:
                request.session[LOGIN_AT] = login_at
            if now - seen_at >= SEEN_RESOLUTION or SEEN_AT not in request.session:
                request.session[SEEN_AT] = now  # a session write at most once a minute
        return self.get_response(request)


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    request.session[LOGIN_AT] = request.session[SEEN_AT] = int(time.time())
    audit.record(request, audit.Action.LOGIN, detail="signed in")
    if request is not None and not mfa_required(user):
        sign_in_completed(request, user)


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record(request, audit.Action.LOGIN_FAILED, detail=f"username {username!r}")
