"""The wait list's mail, sent by the worker (``sessions.tasks.waitlist_mail_send``,
ids only): the joined note with the entry's link, a freed time's offer, and "taken".

``waitlist`` asks for a message with ``queue`` once its transaction commits; the
request goes through the ``mail_wanted`` signal, which ``sessions.apps`` connects to the
task (the tasks module imports the wait list, so the wait list cannot import it). A
mail server's failure is retried by the worker and never reaches the person's page.
"""

from django.db import transaction
from django.dispatch import Signal

from clinic import clock, emails, links
from sessions.online.models import WaitListEntry, WaitListOffer

ENTRY_PURPOSE = "waitlist-entry"
OFFER_PURPOSE = "waitlist-offer"

JOINED, OFFERS, TAKEN = "joined", "offers", "taken"
KINDS = (JOINED, OFFERS, TAKEN)

# Sent with ``kind`` (one of KINDS) and ``ids`` (entry ids for JOINED, else offer ids).
mail_wanted = Signal()


def queue(kind: str, ids: list[int]) -> None:
    """Once the current transaction commits, have the worker send ``kind`` for ``ids``."""
    if ids:
        transaction.on_commit(lambda: mail_wanted.send(sender=None, kind=kind, ids=list(ids)))


def entry_link(entry: WaitListEntry) -> str:
    """The full address of the person's own link to their entry (see it, leave)."""
    return links.link_to(ENTRY_PURPOSE, entry, "sessions:waitlist-entry")


def offer_link(offer: WaitListOffer) -> str:
    return links.link_to(OFFER_PURPOSE, offer, "sessions:offer")


def contact(entry: WaitListEntry) -> tuple[str, str]:
    """(email, first name) to write to about ``entry``: its patient's, or what the new
    person typed."""
    if entry.patient is not None:
        return entry.patient.email, entry.patient.greeting_name
    return entry.email, entry.first_name


def send(kind: str, ids: list[int]) -> int:
    """Send ``kind`` for each id; returns how many messages left. Unknown ids are
    skipped. A mail server's error propagates (the task retries)."""
    sent = 0
    if kind == JOINED:
        entries = WaitListEntry.objects.filter(pk__in=ids).select_related("patient", "location")
        for entry in entries:
            to, first_name = contact(entry)
            if to:
                emails.waitlist_joined(
                    to=to,
                    first_name=first_name,
                    location=entry.location,
                    entry_link=entry_link(entry),
                )
                sent += 1
        return sent
    offers = WaitListOffer.objects.filter(pk__in=ids).select_related(
        "entry__patient", "hold__location"
    )
    for offer in offers:
        to, first_name = contact(offer.entry)
        if not to:
            continue
        if kind == OFFERS:
            if offer.status != WaitListOffer.Status.OFFERED:
                continue
            emails.waitlist_offer(
                to=to,
                first_name=first_name,
                start=clock.clinic_localtime(offer.hold.start),
                location=offer.hold.location,
                link=offer_link(offer),
                expires=clock.clinic_localtime(offer.expires_at),
            )
        elif kind == TAKEN:
            emails.waitlist_taken(
                to=to,
                first_name=first_name,
                start=clock.clinic_localtime(offer.hold.start),
                entry_link=entry_link(offer.entry),
            )
        else:
            continue
        sent += 1
    return sent
