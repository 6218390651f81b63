import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinic.roles import Role, primary_role
from intake.models import Patient
from sessions.models import Location, NeedlingAuthorisation


def test_demo_data_refuses_to_load_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_demo_data_has_every_role_and_is_idempotent(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    users = {u.username: primary_role(u) for u in get_user_model().objects.all()}
    assert users == {
        "admin": Role.ADMIN,
        "physio": Role.PHYSIO,
        "physio2": Role.PHYSIO,
        "frontdesk": Role.FRONT_DESK,
    }
    assert Location.objects.count() == 2
    assert Patient.objects.count() == 10
    today = timezone.localdate()
    authorised = NeedlingAuthorisation.objects.valid_on(today).values_list(
        "practitioner__username", flat=True
    )
    assert list(authorised) == ["physio"]
