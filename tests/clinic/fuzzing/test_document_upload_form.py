"""The patient's documents page (through the intake link), fuzzed: the server never
fails, and whatever is stored is a kind a patient may send, with a title that fits and
holds no NUL, on the link's own patient."""

from collections import Counter

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from clinic import links
from intake import services as intake_services
from sessions.documents.models import Document
from sessions.documents.patient_pages import PATIENT_KINDS
from tests.clinic.fuzzing.conftest import assert_reached, post
from tests.clinic.fuzzing.strategies import FUZZ, form_data
from tests.sessions.documents.samples import make_pdf_bytes, make_png_bytes

KINDS = [value for value, _ in PATIENT_KINDS]
VALID = {"kind": "referral", "title": "Referral from Dr. Singh"}
CHOICES = {"kind": [*KINDS, "consent", ""], "title": ["", "  Card  ", "x" * 200]}
FILES = [None, ("card.png", make_png_bytes((20, 10))), ("letter.pdf", make_pdf_bytes())]


def test_fuzzed_document_uploads_never_fail_and_store_only_what_a_patient_may_send(
    client, patient, front_desk
):
    invitation = intake_services.intake_invite(patient=patient, sent_by=front_desk)
    token = links.make_token(intake_services.INVITATION_PURPOSE, invitation.pk, invitation.nonce)
    url = f"/d/i/{token}/"
    seen = Counter()

    @FUZZ
    @given(data=form_data(VALID, CHOICES), attached=st.sampled_from(FILES))
    def check(data, attached):
        before = Document.objects.count()
        if attached is None:
            response = post(client, url, data, urlencoded=True)
        else:
            name, content = attached
            response = post(
                client, url, {**data, "files": SimpleUploadedFile(name, content)}, False
            )
        assert response.status_code in (200, 302), response.status_code
        seen[Document.objects.count() > before] += 1

    check()
    assert_reached(seen)
    for document in Document.objects.all():
        assert document.patient_id == patient.pk
        assert document.kind in KINDS
        assert document.source == Document.Source.INTAKE_LINK
        assert 0 < len(document.title) <= 200 and "\x00" not in document.title
