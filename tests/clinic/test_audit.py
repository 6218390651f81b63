import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import resolve, reverse

from clinic import audit
from clinic.models import AuditEvent, AuditLogIsAppendOnly
from tests.factories import PatientFactory, UserFactory


@pytest.fixture
def request_as(physio):
    def build(path="/", user=physio, ip="203.0.113.9"):
        request = RequestFactory().get(path, REMOTE_ADDR=ip)
        request.user = user
        request.resolver_match = resolve(path)
        return request

    return build


def test_record_writes_one_row_with_who_what_where(request_as, physio):
    patient = PatientFactory()
    event = audit.record(request_as(), audit.Action.VIEW, obj=patient)
    assert AuditEvent.objects.count() == 1
    event.refresh_from_db()
    assert event.user == physio
    assert event.role == "Physiotherapist"
    assert event.action == "view"
    assert event.patient == patient
    assert (event.object_type, event.object_id) == ("intake.patient", str(patient.pk))
    assert event.url_name == "home"
    assert event.ip == "203.0.113.9"
    assert event.at is not None


def test_each_call_adds_a_row(request_as):
    for _ in range(3):
        audit.record(request_as(), audit.Action.VIEW)
    assert AuditEvent.objects.count() == 3


def test_patient_link_actor_has_no_user(db):
    request = RequestFactory().get("/")
    event = audit.record(request, audit.Action.UPDATE, actor_role="patient")
    assert event.user is None
    assert event.role == "patient"


def test_rows_cannot_be_changed_through_the_model(request_as):
    event = audit.record(request_as(), audit.Action.VIEW)
    event.detail = "edited"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()


def test_rows_cannot_be_changed_through_querysets(request_as):
    audit.record(request_as(), audit.Action.VIEW)
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.update(detail="edited")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE clinic_auditevent SET detail = 'edited'",
        "DELETE FROM clinic_auditevent",
    ],
)
def test_postgres_refuses_update_and_delete_in_sql(request_as, sql):
    audit.record(request_as(), audit.Action.VIEW)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get().detail == ""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_extend_one_unbroken_chain(request_as):
    """Writers that race (each in its own transaction) still form one chain: each
    reads the last digest only once it holds the chain's lock."""
    request = request_as()
    start = threading.Barrier(4)
    errors = []

    def writer():
        try:
            start.wait()
            for _ in range(15):
                with transaction.atomic():
                    audit.record(request, audit.Action.VIEW)
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact: 60 rows" in out.getvalue()
    assert AuditEvent.objects.values("prev_digest").distinct().count() == 60


class TestAuditLogPage:
    def test_admin_sees_and_filters_events(self, client_for, clinic_admin, request_as, physio):
        other = UserFactory()
        audit.record(request_as(), audit.Action.VIEW, detail="physio read")
        audit.record(request_as(user=other), audit.Action.DENIED, detail="other refused")
        client = client_for(clinic_admin)
        page = client.get(reverse("audit-log"), {"action": "denied"}).content.decode()
        assert "other refused" in page
        assert "physio read" not in page
        page = client.get(reverse("audit-log"), {"user": physio.pk}).content.decode()
        assert "physio read" in page
        assert "other refused" not in page

    def test_reversed_dates_get_a_message_not_an_error(self, client_for, clinic_admin):
        response = client_for(clinic_admin).get(
            reverse("audit-log"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
        )
        assert response.status_code == 200
        assert "The end date is before the start date." in response.content.decode()

    @pytest.mark.parametrize("junk", [{"page": "zzz"}, {"patient": "-4"}, {"date_from": "31/31"}])
    def test_malformed_filters_do_not_break_the_page(self, client_for, clinic_admin, junk):
        assert client_for(clinic_admin).get(reverse("audit-log"), junk).status_code == 200

    def test_physio_and_front_desk_are_refused(self, client_for, physio, front_desk):
        assert client_for(physio).get(reverse("audit-log")).status_code == 403
        assert client_for(front_desk).get(reverse("audit-log")).status_code == 403

    def test_query_count_does_not_grow_with_rows(
        self, client_for, clinic_admin, request_as, django_assert_max_num_queries
    ):
        patients = PatientFactory.create_batch(5)
        for i in range(120):
            audit.record(request_as(), audit.Action.VIEW, obj=patients[i % 5])
        client = client_for(clinic_admin)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("audit-log"))
        assert response.status_code == 200
        assert response.content.decode().count("<tr>") == 51  # header + a page of 50


def test_behind_the_tls_proxy_the_last_forwarded_hop_is_recorded(settings, physio):
    settings.BEHIND_TLS_PROXY = True
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7"
    )
    request.user = physio
    assert audit.record(request, audit.Action.VIEW).ip == "198.51.100.7"


def test_without_a_proxy_forwarded_headers_are_ignored(settings, physio):
    settings.BEHIND_TLS_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4")
    request.user = physio
    assert audit.record(request, audit.Action.VIEW).ip == "203.0.113.5"
