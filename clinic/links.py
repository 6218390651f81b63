"""Signed links for patients, who have no accounts.

A token signs (purpose, object id, nonce). The nonce is random and stored on the
row, so a token cannot be guessed, and revoking or expiring the row kills it.

A link works for its lifetime (the README's table: so many days from when it is sent or
made) up to but not including the instant it expires: at ``issued + lifetime`` it is
refused. ``link_live`` says so for one row, ``issued_after`` for a query (``__gt``);
an intake invitation's ``expires_at`` follows the same rule.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, cast

from django.conf import settings
from django.core import signing
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinic import throttle
from clinic.audit import client_ip
from clinic.models import ShortLink

RowT = TypeVar("RowT", bound=Model)


class LinkedRow(Protocol):
    """A row a patient link can name: its primary key and the ``nonce`` it signs."""

    @property
    def pk(self) -> Any: ...

    @property
    def nonce(self) -> str: ...


def link_live(issued_at: datetime, days: int, now: datetime) -> bool:
    """Whether a link issued at ``issued_at`` and good for ``days`` days works at ``now``."""
    return now < issued_at + timedelta(days=days)


def issued_after(days: int, now: datetime) -> datetime:
    """The moment a link good for ``days`` days must be issued after (``__gt``, not
    ``__gte``) to work at ``now``."""
    return now - timedelta(days=days)


def make_token(purpose: str, pk: int, nonce: str) -> str:
    """A signed token naming row ``pk`` with ``nonce``, good only for ``purpose``."""
    return signing.dumps([pk, nonce], salt=f"clinic.links.{purpose}", compress=False)


def read_token(purpose: str, token: str) -> tuple[int, str] | None:
    """(pk, nonce) from a valid token of that purpose, else None."""
    try:
        pk, nonce = signing.loads(token, salt=f"clinic.links.{purpose}")
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    return pk, nonce


def links_revoke(queryset: QuerySet[Any]) -> int:
    """Kill every link already given out for these rows: each gets a new nonce, so no
    token signed with the old one matches again. Returns how many rows."""
    rows = list(queryset.only("pk"))
    for row in rows:
        queryset.model.objects.filter(pk=row.pk).update(nonce=secrets.token_urlsafe(24))
    return len(rows)


def link_to(purpose: str, row: LinkedRow, viewname: str) -> str:
    """The full address of a link to ``row`` (which has a ``nonce``) at view ``viewname``."""
    token = make_token(purpose, row.pk, row.nonce)
    return settings.SITE_URL + reverse(viewname, args=[token])


def row_from_token(purpose: str, token: str, queryset: QuerySet[RowT]) -> RowT | None:
    """The row of ``queryset`` a genuine token of that purpose names, or None: the
    signature holds, the row exists and still has the nonce that was signed."""
    found = read_token(purpose, token)
    if found is None:
        return None
    pk, nonce = found
    row = queryset.filter(pk=pk).first()
    if row is None or not secrets.compare_digest(cast(LinkedRow, row).nonce, nonce):
        return None
    return row


# --- Short links, for text messages ------------------------------------------------------

SHORT_CODE_LENGTH = 12  # base62-ish (token_urlsafe): about 72 bits, never guessed
SHORT_LINK_PURPOSE = "s"


def short_link(target: str, *, expires_at: datetime, now: datetime | None = None) -> str:
    """A short full address (``SITE_URL/s/<code>``) that leads to ``target`` (a full
    address of ours) until ``expires_at``. Raises ValueError for a ``target`` that is
    not on ``SITE_URL`` (a short link never leads elsewhere)."""
    if not target.startswith(settings.SITE_URL + "/"):
        raise ValueError("a short link leads only to this site")
    code = secrets.token_urlsafe(16)[:SHORT_CODE_LENGTH]
    row = ShortLink(code=code, target=target, expires_at=expires_at)
    if now is not None:
        row.created_at = now
    row.full_clean()
    row.save()
    return settings.SITE_URL + reverse("short-link", args=[code])


def short_link_target(code: str, *, now: datetime) -> str | None:
    """Where a live short link leads, else None (unknown or expired)."""
    if len(code) != SHORT_CODE_LENGTH:
        return None
    row = ShortLink.objects.filter(code=code, expires_at__gt=now).only("target").first()
    return row.target if row else None


def _bad_link_key(request: HttpRequest) -> str:
    return f"bad-links:{client_ip(request) or 'unknown'}"


def refuse(request: HttpRequest) -> HttpResponse:
    """The one plain page for a link that is tampered, expired, revoked or unknown;
    after too many of them from one address, a "too many" page for a while.

    Only bad links are refused: a genuine link always opens, so a stranger sharing the
    address (the clinic's Wi-Fi, a phone carrier's) cannot lock patients out. The
    signature is what makes guessing hopeless; this only slows scanners down."""
    bad = throttle.hit(_bad_link_key(request), window=settings.BAD_LINK_WINDOW_SECONDS)
    if bad >= settings.BAD_LINK_LIMIT:
        return render(request, "clinic/too_many_links.html", status=429)
    return render(request, "intake/link_invalid.html", status=404)
