"""Odd query strings, headers, ids and addresses on every URL: a clear 400 or 404, never a
server error, and refusals are not cacheable."""

from collections import Counter
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from clinic.models import AuditEvent
from tests.clinic.authorization.expected import ADMIN
from tests.clinic.authorization.requesting import ARGS, POST, urls_for
from tests.clinic.authorization.world import build_world
from tests.clinic.fuzzing.conftest import REFUSED, assert_reached, signed_in
from tests.clinic.fuzzing.strategies import FUZZ, TEXT, VALUE

# Headers the app reads (X-Forwarded-For for the client address behind the proxy) or that
# reach the audit log and the lockout table (User-Agent), and others browsers send.
HEADERS = ["HTTP_X_FORWARDED_FOR", "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_ACCEPT_LANGUAGE"]
ODD_ADDRESSES = st.sampled_from(
    ["not-an-ip", "1.2.3.4, evil", "999.1.1.1", "::1%eth0", "", ",", "1.2.3.4\x00", "[::1]"]
)


@pytest.fixture
def url_world(db):
    return build_world()


def _get_urls(world) -> list[str]:
    """Every URL of the authorization matrix that answers GET, with real ids."""

    return sorted(url for name in ARGS if name not in POST for url in urls_for(name, world, ADMIN))


def test_fuzzed_query_strings_and_headers_never_fail_on_any_url(url_world, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.BAD_LINK_LIMIT = 1_000_000
    browsers = {
        "anonymous": Client(),
        "front desk": signed_in(url_world.front_desk),
        "physio": signed_in(url_world.physio),
        "admin": signed_in(url_world.admin),
    }
    urls = _get_urls(url_world)
    seen = Counter()

    @FUZZ
    @given(
        url=st.sampled_from(urls),
        who=st.sampled_from(sorted(browsers)),
        query=st.lists(
            st.tuples(
                st.one_of(TEXT, st.sampled_from(["q", "date", "next", "page", "format"])), VALUE
            ),
            max_size=4,
        ),
        headers=st.dictionaries(
            st.sampled_from(HEADERS), st.one_of(TEXT, ODD_ADDRESSES), max_size=len(HEADERS)
        ),
    )
    def check(url, who, query, headers):
        full = f"{url}?{urlencode(query)}" if query else url
        response = browsers[who].get(full, **headers)
        seen[response.status_code < 400] += 1
        assert response.status_code < 500, (full, headers, response.status_code)
        texts = [t for pair in query for t in pair] + list(headers.values())
        if any("\x00" in text for text in texts):
            assert response.status_code == 400, (full, headers)

    check()
    assert_reached(seen)


def test_a_nul_in_the_booking_search_is_a_clear_400(client_for, front_desk):
    response = client_for(front_desk).get(reverse("sessions:appointment-new") + "?q=a%00b")
    assert response.status_code == 400
    assert REFUSED in response.content.decode()


def test_a_nul_in_the_patient_search_is_a_clear_400(client_for, front_desk):
    response = client_for(front_desk).get(reverse("intake:patient-list") + "?q=%00")
    assert response.status_code == 400


def test_a_control_character_in_a_header_is_a_clear_400(client, db):
    response = client.get(reverse("login"), HTTP_USER_AGENT="Mozilla\x00")
    assert response.status_code == 400


@pytest.mark.parametrize("forwarded", ["not-an-ip", "1.2.3.4, <script>", "1.2.3.4.5"])
def test_a_failed_sign_in_with_a_forwarded_for_that_is_no_address_is_audited(
    client, physio, settings, forwarded
):
    settings.BEHIND_TLS_PROXY = True
    response = client.post(
        reverse("login"),
        {"username": "physio", "password": "wrong-password"},
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.ip == "127.0.0.1"  # the connection's address, not the header's text


def test_a_utf8_user_agent_is_not_mistaken_for_control_characters(client, db):
    # "Pixel’s browser" as UTF-8 bytes, read as latin-1 by the server: \x80 and \x99 appear.
    user_agent = "Pixel’s browser".encode().decode("latin-1")
    assert client.get(reverse("login"), HTTP_USER_AGENT=user_agent).status_code == 200


HUGE = "9" * 30


@pytest.mark.parametrize(
    "path",
    [
        f"/appointments/{HUGE}/chart/",
        f"/patients/{HUGE}/",
        f"/visits/{HUGE}/print/",
        f"/patients/{HUGE}/timeline/",
        f"/staff/{HUGE}/reset-mfa/",
    ],
)
def test_an_id_too_large_for_any_key_is_not_found(client_for, clinic_admin, path):
    """Thirty nines reached SQLite as an id (OverflowError, a 500): ids in paths are
    1-18 digits, anything longer matches no URL."""
    assert client_for(clinic_admin).get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [f"/audit/?patient={HUGE}", f"/admin/clinic/auditevent/?at__year={HUGE}"],
)
def test_a_number_too_large_in_a_query_string_is_refused_not_a_500(client_for, clinic_admin, query):
    response = client_for(clinic_admin).get(query)
    assert response.status_code in (200, 302, 400)


def test_a_refusal_before_any_view_is_not_cacheable_either(client_for, front_desk):
    response = client_for(front_desk).get(reverse("intake:patient-list") + "?q=%00")
    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
