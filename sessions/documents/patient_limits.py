"""How many documents a patient may send through links in a day. Plain functions; the
pages call them. (Whether an intake link still takes documents is
``IntakeInvitation.takes_documents``.)"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from intake.models import Patient
from sessions.documents.models import Document

# Documents one patient may send through one kind of link in 24 hours: far more than a
# referral and a card photographed page by page, few enough that a leaked link cannot
# fill the record.
LINK_DOCUMENTS_PER_DAY = 20


def link_documents_left(*, patient: Patient, source: str, now: datetime) -> int:
    """How many more documents the patient may send through links of ``source`` today
    (the last 24 hours, deleted documents counted too)."""
    since = now - timedelta(hours=24)
    sent = Document.objects.filter(patient=patient, source=source, uploaded_at__gt=since).count()
    return max(0, LINK_DOCUMENTS_PER_DAY - sent)


def check_link_documents(*, patient: Patient, source: str, count: int, now: datetime) -> None:
    """Raises ValidationError keyed by ``files`` when ``count`` more documents would pass
    the day's limit for the patient's links of ``source``."""
    left = link_documents_left(patient=patient, source=source, now=now)
    if count <= left:
        return
    if left == 0:
        raise ValidationError(
            {
                "files": f"This link has taken {LINK_DOCUMENTS_PER_DAY} documents today, the "
                "most it takes in one day. Please try again tomorrow, or bring the rest to "
                "your visit."
            }
        )
    raise ValidationError(
        {
            "files": f"This link takes {left} more document{'s' if left != 1 else ''} today. "
            "Please choose fewer files."
        }
    )
