"""A draft's needling sites: adding, changing and removing one, and repeating the last
needling visit's sites in one press. Each write locks the draft and counts its version
on as every chart write does (``services.lock_draft``, ``services.count_write``); the
hard stops are weighed under that lock, on what is saved."""

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.types import StaffUser
from sessions.charting import selectors
from sessions.charting.models import NeedlingSite, Visit
from sessions.charting.services import count_write, lock_draft


@transaction.atomic
def site_add(
    *, visit: Visit, by: StaffUser, version: int | None = None, **fields: Any
) -> NeedlingSite:
    """Record a needled site and return it; the very same site sent twice (a double
    click) is kept once. Raises NoteIsSigned on a signed note, NotTheAuthor when ``by``
    did not start the draft (before the hard stops, weighed under the draft's lock),
    ValidationError keyed by the NeedlingSite field at fault (the hard
    stops of ``NeedlingSite.clean`` included), DraftChanged when ``version`` is not the
    draft's."""
    visit = lock_draft(visit, by)
    site = NeedlingSite(visit=visit, **fields)
    site.full_clean(exclude=["visit"])  # includes the hard stops (NeedlingSite.clean)
    same = visit.sites.filter(**fields).first()
    if same is not None:
        return same
    count_write(visit, version)
    site.visit = visit
    site.save()
    return site


@transaction.atomic
def site_edit(
    *, site: NeedlingSite, by: StaffUser, version: int | None = None, **fields: Any
) -> NeedlingSite:
    """Change a site of a draft (muscle, side, level, depth, insertions, twitch,
    tolerance) and return it; the hard stops apply as to a new site. Raises NoteIsSigned
    on a signed note, NotTheAuthor when ``by`` did not start the draft, ValidationError
    keyed by the NeedlingSite field at fault, DraftChanged when ``version`` is not the
    draft's."""
    site.visit = lock_draft(site.visit, by)
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean(exclude=["visit"])
    count_write(site.visit, version)
    site.save()
    return site


@transaction.atomic
def site_remove(*, site: NeedlingSite, by: StaffUser, version: int | None = None) -> None:
    """Delete a site of a draft. Raises NoteIsSigned once the visit is signed,
    NotTheAuthor when ``by`` did not start the draft, DraftChanged when ``version`` is
    not the draft's."""
    count_write(lock_draft(site.visit, by), version)
    site.delete()  # refused by the model once the visit is signed


# What a carried-forward site copies: where and how to needle. The twitch and the
# tolerance are today's response, so they start as these defaults for the physio to edit.
REPEATED_FIELDS = ("muscle_id", "side", "spinal_level", "depth_cm", "insertions")
REPEATED_DEFAULTS = {
    "twitch": NeedlingSite.Twitch.NONE,
    "tolerance": NeedlingSite.Tolerance.GOOD,
}
NEEDLE_FIELDS = ("needle_product", "needle_size", "needle_lot")


class Repeated(list[NeedlingSite]):
    """The rows ``sites_repeat_last`` added; ``skipped`` names the sites it did not copy,
    each with why (a muscle no longer offered, a paraspinal site without its level)."""

    def __init__(self, copies: list[NeedlingSite], skipped: list[str]):
        super().__init__(copies)
        self.skipped = skipped


@transaction.atomic
def sites_repeat_last(*, visit: Visit, by: StaffUser, version: int | None = None) -> Repeated:
    """Copy the sites of the patient's last signed visit with needling
    (``selectors.last_needling_visit``) into this draft as editable rows, and return the
    rows added. Each copy keeps ``REPEATED_FIELDS``, starts with ``REPEATED_DEFAULTS``
    and must pass what a single site must (``NeedlingSite.clean_site``), else it is
    skipped, as is a site whose muscle is no longer active; a site of that visit the
    draft holds already (a second press) is not copied again, so the list may be empty.
    The draft's empty needle product, size and lot take that visit's.

    Raises NoteIsSigned on a signed note, NotTheAuthor when ``by`` did not start the
    draft, ValidationError keyed by no field with the hard stops (the messages a single
    site gets, weighed under the draft's lock) or when there is no such visit,
    DraftChanged when ``version`` is not the draft's."""
    visit = lock_draft(visit, by)  # a saved draft: repeated from its chart
    blockers = visit.needling_blockers()
    if blockers:
        raise ValidationError([str(b) for b in blockers])
    last = selectors.last_needling_visit(visit)
    if last is None:
        raise ValidationError("There is no earlier signed visit with needling sites to repeat.")
    held = Counter(_where(s) for s in visit.sites.all())
    copies, skipped = [], []
    for earlier in last.sites.select_related("muscle"):
        if held[_where(earlier)] > 0:
            held[_where(earlier)] -= 1
            continue
        site = NeedlingSite(
            visit=visit, **{f: getattr(earlier, f) for f in REPEATED_FIELDS}, **REPEATED_DEFAULTS
        )
        site.muscle = earlier.muscle
        if not site.muscle.is_active:
            skipped.append(f"{site} (no longer in the muscle list)")
            continue
        try:
            site.clean_fields(exclude=["visit", "muscle"])  # the hard stops were asked above
            site.clean_site()
        except ValidationError as exc:
            skipped.append(f"{site} ({' '.join(exc.messages)})")
            continue
        copies.append(site)
    if copies:  # else all there already (a second press), or none may be copied
        count_write(visit, version)
        NeedlingSite.objects.bulk_create(copies)
        empty = [f for f in NEEDLE_FIELDS if not getattr(visit, f) and getattr(last, f)]
        if empty:
            Visit.objects.filter(pk=visit.pk).update(**{f: getattr(last, f) for f in empty})
    return Repeated(copies, skipped)


def _where(site: NeedlingSite) -> tuple:
    return tuple(getattr(site, f) for f in REPEATED_FIELDS)
