"""Billing rules over plain values (no database): a payer's authorisation and the
missed-visit fee policy's lateness. Unit-tested at their boundaries."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Authorisation:
    """Where a visit stands against its payer's authorisation: visit ``number`` of
    ``authorised`` (None: no visit limit) and warnings, as sentences for the booking
    form and the calendar (empty: within the authorisation)."""

    number: int
    authorised: int | None
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.authorised is None:
            return f"visit {self.number}"
        return f"visit {self.number} of {self.authorised} authorised"

    @property
    def exceeds(self) -> bool:
        return self.authorised is not None and self.number > self.authorised


def authorisation_status(
    *,
    number: int,
    day: date,
    authorised_visits: int | None,
    authorised_from: date | None,
    authorised_until: date | None,
) -> Authorisation:
    """The authorisation status of visit ``number`` under a case (1 for the first
    counted visit) on clinic day ``day``; both ends of the dates are covered."""
    warnings = []
    if authorised_visits is not None and number > authorised_visits:
        warnings.append(f"This would be visit {number}; the payer authorised {authorised_visits}.")
    if authorised_from is not None and day < authorised_from:
        warnings.append(f"The authorisation starts on {authorised_from:%Y-%m-%d}.")
    if authorised_until is not None and day > authorised_until:
        warnings.append(f"The authorisation ended on {authorised_until:%Y-%m-%d}.")
    return Authorisation(number=number, authorised=authorised_visits, warnings=warnings)


def is_late_cancellation(*, start: datetime, cancelled_at: datetime, notice_hours: int) -> bool:
    """Whether a visit starting at ``start`` cancelled at ``cancelled_at`` (both aware)
    had less than ``notice_hours`` of notice: exactly the notice is on time."""
    return start - cancelled_at < timedelta(hours=notice_hours)
