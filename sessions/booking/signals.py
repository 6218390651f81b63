"""Booking's signals, for the parts that build on booking and that booking must not
import (online booking imports booking, not the other way round).

- ``slot_freed``: a visit's time became free (cancelled, or moved away from it). Sent
  once the change has committed, with ``location_id``, ``practitioner_id``, ``start``
  and ``end`` (aware). The wait list offers the time (``sessions.online.waitlist``).
- ``visit_link_wanted``: asked while writing a patient's confirmation, with
  ``appointment``; a receiver returns the full address of the patient's self-service
  link to that visit (online booking's ``visit_link``), or "" for none.
- ``course_discharged``: a course was closed (the patient discharged), with ``course``
  and ``now``; sent once the change has committed. Outcome measures send the
  questionnaires their schedules ask for at discharge (``sessions.outcomes``).
"""

from django.dispatch import Signal

slot_freed = Signal()
visit_link_wanted = Signal()
course_discharged = Signal()
