"""Browser journeys: one Chromium per test session, a fresh context per test.

Chromium is the system's (``CHROMIUM_PATH``, default /usr/bin/chromium), not one
downloaded by ``playwright install``. Every test here is marked ``e2e`` and is
skipped, with the reason, when that executable is missing.
"""

import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright

from clinic.management.commands.seed_demo import DEMO_PASSWORD

# Playwright's sync API keeps an asyncio loop running in the test thread for as long
# as the browser is open, and Django refuses ORM calls from a thread with a running
# loop. The loop stays until the session ends, so this has to hold for the session.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Short enough that a broken page fails the test quickly instead of hanging.
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)

_call_report = pytest.StashKey[pytest.TestReport]()
# axe-core's findings below serious in this run (tests/e2e/axe.py), printed at its end.
MINOR_FINDINGS = pytest.StashKey[list]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = None
    if not CHROMIUM_PATH.exists():
        skip = pytest.mark.skip(
            reason=f"Chromium not found at {CHROMIUM_PATH}; install it with "
            "apt-get install -y chromium or set CHROMIUM_PATH"
        )
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """The accessibility findings below serious that the run met (test_e2e_accessibility)."""
    findings = sorted(set(config.stash.get(MINOR_FINDINGS, [])), key=str)
    if findings:
        terminalreporter.section("axe-core: minor and moderate findings")
        for finding in findings:
            terminalreporter.line(str(finding))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    report = yield
    if report.when == "call":
        item.stash[_call_report] = report
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _open_page(browser: Browser, request: pytest.FixtureRequest, options: dict) -> Iterator[Page]:
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = request.node.stash.get(_call_report, None)
    # A test may close its page on purpose (a patient leaving); nothing to capture then.
    if report is not None and report.failed and not page.is_closed():
        results = request.config.rootpath / "test-results"
        results.mkdir(exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.nodeid)
        page.screenshot(path=results / f"{name}.png", full_page=True)
    context.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A desktop-sized page in its own browser context (no cookies shared between tests)."""
    yield from _open_page(browser, request, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a phone-sized touch context (390x844), for patient journeys."""
    yield from _open_page(browser, request, PHONE)


@pytest.fixture
def no_js_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A desktop-sized page with JavaScript off: what works without a script."""
    yield from _open_page(browser, request, DESKTOP | {"java_script_enabled": False})


@pytest.fixture
def demo_clinic(transactional_db) -> None:
    """The demo clinic from ``seed_demo``: one user per role, locations, patients."""
    call_command("seed_demo", allow_production=True, stdout=io.StringIO())


def login(page: Page, live_server, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login form, and the second step where the role asks for
    it (with a fresh backup code); returns once the next page has loaded."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if "/accounts/mfa/" in page.url:
        code = backup_code(username)
        page.goto(f"{live_server.url}/accounts/mfa/?next=" + page.url.split("next=")[-1])
        page.get_by_label(re.compile("Code from your authenticator")).fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()


def backup_code(username: str) -> str:
    """A new single-use backup code for the user (and an authenticator, if none yet)."""
    user = get_user_model().objects.get(username=username)
    TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "e2e"})
    device, _ = StaticDevice.objects.get_or_create(user=user, name="e2e")
    token = StaticToken.random_token()
    StaticToken.objects.create(device=device, token=token)
    return token


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    """``login(page, live_server, username, password=DEMO_PASSWORD)``, for tests to call."""
    return login
