"""How much a physiotherapist does to chart a typical follow-up visit, counted action by
action, with the server's time for each request on the way (issue 15, item 5).

The visit: Marcus was needled at three sites a week ago, by the same physiotherapist,
and is back today. His intake is submitted and clear, Priya holds a valid needling
authorisation. She opens the chart from her home page, records the safety check (all
clear, consent given), needles the same three sites with one changed (gluteus medius
deeper), writes a short note with the pain before and after, counts the needles out and
back, ticks the clean technique and signs.

``MOST_ACTIONS`` is what that takes on the chart now: 36 before "Repeat last visit's
sites", 20 with it, 18 since a site row changes in place (no trip to the site's page)
and Sign saves the note's typing first (no "Save draft"). Charting may not get slower
than that. The same visit charted with the three sites typed by hand (no Repeat) is
counted too, as the baseline: the quick way takes half of it or fewer. The same visit
is also charted with the keyboard only, under its own ceiling. The tests print the
counts and the requests.
"""

import importlib
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from clinic.roles import Role
from intake.models import Intake
from sessions.models import Appointment, Muscle, Visit
from tests.e2e.actions import ActionCounter
from tests.factories import (
    PASSWORD,
    AppointmentFactory,
    LocationFactory,
    NeedlingAuthorisationFactory,
    NeedlingSiteFactory,
    PatientFactory,
    UserFactory,
    VisitFactory,
)

PATIENT = "Marcus Lee"
# 36 actions before "Repeat last visit's sites" (every site typed again, the needles
# too); 20 with it; 18 with the chart laid out for the job. The goal of issue 15 is half
# of the sites typed by hand or fewer; lower these as they drop.
MOST_ACTIONS = 18
MOST_KEYBOARD_ACTIONS = 135
# The chart as opened at 1280x800: 4958 px high in one column, 2383 px in two.
MOST_DESKTOP_HEIGHT = 2700
SCREENSHOT = "chart-after.png"
CLEAN_TECHNIQUE = (
    "Single-use sterile needles",
    "Skin cleaned with antiseptic",
    "Gloves worn throughout",
    "Needles into the sharps container",
)


@dataclass(frozen=True)
class Site:
    muscle: str  # the option's label: name and nerve roots
    side: str
    level: str
    depth: str
    insertions: str
    twitch: str


LAST_VISIT = [
    Site("Lumbar multifidus (L1-S1)", "Right", "L4-L5", "4.5", "3", "Strong"),
    Site("Gluteus medius (L4-S1)", "Left", "", "5.0", "2", "Weak"),
    Site("Piriformis (L5-S2)", "Left", "", "7.5", "1", "None"),
]
TODAY = [
    LAST_VISIT[0],
    Site("Gluteus medius (L4-S1)", "Left", "", "5.5", "2", "Weak"),
    LAST_VISIT[2],
]


@pytest.fixture(autouse=True)
def no_smooth_scrolling(page: Page) -> None:
    # Bootstrap scrolls smoothly to the #anchor each save redirects to, and Playwright
    # waits for the page to stop moving before every click.
    page.emulate_media(reduced_motion="reduce")


@pytest.fixture
def followup(transactional_db) -> Appointment:
    """Today's follow-up, started a few minutes ago, after last week's signed visit of
    the same three sites (``LAST_VISIT``) with the same physiotherapist."""
    # The muscles come from a data migration, which a flush between transactional
    # tests removes; put them back the way it does (get_or_create).
    importlib.import_module("sessions.migrations.0005_muscles_aftercare_and_locks").add_catalogues(
        apps, None
    )
    physio = UserFactory(username="priya", first_name="Priya", last_name="Shah", role=Role.PHYSIO)
    NeedlingAuthorisationFactory(practitioner=physio)
    return make_followup(physio, LocationFactory(name="Kensington"), "Marcus", "Lee")


def make_followup(physio, location, first: str, last_name: str, earlier: int = 0) -> Appointment:
    """A patient's follow-up today with ``physio`` (``earlier`` minutes before the
    first's), after last week's ``LAST_VISIT``."""
    patient = PatientFactory(legal_first_name=first, legal_last_name=last_name)
    now = timezone.localtime()
    Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=now - timedelta(days=30),
        answers={"needles": {"pregnancy": "no", "needle_fear": "none"}},
    )
    start = max(now - timedelta(minutes=5), datetime.combine(now.date(), time(), now.tzinfo))
    start -= timedelta(minutes=earlier)
    last = VisitFactory(
        appointment=AppointmentFactory(
            patient=patient, practitioner=physio, location=location, start=start - timedelta(7)
        ),
        nprs_before=6,
        nprs_after=3,
        needle_product="Seirin J-type",
        needle_size="0.30 × 50 mm",
    )
    for site in LAST_VISIT:
        NeedlingSiteFactory(
            visit=last,
            muscle=Muscle.objects.get(name=site.muscle.split(" (")[0]),
            side=site.side.lower(),
            spinal_level=site.level,
            depth_cm=Decimal(site.depth),
            insertions=int(site.insertions),
            twitch=site.twitch.lower(),
        )
    # Signed after its sites: a signed note takes no more.
    Visit.objects.filter(pk=last.pk).update(
        status=Visit.Status.SIGNED, signed_at=last.appointment.end
    )
    return AppointmentFactory(patient=patient, practitioner=physio, location=location, start=start)


def chart_followup_visit(
    page: Page, counter: ActionCounter, by_hand: bool = False, patient: str = PATIENT
) -> None:
    """Chart today's follow-up: the safety check, one press to bring last visit's three
    sites in, the gluteus medius's depth changed to 5.5 in its row (``by_hand``: each of
    today's sites typed into "Add a site" instead), then the note (the needles' product
    and size are last visit's already; the counts and the clean technique are typed and
    ticked) and Sign, which saves the note first. Every action goes through
    ``counter``."""
    counter.click(
        page.get_by_role("region", name=re.compile(r"^Today's visits"))
        .get_by_role("listitem")
        .filter(has_text=patient)
        .get_by_role("link", name="Chart")
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(patient)

    safety = page.get_by_role("region", name="Day-of-visit safety check")
    counter.check(
        safety.get_by_role("group", name="Pregnant today, or could be?").get_by_label(
            "No", exact=True
        )
    )
    counter.check(safety.get_by_label("The patient consents to IMS today"))
    counter.click(safety.get_by_role("button", name="Record the safety check"))
    expect_message(page, "Safety check recorded")

    sites = page.get_by_role("region", name="Needling sites", exact=True)
    if by_hand:
        for site in TODAY:
            add_site_by_hand(page, counter, site)
    else:
        counter.click(sites.get_by_role("button", name="Repeat last visit's sites (3)"))
        expect_message(page, "Sites repeated from the last visit")
        changed = TODAY[1]
        row = f"{changed.muscle.split(' (')[0]} (Left)"
        counter.type(sites.get_by_label(f"{row}: depth in cm"), changed.depth)
        counter.click(sites.get_by_role("button", name=f"Save {row}"))
        expect_message(page, f"Site changed: {row}.")

    note = page.get_by_role("region", name="Note, needles and clean technique")
    counter.type(note.get_by_label("NPRS before needling (0-10)"), "5")
    counter.type(note.get_by_label("Subjective"), "Sitting tolerance up to an hour.")
    counter.type(note.get_by_label("Plan"), "Same sites next week; add hip hinge drill.")
    counter.type(note.get_by_label("NPRS after needling (0-10)"), "2")
    if by_hand:  # Repeat brings last visit's needles too
        counter.type(note.get_by_label("Needle product"), "Seirin J-type")
        counter.type(note.get_by_label("Needle size"), "0.30 × 50 mm")
    expect(note.get_by_label("Needle product")).to_have_value("Seirin J-type")
    counter.type(note.get_by_label("Needles taken out"), "3")
    counter.type(note.get_by_label("Needles counted back"), "3")
    for item in CLEAN_TECHNIQUE:
        counter.check(note.get_by_label(item))

    # Sign saves the note's typing first (static/js/autosave.js): no "Save draft".
    signing = page.get_by_role("region", name="Signing")
    counter.click(signing.get_by_role("button", name="Sign, lock and send aftercare"))
    expect_message(page, "The note is signed and locked")
    page.goto(re.sub(r"^(https?://[^/]+).*$", r"\1/", page.url))  # home, for the next visit


def add_site_by_hand(page: Page, counter: ActionCounter, site: Site) -> None:
    """One of today's sites typed into "Add a site", every field the site has."""
    form = page.get_by_role("form", name="Add a site")
    counter.select(form.get_by_label(re.compile("Muscle")), site.muscle)
    counter.check(form.get_by_role("group", name="Side").get_by_label(site.side, exact=True))
    if site.level:
        counter.type(form.get_by_label("Spinal level"), site.level)
    counter.type(form.get_by_label("Depth (cm)"), site.depth)
    counter.type(form.get_by_label("Insertions"), site.insertions)
    twitch = form.get_by_role("group", name="Twitch response")
    counter.check(twitch.get_by_label(site.twitch, exact=True))
    counter.click(form.get_by_role("button", name="Add site"))
    expect_message(page, "Site added")


def expect_message(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_charting_a_followup_visit_takes_no_more_actions_than_before(
    page: Page, live_server, login, followup, capsys
):
    """The quick way (Repeat, a row changed in place) against the baseline: another
    patient's same visit charted with the sites typed by hand, counted the same way."""
    nora = make_followup(followup.practitioner, followup.location, "Nora", "Quinn", 40)
    login(page, live_server, "priya", PASSWORD)
    baseline = ActionCounter(page, live_server.url)
    chart_followup_visit(page, baseline, by_hand=True, patient="Nora Quinn")
    depths = Visit.objects.get(appointment=nora).sites.values_list("depth_cm", flat=True)
    assert sorted(depths) == sorted(Decimal(site.depth) for site in TODAY)
    with capsys.disabled():
        print(f"\nBaseline, the sites typed by hand:\n{baseline.report()}")
    before = baseline.total

    counter = ActionCounter(page, live_server.url)
    chart_followup_visit(page, counter)

    visit = Visit.objects.get(appointment=followup)
    assert visit.status == Visit.Status.SIGNED
    depths = visit.sites.order_by("created_at").values_list("depth_cm", flat=True)
    assert list(depths) == [Decimal(site.depth) for site in TODAY]
    assert all(timed.server_ms is not None for timed in counter.requests)
    with capsys.disabled():
        print(f"\n{counter.report()}\nActions: {before} with the sites typed, {counter.total} now")
    assert counter.total <= MOST_ACTIONS
    assert counter.total <= before // 2


def test_the_chart_as_opened_at_desktop_size(page: Page, live_server, login, followup, capsys):
    """At 1280x800 the sites and the note side by side, Sign in view as the page opens,
    and the page under ``MOST_DESKTOP_HEIGHT`` (printed, with a full-page picture in
    var/screenshots/); at 390x844 one column in the source order."""
    login(page, live_server, "priya", PASSWORD)
    page.goto(f"{live_server.url}/appointments/{followup.pk}/chart/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PATIENT)
    assert page.viewport_size == {"width": 1280, "height": 800}

    sites, note = page.locator("#sites").bounding_box(), page.locator("#note").bounding_box()
    assert sites and note
    assert note["x"] >= sites["x"] + sites["width"], "the note is not beside the sites"
    assert note["y"] < sites["y"] + sites["height"] and sites["y"] < note["y"] + note["height"]
    sign = page.get_by_role("region", name="Signing").get_by_role(
        "button", name=re.compile("^Sign")
    )
    expect(sign).to_be_in_viewport()
    height = page.evaluate("document.documentElement.scrollHeight")
    folder = Path(settings.BASE_DIR) / "var" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / SCREENSHOT, full_page=True)
    with capsys.disabled():
        print(f"\nChart as opened at 1280x800: {height} px high; picture in {folder / SCREENSHOT}")
    assert height <= MOST_DESKTOP_HEIGHT

    page.set_viewport_size({"width": 390, "height": 844})
    boxes = [page.locator(f"#{s}").bounding_box() for s in ("screening", "safety", "sites", "note")]
    assert all(boxes)
    assert len({round(box["x"]) for box in boxes if box}) == 1, boxes
    ys = [box["y"] for box in boxes if box]
    assert ys == sorted(ys) and len(set(ys)) == len(ys), boxes


# The most Tab presses from one stop of the keyboard path to the next: far more than the
# path needs, so a field dropped out of the tab order fails the test rather than hangs.
MOST_TABS = 60


TABS: list[int] = []  # the Tab presses to each stop of the last keyboard run


def tab_to(page: Page, counter: ActionCounter, target: Locator) -> None:
    """Presses Tab until ``target`` has the focus, each press counted, and checks that
    the focus is drawn (an outline, WCAG 2.4.7)."""
    for presses in range(MOST_TABS):
        if target.evaluate("element => element === document.activeElement"):
            TABS.append(presses)
            break
        counter.key(page, "Tab")
    else:
        raise AssertionError(f"{target} not reached in {MOST_TABS} Tab presses")
    outline = target.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline not in ("", "none"), f"{target} has the focus but shows none"


def chart_followup_visit_by_keyboard(page: Page, counter: ActionCounter) -> None:
    """The same visit as ``chart_followup_visit``, with the keyboard only: Tab to each
    control in the page's order, Space to tick, Enter to follow or send, typing."""
    tab_to(
        page,
        counter,
        page.get_by_role("region", name=re.compile(r"^Today's visits"))
        .get_by_role("listitem")
        .filter(has_text=PATIENT)
        .get_by_role("link", name="Chart"),
    )
    counter.key(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PATIENT)

    safety = page.get_by_role("region", name="Day-of-visit safety check")
    pregnancy = safety.get_by_role("group", name="Pregnant today, or could be?")
    tab_to(page, counter, pregnancy.get_by_label("No", exact=True))
    counter.key(page, "Space")
    tab_to(page, counter, safety.get_by_label("The patient consents to IMS today"))
    counter.key(page, "Space")
    tab_to(page, counter, safety.get_by_role("button", name="Record the safety check"))
    counter.key(page, "Enter")
    expect_message(page, "Safety check recorded")

    sites = page.get_by_role("region", name="Needling sites", exact=True)
    tab_to(page, counter, sites.get_by_role("button", name="Repeat last visit's sites (3)"))
    counter.key(page, "Enter")
    expect_message(page, "Sites repeated from the last visit")
    row = f"{TODAY[1].muscle.split(' (')[0]} (Left)"
    tab_to(page, counter, sites.get_by_label(f"{row}: depth in cm"))
    counter.key(page, "ControlOrMeta+a")
    counter.type_keys(page, TODAY[1].depth)
    counter.key(page, "Enter")  # sends the row's own form
    expect_message(page, f"Site changed: {row}.")

    # Past the search, the new-site form and adverse events: the skip link after the rows.
    tab_to(page, counter, sites.get_by_role("link", name="Skip adding a site: on to the note"))
    counter.key(page, "Enter")
    note = page.get_by_role("region", name="Note, needles and clean technique")
    expect(note).to_be_focused()
    for label, text in (
        ("NPRS before needling (0-10)", "5"),
        ("Subjective", "Sitting tolerance up to an hour."),
        ("Plan", "Same sites next week; add hip hinge drill."),
        ("NPRS after needling (0-10)", "2"),
        ("Needles taken out", "3"),
        ("Needles counted back", "3"),
    ):
        tab_to(page, counter, note.get_by_label(label))
        counter.type_keys(page, text)
    for item in CLEAN_TECHNIQUE:
        tab_to(page, counter, note.get_by_label(item))
        counter.key(page, "Space")

    signing = page.get_by_role("region", name="Signing")
    tab_to(page, counter, signing.get_by_role("button", name="Sign, lock and send aftercare"))
    counter.key(page, "Enter")
    expect_message(page, "The note is signed and locked")


def test_charting_a_followup_visit_with_the_keyboard_only(
    page: Page, live_server, login, followup, capsys
):
    login(page, live_server, "priya", PASSWORD)
    counter = ActionCounter(page, live_server.url)

    chart_followup_visit_by_keyboard(page, counter)

    visit = Visit.objects.get(appointment=followup)
    assert visit.status == Visit.Status.SIGNED
    assert (visit.nprs_before, visit.nprs_after, visit.needles_out, visit.needles_back) == (
        5,
        2,
        3,
        3,
    )
    assert visit.clean_technique_complete
    depths = visit.sites.order_by("created_at").values_list("depth_cm", flat=True)
    assert list(depths) == [Decimal(site.depth) for site in TODAY]
    assert counter.counts["click"] == counter.counts["select"] == 0
    with capsys.disabled():
        print(f"\nWith the keyboard only (Tab presses to each stop: {TABS}):\n{counter.report()}")
    assert counter.total <= MOST_KEYBOARD_ACTIONS
