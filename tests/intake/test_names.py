"""One name normaliser for the stored search name, the search words and the duplicate check."""

import pytest
from django.urls import reverse

from intake.models import Patient
from intake.names import fold_name, name_key
from tests.factories import PatientFactory

APOSTROPHES = ["'", "’", "‘", "ʼ", "`", "´"]
HYPHENS = ["-", "‐", "‑", "–", "—"]


@pytest.mark.parametrize("mark", APOSTROPHES)
def test_every_apostrophe_folds_away(mark):
    assert fold_name(f"O{mark}Donnell") == "odonnell"


@pytest.mark.parametrize("mark", HYPHENS)
def test_every_hyphen_and_dash_folds_away(mark):
    assert fold_name(f"Smith{mark}Jones") == "smithjones"


def test_other_punctuation_and_spaces_separate_words():
    assert fold_name("  Chalmers,   Peter. ") == "chalmers peter"


def test_accents_case_and_invisible_characters_fold():
    assert fold_name("HÉLÈNE\u202e Côté\u200b") == "helene cote"


def test_name_key_ignores_spaces_inside_a_name():
    assert name_key("O' Donnell") == name_key("O’Donnell") == name_key("ODONNELL")


class TestSearch:
    @pytest.fixture
    def odonnell(self, db):
        return PatientFactory(legal_first_name="Siobhán", legal_last_name="O’Donnell")

    @pytest.mark.parametrize(
        "query",
        ["O'Donnell", "ODonnell", "o’donnell", "O`Donnell", "odonnell, siobhan", "O-Donnell"],
    )
    def test_typographic_apostrophe_is_found_by_any_spelling(self, odonnell, query):
        assert list(Patient.objects.search(query)) == [odonnell]

    def test_last_comma_first_as_the_list_shows_it_finds_the_patient(self, db):
        peter = PatientFactory(legal_first_name="Peter", legal_last_name="Chalmers")
        PatientFactory(legal_first_name="Peter", legal_last_name="Smith")
        assert list(Patient.objects.search("Chalmers, Peter")) == [peter]
        assert list(Patient.objects.search("  chalmers ,peter  ")) == [peter]

    def test_hyphenated_name_found_with_or_without_the_hyphen(self, db):
        mary = PatientFactory(legal_first_name="Mary-Anne", legal_last_name="Smith–Jones")
        for query in ["Smith-Jones", "SmithJones", "smith jones", "mary anne", "Maryanne"]:
            assert list(Patient.objects.search(query)) == [mary], query

    def test_punctuation_only_finds_nobody(self, db):
        PatientFactory()
        assert list(Patient.objects.search("’ - ,")) == []

    def test_search_page_accepts_the_list_display_pasted_back(self, client_for, front_desk):
        PatientFactory(legal_first_name="Peter", legal_last_name="Chalmers")
        page = client_for(front_desk).get(reverse("intake:patient-list"), {"q": "Chalmers, Peter"})
        assert "Chalmers, Peter" in page.content.decode()
        assert "No patient" not in page.content.decode()


@pytest.mark.parametrize("typed", ["O'Donnell", "ODonnell", "O Donnell", "o`donnell"])
def test_registering_an_apostrophe_variant_warns_of_a_duplicate(client_for, front_desk, typed):
    PatientFactory(
        legal_first_name="Siobhan", legal_last_name="O’Donnell", date_of_birth="1980-02-03"
    )
    response = client_for(front_desk).post(
        reverse("intake:patient-create"),
        {
            "legal_first_name": "Siobhán",
            "legal_last_name": typed,
            "date_of_birth": "1980-02-03",
            "sex": "female",
            "province": "AB",
        },
    )
    assert response.status_code == 200
    assert "Possibly already registered" in response.content.decode()
    assert Patient.objects.count() == 1


def test_stored_search_name_uses_the_same_folding(db):
    patient = PatientFactory(
        legal_first_name="Peter", legal_last_name="O’Neil-Chalmers", preferred_name="Pete"
    )
    assert patient.search_name == "oneilchalmers peter pete"


def test_a_patient_is_greeted_by_their_preferred_name():
    patient = Patient(legal_first_name="Margaret", legal_last_name="Ng", preferred_name="Peggy")
    assert patient.greeting_name == "Peggy"


def test_a_patient_without_a_preferred_name_is_greeted_by_their_legal_first_name():
    patient = Patient(legal_first_name="Margaret", legal_last_name="Ng", preferred_name="")
    assert patient.greeting_name == "Margaret"


def test_the_full_name_begins_with_the_greeting_name():
    patient = Patient(legal_first_name="Margaret", legal_last_name="Ng", preferred_name="Peggy")
    assert patient.full_name == "Peggy Ng"
