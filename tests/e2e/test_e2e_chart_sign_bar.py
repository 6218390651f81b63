"""The sign bar and the note: Sign sends the note as typed (without a script nothing
else would save it), and the bar's list of what blocks signing follows each autosave."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_e2e_chart_guards import SIGN, note, open_chart, record_safety_check
from tests.e2e.test_e2e_chart_speed import followup  # noqa: F401 (a fixture)


def sign_bar(page: Page):
    return page.get_by_role("region", name="Signing")


def test_without_javascript_sign_keeps_the_typed_note(
    no_js_page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    page = no_js_page
    open_chart(page, live_server, followup, login)
    record_safety_check(page)
    typed = "Typed without a script, then Sign at once."
    note(page).get_by_label("Subjective").fill(typed)
    sign_bar(page).get_by_role("button", name=SIGN).click()

    # Not signable yet (no pain rating): refused, the reasons listed, the typing kept...
    problems = page.locator("#sign-problems")
    expect(problems).to_contain_text("Not signed yet")
    expect(problems.get_by_role("link", name=re.compile("NPRS before"))).to_have_attribute(
        "href", "#id_nprs_before"
    )
    expect(note(page).get_by_label("Subjective")).to_have_value(typed)
    # ...and saved: it is there on a fresh load of the chart.
    page.goto(f"{live_server.url}/appointments/{followup.pk}/chart/")
    expect(note(page).get_by_label("Subjective")).to_have_value(typed)


def test_the_sign_bar_follows_the_autosave(
    page: Page,
    live_server,
    login,
    followup,  # noqa: F811
):
    open_chart(page, live_server, followup, login)
    record_safety_check(page)
    blocker = sign_bar(page).get_by_role("link", name=re.compile("Record the NPRS before"))
    expect(blocker).to_have_attribute("href", "#id_nprs_before")
    with page.expect_response(lambda r: "/note/" in r.url and r.status == 200):
        note(page).get_by_label(re.compile("NPRS before needling")).fill("6")
    expect(blocker).to_have_count(0)
    # A new blocker appears, linked to where it is fixed, and takes the focus there.
    with page.expect_response(lambda r: "/note/" in r.url and r.status == 200):
        note(page).get_by_label(re.compile("Needles taken out", re.I)).fill("2")
    added = sign_bar(page).get_by_role("link", name=re.compile("no needling site is recorded"))
    expect(added).to_have_attribute("href", "#sites")
    added.click()
    expect(page.locator("#sites")).to_be_focused()
