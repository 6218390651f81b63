"""Who sees which documents where: the patient's page, the timeline, the list; every
refusal audited with the document and its patient."""

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from sessions.documents import services
from sessions.documents.models import Document
from tests.factories import PatientFactory, UserFactory
from tests.sessions.documents.samples import make_jpeg_bytes, make_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient():
    return PatientFactory(email="dana@example.com")


def add(patient, kind, title, data=None, name="file.pdf") -> Document:
    result = services.documents_upload(
        patient=patient, uploads=[(name, data or make_pdf_bytes())], kind=kind, title=title
    )
    return result.added[0]


def patient_page(client, patient) -> str:
    return client.get(reverse("intake:patient-detail", args=[patient.pk])).content.decode()


def test_the_patient_page_lists_the_documents_a_physio_opens(client_for, physio, patient):
    referral = add(patient, "referral", "Referral from Dr Singh")
    text = patient_page(client_for(physio), patient)
    assert "Referral from Dr Singh" in text
    assert reverse("sessions:document", args=[referral.pk]) in text
    assert reverse("sessions:documents", args=[patient.pk]) in text
    assert "Email a link to send us a document" in text


def test_the_patient_page_hides_clinical_documents_from_front_desk(client_for, front_desk, patient):
    add(patient, "referral", "Referral from Dr Singh")
    add(patient, "insurance_card", "Blue Cross card", make_jpeg_bytes(), "card.jpg")
    text = patient_page(client_for(front_desk), patient)
    assert "Blue Cross card" in text and "Dr Singh" not in text
    assert "1 clinical document (physiotherapists only)" in text


def test_the_patient_page_shows_the_latest_ten(client_for, physio, patient):
    uploads = [(f"letter-{n}.pdf", make_pdf_bytes()) for n in range(10)]
    services.documents_upload(patient=patient, uploads=uploads, kind="consent")
    add(patient, "consent", "The eleventh")
    text = patient_page(client_for(physio), patient)
    assert text.count('class="doc-thumb"') == 10


def test_the_timeline_lists_documents_by_date(client_for, physio, patient):
    add(patient, "imaging", "MRI report")
    text = client_for(physio).get(reverse("sessions:timeline", args=[patient.pk])).content
    assert "MRI report" in text.decode()


def test_a_deleted_document_leaves_the_patient_page_and_timeline(
    client_for, physio, clinic_admin, patient
):
    referral = add(patient, "referral", "Wrong letter")
    services.document_delete(document=referral, by=clinic_admin, reason="Wrong patient")
    client = client_for(physio)
    assert "Wrong letter" not in patient_page(client, patient)
    timeline = client.get(reverse("sessions:timeline", args=[patient.pk])).content.decode()
    assert "Wrong letter" not in timeline


def test_the_refusal_names_the_document_and_its_patient(client_for, front_desk, patient):
    imaging = add(patient, "imaging", "X-ray")
    response = client_for(front_desk).get(reverse("sessions:document", args=[imaging.pk]))
    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="denied", user=front_desk).latest("id")
    assert event.object_type == "treatment_sessions.document"
    assert (event.object_id, event.patient) == (str(imaging.pk), patient)


def test_a_staff_member_without_a_role_opens_nothing(client_for, patient):
    card = add(patient, "insurance_card", "Card")
    nobody = UserFactory(username="norole")
    response = client_for(nobody).get(reverse("sessions:document", args=[card.pk]))
    assert response.status_code == 403


def test_an_unknown_document_is_not_found(client_for, physio):
    response = client_for(physio).get(reverse("sessions:document", args=[999999]))
    assert response.status_code == 404


def test_the_list_of_an_unknown_patient_is_not_found(client_for, physio):
    assert client_for(physio).get(reverse("sessions:documents", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "name", ["sessions:documents", "sessions:document", "sessions:document-file"]
)
def test_anonymous_is_sent_to_sign_in(client, patient, name):
    card = add(patient, "insurance_card", "Card")
    pk = patient.pk if name == "sessions:documents" else card.pk
    response = client.get(reverse(name, args=[pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
