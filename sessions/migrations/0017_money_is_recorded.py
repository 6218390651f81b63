"""Recorded money never changes: on PostgreSQL, triggers refuse UPDATE and DELETE of
payments, refunds and their allocations (no service changes them), and a deferred
trigger refuses, at commit, invoice lines whose invoice's total is then not the sum of
its lines (a line added to an issued invoice). Credit notes get an index on
``issued_at`` (the day sheet filters on it). TRUNCATE is left alone."""

from django.conf import settings
from django.db import migrations, models

LOCK_SQL = """
CREATE OR REPLACE FUNCTION clinic_refuse_recorded_money() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is recorded money: it is never edited or deleted', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payment_is_recorded
    BEFORE UPDATE OR DELETE ON treatment_sessions_payment
    FOR EACH ROW EXECUTE FUNCTION clinic_refuse_recorded_money();
CREATE TRIGGER refund_is_recorded
    BEFORE UPDATE OR DELETE ON treatment_sessions_refund
    FOR EACH ROW EXECUTE FUNCTION clinic_refuse_recorded_money();
CREATE TRIGGER allocation_is_recorded
    BEFORE UPDATE OR DELETE ON treatment_sessions_paymentallocation
    FOR EACH ROW EXECUTE FUNCTION clinic_refuse_recorded_money();

CREATE OR REPLACE FUNCTION clinic_invoice_lines_add_up() RETURNS trigger AS $$
DECLARE
    invoice_total numeric;
    invoice_number integer;
    lines_total numeric;
BEGIN
    SELECT total, number INTO invoice_total, invoice_number
        FROM treatment_sessions_invoice WHERE id = NEW.invoice_id;
    SELECT coalesce(sum(line_total), 0) INTO lines_total
        FROM treatment_sessions_invoiceline WHERE invoice_id = NEW.invoice_id;
    IF lines_total <> invoice_total THEN
        RAISE EXCEPTION 'invoice % is issued: its lines add up to %, not its total %',
            invoice_number, lines_total, invoice_total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER invoice_lines_add_up
    AFTER INSERT ON treatment_sessions_invoiceline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION clinic_invoice_lines_add_up();
"""

UNLOCK_SQL = """
DROP TRIGGER IF EXISTS payment_is_recorded ON treatment_sessions_payment;
DROP TRIGGER IF EXISTS refund_is_recorded ON treatment_sessions_refund;
DROP TRIGGER IF EXISTS allocation_is_recorded ON treatment_sessions_paymentallocation;
DROP TRIGGER IF EXISTS invoice_lines_add_up ON treatment_sessions_invoiceline;
DROP FUNCTION IF EXISTS clinic_refuse_recorded_money();
DROP FUNCTION IF EXISTS clinic_invoice_lines_add_up();
"""


def add_locks(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LOCK_SQL, params=None)


def drop_locks(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNLOCK_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0016_appointment_authorisation_override"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="creditnote",
            index=models.Index(fields=["issued_at"], name="creditnote_issued_idx"),
        ),
        migrations.RunPython(add_locks, drop_locks),
    ]
