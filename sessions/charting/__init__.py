"""Charting: the physiotherapist's note of a visit. Owns the visit note and what is
recorded under it (day-of-visit safety check, needling sites, adverse events, signing,
addenda, aftercare), the muscle and aftercare catalogues, and the hard stops before
needling (``hard_stops``).

Needling authorisations (who may needle, and when) live here too: the only rule that
reads them is the charting hard stop "the author holds an authorisation valid on the
visit's date". Booking checks the patient's screening for the day, never the
practitioner's authorisation, so it has no reason to own them.
"""
