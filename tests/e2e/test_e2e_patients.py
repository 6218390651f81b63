"""Registering a patient in the browser: a double click on Save registers one patient."""

import pytest
from playwright.sync_api import Page, expect

from intake.models import Patient

pytestmark = pytest.mark.usefixtures("demo_clinic")


def test_double_click_on_save_registers_one_patient(page: Page, live_server, login):
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/patients/new/")
    expect(page.get_by_label("This is a different person")).to_have_count(0)
    page.get_by_label("Legal first name").fill("Aoife")
    page.get_by_label("Legal last name").fill("O’Donnell")
    page.get_by_label("Date of birth").fill("1984-06-30")

    page.get_by_role("button", name="Save").dblclick()

    expect(page.get_by_role("heading", level=1)).to_contain_text("O’Donnell")
    assert Patient.objects.filter(legal_last_name="O’Donnell").count() == 1


def test_save_goes_inactive_once_the_form_is_sent(page: Page, live_server, login):
    login(page, live_server, "frontdesk")
    page.goto(f"{live_server.url}/patients/new/")
    # Keep the page: a listener after ours stops the navigation the click starts.
    page.evaluate("document.addEventListener('submit', (e) => e.preventDefault())")
    save = page.get_by_role("button", name="Save")
    expect(save).to_be_enabled()

    save.click()

    expect(save).to_be_disabled()
