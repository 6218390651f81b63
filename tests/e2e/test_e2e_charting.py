"""The charting journey: the physiotherapist opens today's visit, does the safety check,
charts three sites, is blocked by a needle-count mismatch, fixes it, signs and adds an
addendum; the patient's aftercare mail arrives with a link that works on a phone."""

import importlib
import re
from datetime import datetime, time, timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.models import Patient
from sessions.models import (
    AftercareTemplate,
    Appointment,
    AppointmentType,
    Location,
    Visit,
)
from tests.e2e.chart_rows import site_row
from tests.factories import AppointmentFactory

PATIENT = "Marcus Lee"
PATIENT_EMAIL = "marcus.lee@example.com"
PRECAUTION = "No health questionnaire on file"
HOME_EXERCISES = "Cat-camel stretch, 10 slow repeats, twice a day."
CLEAN_TECHNIQUE = [
    "Single-use sterile needles",
    "Skin cleaned with antiseptic",
    "Gloves worn throughout",
    "Needles into the sharps container",
]


@pytest.fixture(autouse=True)
def no_smooth_scrolling(page: Page) -> None:
    # Bootstrap scrolls smoothly to the #anchor each save redirects to, and Playwright
    # waits for the page to stop moving before every click: a second per radio button.
    page.emulate_media(reduced_motion="reduce")


@pytest.fixture
def catalogues(transactional_db) -> None:
    # The muscles and aftercare templates come from a data migration, which a flush
    # between transactional tests removes; put them back the way it does (get_or_create).
    migration = importlib.import_module("sessions.migrations.0005_muscles_aftercare_and_locks")
    migration.add_catalogues(apps, None)


@pytest.fixture
def todays_visit(demo_clinic, catalogues) -> Appointment:
    """Marcus with Priya at the first location, started a few minutes ago.

    Created directly: the booking service refuses a start in the past.
    """
    now = timezone.localtime()
    midnight = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    start = max(now - timedelta(minutes=5), midnight)
    patient = Patient.objects.get(legal_first_name="Marcus", legal_last_name="Lee")
    return AppointmentFactory(
        patient=patient,
        practitioner=get_user_model().objects.get(username="physio"),
        location=Location.objects.order_by("name").first(),
        type=AppointmentType.objects.get(name="IMS treatment"),
        start=start,
    )


def open_chart_from_home(page: Page) -> None:
    today = page.get_by_role("region", name=re.compile(r"^Today's visits"))
    today.get_by_role("listitem").filter(has_text=PATIENT).get_by_role("link", name="Chart").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PATIENT)


def expect_message(page: Page, text: str) -> None:
    """The message shown after a save, in a status region screen readers announce."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def add_site(page: Page, muscle: str, side: str, depth: str, insertions: str, twitch: str):
    form = page.get_by_role("form", name="Add a site")
    form.get_by_label(re.compile("Muscle")).select_option(label=muscle)
    form.get_by_role("group", name="Side").get_by_label(side, exact=True).check()
    form.get_by_label("Depth (cm)").fill(depth)
    form.get_by_label("Insertions").fill(insertions)
    form.get_by_role("group", name="Twitch response").get_by_label(twitch, exact=True).check()
    form.get_by_label("Tolerance").select_option(label="Good")
    form.get_by_role("button", name="Add site").click()


@pytest.mark.usefixtures("todays_visit")
def test_physio_charts_signs_and_amends_a_visit_and_the_patient_reads_the_aftercare(
    page: Page, phone_page: Page, live_server, login, mailoutbox, settings
):
    settings.SITE_URL = live_server.url
    login(page, live_server, "physio")

    # Today's visit on the home page opens its chart, where needling is blocked for now;
    # reading the chart starts no draft (the first save does).
    open_chart_from_home(page)
    assert not Visit.objects.filter(appointment__patient__legal_first_name="Marcus").exists()
    blockers = page.get_by_role("alert").filter(has_text="Needling cannot be recorded yet")
    expect(blockers.get_by_role("listitem")).to_have_text(
        [
            "Complete the day-of-visit safety check, with consent for today, first.",
            f"Acknowledge the precautions first: {PRECAUTION}.",
        ]
    )
    add_button = page.get_by_role("button", name="Add site")
    expect(add_button).to_be_disabled()

    # The safety check, then the precaution weighed: needling can be recorded.
    safety = page.get_by_role("region", name="Day-of-visit safety check")
    safety.get_by_role("group", name="Pregnant today, or could be?").get_by_label(
        "No", exact=True
    ).check()
    safety.get_by_label("The patient consents to IMS today").check()
    safety.get_by_role("button", name="Record the safety check").click()
    expect_message(page, "Safety check recorded")
    expect(blockers.get_by_role("listitem")).to_have_text(
        [f"Acknowledge the precautions first: {PRECAUTION}."]
    )
    acknowledge = page.get_by_role("button", name="I have weighed these precautions")
    expect(acknowledge).to_contain_text(PRECAUTION)
    acknowledge.click()
    expect_message(page, "Precautions acknowledged.")
    expect(blockers).to_have_count(0)
    expect(add_button).to_be_enabled()

    # A paraspinal site needs its level; the refusal keeps what was typed and puts the
    # focus on the field to fix.
    add_site(page, "Lumbar multifidus (L1-S1)", "Right", "4.5", "3", "Strong")
    level = page.get_by_label("Spinal level")
    expect(level).to_be_focused()
    expect(level).to_be_in_viewport()
    expect(level).to_have_accessible_description(
        re.compile(re.escape("Give the spinal level for a paraspinal site."))
    )
    expect(page.get_by_label(re.compile("Muscle")).locator("option:checked")).to_have_text(
        "Lumbar multifidus (L1-S1)"
    )
    expect(page.get_by_label("Depth (cm)")).to_have_value("4.5")
    level.fill("L4-L5")
    add_button.click()
    expect_message(page, "Site added: Lumbar multifidus (Right).")
    add_site(page, "Gluteus medius (L4-S1)", "Left", "5", "2", "Weak")
    expect_message(page, "Site added: Gluteus medius (Left).")
    add_site(page, "Piriformis (L5-S2)", "Left", "7.5", "1", "None")
    expect_message(page, "Site added: Piriformis (Left).")
    rows = page.get_by_role("region", name="Needling sites").get_by_role("row")
    expect(rows).to_have_count(4)
    charted = [
        ["Lumbar multifidus", "Right", "L4-L5", "4.5", "3", "Strong", "Good"],
        ["Gluteus medius", "Left", "—", "5.0", "2", "Weak", "Good"],
        ["Piriformis", "Left", "—", "7.5", "1", "None", "Good"],
    ]
    for number, cells in enumerate(charted, start=1):
        assert site_row(rows.nth(number)) == [*cells, "Save", "Remove"]

    # The note, with one needle not counted back.
    note = page.get_by_role("region", name="Note, needles and clean technique")
    note.get_by_label("NPRS before needling (0-10)").fill("6")
    note.get_by_label("NPRS after needling (0-10)").fill("3")
    note.get_by_label("Needle product").fill("Seirin J-type")
    note.get_by_label("Needle size").fill("0.30 × 50 mm")
    note.get_by_label("Lot number").fill("SJ-4471")
    note.get_by_label("Needles taken out").fill("3")
    note.get_by_label("Needles counted back").fill("2")
    for item in CLEAN_TECHNIQUE:
        note.get_by_label(item).check()
    note.get_by_role("button", name="Save draft").click()
    expect_message(page, "Draft saved.")

    # Signing is refused while a needle is unaccounted for; the note stays a draft, and
    # the page opens on the reasons, next to the sign button, with the focus on them.
    mismatch = "Needle count mismatch: 3 taken out, 2 counted back."
    signing = page.get_by_role("region", name="Aftercare and signature")
    sign_bar = page.get_by_role("region", name="Signing")
    signing.get_by_label("Home exercises").fill(HOME_EXERCISES)
    sign_bar.get_by_role("button", name="Sign, lock and send aftercare").click()
    reasons = sign_bar.get_by_role("alert").filter(has_text="Not signed yet")
    expect(reasons).to_be_focused()
    expect(reasons).to_be_in_viewport()
    expect(reasons.get_by_role("listitem")).to_contain_text([mismatch])
    expect(page.get_by_text("Draft", exact=True)).to_have_count(1)
    expect(signing.get_by_label("Home exercises")).to_have_value(HOME_EXERCISES)
    draft = Visit.objects.get(appointment__patient__legal_first_name="Marcus")
    assert draft.status == Visit.Status.DRAFT
    assert mailoutbox == []
    # Each reason links to the field that fixes it.
    reasons.get_by_role("link", name=re.compile("^Needle count mismatch")).click()
    expect(note.get_by_label("Needles counted back")).to_be_in_viewport()

    # Every needle found: the note is signed and locked.
    note.get_by_label("Needles counted back").fill("3")
    note.get_by_role("button", name="Save draft").click()
    expect_message(page, "Draft saved.")
    expect(sign_bar).not_to_contain_text("Needle count mismatch")
    signing.get_by_label("Home exercises").fill(HOME_EXERCISES)
    sign_bar.get_by_role("button", name="Sign, lock and send aftercare").click()
    expect_message(page, "The note is signed and locked")
    expect(page.get_by_text(re.compile(r"^Signed \d{4}-\d\d-\d\d \d\d:\d\d$"))).to_be_visible()
    expect(page.get_by_role("heading", name="Add a site")).to_have_count(0)
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(note).to_contain_text("Seirin J-type 0.30 × 50 mm lot SJ-4471; 3 out, 3 back")
    aftercare = page.get_by_role("region", name="Aftercare given")
    expect(aftercare).to_contain_text(HOME_EXERCISES)
    expect(aftercare).to_contain_text(f"Emailed to {PATIENT_EMAIL} at")

    # A correction after signing is an addendum, dated and credited to its author.
    addenda = page.get_by_role("region", name="Addenda")
    addenda.get_by_label("Why the correction").fill("Lot number mistyped")
    addenda.get_by_label("Addendum").fill("The needle lot was SJ-4417.")
    addenda.get_by_role("button", name="Add addendum").click()
    expect_message(page, "Addendum added.")
    today = timezone.localdate().isoformat()
    expect(addenda).to_contain_text(
        re.compile(rf"{today} \d\d:\d\d · Priya Shah · reason: Lot number mistyped")
    )
    expect(addenda).to_contain_text("The needle lot was SJ-4417.")

    # The patient's mail: no health details, and a link that opens on a phone without
    # signing in.
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [PATIENT_EMAIL]
    assert mail.subject.startswith("Your aftercare notes from ")
    assert HOME_EXERCISES not in mail.body
    match = re.search(rf"{re.escape(live_server.url)}/a/[^/\s]+/", mail.body)
    assert match, mail.body
    phone_page.goto(match.group())
    expect(phone_page.get_by_role("heading", level=1)).to_have_text("Your aftercare notes")
    advice = AftercareTemplate.objects.order_by("name").first().body.splitlines()[1]
    expect(phone_page.get_by_role("main")).to_contain_text(advice)
    expect(phone_page.get_by_role("heading", name="Your home exercises")).to_be_visible()
    expect(phone_page.get_by_text(HOME_EXERCISES)).to_be_visible()
    # Nothing sticks out sideways: the patient would have to pan.
    width = phone_page.viewport_size["width"]
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.usefixtures("todays_visit")
def test_chart_note_autosaves_while_the_physio_types(page: Page, live_server, login):
    login(page, live_server, "physio")
    open_chart_from_home(page)

    page.get_by_label("Subjective").fill("Slept better; sitting still aggravates.")

    expect(
        page.get_by_role("status").filter(has_text=re.compile(r"^Draft saved at "))
    ).to_have_text(re.compile(r"^Draft saved at \d\d:\d\d:\d\d$"))
    page.reload()
    expect(page.get_by_label("Subjective")).to_have_value("Slept better; sitting still aggravates.")


def test_front_desk_is_refused_the_chart(page: Page, live_server, login, todays_visit):
    login(page, live_server, "frontdesk")

    response = page.goto(f"{live_server.url}/appointments/{todays_visit.pk}/chart/")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    expect(page.get_by_role("main")).not_to_contain_text(PATIENT)
    assert not Visit.objects.filter(appointment=todays_visit).exists()


@pytest.mark.usefixtures("todays_visit")
def test_save_draft_right_after_typing_asks_nothing(page: Page, live_server, login):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.clock.install()
    login(page, live_server, "physio")
    open_chart_from_home(page)
    # The page's clock stops, so the autosave is surely still pending at the click
    # (a busy machine could otherwise take the 1.5 s autosave delay between the two).
    page.clock.pause_at(timezone.now() + timedelta(seconds=1))

    page.get_by_label("Subjective").fill("Slept better.")
    page.get_by_role("button", name="Save draft").click()

    expect_message(page, "Draft saved.")
    assert dialogs == []
