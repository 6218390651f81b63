"""The hard stops before needling: plain functions over what they are given (the visit,
its screening verdict, whether the author may needle that day). A leaf: it imports no
sessions model, so the charting models import it at the top (``NeedlingSite.clean``).
"""

from datetime import date
from typing import Any, NamedTuple, Protocol

from intake.screening import Outcome, Reason, Verdict

# The id of the chart's button that acknowledges the precautions.
ACKNOWLEDGE = "acknowledge-precautions"


class Problem(NamedTuple):
    """Something that stands in the way, and the id of the chart element that fixes it:
    its field or button where there is one, else its section (the error summary links
    there)."""

    message: str
    anchor: str

    def __str__(self) -> str:
        return self.message


class ChartedVisit(Protocol):
    """What the hard stops read of a visit note (``charting.models.Visit``)."""

    @property
    def acknowledged_precautions(self) -> Any: ...  # a JSON list of precaution codes

    @property
    def safety_check_id(self) -> int | None: ...

    @property
    def consent_today(self) -> bool: ...

    @property
    def day(self) -> date: ...


def unacknowledged(visit: ChartedVisit, verdict: Verdict) -> list[Reason]:
    """The verdict's precautions the physiotherapist has not weighed on this visit.
    Raises nothing."""
    done = set(visit.acknowledged_precautions or [])
    return [r for r in verdict.precautions if r.code not in done]


def needling_blockers(visit: ChartedVisit, verdict: Verdict, *, authorised: bool) -> list[Problem]:
    """Why needling cannot be recorded on this visit now; empty when it can. Raises
    nothing: the callers turn the problems into their own refusals.

    The one place for the hard stops: site forms, the model's ``clean()`` (through
    ``Visit.needling_blockers()``, which looks up the verdict and the authorisation)
    and the services all ask here.
    """
    reasons: list[Problem] = []
    day = visit.day
    if visit.safety_check_id is None or not visit.consent_today:
        # The check's first field, or the consent box when the rest was recorded.
        field = "id_pregnancy_0" if visit.safety_check_id is None else "id_consent_today"
        reasons.append(
            Problem("Complete the day-of-visit safety check, with consent for today, first.", field)
        )
    if not authorised:
        reasons.append(
            Problem(
                f"You hold no needling authorisation valid on {day.isoformat()}; "
                "the clinic admin records authorisations.",
                "screening",
            )
        )
    if verdict.outcome == Outcome.CONTRAINDICATED:
        titles = "; ".join(r.title for r in verdict.contraindications)
        reasons.append(
            Problem(f"Needling is contraindicated on {day.isoformat()}: {titles}.", "screening")
        )
    missing = unacknowledged(visit, verdict)
    if missing:
        titles = "; ".join(r.title for r in missing)
        reasons.append(Problem(f"Acknowledge the precautions first: {titles}.", ACKNOWLEDGE))
    return reasons
