"""Charting a follow-up at speed: the last visit's sites repeated in one press, one of
them changed in place, a muscle found by its nerve root as you type; and a draft open in
two tabs, whose older tab's autosave is refused with a message instead of saving over."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from sessions.models import Muscle, NeedlingAuthorisation, NeedlingSite, Visit
from tests.e2e.chart_rows import site_row
from tests.e2e.test_e2e_charting import (  # noqa: F401 (fixtures)
    catalogues,
    expect_message,
    no_smooth_scrolling,
    open_chart_from_home,
    todays_visit,
)
from tests.factories import AppointmentFactory

LAST_SITES = [("Upper trapezius", "left", "", "2.0"), ("Gluteus medius", "right", "", "5.0")]


@pytest.fixture
def last_visit(todays_visit):  # noqa: F811 (pytest passes the imported fixture)
    """Marcus's visit a week ago, signed, with two sites."""
    physio = get_user_model().objects.get(username="physio")
    earlier = AppointmentFactory(
        patient=todays_visit.patient,
        practitioner=physio,
        location=todays_visit.location,
        type=todays_visit.type,
        start=todays_visit.start - timedelta(days=7),
    )
    visit = Visit.objects.create(
        appointment=earlier,
        author=physio,
        nprs_before=6,
        needle_product="Seirin J-type",
        needle_size="0.30 × 50 mm",
        needle_lot="SJ-4471",
    )
    for name, side, level, depth in LAST_SITES:
        NeedlingSite.objects.create(
            visit=visit,
            muscle=Muscle.objects.get(name=name),
            side=side,
            spinal_level=level,
            depth_cm=Decimal(depth),
            twitch="strong",
        )
    Visit.objects.filter(pk=visit.pk).update(status=Visit.Status.SIGNED)
    return visit


@pytest.mark.usefixtures("last_visit")
def test_physio_repeats_the_last_sites_and_changes_one(page: Page, live_server, login):
    assert NeedlingAuthorisation.objects.filter(practitioner__username="physio").exists()
    login(page, live_server, "physio")
    open_chart_from_home(page)
    safety = page.get_by_role("region", name="Day-of-visit safety check")
    safety.get_by_role("group", name="Pregnant today, or could be?").get_by_label(
        "No", exact=True
    ).check()
    safety.get_by_label("The patient consents to IMS today").check()
    safety.get_by_role("button", name="Record the safety check").click()
    expect_message(page, "Safety check recorded")
    page.get_by_role("button", name="I have weighed these precautions").click()
    expect_message(page, "Precautions acknowledged.")

    sites = page.get_by_role("region", name="Needling sites", exact=True)
    sites.get_by_role("button", name="Repeat last visit's sites (2)").click()
    expect_message(page, "Sites repeated from the last visit")
    rows = sites.get_by_role("row")
    expect(rows).to_have_count(3)
    assert site_row(rows.nth(1)) == [
        *("Upper trapezius", "Left", "—", "2.0", "1", "None", "Good", "Save", "Remove")
    ]
    # The last visit's needles are the note's defaults.
    note = page.get_by_role("region", name="Note, needles and clean technique")
    expect(note.get_by_label("Lot number")).to_have_value("SJ-4471")

    # Today's depth and twitch, changed in the row itself.
    sites.get_by_label("Gluteus medius (Right): depth in cm").fill("6")
    sites.get_by_label("Gluteus medius (Right): twitch").select_option(label="Weak")
    sites.get_by_role("button", name="Save Gluteus medius (Right)").click()
    expect_message(page, "Site changed: Gluteus medius (Right).")
    assert site_row(rows.nth(2)) == [
        *("Gluteus medius", "Right", "—", "6.0", "1", "Weak", "Good", "Save", "Remove")
    ]

    # Finding a muscle by its root, as you type: the select lists what L5 supplies.
    sites.get_by_label("Find a muscle").fill("L5")
    expect(
        sites.get_by_role("status").filter(has_text=re.compile("muscles match “L5”"))
    ).to_be_visible()
    muscle = sites.get_by_label(re.compile("Muscle"))
    expect(muscle.locator("option", has_text="Piriformis (L5-S2)")).to_have_count(1)
    expect(muscle.locator("option", has_text="Iliopsoas (L1-L3)")).to_have_count(0)
    muscle.select_option(label="Piriformis (L5-S2)")


@pytest.mark.usefixtures("todays_visit")
def test_a_draft_open_in_two_tabs_is_not_saved_over(page: Page, live_server, login):
    login(page, live_server, "physio")
    open_chart_from_home(page)
    other_tab = page.context.new_page()
    other_tab.goto(page.url)

    page.get_by_label("Subjective").fill("Typed in the first tab.")
    expect(page.get_by_role("status").filter(has_text="Draft saved at")).to_be_visible()
    other_tab.get_by_label("Subjective").fill("Typed in the second tab.")

    conflict = other_tab.get_by_role("status").filter(
        has_text="This draft was changed in another tab or by someone else at"
    )
    expect(conflict).to_be_visible()
    expect(other_tab.get_by_label("Subjective")).to_have_value("Typed in the second tab.")
    draft = Visit.objects.get(appointment__patient__legal_first_name="Marcus")
    assert draft.subjective == "Typed in the first tab."
