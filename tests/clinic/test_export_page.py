"""The record export's printable page shows what its JSON carries, readably: labels from
the fields' verbose names, intake answers as questions and answers, every key of every
record type (clinic.site.export_page)."""

import html

import pytest
from django.urls import reverse

from clinic.models import AuditEvent
from clinic.site import export, export_page
from intake.models import Patient
from tests.clinic.export_record import build_full_record


@pytest.fixture
def full_record(db):
    return build_full_record()


def _rows(model, data: dict):
    """(model, row) for the row and every row nested under it, as the page nests them."""
    yield model, data
    for key, value in data.items():
        if (model, key) in export_page.CHILDREN:
            child = export_page.CHILDREN[(model, key)][1]
            for row in value if isinstance(value, list) else [value] if value else []:
                yield from _rows(child, row)


def _all_rows(data: dict):
    yield from _rows(Patient, data["patient"])
    for key, value in data.items():
        if (None, key) in export_page.CHILDREN:
            model = export_page.CHILDREN[(None, key)][1]
            for row in value:
                yield from _rows(model, row)


def test_every_key_of_every_record_type_appears_on_the_page(full_record, client_for, physio):
    data = export.patient_export(full_record)
    page = html.unescape(
        client_for(physio).get(reverse("patient-export", args=[full_record.pk])).content.decode()
    )
    seen = set()
    for model, row in _all_rows(data):
        seen.add(model)
        for key, value in row.items():
            if (model, key) in export_page.CHILDREN:
                title = export_page.CHILDREN[(model, key)][0]
                assert f">{title}<" in page, (model.__name__, key)
                continue
            assert f">{export_page.label(model, key)}<" in page, (model.__name__, key)
            if (model, key) not in export_page.QUESTIONS:
                shown = export_page.display(model, key, value)
                assert f">{html.unescape(shown)}<" in page, (model.__name__, key, shown)
    assert seen == set(export.RECORD), "a record type is missing from the page"


def test_labels_are_the_fields_verbose_names(full_record, client_for, physio):
    page = client_for(physio).get(reverse("patient-export", args=[full_record.pk])).content
    text = page.decode()
    assert ">Legal first name<" in text
    assert ">Provincial health number<" in text
    assert "Legalfirstname" not in text


def test_addendum_reason_and_site_details_are_on_the_page(full_record, client_for, physio):
    text = client_for(physio).get(reverse("patient-export", args=[full_record.pk])).content
    text = text.decode()
    assert ">Reason<" in text and ">typo<" in text
    assert ">Insertions<" in text and ">Twitch response<" in text and ">Tolerance<" in text


def test_intake_answers_read_as_questions_not_a_python_dict(full_record, client_for, physio):
    text = client_for(physio).get(reverse("patient-export", args=[full_record.pk])).content
    text = html.unescape(text.decode())
    assert "{'needles'" not in text and "{&#x27;" not in text
    assert "Surgeries and procedures" in text  # a step title of the intake summary
    assert "half typed" in text  # the draft, under its step


def test_the_page_offers_the_zip_download(full_record, client_for, physio):
    text = client_for(physio).get(reverse("patient-export", args=[full_record.pk])).content
    assert 'href="?format=zip">Download as ZIP (record and documents)<' in text.decode()


@pytest.mark.parametrize("value", ["xml", "x" * 5000, "JSON "])
def test_an_unknown_format_is_refused_and_not_audited(full_record, client_for, physio, value):
    url = reverse("patient-export", args=[full_record.pk])
    response = client_for(physio).get(url, {"format": value})
    assert response.status_code == 400
    assert "format=html, format=json or format=zip" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    ("query", "detail", "kind"),
    [
        ({}, "export page", "text/html"),
        ({"format": "html"}, "export page", "text/html"),
        ({"format": "json"}, "export json", "application/json"),
        ({"format": "zip"}, "export zip", "application/zip"),
    ],
)
def test_known_formats_are_served_and_audited(full_record, client_for, physio, query, detail, kind):
    url = reverse("patient-export", args=[full_record.pk])
    response = client_for(physio).get(url, query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(kind)
    assert list(AuditEvent.objects.filter(action="export").values_list("detail", flat=True)) == [
        detail
    ]
