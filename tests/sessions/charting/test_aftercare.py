"""Choosing the aftercare template on a note."""

import pytest
from django.urls import reverse

from sessions.models import AftercareTemplate
from tests.sessions.charting.conftest import make_signable, shown


class TestAftercareTemplateChoice:
    @pytest.fixture
    def heat_and_ice(self, db):
        AftercareTemplate.objects.all().delete()
        return (
            AftercareTemplate.objects.create(name="Heat", body="Put heat on the area."),
            AftercareTemplate.objects.create(name="Ice", body="Ice the area, rest."),
        )

    def test_a_template_chosen_but_not_loaded_is_refused_on_the_field(
        self, client_for, physio, ready, heat_and_ice
    ):
        heat, ice = heat_and_ice
        make_signable(ready, sites=0)
        response = client_for(physio).post(
            reverse("sessions:sign", args=[ready.pk]),
            {"aftercare_template": ice.pk, "aftercare_text": heat.body, "home_exercises": "Walk"},
        )
        page = response.content.decode()
        assert "The text below is the “Heat” template, not “Ice”" in page
        assert 'href="#id_aftercare_template"' in page
        ready.refresh_from_db()
        assert not ready.is_signed

    def test_an_adapted_text_is_signed_with_the_chosen_template(
        self, client_for, physio, ready, heat_and_ice
    ):
        heat, ice = heat_and_ice
        make_signable(ready, sites=0)
        client_for(physio).post(
            reverse("sessions:sign", args=[ready.pk]),
            {
                "aftercare_template": ice.pk,
                "aftercare_text": "Ice the area; walk later.",
                **shown(ready),
            },
        )
        ready.refresh_from_db()
        assert ready.is_signed and ready.aftercare_template == ice

    def test_using_a_template_loads_it_and_keeps_the_home_exercises(
        self, client_for, physio, ready, heat_and_ice
    ):
        heat, ice = heat_and_ice
        response = client_for(physio).post(
            reverse("sessions:sign", args=[ready.pk]),
            {
                "aftercare_template": ice.pk,
                "aftercare_text": heat.body,
                "home_exercises": "Cat-camel stretch",
                "use_template": "1",
            },
        )
        form = response.context["sign_form"]
        assert form["aftercare_text"].value() == ice.body
        assert form["home_exercises"].value() == "Cat-camel stretch"
        assert form["aftercare_template"].value() == ice.pk
        ready.refresh_from_db()
        assert not ready.is_signed


@pytest.mark.parametrize("chosen", ["abc", "1.5", "9" * 30, ""])
def test_an_odd_template_choice_with_use_template_is_no_error(client_for, physio, ready, chosen):
    """`aftercare_template=abc` with "Use this template" reached the ORM: a 500."""
    response = client_for(physio).post(
        reverse("sessions:sign", args=[ready.pk]),
        {"aftercare_template": chosen, "aftercare_text": "Rest", "use_template": "1"},
    )
    assert response.status_code == 200
    assert response.context["sign_form"]["aftercare_text"].value() == "Rest"
