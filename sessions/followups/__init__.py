"""Follow-ups: what happens after a visit is booked or charted. Owns the scheduled
messages (reminders, soreness check-ins) and their sending (``dispatch``, run by
``sessions/tasks.py``), check-in answers, the alerts a worrying answer raises for the
physiotherapist and the call tasks it leaves for front desk, and the message counts
for operations (``selectors``)."""
