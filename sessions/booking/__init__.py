"""Booking: where and when visits happen. Owns locations, working hours and time off,
visit types, appointments and the patient's course they belong to, the day and week
calendars, and each practitioner's calendar feed (``feeds``)."""
