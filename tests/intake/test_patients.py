import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from intake import services
from intake.models import Patient
from sessions.documents.services import documents_upload
from tests.factories import PatientFactory
from tests.sessions.documents.samples import make_pdf_bytes

VALID = {
    "legal_first_name": "Hélène",
    "legal_last_name": "Tremblay",
    "date_of_birth": "1978-04-12",
    "sex": "female",
    "province": "AB",
    "phone": "(403) 555-0141",
    "email": "Helene.T@Example.com",
    "email_reminders": "on",
}


@pytest.fixture
def desk(client_for, front_desk):
    return client_for(front_desk)


def create(client, **changes):
    return client.post(reverse("intake:patient-create"), {**VALID, **changes})


def test_front_desk_registers_a_patient_and_it_is_audited(desk, front_desk):
    response = create(desk)
    patient = Patient.objects.get()
    assert response.url == reverse("intake:patient-detail", args=[patient.pk])
    assert patient.email == "helene.t@example.com"
    assert AuditEvent.objects.filter(user=front_desk, action="create", patient=patient).exists()


def test_future_date_of_birth_is_refused_and_what_was_typed_stays(desk):
    response = create(desk, date_of_birth="2090-01-01")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The date of birth is in the future." in page
    assert 'value="Tremblay"' in page
    assert not Patient.objects.exists()


@pytest.mark.parametrize("value", ["12345678", "1234567890", "12345678a"])
def test_health_number_must_have_nine_digits(desk, value):
    response = create(desk, health_number=value)
    assert "exactly 9 digits" in response.content.decode()


def test_health_number_with_spaces_is_accepted(desk):
    create(desk, health_number="123 456 789")
    assert Patient.objects.get().health_number == "123456789"


def test_same_name_and_birth_date_warns_and_needs_confirmation(desk):
    PatientFactory(
        legal_first_name="Helene", legal_last_name="TREMBLAY", date_of_birth="1978-04-12"
    )
    response = create(desk, email="")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Possibly already registered" in page
    assert Patient.objects.count() == 1
    create(desk, email="", confirm_not_duplicate="on")
    assert Patient.objects.count() == 2


def test_same_email_warns(desk):
    PatientFactory(email="helene.t@example.com")
    assert "Possibly already registered" in create(desk).content.decode()


def test_markup_in_names_is_shown_escaped(desk):
    create(desk, legal_last_name="<script>alert(1)</script>")
    patient = Patient.objects.get()
    page = desk.get(reverse("intake:patient-detail", args=[patient.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_over_long_name_gets_a_message(desk):
    response = create(desk, legal_first_name="x" * 101)
    assert "Ensure this value has at most 100 characters" in response.content.decode()


def test_edit_keeps_the_record_and_audits(desk, front_desk):
    patient = PatientFactory()
    url = reverse("intake:patient-edit", args=[patient.pk])
    data = {**VALID, "phone": "587-555-9999"}
    assert desk.post(url, data).status_code == 302
    patient.refresh_from_db()
    assert patient.search_phone == "5875559999"
    assert AuditEvent.objects.filter(action="update", patient=patient).exists()


class TestSearch:
    @pytest.fixture
    def patients(self, db):
        return {
            "helene": PatientFactory(
                legal_first_name="Hélène",
                legal_last_name="Tremblay",
                phone="403-555-0141",
                email="h.t@example.com",
                date_of_birth="1978-04-12",
                health_number="123456789",
            ),
            "marcus": PatientFactory(
                legal_first_name="Marcus",
                legal_last_name="Lee",
                phone="587 555 0142",
                email="marcus@example.com",
                date_of_birth="1990-09-03",
            ),
        }

    @pytest.mark.parametrize(
        "query, expected",
        [
            ("helene", ["helene"]),
            ("HÉLÈNE trem", ["helene"]),
            ("blay", ["helene"]),
            ("lee marc", ["marcus"]),
            ("5550142", ["marcus"]),
            ("(587) 555-0142", ["marcus"]),
            ("MARCUS@example.com", ["marcus"]),
            ("1978-04-12", ["helene"]),
            ("123456789", ["helene"]),
            ("1978-02-31", []),
            ("zz", []),
            ("55", []),
        ],
    )
    def test_finds_by_name_phone_email_birth_date(self, patients, query, expected):
        found = list(Patient.objects.search(query))
        assert found == [patients[key] for key in expected]

    def test_search_page_shows_matches(self, desk, patients):
        page = desk.get(reverse("intake:patient-list"), {"q": "tremblay"}).content.decode()
        assert "Tremblay, Hélène" in page
        assert "Lee, Marcus" not in page


def test_patient_list_and_search_queries_do_not_grow(desk, django_assert_max_num_queries):
    PatientFactory.create_batch(300, legal_last_name="Smith")
    with django_assert_max_num_queries(7):
        assert desk.get(reverse("intake:patient-list")).status_code == 200
    with django_assert_max_num_queries(7):
        response = desk.get(reverse("intake:patient-list"), {"q": "smith", "page": "3"})
    assert response.status_code == 200


@pytest.mark.parametrize("junk", [{"q": "x" * 500}, {"page": "-1"}, {"q": "%_\\'\""}])
def test_odd_search_input_is_not_an_error(desk, junk):
    assert desk.get(reverse("intake:patient-list"), junk).status_code == 200


def test_clinic_admin_has_no_patient_registry(client_for, clinic_admin):
    assert client_for(clinic_admin).get(reverse("intake:patient-list")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("intake:patient-list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_patient_page_queries_do_not_grow_with_intakes(
    client_for, physio, front_desk, django_assert_max_num_queries
):
    patient = PatientFactory()
    for _ in range(12):
        services.intake_invite(patient=patient, sent_by=front_desk)
        intake = patient.intakes.get(status="draft")
        intake.status = "submitted"
        intake.submitted_at = intake.created_at
        intake.save()
    for kind in ("referral", "imaging"):
        uploads = [(f"{kind}-{n}.pdf", make_pdf_bytes()) for n in range(6)]
        documents_upload(patient=patient, uploads=uploads, kind=kind)
    client = client_for(physio)
    # 12 (documents among them), plus the audit chain's lock on PostgreSQL.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("intake:patient-detail", args=[patient.pk]))
    text = response.content.decode()
    assert text.count("Read</a>") == 12
    assert text.count('class="doc-thumb"') == 10  # the latest ten, each with its thumbnail
