"""Signing in and out through the real login form, for each staff role."""

import re

import pytest
from playwright.sync_api import Page, expect

from clinic.management.commands.seed_demo import DEMO_STAFF
from clinic.roles import Role

pytestmark = pytest.mark.usefixtures("demo_clinic")

HOME_HEADING = {
    Role.ADMIN: "Clinic administration",
    Role.PHYSIO: "Today",
    Role.FRONT_DESK: "Front desk",
}
LOGIN_PATH = re.compile(r"/accounts/login/(\?.*)?$")


def expect_login_page(page: Page) -> None:
    expect(page).to_have_url(LOGIN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


@pytest.mark.parametrize(
    ("username", "first", "last", "role"), DEMO_STAFF, ids=[s[0] for s in DEMO_STAFF]
)
def test_staff_member_signs_in_to_their_role_home_page(
    page: Page, live_server, login, username, first, last, role
):
    login(page, live_server, username)

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOME_HEADING[role])
    header = page.get_by_role("navigation", name="Main")
    expect(header).to_contain_text(f"{first} {last} · {role.value}")
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()


def test_wrong_password_shows_the_form_error_and_stays_on_login(page: Page, live_server, login):
    login(page, live_server, "physio", password="not-the-password")

    expect_login_page(page)
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_signing_out_returns_to_the_login_page(page: Page, live_server, login):
    login(page, live_server, "physio")
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")

    page.get_by_role("button", name="Sign out").click()

    expect_login_page(page)
    page.goto(f"{live_server.url}/")
    expect_login_page(page)


def test_anonymous_visit_to_home_lands_on_the_login_page(page: Page, live_server):
    page.goto(f"{live_server.url}/")

    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect_login_page(page)
