"""The audit log's hash chain, and the record export's safeguards."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from clinic import audit
from clinic.models import AuditEvent
from tests.factories import PatientFactory


class TestAuditChain:
    def test_verify_passes_on_an_untouched_log(self, physio, rf):
        request = rf.get("/")
        request.user = physio
        for _ in range(5):
            audit.record(request, audit.Action.VIEW)
        call_command("audit_verify")

    def tamper(self, sql):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # As someone with the table owner's rights would: switch the guard off.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(
                    "ALTER TABLE clinic_auditevent DISABLE TRIGGER clinic_auditevent_append_only"
                )
            cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE clinic_auditevent ENABLE TRIGGER clinic_auditevent_append_only"
                )

    @pytest.fixture
    def rows(self, physio, rf):
        request = rf.get("/")
        request.user = physio
        return [audit.record(request, audit.Action.VIEW, detail=f"row {i}") for i in range(5)]

    def test_an_altered_row_is_named(self, rows):
        self.tamper(
            f"UPDATE clinic_auditevent SET detail = 'nothing to see' WHERE id = {rows[2].pk}"
        )
        with pytest.raises(CommandError, match=f"Audit row {rows[2].pk} was altered"):
            call_command("audit_verify")

    def test_a_removed_row_is_found(self, rows):
        self.tamper(f"DELETE FROM clinic_auditevent WHERE id = {rows[2].pk}")
        with pytest.raises(
            CommandError, match=f"Audit row {rows[3].pk}: the row before it was removed"
        ):
            call_command("audit_verify")


class TestExport:
    def test_physio_exports_the_record_as_json_and_it_is_audited(self, client_for, physio):
        patient = PatientFactory(legal_last_name="Quartermaine")
        response = client_for(physio).get(
            reverse("patient-export", args=[patient.pk]) + "?format=json"
        )
        data = json.loads(response.content)
        assert data["patient"]["legal_last_name"] == "Quartermaine"
        assert set(data) >= {"intakes", "health_updates", "appointments", "visits"}
        assert "attachment" in response["Content-Disposition"]
        assert AuditEvent.objects.filter(action="export", patient=patient).exists()

    def test_printable_export_page(self, client_for, physio):
        patient = PatientFactory()
        page = client_for(physio).get(reverse("patient-export", args=[patient.pk])).content.decode()
        assert "record of" in page

    def test_front_desk_and_admin_cannot_export(self, client_for, front_desk, clinic_admin):
        patient = PatientFactory()
        url = reverse("patient-export", args=[patient.pk])
        assert client_for(front_desk).get(url).status_code == 403
        assert client_for(clinic_admin).get(url).status_code == 403
