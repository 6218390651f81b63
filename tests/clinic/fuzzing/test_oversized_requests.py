"""Over-large requests are refused politely and nothing of them is kept (issue 7, item 8)."""

from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from intake.models import Intake
from sessions.followups import services as followups
from sessions.models import CheckinAnswer
from tests.clinic.fuzzing.conftest import CHECKIN_VALID, REFUSED, SITE, VALID_STEPS

TOO_BIG = 1024 * 1024 + 1


def test_an_over_large_urlencoded_intake_step_is_refused_and_nothing_kept(
    client, patient, intake_link
):
    body = urlencode({**VALID_STEPS["history"], "medications": "x" * TOO_BIG}, doseq=True)
    response = client.post(
        f"{intake_link}history/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    intake = Intake.objects.get(patient=patient)
    assert intake.answers == {} and intake.drafts == {}


def test_an_over_large_multipart_intake_step_is_refused_and_nothing_kept(
    client, patient, intake_link
):
    data = {**VALID_STEPS["visit"], "reason": "y" * TOO_BIG}
    response = client.post(f"{intake_link}visit/", data)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    intake = Intake.objects.get(patient=patient)
    assert intake.answers == {} and intake.drafts == {}


def test_too_many_fields_are_refused_too(client, patient, intake_link):
    data = {**VALID_STEPS["nerve"], **{f"f{i}": "1" for i in range(600)}}
    response = client.post(f"{intake_link}nerve/", data)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert Intake.objects.get(patient=patient).answers == {}


def test_an_over_large_checkin_is_refused_and_nothing_kept(client, sent_checkin):
    url = followups.checkin_link(sent_checkin).removeprefix(SITE)
    response = client.post(url, {**CHECKIN_VALID, "comment": "z" * TOO_BIG})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not CheckinAnswer.objects.exists()


def test_an_over_large_login_is_refused(client, physio):
    response = client.post(reverse("login"), {"username": "physio", "password": "p" * TOO_BIG})
    assert response.status_code == 400
    assert REFUSED in response.content.decode()


def test_an_over_large_body_is_refused_with_csrf_checks_on(patient, intake_link):
    browser = Client(enforce_csrf_checks=True)
    browser.get(f"{intake_link}visit/")
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        f"{intake_link}visit/",
        {**VALID_STEPS["visit"], "reason": "w" * TOO_BIG},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert Intake.objects.get(patient=patient).answers == {}


def test_an_over_large_file_upload_is_refused_and_nothing_kept(client, patient, intake_link):
    upload = SimpleUploadedFile("big.bin", b"\0" * (3 * TOO_BIG))
    response = client.post(f"{intake_link}nerve/", {**VALID_STEPS["nerve"], "file": upload})
    assert response.status_code == 400
    assert Intake.objects.get(patient=patient).answers == {}


def test_an_over_large_body_of_another_type_is_refused_and_nothing_kept(
    client, patient, intake_link
):
    response = client.post(
        f"{intake_link}visit/", b"x" * (3 * TOO_BIG), content_type="application/octet-stream"
    )
    assert response.status_code == 400
    intake = Intake.objects.get(patient=patient)
    assert intake.answers == {} and intake.drafts == {}
