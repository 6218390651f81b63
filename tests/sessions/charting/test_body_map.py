"""The body map beside "Find a muscle": each region a named link (front and back) that
narrows the muscles offered to that region, without a script."""

import re

from django.urls import reverse

from sessions.charting.body_map import body_map, region_of
from sessions.models import Muscle


def chart(client, visit, query: str = ""):
    return client.get(reverse("sessions:chart", args=[visit.appointment_id]) + query)


def test_every_region_is_a_named_link_front_or_back(client_for, physio, ready):
    html = chart(client_for(physio), ready).content.decode()
    path = reverse("sessions:chart", args=[ready.appointment_id])
    for value, label in Muscle.Region.choices:
        views = ("back",) if value == Muscle.Region.SPINE else ("front", "back")
        for view in views:
            assert f'href="{path}?region={value}#sites" aria-label="{label}, {view}"' in html


def test_a_region_narrows_the_muscles_offered(client_for, physio, ready):
    response = chart(client_for(physio), ready, "?region=hip")
    form = response.context["site_form"]
    offered = [pk for pk, _ in _choices(form)]
    assert offered
    regions = set(Muscle.objects.filter(pk__in=offered).values_list("region", flat=True))
    assert regions == {"hip"}
    assert form.muscles_offered < Muscle.objects.filter(is_active=True).count()
    html = response.content.decode()
    assert re.search(r"\d+ muscles?\s+in hip and buttock", html)
    assert 'aria-current="true"' in html and '<details class="body-map mb-3" open>' in html


def test_a_region_and_a_search_together(client_for, physio, ready):
    form = chart(client_for(physio), ready, "?region=leg&muscle=L5").context["site_form"]
    muscles = Muscle.objects.filter(pk__in=[pk for pk, _ in _choices(form)])
    assert muscles and all(m.region == "leg" and "L5" in m.root_segments() for m in muscles)


def test_an_unknown_region_is_ignored(client_for, physio, ready):
    response = chart(client_for(physio), ready, "?region=<script>")
    assert response.status_code == 200
    assert response.context["site_form"].muscles_offered == (
        Muscle.objects.filter(is_active=True).count()
    )
    assert region_of("nowhere") == "" and region_of("hip") == "hip"


def test_the_map_marks_only_the_current_region():
    current = [r.value for view in body_map("thigh") for r in view.regions if r.current]
    assert current == ["thigh", "thigh"]


def _choices(form):
    """(pk, label) of every muscle offered, through the select's region groups."""
    for value, label in form.fields["muscle"].choices:
        if isinstance(label, (list, tuple)):
            yield from label
        elif value:
            yield value, label
