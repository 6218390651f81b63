"""Billing: fees, invoices, credit notes, payments, payer cases and missed-visit fees.

Where things are, for the screens built on it (all services keyword-only, atomic,
raising ``ValidationError`` keyed by form field; amounts are ``Decimal``):

- ``services``: ``fee_for``, ``invoice_issue_for_appointment`` (check-out's one press),
  ``invoice_issue`` (by hand, ``LineIn`` lines), ``invoice_void``, ``credit_note_issue``,
  ``missed_fee_charge``, ``number_take``.
- ``payments``: ``payment_take`` (``AllocationIn``), ``credit_apply``, ``refund_record``.
- ``missed``: ``missed_fee_propose`` (booking calls it), ``missed_fee_waive``.
- ``authorisations``: ``payer_case_save`` (and the course billed to it), ``cases_of``,
  ``booking_authorisation_check`` (booking calls it: a visit beyond its case's
  authorisation needs a reason, kept as ``Appointment.authorisation_override``).
- ``selectors``: ``invoice_balances``/``with_balances``, ``patient_account``,
  ``case_authorisation`` ("visit k of N authorised"), ``patient_statement``,
  ``visits_billing``.
- ``ledgers``: ``day_sheet``, ``receivables`` (aged by issue date).
- ``money`` and ``rules``: plain functions (rounding, splits, authorisation, lateness).

Screens audit each read and write with ``clinic.audit.record(request, ..., obj=...)``:
every document names its ``patient``. Receipts read the practitioner's designation and
registration number from ``clinic.models.PractitionerProfile``."""
