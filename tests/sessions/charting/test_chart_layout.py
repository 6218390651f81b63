"""The chart page laid out for charting (issue 15, item 1): the sign bar lists what
still blocks signing, each reason linking to an element of the page; a colleague's
draft is shown without forms and says whose it is."""

import re

import pytest
from django.urls import reverse

from clinic.roles import Role
from sessions.charting import services as charting
from sessions.charting import sites
from sessions.models import Visit
from tests.factories import UserFactory
from tests.sessions.charting.conftest import SITE, check


def linked(html: str) -> list[str]:
    """Every #fragment the page's reasons (sign bar, hard stops) link to."""
    return re.findall(r'<li><a href="#([^"]+)">', html)


def chart_html(client, visit) -> str:
    return client.get(reverse("sessions:chart", args=[visit.appointment_id])).content.decode()


def test_each_reason_in_the_sign_bar_links_to_an_element_of_the_page(
    client_for, physio, ready, gluteus
):
    sites.site_add(visit=ready, by=physio, muscle=gluteus, **SITE)
    html = chart_html(client_for(physio), ready)
    bar = html[html.index('class="sign-bar') :]
    anchors = re.findall(r'<li><a href="#([^"]+)">', bar)
    # NPRS before, needle product, clean technique, needle counts
    assert len(anchors) == 4
    for anchor in anchors:
        assert f'id="{anchor}"' in html
    # Sign sends the note's form (the note as typed), to the sign view.
    sign_url = reverse("sessions:sign", args=[ready.pk])
    assert f'form="note-form" formaction="{sign_url}#sign-problems"' in bar
    assert 'id="note-form"' in html


def test_a_site_row_changes_in_place_with_the_drafts_version(client_for, physio, ready, gluteus):
    site = sites.site_add(visit=ready, by=physio, muscle=gluteus, **SITE)
    html = chart_html(client_for(physio), ready)
    row_form = (
        f'action="{reverse("sessions:site-edit", args=[site.pk])}" novalidate id="row-{site.pk}"'
    )
    assert row_form in html
    for name in ("depth_cm", "insertions", "twitch", "tolerance"):
        assert re.search(rf'name="{name}"[^>]*form="row-{site.pk}"', html)


def test_a_colleagues_draft_shows_no_forms_and_says_whose_it_is(client_for, ready, physio):
    colleague = UserFactory(username="physio2", role=Role.PHYSIO)
    html = chart_html(client_for(colleague), ready)
    chart = html[html.index('id="screening"') :]
    assert "only they can change it" in html
    assert 'method="post"' not in chart
    assert "sign-bar" not in chart


@pytest.mark.parametrize(
    "draft, anchors",
    [
        ({"safety_check": None}, ["id_pregnancy_0"]),
        ({"consent_today": False}, ["id_consent_today"]),
        ({"needle_product": "Seirin J"}, ["id_needle_size"]),
        ({"needles_out": 2}, ["id_needles_back"]),
        ({"single_use_sterile": True, "skin_antisepsis": True}, ["id_gloves"]),
    ],
)
def test_each_blocker_links_to_its_field(client_for, physio, ready, gluteus, draft, anchors):
    sites.site_add(visit=ready, by=physio, muscle=gluteus, **SITE)
    Visit.objects.filter(pk=ready.pk).update(**draft)
    html = chart_html(client_for(physio), ready)
    for anchor in anchors:
        assert anchor in linked(html)
    for anchor in linked(html):
        assert f'id="{anchor}"' in html, anchor


def test_unweighed_precautions_link_to_the_button_that_weighs_them(
    client_for, physio, visit, authorised
):
    check(visit, physio, anticoagulants=True)
    html = chart_html(client_for(physio), visit)
    assert "acknowledge-precautions" in linked(html)
    assert 'id="acknowledge-precautions"' in html
    charting.visit_acknowledge(visit=visit, by=physio)
