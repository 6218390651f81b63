"""One-time form tokens: a form that creates a record creates it once.

A form that creates records renders ``{% form_token %}`` (``clinic_forms`` tag library), a
hidden random token. The view runs its write inside ``with once.claim(request) as c:``,
which inserts the token in the same transaction (a unique column), and sets
``c.result_url`` to the page of what it created. A second POST with the same token, at
the same moment (it waits on the unique index, then fails) or later (reload, back and
send), raises ``Replayed``; ``Replayed.response()`` takes the user to the first result
with a message. The token is spent only when the write commits: a refused submission can
be corrected and sent again. POSTs without a token (an old page) are not deduplicated
here; the database guards in each service (locks, constraints) still apply. Spent tokens
are kept for ``FORM_TOKEN_KEEP_HOURS`` (longer than a signed-in session lasts, so no page
that could still be sent outlives its token) and then purged daily.
"""

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from clinic.models import FormSubmission

FIELD = "form_token"
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
REPLAYED_MESSAGE = "This form was already sent and saved; here is what it saved."


def token_new() -> str:
    return secrets.token_urlsafe(24)


def token_of(request: HttpRequest) -> str | None:
    """The request's well-formed form token, if it sent one."""
    token = request.POST.get(FIELD, "")
    return token if TOKEN_RE.fullmatch(token) else None


class Replayed(Exception):
    """The form token was used already; ``url`` is where its first submission led."""

    def __init__(self, url: str):
        super().__init__("form token already used")
        self.url = url

    def response(self, request: HttpRequest, fallback: str) -> HttpResponse:
        messages.info(request, REPLAYED_MESSAGE)
        safe = url_has_allowed_host_and_scheme(self.url, allowed_hosts={request.get_host()})
        return redirect(self.url if self.url and safe else fallback)


def replay_of(request: HttpRequest) -> Replayed | None:
    """``Replayed`` for a request whose form token was spent already, else None; spends
    nothing (a view that must know before it refuses, say on a note the first signed)."""
    token = token_of(request)
    if not token or not request.user.is_authenticated:
        return None
    earlier = FormSubmission.objects.filter(token=token, user=request.user).first()
    return Replayed(earlier.result_url) if earlier is not None else None


@dataclass
class Claim:
    result_url: str = ""


@contextmanager
def claim(request: HttpRequest) -> Iterator[Claim]:
    """A transaction that spends the request's form token; raises ``Replayed`` if spent."""
    token = token_of(request)
    user = request.user if request.user.is_authenticated else None
    with transaction.atomic():
        submission = None
        if token:
            try:
                with transaction.atomic():
                    submission = FormSubmission.objects.create(token=token, user=user)
            except IntegrityError:
                earlier = FormSubmission.objects.filter(token=token, user=user).first()
                raise Replayed(earlier.result_url if earlier else "") from None
        result = Claim()
        yield result
        if submission is not None and result.result_url:
            submission.result_url = result.result_url
            submission.save(update_fields=["result_url"])


def tokens_purge(*, now: datetime | None = None) -> int:
    """Delete spent tokens older than ``FORM_TOKEN_KEEP_HOURS``; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.FORM_TOKEN_KEEP_HOURS)
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted
