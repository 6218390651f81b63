"""The wait list: who waits for what, and the freed slots offered to them.

When a visit's time frees up (``booking.signals.slot_freed``: a cancellation, a move
away from it), ``slot_offer`` finds the waiting entries that match it (location, type,
the practitioner or any, the dates, weekdays and time of day), in order of priority
then age, skips those the eligibility rules refuse for that slot, and offers it to up
to ``policy.offers_per_slot`` of them at once: ONE ``SlotHold`` for the slot (held until
``now + policy.offer``) and one ``WaitListOffer`` per entry, each emailed its own link.

The first to accept gets the booking (``offer_accept``: under the practitioner's lock
and the offer's row lock, through ``services.hold_book``); the other offers of that
hold become ``taken`` and their people are told. A decline, or every offer of a hold
running out (``offers_expire``, a periodic task), gives the slot back and offers it to
the next entries; an entry is offered a given slot once.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic import clock, links
from clinic.types import StaffUser
from intake.models import Patient
from sessions import schedule
from sessions.booking.models import Appointment, AppointmentType, Location
from sessions.booking.selectors import practitioner_working_time
from sessions.online import eligibility, people, services, waitlist_mail
from sessions.online.models import OnlineBookingPolicy, SlotHold, WaitListEntry, WaitListOffer
from sessions.online.slots import free_slots, online_practitioners, slot_is_free, window

ENTRY_PURPOSE = waitlist_mail.ENTRY_PURPOSE
OFFER_PURPOSE = waitlist_mail.OFFER_PURPOSE

OFFER_TAKEN = "Sorry, this time has just been taken by someone else. You stay on the wait list."
OFFER_EXPIRED = "Sorry, this offer has run out. You stay on the wait list."
OFFER_ANSWERED = "This offer has already been answered."
ENTRY_CLOSED = "This wait-list entry is no longer open."

# Time of day a slot's local start must fall in, per choice: [from, until).
TIMES_OF_DAY = {
    WaitListEntry.TimeOfDay.MORNING: (time(0), time(12)),
    WaitListEntry.TimeOfDay.AFTERNOON: (time(12), time(17)),
    WaitListEntry.TimeOfDay.EVENING: (time(17), time.max),
}


# Links ---------------------------------------------------------------------------------


entry_link = waitlist_mail.entry_link
offer_link = waitlist_mail.offer_link
contact = waitlist_mail.contact

# An entry's own link works while the entry waits and for ``WAITLIST_LINK_DAYS`` days
# after its last date (clinic time): ``entry_link_live``. An offer's link keeps opening
# (it says what became of the offer) but takes an answer only until ``expires_at``.


def entry_link_live(entry: WaitListEntry, now: datetime) -> bool:
    """Whether the person's link to ``entry`` still works at ``now``: it is waiting and
    its last date has not passed by more than ``WAITLIST_LINK_DAYS`` (clinic time)."""
    last = entry.latest + timedelta(days=settings.WAITLIST_LINK_DAYS)
    return entry.status == WaitListEntry.Status.WAITING and clock.clinic_day(now) <= last


def entry_from_token(token: str) -> WaitListEntry | None:
    queryset = WaitListEntry.objects.select_related("location", "type", "practitioner", "patient")
    return links.row_from_token(ENTRY_PURPOSE, token, queryset)


def offer_from_token(token: str) -> WaitListOffer | None:
    queryset = WaitListOffer.objects.select_related(
        "entry__patient", "hold__location", "hold__type", "hold__practitioner"
    )
    return links.row_from_token(OFFER_PURPOSE, token, queryset)


# Entries -------------------------------------------------------------------------------


def _check_entry(entry: WaitListEntry, today: date) -> None:
    errors: dict[str, str] = {}
    if entry.latest < entry.earliest:
        errors["latest"] = "The last date must be on or after the first."
    if entry.latest < today:
        errors["latest"] = "The last date has already passed."
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in entry.weekdays):
        errors["weekdays"] = "Choose days of the week."
    if entry.patient is None:
        if not entry.type.for_new_patients:
            errors["type"] = eligibility.PUBLIC_WORDS[eligibility.Refusal.NEW_PATIENTS_ONLY]
        for field in ("first_name", "last_name", "email"):
            if not getattr(entry, field).strip():
                errors[field] = "Please fill this in."
    if not entry.type.is_active:
        errors["type"] = "This service is not offered."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def entry_add(
    *,
    location: Location,
    type: AppointmentType,
    earliest: date,
    latest: date,
    source: str,
    patient: Patient | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    practitioner: StaffUser | None = None,
    weekdays: list[int] | None = None,
    time_of_day: str = WaitListEntry.TimeOfDay.ANY,
    priority: int = 0,
    note: str = "",
    created_by: StaffUser | None = None,
    now: datetime | None = None,
) -> WaitListEntry:
    """Put someone on the wait list (a patient, or a new person by what they typed:
    only for types for new patients); returns the entry. Emails them their entry's link
    once committed. Raises ValidationError keyed by the entry's field at fault."""
    now = now or timezone.now()
    entry = WaitListEntry(
        patient=patient,
        first_name="" if patient else first_name.strip(),
        last_name="" if patient else last_name.strip(),
        email="" if patient else email.strip().lower(),
        phone="" if patient else phone.strip(),
        location=location,
        type=type,
        practitioner=practitioner,
        earliest=max(earliest, clock.clinic_day(now)),
        latest=latest,
        weekdays=sorted(set(weekdays or [])),
        time_of_day=time_of_day,
        priority=priority,
        note=note.strip(),
        source=source,
        created_by=created_by,
        created_at=now,
    )
    _check_entry(entry, clock.clinic_day(now))
    entry.full_clean()
    entry.save()
    to, _ = contact(entry)
    if to:
        waitlist_mail.queue(waitlist_mail.JOINED, [entry.pk])
    return entry


@transaction.atomic
def entry_update(
    *,
    entry: WaitListEntry,
    practitioner: StaffUser | None,
    earliest: date,
    latest: date,
    weekdays: list[int],
    time_of_day: str,
    priority: int,
    note: str,
    now: datetime | None = None,
) -> WaitListEntry:
    """Front desk changes an entry's wishes or priority; returns it. Raises
    ValidationError keyed by field, or by none when it is no longer waiting."""
    now = now or timezone.now()
    entry = WaitListEntry.objects.select_for_update().select_related("type").get(pk=entry.pk)
    if entry.status != WaitListEntry.Status.WAITING:
        raise ValidationError(ENTRY_CLOSED)
    entry.practitioner = practitioner
    entry.earliest, entry.latest = earliest, latest
    entry.weekdays = sorted(set(weekdays))
    entry.time_of_day, entry.priority, entry.note = time_of_day, priority, note.strip()
    _check_entry(entry, clock.clinic_day(now))
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def entry_remove(*, entry: WaitListEntry, now: datetime | None = None) -> WaitListEntry:
    """Take the entry off the list (by front desk, or the person with their link); its
    open offers are declined, so their slots go to the next in line. Raises
    ValidationError keyed by no field when it is no longer waiting."""
    now = now or timezone.now()
    entry = WaitListEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != WaitListEntry.Status.WAITING:
        raise ValidationError(ENTRY_CLOSED)
    entry.status = WaitListEntry.Status.REMOVED
    entry.save(update_fields=["status"])
    for offer in entry.offers.filter(status=WaitListOffer.Status.OFFERED):
        _close_offer(offer, WaitListOffer.Status.DECLINED, now)
    return entry


# Matching and offering -----------------------------------------------------------------


def entry_wants(entry: WaitListEntry, start: datetime) -> bool:
    """Whether a slot starting at ``start`` suits the entry's dates, weekdays and time
    of day (clinic time). Its place, type and practitioner are the caller's to match."""
    local = clock.clinic_localtime(start)
    if not entry.earliest <= local.date() <= entry.latest:
        return False
    if entry.weekdays and local.weekday() not in entry.weekdays:
        return False
    if entry.time_of_day in TIMES_OF_DAY:
        since, until = TIMES_OF_DAY[WaitListEntry.TimeOfDay(entry.time_of_day)]
        return since <= local.time() < until
    return True


def _waiting_for(location_id: int, practitioner_id: int, start: datetime, now: datetime):
    """Waiting entries at the location for this practitioner or any, whose dates cover
    the slot's day, not holding a live offer and never offered this same slot; in
    offering order."""
    day = clock.clinic_day(start)
    offered_here = WaitListOffer.objects.filter(
        hold__practitioner_id=practitioner_id, hold__start=start
    ).values("entry_id")
    busy = WaitListOffer.objects.filter(
        status=WaitListOffer.Status.OFFERED, expires_at__gt=now
    ).values("entry_id")
    return (
        WaitListEntry.objects.filter(
            status=WaitListEntry.Status.WAITING,
            location_id=location_id,
            earliest__lte=day,
            latest__gte=day,
        )
        .filter(Q(practitioner_id=practitioner_id) | Q(practitioner__isnull=True))
        .exclude(pk__in=offered_here)
        .exclude(pk__in=busy)
        .select_related("type", "patient", "location")
        .order_by("-priority", "created_at", "id")
    )


@transaction.atomic
def slot_offer(
    *, location_id: int, practitioner_id: int, start: datetime, now: datetime | None = None
) -> list[WaitListOffer]:
    """Offer the time starting at ``start`` with the practitioner at the location to the
    first matching entries (up to ``policy.offers_per_slot``, all of the first one's
    type): one hold, one offer each, emailed once committed. Returns the offers (none
    when the time has passed, is not free, or no entry matches and may book it)."""
    now = now or timezone.now()
    policy = OnlineBookingPolicy.get()
    # Inside the minimum notice nobody could book it online either: not offered.
    last_call = start - timedelta(hours=policy.min_notice_hours)
    if last_call <= now:
        return []
    SlotHold.lock_practitioner(practitioner_id)
    day = clock.clinic_day(start)
    working = practitioner_working_time(practitioner_id, location_id, day)
    chosen: list[WaitListEntry] = []
    type: AppointmentType | None = None
    for entry in _waiting_for(location_id, practitioner_id, start, now):
        if type is not None and entry.type_id != type.pk:
            continue
        if not entry.type.is_active or not entry_wants(entry, start):
            continue
        if not contact(entry)[0]:
            continue  # no email to send the offer to: front desk offers it by phone
        end = start + entry.type.duration
        if type is None and not (
            schedule.covers(working, start, end)
            and slot_is_free(practitioner_id=practitioner_id, start=start, end=end, now=now)
        ):
            continue
        refused = eligibility.refusal(
            patient=entry.patient, type=entry.type, practitioner_id=practitioner_id, day=day
        )
        if refused is not None:
            continue
        type = entry.type
        chosen.append(entry)
        if len(chosen) >= policy.offers_per_slot:
            break
    if type is None:
        return []
    hold = SlotHold.objects.create(
        location_id=location_id,
        practitioner_id=practitioner_id,
        type=type,
        start=start,
        end=start + type.duration,
        patient=None,
        # Answered before the minimum notice starts, never later.
        expires_at=min(now + policy.offer, last_call),
        created_at=now,
    )
    offers = [
        WaitListOffer.objects.create(entry=e, hold=hold, offered_at=now, expires_at=hold.expires_at)
        for e in chosen
    ]
    waitlist_mail.queue(waitlist_mail.OFFERS, [o.pk for o in offers])
    return offers


def _close_offer(offer: WaitListOffer, status: str, now: datetime) -> None:
    """Close one open offer; when it was its hold's last open offer and the hold was not
    booked, give the slot back and offer it to the next entries."""
    offer.status = status
    offer.answered_at = now
    offer.save(update_fields=["status", "answered_at"])
    hold = SlotHold.objects.select_for_update().get(pk=offer.hold_id)
    still_open = hold.offers.filter(status=WaitListOffer.Status.OFFERED).exists()
    if not still_open and hold.status == SlotHold.Status.HELD:
        hold.status = SlotHold.Status.RELEASED
        hold.save(update_fields=["status"])
        slot_offer(
            location_id=hold.location_id,
            practitioner_id=hold.practitioner_id,
            start=hold.start,
            now=now,
        )


# Answers -------------------------------------------------------------------------------


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError({"offer": ValidationError(message, code=code)})


def refusal_code(error: ValidationError) -> str | None:
    """The code of an offer's refusal ("taken", "expired", "answered"), or None."""
    errors = getattr(error, "error_dict", {}).get("offer", [])
    return errors[0].code if errors else None


def offer_accept(
    *, offer: WaitListOffer, date_of_birth: date | None = None, now: datetime | None = None
) -> Appointment:
    """As ``offer_accept_recorded``; returns the appointment only."""
    return offer_accept_recorded(offer=offer, date_of_birth=date_of_birth, now=now)[0]


@transaction.atomic
def offer_accept_recorded(
    *, offer: WaitListOffer, date_of_birth: date | None = None, now: datetime | None = None
) -> tuple[Appointment, bool]:
    """Book the offered slot for the offer's entry; the hold's other open offers become
    ``taken`` and are told. Returns (the appointment, whether a new patient record was
    made for a new person). Raises ValidationError keyed by
    ``offer`` (taken: code "taken"; run out: "expired"; already answered), by
    ``date_of_birth`` (a new person must give it), or as ``services.hold_book``."""
    now = now or timezone.now()
    SlotHold.lock_practitioner(offer.hold.practitioner_id)
    offer = (
        WaitListOffer.objects.select_for_update(of=("self",))
        .select_related("entry__patient", "hold")
        .get(pk=offer.pk)
    )
    if offer.status == WaitListOffer.Status.TAKEN:
        raise _refused(OFFER_TAKEN, "taken")
    if offer.status != WaitListOffer.Status.OFFERED:
        raise _refused(OFFER_ANSWERED, "answered")
    if now >= offer.expires_at:
        raise _refused(OFFER_EXPIRED, "expired")
    entry = offer.entry
    if entry.status != WaitListEntry.Status.WAITING:
        raise _refused(ENTRY_CLOSED, "answered")
    patient, registered = entry.patient, False
    if patient is None:
        person = people.Person(
            entry.first_name, entry.last_name, date_of_birth, entry.email, entry.phone
        )
        patient, registered = people.patient_for_new_person(person)
    try:
        appointment = services.hold_book(
            hold=offer.hold, patient=patient, new_record=registered, now=now
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "taken" or "start" in getattr(error, "error_dict", {}):
            raise _refused(OFFER_TAKEN, "taken") from error
        raise
    offer.status, offer.answered_at = WaitListOffer.Status.ACCEPTED, now
    offer.save(update_fields=["status", "answered_at"])
    entry.status, entry.patient = WaitListEntry.Status.BOOKED, patient
    entry.save(update_fields=["status", "patient"])
    others = offer.hold.offers.filter(status=WaitListOffer.Status.OFFERED).exclude(pk=offer.pk)
    taken = list(others.values_list("pk", flat=True))
    others.update(status=WaitListOffer.Status.TAKEN, answered_at=now)
    waitlist_mail.queue(waitlist_mail.TAKEN, taken)
    return appointment, registered


@transaction.atomic
def offer_decline(*, offer: WaitListOffer, now: datetime | None = None) -> WaitListOffer:
    """The person does not want this time (they stay on the list); when nobody else
    holds an open offer of it, the slot goes to the next entries. Raises
    ValidationError keyed by ``offer`` when it was already answered or ran out."""
    now = now or timezone.now()
    SlotHold.lock_practitioner(offer.hold.practitioner_id)
    offer = WaitListOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != WaitListOffer.Status.OFFERED:
        raise _refused(OFFER_ANSWERED, "answered")
    _close_offer(offer, WaitListOffer.Status.DECLINED, now)
    return offer


def offers_expire(*, now: datetime | None = None) -> int:
    """Mark open offers past their time ``expired`` and offer their slots to the next
    entries (each hold in its own transaction); returns how many offers expired."""
    now = now or timezone.now()
    due = list(
        WaitListOffer.objects.filter(
            status=WaitListOffer.Status.OFFERED, expires_at__lte=now
        ).values_list("pk", "hold__practitioner_id")
    )
    count = 0
    for pk, practitioner_id in due:
        with transaction.atomic():
            SlotHold.lock_practitioner(practitioner_id)
            offer = WaitListOffer.objects.select_for_update().filter(pk=pk).first()
            if offer is None or offer.status != WaitListOffer.Status.OFFERED:
                continue
            _close_offer(offer, WaitListOffer.Status.EXPIRED, now)
            count += 1
    return count


def offer_freed_time(
    *, location_id: int, practitioner_id: int, start: datetime, now: datetime | None = None
) -> int:
    """The wait list's answer to ``slot_freed``: offer the freed time; returns how many
    offers went out."""
    return len(
        slot_offer(location_id=location_id, practitioner_id=practitioner_id, start=start, now=now)
    )


# How many waiting entries one opening of new hours looks at (the rest wait for the
# next freed time): the work stays bounded whatever the list's length.
OPENED_ENTRIES_MAX = 50


def offer_opened_time(
    *, practitioner_id: int, location_id: int | None = None, now: datetime | None = None
) -> int:
    """New working hours (at ``location_id``) or time off taken back (any location) for
    a practitioner: offer each matching waiting entry, in offering order, the earliest
    free time in the booking window that suits it (``slot_offer`` then picks who gets
    it). Looks at ``OPENED_ENTRIES_MAX`` entries at most; returns how many offers went
    out."""
    now = now or timezone.now()
    policy = OnlineBookingPolicy.get()
    if not online_practitioners(policy).filter(pk=practitioner_id).exists():
        return 0
    earliest, last_day = window(policy, now)
    today = clock.clinic_day(now)
    entries = (
        WaitListEntry.objects.filter(
            status=WaitListEntry.Status.WAITING,
            location__books_online=True,
            location__is_active=True,
            latest__gte=today,
            earliest__lte=last_day,
            type__is_active=True,
        )
        .filter(Q(practitioner_id=practitioner_id) | Q(practitioner__isnull=True))
        .select_related("location", "type")
        .order_by("-priority", "created_at", "id")
    )
    if location_id is not None:
        entries = entries.filter(location_id=location_id)
    count = 0
    tried: set[tuple[int, datetime]] = set()
    for entry in entries[:OPENED_ENTRIES_MAX]:
        days = free_slots(
            location=entry.location,
            type=entry.type,
            practitioner_ids=[practitioner_id],
            day_from=max(entry.earliest, today),
            day_to=min(entry.latest, last_day),
            not_before=earliest,
            now=now,
        )
        starts = [s.start for day in sorted(days) for s in days[day]]
        start = next((s for s in starts if entry_wants(entry, s)), None)
        if start is None or (entry.location_id, start) in tried:
            continue
        tried.add((entry.location_id, start))
        count += len(
            slot_offer(
                location_id=entry.location_id,
                practitioner_id=practitioner_id,
                start=start,
                now=now,
            )
        )
    return count
