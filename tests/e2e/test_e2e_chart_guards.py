"""What the chart's scripts and styles must never do to a physiotherapist's work: swallow
a press after a conflict, lose typing (an ended session, a lost connection, leaving the
page, a site row's unsaved change), send Sign twice, hide the screen behind the sign bar
on a tablet, or make a phone scroll sideways (issue 15's review)."""

import re

import pytest
from playwright.sync_api import Page, Route, expect

from sessions.models import Appointment
from tests.e2e.test_e2e_chart_speed import (  # noqa: F401 (followup is a fixture)
    PATIENT,
    expect_message,
    followup,
)
from tests.factories import PASSWORD

SIGN = "Sign, lock and send aftercare"


@pytest.fixture(autouse=True)
def no_smooth_scrolling(page: Page) -> None:
    page.emulate_media(reduced_motion="reduce")


def open_chart(page: Page, live_server, appointment: Appointment, login) -> None:
    login(page, live_server, "priya", PASSWORD)
    page.goto(f"{live_server.url}/appointments/{appointment.pk}/chart/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PATIENT)


def record_safety_check(page: Page) -> None:
    safety = page.get_by_role("region", name="Day-of-visit safety check")
    safety.get_by_role("group", name="Pregnant today, or could be?").get_by_label(
        "No", exact=True
    ).check()
    safety.get_by_label("The patient consents to IMS today").check()
    safety.get_by_role("button", name="Record the safety check").click()
    expect_message(page, "Safety check recorded")


def repeat_sites(page: Page) -> None:
    record_safety_check(page)
    page.get_by_role("button", name="Repeat last visit's sites (3)").click()
    expect_message(page, "Sites repeated from the last visit")


def note(page: Page):
    return page.get_by_role("region", name="Note, needles and clean technique")


def test_sign_after_an_autosave_conflict_shows_the_conflict_and_the_typing(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    open_chart(page, live_server, followup, login)
    record_safety_check(page)
    other = page.context.new_page()  # the same chart in another tab, saved there
    other.goto(page.url)
    note(other).get_by_label("Plan").fill("Written in the other tab.")
    note(other).get_by_role("button", name="Save draft").click()
    expect_message(other, "Draft saved")
    other.close()

    typed = "Typed here after the other tab saved."
    with page.expect_response(lambda r: "/note/" in r.url and r.status == 409):
        note(page).get_by_label("Subjective").fill(typed)
    page.get_by_role("region", name="Signing").get_by_role("button", name=SIGN).click()

    expect(page.locator(".alert-danger, [role=alert]").first).to_be_visible()
    expect(note(page).get_by_label("Subjective")).to_have_value(typed)
    expect(page.get_by_text(re.compile("changed|since", re.I)).first).to_be_visible()


def test_a_double_click_on_sign_sends_it_once(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    page.add_init_script(
        "document.addEventListener('submit', () => setTimeout(() => {"
        " const sign = document.querySelector('.sign-bar button[form=note-form]');"
        " if (sign) sessionStorage.signDisabled = String(sign.disabled); }, 5));"
    )
    open_chart(page, live_server, followup, login)
    posts: list[str] = []
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "part=sign" in r.url else None,
    )
    page.get_by_role("region", name="Signing").get_by_role("button", name=SIGN).dblclick()
    expect(page.locator("#sign-problems")).to_be_focused()
    assert len(posts) == 1, posts
    assert page.evaluate("sessionStorage.signDisabled") == "true"


def test_autosave_leaving_the_page_uses_keepalive(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    page.add_init_script(
        "window.__saves = []; const f = window.fetch;"
        "window.fetch = function (url, options) {"
        " window.__saves.push(!!(options && options.keepalive));"
        " return f.apply(this, arguments); };"
    )
    open_chart(page, live_server, followup, login)
    record_safety_check(page)
    note(page).get_by_label("Subjective").fill("The last words before leaving.")
    # Wait for the save to be answered: a request still running on the live
    # server when the test ends races the database flush of the teardown.
    with page.expect_response(re.compile(r"/note/$")) as saved:
        page.evaluate("window.dispatchEvent(new Event('beforeunload', {cancelable: true}))")
    assert saved.value.ok
    assert page.evaluate("window.__saves") == [True]


def test_autosave_tries_again_after_a_lost_connection(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    open_chart(page, live_server, followup, login)
    record_safety_check(page)
    failures = []

    def once(route: Route) -> None:
        if not failures:
            failures.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r"/note/$"), once)
    note(page).get_by_label("Subjective").fill("Typed while the wifi dropped.")
    expect_message(page, "connection lost")
    expect_message(page, "Draft saved at")


def test_an_ended_session_says_so_and_keeps_the_typing(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    open_chart(page, live_server, followup, login)
    record_safety_check(page)
    page.route(
        re.compile(r"/note/$"),
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>Sign in</h1><form></form>"
        ),
    )
    typed = "Typed after the session ended."
    note(page).get_by_label("Subjective").fill(typed)
    expect_message(page, "Your session has ended; sign in again in another tab")
    expect(note(page).get_by_label("Subjective")).to_have_value(typed)


def test_a_site_rows_unsaved_change_is_not_lost_to_another_form(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    open_chart(page, live_server, followup, login)
    repeat_sites(page)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    sites = page.get_by_role("region", name="Needling sites", exact=True)
    depth = sites.get_by_label("Gluteus medius (Left): depth in cm")
    depth.fill("6.5")
    sites.get_by_role("button", name="Save Piriformis (Left)").click()

    page.wait_for_timeout(300)
    assert asked and "Gluteus medius (Left)" in asked[0]
    expect(depth).to_have_value("6.5")
    expect(depth).to_be_focused()


def test_the_sign_bar_leaves_a_tablet_most_of_its_screen(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    page.set_viewport_size({"width": 820, "height": 1180})
    open_chart(page, live_server, followup, login)
    bar = page.get_by_role("region", name="Signing")
    problems = bar.get_by_role("listitem")
    expect(problems.first).to_be_visible()
    page.evaluate(
        """() => {  // six long reasons, as a draft with much still to do can have
        const list = document.querySelector('.sign-bar ul');
        const first = list.querySelector('li');
        while (list.children.length < 6) list.appendChild(first.cloneNode(true));
        list.querySelectorAll('a').forEach(a => { a.textContent += ' ' + a.textContent.repeat(4) });
    }"""
    )
    box = bar.bounding_box()
    assert box and box["height"] <= 0.35 * 1180, box
    expect(bar.get_by_role("button", name=SIGN)).to_be_in_viewport()


def test_a_phone_never_scrolls_the_chart_sideways(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    page.set_viewport_size({"width": 390, "height": 844})
    open_chart(page, live_server, followup, login)
    repeat_sites(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the chart is {width} px wide at 390"
    for label in ("depth in cm", "number of insertions", "twitch", "tolerance"):
        field = page.get_by_label(f"Piriformis (Left): {label}")
        box = field.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
