"""The practitioner's profile carries what a receipt needs beyond their name."""

import pytest

from clinic.models import PractitionerProfile

pytestmark = pytest.mark.django_db


def test_designation_and_registration_number_are_kept(physio):
    PractitionerProfile.objects.create(
        user=physio,
        designation="Registered Physiotherapist",
        registration_number="PT-12345",
        regulatory_body="College of Physiotherapists of Alberta",
    )
    profile = type(physio).objects.get(pk=physio.pk).practitioner_profile
    assert (profile.designation, profile.registration_number) == (
        "Registered Physiotherapist",
        "PT-12345",
    )
