"""Billing: fees, invoices, credit notes, payments, payer cases and missed-visit fees."""
